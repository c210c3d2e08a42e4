"""Shared fixtures. `device` runs a test on every available device: "cpu" always, "strict" (the
CPU stand-in that fails where CuPy would, see minigrad/testing/strict.py) always, "cuda" when CuPy finds
a GPU (skipped with a reason otherwise). `pytest -k strict` runs only the strict cases."""

import os

import numpy as np
import pytest

import minigrad
import minigrad.testing.strict  # noqa: F401  (registers the "strict" device)
from minigrad import backend

DEVICES = ["cpu", "strict", "cuda"]


@pytest.fixture(params=DEVICES)
def device(request):
    if request.param == "cuda" and not backend.cuda_available:
        pytest.skip("CuPy with a GPU is not available")
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state."""
    minigrad.manual_seed(0)
    np.random.seed(0)


# Hypothesis profiles for the PyTorch fuzz tests (tests/test_fuzz.py): "ci", the default, is a
# fixed, deterministic budget; `pytest tests/test_fuzz.py --hypothesis-profile=long` runs many more.
try:
    from hypothesis import HealthCheck, settings
except ImportError:  # the fuzz tests skip
    pass
else:
    _quiet = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    settings.register_profile("ci", max_examples=250, derandomize=True, deadline=None,
                              suppress_health_check=_quiet, print_blob=True)
    settings.register_profile("long", max_examples=int(os.environ.get("FUZZ_EXAMPLES", 25_000)), deadline=None, suppress_health_check=_quiet,
                              print_blob=True)
    settings.load_profile("ci")
