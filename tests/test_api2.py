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


# ----- small Tensor methods and functions -----

def _pair(torch, a, requires_grad=True):
    return torch.tensor(a, requires_grad=requires_grad), mg.tensor(a, requires_grad=requires_grad)


UNARY = {
    "log1p": lambda t: t.log1p(), "sign": lambda t: t.sign(), "floor": lambda t: t.floor(),
    "ceil": lambda t: t.ceil(), "round": lambda t: t.round(), "round2": lambda t: t.round(decimals=2),
    "triu": lambda t: t.triu(), "triu1": lambda t: t.triu(1), "tril-1": lambda t: t.tril(-1),
    "tril2": lambda t: t.tril(diagonal=2), "mm": lambda t: t.mm(t.transpose(0, 1)),
    "masked_select": lambda t: t.masked_select(t > 0.1), "unbind1": lambda t: t.unbind(1)[2],
    "type_as": lambda t: t.type_as(t.double()),
}


@pytest.mark.parametrize("name", UNARY)
def test_methods_match_torch_values_and_grads(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    a = (rng.standard_normal((3, 4)) * 3).astype(np.float32)
    a[0, 0], a[0, 1], a[1, 1] = 0.0, 1.5, -2.5  # zero and halves: sign(0), round half to even
    a = np.abs(a) if name == "log1p" else a
    tx, x = _pair(torch, a)
    ty, y = UNARY[name](tx), UNARY[name](x)
    assert y.shape == tuple(ty.shape) and str(y.dtype) == str(ty.dtype).replace("torch.", "")
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-6)
    g = rng.standard_normal(ty.shape).astype(y.dtype)
    ty.backward(torch.tensor(g))
    y.backward(mg.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["log1p", "triu1", "tril-1", "mm", "masked_select", "unbind1"])
def test_methods_gradcheck(name, device):
    a = np.abs(np.random.default_rng(3).standard_normal((3, 4))) + 0.1
    x = mg.tensor(a if name == "log1p" else a - 0.6, device=device, requires_grad=True)
    assert gradcheck(UNARY[name], x)


def test_triangles_batched_and_functions_match_torch(device):
    torch = pytest.importorskip("torch")
    a = np.arange(2 * 3 * 4, dtype=np.int64).reshape(2, 3, 4)
    for k in (-1, 0, 2):
        assert np.array_equal(mg.triu(mg.tensor(a, device=device), k).numpy(), torch.triu(torch.tensor(a), k).numpy())
        assert np.array_equal(mg.tril(mg.tensor(a, device=device), k).numpy(), torch.tril(torch.tensor(a), k).numpy())


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round", "round2"])
def test_rounding_runs_on_devices_with_zero_gradient(name, device):
    a = np.array([[-1.26, 0.0, 2.5], [0.5, 3.7, -0.004]])
    x = mg.tensor(a, device=device, requires_grad=True)
    y = UNARY[name](x)
    assert y.device == x.device
    y.backward(mg.tensor(np.ones_like(a), device=device))
    assert np.array_equal(x.grad.numpy(), np.zeros_like(a))


def test_integer_rounding_keeps_dtype():
    torch = pytest.importorskip("torch")
    a = np.array([-3, 0, 2])
    for name in ("sign", "floor", "ceil", "round"):
        got, want = getattr(mg.tensor(a), name)(), getattr(torch.tensor(a), name)()
        assert str(got.dtype) == "int64" and np.array_equal(got.numpy(), want.numpy())


def test_argsort_nonzero_unbind_match_torch(device):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(4).permutation(24).reshape(2, 3, 4).astype(np.float32) - 10
    a[0, 1] = 0.0
    t, x = torch.tensor(a), mg.tensor(a, device=device)
    for dim in (-1, 0, 1):
        for desc in (False, True):
            assert np.array_equal(x.argsort(dim, desc).numpy(), torch.argsort(t, dim, desc).numpy())
    assert np.array_equal(mg.argsort(x, dim=1).numpy(), t.argsort(dim=1).numpy())
    nz = x.nonzero()
    assert nz.dtype == np.int64 and np.array_equal(nz.numpy(), t.nonzero().numpy())
    for dim in (0, 1, -1):
        got, want = x.unbind(dim), t.unbind(dim)
        assert len(got) == len(want) and all(np.array_equal(g.numpy(), w.numpy()) for g, w in zip(got, want))


def test_masked_select_broadcasts_as_torch():
    torch = pytest.importorskip("torch")
    a = np.arange(6.0).reshape(2, 3)
    m = np.array([True, False, True])
    tx, x = _pair(torch, a)
    ty, y = torch.masked_select(tx, torch.tensor(m)), mg.masked_select(x, mg.tensor(m))
    assert np.array_equal(y.numpy(), ty.detach().numpy())
    g = np.array([1.0, -2.0, 3.0, 0.5])
    ty.backward(torch.tensor(g))
    y.backward(mg.tensor(g))
    assert np.array_equal(x.grad.numpy(), tx.grad.numpy())
    small = mg.tensor(np.array([1.0, 2.0]))  # x broadcast up to the mask's shape
    got = small.masked_select(mg.tensor(np.array([[True, False], [True, True]])))
    want = torch.tensor([1.0, 2.0]).masked_select(torch.tensor([[True, False], [True, True]]))
    assert np.array_equal(got.numpy(), want.numpy())


