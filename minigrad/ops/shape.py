"""Shape ops: movement (reshape, permute, expand, ...) and indexing and joining (getitem, cat,
stack, pad). Views share their base's in-place counter, as in PyTorch."""

from __future__ import annotations

import builtins
import operator

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

    double_backward = "linear"

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
        raise dtypes.ShapeError(f"reshape: cannot reshape a tensor of shape {x.shape} to {shape}")
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

    double_backward = "linear"

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
        raise dtypes.ShapeError(f"permute: {dims} is not a permutation of the {x.ndim} dims of {x.shape}")
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

    double_backward = "linear"

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
        raise dtypes.ShapeError(f"expand: -1 is not allowed for a new leading dim (shape {x.shape} to {shape})")
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    try:
        np.broadcast_shapes(x.shape, shape)
    except ValueError:
        raise dtypes.ShapeError(f"expand: cannot expand shape {x.shape} to {shape}") from None
    return _view(Expand(shape)(x), x)


def broadcast_to(x: Tensor, shape) -> Tensor:
    """x broadcast to `shape` (a view; -1 keeps a dim). Same as torch.broadcast_to."""
    return expand(x, shape)


def t(x: Tensor) -> Tensor:
    """The transpose of a tensor with at most 2 dims. Same as torch.t."""
    return x.t()


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

    double_backward = "linear"

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
    tensors = [t if isinstance(t, Tensor) else Tensor._from_data(t) for t in tensors]
    dtype = dtypes.join_dtype([t.dtype for t in tensors])
    return [t if t.dtype == dtype else cast(t, dtype) for t in tensors]


class Cat(Function):
    """y = inputs joined along an existing axis"""

    double_backward = "linear"

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
            raise dtypes.ShapeError(f"cat: shapes {[u.shape for u in tensors]} differ outside dim {dim}")
    return Cat(axis)(*tensors)


class Stack(Function):
    """y = inputs joined along a new axis"""

    double_backward = "linear"

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
        raise dtypes.ShapeError(f"stack: all shapes must be equal, got {[t.shape for t in tensors]}")
    return Stack(normalize_dims(dim, tensors[0].ndim + 1)[0])(*tensors)  # a new dim: ndim + 1 places


