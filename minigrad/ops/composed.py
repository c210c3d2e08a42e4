"""PyTorch's tensor API beyond the primitives: each function here is composed from the ops in
the other files (elementwise, shape, reduce, linalg) and has no backward of its own, so autograd
differentiates it through those ops. A first reading of the engine can skip this file.

Sections: elementwise compositions | shape compositions | linear algebra | reductions
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from .. import backend, dtypes
from ..tensor import Tensor, shape_tuple
from .elementwise import _float_only, add, clip, clone, div, maximum, minimum, mul, sub
from .linalg import matmul, mm
from .reduce import normalize_dims
from .shape import cat, expand, getitem, index_put, masked_fill, permute, reshape, transpose


def lerp(start, end, weight) -> Tensor:
    """start + weight * (end - start), `weight` a number or a tensor; differentiable in all
    three. Same as torch.lerp.

    >>> import minigrad
    >>> minigrad.lerp(minigrad.tensor([1.0, 2.0]), minigrad.tensor([3.0, 6.0]), 0.25)
    tensor([1.5, 3. ])
    """
    _float_only("lerp", start, end, weight)
    return add(start, mul(weight, sub(end, start)))


def addcmul(input, tensor1, tensor2, value=1) -> Tensor:
    """input + value * tensor1 * tensor2 (broadcasting). Same as torch.addcmul."""
    return add(input, mul(mul(tensor1, tensor2), value) if value != 1 else mul(tensor1, tensor2))


def addcdiv(input, tensor1, tensor2, value=1) -> Tensor:
    """input + value * tensor1 / tensor2 (broadcasting). Same as torch.addcdiv, which refuses
    integer tensors (their division would truncate)."""
    _float_only("addcdiv", tensor1, tensor2)
    return add(input, mul(div(tensor1, tensor2), value) if value != 1 else div(tensor1, tensor2))


def clamp_min(x, min) -> Tensor:
    """max(x, min): clamp from below only. Same as torch.clamp_min; a number bound has clamp's
    gradient (zero at the bound); a tensor bound broadcasts and takes the gradient where it wins
    (ties go to x, as in PyTorch)."""
    return maximum(min, x) if isinstance(min, Tensor) else clip(x, min, None)


def clamp_max(x, max) -> Tensor:
    """min(x, max): clamp from above only. Same as torch.clamp_max; see clamp_min."""
    return minimum(max, x) if isinstance(max, Tensor) else clip(x, None, max)


def _logical(name: str, *xs) -> Tensor:
    for i, x in enumerate(xs):
        if not isinstance(x, Tensor):  # as torch: numbers are refused
            raise TypeError(f"{name}(): argument {i + 1} must be a Tensor, not {type(x).__name__}")
    if len(xs) == 2 and xs[0].device != xs[1].device and xs[0].ndim and xs[1].ndim:
        raise TypeError(f"{name}: tensors on different devices ({xs[0].device!r}, {xs[1].device!r})")
    xp = backend.get_array_module(*(x.array for x in xs))
    return Tensor._from_data(xp.asarray(getattr(xp, name)(*(x.array for x in xs))))


def logical_not(x: Tensor) -> Tensor:
    """True where x is zero (False). Same as torch.logical_not."""
    return _logical("logical_not", x)


def logical_and(a: Tensor, b: Tensor) -> Tensor:
    """True where both a and b are nonzero (broadcasting; any dtypes). Same as torch.logical_and.

    >>> import minigrad
    >>> minigrad.logical_and(minigrad.tensor([1.0, 0.0, 2.0]), minigrad.tensor([True, True, False]))
    tensor([ True, False, False])
    """
    return _logical("logical_and", a, b)


def logical_or(a: Tensor, b: Tensor) -> Tensor:
    """True where a or b is nonzero. Same as torch.logical_or."""
    return _logical("logical_or", a, b)


def logical_xor(a: Tensor, b: Tensor) -> Tensor:
    """True where exactly one of a and b is nonzero. Same as torch.logical_xor."""
    return _logical("logical_xor", a, b)


def equal(a: Tensor, b: Tensor) -> bool:
    """True if a and b have the same shape and the same values (a Python bool; no broadcasting,
    NaN is unequal, dtypes may differ). Same as torch.equal."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"equal: expected two Tensors, got {type(a).__name__} and {type(b).__name__}")
    if a.device != b.device:
        raise RuntimeError(f"equal: expected both tensors on the same device, got {a.device!r} and {b.device!r}")
    if a.shape != b.shape:
        return False
    return bool((a.array == b.array).all())


def square(x) -> Tensor:
    """x * x, in x's dtype (integers stay integers). Same as torch.square."""
    return pow(x, 2)


def flip(x: Tensor, dims) -> Tensor:
    """x with the order of the elements reversed along `dims` (an int or a sequence); a copy,
    as torch.flip.

    >>> import minigrad
    >>> minigrad.arange(6).reshape(2, 3).flip(1)
    tensor([[2, 1, 0],
            [5, 4, 3]])
    """
    from .elementwise import clone

    axes = normalize_dims(dims, x.ndim)
    return clone(getitem(x, tuple(slice(None, None, -1) if d in axes else slice(None) for d in range(x.ndim))))


def roll(x: Tensor, shifts, dims=None) -> Tensor:
    """x with its elements shifted by `shifts` along `dims` (those pushed off the end come back
    at the start); without dims, over the flattened tensor. Same as torch.roll.

    >>> import minigrad
    >>> minigrad.arange(5).roll(2)
    tensor([3, 4, 0, 1, 2])
    """
    if dims is None:
        return reshape(roll(reshape(x, -1), shifts, 0), x.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: {len(shifts)} shifts for {len(dims)} dims; give one shift per dim")
    xp = backend.get_array_module(x.array)
    for shift, dim in zip(shifts, dims):
        d = normalize_dims(dim, x.ndim)[0]
        n = x.shape[d]
        if n:  # element i comes from element (i - shift) mod n: a gather, whose gradient scatters back
            x = getitem(x, (slice(None),) * d + (Tensor._from_data(xp.arange(-shift, n - shift) % n),))
    return x


def index_fill(x: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """x with `value` (a number or a 0-d tensor) in the slices at `index` (an int64 tensor,
    1-d or 0-d) along `dim`. Same as torch.index_fill: the gradient of x is 0 in those slices,
    that of a tensor value the sum of the gradient there (a repeated index counts once).

    >>> import minigrad
    >>> minigrad.zeros(2, 3).index_fill(1, minigrad.tensor([0, 2]), 5.0)
    tensor([[5., 0., 5.],
            [5., 0., 5.]])
    """
    if not isinstance(index, Tensor) or index.dtype != np.int64:
        raise IndexError(f"index_fill_(): Expected dtype int64 for index, got "
                         f"{getattr(index, 'dtype', type(index).__name__)}")
    if index.ndim > 1:
        raise RuntimeError(f"index_fill: index has to be a vector or a scalar, got shape {index.shape}")
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"index_fill: only a 0-d value tensor is supported, got shape {value.shape}")
    dim = normalize_dims(dim, x.ndim)[0]
    n = x.shape[dim] if x.ndim else 1
    idx = backend.to_numpy(index.array).reshape(-1)
    bad = idx[(idx < -n) | (idx >= n)]
    if bad.size:
        raise IndexError(f"index_fill: index {int(bad[0])} is out of bounds for dim {dim} with size {n}")
    # a mask over dim (a repeated index sets it once), broadcast against x by masked_fill
    picked = np.zeros(n, dtype=bool)
    picked[idx] = True
    mask = Tensor._from_data(picked.reshape((n,) + (1,) * (x.ndim - dim - 1)), device=x.device)
    return masked_fill(x, mask, value)


def narrow(x: Tensor, dim: int, start, length: int) -> Tensor:
    """The `length` slices of x from `start` along `dim` (a view; `start` may be negative or a
    0-d tensor). Same as torch.narrow.

    >>> import minigrad
    >>> minigrad.arange(6).narrow(0, 1, 3)
    tensor([1, 2, 3])
    """
    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = normalize_dims(dim, x.ndim)[0]
    start, length, n = int(start.item() if isinstance(start, Tensor) else start), int(length), x.shape[dim]
    if not -n <= start <= n:
        raise IndexError(f"narrow: start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return getitem(x, (slice(None),) * dim + (slice(start, start + length),))


def swapaxes(x: Tensor, axis0: int, axis1: int) -> Tensor:
    """NumPy's name of transpose (also `swapdims`). Same as torch.swapaxes."""
    return transpose(x, axis0, axis1)


def movedim(x: Tensor, source, destination) -> Tensor:
    """x with the dims `source` (an int or a sequence) moved to the places `destination`, the
    other dims keeping their order (a view). Same as torch.movedim (also `moveaxis`).

    >>> import minigrad
    >>> minigrad.zeros(2, 3, 4).movedim(0, -1).shape
    (3, 4, 2)
    """
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain "
                           f"the same number of dims as destination ({dst} dims)")
    nd = builtins.max(x.ndim, 1)
    src = [normalize_dims(d, x.ndim)[0] for d in src]
    dst = [normalize_dims(d, x.ndim)[0] for d in dst]
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({ds})")
    if x.ndim == 0:
        return reshape(x, ())
    order = [None] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(nd) if d not in src)
    return permute(x, [o if o is not None else next(rest) for o in order])


