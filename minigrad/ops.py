"""Differentiable primitive ops, sorted by increasing complexity.

Each op is a `Function` subclass (CamelCase, the math in its docstring) plus a lowercase
function that users call. `forward` and `backward` see raw arrays and use `self.xp`, never
NumPy directly, so the same code runs on CuPy. Gradients are returned at the broadcast shape:
the engine (`autograd.unbroadcast`) sums them back to each input's shape.

Sections: helpers | elementwise | activations | reductions | movement | indexing and joining |
linear algebra | softmax family | ops without gradient.
"""

from __future__ import annotations

import builtins
import contextlib

import numpy as np

from . import backend
from .autograd import Function, _new_tensor, _owner
from .tensor import Tensor, _default_float

# ***** helpers: turning Python numbers into tensors, dtype promotion *****


def _const(value) -> Tensor:
    """A constant operand that does not require grad. NumPy scalars (np.float32(2.0)) mix with
    arrays of any device, so constants never need a host->device copy."""
    return _new_tensor(value, False)


def _scalar_dtype(value, ref_dtype):
    """PyTorch's rule: a Python/NumPy number or 0-d array takes the tensor's dtype, unless the
    tensor holds integers and the number is a float (then the default float dtype)."""
    kind = (value.dtype if hasattr(value, "dtype") else np.asarray(value).dtype).kind
    if ref_dtype.kind in "iub" and kind == "f":
        return _default_float
    if ref_dtype.kind == "b" and kind in "iu":
        return np.dtype("int64")
    return ref_dtype


def _to_tensor(value, ref: Tensor) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if getattr(value, "ndim", 0) > 0:  # a whole array: its own dtype and device
        return Tensor(value)
    # NOTE: NumPy 2 (NEP 50) would promote float32 * np.float64(0.5) to float64; casting the
    # number to the tensor's dtype first keeps float32 float32 (R2.7). A 0-d array is cast where
    # it lives (a CuPy one would need a device->host sync to become a NumPy scalar).
    dtype = _scalar_dtype(value, ref.dtype)
    return _const(value.astype(dtype)[()] if hasattr(value, "astype") else dtype.type(value))


def _promote(a: Tensor, b: Tensor):
    """Bring two tensors to one dtype the way PyTorch does: floats beat integers, and a 0-d
    tensor does not widen a dimensioned tensor of the same kind."""
    da, db = a.dtype, b.dtype
    if da == db:
        return a, b
    fa, fb = da.kind == "f", db.kind == "f"
    if fa != fb:
        dt = da if fa else db
    elif a.ndim == 0 and b.ndim > 0:
        dt = db
    elif b.ndim == 0 and a.ndim > 0:
        dt = da
    else:
        dt = np.promote_types(da, db)
    return (a if da == dt else cast(a, dt)), (b if db == dt else cast(b, dt))


def _operands(a, b):
    if not isinstance(a, Tensor):
        a = _to_tensor(a, b)
    elif not isinstance(b, Tensor):
        b = _to_tensor(b, a)
    return _promote(a, b)


def _quiet(xp):
    """Underflow to 0 is the right answer in the stable ops below (exp(-1000)); silence NumPy's
    warning or FloatingPointError for it."""
    errstate = getattr(xp, "errstate", None)
    return errstate(under="ignore") if errstate else contextlib.nullcontext()


def _axes(dim, ndim: int, axis=None):
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


def _reduce_args(x: Tensor, dim, keepdim, aliases):
    unknown = set(aliases) - {"axis", "keepdims"}
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {sorted(unknown)}")
    keepdim = aliases.get("keepdims", keepdim)
    axes = _axes(dim, x.ndim, aliases.get("axis"))
    if x.ndim == 0:
        axes = None
    return axes, bool(keepdim)


def _keep(gy, x_shape, axes, keepdims):
    """Reshape a reduction's gradient so that it broadcasts against the input."""
    if axes is None:
        return gy.reshape((1,) * len(x_shape))
    if not keepdims:
        gy = gy.reshape(tuple(1 if i in axes else n for i, n in enumerate(x_shape)))
    return gy


def _drop(y, axes):
    """Remove the reduced (size-1) axes that keepdims=True left in `y`."""
    return y.reshape(tuple(n for i, n in enumerate(y.shape) if axes is not None and i not in axes))


