"""The rest of torch.nn's activations (SELU, CELU, Mish, Hardswish, Hardsigmoid, LogSigmoid,
Softsign, Softmin, Tanhshrink, Softshrink, Hardshrink, Threshold, GLU, PReLU, RReLU): PyTorch
parity of values and gradients (float64, random upstream gradient, inputs that include the
kinks), finite differences, float32 kept on every device, in-place forms, reprs and errors."""

import warnings

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import gradcheck

f64 = minigrad.float64


def rnd(*shape, scale=1.0, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def _with_kinks(shape=(4, 6), seed=0):
    """Random values with the points where these activations bend planted in them."""
    x = rnd(*shape, scale=3.0, seed=seed)
    kinks = [0.0, 3.0, -3.0, 0.5, -0.5, 0.1, 1.0, -1.0, 25.0, -25.0, 40.0, -40.0]
    x.flat[:len(kinks)] = kinks
    return x


# (id, minigrad module, torch module, grad tolerance): the tolerance is 1e-10 except where
# PyTorch's backward uses a float32 constant (see docs/porting.md, "float32 constants")
ACTIVATIONS = [
    ("SELU", lambda: nn.SELU(), lambda t: t.nn.SELU(), 1e-10),
    ("CELU", lambda: nn.CELU(), lambda t: t.nn.CELU(), 1e-10),
    ("CELU_alpha2", lambda: nn.CELU(2.0), lambda t: t.nn.CELU(2.0), 1e-10),
    ("CELU_alpha07", lambda: nn.CELU(0.7), lambda t: t.nn.CELU(0.7), 1e-7),
    ("Mish", lambda: nn.Mish(), lambda t: t.nn.Mish(), 1e-10),
    ("Hardswish", lambda: nn.Hardswish(), lambda t: t.nn.Hardswish(), 1e-10),
    ("Hardsigmoid", lambda: nn.Hardsigmoid(), lambda t: t.nn.Hardsigmoid(), 1e-7),
    ("LogSigmoid", lambda: nn.LogSigmoid(), lambda t: t.nn.LogSigmoid(), 1e-10),
    ("Softsign", lambda: nn.Softsign(), lambda t: t.nn.Softsign(), 1e-10),
    ("Softmin", lambda: nn.Softmin(dim=1), lambda t: t.nn.Softmin(dim=1), 1e-10),
    ("Softmin0", lambda: nn.Softmin(dim=0), lambda t: t.nn.Softmin(dim=0), 1e-10),
    ("Tanhshrink", lambda: nn.Tanhshrink(), lambda t: t.nn.Tanhshrink(), 1e-10),
    ("Softshrink", lambda: nn.Softshrink(), lambda t: t.nn.Softshrink(), 1e-10),
    ("Softshrink1", lambda: nn.Softshrink(1.0), lambda t: t.nn.Softshrink(1.0), 1e-10),
    ("Hardshrink", lambda: nn.Hardshrink(), lambda t: t.nn.Hardshrink(), 1e-10),
    ("Hardshrink1", lambda: nn.Hardshrink(1.0), lambda t: t.nn.Hardshrink(1.0), 1e-10),
    ("Threshold", lambda: nn.Threshold(0.1, -2.0), lambda t: t.nn.Threshold(0.1, -2.0), 1e-10),
    ("GLU", lambda: nn.GLU(), lambda t: t.nn.GLU(), 1e-10),
    ("GLU0", lambda: nn.GLU(dim=0), lambda t: t.nn.GLU(dim=0), 1e-10),
    ("PReLU", lambda: nn.PReLU(dtype=f64), lambda t: t.nn.PReLU(dtype=t.float64), 1e-10),
    ("PReLU6", lambda: nn.PReLU(6, init=0.1, dtype=f64), lambda t: t.nn.PReLU(6, init=0.1, dtype=t.float64), 1e-10),
    ("RReLU_eval", lambda: nn.RReLU().eval(), lambda t: t.nn.RReLU().eval(), 1e-10),
    ("RReLU_eval2", lambda: nn.RReLU(0.2, 0.5).eval(), lambda t: t.nn.RReLU(0.2, 0.5).eval(), 1e-10),
]
IDS = [a[0] for a in ACTIVATIONS]


@pytest.mark.parametrize("name,ours,theirs,gtol", ACTIVATIONS, ids=IDS)
def test_torch_parity_values_and_gradients(name, ours, theirs, gtol):
    torch = pytest.importorskip("torch")
    mo, mt = ours(), theirs(torch)
    if name.startswith("PReLU"):  # a learned slope per channel, not the init: its gradient counts
        w = np.random.default_rng(3).random(mo.weight.shape)
        with minigrad.no_grad():
            mo.weight.copy_(minigrad.tensor(w))
        mt.weight.data = torch.tensor(w)
    x = _with_kinks()
    xo, xt = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = mo(xo), mt(xt)
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    G = rnd(*yo.shape, seed=1)
    yo.backward(minigrad.tensor(G))
    yt.backward(torch.tensor(G))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=gtol, atol=gtol)
    if name.startswith("PReLU"):
        np.testing.assert_allclose(mo.weight.grad.numpy(), mt.weight.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name,ours,theirs,gtol", ACTIVATIONS, ids=IDS)
def test_gradcheck(name, ours, theirs, gtol):
    m = ours()
    x = minigrad.tensor(rnd(4, 6, scale=2.0, seed=5) + 0.013, requires_grad=True)  # off the kinks
    assert gradcheck(m, x)
    if name.startswith("PReLU"):
        x = minigrad.tensor(rnd(2, 6, 3, seed=6) + 0.013)  # (N, C, L)
        assert gradcheck(lambda w: F.prelu(x, w), m.weight)


@pytest.mark.parametrize("name,ours,theirs,gtol", ACTIVATIONS, ids=IDS)
def test_float32_stays_float32_on_every_device(device, name, ours, theirs, gtol):
    m = ours()
    if name.startswith("PReLU"):
        m = m.to(device=device, dtype=minigrad.float32)
    x = minigrad.tensor(rnd(4, 6, scale=2.0).astype(np.float32), device=device, requires_grad=True)
    y = m(x)
    assert y.dtype == np.float32 and y.device == device
    y.backward(minigrad.ones_like(y))
    assert x.grad.dtype == np.float32 and x.grad.device == device


def test_numpy_scalar_arguments_keep_float32(device):
    x = minigrad.tensor(rnd(3, 4).astype(np.float32), device=device)
    d = np.float64
    for y in (F.celu(x, alpha=d(1.5)), F.softshrink(x, d(0.5)), F.hardshrink(x, d(0.5)),
              F.threshold(x, d(0.1), d(2.0)), F.rrelu(x, d(0.1), d(0.3)),
              F.rrelu(x, d(0.1), d(0.3), training=True)):
        assert y.dtype == np.float32 and y.device == device


def test_rrelu_training_draws_slopes_from_minigrads_generator():
    x = minigrad.tensor(rnd(50, 40), dtype=f64, requires_grad=True)
    minigrad.manual_seed(7)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    minigrad.manual_seed(7)
    np.testing.assert_array_equal(F.rrelu(x, 0.1, 0.3, training=True).numpy(), y.numpy())  # seeded
    xn, yn = x.numpy(), y.numpy()
    neg = xn < 0
    np.testing.assert_array_equal(yn[~neg], xn[~neg])
    slopes = yn[neg] / xn[neg]
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03  # drawn, not one slope
    G = rnd(50, 40, seed=2)
    y.backward(minigrad.tensor(G))
    np.testing.assert_allclose(x.grad.numpy()[neg], G[neg] * slopes, rtol=1e-12)  # the same slopes
    np.testing.assert_array_equal(x.grad.numpy()[~neg], G[~neg])
    m = nn.RReLU(0.1, 0.3)
    assert m.training and not np.allclose(m(x).numpy()[neg] / xn[neg], 0.2)
    np.testing.assert_allclose(m.eval()(x).numpy()[neg] / xn[neg], 0.2)


def test_inplace_forms_write_into_the_input_and_match(device):
    cases = [(F.selu, {}), (F.celu, {"alpha": 2.0}), (F.mish, {}), (F.hardswish, {}), (F.hardsigmoid, {}),
             (F.threshold, {"threshold": 0.1, "value": -2.0}), (F.rrelu, {})]
    for fn, kw in cases:
        x = minigrad.tensor(_with_kinks(), device=device)
        want = fn(x, **kw).numpy()
        assert fn(x, **kw, inplace=True) is x
        np.testing.assert_allclose(x.numpy(), want, rtol=1e-12, err_msg=fn.__name__)
    for m in (nn.SELU(inplace=True), nn.CELU(inplace=True), nn.Mish(inplace=True), nn.Hardswish(inplace=True),
              nn.Hardsigmoid(inplace=True), nn.Threshold(0.0, 1.0, inplace=True), nn.RReLU(inplace=True).eval()):
        x = minigrad.tensor(_with_kinks(), device=device)
        assert m(x) is x


def test_inplace_in_a_graph_has_the_out_of_place_gradient():
    x0 = _with_kinks()
    G = rnd(*x0.shape, seed=4)
    for fn in (F.selu, F.mish, F.hardswish, F.hardsigmoid):
        a = minigrad.tensor(x0, requires_grad=True)
        fn(a * 1.0).backward(minigrad.tensor(G))
        b = minigrad.tensor(x0, requires_grad=True)
        h = b * 1.0
        fn(h, inplace=True).backward(minigrad.tensor(G))
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-12, err_msg=fn.__name__)


