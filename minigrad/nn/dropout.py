"""Dropout: `DropoutFunction`, `F.dropout`, `F.dropout1d/2d/3d`, `F.alpha_dropout` and their
layers `nn.Dropout`, `nn.Dropout1d/2d/3d`, `nn.AlphaDropout`. Every mask is drawn
on the host from minigrad's generator (`minigrad.manual_seed`), one uniform number per mask entry."""

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
    return _dropout(x, p, training, inplace, x.shape)


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels: each (sample, channel) plane of a (N, C, H, W) input, or each
    channel of an unbatched (C, H, W) one, with probability p; scale the rest by 1 / (1 - p),
    in training only. Same as torch.nn.functional.dropout2d.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> _ = minigrad.manual_seed(0)
    >>> y = F.dropout2d(minigrad.ones(1, 4, 2, 2), p=0.5)
    >>> sorted(set(y.numpy().ravel().tolist()))  # whole channels are 0 or 2
    [0.0, 2.0]
    """
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected a 4-d input (N, C, H, W) or a 3-d (C, H, W), got shape {x.shape}")
    return _dropout(x, p, training, inplace, x.shape[:-2] + (1, 1))


def dropout3d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels: each (sample, channel) volume of a (N, C, D, H, W) input, or each
    channel of an unbatched (C, D, H, W) one, with probability p; scale the rest by 1 / (1 - p),
    in training only. Same as torch.nn.functional.dropout3d.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> _ = minigrad.manual_seed(0)
    >>> y = F.dropout3d(minigrad.ones(1, 4, 2, 2, 2), p=0.5)
    >>> sorted(set(y.numpy().ravel().tolist()))  # whole channels are 0 or 2
    [0.0, 2.0]
    """
    if x.ndim not in (4, 5):
        raise ValueError(f"dropout3d: expected a 5-d input (N, C, D, H, W) or a 4-d (C, D, H, W), "
                         f"got shape {x.shape}")
    return _dropout(x, p, training, inplace, x.shape[:-3] + (1, 1, 1))


def _dropout(x: Tensor, p, training: bool, inplace: bool, mask_shape: tuple) -> Tensor:
    """x times a mask of `mask_shape` (x's shape, or with size-1 dims that broadcast)."""
    p = _check_probability(p)
    if not training or p == 0.0:
        return x
    dt = x.dtype if x.dtype.itemsize >= 4 else np.dtype(np.float32)
    keep = default_generator.rng.random(mask_shape, dtype=dt) >= p
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
        return f"p={self.p}, inplace={self.inplace}"  # PyTorch's repr


class Dropout2d(Dropout):
    """Channel dropout: in training, zero each channel of each sample with probability p and
    scale the rest by 1/(1-p); in eval, the identity. Same as torch.nn.Dropout2d.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Dropout2d(0.25).eval()(minigrad.ones(1, 2, 2, 2)).shape
    (1, 2, 2, 2)
    """

    def forward(self, x: Tensor) -> Tensor:
        return dropout2d(x, self.p, self.training, self.inplace)


def dropout1d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels: each (sample, channel) row of a (N, C, L) input, or each channel of
    an unbatched (C, L) one, with probability p; scale the rest by 1 / (1 - p), in training
    only. Same as torch.nn.functional.dropout1d.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> _ = minigrad.manual_seed(0)
    >>> y = F.dropout1d(minigrad.ones(1, 4, 3), p=0.5)
    >>> sorted(set(y.numpy().ravel().tolist()))  # whole channels are 0 or 2
    [0.0, 2.0]
    """
    if x.ndim not in (2, 3):
        raise ValueError(f"dropout1d: expected a 3-d input (N, C, L) or a 2-d (C, L), got shape {x.shape} "
                         "(dropout1d drops channels of inputs with one spatial dim)")
    return _dropout(x, p, training, inplace, x.shape[:-1] + (1,))


# SELU's fixed point: the value that SELU gives large negative inputs is -_SELU_SAT
_SELU_SAT = 1.7580993408473766  # scale * alpha of SELU


def alpha_dropout(x: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout for self-normalizing (SELU) networks: in training, each element is set with
    probability p to SELU's negative saturation value instead of 0, and the result is mapped by
    a * y + b so that zero-mean, unit-variance inputs keep their mean and variance. Same
    formula as torch.nn.functional.alpha_dropout (note `training=False` by default, as there):
    kept elements become a * x + b, dropped ones a * (-1.7581) + b, with
    a = ((1 - p) (1 + p * 1.7581^2))^(-1/2) and b = 1.7581 * a * p.

    The random stream: one uniform draw per element from minigrad's generator (the host
    `default_generator`, whatever the device), kept where >= p, the same draw as `F.dropout`; so
    `minigrad.manual_seed` reproduces the mask, but it is not torch's mask for torch's seed.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.alpha_dropout(minigrad.ones(3), p=0.5, training=False)
    tensor([1., 1., 1.])
    """
    p = _check_probability(p)
    if not training or p == 0.0:
        return x
    if p == 1.0:  # every element dropped: PyTorch returns zeros
        return x.mul_(0.0) if inplace else x * 0.0
    dt = x.dtype if x.dtype.itemsize >= 4 else np.dtype(np.float32)
    keep = default_generator.rng.random(x.shape, dtype=dt) >= p
    a = 1.0 / ((_SELU_SAT ** 2 * p + 1) * (1 - p)) ** 0.5
    scale = (keep * a).astype(x.dtype)  # a where kept, 0 where dropped
    # b per element: a * 1.7581 * p where kept, the dropped value a * 1.7581 * (p - 1) elsewhere
    shift = ((keep.astype(np.float64) - 1.0 + p) * (_SELU_SAT * a)).astype(x.dtype)
    scale, shift = (wrap(backend.to_device(v, x.device)) for v in (scale, shift))
    if inplace:
        return x.mul_(scale).add_(shift)
    return DropoutFunction(scale.array)(x) + shift


class Dropout1d(Dropout):
    """Channel dropout for (N, C, L) or (C, L) inputs: in training, zero each channel with
    probability p and scale the rest by 1/(1-p); in eval, the identity. Same as torch.nn.Dropout1d.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Dropout1d(0.25)
    Dropout1d(p=0.25, inplace=False)
    """

    def forward(self, x: Tensor) -> Tensor:
        return dropout1d(x, self.p, self.training, self.inplace)


class Dropout3d(Dropout):
    """Channel dropout for (N, C, D, H, W) or (C, D, H, W) inputs: in training, zero each
    channel with probability p and scale the rest by 1/(1-p); in eval, the identity. Same as
    torch.nn.Dropout3d.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Dropout3d(0.25).eval()(minigrad.ones(1, 2, 2, 2, 2)).shape
    (1, 2, 2, 2, 2)
    """

    def forward(self, x: Tensor) -> Tensor:
        return dropout3d(x, self.p, self.training, self.inplace)


class AlphaDropout(Dropout):
    """Alpha dropout for SELU networks (see `F.alpha_dropout`): keeps the mean and variance of
    standardised inputs; in eval, the identity. Same as torch.nn.AlphaDropout; the mask comes
    from minigrad's generator.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.AlphaDropout(0.2).eval()(minigrad.ones(3))
    tensor([1., 1., 1.])
    """

    def forward(self, x: Tensor) -> Tensor:
        return alpha_dropout(x, self.p, self.training, self.inplace)