def _count(shape, axes) -> int:
    return int(np.prod([shape[i] for i in axes] if axes is not None else shape))


# ***** elementwise *****


class Add(Function):
    """y = a + b"""

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Function):
    """y = a - b"""

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, (-gy if self.needs_input_grad[1] else None)


class Mul(Function):
    """y = a * b"""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        return (gy * self.b if self.needs_input_grad[0] else None,
                gy * self.a if self.needs_input_grad[1] else None)


class Div(Function):
    """y = a / b"""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        ga = gy / self.b                                            # dy/da = 1/b
        gb = -ga * self.a / self.b if self.needs_input_grad[1] else None  # dy/db = -a/b^2
        return ga, gb


class Neg(Function):
    """y = -x"""

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class PowScalar(Function):
    """y = x ** p for a constant number p"""

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        self.x = x
        return x**self.p

    def backward(self, gy):
        if self.p == 0:
            return gy * 0
        return gy * self.p * self.x ** (self.p - 1)  # dy/dx = p x^(p-1)


class Pow(Function):
    """y = a ** b, both tensors"""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = a**b
        return self.y

    def backward(self, gy):
        ga = gy * self.b * self.a ** (self.b - 1) if self.needs_input_grad[0] else None
        gb = gy * self.y * self.xp.log(self.a) if self.needs_input_grad[1] else None  # a^b ln a
        return ga, gb


class Exp(Function):
    """y = e^x"""

    def forward(self, x):
        self.y = self.xp.exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y  # dy/dx = y


class Log(Function):
    """y = ln x"""

    def forward(self, x):
        self.x = x
        return self.xp.log(x)

    def backward(self, gy):
        return gy / self.x


class Sqrt(Function):
    """y = sqrt(x)"""

    def forward(self, x):
        self.y = self.xp.sqrt(x)
        return self.y

    def backward(self, gy):
        return gy / (2 * self.y)  # dy/dx = 1 / (2 sqrt(x)); inf at 0, as in PyTorch


class Abs(Function):
    """y = |x|"""

    def forward(self, x):
        self.x = x
        return self.xp.abs(x)

    def backward(self, gy):
        return gy * self.xp.sign(self.x)  # subgradient 0 at 0


class Maximum(Function):
    """y = max(a, b) elementwise. NOTE: on ties the gradient goes to b, so that
    maximum(x, 0) has the same subgradient at 0 as relu (0); PyTorch splits ties 0.5/0.5."""

    def forward(self, a, b):
        self.a_wins = a > b
        return self.xp.maximum(a, b)

    def backward(self, gy):
        xp = self.xp
        return (xp.where(self.a_wins, gy, 0) if self.needs_input_grad[0] else None,
                xp.where(self.a_wins, 0, gy) if self.needs_input_grad[1] else None)


class Minimum(Function):
    """y = min(a, b) elementwise; on ties the gradient goes to b (see Maximum)."""

    def forward(self, a, b):
        self.a_wins = a < b
        return self.xp.minimum(a, b)

    def backward(self, gy):
        xp = self.xp
        return (xp.where(self.a_wins, gy, 0) if self.needs_input_grad[0] else None,
                xp.where(self.a_wins, 0, gy) if self.needs_input_grad[1] else None)


