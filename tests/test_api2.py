"""Small PyTorch names that ported training and evaluation scripts use."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import gradcheck


# ----- inference_mode -----

def test_inference_mode_records_no_graph_and_restores():
    x = mg.ones(3, requires_grad=True)
    with mg.inference_mode():
        assert mg.is_inference_mode_enabled() and not mg.is_grad_enabled()
        y = x * 2
        with mg.inference_mode(False):  # as torch: records again inside
            assert not mg.is_inference_mode_enabled() and mg.is_grad_enabled()
            assert (x * 2).requires_grad
        assert mg.is_inference_mode_enabled()
    assert not y.requires_grad
    assert not mg.is_inference_mode_enabled() and mg.is_grad_enabled()


def test_inference_mode_decorators_and_exceptions():
    @mg.inference_mode()
    def f():
        return mg.is_inference_mode_enabled(), mg.is_grad_enabled()

    @mg.inference_mode
    def g():
        return mg.is_inference_mode_enabled(), mg.is_grad_enabled()

    assert f() == (True, False) and g() == (True, False)
    with pytest.raises(ValueError):
        with mg.inference_mode():
            raise ValueError
    assert not mg.is_inference_mode_enabled() and mg.is_grad_enabled()


def test_inference_mode_matches_torch():
    torch = pytest.importorskip("torch")
    for mode in (True, False):
        with torch.no_grad(), torch.inference_mode(mode):
            want = torch.is_inference_mode_enabled(), torch.is_grad_enabled()
        with mg.no_grad(), mg.inference_mode(mode):
            got = mg.is_inference_mode_enabled(), mg.is_grad_enabled()
        assert got == want
