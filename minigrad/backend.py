"""Array backends: NumPy on "cpu", CuPy on "cuda".

This is the only module that imports CuPy. Everything else asks it for the array
module (`xp`) of the arrays it holds, so an op's output lives where its inputs live.

    >>> import numpy as np
    >>> from minigrad import backend
    >>> backend.get_array_module(np.zeros(3)) is np
    True
    >>> backend.device_of(np.zeros(3))
    device(type='cpu')
"""

from __future__ import annotations

import contextlib

import numpy as np

try:  # CuPy is optional; keep the reason it failed so `.to("cuda")` can explain it.
    import cupy as cp

    _cupy_error: Exception | None = None
except Exception as e:  # ImportError, or a CUDA library that fails to load
    cp = None
    _cupy_error = e


def _probe_gpu() -> bool:
    global _cupy_error
    if cp is None:
        return False
    try:
        return cp.cuda.runtime.getDeviceCount() > 0
    except Exception as e:  # CuPy installed but no driver or no GPU
        _cupy_error = e
        return False


cuda_available: bool = _probe_gpu()

# Extra devices (name -> module with the device's array type and conversions). The strict
# stand-in device used by the tests registers itself here; see `register_device`.
_extra: dict[str, object] = {}


def register_device(name: str, module) -> None:
    """Register an extra array backend. `module` must provide `ndarray`, `asarray(a)` (host ->
    device), `asnumpy(a)` (device -> host) and the NumPy functions minigrad uses."""
    _extra[name] = module


def get_array_module(*arrays):
    """The array module (numpy, cupy, or a registered one) of the given arrays."""
    for a in arrays:
        if cp is not None and isinstance(a, cp.ndarray):
            return cp
        for mod in _extra.values():
            if isinstance(a, mod.ndarray):
                return mod
    return np


class device(str):
    """A device, as torch.device: `device("cuda")`, `device("cuda:0")`, `device("cuda", 0)`,
    `device("cpu")`, with `.type` ("cpu" or "cuda") and `.index` (None, or 0).

    It is also the string it names (a `str` subclass), so it goes wherever a device string goes
    and compares equal to it: `t.to(device("cuda"))`, `zeros(3, device=dev)`, `t.device == "cpu"`.
    `Tensor.device` returns one. Making one never needs a GPU; using it for a tensor does.
    minigrad uses one GPU, so the only index is 0 ("cuda" and "cuda:0" are the same place,
    though, as in PyTorch, the two objects are not equal).

    >>> import minigrad
    >>> d = minigrad.device("cuda:0")
    >>> d.type, d.index, str(d), d
    ('cuda', 0, 'cuda:0', device(type='cuda', index=0))
    >>> minigrad.zeros(2).device == minigrad.device("cpu") == "cpu"
    True
    """

    type: str
    index: int | None

    def __new__(cls, type, index=None):  # noqa: A002  (PyTorch's argument name)
        if isinstance(type, device) and index is None:
            return type
        name, colon, number = str(type).partition(":")
        if colon:
            if index is not None:
                raise ValueError(f"device {type!r} already has an index; got index={index} as well")
            if not number.isdigit():
                raise ValueError(f"invalid device {type!r}: the index after ':' must be a number")
            index = int(number)
        if name not in ("cpu", "cuda") and name not in _extra:
            raise ValueError(f"unknown device {str(type)!r}: expected 'cpu' or 'cuda'")
        if index is not None and (name != "cuda" or int(index) != 0):
            raise ValueError(f"device {str(type)!r} (index {index}): minigrad uses one GPU, 'cuda' or "
                             "'cuda:0', and the CPU without an index")
        self = super().__new__(cls, name if index is None else f"{name}:{int(index)}")
        self.type, self.index = name, (None if index is None else int(index))
        return self

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):  # pickles as a call with the string it is
        return (device, (str(self),))