class Clip(Function):
    """y = min(max(x, lo), hi). NOTE: the gradient is 1 strictly inside (lo, hi) and 0 at the
    bounds, so clip(x, 0) matches relu at 0; PyTorch's clamp passes the gradient at the bounds."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        inside = True
        if self.lo is not None:
            inside = x > self.lo
        if self.hi is not None:
            inside = inside & (x < self.hi)
        self.inside = inside
        return self.xp.clip(x, self.lo, self.hi)

    def backward(self, gy):
        return self.xp.where(self.inside, gy, 0)


class Where(Function):
    """y = a where cond else b (cond is a constant boolean array)"""

    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        return self.xp.where(self.cond, a, b)

    def backward(self, gy):
        xp = self.xp
        return (xp.where(self.cond, gy, 0) if self.needs_input_grad[0] else None,
                xp.where(self.cond, 0, gy) if self.needs_input_grad[1] else None)


class Cast(Function):
    """y = x converted to another dtype"""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.in_dtype)


class ToDevice(Function):
    """y = x copied to another device"""

    def __init__(self, device):
        self.device = device

    def forward(self, x):
        self.src = backend.device_of(x)
        return backend.to_device(x, self.device)

    def backward(self, gy):
        return backend.to_device(gy, self.src)


class Clone(Function):
    """y = a copy of x"""

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


def add(a, b) -> Tensor:
    """a + b with broadcasting; either side may be a Python number."""
    return Add()(*_operands(a, b))


def sub(a, b) -> Tensor:
    """a - b with broadcasting."""
    return Sub()(*_operands(a, b))


def mul(a, b) -> Tensor:
    """a * b with broadcasting."""
    return Mul()(*_operands(a, b))


def div(a, b) -> Tensor:
    """a / b with broadcasting; true division (integers give floats, as in PyTorch)."""
    a, b = _operands(a, b)
    if a.dtype.kind != "f":
        a, b = cast(a, _default_float), cast(b, _default_float)
    return Div()(a, b)


def neg(x) -> Tensor:
    return Neg()(x)


def pow(a, b) -> Tensor:
    """a ** b. A number exponent is kept as a constant (exact derivative p x^(p-1))."""
    if isinstance(a, Tensor) and not isinstance(b, Tensor) and np.ndim(b) == 0:
        return PowScalar(b.item() if hasattr(b, "item") else b)(a)
    return Pow()(*_operands(a, b))


def _floating(x: Tensor) -> Tensor:
    """Integer input of exp, log, ... computes in the default float dtype, as PyTorch does
    (NumPy would give float64, R2.7)."""
    return x if x.dtype.kind == "f" else cast(x, _default_float)


def exp(x) -> Tensor:
    return Exp()(_floating(x))


def log(x) -> Tensor:
    return Log()(_floating(x))


def sqrt(x) -> Tensor:
    return Sqrt()(_floating(x))


def abs(x) -> Tensor:
    return Abs()(x)


def maximum(a, b) -> Tensor:
    """Elementwise maximum; on ties the gradient goes to `b`."""
    return Maximum()(*_operands(a, b))


def minimum(a, b) -> Tensor:
    """Elementwise minimum; on ties the gradient goes to `b`."""
    return Minimum()(*_operands(a, b))


def clip(x, min=None, max=None) -> Tensor:
    """Clamp x to [min, max]; the gradient is zero at and beyond the bounds."""
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    t = x.dtype.type
    return Clip(None if min is None else t(min), None if max is None else t(max))(x)


clamp = clip


def where(cond, a, b) -> Tensor:
    """Elementwise `a if cond else b`; `cond` is a bool tensor or array (no gradient)."""
    cond = cond.data if isinstance(cond, Tensor) else cond
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError("where: at least one of a and b must be a Tensor")
    a, b = _operands(a, b)
    return Where(cond)(a, b)


def cast(x: Tensor, dtype) -> Tensor:
    """x converted to `dtype` (differentiable between float dtypes)."""
    if isinstance(x.data, np.generic):  # a constant number stays a number (it fits any device)
        return _const(np.dtype(dtype).type(x.data))
    return Cast(np.dtype(dtype))(x)


def to_device(x: Tensor, device: str) -> Tensor:
    return ToDevice(device)(x)


def clone(x: Tensor) -> Tensor:
    return Clone()(x)


# ***** activations *****


class Tanh(Function):
    """y = tanh(x)"""

    def forward(self, x):
        self.y = self.xp.tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)  # dy/dx = 1 - y^2


class Sigmoid(Function):
    """y = 1 / (1 + e^-x), computed without overflow: e^-|x| never exceeds 1."""

    def forward(self, x):
        xp = self.xp
        with _quiet(xp):
            e = xp.exp(-xp.abs(x))
            self.y = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return self.y

    def backward(self, gy):
        return gy * self.y * (1 - self.y)  # dy/dx = y (1 - y)


class ReLU(Function):
    """y = max(x, 0); subgradient 0 at 0 (as PyTorch)."""

    def forward(self, x):
        self.mask = x > 0
        return self.xp.maximum(x, 0)

    def backward(self, gy):
        return gy * self.mask


class LeakyReLU(Function):
    """y = x if x > 0 else slope * x"""

    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        self.mask = x > 0
        return self.xp.where(self.mask, x, x * self.slope)

    def backward(self, gy):
        return self.xp.where(self.mask, gy, gy * self.slope)


def tanh(x) -> Tensor:
    """Hyperbolic tangent; exact and warning-free at +-1000. Same as torch.tanh."""
    return Tanh()(_floating(x))


def sigmoid(x) -> Tensor:
    """1 / (1 + e^-x), without overflow for large |x|. Same as torch.sigmoid."""
    return Sigmoid()(_floating(x))


def relu(x) -> Tensor:
    """max(x, 0); gradient 0 at 0. Same as torch.nn.functional.relu."""
    return ReLU()(x)


def leaky_relu(x, negative_slope: float = 0.01) -> Tensor:
    """x if x > 0 else negative_slope * x. Same as torch.nn.functional.leaky_relu."""
    return LeakyReLU(x.dtype.type(negative_slope))(x)


# ***** reductions *****


class Sum(Function):
    """y = sum of x over axes"""

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        return self.xp.broadcast_to(_keep(gy, self.x_shape, self.axes, self.keepdims), self.x_shape)


class Mean(Function):
    """y = mean of x over axes"""

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        gy = _keep(gy, self.x_shape, self.axes, self.keepdims) / _count(self.x_shape, self.axes)
        return self.xp.broadcast_to(gy, self.x_shape)


class Max(Function):
    """y = max of x over axes. NOTE: ties share the gradient equally (PyTorch's amax)."""

    def __init__(self, axes, keepdims, fn="max"):
        self.axes, self.keepdims, self.fn = axes, keepdims, fn

    def forward(self, x):
        y = getattr(x, self.fn)(axis=self.axes, keepdims=True)
        self.mask = x == y
        return y if self.keepdims else _drop(y, self.axes)

    def backward(self, gy):
        gy = _keep(gy, self.mask.shape, self.axes, self.keepdims)
        count = self.mask.sum(axis=self.axes, keepdims=True, dtype=gy.dtype)
        return self.mask * (gy / count)


class Var(Function):
    """y = sum((x - mean)^2) / (n - correction) over axes. With n <= correction the result is
    NaN, as in PyTorch."""

    def __init__(self, axes, keepdims, correction, sqrt=False):
        self.axes, self.keepdims, self.correction, self.sqrt = axes, keepdims, correction, sqrt

    def forward(self, x):
        xp = self.xp
        self.d = x - x.mean(axis=self.axes, keepdims=True)  # two-pass: no E[x^2] - E[x]^2
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
        gy = _keep(gy, shape, self.axes, self.keepdims)
        if not self.sqrt:
            return gy * self.d * (2 / self.dof if self.dof > 0 else xp.nan)  # d var = 2 d / dof
        y = _keep(self.y, shape, self.axes, self.keepdims)
        # d std = d / (dof * std); NOTE: 0 where std == 0 (a constant input), not NaN
        safe = xp.where(y > 0, y, 1)
        return xp.where(y > 0, gy * self.d / (safe * self.dof if self.dof > 0 else xp.nan), 0)


def sum(x: Tensor, dim=None, keepdim=False, **aliases) -> Tensor:
    """Sum over `dim` (int, tuple or None for all). `axis`/`keepdims` are accepted too."""
    return Sum(*_reduce_args(x, dim, keepdim, aliases))(x)


def mean(x: Tensor, dim=None, keepdim=False, **aliases) -> Tensor:
    """Mean over `dim`."""
    if x.dtype.kind != "f":
        raise TypeError(f"mean: needs a floating-point tensor, got {x.dtype}")
    return Mean(*_reduce_args(x, dim, keepdim, aliases))(x)


def max(x: Tensor, dim=None, keepdim=False, **aliases) -> Tensor:
    """Maximum over `dim` (values only; see argmax). Ties share the gradient."""
    return Max(*_reduce_args(x, dim, keepdim, aliases), fn="max")(x)


def min(x: Tensor, dim=None, keepdim=False, **aliases) -> Tensor:
    """Minimum over `dim`. Ties share the gradient."""
    return Max(*_reduce_args(x, dim, keepdim, aliases), fn="min")(x)


def var(x: Tensor, dim=None, keepdim=False, correction=1, **aliases) -> Tensor:
    """Variance over `dim`, unbiased by default (correction=1, as in PyTorch)."""
    unbiased = aliases.pop("unbiased", None)
    if unbiased is not None:
        correction = int(unbiased)
    return Var(*_reduce_args(x, dim, keepdim, aliases), correction)(x)


def std(x: Tensor, dim=None, keepdim=False, correction=1, **aliases) -> Tensor:
    """Standard deviation over `dim`; its gradient is 0 (not NaN) for a constant input."""
    unbiased = aliases.pop("unbiased", None)
    if unbiased is not None:
        correction = int(unbiased)
    return Var(*_reduce_args(x, dim, keepdim, aliases), correction, sqrt=True)(x)


# ***** movement *****


class Reshape(Function):
    """y = x with a new shape"""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.x_shape)


