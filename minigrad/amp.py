"""`minigrad.amp`: what mixed-precision training scripts call, where it is honest to accept it.

minigrad has no automatic mixed precision: every op runs in its inputs' dtype. So
`autocast(..., enabled=False)` and `autocast(dtype=float32)` are accepted and change nothing,
and a disabled `GradScaler` passes the loss and the step through, as torch's does; an autocast to
float16 or bfloat16, or an enabled scaler, raises at construction and says what to write
instead. torch's rule that a "cuda" GradScaler without a GPU warns and disables itself is kept,
so nanoGPT's `torch.cuda.amp.GradScaler(enabled=(dtype == 'float16'))` runs on the CPU.

    >>> import minigrad
    >>> with minigrad.autocast(device_type="cpu", enabled=False):   # a no-op
    ...     y = minigrad.ones(2) * 2
    >>> scaler = minigrad.amp.GradScaler("cuda", enabled=False)
    >>> scaler.scale(y) is y, scaler.get_scale()
    (True, 1.0)
"""

from __future__ import annotations

import functools
import warnings

from . import dtypes


class autocast:  # torch's name
    """`torch.autocast` / `torch.amp.autocast(device_type, dtype=None, enabled=True)`: accepted
    when it would change nothing (disabled, or float32), as a context manager or a decorator."""

    def __init__(self, device_type: str = "cuda", dtype=None, enabled: bool = True, cache_enabled=None):
        if enabled and (dtype is None or dtypes.as_dtype(dtype) != dtypes.float32):
            raise NotImplementedError(
                f"autocast(device_type={device_type!r}, dtype={dtype!r}): minigrad has no automatic mixed "
                "precision (every op runs in its inputs' dtype). Train in float32 with "
                "contextlib.nullcontext() or autocast(..., enabled=False), or convert the model with .half()")
        self.device_type, self.enabled = device_type, False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapper


class GradScaler:
    """`torch.amp.GradScaler(device="cuda", ..., enabled=True)`, disabled: `scale(loss)` is the
    loss, `step(opt)` is `opt.step()`, `unscale_` and `update` do nothing, as torch's disabled
    scaler. Scaling guards float16 gradients made under autocast, which minigrad does not make."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True):
        if enabled and device == "cuda":
            from . import backend
            if not backend.cuda_available:  # torch's rule, so CPU runs of GPU scripts go on
                warnings.warn("GradScaler is enabled, but CUDA is not available. Disabling.", stacklevel=2)
                enabled = False
        if enabled:
            raise NotImplementedError(
                "GradScaler(enabled=True): minigrad has no float16 autocast for a scaler to guard; "
                "train in float32 and pass enabled=False")
        self.device = device

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer) -> None:
        pass

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        pass

    def get_scale(self) -> float:
        return 1.0

    def is_enabled(self) -> bool:
        return False

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict) -> None:
        pass


class _CudaAmp:
    """`torch.cuda.amp`: the older spelling, with the device fixed to "cuda"."""

    @staticmethod
    def autocast(enabled: bool = True, dtype=dtypes.float16, cache_enabled: bool = True) -> autocast:
        return autocast("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)

    GradScaler = functools.partial(GradScaler, "cuda")
