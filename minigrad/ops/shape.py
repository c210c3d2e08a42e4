"""Shape ops: movement (reshape, permute, expand, ...) and indexing and joining (getitem, cat,
stack, pad). Views share their base's in-place counter, as in PyTorch."""

from __future__ import annotations

import builtins

import numpy as np

from .. import backend, dtypes
from ..autograd import Function
from ..tensor import Tensor, shape_tuple
from .elementwise import cast
from .reduce import normalize_dims


def _view(out: Tensor, x: Tensor) -> Tensor:
    """If `out` shares x's memory (NumPy/CuPy returned a view, not a copy), let it share x's
    in-place counter too, so a change through either one is seen by a graph that saved the
    other, as detach() does."""
    if getattr(out.array, "base", None) is not None and backend.memory_owner(out.array) is backend.memory_owner(x.array):
        out._versions = x._versions
    return out


class Reshape(Function):
    """y = x with a new shape"""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.x_shape)


def reshape(x: Tensor, *shape) -> Tensor:
    """x with shape `shape` (one entry may be -1). `x.reshape(2, 3)` or `x.reshape((2, 3))`."""
    shape = shape_tuple(shape)
    n, known = x.array.size, int(np.prod([s for s in shape if s != -1]))
    if shape.count(-1) > 1 or (-1 in shape and (known == 0 or n % known)) or (
        -1 not in shape and known != n
    ):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} to {shape}")
    return _view(Reshape(shape)(x), x)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one."""
    if x.ndim == 0:  # dims -1 and 0 name the one (virtual) dim of a 0-d tensor, as in PyTorch
        normalize_dims(start_dim, 0), normalize_dims(end_dim, 0)
        return reshape(x, 1)
    s, e = normalize_dims(start_dim, x.ndim)[0], normalize_dims(end_dim, x.ndim)[0]  # range-checked, never wrapped
    merged = int(np.prod(x.shape[s:e + 1]))  # not -1: it cannot be inferred when x is empty
    return reshape(x, x.shape[:s] + (merged,) + x.shape[e + 1:])


class Permute(Function):
    """y = x with its axes reordered"""

    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        return x.transpose(self.dims)

    def backward(self, gy):
        return gy.transpose(tuple(np.argsort(self.dims)))  # the inverse permutation


def permute(x: Tensor, *dims) -> Tensor:
    """x with its dims reordered, e.g. `x.permute(0, 2, 1)`."""
    dims = shape_tuple(dims)
    if sorted(d + x.ndim if d < 0 else d for d in dims) != list(range(x.ndim)):  # no wrap-around
        raise ValueError(f"permute: {dims} is not a permutation of the {x.ndim} dims of {x.shape}")
    return _view(Permute(tuple(d % x.ndim for d in dims))(x), x)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """x with dims dim0 and dim1 swapped."""
    dims = list(range(x.ndim))
    if x.ndim:
        dim0, dim1 = normalize_dims(dim0, x.ndim)[0], normalize_dims(dim1, x.ndim)[0]  # IndexError naming the dim
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return permute(x, dims)


class Expand(Function):
    """y = x broadcast to a larger shape (a read-only view)"""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return self.xp.broadcast_to(x, self.shape)

    def backward(self, gy):
        return gy  # the engine sums it back to x's shape


def expand(x: Tensor, *shape) -> Tensor:
    """x broadcast to `shape` (-1 keeps a dim), without copying."""
    shape = shape_tuple(shape)
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
    axes = normalize_dims(dim, x.ndim)
    shape = tuple(n for i, n in enumerate(x.shape) if not (n == 1 and (axes is None or i in axes)))
    return reshape(x, shape)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """x with a new size-1 dim at `dim`."""
    if not -x.ndim - 1 <= dim <= x.ndim:
        raise IndexError(f"unsqueeze: dim {dim} is out of range for a tensor of shape {x.shape}")
    dim = dim % (x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def index_data(index):
    """`index` with the tensors inside it replaced by their arrays (for getitem and
    Tensor.__setitem__)."""
    if isinstance(index, tuple):
        return tuple(i.array if isinstance(i, Tensor) else i for i in index)
    return index.array if isinstance(index, Tensor) else index


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


def getitem(x: Tensor, index) -> Tensor:
    """x[index]: ints, slices, None, Ellipsis, integer or bool arrays/tensors. The backward of an
    integer-array index is a scatter-add, so repeated indices accumulate."""
    index = index_data(index)
    try:
        return _view(GetItem(index)(x), x)
    except IndexError as e:
        raise IndexError(f"index {index!r} is invalid for a tensor of shape {x.shape}: {e}") from None


def _check_join(name, tensors):
    if len(tensors) == 0:
        raise ValueError(f"{name}: expected a non-empty sequence of tensors")
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    dtype = dtypes.join_dtype([t.dtype for t in tensors])
    return [t if t.dtype == dtype else cast(t, dtype) for t in tensors]


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


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; all other dims must match."""
    tensors = _check_join("cat", tensors)
    ref = tensors[0]
    axis = normalize_dims(dim, ref.ndim)[0]
    for t in tensors:
        if t.ndim != ref.ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, ref.shape)) if i != axis):
            raise ValueError(f"cat: shapes {[u.shape for u in tensors]} differ outside dim {dim}")
    return Cat(axis)(*tensors)


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


def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = _check_join("stack", tensors)
    if any(t.shape != tensors[0].shape for t in tensors):
        raise ValueError(f"stack: all shapes must be equal, got {[t.shape for t in tensors]}")
    return Stack(normalize_dims(dim, tensors[0].ndim + 1)[0])(*tensors)  # a new dim: ndim + 1 places


class Pad(Function):
    """y = x with constant padding"""

    def __init__(self, widths, value):
        self.widths, self.value = widths, value

    def forward(self, x):
        return self.xp.pad(x, self.widths, mode="constant", constant_values=self.value)

    def backward(self, gy):
        return gy[tuple(slice(lo, n - hi) for (lo, hi), n in zip(self.widths, gy.shape))]


def pad(x: Tensor, pad, value=0.0) -> Tensor:
    """Constant padding, PyTorch's F.pad order: `pad` = (left, right) for the last dim, then
    (top, bottom) for the one before, and so on."""
    if len(pad) % 2 or len(pad) // 2 > x.ndim or any(p < 0 for p in pad):
        raise ValueError(f"pad: {pad} must be non-negative pairs for at most {x.ndim} dims")
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (int(pad[2 * k]), int(pad[2 * k + 1]))
    return Pad(tuple(widths), value)(x)