class Pad(Function):
    """y = x with constant padding"""

    double_backward = "linear"

    def __init__(self, widths, value):
        self.widths, self.value = widths, value

    def forward(self, x):
        return self.xp.pad(x, self.widths, mode="constant", constant_values=self.value)

    def linear_part(self):  # x -> pad(x) is affine: its linear part pads with zeros
        return Pad(self.widths, 0)

    def backward(self, gy):
        return gy[tuple(slice(lo, n - hi) for (lo, hi), n in zip(self.widths, gy.shape))]


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(x: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    """Pad the last dims, PyTorch's F.pad: `pad` = (left, right) for the last dim, then (top,
    bottom) for the one before, and so on; a negative width crops.

    mode 'constant' fills with `value` (0 by default); 'reflect' mirrors without repeating the
    edge, 'replicate' repeats the edge, 'circular' wraps around. The last three pad 1 to 3
    dims of a batched or unbatched input (N, C, ...) or (C, ...), as in PyTorch.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.tensor([[1.0, 2.0, 3.0]])
    >>> F.pad(x, (2, 1), mode="reflect")
    tensor([[3., 2., 1., 2., 3., 2.]])
    >>> F.pad(x, (1, -1), value=9.0)  # a negative width crops
    tensor([[9., 1., 2.]])
    """
    k = len(pad) // 2
    if len(pad) % 2 or k > x.ndim or any(int(p) != p for p in pad):
        raise ValueError(f"pad: {pad} must be pairs of integers for at most {x.ndim} dims (input {x.shape})")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    widths = [(0, 0)] * x.ndim
    for i in range(k):
        widths[x.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if mode != "constant":
        if value:
            raise ValueError(f"pad: value is for mode 'constant' only, got value={value} with mode {mode!r}")
        if not 1 <= k <= 3 or x.ndim not in (k + 1, k + 2):
            raise NotImplementedError(f"pad: mode {mode!r} pads 1 to 3 dims of an input with one or two more "
                                      f"dims (C, ...) or (N, C, ...); got {len(pad)} widths for a {x.ndim}-d input")
        return _pad_by_index(x, widths, mode)
    if any(lo < 0 or hi < 0 for lo, hi in widths):  # crop first, then pad what is left
        if any(n + min(lo, 0) + min(hi, 0) < 0 for (lo, hi), n in zip(widths, x.shape)):
            raise ValueError(f"pad: cropping {pad} removes more than the input's shape {x.shape}")
        x = x[tuple(slice(-min(lo, 0), n + min(hi, 0)) for (lo, hi), n in zip(widths, x.shape))]
        widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    return Pad(tuple(widths), 0.0 if value is None else value)(x)


def _pad_by_index(x: Tensor, widths, mode: str) -> Tensor:
    """Reflect, replicate and circular padding as a gather along each padded dim: output
    position j (from -left to n + right) reads input position src(j) (a negative width crops).
    The gather's backward adds up the positions read more than once."""
    for d, (lo, hi) in enumerate(widths):
        if lo == hi == 0:
            continue
        if mode == "circular" and min(lo, hi) < 0:  # PyTorch crops first, then wraps what is left
            x = getitem(x, (slice(None),) * d + (slice(-min(lo, 0), x.shape[d] + min(hi, 0)),))
            lo, hi = max(lo, 0), max(hi, 0)
        n = x.shape[d]
        limit = {"reflect": n - 1, "circular": n, "replicate": None}[mode]
        if limit is not None and max(lo, hi) > limit:
            raise ValueError(f"pad: mode {mode!r} needs widths of at most {limit} for dim {d} of size {n} "
                             f"(input {x.shape}), got ({lo}, {hi})")
        if n == 0:
            raise ValueError(f"pad: mode {mode!r} cannot pad dim {d} of size 0 (input {x.shape})")
        j = np.arange(-lo, n + hi)
        if mode == "reflect":
            j = np.abs(j)
            j = np.where(j > n - 1, 2 * (n - 1) - j, j)
        src = np.clip(j, 0, n - 1) if mode == "replicate" else j % n
        x = getitem(x, (slice(None),) * d + (backend.to_device(src, x.device),))
    return x


class IndexPut(Function):
    """y = x with y[index] = v (v broadcast); gx = gy with the written places zeroed, gv = gy at
    them. The graph node of `t[index] = v`, fill_ and copy_ inside a graph."""

    double_backward = "linear"

    def __init__(self, index):
        self.index = index

    def forward(self, x, v):
        self.v_ndim = v.ndim
        y = x.copy()
        y[self.index] = v
        return y

    def backward(self, gy):
        gx = gv = None
        if self.needs_input_grad[0]:
            gx = gy.copy()
            gx[self.index] = 0
        if self.needs_input_grad[1]:
            gv = gy[self.index]
            if gv.ndim < self.v_ndim:  # v had leading size-1 dims that the assignment dropped
                gv = gv.reshape((1,) * (self.v_ndim - gv.ndim) + gv.shape)
        return gx, gv


def index_put(x: Tensor, index, value) -> Tensor:
    """x with `value` written at `index`, out of place (what `x[index] = value` records)."""
    from .elementwise import to_tensor

    v = to_tensor(value, x)
    if v.device != x.device:
        v = Tensor._from_data(backend.to_device(v.array, x.device))
    if v.dtype != x.dtype:
        v = cast(v, x.dtype)
    return IndexPut(index_data(index))(x, v)


# ***** gathering along a dim: gather, index_select, scatter, masked_fill *****


def _along(xp, index, dim):
    """The full index tuple that picks x[..., index[i, j, ...], ...] along `dim`: index at
    `dim`, the position itself at every other axis (torch.gather's addressing)."""
    nd = index.ndim
    return tuple(
        index if d == dim else xp.arange(n).reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
        for d, n in enumerate(index.shape)
    )


class Gather(Function):
    """y[i][j] = x[index[i][j]][j] (dim 0); the backward scatters gy back, adding repeats"""

    double_backward = "linear"

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x):
        self.x_shape = x.shape
        self.where = _along(self.xp, self.index, self.dim)
        return x[self.where]

    def backward(self, gy):
        gx = self.xp.zeros(self.x_shape, dtype=gy.dtype)
        backend.scatter_add(gx, self.where, gy)
        return gx


def _index_array(name, index, x: Tensor):
    if not isinstance(index, Tensor) or index.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must be an integer tensor, got {getattr(index, 'dtype', type(index).__name__)}")
    return index.array


def gather(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """Values of x picked along `dim` by `index` (an int64 tensor with x's number of dims), as
    torch.gather. Used for max(dim), sort and topk values."""
    idx = _index_array("gather", index, x)
    dim = normalize_dims(dim, x.ndim)[0]
    if idx.ndim != x.ndim:
        raise RuntimeError(f"gather: index has {idx.ndim} dims, input {x.ndim}; they must be equal")
    return Gather(dim, idx)(x)


def index_select(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of x at `index` (a 1-d integer tensor) along `dim`."""
    idx = _index_array("index_select", index, x)
    if idx.ndim > 1:
        raise IndexError(f"index_select: index must be 1-d, got shape {idx.shape}")
    dim = normalize_dims(dim, x.ndim)[0]
    return getitem(x, (slice(None),) * dim + (index,))


class Scatter(Function):
    """y = x with y[index[i][j]][j] = src[i][j] (dim 0); gx is gy with the written places
    zeroed, gsrc is gy gathered at them"""

    double_backward = "linear"

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x, src):
        self.where = _along(self.xp, self.index, self.dim)
        y = x.copy()
        y[self.where] = src[tuple(slice(n) for n in self.index.shape)]
        self.src_shape = src.shape
        return y

    def backward(self, gy):
        gx = gy.copy()
        gx[self.where] = 0
        gsrc = self.xp.zeros(self.src_shape, dtype=gy.dtype)
        gsrc[tuple(slice(n) for n in self.index.shape)] = gy[self.where]
        return gx, gsrc


def scatter(x: Tensor, dim: int, index: Tensor, src) -> Tensor:
    """x with the values of `src` (a tensor or a number) written at `index` along `dim`, out of
    place (torch.scatter). With repeated indices the value written is unspecified, as in torch."""
    from .elementwise import to_tensor

    idx = _index_array("scatter", index, x)
    dim = normalize_dims(dim, x.ndim)[0]
    src = to_tensor(src, x)
    if src.ndim == 0:
        src = expand(src, *idx.shape) if idx.ndim else src
    return Scatter(dim, idx)(x, cast(src, x.dtype) if src.dtype != x.dtype else src)


class ScatterAdd(Function):
    """y = x with src[i][j] added at y[index[i][j]][j] (dim 0), repeats accumulating; gx = gy,
    gsrc = gy gathered at the places"""

    double_backward = "linear"

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x, src):
        self.where = _along(self.xp, self.index, self.dim)
        self.src_shape = src.shape
        y = x.copy()
        backend.scatter_add(y, self.where, src[tuple(slice(n) for n in self.index.shape)])
        return y

    def backward(self, gy):
        gsrc = None
        if self.needs_input_grad[1]:
            gsrc = self.xp.zeros(self.src_shape, dtype=gy.dtype)
            gsrc[tuple(slice(n) for n in self.index.shape)] = gy[self.where]
        return gy, gsrc


def scatter_add(x: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """x with the values of `src` added at `index` along `dim`, repeated indices accumulating
    (out of place; torch.scatter_add). Differentiable in x and src.

    >>> import minigrad
    >>> minigrad.zeros(3).scatter_add(0, minigrad.tensor([0, 0, 2]), minigrad.tensor([1.0, 2.0, 5.0]))
    tensor([3., 0., 5.])
    """
    idx = _index_array("scatter_add", index, x)
    dim = normalize_dims(dim, x.ndim)[0]
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add: src must be a Tensor, got {type(src).__name__}")
    if idx.ndim != x.ndim or src.ndim != x.ndim or builtins.any(
            i > s for i, s in zip(idx.shape, src.shape)):
        raise RuntimeError(f"scatter_add: index of shape {idx.shape} must have the dims of input {x.shape} "
                           f"and fit in src {src.shape}")
    return ScatterAdd(dim, idx)(x, cast(src, x.dtype) if src.dtype != x.dtype else src)


def index_add(x: Tensor, dim: int, index: Tensor, source: Tensor, alpha=1) -> Tensor:
    """x with `alpha * source[i]` added to slice `index[i]` along `dim`, repeated indices
    accumulating (out of place; torch.index_add)."""
    idx = _index_array("index_add", index, x)
    dim = normalize_dims(dim, x.ndim)[0]
    if idx.ndim != 1 or source.ndim != x.ndim or source.shape[dim] != idx.shape[0]:
        raise RuntimeError(f"index_add: index of shape {idx.shape} and source of shape {source.shape} do not fit "
                           f"input {x.shape} along dim {dim}")
    # the 1-d index stretched to source's shape: scatter_add's addressing
    full = backend.get_array_module(idx).broadcast_to(
        idx.reshape((1,) * dim + (-1,) + (1,) * (x.ndim - dim - 1)), source.shape)
    return scatter_add(x, dim, Tensor._from_data(full), source * alpha if alpha != 1 else source)


def masked_fill(x: Tensor, mask: Tensor, value) -> Tensor:
    """x with `value` wherever `mask` (a bool tensor broadcasting to x) is True."""
    from .elementwise import where

    if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got {getattr(mask, 'dtype', type(mask).__name__)}")
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}")
    out = where(mask, value.to(dtype=x.dtype) if isinstance(value, Tensor) else x.dtype.type(value), x)
    if out.shape != x.shape:
        raise RuntimeError(f"masked_fill: mask of shape {mask.shape} does not broadcast to {x.shape}")
    return out


# ***** splitting and repeating *****


def split(x: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of x along `dim`: of size `split_size_or_sections` (an int; the last may be
    smaller) or of the listed sizes, as torch.split. Each piece is a view."""
    dim = normalize_dims(dim, x.ndim)[0]
    n = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        sizes = [builtins.min(size, n - s) for s in range(0, n, size)] if n else [0]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split: sizes {sizes} do not add up to {n}, the size of dim {dim}")
    out, start = [], 0
    for s in sizes:
        out.append(getitem(x, (slice(None),) * dim + (slice(start, start + s),)))
        start += s
    return tuple(out)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    """x split into `chunks` pieces of ceil(n / chunks) along `dim` (fewer if they run out)."""
    n = x.shape[normalize_dims(dim, x.ndim)[0]]
    return split(x, builtins.max(-(-n // chunks), 1), dim)


def repeat(x: Tensor, *sizes) -> Tensor:
    """x tiled `sizes` times along each dim (torch.Tensor.repeat; NumPy's tile)."""
    sizes = shape_tuple(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(f"repeat: {len(sizes)} repeat sizes for a tensor with {x.ndim} dims")
    x = reshape(x, (1,) * (len(sizes) - x.ndim) + x.shape)
    # tile = expand a new axis before each dim, then merge: differentiable through Expand
    y = x
    for d in range(x.ndim - 1, -1, -1):
        y = unsqueeze(y, d)
    y = expand(y, *[s for pair in zip(sizes, x.shape) for s in pair])
    return reshape(y, tuple(s * n for s, n in zip(sizes, x.shape)))


def tile(x: Tensor, dims) -> Tensor:
    """torch.tile: repeat with missing leading sizes taken as 1."""
    dims = tuple(dims)
    return repeat(x, *((1,) * (x.ndim - len(dims)) + dims))


class Triangle(Function):
    """y = x with the elements above (tril) or below (triu) diagonal k of the last two dims
    zeroed; linear, so gx is gy masked the same way"""

    double_backward = "linear"

    def __init__(self, upper: bool, k: int):
        self.upper, self.k = upper, k

    def forward(self, x):
        return (self.xp.triu if self.upper else self.xp.tril)(x, self.k)

    def backward(self, gy):
        return self.forward(gy)


def _triangle(name, x: Tensor, diagonal: int) -> Tensor:
    if x.ndim < 2:
        raise RuntimeError(f"{name}: needs a tensor with at least 2 dims, got shape {tuple(x.shape)}")
    return Triangle(name == "triu", int(diagonal))(x)


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (on and above `diagonal`), the rest zeros.
    Same as torch.triu.

    >>> import minigrad
    >>> minigrad.ones(3, 3).triu(1)
    tensor([[0., 1., 1.],
            [0., 0., 1.],
            [0., 0., 0.]])
    """
    return _triangle("triu", x, diagonal)


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (on and below `diagonal`). Same as torch.tril."""
    return _triangle("tril", x, diagonal)


def unbind(x: Tensor, dim: int = 0) -> tuple:
    """The slices of x along `dim`, each without that dim (differentiable). Same as torch.unbind.

    >>> import minigrad
    >>> a, b = minigrad.tensor([[1, 2], [3, 4]]).unbind(1)
    >>> a, b
    (tensor([1, 3]), tensor([2, 4]))
    """
    if x.ndim == 0:
        raise IndexError("unbind: a 0-d tensor has no dim to unbind")
    d = normalize_dims(dim, x.ndim)[0]
    return tuple(getitem(x, (slice(None),) * d + (i,)) for i in range(x.shape[d]))


def nonzero(x: Tensor) -> Tensor:
    """The indices of the nonzero elements, an int64 tensor of shape (count, ndim), in row-major
    order (no gradient). Same as torch.nonzero (the as_tuple=False form)."""
    xp = backend.get_array_module(x.array)
    return Tensor._from_data(xp.argwhere(x.array).astype(np.int64, copy=False))


def masked_select(x: Tensor, mask: Tensor) -> Tensor:
    """The elements of x where `mask` (a bool tensor; the two broadcast) is True, as a 1-d tensor
    (differentiable in x). Same as torch.masked_select."""
    if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
        raise TypeError(f"masked_select: mask must be a bool tensor, got {getattr(mask, 'dtype', type(mask).__name__)}")
    try:
        shape = np.broadcast_shapes(x.shape, mask.shape)
    except ValueError:
        raise RuntimeError(f"masked_select: mask of shape {tuple(mask.shape)} does not broadcast with {tuple(x.shape)}") from None
    xp = backend.get_array_module(mask.array)
    return getitem(expand(x, *shape) if x.shape != shape else x, Tensor._from_data(xp.broadcast_to(mask.array, shape)))


# ***** more movement: swapaxes, movedim, unflatten, diagonal, diag *****


class Diagonal(Function):
    """y = the diagonal `offset` of the dims (d1, d2) of x, as a last dim (a view, writable as
    PyTorch's); gx is zeros with gy written on that diagonal"""

    double_backward = "linear"

    def __init__(self, offset, d1, d2):
        self.offset, self.d1, self.d2 = offset, d1, d2

    def view(self, a):
        v = self.xp.diagonal(a, self.offset, self.d1, self.d2)
        # NumPy marks it read-only, torch's is not (CuPy's flags have no such field)
        if not getattr(v.flags, "writeable", True) and a.flags.writeable:
            v.flags.writeable = True
        return v

    def forward(self, x):
        self.x_shape = x.shape
        return self.view(x)

    def backward(self, gy):
        gx = self.xp.zeros(self.x_shape, dtype=gy.dtype)
        self.view(gx)[...] = gy
        return gx


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal `offset` (above the main one if positive, below if negative) of the dims
    dim1 and dim2, which become the last dim of the result (a view). Same as torch.diagonal.

    >>> import minigrad
    >>> minigrad.arange(9).reshape(3, 3).diagonal(1)
    tensor([1, 5])
    """
    if x.ndim < 2:
        raise RuntimeError(f"diagonal: expected a tensor with at least 2 dims, got shape {tuple(x.shape)}")
    d1, d2 = normalize_dims(dim1, x.ndim)[0], normalize_dims(dim2, x.ndim)[0]
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _view(Diagonal(int(offset), d1, d2)(x), x)


# ***** repeat_interleave, meshgrid, broadcast_tensors, diff *****


