"""The remaining everyday torch.nn layers: Unflatten, Bilinear, Softmax2d, adaptive 1-d pooling,
return_indices and MaxUnpool2d, LPPool, Unfold/Fold, PixelShuffle/Unshuffle, UpsamplingNearest2d/
Bilinear2d, ConvTranspose1d, the new lazy convolutions, RMSNorm, LocalResponseNorm, Dropout1d and
AlphaDropout.

For each: PyTorch parity of the output and of every gradient under a random upstream gradient
(float64, 1e-10), repr and state_dict keys equal to torch's, float32 kept, the strict device,
finite differences for the functional forms, and torch's errors with the shapes named.
(check_layer runs on every layer in tests/test_check_layer.py.)"""

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import gradcheck

from parity import assert_step_matches, copy_weights

f64 = minigrad.float64
TOL = {"rtol": 1e-10, "atol": 1e-10}


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def T(a, requires_grad=False, device="cpu", dtype=f64):
    return minigrad.tensor(a, dtype=dtype, requires_grad=requires_grad, device=device)


# (id, minigrad layer factory, torch layer factory (given torch), input shape, input transform)
# Factories take the dtype keyword when the layer has parameters.
POS = np.abs  # for LP pooling with a fractional power: x^p of a negative x is NaN in both
LAYERS = [
    ("Unflatten", lambda: nn.Unflatten(1, (2, 5)), lambda t: t.nn.Unflatten(1, (2, 5)), (3, 10), None),
    ("Unflatten_neg", lambda: nn.Unflatten(-1, [2, -1]), lambda t: t.nn.Unflatten(-1, [2, -1]), (3, 4, 6), None),
    ("Softmax2d", lambda: nn.Softmax2d(), lambda t: t.nn.Softmax2d(), (2, 3, 4, 5), None),
    ("Softmax2d_3d", lambda: nn.Softmax2d(), lambda t: t.nn.Softmax2d(), (3, 4, 5), None),
    ("AdaptiveAvgPool1d", lambda: nn.AdaptiveAvgPool1d(3), lambda t: t.nn.AdaptiveAvgPool1d(3), (2, 3, 7), None),
    ("AdaptiveAvgPool1d_2d", lambda: nn.AdaptiveAvgPool1d(5), lambda t: t.nn.AdaptiveAvgPool1d(5), (3, 4), None),
    ("AdaptiveMaxPool1d", lambda: nn.AdaptiveMaxPool1d(3), lambda t: t.nn.AdaptiveMaxPool1d(3), (2, 3, 7), None),
    ("AdaptiveMaxPool1d_up", lambda: nn.AdaptiveMaxPool1d(6), lambda t: t.nn.AdaptiveMaxPool1d(6), (2, 4), None),
    ("LPPool2d", lambda: nn.LPPool2d(2, 3, stride=2), lambda t: t.nn.LPPool2d(2, 3, stride=2), (2, 3, 7, 6), None),
    ("LPPool2d_frac", lambda: nn.LPPool2d(1.5, (2, 3), stride=1), lambda t: t.nn.LPPool2d(1.5, (2, 3), stride=1),
     (2, 2, 4, 5), POS),
    ("LPPool1d", lambda: nn.LPPool1d(3, 2), lambda t: t.nn.LPPool1d(3, 2), (2, 3, 8), POS),
    ("Unfold", lambda: nn.Unfold(3), lambda t: t.nn.Unfold(3), (2, 3, 5, 6), None),
    ("Unfold_opts", lambda: nn.Unfold((2, 3), dilation=(2, 1), padding=1, stride=(1, 2)),
     lambda t: t.nn.Unfold((2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), (2, 2, 5, 6), None),
    ("Unfold_unbatched", lambda: nn.Unfold(2), lambda t: t.nn.Unfold(2), (3, 4, 4), None),
    ("Fold", lambda: nn.Fold((4, 5), 2), lambda t: t.nn.Fold((4, 5), 2), (2, 12, 12), None),
    ("Fold_opts", lambda: nn.Fold((5, 6), (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)),
     lambda t: t.nn.Fold((5, 6), (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), (2, 12, 15), None),
    ("Fold_unbatched", lambda: nn.Fold((3, 3), 2), lambda t: t.nn.Fold((3, 3), 2), (8, 4), None),
    ("PixelShuffle", lambda: nn.PixelShuffle(2), lambda t: t.nn.PixelShuffle(2), (2, 12, 3, 4), None),
    ("PixelShuffle_5d", lambda: nn.PixelShuffle(3), lambda t: t.nn.PixelShuffle(3), (2, 2, 9, 2, 3), None),
    ("PixelUnshuffle", lambda: nn.PixelUnshuffle(2), lambda t: t.nn.PixelUnshuffle(2), (2, 3, 4, 6), None),
    ("UpsamplingNearest2d", lambda: nn.UpsamplingNearest2d(scale_factor=2),
     lambda t: t.nn.UpsamplingNearest2d(scale_factor=2), (2, 3, 3, 4), None),
    ("UpsamplingNearest2d_size", lambda: nn.UpsamplingNearest2d(size=(5, 7)),
     lambda t: t.nn.UpsamplingNearest2d(size=(5, 7)), (1, 2, 3, 4), None),
    ("UpsamplingBilinear2d", lambda: nn.UpsamplingBilinear2d(scale_factor=2),
     lambda t: t.nn.UpsamplingBilinear2d(scale_factor=2), (2, 3, 3, 4), None),
    ("UpsamplingBilinear2d_size", lambda: nn.UpsamplingBilinear2d(size=(5, 3)),
     lambda t: t.nn.UpsamplingBilinear2d(size=(5, 3)), (1, 2, 3, 4), None),
    ("ConvTranspose1d", lambda: nn.ConvTranspose1d(3, 4, 3, dtype=f64),
     lambda t: t.nn.ConvTranspose1d(3, 4, 3, dtype=t.float64), (2, 3, 5), None),
    ("ConvTranspose1d_opts",
     lambda: nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False, dilation=2,
                                dtype=f64),
     lambda t: t.nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False,
                                    dilation=2, dtype=t.float64), (2, 4, 5), None),
    ("ConvTranspose1d_unbatched", lambda: nn.ConvTranspose1d(3, 2, 4, stride=3, dtype=f64),
     lambda t: t.nn.ConvTranspose1d(3, 2, 4, stride=3, dtype=t.float64), (3, 5), None),
    ("RMSNorm", lambda: nn.RMSNorm(4, dtype=f64), lambda t: t.nn.RMSNorm(4, dtype=t.float64), (2, 3, 4), None),
    ("RMSNorm_2d_eps", lambda: nn.RMSNorm([3, 4], eps=1e-3, dtype=f64),
     lambda t: t.nn.RMSNorm([3, 4], eps=1e-3, dtype=t.float64), (2, 3, 4), None),
    ("RMSNorm_noaffine", lambda: nn.RMSNorm((4,), elementwise_affine=False),
     lambda t: t.nn.RMSNorm((4,), elementwise_affine=False), (5, 4), None),
    ("LocalResponseNorm", lambda: nn.LocalResponseNorm(3), lambda t: t.nn.LocalResponseNorm(3), (2, 5, 4), None),
    ("LocalResponseNorm_4d", lambda: nn.LocalResponseNorm(2, alpha=0.5, beta=0.6, k=2.0),
     lambda t: t.nn.LocalResponseNorm(2, alpha=0.5, beta=0.6, k=2.0), (2, 6, 3, 4), None),
    ("LocalResponseNorm_5d", lambda: nn.LocalResponseNorm(4, alpha=1.0), lambda t: t.nn.LocalResponseNorm(4, alpha=1.0),
     (2, 5, 2, 3, 2), None),
    ("LocalResponseNorm_wide", lambda: nn.LocalResponseNorm(9, alpha=0.3), lambda t: t.nn.LocalResponseNorm(9, alpha=0.3),
     (1, 4, 3), None),
    ("Dropout1d_eval", lambda: nn.Dropout1d(0.3).eval(), lambda t: t.nn.Dropout1d(0.3).eval(), (2, 3, 4), None),
    ("AlphaDropout_eval", lambda: nn.AlphaDropout(0.3).eval(), lambda t: t.nn.AlphaDropout(0.3).eval(), (2, 3), None),
    ("Dropout_repr", lambda: nn.Dropout(0.2, inplace=True).eval(), lambda t: t.nn.Dropout(0.2, inplace=True).eval(),
     (2, 3), None),
    ("Dropout2d_repr", lambda: nn.Dropout2d(0.2).eval(), lambda t: t.nn.Dropout2d(0.2).eval(), (2, 3, 2, 2), None),
]
LAYER_IDS = [c[0] for c in LAYERS]


