"""`minigrad.accelerator`, as torch.accelerator: the idiom of the current official examples,

    >>> import minigrad
    >>> device = (minigrad.accelerator.current_accelerator().type
    ...           if minigrad.accelerator.is_available() else "cpu")
    >>> minigrad.ones(2, device=device).device == device
    True

runs unchanged. minigrad's one accelerator is a CUDA GPU (through CuPy).
"""

from __future__ import annotations

from . import backend


def is_available() -> bool:
    """True when there is an accelerator (a CUDA GPU that CuPy can use)."""
    return backend.cuda_available


def current_accelerator(check_available: bool = False):
    """`minigrad.device("cuda")` when a GPU can be used, else None (as torch: no accelerator)."""
    return backend.device("cuda") if backend.cuda_available else None


def device_count() -> int:
    """How many accelerators there are."""
    return backend.cuda_device_count()


def synchronize(device=None) -> None:
    """Wait until the accelerator has finished its queued work."""
    backend.synchronize("cuda" if backend.cuda_available else "cpu")  # nothing queued on the CPU
