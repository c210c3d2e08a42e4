"""Reductions (sum, mean, max, min, var, std, prod, cumsum, cumprod, count_nonzero), the index
reductions argmax/argmin, the ops that return (values, indices): max/min with a dim, sort, topk,
and unique."""

from __future__ import annotations

import builtins
from typing import NamedTuple

import numpy as np

from .. import backend, dtypes
from ..autograd import Function
from ..tensor import Tensor


def normalize_dims(dim, ndim: int, axis=None) -> tuple | None:
    """Normalise `dim` (int, tuple, list or None; `axis` is NumPy's alias) to a sorted tuple."""
    if axis is not None:
        dim = axis
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -builtins.max(ndim, 1) <= d < builtins.max(ndim, 1):
            raise IndexError(f"dim {d} is out of range for a tensor with {ndim} dims")
        out.append(d % builtins.max(ndim, 1))
    return tuple(sorted(out))


def reduce_args(x: Tensor, dim, keepdim, aliases):
    """(axes, keepdim) of a reduction; `aliases` may hold NumPy's spellings axis/keepdims."""
    unknown = set(aliases) - {"axis", "keepdims"}
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {sorted(unknown)}")
    keepdim = aliases.get("keepdims", keepdim)
    axes = normalize_dims(dim, x.ndim, aliases.get("axis"))
    if x.ndim == 0:
        axes = None
    return axes, bool(keepdim)


def keep_reduced_dims(gy, x_shape, axes, keepdims):
    """Reshape a reduction's gradient so that it broadcasts against the input."""
    if axes is None:
        return gy.reshape((1,) * len(x_shape))
    if not keepdims:
        gy = gy.reshape(tuple(1 if i in axes else n for i, n in enumerate(x_shape)))
    return gy


def squeeze_reduced(y, axes):
    """Remove the reduced (size-1) axes that keepdims=True left in `y`."""
    return y.reshape(tuple(n for i, n in enumerate(y.shape) if axes is not None and i not in axes))


def _count(shape, axes) -> int:
    return int(np.prod([shape[i] for i in axes] if axes is not None else shape))


def _needs_float(op: str, x: Tensor) -> None:
    """Raise, as PyTorch does, for integer input of an op that has no integer result."""
    if x.dtype.kind != "f":
        raise dtypes.DtypeError(f"{op}: needs a floating-point tensor, got {x.dtype}")


def one_dim(x: Tensor, dim) -> int:
    """`dim` as a non-negative axis of x (0 for a 0-d tensor)."""
    return normalize_dims(dim, x.ndim)[0]  # range-checked; a 0-d tensor takes -1 and 0, as PyTorch


class Sum(Function):
    """y = sum of x over axes"""

    double_backward = "linear"

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        return self.xp.broadcast_to(keep_reduced_dims(gy, self.x_shape, self.axes, self.keepdims), self.x_shape)


def sum(x: Tensor, dim=None, keepdim=False, dtype=None, **aliases) -> Tensor:
    """Sum over `dim` (int, tuple or None for all), computed in `dtype` if given (x is cast
    first, as torch). `axis`/`keepdims` are accepted too."""
    if dtype is not None:
        x = x.to(dtype=dtype)
    return Sum(*reduce_args(x, dim, keepdim, aliases))(x)


class Mean(Sum):
    """y = mean of x over axes = sum / n, so the gradient is Sum's divided by n"""

    def forward(self, x):
        self.x_shape = x.shape
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        return super().backward(gy / _count(self.x_shape, self.axes))


def mean(x: Tensor, dim=None, keepdim=False, dtype=None, **aliases) -> Tensor:
    """Mean over `dim`, computed in `dtype` if given (`int_tensor.mean(dtype=minigrad.float32)`)."""
    if dtype is not None:
        x = x.to(dtype=dtype)
    _needs_float("mean", x)
    return Mean(*reduce_args(x, dim, keepdim, aliases))(x)