class Permute(Function):
    """y = x with its axes reordered"""

    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        return x.transpose(self.dims)

    def backward(self, gy):
        return gy.transpose(tuple(np.argsort(self.dims)))  # the inverse permutation


class Expand(Function):
    """y = x broadcast to a larger shape (a read-only view)"""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return self.xp.broadcast_to(x, self.shape)

    def backward(self, gy):
        return gy  # the engine sums it back to x's shape


def _view(out: Tensor, x: Tensor) -> Tensor:
    """If `out` shares x's memory (NumPy/CuPy returned a view, not a copy), let it share x's
    in-place counter too, so a change through either one is seen by a graph that saved the
    other (R2.9), as detach() does."""
    if getattr(out.data, "base", None) is not None and _owner(out.data) == _owner(x.data):
        out._versions = x._versions
    return out


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def reshape(x: Tensor, *shape) -> Tensor:
    """x with shape `shape` (one entry may be -1). `x.reshape(2, 3)` or `x.reshape((2, 3))`."""
    shape = _shape_arg(shape)
    n, known = x.data.size, int(np.prod([s for s in shape if s != -1]))
    if shape.count(-1) > 1 or (-1 in shape and (known == 0 or n % known)) or (
        -1 not in shape and known != n
    ):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} to {shape}")
    return _view(Reshape(shape)(x), x)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one."""
    if x.ndim == 0:
        return reshape(x, 1)
    s, e = _axes(start_dim, x.ndim)[0], _axes(end_dim, x.ndim)[0]  # range-checked, never wrapped
    return reshape(x, x.shape[:s] + (-1,) + x.shape[e + 1:])


def permute(x: Tensor, *dims) -> Tensor:
    """x with its dims reordered, e.g. `x.permute(0, 2, 1)`."""
    dims = _shape_arg(dims)
    if sorted(d + x.ndim if d < 0 else d for d in dims) != list(range(x.ndim)):  # no wrap-around
        raise ValueError(f"permute: {dims} is not a permutation of the {x.ndim} dims of {x.shape}")
    return _view(Permute(tuple(d % x.ndim for d in dims))(x), x)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """x with dims dim0 and dim1 swapped."""
    dims = list(range(x.ndim))
    if x.ndim:
        dim0, dim1 = _axes(dim0, x.ndim)[0], _axes(dim1, x.ndim)[0]  # IndexError naming the dim
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return permute(x, dims)


def expand(x: Tensor, *shape) -> Tensor:
    """x broadcast to `shape` (-1 keeps a dim), without copying."""
    shape = _shape_arg(shape)
    lead = len(shape) - x.ndim
    if -1 in shape[:builtins.max(lead, 0)]:
        raise ValueError(f"expand: -1 is not allowed for a new leading dim (shape {x.shape} to {shape})")
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    try:
        np.broadcast_shapes(x.shape, shape)
    except ValueError:
        raise ValueError(f"expand: cannot expand shape {x.shape} to {shape}") from None
    return _view(Expand(shape)(x), x)


def squeeze(x: Tensor, dim=None) -> Tensor:
    """x without size-1 dims (only `dim`, if given and of size 1)."""
    axes = _axes(dim, x.ndim)
    shape = tuple(n for i, n in enumerate(x.shape) if not (n == 1 and (axes is None or i in axes)))
    return reshape(x, shape)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """x with a new size-1 dim at `dim`."""
    if not -x.ndim - 1 <= dim <= x.ndim:
        raise IndexError(f"unsqueeze: dim {dim} is out of range for a tensor of shape {x.shape}")
    dim = dim % (x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


# ***** indexing and joining *****


def _index_data(index):
    """Replace tensors inside an index by their arrays."""
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index.data if isinstance(index, Tensor) else index


def _is_basic(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


class GetItem(Function):
    """y = x[index]; basic or integer-array indexing"""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.x_shape, self.x_dtype = x.shape, x.dtype
        return x[self.index]

    def backward(self, gy):
        gx = self.xp.zeros(self.x_shape, dtype=self.x_dtype)
        if _is_basic(self.index):
            gx[self.index] = gy  # basic indexing never repeats an element
        else:
            backend.scatter_add(gx, self.index, gy)  # repeated indices accumulate
        return gx


class Cat(Function):
    """y = inputs joined along an existing axis"""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return self.xp.concatenate(xs, axis=self.axis)

    def backward(self, gy):
        bounds = np.cumsum([0] + self.sizes)
        pre = (slice(None),) * self.axis
        return tuple(gy[pre + (slice(int(s), int(e)),)] for s, e in zip(bounds[:-1], bounds[1:]))


class Stack(Function):
    """y = inputs joined along a new axis"""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.n = len(xs)
        return self.xp.stack(xs, axis=self.axis)

    def backward(self, gy):
        pre = (slice(None),) * self.axis
        return tuple(gy[pre + (i,)] for i in range(self.n))


class Pad(Function):
    """y = x with constant padding"""

    def __init__(self, widths, value):
        self.widths, self.value = widths, value

    def forward(self, x):
        return self.xp.pad(x, self.widths, mode="constant", constant_values=self.value)

    def backward(self, gy):
        return gy[tuple(slice(lo, n - hi) for (lo, hi), n in zip(self.widths, gy.shape))]


def getitem(x: Tensor, index) -> Tensor:
    """x[index]: ints, slices, None, Ellipsis, integer or bool arrays/tensors. The backward of an
    integer-array index is a scatter-add, so repeated indices accumulate."""
    index = _index_data(index)
    try:
        return _view(GetItem(index)(x), x)
    except IndexError as e:
        raise IndexError(f"index {index!r} is invalid for a tensor of shape {x.shape}: {e}") from None


def _check_join(name, tensors):
    if len(tensors) == 0:
        raise ValueError(f"{name}: expected a non-empty sequence of tensors")
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    dtypes = [t.dtype for t in tensors]
    floats = [d for d in dtypes if d.kind == "f"]  # floats beat integers, as in PyTorch (R2.7)
    dtype = np.result_type(*(floats or dtypes))
    return [t if t.dtype == dtype else cast(t, dtype) for t in tensors]


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; all other dims must match."""
    tensors = _check_join("cat", tensors)
    ref = tensors[0]
    axis = _axes(dim, ref.ndim)[0]
    for t in tensors:
        if t.ndim != ref.ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, ref.shape)) if i != axis):
            raise ValueError(f"cat: shapes {[u.shape for u in tensors]} differ outside dim {dim}")
    return Cat(axis)(*tensors)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = _check_join("stack", tensors)
    if any(t.shape != tensors[0].shape for t in tensors):
        raise ValueError(f"stack: all shapes must be equal, got {[t.shape for t in tensors]}")
    return Stack(_axes(dim, tensors[0].ndim + 1)[0])(*tensors)  # a new dim: ndim + 1 places


