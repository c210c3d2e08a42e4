"""Which kernels NumPy's OpenBLAS runs, for the benchmarks' header lines.

WHY it matters: OpenBLAS picks its matrix-product kernels when NumPy loads it, from what the CPU
reports. On the 2-core virtual machine these benchmarks ran on, the CPU has AVX-512 but OpenBLAS
picks its AVX2 kernels ("Haswell"), and every convolution runs at about 2/3 of the speed the
same library reaches with `OPENBLAS_CORETYPE=SkylakeX` set before NumPy is imported. PyTorch's
oneDNN convolutions use AVX-512 there. So a CNN ratio against PyTorch means little without the
kernel name next to it.
"""

from __future__ import annotations

import ctypes


def openblas_core() -> str | None:
    """The kernel family NumPy's OpenBLAS chose ("Haswell", "SkylakeX", ...), or None when that
    cannot be read (not Linux, not OpenBLAS)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                     "openblas_get_corename64_", "openblas_get_corename"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return None


def cpu_has_avx512() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and " avx512f" in line for line in f)
    except OSError:
        return False


def describe() -> str:
    """One line for a benchmark's header: the OpenBLAS kernels, and a hint when they are AVX2
    ones on an AVX-512 CPU."""
    core = openblas_core()
    line = f"OpenBLAS kernels: {core or 'unknown'}"
    if core in ("Haswell", "Zen") and cpu_has_avx512():
        line += (" on a CPU with AVX-512; OPENBLAS_CORETYPE=SkylakeX (set before NumPy is imported) "
                 "selects OpenBLAS's AVX-512 kernels")
    return line