def unflatten(x: Tensor, dim: int, sizes) -> Tensor:
    """x with dim `dim` split into dims of `sizes` (one may be -1). Same as torch.unflatten.

    >>> import minigrad
    >>> minigrad.zeros(2, 12).unflatten(1, (3, -1)).shape
    (2, 3, 4)
    """
    d = normalize_dims(dim, x.ndim)[0]
    sizes = shape_tuple((sizes,))
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    known = int(np.prod([s for s in sizes if s != -1]))
    if sizes.count(-1) > 1 or (-1 not in sizes and known != x.shape[d]) or (
            -1 in sizes and (known == 0 or x.shape[d] % known)):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({x.shape[d]}) in the input tensor")
    return reshape(x, x.shape[:d] + sizes + x.shape[d + 1:])


def diag(x: Tensor, diagonal: int = 0) -> Tensor:
    """For a 1-d x, the square matrix with x on its diagonal `diagonal` (zeros elsewhere); for a
    2-d x, a copy of that diagonal of x. Same as torch.diag.

    >>> import minigrad
    >>> minigrad.diag(minigrad.tensor([1, 2]), 1)
    tensor([[0, 1, 0],
            [0, 0, 2],
            [0, 0, 0]])
    """
    k = int(diagonal)
    if x.ndim == 2:
        from .elementwise import clone

        return clone(x.diagonal(k))
    if x.ndim != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")
    n = x.shape[0] + builtins.abs(k)
    i = np.arange(x.shape[0])
    rows, cols = (i, i + k) if k >= 0 else (i - k, i)
    index = (backend.to_device(rows, x.device), backend.to_device(cols, x.device))
    zeros = Tensor._from_data(backend.xp_for(x.device).zeros((n, n), dtype=x.dtype))
    return index_put(zeros, index, x)