class Max(Function):
    """y = max of x over axes. NOTE: ties share the gradient equally (PyTorch's amax). A NaN
    result gives NaN gradients (no element equals it), as PyTorch's amax; with `nans=True`
    (PyTorch's max() of a whole tensor) the NaNs that made it share the gradient instead."""

    double_backward = "constants"

    def __init__(self, axes, keepdims, nans=False):
        self.axes, self.keepdims, self.nans = axes, keepdims, nans

    @staticmethod
    def extreme(x, axis):
        return x.max(axis=axis, keepdims=True)

    def forward(self, x):
        y = self.extreme(x, self.axes)
        self.mask = x == y
        if self.nans and x.dtype.kind == "f":
            self.mask |= self.xp.isnan(x) & self.xp.isnan(y)
        return y if self.keepdims else squeeze_reduced(y, self.axes)

    def backward(self, gy):
        gy = keep_reduced_dims(gy, self.mask.shape, self.axes, self.keepdims)
        count = self.mask.sum(axis=self.axes, keepdims=True, dtype=gy.dtype)
        return self.mask * (gy / count)


class ValuesIndices(NamedTuple):
    """What max/min with a dim, sort and topk return, as torch.return_types: unpacks as
    `values, indices = x.max(1)`; `.values` is differentiable, `.indices` int64."""

    values: Tensor
    indices: Tensor


def _with_indices(x: Tensor, indices, dim: int, keepdim: bool) -> ValuesIndices:
    """Values of x at `indices` (an array with x's ndim, picked along dim) as a gather, so the
    gradient goes to the picked element only, as torch's max(dim) does."""
    from .shape import gather, squeeze

    idx = Tensor._from_data(indices.astype(np.int64, copy=False))
    values = gather(x, dim, idx)
    if not keepdim:
        values, idx = squeeze(values, dim), squeeze(idx, dim)
    return ValuesIndices(values, idx)


def _max_min(name, x, dim, keepdim, aliases, arg):
    if isinstance(dim, Tensor):  # minigrad.max(a, b): elementwise, as torch
        from .elementwise import maximum, minimum

        return (maximum if name == "max" else minimum)(x, dim)
    if dim is None and "axis" not in aliases:  # the whole tensor: ties (and NaNs) share the gradient
        return (Max if name == "max" else Min)(*reduce_args(x, None, keepdim, aliases), nans=True)(x)
    if not isinstance(dim if dim is not None else aliases.get("axis"), (int, np.integer)):
        raise TypeError(f"{name}: dim must be an int (for several dims use a{name})")
    axes, keepdim = reduce_args(x, dim, keepdim, aliases)
    d = axes[0] if axes else 0
    if x.ndim == 0:
        return ValuesIndices(x, Tensor._from_data(np.asarray(0, dtype=np.int64)))
    return _with_indices(x, arg(x.array, axis=d, keepdims=True), d, keepdim)


def amax(x: Tensor, dim=None, keepdim=False, **aliases) -> Tensor:
    """Maximum over `dim` (an int, a tuple or None), values only. Ties share the gradient."""
    return Max(*reduce_args(x, dim, keepdim, aliases))(x)


def max(x: Tensor, dim=None, keepdim=False, **aliases):
    """As torch.max: the maximum of all elements (a tensor; ties share the gradient) without a
    dim; `(values, indices)` along an int dim (the gradient goes to the index picked); and the
    elementwise maximum when `dim` is a tensor: `minigrad.max(a, b)`.

    >>> import minigrad
    >>> values, indices = minigrad.tensor([[1.0, 5.0], [7.0, 2.0]]).max(1)
    >>> values, indices
    (tensor([5., 7.]), tensor([1, 0]))
    """
    return _max_min("max", x, dim, keepdim, aliases, lambda a, **k: a.argmax(**k))


class Min(Max):
    """y = min of x over axes; the backward is Max's (ties share the gradient)."""

    @staticmethod
    def extreme(x, axis):
        return x.min(axis=axis, keepdims=True)


def amin(x: Tensor, dim=None, keepdim=False, **aliases) -> Tensor:
    """Minimum over `dim` (an int, a tuple or None), values only. Ties share the gradient."""
    return Min(*reduce_args(x, dim, keepdim, aliases))(x)


def min(x: Tensor, dim=None, keepdim=False, **aliases):
    """As torch.min; see max."""
    return _max_min("min", x, dim, keepdim, aliases, lambda a, **k: a.argmin(**k))


