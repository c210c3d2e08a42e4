"""`minigrad.backends`, the `torch.backends` flags that training scripts set at the top:

    >>> import minigrad
    >>> minigrad.backends.cudnn.benchmark = True      # as in PyTorch code; changes nothing here
    >>> minigrad.backends.cudnn.is_available()
    False
    >>> minigrad.backends.mps.is_available()           # Apple's GPU: scripts ask before using it
    False
    >>> minigrad.backends.cuda.matmul.allow_tf32 = True  # nanoGPT's train.py; recorded only

minigrad has no cuDNN: its convolutions pick their algorithm themselves (nn/conv.py), so
`benchmark` has nothing to tune, and every op gives the same result run after run on the CPU.
On a GPU, ops that add at repeated indices (the backward of indexing, gather and Embedding) use
CuPy's atomic adds, whose float order may vary: `deterministic = True` does not change that.
"""

from __future__ import annotations


class _Flags:
    """Settable flags that minigrad reads nowhere (see the module docstring)."""

    def __init__(self, **flags):
        self.__dict__.update(flags)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


class _CuDNN(_Flags):
    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def version():
        return None


cudnn = _CuDNN(benchmark=False, deterministic=False, enabled=True, allow_tf32=True)


class _MPS:
    """`torch.backends.mps`: Apple's Metal GPU, which minigrad does not run on (NumPy or CuPy)."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def is_built() -> bool:
        return False


mps = _MPS()


class _CudaBackend(_Flags):
    """`torch.backends.cuda`: its TensorFloat-32 switches are recorded and read nowhere. CuPy
    uses TF32 only when the CUPY_TF32 environment variable asks for it, so float32 matrix
    products on the GPU keep full float32 precision whatever these say."""

    @staticmethod
    def is_built() -> bool:
        from . import backend
        return backend.cuda_available


cuda = _CudaBackend(matmul=_Flags(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                                  allow_bf16_reduced_precision_reduction=True))

_matmul_precision = "highest"


def set_float32_matmul_precision(precision: str) -> None:
    """`torch.set_float32_matmul_precision("high")`: recorded, changes nothing (float32 matrix
    products are always full float32 here; see `cuda` above)."""
    global _matmul_precision
    if precision not in ("highest", "high", "medium"):
        raise ValueError(f"set_float32_matmul_precision: expected 'highest', 'high' or 'medium', got {precision!r}")
    _matmul_precision = precision


def get_float32_matmul_precision() -> str:
    return _matmul_precision


_deterministic = False


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """`torch.use_deterministic_algorithms(True)`, as reproducible scripts call it (the DCGAN
    tutorial does): recorded for `are_deterministic_algorithms_enabled`, and changes nothing.
    On the CPU every op already gives the same result run after run; on a GPU the indexed adds
    named in the module docstring keep their varying float order (no op raises, unlike PyTorch).
    """
    global _deterministic
    _deterministic = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic
