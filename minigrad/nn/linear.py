"""The linear family: `LinearFunction` (fused), `F.linear`, `linear_simple`, `nn.Linear`,
`nn.Identity`, the shape helpers `F.flatten` / `nn.Flatten` / `nn.Unflatten`, and `F.bilinear` /
`nn.Bilinear` (composed: two matrix products)."""

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


class Unflatten(Module):
    """Split dim `dim` into `unflattened_size` (one entry may be -1). Same as torch.nn.Unflatten.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Unflatten(1, (2, 5))(minigrad.zeros(3, 10)).shape
    (3, 2, 5)
    """

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(s, int) for s in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got {unflattened_size!r}")
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, x: Tensor) -> Tensor:
        dim = self.dim + x.ndim if self.dim < 0 else self.dim
        if not 0 <= dim < x.ndim:
            raise IndexError(f"Unflatten: dim {self.dim} is out of range for an input of shape {x.shape}")
        sizes, n = tuple(self.unflattened_size), x.shape[dim]
        known = 1
        for s in sizes:
            known *= s if s != -1 else 1
        if (-1 in sizes and (known == 0 or n % known)) or (-1 not in sizes and known != n):
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
                               f"{dim} ({n}) in the input tensor of shape {x.shape}")
        return x.reshape(*x.shape[:dim], *sizes, *x.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


# ***** bilinear *****


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o]. Same as
    torch.nn.functional.bilinear.

    Shape: input1 (*, in1), input2 (*, in2) with the same leading dims, weight (out, in1, in2),
    bias (out,) -> y (*, out).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.bilinear(minigrad.ones(4, 2), minigrad.ones(4, 3), minigrad.ones(5, 2, 3)).shape
    (4, 5)
    """
    op = "bilinear()"
    if weight.ndim != 3:
        raise RuntimeError(f"{op}: weight must be 3-d (out, in1, in2), got shape {weight.shape}")
    if input1.ndim != input2.ndim or input1.ndim == 0:
        raise RuntimeError(f"{op}: input1 {input1.shape} and input2 {input2.shape} must have the same "
                           "number of dims (at least 1)")
    for d, (a, b) in enumerate(zip(input1.shape[:-1], input2.shape[:-1])):
        if a != b:
            raise RuntimeError(f"{op}: input batch dimensions do not match at dim {d}: got {a} and {b} "
                               f"(input1 {input1.shape}, input2 {input2.shape})")
    out, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"{op}: input1 size does not match weight size: got {input1.shape[-1]} but expected "
                           f"{in1} (input1 {input1.shape}, weight {weight.shape})")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"{op}: input2 size does not match weight size: got {input2.shape[-1]} but expected "
                           f"{in2} (input2 {input2.shape}, weight {weight.shape})")
    if bias is not None and bias.shape != (out,):
        raise RuntimeError(f"{op}: bias size does not match weight size: got {bias.shape[-1] if bias.ndim else 1} "
                           f"but expected {out} (bias {bias.shape}, weight {weight.shape})")
    check_same_dtype("bilinear", input1, input2=input2, weight=weight, bias=bias)
    # two products: t[..., o, j] = sum_i x1[..., i] W[o, i, j], then y[..., o] = sum_j t x2
    t = (input1 @ weight.permute(1, 0, 2).reshape(in1, out * in2)).reshape(*input1.shape[:-1], out, in2)
    y = (t @ input2.unsqueeze(-1)).squeeze(-1)
    return y if bias is None else y + bias


class Bilinear(Module):
    """y = x1^T W x2 + b, one bilinear form per output feature. Same as torch.nn.Bilinear,
    including the init: weight and bias from U(-1/sqrt(in1_features), 1/sqrt(in1_features)).

    Shape: input1 (*, in1_features), input2 (*, in2_features) -> (*, out_features);
    weight (out_features, in1_features, in2_features), bias (out_features,).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Bilinear(2, 3, 4)(minigrad.ones(5, 2), minigrad.ones(5, 3)).shape
    (5, 4)
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features = int(in1_features), int(in2_features)
        self.out_features = int(out_features)
        shape = (self.out_features, self.in1_features, self.in2_features)
        init._add_weight_and_bias(self, shape, bias, device, dtype)

    def reset_parameters(self) -> None:
        # PyTorch's bound reads weight.size(1), in1_features (not the fan-in in1 * in2)
        bound = 1 / self.in1_features ** 0.5 if self.in1_features > 0 else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