class Var(Function):
    """y = sum((x - mean)^2) / (n - correction) over axes. With n <= correction the result is
    NaN, as in PyTorch."""

    double_backward = "recompute"

    def __init__(self, axes, keepdims, correction, sqrt=False):
        self.axes, self.keepdims, self.correction, self.sqrt = axes, keepdims, correction, sqrt

    def forward(self, x):
        xp = self.xp
        self.d = x - x.mean(axis=self.axes, keepdims=True)  # two-pass: no E[x^2] - E[x]^2
        a = getattr(x, "array", x)  # the values (of the Tensor x when recomputed for create_graph)
        if self.sqrt and a.size:
            # a constant slice has std exactly 0 (so gradient 0), even when its rounded mean
            # is an ulp off the value: the ratio d / std would otherwise be rounding noise
            flat = a.max(axis=self.axes, keepdims=True) == a.min(axis=self.axes, keepdims=True)
            self.d = xp.where(flat, 0, self.d)
        self.dof = _count(x.shape, self.axes) - self.correction
        ss = (self.d * self.d).sum(axis=self.axes, keepdims=self.keepdims)
        y = ss / self.dof if self.dof > 0 else xp.full(ss.shape, xp.nan, dtype=x.dtype)
        if self.sqrt:
            y = xp.sqrt(y)
        self.y = y
        return y

    def backward(self, gy):
        xp = self.xp
        shape = self.d.shape
        gy = keep_reduced_dims(gy, shape, self.axes, self.keepdims)
        if not self.sqrt:
            return gy * self.d * (2 / self.dof if self.dof > 0 else xp.nan)  # d var = 2 d / dof
        y = keep_reduced_dims(self.y, shape, self.axes, self.keepdims)
        # d std = d / (dof * std); NOTE: 0 where std == 0 (a constant input), not NaN, as in
        # PyTorch; a NaN std (too few values for the correction) gives NaN
        safe = xp.where(y == 0, 1, y)
        return xp.where(y == 0, 0, gy * self.d / (safe * self.dof if self.dof > 0 else xp.nan))


def var(x: Tensor, dim=None, keepdim=False, correction=1, **aliases) -> Tensor:
    """Variance over `dim`, unbiased by default (correction=1, as in PyTorch)."""
    unbiased = aliases.pop("unbiased", None)
    if unbiased is not None:
        correction = int(unbiased)
    _needs_float("var", x)
    return Var(*reduce_args(x, dim, keepdim, aliases), correction)(x)


def std(x: Tensor, dim=None, keepdim=False, correction=1, **aliases) -> Tensor:
    """Standard deviation over `dim`; its gradient is 0 (not NaN) for a constant input."""
    unbiased = aliases.pop("unbiased", None)
    if unbiased is not None:
        correction = int(unbiased)
    _needs_float("std", x)
    return Var(*reduce_args(x, dim, keepdim, aliases), correction, sqrt=True)(x)


def argmax(x: Tensor, dim=None, keepdim=False) -> Tensor:
    """Index of the maximum (over the flattened tensor when dim is None); never requires grad."""
    axis = None if dim is None else one_dim(x, dim)
    return Tensor._from_data(x.array.argmax(axis=axis, keepdims=keepdim))


def argmin(x: Tensor, dim=None, keepdim=False) -> Tensor:
    """Index of the minimum; never requires grad."""
    axis = None if dim is None else one_dim(x, dim)
    return Tensor._from_data(x.array.argmin(axis=axis, keepdims=keepdim))


def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> ValuesIndices:
    """`(values, indices)` of x sorted along `dim`; values are differentiable (stable order)."""
    d = one_dim(x, dim)
    if x.ndim == 0:
        return ValuesIndices(x, Tensor._from_data(np.asarray(0, dtype=np.int64)))
    a = x.array
    if descending:  # a stable descending order: sort the negated values (bools: inverted)
        a = ~a if a.dtype.kind == "b" else -(a.astype(np.int64) if a.dtype.kind == "u" else a)
    return _with_indices(x, a.argsort(axis=d, kind="stable"), d, True)


