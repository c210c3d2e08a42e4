"""nn.Linear and F.linear: fused == composed, gradcheck, torch parity, PyTorch's default
initialisation, errors at the API boundary."""

import math

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.nn.linear import LinearFunction
from minigrad.testing import gradcheck

from parity import assert_step_matches, copy_weights


f64 = minigrad.float64


def rnd(*shape, scale=1.0, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def T(a, device="cpu", requires_grad=False):
    return minigrad.tensor(a, device=device, requires_grad=requires_grad)


# ***** Linear *****


@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(x_shape, bias):
    x = T(rnd(*x_shape), requires_grad=True)
    W = T(rnd(3, 4, seed=1), requires_grad=True)
    b = T(rnd(3, seed=2), requires_grad=True) if bias else None
    gradcheck(lambda x, W, *b: F.linear(x, W, *b), x, W, *([b] if bias else []))


@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_fused_equals_composed(x_shape, bias):
    G = rnd(*x_shape[:-1], 3, seed=9)
    out = []
    for fn in (F.linear, F.linear_simple):
        x, W = T(rnd(*x_shape), requires_grad=True), T(rnd(3, 4, seed=1), requires_grad=True)
        b = T(rnd(3, seed=2), requires_grad=True) if bias else None
        y = fn(x, W, b)
        y.backward(T(G))
        out.append([y, x.grad, W.grad] + ([b.grad] if bias else []))
    for a, b in zip(*out):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


def test_linear_is_one_graph_node():
    y = nn.Linear(4, 3)(minigrad.randn(2, 4))
    assert isinstance(y._ctx, LinearFunction)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_torch_parity(bias):
    torch = pytest.importorskip("torch")
    ours = nn.Linear(4, 3, bias=bias, dtype=f64)
    theirs = torch.nn.Linear(4, 3, bias=bias, dtype=torch.float64)
    copy_weights(ours, theirs)
    assert_step_matches(ours, theirs, rnd(6, 4), rnd(6, 3, seed=3), rtol=1e-8, atol=1e-8)


def test_linear_shapes_and_float32(device):
    fc = nn.Linear(4, 3).to(device)
    assert fc.weight.shape == (3, 4) and fc.bias.shape == (3,)
    x = minigrad.randn(5, 4, device=device, requires_grad=True)
    y = fc(x)
    y.backward(minigrad.randn(5, 3, device=device))
    assert y.dtype == x.grad.dtype == fc.weight.grad.dtype == fc.bias.grad.dtype == np.float32
    assert y.device == device


@pytest.mark.parametrize("x_shape", [(5, 3), (5,), (2, 5, 7)])
def test_linear_wrong_input_names_shapes(x_shape):
    with pytest.raises(ValueError, match=r"input of shape .* does not fit weight of shape \(3, 4\)"):
        nn.Linear(4, 3)(minigrad.zeros(*x_shape))


def test_linear_default_init_is_pytorchs():
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias: bounds and variance b^2/3."""
    fc = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for t in (fc.weight, fc.bias):
        a = t.numpy()
        assert a.min() >= -bound and a.max() <= bound
    assert abs(fc.weight.numpy().var() / (bound**2 / 3) - 1) < 0.02
    assert abs(fc.weight.numpy().max() / bound - 1) < 0.01


def test_linear_init_is_seeded_and_device_independent():
    minigrad.manual_seed(3)
    a = nn.Linear(5, 4)
    minigrad.manual_seed(3)
    b = nn.Linear(5, 4, device="strict")
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    c = nn.Linear(5, 4)
    assert not np.array_equal(a.weight.numpy(), c.weight.numpy())


@pytest.mark.parametrize("x_dtype, w_dtype", [(np.float64, None), (np.float16, None), (None, np.float64)])
def test_linear_dtype_mismatch_raises_like_conv_and_torch(x_dtype, w_dtype):
    """float64 data into a float32 Linear gave float64 .grad on float32 parameters; torch raises,
    as conv2d does here."""
    fc = nn.Linear(4, 3, dtype=w_dtype)
    x = minigrad.tensor(np.ones((2, 4)), dtype=x_dtype or np.float32)
    with pytest.raises(TypeError, match=f"{x.dtype}.*{fc.weight.dtype}"):
        fc(x)
    with pytest.raises(TypeError, match="bias"):
        F.linear(minigrad.ones(2, 4), minigrad.ones(3, 4), minigrad.ones(3, dtype=minigrad.float64))
    assert fc.weight.grad is None