def test_type_as_and_empty():
    x = mg.tensor([1.5, -2.0], requires_grad=True)
    y = x.type_as(mg.zeros(1, dtype=mg.float64))
    assert y.dtype == np.float64 and y.requires_grad
    assert x.type_as(mg.tensor([1])).dtype == np.int64
    e = mg.empty(2, 3, dtype=mg.float64)
    assert e.shape == (2, 3) and e.dtype == np.float64 and not e.numpy().any()  # zeros, documented
    assert mg.empty((4,)).shape == (4,) and mg.empty(1, requires_grad=True).requires_grad


def test_small_methods_bad_arguments():
    with pytest.raises(RuntimeError, match="mm: both operands must be 2-d"):
        mg.ones(2, 3, 4).mm(mg.ones(4, 2))
    with pytest.raises(RuntimeError, match="triu: needs a tensor with at least 2 dims"):
        mg.ones(3).triu()
    with pytest.raises(TypeError, match="masked_select: mask must be a bool tensor"):
        mg.ones(3).masked_select(mg.ones(3))
    with pytest.raises(RuntimeError, match="does not broadcast"):
        mg.ones(3).masked_select(mg.ones(2, dtype=mg.bool))
    with pytest.raises(IndexError):
        mg.ones(2).unbind(2)
    with pytest.raises(IndexError, match="0-d"):
        mg.tensor(1.0).unbind()


# ----- Module.half, Tensor.stride -----

def test_module_half_float_double():
    m = mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.BatchNorm1d(4))
    assert m.half() is m
    assert all(p.dtype == np.float16 for p in m.parameters())
    assert m[1].running_mean.dtype == np.float32  # buffers stay float32 under float16, as to()
    assert m.float()[0].weight.dtype == np.float32 and m.double()[0].weight.dtype == np.float64
    assert m[1].running_var.dtype == np.float64


def test_stride_matches_torch(device):
    torch = pytest.importorskip("torch")
    a = np.zeros((2, 3, 4), dtype=np.float32)
    t, x = torch.tensor(a), mg.tensor(a, device=device)
    for tt, xx in ((t, x), (t.transpose(0, 2), x.transpose(0, 2)), (t[:, 1], x[:, 1]), (t.double(), x.double())):
        assert xx.stride() == tt.stride()
        for d in range(-xx.ndim, xx.ndim):
            assert xx.stride(d) == tt.stride(d)
    assert mg.tensor(1.0).stride() == torch.tensor(1.0).stride() == ()
    with pytest.raises(IndexError):
        x.stride(3)
    with pytest.raises(IndexError, match="no dims"):
        mg.tensor(1.0).stride(0)


def test_conv_output_strides_differ_from_torch_as_documented():
    torch = pytest.importorskip("torch")
    y = mg.nn.Conv2d(2, 3, 3)(mg.randn(4, 2, 5, 5))
    ty = torch.nn.Conv2d(2, 3, 3)(torch.randn(4, 2, 5, 5))
    assert y.shape == tuple(ty.shape) and y.stride() != ty.stride()
    assert y.stride()[0] == 1  # batch-innermost, the documented layout
    assert y.contiguous().stride() == ty.stride()


def test_type_as_moves_to_the_others_device():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.type_as(mg.zeros(1, dtype=mg.float64, device="strict"))
    assert y.device == "strict" and y.dtype == np.float64
    y.backward(mg.tensor(np.array([0.5, -2.0]), device="strict"))
    np.testing.assert_array_equal(x.grad.numpy(), np.array([0.5, -2.0], dtype=np.float32))
    assert x.grad.device == "cpu"


def test_nonzero_of_a_0d_tensor_matches_torch():
    torch = pytest.importorskip("torch")
    for v in (2.0, 0.0):
        assert mg.tensor(v).nonzero().shape == tuple(torch.tensor(v).nonzero().shape)


def test_norm_double_backward_is_a_clear_error_and_penalties_work():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(5).standard_normal((3, 4))
    x = mg.tensor(a, requires_grad=True)
    with pytest.raises(NotImplementedError, match="Norm has no double backward"):
        mg.autograd.grad(x.norm(), x, create_graph=True)
    # a gradient penalty: the norm of a gradient made with create_graph, then backward
    (g,) = mg.autograd.grad((x * x * x).sum(), x, create_graph=True)
    ((g.norm(2, dim=1) - 1) ** 2).sum().backward()
    tx = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad((tx * tx * tx).sum(), tx, create_graph=True)
    ((tg.norm(2, dim=1) - 1) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
