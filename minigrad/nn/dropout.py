"""Dropout: `DropoutFunction`, `F.dropout` and `nn.Dropout`."""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Function
from ..random import default_generator
from ..tensor import Tensor, wrap
from .module import Module


def _check_probability(p) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return p


class DropoutFunction(Function):
    """y = x * mask / (1 - p): inverted dropout, so eval needs no rescaling"""

    double_backward = "linear"  # y = x * mask: linear in x

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x):
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p), in training only.
    The mask is drawn on the host from minigrad's generator, so `manual_seed` makes it
    reproducible on every device. Same as torch.nn.functional.dropout; `inplace=True` writes
    the result into x and returns x (as `F.relu`).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.dropout(minigrad.ones(4), p=0.5, training=False)
    tensor([1., 1., 1., 1.])
    """
    p = _check_probability(p)
    if not training or p == 0.0:
        return x
    dt = x.dtype if x.dtype.itemsize >= 4 else np.dtype(np.float32)
    keep = default_generator.rng.random(x.shape, dtype=dt) >= p
    mask = (keep * (1.0 / (1.0 - p) if p < 1 else 0.0)).astype(x.dtype)
    mask = backend.to_device(mask, x.device)
    return x.mul_(wrap(mask)) if inplace else DropoutFunction(mask)(x)


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability p and scale the rest by
    1/(1-p); in eval, the identity. Same as torch.nn.Dropout; the mask comes from minigrad's
    generator (`minigrad.manual_seed`).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Dropout(0.5).eval()(minigrad.ones(3))
    tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        _check_probability(p)
        self.p, self.inplace = p, inplace

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}"
