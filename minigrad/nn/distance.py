"""Vector norms, distances and similarities for embeddings and features: `F.normalize`,
`F.cosine_similarity`, `F.pairwise_distance`, composed from primitive ops (so autograd gives
their gradients), and their Modules `nn.CosineSimilarity`, `nn.PairwiseDistance`.
"""

from __future__ import annotations

import math

from .. import ops
from ..tensor import Tensor
from .module import Module


def normalize(input: Tensor, p: float = 2.0, dim=1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p, eps) along `dim`: unit vectors, a zero vector staying zero.
    Same as torch.nn.functional.normalize, for p > 0 (1, 2, inf, or any positive number).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.normalize(minigrad.tensor([[3.0, 4.0], [0.0, 0.0]]))
    tensor([[0.6, 0.8],
            [0. , 0. ]])
    """
    if input.dtype.kind != "f":
        raise TypeError(f"normalize: needs a floating-point tensor, got {input.dtype}")
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not p > 0:
        raise ValueError(f"normalize: p must be a positive number (1, 2, inf, ...), got {p!r}")
    a = input.abs()
    if p == math.inf:
        denom = ops.maximum(ops.amax(a, dim, keepdim=True), eps)
    elif p == 1:
        denom = ops.maximum(a.sum(dim, keepdim=True), eps)
    else:
        # max(s, eps^p)^(1/p) is max(||x||_p, eps); clamping before the root keeps the root's
        # infinite slope at 0 out of the gradient of a zero vector (maximum sends a tie to eps)
        if p == 2:
            s = input * input
        else:  # |x|^p with its slope at 0 taken as 0 (for p < 1 it is infinite there), as PyTorch
            zero = a == 0
            s = ops.where(zero, 0.0, ops.where(zero, 1.0, a) ** p)
        s = ops.maximum(s.sum(dim, keepdim=True), eps ** p)
        denom = ops.sqrt(s) if p == 2 else s ** (1.0 / p)
    return input / denom


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """The cosine of the angle between x1 and x2 along `dim` (the two broadcast), each norm
    clamped to at least `eps`, so a zero vector gives 0. Same as
    torch.nn.functional.cosine_similarity.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.cosine_similarity(minigrad.tensor([[1.0, 0.0], [0.0, 0.0]]), minigrad.tensor([[1.0, 1.0], [1.0, 0.0]]))
    tensor([0.70710677, 0.        ])
    """
    if x1.dtype.kind != "f" or x2.dtype.kind != "f":
        raise TypeError(f"cosine_similarity: needs floating-point tensors, got {x1.dtype} and {x2.dtype}")
    # each vector divided by its clamped norm first, as torch does (no overflow of |x1|^2 |x2|^2)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """max(||x||, eps) along dim, with PyTorch's gradient: torch clamps the norm in place
    after computing it, so its gradient stays the norm's, x / ||x|| (0 at x = 0), even where
    the value is eps."""
    s = (x * x).sum(dim, keepdim=True)
    pos = s > 0  # a bool mask: no gradient
    n = ops.where(pos, ops.sqrt(ops.where(pos, s, 1.0)), 0.0)
    nd = n.detach()
    return n + (ops.maximum(nd, eps) - nd)  # the value clamped, the gradient n's


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """The p-norm of x1 - x2 + eps along the last dim (the two broadcast). Same as
    torch.nn.functional.pairwise_distance: `eps` is added to the difference (so identical
    vectors are eps * D^(1/p) apart, with a gradient), and the gradient is the norm's (0 where
    the norm is 0).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.pairwise_distance(minigrad.tensor([[0.0, 0.0], [1.0, 1.0]]), minigrad.tensor([[3.0, 4.0], [1.0, 1.0]]), eps=0.0)
    tensor([5., 0.])
    """
    if not isinstance(x1, Tensor) or not isinstance(x2, Tensor):
        raise TypeError("pairwise_distance: x1 and x2 must be Tensors")
    if x1.dtype.kind != "f" or x2.dtype.kind != "f":
        raise TypeError(f"pairwise_distance: needs floating-point tensors, got {x1.dtype} and {x2.dtype}")
    if x1.device != x2.device:
        raise TypeError(f"pairwise_distance: x1 is on {x1.device!r}, x2 on {x2.device!r}")
    d = x1 - x2 + eps
    if d.ndim == 0:  # two scalars: the norm of one number
        return d.abs()
    return ops.norm(d, p, dim=-1, keepdim=keepdim)


class PairwiseDistance(Module):
    """`F.pairwise_distance` along the last dim. Same as torch.nn.PairwiseDistance (p is stored
    as `norm`, as PyTorch's).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.PairwiseDistance(eps=0.0)(minigrad.tensor([[3.0, 4.0]]), minigrad.zeros(1, 2))
    tensor([5.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """`F.cosine_similarity` along `dim`. Same as torch.nn.CosineSimilarity.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.CosineSimilarity(dim=0)(minigrad.tensor([1.0, 0.0]), minigrad.tensor([1.0, 1.0]))
    tensor(0.70710677)
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)
