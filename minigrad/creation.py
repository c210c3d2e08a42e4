"""Making tensors: from data (`tensor`, `from_numpy`, `from_dlpack`), filled (`zeros`, `ones`,
`full`, `eye`, `arange`, `linspace` and the `*_like` forms), and histograms of a tensor's values.
Random tensors are in `random.py`. All are re-exported as `minigrad.<name>`, as in PyTorch.

Every function builds its values on the host (NumPy) and moves them to `device` once, through
`host_tensor`, so a seed or a linspace gives the same numbers on every device.
"""

from __future__ import annotations

import numpy as np

from . import backend, dtypes
from .dtypes import as_dtype, bool_, int64
from .tensor import TYPE_NAMES, Tensor, shape_tuple


def host_tensor(host: np.ndarray, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A Tensor from a NumPy array built on the host, moved to `device` (cast to `dtype` if
    given). Used by the creation and random functions."""
    data = backend.to_device(host, device) if device not in (None, "cpu") else host
    return Tensor._from_data(data, requires_grad=requires_grad, dtype=dtype)


def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor from a list, number or array (copied). Same as torch.tensor.

    >>> import minigrad
    >>> minigrad.tensor([[1, 2], [3, 4]]).dtype
    dtype('int64')
    """
    if isinstance(data, Tensor):
        data = data.array
    xp = backend.get_array_module(data)
    data = xp.array(data, copy=True) if hasattr(data, "dtype") else data
    return Tensor._from_data(data, requires_grad=requires_grad, dtype=dtype, device=device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """`data` as a tensor, sharing its memory when it already is an array (or a Tensor) of
    that dtype and device, else a copy; no graph is started. Same as torch.as_tensor.

    >>> import numpy as np, minigrad
    >>> a = np.zeros(2)
    >>> t = minigrad.as_tensor(a)
    >>> a[0] = 5
    >>> t
    tensor([5., 0.], dtype=float64)
    """
    if isinstance(data, Tensor):
        return data.to(device, dtype) if device is not None or dtype is not None else data
    return Tensor._from_data(data, dtype=dtype, device=device)


# ***** PyTorch's typed constructors: FloatTensor, LongTensor, ... *****


class _TensorType(type):
    """The metaclass of `FloatTensor`, `LongTensor`, ...: calling one is `minigrad.Tensor(...)`
    with that dtype (PyTorch's legacy rules: sizes give zeros, data is converted), and
    `isinstance(t, minigrad.FloatTensor)` checks the dtype, as in torch."""

    def __call__(cls, *data, device=None):
        return Tensor(*data, dtype=cls.dtype, device=device)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls):
        return f"<class 'minigrad.{cls.__name__}'>"


def _tensor_type(dtype: str) -> type:
    name = TYPE_NAMES[dtype] + "Tensor"
    doc = f"""`minigrad.Tensor(...)` in {dtype} (`{name}([1, 2])`, `{name}(2, 3)`), as torch.{name}."""
    return _TensorType(name, (), {"dtype": np.dtype(dtype), "__doc__": doc, "__module__": __name__})


FloatTensor, DoubleTensor, HalfTensor = _tensor_type("float32"), _tensor_type("float64"), _tensor_type("float16")
LongTensor, IntTensor, BoolTensor, ByteTensor = (_tensor_type("int64"), _tensor_type("int32"), _tensor_type("bool"),
                                                 _tensor_type("uint8"))


def _filled(shape, value, dtype, device, requires_grad):
    dtype = as_dtype(dtype) or dtypes.default_float
    xp = backend.xp_for(device or "cpu")
    return Tensor._from_data(xp.full(shape_tuple(shape), value, dtype=dtype), requires_grad=requires_grad)


def zeros(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros. `zeros(2, 3)` or `zeros((2, 3))`."""
    return _filled(shape, 0, dtype, device, requires_grad)


def empty(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    """As torch.empty, except that the values are zeros rather than whatever the memory held
    (NumPy's uninitialised memory could leak NaNs into a result that forgot to overwrite it).

    >>> import minigrad
    >>> minigrad.empty(2, 3).shape
    (2, 3)
    """
    return zeros(*shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones. `ones(2, 3)` or `ones((2, 3))`."""
    return _filled(shape, 1, dtype, device, requires_grad)


def full(shape, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor filled with `fill_value`; its dtype follows the value when not given, as in
    PyTorch (an int gives int64, a bool gives bool, a float the default float32)."""
    if dtype is None and isinstance(fill_value, (bool, int, np.bool_, np.integer)):
        dtype = bool_ if isinstance(fill_value, (bool, np.bool_)) else int64
    return _filled((shape,) if isinstance(shape, int) else shape, fill_value, dtype, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Evenly spaced values in [start, end). Integers unless a bound or `dtype` is a float."""
    if end is None:
        start, end = 0, start
    host = np.arange(start, end, step)
    if dtype is None and host.dtype.kind == "f":
        dtype = dtypes.default_float
    return host_tensor(host, dtype, device, requires_grad)


def like(fn, t: Tensor, dtype, device, requires_grad, *args) -> Tensor:
    """`fn(t.shape, *args)` with `t`'s dtype and device unless others are given: the body of
    every `*_like` function (`zeros_like`, `rand_like`, ...)."""
    return fn(t.shape, *args, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def zeros_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return like(zeros, t, dtype, device, requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return like(ones, t, dtype, device, requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    return like(full, t, dtype, device, requires_grad, fill_value)


def empty_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    """As torch.empty_like, but filled with zeros (see `empty`)."""
    return like(zeros, t, dtype, device, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The n x m identity matrix (m defaults to n)."""
    return host_tensor(np.eye(n, m, dtype=as_dtype(dtype) or dtypes.default_float), None, device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    """`steps` values evenly spaced from start to end, both included."""
    dtype = as_dtype(dtype) or dtypes.default_float
    host = np.linspace(start, end, int(steps), dtype=np.float64).astype(dtype)
    return host_tensor(host, None, device, requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing `array`'s memory (no copy), as torch.from_numpy: writes through either
    one show in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._from_data(array)


def from_dlpack(obj) -> Tensor:
    """A tensor sharing the memory of any DLPack producer (a NumPy, CuPy or PyTorch tensor),
    without a copy: `minigrad.from_dlpack(torch_tensor)`."""
    kind, _ = obj.__dlpack_device__()
    if kind == 1:  # kDLCPU
        return Tensor._from_data(np.from_dlpack(obj))
    return Tensor._from_data(backend.xp_for("cuda").from_dlpack(obj))


# ***** histograms *****


def histogram(input, bins=100, range=None, weight=None, density=False):
    """`(hist, bin_edges)` of the values, as torch.histogram (no gradient): `bins` a count or
    the edges; `range` (min, max) defaults to the data's."""
    edges = bins.numpy() if isinstance(bins, Tensor) else bins
    hist, e = np.histogram(input.numpy(), edges, range=range,
                           weights=None if weight is None else weight.numpy(), density=density)
    return Tensor._from_data(hist.astype(input.dtype)), Tensor._from_data(e.astype(input.dtype))


def histc(input, bins=100, min=0, max=0) -> Tensor:
    """torch.histc: counts in `bins` equal bins over [min, max] (the data's range if both 0)."""
    lo, hi = (min, max) if (min, max) != (0, 0) else (input.numpy().min(), input.numpy().max())
    return histogram(input, bins, range=(float(lo), float(hi)))[0]
