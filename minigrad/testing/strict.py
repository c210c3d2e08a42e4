"""The "strict" device: a CPU stand-in for CuPy that fails where CuPy would fail.

Why it exists: CI has no GPU, yet the classic CuPy bugs are easy to write and invisible on
NumPy: a stray `np.exp(t.array)`, `np.asarray(t.array)` or `np.pad(t.array, ...)` inside an op,
mixing a host array into device math, or code that expects `x.sum()` to be a NumPy scalar.
On CuPy these raise or silently synchronise; on NumPy they just work. The strict
device holds its data in `StrictArray`, a thin wrapper around a NumPy array that behaves like
`cupy.ndarray` where it matters:

- no implicit conversion to NumPy: `np.asarray(a)` raises TypeError, as CuPy does;
- no NumPy functions or ufuncs on it (`np.exp(a)`, `np.pad(a, 1)` raise TypeError): code must
  use the array module `xp` (here the `xp` namespace below, on CuPy `cupy`);
- no mixing with NumPy arrays in operators, functions or assignments; NumPy *scalars* and
  Python numbers mix freely, like on CuPy;
- reductions and integer indexing give 0-d arrays, never NumPy scalars;
- no `xp.random` (minigrad draws random numbers on the host) and no `xp.errstate`.

Importing this module registers the device, so `t.to("strict")` and `device="strict"` work.
The test suite's `device` fixture runs every op/layer/loss/optimizer test on it.

    >>> import minigrad, minigrad.testing.strict
    >>> x = minigrad.tensor([1.0, 2.0], device="strict", requires_grad=True)
    >>> (x.exp() * x).sum().backward()
    >>> x.grad.device
    device(type='strict')
    >>> import numpy as np
    >>> np.asarray(x.array)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: Implicit conversion to a NumPy array is not allowed on the strict device ...
"""

from __future__ import annotations

import functools
import types

import numpy as np

from .. import backend

_SCALARS = (int, float, bool, complex, np.generic)

# Device->host transfers so far (each one a synchronisation on CuPy). Tests read it to check
# that a training step makes none and that `.item()`/`.numpy()` are the only ones (issue 6).
host_transfers = 0


def _to_host(a: np.ndarray) -> np.ndarray:
    global host_transfers
    host_transfers += 1
    return a


def _host_array_error(what) -> TypeError:
    return TypeError(
        f"strict device: cannot mix a {type(what).__module__}.{type(what).__name__} of shape "
        f"{getattr(what, 'shape', '?')} with device arrays (CuPy refuses this too); move it "
        "with backend.to_device / Tensor.to first"
    )


