"""Activations: the primitive ones re-exported by nn (torch parity, gradcheck, float32 kept) and
GELU, the op added end to end in docs/extending.md (gradcheck, torch parity, errors)."""

import math

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import gradcheck
from minigrad.nn.activation import _erf

from parity import assert_step_matches


f64 = minigrad.float64


def rnd(*shape, scale=1.0, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def T(a, device="cpu", requires_grad=False):
    return minigrad.tensor(a, device=device, requires_grad=requires_grad)


def _x(shape, device, scale=2.0, dtype=f64, requires_grad=True):
    host = np.random.default_rng(1).standard_normal(shape) * scale
    return minigrad.tensor(host, dtype=dtype, device=device, requires_grad=requires_grad)


# ***** activations *****

ACTIVATIONS = [
    ("ReLU", lambda: nn.ReLU(), lambda t: t.nn.ReLU()),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2), lambda t: t.nn.LeakyReLU(0.2)),
    ("Tanh", lambda: nn.Tanh(), lambda t: t.nn.Tanh()),
    ("Sigmoid", lambda: nn.Sigmoid(), lambda t: t.nn.Sigmoid()),
    ("Softmax", lambda: nn.Softmax(dim=1), lambda t: t.nn.Softmax(dim=1)),
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=1), lambda t: t.nn.LogSoftmax(dim=1)),
    ("Softmax0", lambda: nn.Softmax(dim=0), lambda t: t.nn.Softmax(dim=0)),
    ("Identity", lambda: nn.Identity(), lambda t: t.nn.Identity()),
    ("Flatten", lambda: nn.Flatten(), lambda t: t.nn.Flatten()),
    ("Flatten0", lambda: nn.Flatten(0, 1), lambda t: t.nn.Flatten(0, 1)),
    ("ReLU6", lambda: nn.ReLU6(), lambda t: t.nn.ReLU6()),
    ("Hardtanh", lambda: nn.Hardtanh(-2.0, 2.5), lambda t: t.nn.Hardtanh(-2.0, 2.5)),
    ("ELU", lambda: nn.ELU(0.7), lambda t: t.nn.ELU(0.7)),
    ("SiLU", lambda: nn.SiLU(), lambda t: t.nn.SiLU()),
    ("Softplus", lambda: nn.Softplus(), lambda t: t.nn.Softplus()),
    ("Softplus_beta", lambda: nn.Softplus(beta=2.0, threshold=5.0), lambda t: t.nn.Softplus(beta=2.0, threshold=5.0)),
]