def _input(shape, transform, seed=1):
    x = rnd(*shape, seed=seed)
    return transform(x) + 0.1 if transform is not None else x


@pytest.mark.parametrize("name, ours, theirs, shape, transform", LAYERS, ids=LAYER_IDS)
def test_layer_matches_torch(name, ours, theirs, shape, transform):
    torch = pytest.importorskip("torch")
    mo, mt = ours(), theirs(torch)
    assert repr(mo) == repr(mt)
    assert list(mo.state_dict()) == list(mt.state_dict())
    for k, v in mo.state_dict().items():
        assert v.shape == tuple(mt.state_dict()[k].shape), k
    copy_weights(mo, mt)
    x = _input(shape, transform)
    yshape = tuple(mt(torch.tensor(x)).shape)
    assert_step_matches(mo, mt, x, rnd(*yshape, seed=2), **TOL)


@pytest.mark.parametrize("name, ours, theirs, shape, transform", LAYERS, ids=LAYER_IDS)
def test_layer_keeps_float32_and_runs_on_every_device(name, ours, theirs, shape, transform, device):
    m = ours()
    x = _input(shape, transform)
    ref = m(T(x)).numpy() if not m.state_dict() else None
    m32 = ours().to(device)
    if m.state_dict():
        m32.load_state_dict(m.state_dict())
        ref = m(T(x)).numpy()
    m32 = m32.to(minigrad.float32)
    X = T(x, True, device, minigrad.float32)
    y = m32(X)
    assert y.dtype == minigrad.float32 and y.device == X.device
    y.backward(T(rnd(*y.shape, seed=3), device=device, dtype=minigrad.float32))
    assert X.grad.dtype == minigrad.float32
    assert all(p.grad.dtype == minigrad.float32 for p in m32.parameters())
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-4, atol=1e-5)