def _unwrap(x):
    """StrictArray -> its NumPy array, recursively through lists and tuples. Host arrays are
    refused: on CuPy they would need a hidden host->device copy."""
    if isinstance(x, StrictArray):
        return x._a
    if isinstance(x, np.ndarray):
        raise _host_array_error(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    if isinstance(x, dict):  # keyword arguments
        return {k: _unwrap(v) for k, v in x.items()}
    return x


def _wrap(x, parents=()):
    """NumPy results -> StrictArray. NumPy scalars become 0-d arrays, as CuPy returns them.
    A result that views a parent's memory gets that parent's owner as `.base`, so code that
    follows `.base` to detect aliasing (autograd does) sees what it would see on NumPy/CuPy."""
    if isinstance(x, np.generic):
        return StrictArray(np.asarray(x))
    if isinstance(x, (list, tuple)):
        return type(x)(_wrap(v, parents) for v in x)
    if not isinstance(x, np.ndarray):
        return x
    for p in parents:
        if x is p._a:  # e.g. astype(copy=False) that changed nothing
            return p
    out = StrictArray(x)
    if x.base is not None:
        owner = backend.memory_owner(x)
        for p in parents:
            if backend.memory_owner(p._a) is owner:
                out._base = p._base if p._base is not None else p
                break
    return out


def _operand(other):
    """The right-hand side of an operator: device arrays and numbers only."""
    if isinstance(other, StrictArray):
        return other._a
    if isinstance(other, _SCALARS):
        return other
    if isinstance(other, np.ndarray):
        raise _host_array_error(other)
    return NotImplemented  # e.g. a Tensor: let its reflected operator run


def _binary(op, reflected=False):
    def method(self, other):
        b = _operand(other)
        if b is NotImplemented:
            return NotImplemented
        return _wrap(op(b, self._a) if reflected else op(self._a, b))

    return method


def _inplace(op):
    def method(self, other):
        b = _operand(other)
        if b is NotImplemented:
            return NotImplemented
        op(self._a, b)  # the NumPy in-place operator writes into the shared memory
        return self

    return method


_PROPERTIES = {"shape", "dtype", "ndim", "size", "strides", "itemsize", "nbytes", "flags"}
_TRANSFERS = {"item", "tolist"}  # methods that hand values to the host
_METHODS = _TRANSFERS | {
    "sum", "mean", "max", "min", "argmax", "argmin", "prod", "var", "std", "all", "any", "cumsum",
    "astype", "copy", "reshape", "transpose", "swapaxes", "ravel", "flatten", "squeeze", "fill",
    "clip", "nonzero", "take", "repeat", "dot", "round", "view", "argsort", "sort",
}


class StrictArray:
    """A device array of the strict device: a NumPy array that refuses to be used as one."""

    __slots__ = ("_a", "_base")
    __array_ufunc__ = None  # np.exp(a) raises; np.float32(2) * a calls a.__rmul__ (stays here)
    __hash__ = None  # unhashable, like ndarray

    def __init__(self, a: np.ndarray):
        self._a, self._base = a, None

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed on the strict device (as on "
            "CuPy); use Tensor.numpy() or backend.to_numpy()"
        )

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(
            f"numpy.{func.__name__} was called on a strict-device array: array code must use the "
            "array module of its inputs (`self.xp` in an op, backend.get_array_module elsewhere)"
        )

    def __getattr__(self, name):
        if name in _PROPERTIES:
            return getattr(self._a, name)
        if name in _METHODS:
            method = getattr(_to_host(self._a) if name in _TRANSFERS else self._a, name)
            return lambda *args, **kwargs: _wrap(method(*_unwrap(args), **_unwrap(kwargs)), (self,))
        # NOTE: no fallback: NumPy probes `__array_interface__` etc., which must not exist here
        raise AttributeError(f"'StrictArray' object has no attribute {name!r}")

    @property
    def T(self):
        return _wrap(self._a.T, (self,))

    @property
    def base(self):
        return self._base

    # ***** indexing *****

    def __getitem__(self, index):
        # Like CuPy, index arrays may come from the host (CuPy copies them to the device).
        index = tuple(_index(i) for i in index) if isinstance(index, tuple) else _index(index)
        return _wrap(self._a[index], (self,))

    def __setitem__(self, index, value):
        index = tuple(_index(i) for i in index) if isinstance(index, tuple) else _index(index)
        self._a[index] = _unwrap(value)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ***** conversion to Python (explicit, and a sync on CuPy) *****

    def __bool__(self):
        return bool(_to_host(self._a))

    def __float__(self):
        return float(_to_host(self._a))

    def __int__(self):
        return int(_to_host(self._a))

    def __repr__(self):
        return "strict_" + repr(_to_host(self._a))

    # ***** operators *****

    __add__, __radd__ = _binary(np.add), _binary(np.add, True)
    __sub__, __rsub__ = _binary(np.subtract), _binary(np.subtract, True)
    __mul__, __rmul__ = _binary(np.multiply), _binary(np.multiply, True)
    __truediv__, __rtruediv__ = _binary(np.true_divide), _binary(np.true_divide, True)
    __floordiv__, __rfloordiv__ = _binary(np.floor_divide), _binary(np.floor_divide, True)
    __mod__, __rmod__ = _binary(np.remainder), _binary(np.remainder, True)
    __pow__, __rpow__ = _binary(np.power), _binary(np.power, True)
    __matmul__, __rmatmul__ = _binary(np.matmul), _binary(np.matmul, True)
    __and__, __rand__ = _binary(np.bitwise_and), _binary(np.bitwise_and, True)
    __or__, __ror__ = _binary(np.bitwise_or), _binary(np.bitwise_or, True)
    __xor__, __rxor__ = _binary(np.bitwise_xor), _binary(np.bitwise_xor, True)
    __eq__, __ne__ = _binary(np.equal), _binary(np.not_equal)
    __lt__, __le__ = _binary(np.less), _binary(np.less_equal)
    __gt__, __ge__ = _binary(np.greater), _binary(np.greater_equal)
    __iadd__, __isub__ = _inplace(np.ndarray.__iadd__), _inplace(np.ndarray.__isub__)
    __imul__, __itruediv__ = _inplace(np.ndarray.__imul__), _inplace(np.ndarray.__itruediv__)
    __ipow__ = _inplace(np.ndarray.__ipow__)
    __iand__, __ior__ = _inplace(np.ndarray.__iand__), _inplace(np.ndarray.__ior__)

    def __neg__(self):
        return _wrap(-self._a)

    def __pos__(self):
        return _wrap(+self._a)

    def __abs__(self):
        return _wrap(abs(self._a))

    def __invert__(self):
        return _wrap(~self._a)


def _index(i):
    if isinstance(i, StrictArray):
        return i._a
    if isinstance(i, list):
        return [_index(v) for v in i]
    return i  # ints, slices, None, Ellipsis, host index arrays


# ***** the array module (`xp`) of the strict device *****


def _function(fn):
    @functools.wraps(fn)
    def call(*args, **kwargs):
        parents = [a for a in _flatten(args) if isinstance(a, StrictArray)]
        return _wrap(fn(*_unwrap(args), **_unwrap(kwargs)), parents)

    return call


def _flatten(items):
    for x in items:
        if isinstance(x, (list, tuple)):
            yield from _flatten(x)
        else:
            yield x


class _Ufunc:
    """A NumPy ufunc restricted to device arrays, with `.at` (CuPy has `cupy.add.at`) and
    `.reduce`."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        return _wrap(self._ufunc(*_unwrap(args), **_unwrap(kwargs)))

    def at(self, a, indices, b=None):
        if not isinstance(a, StrictArray):
            raise TypeError(f"{self.__name__}.at: the destination must be a strict-device array")
        index = tuple(_index(i) for i in indices) if isinstance(indices, tuple) else _index(indices)
        self._ufunc.at(a._a, index, *(() if b is None else (_operand(b),)))

    def reduce(self, *args, **kwargs):
        return _wrap(self._ufunc.reduce(*_unwrap(args), **_unwrap(kwargs)))


def asarray(a, dtype=None):
    """Host data (or a strict array) -> a strict array. Host data is always copied, as a
    host->device transfer is."""
    if isinstance(a, StrictArray):
        return a if dtype is None else a.astype(dtype, copy=False)
    return StrictArray(np.array(a, dtype=dtype, copy=True))


def array(a, dtype=None, copy=True):
    if isinstance(a, StrictArray):
        return StrictArray(np.array(a._a, dtype=dtype, copy=copy))
    return StrictArray(np.array(a, dtype=dtype, copy=True))


def asnumpy(a) -> np.ndarray:
    """A strict array -> a new NumPy array (the explicit device->host transfer)."""
    if isinstance(a, StrictArray):
        return _to_host(a._a).copy()
    return np.asarray(a)


# Only names that CuPy provides too, so code that runs here also finds them in `cupy`.
_FUNCTIONS = """
exp log log2 log10 log1p expm1 tanh sqrt square abs absolute sign negative floor ceil sin cos isfinite isnan
isinf maximum minimum fmax fmin where clip add subtract multiply divide true_divide power equal
not_equal less less_equal greater greater_equal logical_and logical_or logical_not
zeros ones full empty zeros_like ones_like full_like empty_like arange eye ascontiguousarray
reshape transpose broadcast_to broadcast_arrays concatenate stack pad expand_dims squeeze
swapaxes moveaxis ravel flip tile repeat split cumsum sum mean amax amin max min argmax argmin
prod var std all any nonzero argsort sort take take_along_axis matmul dot tensordot einsum
outer around allclose array_equal count_nonzero copy copyto bincount logaddexp reciprocal
floor_divide remainder isclose nan_to_num rint trunc cumprod diff searchsorted unique triu tril argwhere
tan exp2 arctan2 diagonal logical_xor
""".split()
_UFUNCS = {"add", "subtract", "multiply", "maximum", "minimum"}

xp = types.ModuleType("minigrad.testing.strict.xp", "The array module of the strict device (cupy's role).")
for _name in _FUNCTIONS:
    setattr(xp, _name, _Ufunc(getattr(np, _name)) if _name in _UFUNCS else _function(getattr(np, _name)))
for _name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_", "dtype",
              "nan", "inf", "pi", "e", "newaxis", "result_type", "promote_types", "finfo", "iinfo"):
    setattr(xp, _name, getattr(np, _name))
xp.ndarray, xp.asarray, xp.array, xp.asnumpy = StrictArray, asarray, array, asnumpy
xp.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
    as_strided=_function(np.lib.stride_tricks.as_strided),
    sliding_window_view=_function(np.lib.stride_tricks.sliding_window_view),
))

backend.register_device("strict", xp)
