"""dtypes and PyTorch's promotion rules, in one place.

NumPy 2 promotes `float32_array * np.float64(0.5)` to float64; PyTorch keeps float32. The ops
follow PyTorch: a number takes the tensor's dtype, floats beat integers, and a 0-d tensor does
not widen a dimensioned tensor of the same kind.

    >>> from minigrad import dtypes
    >>> dtypes.as_dtype("float64")
    dtype('float64')
    >>> dtypes.scalar_dtype(0.5, dtypes.int64)  # int tensor * float number -> default float
    dtype('float32')
"""

from __future__ import annotations

import numpy as np

float32, float64 = np.dtype("float32"), np.dtype("float64")
int64, bool_ = np.dtype("int64"), np.dtype("bool")
float16, int32, uint8 = np.dtype("float16"), np.dtype("int32"), np.dtype("uint8")
default_float = float32  # what Python floats, rand/randn and integer math (exp, div) give


class MissingDtype:
    """A PyTorch dtype that NumPy, and so minigrad, lacks. The name exists so that scripts which
    list dtypes build their tables (nanoGPT: `{'bfloat16': torch.bfloat16, ...}[dtype]`); using
    it as a dtype raises a TypeError that names what to use instead."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"minigrad.{self.name}"


bfloat16 = MissingDtype("bfloat16")


class memory_format:
    """A PyTorch memory format (`minigrad.channels_last`, ...). `Tensor.to`, `Tensor.contiguous`
    and `Module.to` accept one so that scripts which ask for NHWC memory (U-Net training loops)
    run; it changes no value, shape or dtype, only how a torch tensor would be strided (minigrad
    picks each op's layout itself, see nn/conv.py).

    >>> import minigrad
    >>> x = minigrad.ones(2, 3, 4, 4)
    >>> y = x.to(memory_format=minigrad.channels_last)
    >>> y.shape, bool((y == x).all())
    ((2, 3, 4, 4), True)
    """

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"minigrad.{self.name}"

    @staticmethod
    def check(value) -> None:
        """A TypeError unless `value` is None or a memory format (not, say, a dtype)."""
        if value is not None and not isinstance(value, memory_format):
            raise TypeError(f"memory_format must be one of minigrad.contiguous_format, channels_last, "
                            f"channels_last_3d or preserve_format, got {value!r}")


contiguous_format, channels_last, channels_last_3d, preserve_format = (
    memory_format(n) for n in ("contiguous_format", "channels_last", "channels_last_3d", "preserve_format"))


class DtypeError(TypeError, RuntimeError):
    """A tensor of the wrong dtype. PyTorch raises RuntimeError where NumPy-minded code expects
    TypeError; this is both, so `except RuntimeError` ported from PyTorch code catches it."""


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit (broadcasting, reshape, matmul). PyTorch raises RuntimeError where
    NumPy-minded code expects ValueError; this is both."""


def set_default_dtype(dtype) -> None:
    """Make `dtype` (a float dtype) what Python floats, `rand`/`randn`, layer parameters and
    integer math (`int / int`) give, as torch.set_default_dtype.

    >>> import minigrad
    >>> minigrad.set_default_dtype(minigrad.float64)
    >>> minigrad.tensor([1.0]).dtype, minigrad.zeros(1).dtype
    (dtype('float64'), dtype('float64'))
    >>> minigrad.set_default_dtype(minigrad.float32)
    """
    global default_float
    d = as_dtype(dtype)
    if d is None or d.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point types can be the default, got {dtype!r}")
    default_float = d


def get_default_dtype():
    """The dtype that Python floats and the float creation functions give (float32 unless
    `set_default_dtype` changed it)."""
    return default_float


def as_dtype(dtype):
    """A NumPy dtype from a dtype, a name ("float32") or a type (np.float32); None stays None."""
    if dtype is None:
        return None
    if isinstance(dtype, MissingDtype):
        raise TypeError(f"minigrad has no {dtype.name} (NumPy has no such type): use float32, or float16")
    name = getattr(dtype, "name", None) if not isinstance(dtype, str) else dtype
    try:
        return np.dtype(name if name is not None else dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}") from None


def is_dtype_name(name: str) -> bool:
    """True for a dtype's name ("float32"), False for anything else (a device name, "cpu")."""
    try:
        np.dtype(name)
    except TypeError:
        return False
    return True


def float_or_default(dtype):
    """A layer's parameter dtype: the one asked for, else the default float."""
    return as_dtype(dtype) or default_float


def is_float(dtype) -> bool:
    return np.dtype(dtype).kind == "f"


def scalar_dtype(value, ref_dtype):
    """PyTorch's rule: a Python/NumPy number or 0-d array takes the tensor's dtype, unless the
    tensor holds integers and the number is a float (then the default float dtype)."""
    kind = (value.dtype if hasattr(value, "dtype") else np.asarray(value).dtype).kind
    if ref_dtype.kind in "iub" and kind == "f":
        return default_float
    if ref_dtype.kind == "b" and kind in "iu":
        return int64
    return ref_dtype


def promote_types(da, ndim_a: int, db, ndim_b: int):
    """The common dtype of two tensors: floats beat integers, and a 0-d tensor does not widen a
    dimensioned tensor of the same kind."""
    if da == db:
        return da
    fa, fb = da.kind == "f", db.kind == "f"
    if fa != fb:
        return da if fa else db
    if ndim_a == 0 and ndim_b > 0:
        return db
    if ndim_b == 0 and ndim_a > 0:
        return da
    return np.promote_types(da, db)


def join_dtype(dtypes) -> np.dtype:
    """The dtype of cat/stack of tensors of `dtypes`: floats beat integers, as in PyTorch."""
    floats = [d for d in dtypes if d.kind == "f"]
    return np.result_type(*(floats or dtypes))


def check_same_dtype(op: str, x, **others) -> None:
    """Raise TypeError unless every tensor in `others` (None allowed) has x's dtype: a float64
    weight with a float32 input would otherwise give float64 gradients to float32 parameters.

    >>> import minigrad
    >>> from minigrad import dtypes
    >>> x, w = minigrad.ones(2), minigrad.ones(2, dtype=minigrad.float64)
    >>> dtypes.check_same_dtype("linear", x, weight=w)
    Traceback (most recent call last):
    ...
    minigrad.dtypes.DtypeError: linear: input is float32 but weight is float64; convert one with .to(dtype=...)
    """
    for name, t in others.items():
        if t is not None and t.dtype != x.dtype:
            raise DtypeError(f"{op}: input is {x.dtype} but {name} is {t.dtype}; convert one with "
                            ".to(dtype=...)")
