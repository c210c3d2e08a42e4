"""Shared fixtures. `device` runs a test on every available device: "cpu" always, "strict" (the
CPU stand-in that fails where CuPy would, see minigrad/testing/strict.py) always, "cuda" when CuPy finds
a GPU (skipped with a reason otherwise). `pytest -k strict` runs only the strict cases."""

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
