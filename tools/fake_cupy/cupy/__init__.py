"""A FAKE CuPy, for rehearsing `tools/gpu_check.py --device cuda` on a machine without a GPU.

NOT a GPU and no GPU numbers: arrays are the strict stand-in device's (NumPy underneath, with
CuPy's refusals), and the "card", versions and memory pool are made up ("Fake GPU", CuPy
"0.0+fake"). It exists so that the cuda-only code paths of the check (versions, memory pool,
cuda test selection, planning) run in CI before the one real GPU window. Use it only as

    PYTHONPATH=tools/fake_cupy python tools/gpu_check.py --device cuda ...
"""

import pathlib
import re
import types

_ROOT = pathlib.Path(__file__).resolve().parents[3]
_path = next(p for p in (_ROOT / "minigrad" / "testing" / "strict.py", _ROOT / "minigrad" / "strict.py") if p.exists())
# The strict module, loaded on its own: without registering a "strict" device, without minigrad.
_src = re.sub(r"from \.+ import backend", "", _path.read_text())
_src = _src.replace('backend.register_device("strict", xp)', "")


def _memory_owner(array):  # the one function of minigrad.backend the strict module uses
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


_ns = {"__name__": "fake_cupy_core", "backend": types.SimpleNamespace(memory_owner=_memory_owner)}
exec(compile(_src, str(_path), "exec"), _ns)
for _k in dir(_ns["xp"]):
    if not _k.startswith("__"):
        globals()[_k] = getattr(_ns["xp"], _k)
__version__ = "0.0+fake"


class _Device:
    def __init__(self, *a):
        pass

    def synchronize(self):
        pass


class _Runtime:
    getDeviceCount = staticmethod(lambda: 1)
    runtimeGetVersion = staticmethod(lambda: 13000)
    driverGetVersion = staticmethod(lambda: 13000)
    getDeviceProperties = staticmethod(lambda i: dict(name=b"Fake GPU", major=0, minor=0, totalGlobalMem=2**30))


class _Pool:
    """Made-up constant sizes: the check's arithmetic runs, nothing is measured."""

    def used_bytes(self):
        return 2**20

    def total_bytes(self):
        return 2 * 2**20

    def free_all_blocks(self):
        pass


_pool = _Pool()
cuda = types.SimpleNamespace(runtime=_Runtime, Device=_Device)


def get_default_memory_pool():
    return _pool


def show_config():
    print("FAKE CuPy (tools/fake_cupy): no GPU")