def pad(x: Tensor, pad, value=0.0) -> Tensor:
    """Constant padding, PyTorch's F.pad order: `pad` = (left, right) for the last dim, then
    (top, bottom) for the one before, and so on."""
    if len(pad) % 2 or len(pad) // 2 > x.ndim or any(p < 0 for p in pad):
        raise ValueError(f"pad: {pad} must be non-negative pairs for at most {x.ndim} dims")
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (int(pad[2 * k]), int(pad[2 * k + 1]))
    return Pad(tuple(widths), value)(x)


# ***** linear algebra *****


class MatMul(Function):
    """y = a @ b (batched, with NumPy's rules for 1-d operands)"""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, gy):
        xp, a, b = self.xp, self.a, self.b
        # treat 1-d operands as matrices: a (n,) -> (1, n), b (n,) -> (n, 1)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = gy[..., None] if b.ndim == 1 else gy  # give gy back the axes 1-d operands lost
        if a.ndim == 1:
            g2 = g2[..., None, :]
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = g2 @ xp.swapaxes(b2, -1, -2)  # dL/da = gy b^T
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if self.needs_input_grad[1]:
            gb = xp.swapaxes(a2, -1, -2) @ g2  # dL/db = a^T gy
            if b.ndim == 1:
                gb = gb[..., 0]
        return ga, gb


def matmul(a, b) -> Tensor:
    """Matrix product with batching and broadcasting of leading dims (`a @ b`)."""
    a, b = _operands(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least 1 dim, got shapes {a.shape} and {b.shape}")
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != k_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not line up ({a.shape[-1]} != {k_b})")
    return MatMul()(a, b)


# ***** softmax family (all shift-stable: they subtract the max first) *****


class Softmax(Function):
    """y = e^x / sum(e^x) along an axis"""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = self.xp
        with _quiet(xp):
            e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self.y = e / e.sum(axis=self.axis, keepdims=True)
        return self.y

    def backward(self, gy):
        y = self.y
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))  # J = diag(y) - y y^T


class LogSoftmax(Function):
    """y = x - logsumexp(x) along an axis"""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = self.xp
        with _quiet(xp):
            s = x - x.max(axis=self.axis, keepdims=True)
            self.y = s - xp.log(xp.exp(s).sum(axis=self.axis, keepdims=True))
        return self.y

    def backward(self, gy):
        with _quiet(self.xp):
            return gy - self.xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


class LogSumExp(Function):
    """y = log(sum(e^x)) over axes"""

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        xp = self.xp
        m = x.max(axis=self.axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)  # all -inf stays -inf instead of NaN
        with _quiet(xp):
            y = xp.log(xp.exp(x - m).sum(axis=self.axes, keepdims=True)) + m
        self.x, self.y = x, y
        return y if self.keepdims else _drop(y, self.axes)

    def backward(self, gy):
        gy = _keep(gy, self.x.shape, self.axes, self.keepdims)
        with _quiet(self.xp):
            return gy * self.xp.exp(self.x - self.y)  # dy/dx = softmax(x)