# ***** Bilinear *****


@pytest.mark.parametrize("lead", [(), (4,), (2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(lead, bias):
    torch = pytest.importorskip("torch")
    ours = nn.Bilinear(2, 3, 4, bias=bias, dtype=f64)
    theirs = torch.nn.Bilinear(2, 3, 4, bias=bias, dtype=torch.float64)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    copy_weights(ours, theirs)
    a, b = rnd(*lead, 2, seed=1), rnd(*lead, 3, seed=2)
    A, B = T(a, True), T(b, True)
    tA, tB = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    y, ty = ours(A, B), theirs(tA, tB)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), **TOL)
    g = rnd(*y.shape, seed=3)
    y.backward(T(g))
    ty.backward(torch.tensor(g))
    for o, t in [(A, tA), (B, tB), (ours.weight, theirs.weight)] + ([(ours.bias, theirs.bias)] if bias else []):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), **TOL)


def test_bilinear_gradcheck_init_float32_and_devices(device):
    w, b = T(rnd(4, 2, 3, seed=1), True), T(rnd(4, seed=2), True)
    x1, x2 = T(rnd(5, 2, seed=3), True), T(rnd(5, 3, seed=4), True)
    assert gradcheck(F.bilinear, x1, x2, w, b)
    # torch's init: U(-1/sqrt(in1_features), 1/sqrt(in1_features)) for weight and bias
    m = nn.Bilinear(16, 3, 50)
    bound = 1 / 4
    for p in (m.weight, m.bias):
        a = np.abs(p.numpy())
        assert a.max() <= bound and a.max() > 0.9 * bound
    m = nn.Bilinear(2, 3, 4).to(device)
    y = m(minigrad.randn(5, 2, device=device), minigrad.randn(5, 3, device=device))
    assert y.dtype == minigrad.float32 and y.shape == (5, 4) and y.device == minigrad.device(device)


