"""The linear family: `LinearFunction` (fused), `F.linear`, `linear_simple`, `nn.Linear`,
`nn.Identity`, and the shape helpers `F.flatten` / `nn.Flatten`."""

from __future__ import annotations

from .. import ops
from ..autograd import Function
from ..dtypes import check_same_dtype
from ..tensor import Tensor
from . import init
from .module import Module


class LinearFunction(Function):
    """y = x @ W^T + b (fused: one graph node)"""

    double_backward = "composed"

    def composed(self, x, W, b=None):
        return linear_simple(x, W, b)

    def forward(self, x, W, b=None):
        self.x, self.W = x, W
        y = x @ W.T
        if b is not None:
            y += b  # y is a fresh array: adding in place saves one allocation
        return y

    def backward(self, gy):
        x, W = self.x, self.W
        gx = gy @ W if self.needs_input_grad[0] else None  # dL/dx = gy W
        gW = gb = None
        if self.needs_input_grad[1]:
            # dL/dW = gy^T x, summed over every leading (batch) dim
            gW = gy.reshape(-1, gy.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            gb = gy.reshape(-1, gy.shape[-1]).sum(axis=0)  # dL/db = sum of gy over the batch
        return gx, gW, gb


def _check_linear(x: Tensor, weight: Tensor, bias: Tensor | None):
    xs, ws = x.array.shape, weight.array.shape  # NOTE: raw shapes: this runs on every forward
    if len(ws) != 2 or not xs or xs[-1] != ws[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not fit weight of shape {weight.shape} "
            f"(expected input (..., {weight.shape[-1] if weight.ndim == 2 else '?'}))"
        )
    if bias is not None and bias.array.shape != (ws[0],):
        raise ValueError(f"linear: bias of shape {bias.shape}, expected ({ws[0]},)")
    check_same_dtype("linear", x, weight=weight, bias=bias)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x @ weight.T + bias. Same as torch.nn.functional.linear.

    Shape: x (*, in), weight (out, in), bias (out,) -> y (*, out).

    Example:
        >>> import minigrad
        >>> import minigrad.nn.functional as F
        >>> x, W, b = minigrad.ones(2, 3), minigrad.ones(4, 3), minigrad.zeros(4)
        >>> F.linear(x, W, b).shape
        (2, 4)
    """
    _check_linear(x, weight, bias)
    return LinearFunction()(x, weight) if bias is None else LinearFunction()(x, weight, bias)


def linear_simple(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """`linear` composed from primitive ops: the test oracle for the fused `LinearFunction`."""
    _check_linear(x, weight, bias)
    y = x @ weight.T
    return y if bias is None else y + bias


class Linear(Module):
    """y = x @ weight.T + bias. Same as torch.nn.Linear, including the default initialisation
    (weight and bias from U(-1/sqrt(in_features), 1/sqrt(in_features))).

    Shape: input (*, in_features) -> output (*, out_features); weight (out_features, in_features).

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> fc = nn.Linear(3, 2)
        >>> fc(minigrad.ones(5, 3)).shape, fc.weight.shape
        ((5, 2), (2, 3))
        >>> nn.Linear(3, 2, bias=False).bias is None   # no bias before BatchNorm
        True
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        init._add_weight_and_bias(self, (self.out_features, self.in_features), bias, device, dtype)

    def reset_parameters(self) -> None:
        init._default_init(self.weight, self.bias)  # PyTorch's default

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input. Same as torch.nn.Identity (extra arguments are ignored).

    >>> import minigrad
    >>> from minigrad import nn
    >>> x = minigrad.ones(2)
    >>> nn.Identity()(x) is x
    True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x


# ***** shape *****


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one. Same as torch.flatten."""
    return ops.flatten(x, start_dim, end_dim)


class Flatten(Module):
    """Merge dims start_dim..end_dim (by default all but the batch dim). Same as torch.nn.Flatten.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Flatten()(minigrad.zeros(2, 3, 4)).shape
    (2, 12)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
