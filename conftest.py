"""Root conftest: applies to the doctests in minigrad/ as well as to tests/.

Some doctests make inf or NaN on purpose, to show anomaly mode catching them; NumPy's
divide/invalid/overflow warnings are silenced for those doctests only (listed by name), so that
the test summary shows no expected warnings while an unexpected one anywhere else still shows.
"""

import numpy as np
import pytest

INF_NAN_ON_PURPOSE = {  # doctest names (module or object) whose examples make inf/NaN on purpose
    "minigrad.debug",
    "minigrad.debug.detect_anomaly",
}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    if type(item).__name__ == "DoctestItem" and item.name in INF_NAN_ON_PURPOSE:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            yield
    else:
        yield