# ***** pooling: return_indices, max_unpool2d, adaptive max 1-d *****


MAXPOOL = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 3), dilation=2),
           dict(kernel_size=3, stride=2, ceil_mode=True), dict(kernel_size=3, stride=1, padding=1)]


@pytest.mark.parametrize("kw", MAXPOOL, ids=[str(k) for k in MAXPOOL])
def test_max_pool2d_indices_and_unpool_match_torch(kw):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = rnd(2, 3, 7, 8, seed=4)
    x[0, 0, :3, :3] = 0.5  # a tie: torch and we pick the first (row-major) maximum
    y, i = F.max_pool2d(T(x), return_indices=True, **kw)
    ty, ti = tf.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    assert i.dtype == minigrad.int64
    # the module returns the same pair; unpooling puts each max back where it came from
    mo = nn.MaxPool2d(return_indices=True, **kw)
    mt = torch.nn.MaxPool2d(return_indices=True, **kw)
    assert repr(mo) == repr(mt)
    np.testing.assert_array_equal(mo(T(x))[1].numpy(), ti.numpy())
    k, s, p = kw["kernel_size"], kw.get("stride"), kw.get("padding", 0)
    size = (7, 8)
    Y = T(y.numpy(), True)
    u = F.max_unpool2d(Y, i, k, s, p, output_size=size)
    tY = torch.tensor(y.numpy(), requires_grad=True)
    tu = tf.max_unpool2d(tY, ti, k, s, p, output_size=size)
    np.testing.assert_array_equal(u.numpy(), tu.detach().numpy())
    g = rnd(*u.shape, seed=5)
    u.backward(T(g))
    tu.backward(torch.tensor(g))
    np.testing.assert_allclose(Y.grad.numpy(), tY.grad.numpy(), **TOL)
    un, unt = nn.MaxUnpool2d(k, s, p), torch.nn.MaxUnpool2d(k, s, p)
    assert repr(un) == repr(unt)
    np.testing.assert_array_equal(un(y, i, size).numpy(), unt(ty, ti, size).numpy())


def test_max_unpool2d_default_size_unbatched_and_gradcheck(device):
    torch = pytest.importorskip("torch")
    x = rnd(3, 6, 4, seed=6)
    y, i = F.max_pool2d(T(x, device=device), 2, return_indices=True)  # unbatched (C, H, W)
    assert y.shape == (3, 3, 2) and i.device == y.device
    u = F.max_unpool2d(y, i, 2)
    tu = torch.nn.functional.max_unpool2d(*torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True), 2)
    np.testing.assert_array_equal(u.numpy(), tu.numpy())
    Y = T(y.numpy(), True)
    assert gradcheck(lambda t: F.max_unpool2d(t, i.to("cpu"), 2, output_size=(7, 5)), Y)


def test_max_pool1d_and_adaptive_max_indices_match_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = rnd(2, 3, 9, seed=7)
    for ours, theirs in [(F.max_pool1d(T(x), 3, 2, 1, return_indices=True), tf.max_pool1d(torch.tensor(x), 3, 2, 1,
                                                                                            return_indices=True)),
                         (F.adaptive_max_pool1d(T(x), 4, return_indices=True),
                          tf.adaptive_max_pool1d(torch.tensor(x), 4, return_indices=True)),
                         (nn.AdaptiveMaxPool1d(5, return_indices=True)(T(x)),
                          torch.nn.AdaptiveMaxPool1d(5, return_indices=True)(torch.tensor(x))),
                         (nn.MaxPool1d(2, return_indices=True)(T(x)), torch.nn.MaxPool1d(2, return_indices=True)(
                             torch.tensor(x))),
                         (F.adaptive_max_pool2d(T(rnd(2, 3, 4, 6)), (2, 3), return_indices=True),
                          tf.adaptive_max_pool2d(torch.tensor(rnd(2, 3, 4, 6)), (2, 3), return_indices=True))]:
        np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
        np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


