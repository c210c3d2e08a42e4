"""`minigrad.cuda`, the few torch.cuda calls that device-choosing code makes.

    >>> import minigrad
    >>> dev = minigrad.device("cuda" if minigrad.cuda.is_available() else "cpu")
    >>> minigrad.zeros(2, device=dev).device == dev
    True
"""

from __future__ import annotations

from . import backend
from .amp import _CudaAmp
from .random import manual_seed as _manual_seed


def is_available() -> bool:
    """True when CuPy is installed and sees a GPU (tensors can go to "cuda")."""
    return backend.cuda_available


def device_count() -> int:
    """How many GPUs there are (minigrad uses the first)."""
    return backend.cuda_device_count()


def current_device() -> int:
    """The index of the GPU in use: always 0."""
    return 0


def synchronize(device=None) -> None:
    """Wait until the GPU has finished all queued work (before reading a timer). As in PyTorch,
    raises without a GPU."""
    backend.synchronize("cuda")


def manual_seed(seed: int) -> None:
    """Seed minigrad's generator. It is the same for every device (random numbers are drawn on
    the host), so this is `minigrad.manual_seed`."""
    _manual_seed(seed)


manual_seed_all = manual_seed


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: minigrad has no bfloat16 (NumPy has none), on any device. nanoGPT then picks float16."""
    return False


amp = _CudaAmp()  # torch.cuda.amp.GradScaler / autocast
