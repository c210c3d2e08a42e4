"""F.normalize: torch parity for each p and dim, gradcheck with a random upstream gradient,
a zero vector (no NaN, torch's 1/eps gradient), float32, errors."""

import math

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.testing import gradcheck, gradgradcheck


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


CASES = [(2, 1), (2, -1), (1, 1), (3, 0), (0.5, 1), (math.inf, 1), (2, (1, 2))]
IDS = [f"p{p}-dim{d}" for p, d in CASES]


@pytest.mark.parametrize("p,dim", CASES, ids=IDS)
def test_normalize_matches_torch(p, dim):
    torch = pytest.importorskip("torch")
    x_np = rnd(4, 3, 5)
    x_np[1, :, 2] = 0.0  # a zero vector along dim 1
    G = rnd(4, 3, 5, seed=1)
    x, xt = minigrad.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    y, yt = F.normalize(x, p=p, dim=dim), torch.nn.functional.normalize(xt, p=p, dim=dim)
    y.backward(minigrad.tensor(G))
    yt.backward(torch.tensor(G))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("p,dim", [c for c in CASES if c[0] != 0.5], ids=[i for c, i in zip(CASES, IDS) if c[0] != 0.5])
def test_normalize_gradcheck(p, dim):
    x = minigrad.tensor(rnd(3, 4, 2, seed=5), requires_grad=True)  # not gradcheck's G (seed 0): G = x gives 0
    gradcheck(lambda v: F.normalize(v, p=p, dim=dim), x)
    if p == 2:
        gradgradcheck(lambda v: F.normalize(v, p=p, dim=dim) * v, x)  # composed from ops with double backward


def test_zero_vector_stays_zero_with_torch_gradient():
    """||0|| is clamped to eps: the output is 0 and the gradient is G / eps, never NaN."""
    with np.errstate(all="raise"):
        x = minigrad.zeros(2, 3, dtype=minigrad.float64, requires_grad=True)
        y = F.normalize(x)
        y.backward(minigrad.ones(2, 3, dtype=minigrad.float64))
    np.testing.assert_array_equal(y.numpy(), 0)
    np.testing.assert_allclose(x.grad.numpy(), 1e12, rtol=1e-12)


def test_unit_norm_and_float32(device):
    x = minigrad.tensor(rnd(5, 7).astype(np.float32), device=device, requires_grad=True)
    y = F.normalize(x, dim=1)
    y.backward(minigrad.ones(5, 7, device=device))
    assert y.dtype == x.grad.dtype == np.float32 and y.device == device
    np.testing.assert_allclose(np.linalg.norm(y.numpy(), axis=1), 1.0, rtol=1e-6)


def test_normalize_errors():
    with pytest.raises(ValueError, match="p must be a positive number"):
        F.normalize(minigrad.randn(2, 3), p=0)
    with pytest.raises(TypeError, match="needs a floating-point tensor, got int64"):
        F.normalize(minigrad.tensor([[1, 2]]))