def repeat_interleave(x: Tensor, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Each element (each slice along `dim`) repeated `repeats` times in place: an int, or a
    tensor of one count per element. Without dim x is flattened first.
    `repeat_interleave(counts)` alone gives each index i repeated counts[i] times. The gradient
    sums over the copies. Same as torch.repeat_interleave.

    >>> import minigrad
    >>> minigrad.tensor([1, 2]).repeat_interleave(2), minigrad.repeat_interleave(minigrad.tensor([1, 2]))
    (tensor([1, 1, 2, 2]), tensor([0, 1, 1]))
    """
    if repeats is None:  # repeat_interleave(counts): the indices
        counts = x
        x = Tensor._from_data(backend.xp_for(counts.device).arange(counts.shape[0] if counts.ndim else 1))
        return repeat_interleave(x, counts, 0)
    if dim is None:
        x, d = reshape(x, -1), 0
    else:
        d = normalize_dims(dim, x.ndim)[0]
    n = x.shape[d] if x.ndim else 1
    if isinstance(repeats, Tensor):
        if repeats.dtype.kind not in "iu" or repeats.ndim > 1:
            raise RuntimeError(f"repeat_interleave: repeats must be a 0-d or 1-d integer tensor, got "
                               f"{repeats.dtype}, shape {tuple(repeats.shape)}")
        counts = backend.to_numpy(repeats.array).reshape(-1)
    else:
        counts = np.asarray([operator.index(repeats)])  # 2.0 raises, as in torch
    if (counts < 0).any():
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    if counts.size != 1 and counts.size != n:
        raise RuntimeError(f"repeat_interleave: repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {counts.size} and input.size({d}) = {n}")
    index = np.repeat(np.arange(n), counts if counts.size == n else counts[0])
    if output_size is not None and output_size != index.size:
        raise RuntimeError(f"repeat_interleave: output_size {output_size} is not the size of the result {index.size}")
    if x.ndim == 0:
        x = reshape(x, 1)
    return getitem(x, (slice(None),) * d + (backend.to_device(index, x.device),))


def broadcast_tensors(*tensors) -> tuple:
    """The tensors expanded to their common broadcast shape (views; the gradients sum back).
    Same as torch.broadcast_tensors.

    >>> import minigrad
    >>> a, b = minigrad.broadcast_tensors(minigrad.zeros(3, 1), minigrad.zeros(4))
    >>> a.shape, b.shape
    ((3, 4), (3, 4))
    """
    try:
        shape = np.broadcast_shapes(*(t.shape for t in tensors))
    except ValueError:
        raise dtypes.ShapeError(f"broadcast_tensors: shapes {[tuple(t.shape) for t in tensors]} do not broadcast "
                                f"together") from None
    return tuple(t if t.shape == shape else expand(t, *shape) for t in tensors)


def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-d tensors: with indexing="ij" (the default) the i-th result varies
    along dim i; "xy" swaps the first two dims (as NumPy's and MATLAB's grids). The results
    are expanded views. Same as torch.meshgrid (which warns unless indexing is given).

    >>> import minigrad
    >>> x, y = minigrad.meshgrid(minigrad.tensor([1, 2, 3]), minigrad.tensor([4, 5]), indexing="xy")
    >>> x.shape, y[:, 0]
    ((2, 3), tensor([4, 5]))
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: Expected 0D or 1D tensor in the tensor list but got shape "
                               f"{tuple(t.shape)}")
    if len({t.dtype for t in tensors}) > 1:
        raise dtypes.DtypeError(f"meshgrid expects all tensors to have the same dtype, got "
                                f"{[str(t.dtype) for t in tensors]}")
    k = len(tensors)
    along = list(range(k))  # the dim along which the i-th grid varies
    if indexing == "xy" and k >= 2:
        along[0], along[1] = 1, 0
    shape = [0] * k
    for t, a in zip(tensors, along):
        shape[a] = t.numel()
    return tuple(expand(reshape(t, tuple(-1 if j == a else 1 for j in range(k))), *shape)
                 for t, a in zip(tensors, along))


def diff(x: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along `dim`: out[i] = x[i + 1] - x[i] (n times; for bools
    `!=`), after joining `prepend` and `append` to x along dim. Same as torch.diff.

    >>> import minigrad
    >>> minigrad.tensor([1, 4, 9, 16]).diff(), minigrad.tensor([1, 4, 9, 16]).diff(n=2)
    (tensor([3, 5, 7]), tensor([2, 2]))
    """
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = normalize_dims(dim, x.ndim)[0]
    parts = [t for t in (prepend, x, append) if t is not None]
    for t in parts:
        if t.ndim != x.ndim:
            raise RuntimeError(f"diff expects prepend or append to be the same dimension as input, got shapes "
                               f"{[tuple(p.shape) for p in parts]}")
    if len(parts) > 1:
        x = cat(parts, d)
    pre = (slice(None),) * d
    for _ in range(n):
        hi, lo = getitem(x, pre + (slice(1, None),)), getitem(x, pre + (slice(None, -1),))
        x = (hi != lo) if x.dtype == np.bool_ else hi - lo
    return x


swapdims = swapaxes


moveaxis = movedim


def dot(a: Tensor, b: Tensor) -> Tensor:
    """The inner product of two 1-d tensors of one size and dtype, a 0-d tensor. Same as torch.dot.

    >>> import minigrad
    >>> minigrad.dot(minigrad.tensor([1.0, 2.0]), minigrad.tensor([3.0, 4.0]))
    tensor(11.)
    """
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise dtypes.DtypeError(f"dot : expected both vectors to have same dtype, but found {a.dtype} and {b.dtype}")
    if a.shape != b.shape:
        raise dtypes.ShapeError(f"dot: inconsistent tensor size, expected tensors of the same number of "
                                f"elements, but got {a.shape[0]} and {b.shape[0]} elements")
    return matmul(a, b)


def mv(mat: Tensor, vec: Tensor) -> Tensor:
    """The product of a 2-d tensor (n, m) and a 1-d tensor (m,), of shape (n,). Same as torch.mv."""
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got mat of shape {tuple(mat.shape)} and vec of "
                           f"shape {tuple(vec.shape)}")
    if mat.shape[1] != vec.shape[0]:
        raise dtypes.ShapeError(f"size mismatch, got input ({mat.shape[0]}), mat ({mat.shape[0]}x{mat.shape[1]}), "
                                f"vec ({vec.shape[0]})")
    return matmul(mat, vec)