def test_logsigmoid_is_stable_for_large_inputs():
    x = minigrad.tensor([-1000.0, -50.0, 50.0, 1000.0], dtype=f64, requires_grad=True)
    y = F.logsigmoid(x)
    np.testing.assert_allclose(y.numpy(), [-1000.0, -50.0, -np.exp(-50.0), 0.0], rtol=1e-12)
    y.backward(minigrad.ones_like(y))
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0, np.exp(-50.0), 0.0], rtol=1e-12)
    x32 = minigrad.tensor([-100.0, 100.0])
    assert np.isfinite(F.logsigmoid(x32).numpy()).all()


def test_logsigmoid_double_backward():
    x = minigrad.tensor(rnd(5, seed=2), dtype=f64, requires_grad=True)
    g, = minigrad.autograd.grad(F.logsigmoid(x).sum(), x, create_graph=True)
    (g * minigrad.tensor(rnd(5, seed=3))).sum().backward()
    s = 1 / (1 + np.exp(-x.numpy()))
    np.testing.assert_allclose(x.grad.numpy(), -s * (1 - s) * rnd(5, seed=3), rtol=1e-10)


def test_softmin_without_dim_guesses_and_warns_as_torch():
    torch = pytest.importorskip("torch")
    for shape in ((5,), (3, 4), (2, 3, 4)):
        x = rnd(*shape)
        with pytest.warns(UserWarning, match="Implicit dimension"):
            ours = F.softmin(minigrad.tensor(x))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torch.nn.functional.softmin(torch.tensor(x))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_reprs_are_torchs():
    torch = pytest.importorskip("torch")
    pairs = [(nn.PReLU(), torch.nn.PReLU()), (nn.PReLU(3, 0.1), torch.nn.PReLU(3, 0.1)),
             (nn.SELU(), torch.nn.SELU()), (nn.SELU(True), torch.nn.SELU(True)),
             (nn.CELU(), torch.nn.CELU()), (nn.CELU(2.0, True), torch.nn.CELU(2.0, True)),
             (nn.Mish(True), torch.nn.Mish(True)), (nn.Hardswish(True), torch.nn.Hardswish(True)),
             (nn.Hardsigmoid(), torch.nn.Hardsigmoid()), (nn.LogSigmoid(), torch.nn.LogSigmoid()),
             (nn.Softsign(), torch.nn.Softsign()), (nn.Softmin(1), torch.nn.Softmin(1)),
             (nn.Softmin(), torch.nn.Softmin()), (nn.Tanhshrink(), torch.nn.Tanhshrink()),
             (nn.Softshrink(), torch.nn.Softshrink()), (nn.Hardshrink(0.3), torch.nn.Hardshrink(0.3)),
             (nn.Threshold(0.1, 20), torch.nn.Threshold(0.1, 20)),
             (nn.Threshold(0.1, 20.0, True), torch.nn.Threshold(0.1, 20.0, True)),
             (nn.GLU(), torch.nn.GLU()), (nn.RReLU(), torch.nn.RReLU()),
             (nn.RReLU(0.1, 0.3, True), torch.nn.RReLU(0.1, 0.3, True))]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


