"""Layers: Linear (fused == composed, gradcheck, torch parity), activations, Dropout, Flatten and
nn.init (distributions and PyTorch's default initialisation)."""

import math

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.nn.linear import LinearFunction
from minigrad import nn
from minigrad.nn import init
from minigrad.testing import gradcheck

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
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.numpy()))
        if bias:
            theirs.bias.copy_(torch.from_numpy(ours.bias.numpy()))
    x, G = rnd(6, 4), rnd(6, 3, seed=3)
    xo, xt = T(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    yo.backward(T(G))
    yt.backward(torch.from_numpy(G))
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-8, atol=1e-8)
    if bias:
        np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-8, atol=1e-8)


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
]


@pytest.mark.parametrize("name,ours,theirs", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_torch_parity(name, ours, theirs):
    torch = pytest.importorskip("torch")
    x, G = rnd(4, 5, 3, scale=3), rnd(*ours()(T(rnd(4, 5, 3))).shape, seed=1)
    xo, xt = T(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours()(xo), theirs(torch)(xt)
    yo.backward(T(G))
    yt.backward(torch.from_numpy(G))
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-10)


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


# ***** Dropout *****


def test_dropout_is_inverted_and_seeded(device):
    x = minigrad.ones(200, 50, device=device, requires_grad=True)
    drop = nn.Dropout(0.3)
    minigrad.manual_seed(1)
    y = drop(x)
    minigrad.manual_seed(1)
    np.testing.assert_array_equal(drop(x).numpy(), y.numpy())
    a = y.numpy()
    assert set(np.unique(a).tolist()) == {0.0, np.float32(1 / 0.7)}
    assert abs((a == 0).mean() - 0.3) < 0.02
    assert y.dtype == np.float32
    G = rnd(200, 50).astype(np.float32)
    y.backward(T(G, device))
    np.testing.assert_allclose(x.grad.numpy(), G * a, rtol=1e-6)  # same mask, same scale


def test_dropout_off_in_eval_and_edge_probabilities():
    x = minigrad.randn(10, 10)
    assert nn.Dropout(0.5).eval()(x) is x
    assert nn.Dropout(0.0)(x) is x
    np.testing.assert_array_equal(nn.Dropout(1.0)(x).numpy(), 0)
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(p)


# ***** nn.init *****

INIT_STATS = [  # (name, fn, expected std, bound or None)
    ("uniform_", lambda t: init.uniform_(t, -2, 2), 4 / math.sqrt(12), 2),
    ("normal_", lambda t: init.normal_(t, 0, 0.5), 0.5, None),
    ("xavier_uniform_", lambda t: init.xavier_uniform_(t), math.sqrt(2 / (200 + 300)), math.sqrt(6 / 500)),
    ("xavier_normal_", lambda t: init.xavier_normal_(t, gain=2), 2 * math.sqrt(2 / 500), None),
    ("kaiming_uniform_", lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(2 / 300),
     math.sqrt(6 / 300)),
    ("kaiming_normal_", lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
     math.sqrt(2 / 200), None),
]


@pytest.mark.parametrize("name,fn,std,bound", INIT_STATS, ids=[s[0] for s in INIT_STATS])
def test_init_distributions(device, name, fn, std, bound):
    w = minigrad.zeros(200, 300, device=device)  # fan_in 300, fan_out 200
    assert fn(w) is w
    a = w.numpy()
    assert a.dtype == np.float32 and w.device == device
    assert abs(a.std() / std - 1) < 0.02
    assert abs(a.mean()) < 0.05 * std
    if bound is not None:
        assert np.abs(a).max() <= bound and np.abs(a).max() > 0.99 * bound


def test_init_constants_and_conv_fans():
    w = minigrad.zeros(8, 4, 3, 3)  # conv weight: fan_in = 4*9, fan_out = 8*9
    assert init._calculate_fan_in_and_fan_out(w) == (36, 72)
    np.testing.assert_array_equal(init.ones_(w).numpy(), 1)
    np.testing.assert_array_equal(init.zeros_(w).numpy(), 0)
    np.testing.assert_array_equal(init.constant_(w, 0.25).numpy(), 0.25)
    with pytest.raises(ValueError, match="at least 2 dims"):
        init.xavier_uniform_(minigrad.zeros(5))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_uniform_(w, mode="fan_avg")


def test_init_gains_match_torch():
    torch = pytest.importorskip("torch")
    for nl, param in [("relu", None), ("tanh", None), ("leaky_relu", 0.2), ("leaky_relu", None), ("sigmoid", None)]:
        assert init.calculate_gain(nl, param) == pytest.approx(torch.nn.init.calculate_gain(nl, param))


def test_init_on_parameter_bumps_version():
    fc = nn.Linear(3, 2)
    v = fc.weight._version
    init.zeros_(fc.weight)
    assert fc.weight._version > v and fc.weight.requires_grad


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


def test_layer_norm_dtype_mismatch_raises_like_torch():
    """float64 input with a float32 LayerNorm gave float64 .grad on float32 parameters."""
    ln = nn.LayerNorm(4)
    with pytest.raises(TypeError, match="float64.*float32"):
        ln(minigrad.ones(2, 4, dtype=minigrad.float64))
    assert ln.double()(minigrad.ones(2, 4, dtype=minigrad.float64)).dtype == minigrad.float64