def outer(a: Tensor, b: Tensor) -> Tensor:
    """The outer product of two 1-d tensors: out[i, j] = a[i] * b[j] (dtypes promote, as in
    torch). Same as torch.outer (also `ger`).

    >>> import minigrad
    >>> minigrad.outer(minigrad.tensor([1, 2]), minigrad.tensor([1.0, 10.0]))
    tensor([[ 1., 10.],
            [ 2., 20.]])
    """
    for name, t in (("self", a), ("vec2", b)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return a.unsqueeze(1) * b.unsqueeze(0)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), mat1 and mat2 2-d, input broadcasting to the
    product's shape. With beta=0 input is ignored (its NaNs do not propagate), as torch.addmm.

    >>> import minigrad
    >>> minigrad.addmm(minigrad.ones(2), minigrad.eye(2), minigrad.full((2, 2), 3.0), alpha=2)
    tensor([[7., 7.],
            [7., 7.]])
    """
    prod = mm(mat1, mat2)
    try:
        fits = np.broadcast_shapes(input.shape, prod.shape) == prod.shape
    except ValueError:
        fits = False
    if not fits:
        raise dtypes.ShapeError(f"addmm: input of shape {tuple(input.shape)} does not broadcast to the product's "
                                f"shape {tuple(prod.shape)}")
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    return (input if beta == 1 else input * beta) + prod


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Sum of products over dims of a and b: `dims=k` pairs a's last k dims with b's first k;
    `dims=([1, 0], [0, 1])` names them. The remaining dims of a, then of b, make the result's.
    Same as torch.tensordot.

    >>> import minigrad
    >>> minigrad.tensordot(minigrad.ones(2, 3, 4), minigrad.ones(4, 3, 5), dims=([1, 2], [1, 0])).shape
    (2, 5)
    """
    from .reduce import normalize_dims
    from .shape import permute, reshape

    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
        da = [normalize_dims(d, a.ndim)[0] for d in da]
        db = [normalize_dims(d, b.ndim)[0] for d in db]
    if len(da) != len(db) or any(a.shape[i] != b.shape[j] for i, j in zip(da, db)):
        raise dtypes.ShapeError(f"tensordot: contracted dims {da} of shape {tuple(a.shape)} and {db} of shape "
                                f"{tuple(b.shape)} do not match")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    def size(t, ds):
        return int(np.prod([t.shape[d] for d in ds]))

    # as one matrix product: (free of a, contracted) @ (contracted, free of b)
    a2 = reshape(permute(a, free_a + da), (size(a, free_a), size(a, da)))
    b2 = reshape(permute(b, db + free_b), (size(b, db), size(b, free_b)))
    out_shape = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    return reshape(matmul(a2, b2), out_shape)


ger = outer


def count_nonzero(x: Tensor, dim=None) -> Tensor:
    """The number of nonzero elements, over all of x or over `dim` (an int or a tuple), as an
    int64 tensor (no gradient). Same as torch.count_nonzero.

    >>> import minigrad
    >>> minigrad.tensor([[0.0, 1.0], [2.0, 3.0]]).count_nonzero(dim=0)
    tensor([1, 2])
    """
    axes = normalize_dims(dim, x.ndim) if x.ndim else None
    xp = backend.get_array_module(x.array)
    return Tensor._from_data(xp.asarray(xp.count_nonzero(x.array, axis=axes), dtype=np.int64))