def test_pooling_functionals_gradcheck():
    x = T(rnd(2, 2, 7, seed=8), True)
    assert gradcheck(lambda t: F.adaptive_max_pool1d(t, 3), x)
    assert gradcheck(lambda t: F.adaptive_avg_pool1d(t, 4), x)
    assert gradcheck(lambda t: F.lp_pool1d(t, 2, 3, 2), x)
    x2 = T(np.abs(rnd(1, 2, 5, 5, seed=9)) + 0.1, True)
    assert gradcheck(lambda t: F.lp_pool2d(t, 1.5, 2, 1), x2)


# ***** unfold / fold *****


def test_unfold_is_conv2d_as_a_matrix_product_and_fold_its_adjoint(device):
    x, w = rnd(2, 3, 6, 5, seed=10), rnd(4, 3, 3, 2, seed=11)
    X, W = T(x, device=device), T(w, device=device)
    cols = F.unfold(X, (3, 2), padding=1, stride=(2, 1))
    y = (W.reshape(4, -1) @ cols).reshape(2, 4, 3, 6)
    np.testing.assert_allclose(y.numpy(), F.conv2d(X, W, padding=1, stride=(2, 1)).numpy(), **TOL)
    # <unfold(x), c> = <x, fold(c)>: fold is unfold's adjoint
    c = T(rnd(*cols.shape, seed=12), device=device)
    folded = F.fold(c, (6, 5), (3, 2), padding=1, stride=(2, 1))
    np.testing.assert_allclose((cols * c).sum().item(), (X * folded).sum().item(), rtol=1e-12)


def test_unfold_fold_gradcheck_and_double_backward():
    from minigrad.testing import gradgradcheck

    x = T(rnd(1, 2, 4, 5, seed=13), True)
    assert gradcheck(lambda t: F.unfold(t, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), x)
    c = T(rnd(1, 8, 6, seed=14), True)
    assert gradcheck(lambda t: F.fold(t, (4, 4), 2, stride=(2, 1)), c)
    assert gradgradcheck(lambda t: F.unfold(t, 2) ** 2, x)
    assert gradgradcheck(lambda t: F.fold(t, (4, 4), 2, stride=(2, 1)) ** 2, c)


# ***** ConvTranspose1d, lazy convolutions *****


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1), dict(dilation=2, groups=2)])
def test_conv_transpose1d_functional_matches_torch_and_gradcheck(kw):
    torch = pytest.importorskip("torch")
    x, w, b = rnd(2, 4, 5, seed=15), rnd(4, 3, 3, seed=16), rnd(3 * kw.get("groups", 1), seed=17)
    args = [T(x, True), T(w, True), T(b, True)]
    targs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    y, ty = F.conv_transpose1d(*args, **kw), torch.nn.functional.conv_transpose1d(*targs, **kw)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), **TOL)
    g = rnd(*y.shape, seed=18)
    y.backward(T(g))
    ty.backward(torch.tensor(g))
    for a, t in zip(args, targs):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), **TOL)
    small = [T(rnd(1, 4, 3, seed=19), True), T(rnd(4, 3, 3, seed=20), True), T(rnd(3 * kw.get("groups", 1)), True)]
    assert gradcheck(lambda *a: F.conv_transpose1d(*a, **kw), *small)