def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort x along `dim` (int64; ties keep their order). As torch.argsort."""
    return sort(x, dim, descending, stable).indices


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
    """`(values, indices)` of the k largest (or smallest) elements along `dim`."""
    d = one_dim(x, dim)
    if not 0 <= k <= (x.shape[d] if x.ndim else 1):
        raise RuntimeError(f"topk: k={k} is out of range for dim {dim} of size {x.shape[d] if x.ndim else 1}")
    values, indices = sort(x, d, descending=largest)
    from .shape import getitem

    pick = (slice(None),) * d + (slice(0, k),)
    return ValuesIndices(getitem(values, pick), getitem(indices, pick))


class Prod(Function):
    """y = product of x over one axis (or all); dy/dx_i = product of the others, computed
    without dividing by x_i so zeros are handled (exclusive cumulative products)"""

    # backward(create_graph=True) differentiates the product as a chain of multiplications
    # (exact at zeros too, like the exclusive products of backward)
    double_backward = "composed"

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def composed(self, x):
        flat = x.reshape(-1) if self.axis is None else x
        a = 0 if self.axis is None else self.axis
        pre = (slice(None),) * a
        y = flat[pre + (0,)]
        for i in range(1, flat.shape[a]):
            y = y * flat[pre + (i,)]
        if self.keepdims:
            y = y.unsqueeze(a)
        return y

    def forward(self, x):
        self.x = x
        return x.prod(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        xp, x, axis = self.xp, self.x, self.axis
        flat = x.reshape(-1) if axis is None else x
        a, n = (0 if axis is None else axis), (x.size if axis is None else x.shape[axis])

        def along(s):  # index `s` along the reduced axis
            return tuple(s if d == a else slice(None) for d in range(flat.ndim))

        ones = xp.ones_like(flat[along(slice(0, 1))])
        # the products of the elements before and after each one: their product is dy/dx_i
        before = xp.cumprod(xp.concatenate([ones, flat[along(slice(0, n - 1))]], axis=a), axis=a)
        rev = xp.flip(flat, axis=a)
        after = xp.flip(xp.cumprod(xp.concatenate([ones, rev[along(slice(0, n - 1))]], axis=a), axis=a), axis=a)
        g = keep_reduced_dims(gy, x.shape, None if axis is None else (axis,), self.keepdims)
        return (before * after).reshape(x.shape) * g


def prod(x: Tensor, dim=None, keepdim=False, dtype=None) -> Tensor:
    """Product of all elements, or along one int `dim`."""
    if dtype is not None:
        x = x.to(dtype=dtype)
    axis = None if dim is None or x.ndim == 0 else one_dim(x, dim)
    return Prod(axis, bool(keepdim) and axis is not None)(x)


class CumSum(Function):
    """y_i = x_0 + ... + x_i along an axis; gx is the reversed cumulative sum of gy"""

    double_backward = "linear"

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return x.cumsum(axis=self.axis)

    def backward(self, gy):
        xp = self.xp
        return xp.flip(xp.flip(gy, axis=self.axis).cumsum(axis=self.axis), axis=self.axis)


def _cumulative_input(x: Tensor, dtype) -> Tensor:
    """cumsum's and cumprod's input: cast to `dtype` if given, else integers and bools to int64 (torch's rule)."""
    if dtype is not None:
        return x.to(dtype=dtype)
    return x.to(dtype=np.int64) if x.dtype.kind in "biu" else x


def cumsum(x: Tensor, dim: int, dtype=None) -> Tensor:
    """Cumulative sum along `dim` (integers and bools give int64, as torch)."""
    x = _cumulative_input(x, dtype)
    return x.clone() if x.ndim == 0 else CumSum(one_dim(x, dim))(x)


class CumProd(Function):
    """y_i = x_0 * ... * x_i along an axis; gx_i = sum over k >= i of gy_k times the product of
    x_0..x_k without x_i. Without zeros that is the reversed cumulative sum of gy*y, over x_i.
    In a slice with zeros, that division is only right before the first zero z; after z every
    such product holds x_z = 0, so gx is 0; at z itself it is computed without dividing:
    (x_0 ... x_(z-1)) * sum over k >= z of gy_k * x_(z+1) ... x_k (exact, as PyTorch)"""

    # backward(create_graph=True) differentiates the running products as multiplications
    double_backward = "composed"

    def __init__(self, axis):
        self.axis = axis

    def composed(self, x):
        from .shape import stack

        pre = (slice(None),) * self.axis
        ys = [x[pre + (0,)]]
        for i in range(1, x.shape[self.axis]):
            ys.append(ys[-1] * x[pre + (i,)])
        return stack(ys, self.axis)

    def forward(self, x):
        self.x = x
        self.y = self.xp.cumprod(x, axis=self.axis)
        return self.y

    def backward(self, gy):
        xp, x, a = self.xp, self.x, self.axis

        def rcumsum(v):  # sum over k >= i
            return xp.flip(xp.flip(v, axis=a).cumsum(axis=a), axis=a)

        # both formulas everywhere, then a selection: no device->host sync to ask for zeros
        zero = x == 0
        zeros_so_far = zero.cumsum(axis=a)
        before, first = zeros_so_far == 0, zero & (zeros_so_far == 1)
        g = rcumsum(gy * self.y) / xp.where(zero, 1, x)  # right before the first zero
        prefix = xp.cumprod(xp.where(before, x, 1), axis=a)  # x_0 ... x_(z-1), at z
        after = xp.cumprod(xp.where(before | first, 1, x), axis=a)  # x_(z+1) ... x_k, at k >= z
        at_first = prefix * rcumsum(xp.where(before, 0, gy * after))
        return xp.where(before, g, xp.where(first, at_first, 0))


def cumprod(x: Tensor, dim: int, dtype=None) -> Tensor:
    """Cumulative product along `dim` (integers and bools give int64, as torch); the gradient
    is exact at zeros. Same as torch.cumprod.

    >>> import minigrad
    >>> minigrad.tensor([1.0, 2.0, 3.0, 4.0]).cumprod(0)
    tensor([ 1.,  2.,  6., 24.])
    """
    x = _cumulative_input(x, dtype)
    return x.clone() if x.ndim == 0 else CumProd(one_dim(x, dim))(x)


class NoDerivative(Function):
    """y = values computed from x by an op without a derivative (unique). Recorded so that a
    backward through it raises, as in PyTorch, rather than silently giving x no gradient."""

    def __init__(self, name: str, values):
        self.name, self.values = name, values

    def forward(self, x):
        return self.values

    def backward(self, gy):
        raise RuntimeError(f"the derivative for {self.name} is not implemented (as in PyTorch); "
                           f"detach() its input if no gradient is wanted through it")


def unique(x: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim=None):
    """The distinct values of x, in ascending order (also with sorted=False, which PyTorch allows),
    flattened, or the distinct slices along `dim`. With `return_inverse` also the index of
    each element (each slice) in the result; with `return_counts` how often each occurs. As
    torch.unique: no gradient (a backward through it raises).

    >>> import minigrad
    >>> minigrad.tensor([3, 1, 3, 2]).unique(return_inverse=True, return_counts=True)
    (tensor([1, 2, 3]), tensor([2, 0, 2, 1]), tensor([1, 1, 2]))
    """
    xp = backend.get_array_module(x.array)
    axis = None if dim is None else one_dim(x, dim)
    # each NaN is distinct, as in torch (NumPy would merge them)
    nans = {"equal_nan": False} if x.dtype.kind == "f" else {}
    values, inverse, counts = xp.unique(x.array, return_inverse=True, return_counts=True, axis=axis, **nans)
    out = NoDerivative("unique", values)(x) if x.requires_grad else Tensor._from_data(values)
    if not (return_inverse or return_counts):
        return out
    result = (out,)
    if return_inverse:  # the shape of x (of dim), whatever NumPy's version returns
        shape = x.shape if axis is None else (x.shape[axis],)
        result += (Tensor._from_data(inverse.reshape(shape).astype(np.int64, copy=False)),)
    if return_counts:
        result += (Tensor._from_data(counts.astype(np.int64, copy=False)),)
    return result


class Norm(Function):
    """y = (sum |x|^p)^(1/p) over axes; p = inf / -inf: max / min of |x|.
    dy/dx = sign(x) |x|^(p-1) / y^(p-1) (p = 2: x / y; p = 1: sign x); for +-inf the elements
    that reach the extreme share the gradient of sign(x) equally. Where y = 0 the gradient is 0,
    as PyTorch's (the 2-norm of an all-zero vector has gradient 0, not NaN)."""

    def __init__(self, p: float, axes, keepdims):
        self.p, self.axes, self.keepdims = p, axes, keepdims
        self.extreme = p in (np.inf, -np.inf)  # max (inf) or min (-inf) of |x|

    def forward(self, x):
        xp, p, a = self.xp, self.p, self.xp.abs(x)
        self.x = x
        if p == 0:  # the count of nonzeros
            y = (x != 0).sum(axis=self.axes, keepdims=True).astype(x.dtype)
        elif self.extreme:
            y = (a.max if p > 0 else a.min)(axis=self.axes, keepdims=True)
        elif p == 1:
            y = a.sum(axis=self.axes, keepdims=True)
        elif p == 2:
            y = xp.sqrt((x * x).sum(axis=self.axes, keepdims=True))
        else:
            y = (a ** x.dtype.type(p)).sum(axis=self.axes, keepdims=True) ** x.dtype.type(1 / p)
        self.y = y
        return y if self.keepdims else squeeze_reduced(y, self.axes)

    def backward(self, gy):
        xp, p, x, y = self.xp, self.p, self.x, self.y
        gy = keep_reduced_dims(gy, x.shape, self.axes, self.keepdims)
        if p == 0:  # piecewise constant (torch leaves the gradient undefined; here zeros)
            return xp.zeros_like(x)
        if self.extreme:
            hit = xp.abs(x) == y
            share = hit / hit.sum(axis=self.axes, keepdims=True)
            return (gy * xp.sign(x) * share).astype(x.dtype, copy=False)
        if p == 1:
            return gy * xp.sign(x)
        safe = xp.where(y == 0, xp.ones_like(y), y)  # y = 0 only where x = 0 there: gradient 0
        if p == 2:
            return xp.where(y == 0, xp.zeros_like(x), gy * x / safe)
        ratio = xp.abs(x) / safe  # |x|^(p-1) / y^(p-1) as (|x|/y)^(p-1): no overflow
        with np.errstate(divide="ignore"):  # 0^(p-1) for p < 1 is inf; sign(0) = 0 makes it 0
            g = gy * xp.sign(x) * xp.where(x == 0, xp.zeros_like(x), ratio ** x.dtype.type(p - 1))
        return xp.where(y == 0, xp.zeros_like(x), g)


def norm(x: Tensor, p="fro", dim=None, keepdim=False, dtype=None) -> Tensor:
    """The vector p-norm of x over `dim` (all elements when None), as torch.norm /
    torch.linalg.vector_norm: p = 2 or "fro" (the default), 1, inf, -inf, 0 (the count of
    nonzeros, zero gradient) or any other positive number. Differentiable; float32 stays float32.

    >>> import minigrad
    >>> minigrad.tensor([[3.0, 4.0], [6.0, 8.0]]).norm(dim=1)
    tensor([ 5., 10.])
    """
    if dtype is not None:
        from .elementwise import cast
        x = cast(x, dtype)
    if x.dtype.kind != "f":
        raise TypeError(f"norm: needs a floating-point tensor, got {x.dtype}")
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str) or isinstance(p, builtins.bool) or not isinstance(p, (int, float)):
        raise ValueError(f"norm: p={p!r} is not supported (vector norms only: 'fro', a number, inf or -inf)")
    axes, keepdim = reduce_args(x, dim, keepdim, {})
    if x.size == 0 and p in (np.inf, -np.inf):
        raise RuntimeError(f"norm: p={p} of an empty tensor of shape {tuple(x.shape)} is undefined")
    if p < 0 and p != -np.inf:
        raise ValueError(f"norm: p={p} is not supported (negative p other than -inf)")
    return Norm(float(p), axes, keepdim)(x)


def all(x: Tensor, dim=None, keepdim=False) -> Tensor:  # noqa: A001  (torch's name)
    """`torch.all(x)`: True where every element (along dim) is nonzero; a bool tensor without grad.

    >>> import minigrad
    >>> minigrad.all(minigrad.tensor([1.0, 0.0]) == minigrad.tensor([1.0, 2.0])).item()
    False
    """
    return x.all(dim, keepdim)


def any(x: Tensor, dim=None, keepdim=False) -> Tensor:  # noqa: A001
    """`torch.any(x)`: True where some element (along dim) is nonzero; a bool tensor without grad."""
    return x.any(dim, keepdim)
