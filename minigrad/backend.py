"""Array backends: NumPy on "cpu", CuPy on "cuda".

This is the only module that imports CuPy. Everything else asks it for the array
module (`xp`) of the arrays it holds, so an op's output lives where its inputs live.

    >>> import numpy as np
    >>> from minigrad import backend
    >>> backend.get_array_module(np.zeros(3)) is np
    True
    >>> backend.device_of(np.zeros(3))
    'cpu'
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


def device_of(array) -> str:
    """'cpu', 'cuda', or the name of a registered device."""
    for name, mod in _extra.items():  # first: a registered array type may subclass np.ndarray
        if isinstance(array, mod.ndarray):
            return name
    if isinstance(array, np.ndarray) or np.isscalar(array):
        return "cpu"
    if cp is not None and isinstance(array, cp.ndarray):
        return "cuda"
    raise TypeError(f"unsupported array type {type(array).__name__}")


def check_device(device: str) -> str:
    """Validate a device name and return it; explain why 'cuda' cannot be used."""
    device = str(device)
    if device.startswith("cuda"):  # accept "cuda" and "cuda:0"
        if not cuda_available:
            raise RuntimeError(
                "device 'cuda' is not available: "
                + (f"CuPy could not be used ({_cupy_error!r})" if _cupy_error else "CuPy found no GPU")
                + ". On a machine with an NVIDIA GPU, install CuPy for its CUDA version: from a checkout "
                'of minigrad `pip install -e ".[cuda12]"` (or `".[cuda13]"`), otherwise CuPy\'s own '
                "package `pip install cupy-cuda12x` (or `cupy-cuda13x`)."
            )
        return "cuda"
    if device == "cpu" or device in _extra:
        return device
    raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")


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