@pytest.mark.parametrize("name,ours,theirs", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_torch_parity(name, ours, theirs):
    torch = pytest.importorskip("torch")
    x, G = rnd(4, 5, 3, scale=3), rnd(*ours()(T(rnd(4, 5, 3))).shape, seed=1)
    assert_step_matches(ours(), theirs(torch), x, G, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name,ours,theirs", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_gradcheck_and_float32(device, name, ours, theirs):
    x = T(rnd(3, 4, 2, scale=2).astype(np.float32), device, requires_grad=True)
    y = ours()(x)
    assert y.dtype == np.float32 and y.device == device
    if device == "cpu":
        gradcheck(ours(), T(rnd(3, 4, 2, scale=2) + 0.01, requires_grad=True))


def test_activation_reprs():
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


# ***** GELU *****


def test_erf_matches_math_erf():
    xs = np.concatenate([np.linspace(-7, 7, 20001), [-2.5, 2.5, 0.0, 1e-300, -40.0, 40.0]])
    ours = _erf(np, xs)
    ref = np.array([math.erf(v) for v in xs])
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-13)
    assert _erf(np, xs.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_gradcheck(approximate, device):
    x = _x((3, 5), device)
    assert gradcheck(lambda x: F.gelu(x, approximate), x)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_keeps_float32(approximate, device):
    x = _x((4,), device, dtype=minigrad.float32)
    y = F.gelu(x, approximate)
    y.backward(minigrad.ones(4, device=device))
    assert y.dtype == minigrad.float32 and x.grad.dtype == minigrad.float32


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_torch_parity(approximate):
    torch = pytest.importorskip("torch")
    host = np.random.default_rng(2).standard_normal((6, 7)) * 3
    G = np.random.default_rng(3).standard_normal((6, 7))
    assert_step_matches(nn.GELU(approximate), torch.nn.GELU(approximate), host, G, rtol=1e-8, atol=1e-12)


def test_gelu_bad_argument():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'fast'"):
        F.gelu(minigrad.ones(2), approximate="fast")
    with pytest.raises(ValueError, match="'fast'"):
        nn.GELU("fast")


# ***** inplace=True: the input itself changes, as in PyTorch *****

INPLACE = {
    "nn.ReLU": lambda inplace: nn.ReLU(inplace=inplace),
    "nn.LeakyReLU": lambda inplace: nn.LeakyReLU(0.2, inplace=inplace),
    "F.relu": lambda inplace: (lambda h: F.relu(h, inplace=inplace)),
    "F.leaky_relu": lambda inplace: (lambda h: F.leaky_relu(h, 0.2, inplace=inplace)),
    "nn.Dropout": lambda inplace: nn.Dropout(0.5, inplace=inplace),
    "nn.ReLU6": lambda inplace: nn.ReLU6(inplace=inplace),
    "F.relu6": lambda inplace: (lambda h: F.relu6(h, inplace=inplace)),
    "nn.Hardtanh": lambda inplace: nn.Hardtanh(-0.5, 1.0, inplace=inplace),
    "F.hardtanh": lambda inplace: (lambda h: F.hardtanh(h, -0.5, 1.0, inplace=inplace)),
    "nn.ELU": lambda inplace: nn.ELU(0.5, inplace=inplace),
    "F.elu": lambda inplace: (lambda h: F.elu(h, 0.5, inplace=inplace)),
    "nn.SiLU": lambda inplace: nn.SiLU(inplace=inplace),
    "F.silu": lambda inplace: (lambda h: F.silu(h, inplace=inplace)),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_changes_the_input_and_gives_the_out_of_place_values_and_gradients(name):
    rng = np.random.default_rng(0)
    x_np, g_np = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    results = []
    for inplace in (False, True):
        minigrad.manual_seed(3)  # the same dropout mask both times
        x = minigrad.tensor(x_np, requires_grad=True)
        h = x * 1.5  # a non-leaf: changing it in place is allowed inside a graph
        out = INPLACE[name](inplace)(h)
        assert (out is h) == inplace
        out.backward(minigrad.tensor(g_np))
        results.append((out.numpy().copy(), h.numpy().copy(), x.grad.numpy().copy()))
    (y0, h0, gx0), (y1, h1, gx1) = results
    np.testing.assert_array_equal(y1, y0)
    np.testing.assert_array_equal(h1, y0)  # the input now holds the result
    np.testing.assert_array_equal(h0, x_np * 1.5)  # out of place: the input is untouched
    np.testing.assert_allclose(gx1, gx0, rtol=1e-12)


def test_inplace_relu_on_a_leaf_that_requires_grad_raises_as_pytorch():
    with pytest.raises(RuntimeError, match="in-place change of a leaf tensor that requires grad"):
        nn.ReLU(inplace=True)(minigrad.ones(3, requires_grad=True))


def test_inplace_relu_in_a_residual_block_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x_np, w1, w2 = rng.standard_normal((2, 8, 6, 6)), rng.standard_normal((8, 8, 3, 3)) / 8, rng.standard_normal((8, 8, 3, 3)) / 8
    g_np = rng.standard_normal((2, 8, 6, 6))

    def block(lib, F_, x, a, b):
        out = F_.relu(F_.conv2d(x, a, padding=1), inplace=True)
        out = F_.conv2d(out, b, padding=1)
        out += x  # the identity path
        return F_.relu(out, inplace=True)

    X, A, B = (minigrad.tensor(v, requires_grad=True) for v in (x_np, w1, w2))
    y = block(minigrad, F, X, A, B)
    y.backward(minigrad.tensor(g_np))
    tX, tA, tB = (torch.tensor(v, requires_grad=True) for v in (x_np, w1, w2))
    ty = block(torch, torch.nn.functional, tX, tA, tB)
    ty.backward(torch.tensor(g_np))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, theirs in ((X, tX), (A, tA), (B, tB)):
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


# ***** relu6, hardtanh, elu, silu, softplus: kinks, overflow, arguments *****

KINKS = [  # (name, ours, torch's, input with values exactly at the kinks)
    ("relu6", lambda x: F.relu6(x), lambda t, x: t.nn.functional.relu6(x), [-1.0, 0.0, 3.0, 6.0, 7.0]),
    ("hardtanh", lambda x: F.hardtanh(x, -0.5, 2.0), lambda t, x: t.nn.functional.hardtanh(x, -0.5, 2.0),
     [-1.0, -0.5, 0.0, 2.0, 3.0]),
    ("elu_alpha", lambda x: F.elu(x, 0.3), lambda t, x: t.nn.functional.elu(x, 0.3), [-2.0, -1e-12, 0.0, 1e-12, 2.0]),
    ("silu", F.silu, lambda t, x: t.nn.functional.silu(x), [-3.0, 0.0, 1.0]),
    ("softplus_threshold", lambda x: F.softplus(x, 2.0, 4.0), lambda t, x: t.nn.functional.softplus(x, 2.0, 4.0),
     [-1.0, 0.0, 2.0, 2.0 + 1e-9, 1.999]),  # beta x = threshold exactly, and just above
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,ours,theirs,values", KINKS, ids=[k[0] for k in KINKS])
def test_values_and_gradients_at_the_kinks_match_torch(name, ours, theirs, values, dtype):
    """relu6/hardtanh: gradient 0 at the bounds; elu: alpha at 0; softplus: the threshold
    switch at the same place. A random upstream gradient, torch's values as the oracle."""
    torch = pytest.importorskip("torch")
    x_np = np.array(values, dtype=dtype)
    G = rnd(len(values), seed=4).astype(dtype)
    x, xt = T(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    y, yt = ours(x), theirs(torch, xt)
    y.backward(T(G))
    yt.backward(torch.tensor(G))
    tol = dict(rtol=1e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)
    assert y.dtype == x.grad.dtype == dtype
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), **tol)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), **tol)


def test_elu_is_exact_for_tiny_negative_inputs():
    """alpha (e^x - 1) with expm1: 1 + x rounds to 1 in float32 for |x| < 6e-8."""
    y = F.elu(T(np.array([-1e-9, -1e-20], dtype=np.float32)))
    np.testing.assert_allclose(y.numpy(), [-1e-9, -1e-20], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softplus_elu_silu_do_not_overflow(dtype):
    x_np = np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0], dtype=dtype)
    with np.errstate(all="raise"):
        for fn, slope_at_big, slope_at_small in ((F.softplus, 1, 0), (lambda v: F.softplus(v, beta=0.5), 1, 0),
                                                 (F.elu, 1, 0), (F.silu, 1, 0)):
            x = T(x_np, requires_grad=True)
            y = fn(x)
            y.backward(minigrad.ones(5, dtype=dtype))
            assert y.dtype == x.grad.dtype == dtype
            assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad.numpy()).all()
            assert y.numpy()[-1] == 1000.0 and x.grad.numpy()[-1] == slope_at_big
            assert abs(x.grad.numpy()[0] - slope_at_small) < 1e-30
    with np.errstate(under="ignore"):  # e^-100 is a denormal in float32
        expect = np.log1p(np.exp(x_np[:3]))
    np.testing.assert_allclose(F.softplus(T(x_np)).numpy()[:3], expect, rtol=1e-6, atol=0)