_named: dict[str, device] = {}  # one device object per name, so Tensor.device builds nothing


def _device(name: str) -> device:
    d = _named.get(name)
    if d is None:
        d = _named[name] = device(name)
    return d


_CPU, _CUDA = _device("cpu"), _device("cuda")  # what device_of returns on every op: no lookup


def device_of(array) -> device:
    """device('cpu'), device('cuda'), or that of a registered device."""
    for name, mod in _extra.items():  # first: a registered array type may subclass np.ndarray
        if isinstance(array, mod.ndarray):
            return _device(name)
    if isinstance(array, np.ndarray) or np.isscalar(array):
        return _CPU
    if cp is not None and isinstance(array, cp.ndarray):
        return _CUDA
    raise TypeError(f"unsupported array type {type(array).__name__}")


def check_device(device_name) -> device:
    """Validate a device (a name or a `device`) and return it as `device('cpu')`,
    `device('cuda')` or a registered one; explain why 'cuda' cannot be used."""
    d = device(device_name)
    if d.type == "cuda":  # "cuda" and "cuda:0": the one GPU
        if not cuda_available:
            raise RuntimeError(
                "device 'cuda' is not available: "
                + (f"CuPy could not be used ({_cupy_error!r})" if _cupy_error else "CuPy found no GPU")
                + ". On a machine with an NVIDIA GPU, install CuPy for its CUDA version: from a checkout "
                'of minigrad `pip install -e ".[cuda12]"` (or `".[cuda13]"`), otherwise CuPy\'s own '
                "package `pip install cupy-cuda12x` (or `cupy-cuda13x`)."
            )
    return _device(d.type)


def cuda_device_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy or a GPU)."""
    return cp.cuda.runtime.getDeviceCount() if cuda_available else 0


def xp_for(device: str):
    """The array module that holds arrays on `device`."""
    device = check_device(device)
    if device == "cpu":
        return np
    if device == "cuda":
        return cp
    return _extra[device]


def to_numpy(array) -> np.ndarray:
    """Copy an array to the host (a no-op for NumPy arrays; numbers and lists become arrays)."""
    xp = get_array_module(array)
    return np.asarray(array) if xp is np else xp.asnumpy(array)


def to_device(array, device: str):
    """Move an array to `device`; returns the same array if it is already there."""
    device = check_device(device)
    if device_of(array) == device:
        return array
    host = to_numpy(array)
    return host if device == "cpu" else xp_for(device).asarray(host)


def synchronize(device: str = "cuda") -> None:
    """Wait until every kernel queued on `device` has finished. GPU kernels run asynchronously,
    so call this before reading a clock; a no-op on the CPU and on registered host-backed devices.

    >>> from minigrad import backend
    >>> backend.synchronize("cpu")  # nothing is queued on the CPU
    """
    if check_device(device) == "cuda":
        cp.cuda.Device().synchronize()  # the whole device: CuPy's streams and any other library's


def scatter_add(dst, index, values) -> None:
    """dst[index] += values, with repeated indices accumulating (unlike plain `+=`)."""
    get_array_module(dst).add.at(dst, index, values)


def memory_owner(array):
    """The array that owns `array`'s memory (itself unless it is a view): two arrays share
    memory when their owners are the same object."""
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def quiet_underflow(xp):
    """A context in which underflow to 0 raises no warning or FloatingPointError: in the stable
    ops (exp(-1000) == 0) it is the right answer. CuPy has no errstate (and never warns)."""
    errstate = getattr(xp, "errstate", None)
    return errstate(under="ignore") if errstate else contextlib.nullcontext()


def quiet_selected(xp):
    """A context for math whose inf/nan results are then replaced by xp.where (pow's gradient
    at 0): no divide-by-zero or invalid-value warnings for values that are thrown away."""
    errstate = getattr(xp, "errstate", None)
    return errstate(divide="ignore", invalid="ignore") if errstate else contextlib.nullcontext()
