"""A batch of 0 samples through the layers that reshaped with -1 (ambiguous when the array is
empty) and used to raise: the output has the right empty shape and every gradient is zeros of
its tensor's shape, as in PyTorch. (tests/test_layer_sweep.py checks every layer against torch.)"""

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F


@pytest.mark.parametrize("layer,shape,out_shape", [
    (lambda: nn.Conv2d(2, 3, 3), (0, 2, 5, 5), (0, 3, 3, 3)),  # 3x3 stride 1: the Winograd path
    (lambda: nn.Conv2d(2, 4, 2, stride=2, groups=2), (0, 2, 4, 4), (0, 4, 2, 2)),  # im2col
    (lambda: nn.Conv1d(2, 4, 3, padding=1), (0, 2, 6), (0, 4, 6)),
    (lambda: nn.Unfold(2), (0, 2, 3, 3), (0, 8, 4)),
    (lambda: nn.Fold((3, 3), 2), (0, 8, 4), (0, 2, 3, 3)),
])
def test_empty_batch_gives_empty_output_and_zero_gradients(layer, shape, out_shape):
    m = layer()
    x = minigrad.zeros(*shape, requires_grad=True)
    y = m(x)
    assert y.shape == out_shape
    y.backward(minigrad.zeros(*out_shape))
    assert x.grad.shape == shape
    for name, p in m.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
        np.testing.assert_array_equal(p.grad.numpy(), 0.0, err_msg=name)


def test_max_unpool2d_of_an_empty_batch():
    x = minigrad.zeros(0, 2, 4, 6, requires_grad=True)
    y, i = F.max_pool2d(x, 2, return_indices=True)
    out = F.max_unpool2d(y, i, 2)
    assert out.shape == (0, 2, 4, 6)
    out.backward(minigrad.zeros(0, 2, 4, 6))
    assert x.grad.shape == (0, 2, 4, 6)
