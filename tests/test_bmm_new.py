"""minigrad.bmm (torch parity, gradcheck, shape/dtype errors) and Tensor.new_tensor/new_zeros/
new_ones/new_full/new_empty (dtype and device follow self unless given, as torch)."""

import numpy as np
import pytest

import minigrad
from minigrad.testing import gradcheck


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ***** bmm *****


def test_bmm_matches_torch():
    torch = pytest.importorskip("torch")
    a_np, b_np, G = rnd(4, 2, 3), rnd(4, 3, 5, seed=1), rnd(4, 2, 5, seed=2)
    a, b = minigrad.tensor(a_np, requires_grad=True), minigrad.tensor(b_np, requires_grad=True)
    at, bt = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    y, yt = minigrad.bmm(a, b), torch.bmm(at, bt)
    y.backward(minigrad.tensor(G))
    yt.backward(torch.tensor(G))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), bt.grad.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(a.bmm(b).numpy(), y.numpy())  # the method is the function


def test_bmm_gradcheck_and_float32(device):
    gradcheck(minigrad.bmm, minigrad.tensor(rnd(3, 2, 4), requires_grad=True),
              minigrad.tensor(rnd(3, 4, 2, seed=1), requires_grad=True))
    a = minigrad.tensor(rnd(3, 2, 4).astype(np.float32), device=device, requires_grad=True)
    b = minigrad.tensor(rnd(3, 4, 2).astype(np.float32), device=device)
    y = minigrad.bmm(a, b)
    y.backward(minigrad.ones(3, 2, 2, device=device))
    assert y.dtype == a.grad.dtype == np.float32 and y.device == device


@pytest.mark.parametrize("sa,sb,match", [
    ((2, 3), (2, 3, 4), r"expected two 3-d tensors .* got shapes \(2, 3\) and \(2, 3, 4\)"),
    ((1, 2, 3, 4), (1, 2, 4, 3), r"got shapes \(1, 2, 3, 4\) and \(1, 2, 4, 3\)"),
    ((2, 2, 3), (3, 3, 4), r"batch sizes differ: shapes \(2, 2, 3\) and \(3, 3, 4\) \(2 != 3\)"),
    ((1, 2, 3), (2, 3, 4), r"batch sizes differ"),  # no broadcasting, as torch.bmm
    ((2, 2, 3), (2, 4, 5), r"shapes \(2, 2, 3\) and \(2, 4, 5\) do not line up \(3 != 4\)"),
])
def test_bmm_shape_errors(sa, sb, match):
    with pytest.raises(ValueError, match=match):
        minigrad.bmm(minigrad.ones(*sa), minigrad.ones(*sb))


def test_bmm_type_errors():
    with pytest.raises(TypeError, match="float32.*float64|float64.*float32"):
        minigrad.bmm(minigrad.ones(2, 2, 2), minigrad.ones(2, 2, 2, dtype=minigrad.float64))
    with pytest.raises(TypeError, match="expected two Tensors, got Tensor and ndarray"):
        minigrad.bmm(minigrad.ones(2, 2, 2), np.ones((2, 2, 2)))


# ***** new_tensor, new_zeros, new_ones, new_full, new_empty *****

NEW = {  # (method call, expected values)
    "new_zeros": (lambda x, **kw: x.new_zeros(2, 3, **kw), np.zeros((2, 3))),
    "new_zeros_tuple": (lambda x, **kw: x.new_zeros((2, 3), **kw), np.zeros((2, 3))),
    "new_ones": (lambda x, **kw: x.new_ones((4,), **kw), np.ones(4)),
    "new_full": (lambda x, **kw: x.new_full((2, 2), 7, **kw), np.full((2, 2), 7)),
    "new_tensor": (lambda x, **kw: x.new_tensor([[1, 2], [3, 4]], **kw), np.array([[1, 2], [3, 4]])),
    "new_empty": (lambda x, **kw: x.new_empty(3, **kw), None),
}


@pytest.mark.parametrize("name", list(NEW))
@pytest.mark.parametrize("dtype", [minigrad.float32, minigrad.float64, minigrad.int64])
def test_new_methods_take_dtype_and_device_from_self(device, name, dtype):
    make, expect = NEW[name]
    x = minigrad.zeros(5, dtype=dtype, device=device)
    y = make(x)
    assert y.dtype == dtype and y.device == device and not y.requires_grad
    if expect is not None:
        np.testing.assert_array_equal(y.numpy(), expect)
    # given dtype, device and requires_grad win
    z = make(x, dtype=minigrad.float64, device="cpu", requires_grad=True)
    assert z.dtype == np.float64 and z.device == "cpu" and z.requires_grad and z.is_leaf


@pytest.mark.parametrize("name", [n for n in NEW if n != "new_empty"])
def test_new_methods_match_torch(name):
    torch = pytest.importorskip("torch")
    for ours_dtype, torch_dtype in ((minigrad.float32, torch.float32), (minigrad.int64, torch.int64),
                                    (minigrad.float64, torch.float64)):
        ours = NEW[name][0](minigrad.zeros(1, dtype=ours_dtype))
        theirs = NEW[name][0](torch.zeros(1, dtype=torch_dtype))
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_new_tensor_copies():
    src = np.array([1.0, 2.0], dtype=np.float32)
    y = minigrad.zeros(1).new_tensor(src)
    src[0] = 9
    assert y.tolist() == [1.0, 2.0]
    t = minigrad.tensor([3.0, 4.0], requires_grad=True)
    z = minigrad.zeros(1).new_tensor(t)  # a copy cut from the graph, as torch
    assert not z.requires_grad and z.tolist() == [3.0, 4.0]