def _one_axis(x: Tensor, dim) -> int:
    return _axes(dim, x.ndim)[0] if x.ndim else 0


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """Softmax along `dim`; stable for large logits (softmax([1000, 0]) == [1, 0]).
    Same as torch.nn.functional.softmax, except that `dim` defaults to -1."""
    return Softmax(_one_axis(x, dim))(x)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """log(softmax(x)) along `dim`, computed without taking the log of a rounded 0.
    Same as torch.nn.functional.log_softmax, except that `dim` defaults to -1."""
    return LogSoftmax(_one_axis(x, dim))(x)


def logsumexp(x: Tensor, dim=None, keepdim=False) -> Tensor:
    """log(sum(exp(x))) over `dim`, shift-stable."""
    axes, keepdim = _reduce_args(x, dim, keepdim, {})
    return LogSumExp(axes, keepdim)(x)


# ***** ops without gradient *****


def argmax(x: Tensor, dim=None, keepdim=False) -> Tensor:
    """Index of the maximum (over the flattened tensor when dim is None); never requires grad."""
    axis = None if dim is None else _one_axis(x, dim)
    return Tensor(x.data.argmax(axis=axis, keepdims=keepdim))


def argmin(x: Tensor, dim=None, keepdim=False) -> Tensor:
    """Index of the minimum; never requires grad."""
    axis = None if dim is None else _one_axis(x, dim)
    return Tensor(x.data.argmin(axis=axis, keepdims=keepdim))


def compare(a, b, op: str) -> Tensor:
    """Elementwise comparison (`less`, `equal`, ...) giving a bool tensor without grad."""
    a, b = _operands(a, b)
    xp = backend.get_array_module(a.data, b.data)
    if backend.device_of(a.data) != backend.device_of(b.data) and a.ndim and b.ndim:
        raise TypeError(f"{op}: tensors on different devices ({a.device!r}, {b.device!r})")
    return Tensor(getattr(xp, op)(a.data, b.data))