def test_conv_transpose1d_init_is_torchs():
    m = nn.ConvTranspose1d(3, 16, 4, groups=1)
    bound = 1 / np.sqrt(16 * 4)  # fan_in reads the weight's dim 1: (C_out / groups) * k
    for p in (m.weight, m.bias):
        a = np.abs(p.numpy())
        assert a.max() <= bound and a.max() > 0.8 * bound


@pytest.mark.parametrize("lazy, eager, shape", [("LazyConv1d", "Conv1d", (2, 3, 7)), ("LazyConv1d", "Conv1d", (3, 7)),
                                                 ("LazyConvTranspose2d", "ConvTranspose2d", (2, 3, 4, 5)),
                                                 ("LazyConvTranspose2d", "ConvTranspose2d", (3, 4, 5))])
def test_lazy_convolutions_become_their_eager_class(lazy, eager, shape):
    torch = pytest.importorskip("torch")
    m = getattr(nn, lazy)(4, 3, stride=2)
    assert not list(m.parameters())
    y = m(minigrad.randn(*shape))
    assert type(m) is getattr(nn, eager) and m.in_channels == 3
    t = getattr(torch.nn, lazy)(4, 3, stride=2)
    ty = t(torch.randn(*shape))
    assert repr(m) == repr(t) and y.shape == tuple(ty.shape)
    assert {k: v.shape for k, v in m.state_dict().items()} == {k: tuple(v.shape) for k, v in t.state_dict().items()}


# ***** RMSNorm, LocalResponseNorm *****


def test_rms_norm_default_eps_is_the_dtypes_and_float32_matches_torch():
    torch = pytest.importorskip("torch")
    x = rnd(3, 4, seed=21) * 1e-4  # small: the eps matters
    w = rnd(4, seed=22)
    for dt, tdt, tol in [(minigrad.float32, torch.float32, 1e-6), (f64, torch.float64, 1e-12)]:
        y = F.rms_norm(T(x, dtype=dt), (4,), T(w, dtype=dt))
        ty = torch.nn.functional.rms_norm(torch.tensor(x, dtype=tdt), (4,), torch.tensor(w, dtype=tdt))
        assert y.dtype == dt
        np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=tol, atol=tol)
    eps32 = float(np.finfo(np.float32).eps)
    expect = x / np.sqrt((x ** 2).mean(-1, keepdims=True) + eps32) * w
    np.testing.assert_allclose(F.rms_norm(T(x, dtype=minigrad.float32), 4, T(w, dtype=minigrad.float32)).numpy(),
                               expect, rtol=1e-5)
    X, W = T(rnd(2, 3, 4, seed=23), True), T(rnd(3, 4, seed=24), True)
    assert gradcheck(lambda a, b: F.rms_norm(a, (3, 4), b, eps=1e-3), X, W)


