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


# ----- isnan / isinf / isfinite -----

SPECIAL = [1.0, float("nan"), float("inf"), -float("inf"), 0.0, -2.5]


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_classify_matches_torch(name, device):
    torch = pytest.importorskip("torch")
    for dtype in (np.float32, np.float64):
        a = np.array(SPECIAL, dtype=dtype)
        x = mg.tensor(a, device=device, requires_grad=True)
        for got in (getattr(mg, name)(x), getattr(x, name)()):
            assert got.dtype == np.bool_ and not got.requires_grad and got.device == x.device
            np.testing.assert_array_equal(got.numpy(), getattr(torch, name)(torch.tensor(a)).numpy())
    ints = np.array([1, -3, 0])
    np.testing.assert_array_equal(getattr(mg, name)(mg.tensor(ints)).numpy(),
                                  getattr(torch, name)(torch.tensor(ints)).numpy())


def test_classify_needs_a_tensor():
    with pytest.raises(TypeError, match="isnan: expected a Tensor"):
        mg.isnan(1.0)


# ----- norm -----

PS = [2, "fro", 1, 3, 0.5, 1.5, float("inf"), -float("inf"), 0]
DIMS = [None, 1, (0, 2), -1]


@pytest.mark.parametrize("p", PS, ids=str)
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_norm_matches_torch_values_and_grads(p, dim, keepdim):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    a[0, 1, 2] = 0.0  # a zero element: 0^(p-1) for p < 1
    tx = torch.tensor(a, requires_grad=True)
    ty = torch.norm(tx, p=p, dim=dim, keepdim=keepdim)
    x = mg.tensor(a, requires_grad=True)
    y = x.norm(p, dim, keepdim)
    assert y.dtype == np.float32 and y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = rng.standard_normal(ty.shape).astype(np.float32)
    ty.backward(torch.tensor(g))
    y.backward(mg.tensor(g))
    want = tx.grad.numpy() if tx.grad is not None else np.zeros_like(a)  # p=0: torch leaves None
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("p", [2, 1, 3, float("inf"), -float("inf")], ids=str)
def test_norm_gradient_at_zero_matches_torch(p):
    torch = pytest.importorskip("torch")
    tz = torch.zeros(2, 3, requires_grad=True)
    torch.norm(tz, p=p, dim=1).backward(torch.tensor([0.7, -1.3]))
    z = mg.zeros(2, 3, requires_grad=True)
    z.norm(p, dim=1).backward(mg.tensor(np.array([0.7, -1.3], dtype=np.float32)))
    np.testing.assert_array_equal(z.grad.numpy(), tz.grad.numpy())  # zeros, not NaN


def test_norm_ties_share_gradient_as_torch():
    torch = pytest.importorskip("torch")
    a = np.array([1.0, -3.0, 3.0, 1.0])
    for p in (float("inf"), -float("inf")):
        tx = torch.tensor(a, requires_grad=True)
        torch.norm(tx, p=p).backward()
        x = mg.tensor(a, requires_grad=True)
        x.norm(p).backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("p", [2, 1, 3, 0.7, float("inf"), -float("inf")], ids=str)
def test_norm_gradcheck(p, device):
    rng = np.random.default_rng(1)
    x = mg.tensor(rng.standard_normal((3, 4)), device=device, requires_grad=True)
    assert gradcheck(lambda t: t.norm(p, dim=1), x)
    assert gradcheck(lambda t: mg.norm(t, p), x)


def test_norm_bad_arguments():
    with pytest.raises(TypeError, match="floating-point"):
        mg.tensor([1, 2]).norm()
    with pytest.raises(ValueError, match="nuc"):
        mg.ones(2, 2).norm("nuc")
    with pytest.raises(ValueError, match="negative"):
        mg.ones(2).norm(-1)
    with pytest.raises(IndexError):
        mg.ones(2).norm(dim=3)
