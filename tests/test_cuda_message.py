"""The "no CUDA" error points at installs that work: this repository's extras and CuPy's own
package names. `minigrad` on the package index is another project, so the message must never
suggest `pip install minigrad[cuda]`."""

import pytest

from minigrad import backend


def test_cuda_error_names_installs_that_work(monkeypatch):
    monkeypatch.setattr(backend, "cuda_available", False)
    with pytest.raises(RuntimeError) as info:
        backend.check_device("cuda")
    msg = str(info.value)
    assert "minigrad[cuda" not in msg
    assert 'pip install -e ".[cuda12]"' in msg and '".[cuda13]"' in msg
    assert "cupy-cuda12x" in msg and "cupy-cuda13x" in msg