def test_local_response_norm_gradcheck_and_against_a_loop(device):
    x = rnd(2, 5, 3, seed=25)
    size, alpha, beta, k = 3, 0.7, 0.6, 1.5
    sq = np.pad(x ** 2, ((0, 0), (size // 2, (size - 1) // 2), (0, 0)))
    div = np.stack([sq[:, c:c + size].sum(1) for c in range(5)], 1) * alpha / size + k
    y = F.local_response_norm(T(x, device=device), size, alpha, beta, k)
    np.testing.assert_allclose(y.numpy(), x / div ** beta, rtol=1e-12)
    assert gradcheck(lambda t: F.local_response_norm(t, 4, 0.5, 0.75, 1.0), T(rnd(1, 5, 2, 2, seed=26), True))


# ***** Dropout1d, AlphaDropout *****


def test_dropout1d_drops_whole_channels_reproducibly(device):
    x = T(rnd(4, 6, 5, seed=27), True, device)
    minigrad.manual_seed(3)
    y = nn.Dropout1d(0.5)(x)
    keep = y.numpy() != 0
    assert (keep == keep[..., :1]).all() and 0 < keep.mean() < 1  # rows are all kept or all dropped
    np.testing.assert_allclose(y.numpy(), np.where(keep, x.numpy() * 2, 0.0), rtol=1e-12)
    g = rnd(4, 6, 5, seed=28)
    y.backward(T(g, device=device))
    np.testing.assert_allclose(x.grad.numpy(), np.where(keep, g * 2, 0.0), rtol=1e-12)
    minigrad.manual_seed(3)
    np.testing.assert_array_equal(F.dropout1d(x.detach(), 0.5).numpy(), y.numpy())
    u = F.dropout1d(T(rnd(6, 5), dtype=minigrad.float32), 0.5)  # unbatched (C, L)
    assert u.dtype == minigrad.float32 and ((u.numpy() != 0) == (u.numpy() != 0)[:, :1]).all()


def test_alpha_dropout_formula_statistics_and_gradient(device):
    p = 0.3
    sat = 1.7580993408473766
    a = ((1 - p) * (1 + p * sat ** 2)) ** -0.5
    x = T(rnd(400, 500, seed=29), True, device)
    minigrad.manual_seed(4)
    y = F.alpha_dropout(x, p, training=True)
    xv, yv = x.numpy(), y.numpy()
    dropped = np.isclose(yv, a * (-sat) + sat * a * p, rtol=1e-12, atol=1e-12)
    assert abs(dropped.mean() - p) < 0.01
    np.testing.assert_allclose(yv[~dropped], a * xv[~dropped] + sat * a * p, rtol=1e-12)
    # the point of alpha dropout: standardised inputs keep mean 0 and variance 1
    assert abs(yv.mean()) < 0.01 and abs(yv.std() - 1) < 0.01
    g = rnd(400, 500, seed=30)
    y.backward(T(g, device=device))
    np.testing.assert_allclose(x.grad.numpy(), np.where(dropped, 0.0, a * g), rtol=1e-12)
    minigrad.manual_seed(4)
    np.testing.assert_array_equal(nn.AlphaDropout(p)(x.detach()).numpy(), yv)  # the layer: same stream
    assert F.alpha_dropout(x, p) is x  # training=False by default, as in torch
    assert (F.alpha_dropout(x, 1.0, True).numpy() == 0).all()
    assert F.alpha_dropout(T(rnd(3), dtype=minigrad.float32), 0.5, True).dtype == minigrad.float32
    z = T(rnd(3, 4))
    minigrad.manual_seed(5)
    out = F.alpha_dropout(z, 0.4, True, inplace=True)
    minigrad.manual_seed(5)
    assert out is z and np.allclose(z.numpy(), F.alpha_dropout(T(rnd(3, 4)), 0.4, True).numpy())


# ***** errors at the API boundary, shapes named *****


ERRORS = [
    (lambda: F.bilinear(T(rnd(3, 2)), T(rnd(4, 3)), T(rnd(5, 2, 3))), RuntimeError,
     r"input batch dimensions do not match at dim 0: got 3 and 4"),
    (lambda: F.bilinear(T(rnd(3, 2)), T(rnd(3, 4)), T(rnd(5, 2, 3))), RuntimeError,
     r"input2 size does not match weight size: got 4 but expected 3"),
    (lambda: F.bilinear(T(rnd(3, 3)), T(rnd(3, 3)), T(rnd(5, 2, 3))), RuntimeError,
     r"input1 size does not match weight size: got 3 but expected 2"),
    (lambda: F.bilinear(T(rnd(3, 2)), T(rnd(3, 3)), T(rnd(5, 2, 3)), T(rnd(4))), RuntimeError,
     r"bias size does not match weight size: got 4 but expected 5"),
    (lambda: F.bilinear(T(rnd(3, 2)), T(rnd(3, 3), dtype=minigrad.float32), T(rnd(5, 2, 3))), TypeError, "float32"),
    (lambda: nn.Unflatten(1, (2, 4))(T(rnd(3, 10))), RuntimeError,
     r"Provided sizes \[2, 4\] don't multiply up to the size of dim 1 \(10\)"),
    (lambda: nn.Softmax2d()(T(rnd(3, 10))), ValueError, "expected input to be 3D or 4D, got 2D"),
    (lambda: F.adaptive_max_pool1d(T(rnd(3, 4, 5, 6)), 2), ValueError, r"got shape \(3, 4, 5, 6\)"),
    (lambda: F.adaptive_avg_pool1d(T(rnd(3, 4, 5)), (2, 3)), ValueError, "output_size must be an int or a 1-tuple"),
    (lambda: F.max_unpool2d(T(rnd(1, 1, 2, 2)), minigrad.tensor([[[[0, 1], [2, 99]]]]), 2), RuntimeError,
     r"Found an invalid max index: 99 \(output volumes are of size 4x4\)"),
    (lambda: F.max_unpool2d(T(rnd(1, 1, 2, 2)), minigrad.tensor([[[[0, 1], [2, 3]]]]), 2, output_size=(7, 7)),
     ValueError, r"dim 0 must be between 2 and 6"),
    (lambda: F.max_unpool2d(T(rnd(1, 1, 2, 2)), minigrad.tensor([[[[0, 1, 2], [2, 3, 3]]]]), 2), ValueError,
     r"same as that of the input tensor \(\(1, 1, 2, 2\)\) but got indices tensor with shape: \(1, 1, 2, 3\)"),
    (lambda: F.max_unpool2d(T(rnd(1, 1, 2, 2)), T(rnd(1, 1, 2, 2)), 2), TypeError, "should be type int64"),
    (lambda: F.unfold(T(rnd(1, 2, 3, 3)), 4), RuntimeError,
     r"spatial size \(3, 3\), kernel_size=\(4, 4\).* sliding blocks as \(0, 0\)"),
    (lambda: F.unfold(T(rnd(3, 3)), 2), ValueError, r"got shape \(3, 3\)"),
    (lambda: F.fold(T(rnd(1, 8, 5)), (3, 3), 2), RuntimeError,
     r"number of sliding blocks 2 \* 2 = 4, but got input.size\(2\)=5"),
    (lambda: F.fold(T(rnd(1, 7, 4)), (3, 3), 2), RuntimeError,
     r"divisible by the product of kernel_size, but got input.size\(1\)=7"),
    (lambda: F.pixel_shuffle(T(rnd(1, 3, 2, 2)), 2), RuntimeError, r"input.size\(-3\)=3 is not divisible by 4"),
    (lambda: F.pixel_shuffle(T(rnd(3, 2)), 2), RuntimeError, "at least 3 dimensions, but got input with 2"),
    (lambda: F.pixel_unshuffle(T(rnd(1, 3, 3, 2)), 2), RuntimeError, r"input.size\(-2\)=3 is not divisible by 2"),
    (lambda: F.conv_transpose1d(T(rnd(2, 3, 4)), T(rnd(2, 2, 3))), ValueError,
     r"expected input with 2 channels \(weight \(2, 2, 3\)\), got input of shape \(2, 3, 4\)"),
    (lambda: F.conv_transpose1d(T(rnd(2, 3, 4, 4)), T(rnd(3, 2, 3))), ValueError, r"got shape \(2, 3, 4, 4\)"),
    (lambda: F.rms_norm(T(rnd(2, 3)), (4,)), ValueError,
     r"normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of size \(2, 3\)"),
    (lambda: F.rms_norm(T(rnd(2, 3)), (3,), T(rnd(4))), ValueError, r"weight of shape \(4,\) and normalized_shape"),
    (lambda: F.local_response_norm(T(rnd(2, 3)), 2), ValueError, r"3D or higher dimensionality input \(got 2"),
    (lambda: F.dropout1d(T(rnd(2, 3, 4, 5)), 0.5), ValueError, r"got shape \(2, 3, 4, 5\)"),
    (lambda: F.alpha_dropout(T(rnd(2, 3)), 1.5, True), ValueError, "between 0 and 1, but got 1.5"),
    (lambda: nn.AlphaDropout(-0.1), ValueError, "between 0 and 1"),
]


@pytest.mark.parametrize("call, exc, match", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors_name_the_shapes(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