def test_prelu_parameter_is_torchs():
    m = nn.PReLU(4, dtype=f64)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert m.weight.shape == (4,) and m.weight.dtype == np.float64
    np.testing.assert_array_equal(m.weight.numpy(), 0.25)
    assert nn.PReLU().weight.dtype == np.float32
    with minigrad.no_grad():
        m.weight.fill_(1.0)
    m.reset_parameters()
    np.testing.assert_array_equal(m.weight.numpy(), 0.25)
    x = minigrad.tensor(rnd(4), dtype=f64)  # 1-d input: the channel is dim 0
    np.testing.assert_allclose(m(x).numpy(), np.where(x.numpy() > 0, x.numpy(), 0.25 * x.numpy()))


def test_errors_name_shapes_and_arguments():
    with pytest.raises(RuntimeError, match=r"Halving dimension must be even.*size 5.*\(3, 5\)"):
        F.glu(minigrad.ones(3, 5), 1)
    with pytest.raises(RuntimeError, match="scalars"):
        F.glu(minigrad.tensor(1.0))
    with pytest.raises(IndexError, match=r"dim 2.*\(3, 4\)"):
        F.glu(minigrad.ones(3, 4), 2)
    with pytest.raises(RuntimeError, match=r"parameter numbers = 3 and channel size = 5.*\(3, 5\)"):
        nn.PReLU(3)(minigrad.ones(3, 5))
    with pytest.raises(TypeError, match="float64.*float32"):
        nn.PReLU(dtype=f64)(minigrad.ones(3))
    with pytest.raises(RuntimeError, match="lambda must be greater or equal to 0"):
        F.softshrink(minigrad.ones(3), -1.0)
    with pytest.raises(RuntimeError, match="lower bound"):
        F.rrelu(minigrad.ones(3), 0.5, 0.1)
    with pytest.raises(RuntimeError, match="lower bound"):
        nn.RReLU(0.5, 0.1)
    with pytest.raises(RuntimeError, match="alpha cannot be 0"):
        F.celu(minigrad.ones(3), 0.0)
    for fn in (F.selu, F.celu, F.mish, F.hardswish, F.hardsigmoid, F.logsigmoid, F.softsign, F.tanhshrink,
               F.softshrink, F.hardshrink):
        with pytest.raises(TypeError, match="floating-point"):
            fn(minigrad.tensor([1, 2]))


def test_nan_passes_as_in_torch():
    torch = pytest.importorskip("torch")
    x = np.array([np.nan, -1.0, 0.0, 1.0])
    for name, kw in [("softshrink", {}), ("hardshrink", {}), ("threshold", {"threshold": 0.0, "value": 5.0}),
                     ("hardswish", {}), ("hardsigmoid", {}), ("logsigmoid", {}), ("celu", {}), ("selu", {}),
                     ("mish", {}), ("softsign", {}), ("tanhshrink", {})]:
        ours = getattr(F, name)(minigrad.tensor(x), **kw).numpy()
        theirs = getattr(torch.nn.functional, name)(torch.tensor(x), **kw).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, err_msg=name)