@pytest.mark.parametrize("fn", [F.elu, F.silu, F.softplus, lambda x: F.hardtanh(x, -1, 2), F.relu6])
def test_new_activations_double_backward(fn):
    from minigrad.testing import gradgradcheck
    x = T(rnd(3, 4, scale=2) + 0.01, requires_grad=True)
    assert gradgradcheck(fn, x)


def test_integer_input():
    """As PyTorch: hardtanh and relu6 clamp an integer tensor and keep its dtype; elu, silu and
    softplus have no integer version and say so."""
    x = minigrad.tensor([-3, 0, 3, 8])
    assert F.relu6(x).tolist() == [0, 0, 3, 6] and F.relu6(x).dtype == np.int64
    assert F.hardtanh(x).tolist() == [-1, 0, 1, 1] and F.hardtanh(x).dtype == np.int64
    for fn in (F.elu, F.silu, F.softplus):
        with pytest.raises(TypeError, match="needs a floating-point tensor, got int64"):
            fn(x)


def test_bad_activation_arguments():
    with pytest.raises(ValueError, match=r"min_val \(2.0\) is greater than max_val \(1.0\)"):
        F.hardtanh(T(rnd(3)), 2.0, 1.0)
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(ValueError, match="beta must not be 0"):
        F.softplus(T(rnd(3)), beta=0)


def test_new_activation_reprs_match_torch():
    torch = pytest.importorskip("torch")
    for make in (lambda L: L.nn.ReLU6(), lambda L: L.nn.ReLU6(inplace=True), lambda L: L.nn.Hardtanh(-2.0, 2.0),
                 lambda L: L.nn.Hardtanh(-1.0, 1.0, True), lambda L: L.nn.ELU(0.5), lambda L: L.nn.ELU(inplace=True),
                 lambda L: L.nn.SiLU(), lambda L: L.nn.SiLU(True), lambda L: L.nn.Softplus(2.0, 10.0)):
        assert repr(make(minigrad)) == repr(make(torch))
