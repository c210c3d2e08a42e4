"""Pooling: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d. Overlapping windows accumulate (R3.4),
batches (R3.5), ties, gradchecks, output sizes (R3.1) and torch parity."""

import itertools

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import gradcheck


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def distinct(*shape, seed=0):
    """Values at least 0.1 apart, so that no finite-difference step (1e-6) changes a max."""
    return np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) * 0.1


def T(a, device="cpu", requires_grad=False):
    return minigrad.tensor(a, device=device, requires_grad=requires_grad)


def naive_pool(x, kernel, stride, padding, reduce):
    """One window at a time; padding is -inf for max and 0 (counted) for avg."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    fill = -np.inf if reduce is np.max else 0.0
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    OH, OW = (x.shape[2] + 2 * ph - kh) // sh + 1, (x.shape[3] + 2 * pw - kw) // sw + 1
    y = np.zeros(x.shape[:2] + (OH, OW))
    for i, j in itertools.product(range(OH), range(OW)):
        y[:, :, i, j] = reduce(xpad[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw], axis=(2, 3))
    return y


# (kernel, stride, padding): overlapping, non-square, padded, stride > kernel
POOLS = [(2, 2, 0), (3, 1, 1), (3, 2, 1), ((2, 3), (1, 2), (1, 1)), (2, 3, 0), ((3, 1), (2, 1), (1, 0))]


# ***** R3.4 max-pool backward accumulates over overlapping windows *****


def test_overlapping_max_pool_1d_case_r3_4(device):
    """Window 2, stride 1 over [5, 3, 1, 2, 5]: the maxima are x0, x1, x3, x4 (x1 wins [3, 1],
    x3 wins [1, 2]); x0 and x4 win one window each. Gradient [1, 1, 0, 1, 1]."""
    x = T(np.array([5.0, 3.0, 1.0, 2.0, 5.0]).reshape(1, 1, 1, 5), device, requires_grad=True)
    y = F.max_pool2d(x, (1, 2), stride=1)
    np.testing.assert_array_equal(y.numpy().ravel(), [5, 3, 2, 5])
    y.backward(minigrad.ones(*y.shape).to(device))
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [1, 1, 0, 1, 1])


def test_overlapping_max_pool_peak_gets_every_window_r3_4(device):
    """One peak inside 3x3 windows at stride 1 wins all nine windows that contain it; each
    window's upstream gradient adds up there."""
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 2] = 10.0
    X = T(x, device, True)
    y = F.max_pool2d(X, 3, stride=1)  # a 3x3 output, every window contains (2, 2)
    G = rnd(*y.shape, seed=1)
    y.backward(T(G, device))
    expected = np.zeros_like(x)
    expected[0, 0, 2, 2] = G.sum()
    np.testing.assert_allclose(X.grad.numpy(), expected, rtol=1e-12)


def test_max_pool_gradcheck_overlapping_r3_4():
    x = T(distinct(2, 2, 6, 7), requires_grad=True)
    gradcheck(lambda x: F.max_pool2d(x, 3, stride=1), x)


@pytest.mark.parametrize("kernel,stride,padding", POOLS)
def test_max_pool_gradcheck_grid(kernel, stride, padding):
    x = T(distinct(2, 2, 7, 8) - 2.0, requires_grad=True)
    gradcheck(lambda x: F.max_pool2d(x, kernel, stride, padding), x)


@pytest.mark.parametrize("kernel,stride,padding", POOLS)
def test_avg_pool_gradcheck_grid(kernel, stride, padding):
    x = T(rnd(2, 2, 7, 8), requires_grad=True)
    gradcheck(lambda x: F.avg_pool2d(x, kernel, stride, padding), x)


def test_max_pool_tie_sends_whole_gradient_to_one_element(device):
    """Constant input: every element of a window ties. PyTorch gives each window's gradient to
    its first element (row-major); so do we, and never splits it."""
    x = T(np.ones((2, 3, 4, 6)), device, True)
    y = F.max_pool2d(x, 2)
    G = rnd(*y.shape, seed=2)
    y.backward(T(G, device))
    expected = np.zeros((2, 3, 4, 6))
    expected[:, :, ::2, ::2] = G
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_max_pool_nan_propagates_like_torch():
    torch = pytest.importorskip("torch")
    x = distinct(1, 2, 4, 4)
    x[0, 0, 1, 0] = np.nan
    X, tx = T(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = F.max_pool2d(X, 2), torch.nn.functional.max_pool2d(tx, 2)
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())  # nan where torch has nan
    G = rnd(*y.shape, seed=1)
    y.backward(T(G))
    ty.backward(torch.tensor(G))
    np.testing.assert_array_equal(X.grad.numpy(), tx.grad.numpy())


# ***** forward values: R3.1 sizes, naive loop, torch *****


@pytest.mark.parametrize("kernel,stride,padding", POOLS)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_forward_matches_naive_loop_r3_1(device, kind, kernel, stride, padding):
    x = rnd(2, 3, 7, 8)
    fn, reduce = (F.max_pool2d, np.max) if kind == "max" else (F.avg_pool2d, np.mean)
    y = fn(T(x, device), kernel, stride, padding)
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    ref = naive_pool(x, pair(kernel), pair(stride), pair(padding), reduce)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12, atol=1e-12)


def assert_matches_torch(torch, mine, theirs, x):
    """mine(x) equals theirs(x) (the torch function), and so does the input gradient under a
    random upstream gradient."""
    X, tx = T(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = mine(X), theirs(tx)
    G = rnd(*y.shape, seed=1)
    y.backward(T(G))
    ty.backward(torch.tensor(G))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(X.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("kernel,stride,padding", POOLS)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_forward_and_grad_match_torch(kind, kernel, stride, padding):
    torch = pytest.importorskip("torch")
    mine = {"max": F.max_pool2d, "avg": F.avg_pool2d}[kind]
    theirs = {"max": torch.nn.functional.max_pool2d, "avg": torch.nn.functional.avg_pool2d}[kind]
    assert_matches_torch(torch, lambda t: mine(t, kernel, stride, padding),
                         lambda t: theirs(t, kernel, stride, padding), rnd(2, 3, 9, 8))


def test_default_stride_is_kernel_and_untiled_rows_get_zero_grad(device):
    x = T(rnd(1, 2, 7, 7), device, True)
    y = F.max_pool2d(x, 3)  # stride 3: windows at 0 and 3, row/column 6 unused
    assert y.shape == (1, 2, 2, 2)
    y.backward(T(rnd(*y.shape), device))
    assert x.grad.shape == x.shape
    assert np.all(x.grad.numpy()[..., 6, :] == 0) and np.all(x.grad.numpy()[..., :, 6] == 0)


# ***** adaptive average pooling *****


@pytest.mark.parametrize("in_hw,out", [((5, 7), 1), ((5, 7), (1, 1)), ((6, 8), (3, 4)), ((5, 7), (3, 4)),
                                       ((7, 7), (7, 7)), ((4, 9), (None, 2))])
def test_adaptive_avg_pool_matches_torch(in_hw, out):
    torch = pytest.importorskip("torch")
    assert_matches_torch(torch, lambda t: F.adaptive_avg_pool2d(t, out),
                         lambda t: torch.nn.functional.adaptive_avg_pool2d(t, out), rnd(2, 3, *in_hw))


def test_adaptive_avg_pool_1x1_is_global_mean(device):
    x = rnd(2, 3, 5, 7)
    X = T(x, device, True)
    y = nn.AdaptiveAvgPool2d((1, 1))(X)
    np.testing.assert_allclose(y.numpy(), x.mean(axis=(2, 3), keepdims=True), rtol=1e-12)
    G = rnd(2, 3, 1, 1, seed=1)
    y.backward(T(G, device))
    np.testing.assert_allclose(X.grad.numpy(), np.broadcast_to(G / 35, x.shape), rtol=1e-12)


@pytest.mark.parametrize("out", [(3, 4), (2, 5)])  # overlapping bins: 5 -> 3 and 7 -> 4 overlap
def test_adaptive_avg_pool_gradcheck(out):
    x = T(rnd(2, 2, 5, 7), requires_grad=True)
    gradcheck(lambda x: F.adaptive_avg_pool2d(x, out), x)


# ***** R3.5 batches *****


@pytest.mark.parametrize("fn", [lambda x: F.max_pool2d(x, 3, 2, 1), lambda x: F.avg_pool2d(x, 2, 1),
                                lambda x: F.adaptive_avg_pool2d(x, (2, 3))])
def test_batch_of_four_equals_four_batches_of_one_r3_5(device, fn):
    x = distinct(4, 3, 7, 6)
    G = None

    def run(xs, g=None):
        X = T(xs, device, True)
        y = fn(X)
        g = rnd(*y.shape, seed=3) if g is None else g
        y.backward(T(g, device))
        return y.numpy(), X.grad.numpy(), g

    y, gx, G = run(x)
    singles = [run(x[i : i + 1], G[i : i + 1]) for i in range(4)]
    np.testing.assert_array_equal(y, np.concatenate([s[0] for s in singles]))
    np.testing.assert_allclose(gx, np.concatenate([s[1] for s in singles]), rtol=1e-12, atol=1e-15)


# ***** layers, dtypes, errors *****


def test_modules_repr_and_forward(device):
    x = minigrad.randn(2, 3, 8, 8, device=device)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 4, 4)
    assert nn.AvgPool2d(3, stride=2, padding=1)(x).shape == (2, 3, 4, 4)
    assert nn.AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(3, 1, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    assert list(nn.MaxPool2d(2).parameters()) == []


@pytest.mark.parametrize("fn", [lambda x: F.max_pool2d(x, 2), lambda x: F.avg_pool2d(x, 3, 1, 1),
                                lambda x: F.adaptive_avg_pool2d(x, 2)])
def test_float32_stays_float32(device, fn):
    x = minigrad.randn(2, 3, 6, 6, device=device, requires_grad=True)
    y = fn(x)
    y.backward(minigrad.ones(*y.shape).to(device))
    assert y.dtype == x.grad.dtype == np.float32
    assert y.device == x.grad.device == device


def test_unbatched_input():
    x = rnd(3, 6, 6)
    y = F.max_pool2d(T(x), 2)
    assert y.shape == (3, 3, 3)
    np.testing.assert_array_equal(y.numpy(), F.max_pool2d(T(x[None]), 2).numpy()[0])


@pytest.mark.parametrize("call,words", [
    (lambda: F.max_pool2d(minigrad.zeros(1, 1, 2, 2), 3), ["output size", "(2, 2)", "kernel (3, 3)"]),
    (lambda: F.avg_pool2d(minigrad.zeros(1, 1, 5, 1), (2, 2)), ["output size", "(5, 1)", "kernel (2, 2)"]),
    (lambda: F.max_pool2d(minigrad.zeros(4, 4), 2), ["4-d input", "(4, 4)"]),
    (lambda: F.max_pool2d(minigrad.zeros(1, 1, 8, 8), 2, padding=2), ["padding (2, 2)", "half the kernel"]),
    (lambda: F.max_pool2d(minigrad.zeros(1, 1, 8, 8), 0), ["kernel_size must be positive"]),
    (lambda: F.avg_pool2d(minigrad.zeros(1, 1, 8, 8), 2, stride=-1), ["stride must be positive"]),
    (lambda: F.adaptive_avg_pool2d(minigrad.zeros(1, 1, 8, 8), 0), ["output_size must be positive"]),
    (lambda: nn.MaxPool2d(2, padding=3), ["padding (3, 3)"]),
])
def test_bad_arguments_raise_clear_errors(call, words):
    with pytest.raises(ValueError) as e:
        call()
    for word in words:
        assert word in str(e.value), (word, str(e.value))


# ***** max-pool dilation and ceil_mode; avg-pool's other arguments *****

MAXPOOL_MORE = [  # (H, W, kernel, stride, padding, dilation, ceil_mode)
    (7, 7, 2, 2, 0, 1, True),
    (7, 6, 3, 2, 1, 1, True),
    (8, 9, 3, 2, 1, 2, False),
    (9, 8, 2, 1, 0, 2, True),
    (10, 7, (3, 2), (2, 3), (1, 0), (1, 2), True),
    (5, 5, 3, 3, 1, 1, True),  # a last window that would start in the right padding is dropped
]


@pytest.mark.parametrize("H,W,k,s,p,d,ceil", MAXPOOL_MORE)
def test_max_pool_dilation_and_ceil_mode_match_torch(H, W, k, s, p, d, ceil):
    torch = pytest.importorskip("torch")
    x = rnd(2, 3, H, W, seed=5)
    X, tX = T(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = F.max_pool2d(X, k, s, p, dilation=d, ceil_mode=ceil)
    ty = torch.nn.functional.max_pool2d(tX, k, s, p, dilation=d, ceil_mode=ceil)
    assert y.shape == tuple(ty.shape)
    g = rnd(*y.shape, seed=6)
    y.backward(T(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    np.testing.assert_allclose(X.grad.numpy(), tX.grad.numpy(), rtol=1e-12)
    m = nn.MaxPool2d(k, s, p, dilation=d, ceil_mode=ceil)
    assert repr(m) == repr(torch.nn.MaxPool2d(k, s, p, dilation=d, ceil_mode=ceil))
    np.testing.assert_array_equal(m(T(x)).numpy(), ty.detach().numpy())


@pytest.mark.parametrize("H,W,k,s,p,d,ceil", MAXPOOL_MORE[:3])
def test_max_pool_dilation_and_ceil_mode_gradcheck(device, H, W, k, s, p, d, ceil):
    x = T(rnd(1, 2, H, W, seed=7), device, True)
    if device == "cpu":
        gradcheck(lambda a: F.max_pool2d(a, k, s, p, dilation=d, ceil_mode=ceil), x)
    else:  # the device computes what the CPU computes
        want = F.max_pool2d(T(rnd(1, 2, H, W, seed=7)), k, s, p, dilation=d, ceil_mode=ceil).numpy()
        np.testing.assert_array_equal(F.max_pool2d(x, k, s, p, dilation=d, ceil_mode=ceil).numpy(), want)


def test_avg_pool_divisor_override_and_no_op_options_match_torch():
    torch = pytest.importorskip("torch")
    x = rnd(2, 3, 8, 8, seed=8)
    cases = [dict(kernel_size=3, stride=2, padding=1, divisor_override=5),
             dict(kernel_size=2, ceil_mode=True),  # windows tile 8 exactly: no extra window
             dict(kernel_size=2, count_include_pad=False)]  # no padding: nothing to exclude
    for kw in cases:
        X, tX = T(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = F.avg_pool2d(X, **kw), torch.nn.functional.avg_pool2d(tX, **kw)
        g = rnd(*y.shape, seed=9)
        y.backward(T(g))
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(X.grad.numpy(), tX.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose(nn.AvgPool2d(**kw)(T(x)).numpy(), ty.detach().numpy(), rtol=1e-12)


def test_pooling_options_that_are_not_supported_raise_clearly():
    x = T(rnd(1, 1, 7, 7))  # (return_indices is supported now: tests/test_layers2.py)
    with pytest.raises(NotImplementedError, match="ceil_mode=True is not supported where it adds windows"):
        F.avg_pool2d(x, 2, ceil_mode=True)  # 7 = 3 * 2 + 1: ceil would add a window
    with pytest.raises(NotImplementedError, match="count_include_pad=False is not supported with padding"):
        nn.AvgPool2d(3, padding=1, count_include_pad=False)(x)
    with pytest.raises(ValueError, match="divisor_override must be a positive int"):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(ValueError, match="padding .* must be between 0 and half the kernel size"):
        F.max_pool2d(x, 2, padding=2, dilation=1)


@pytest.mark.parametrize("out", [1, (2, 3), (None, 1)])
def test_adaptive_max_pool_with_equal_bins_matches_torch(out):
    torch = pytest.importorskip("torch")
    x = rnd(2, 3, 4, 6, seed=11)
    x[0, 0, :2, :3] = 1.0  # a tie: the first element gets the gradient, as in torch
    X, tX = T(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = F.adaptive_max_pool2d(X, out), torch.nn.functional.adaptive_max_pool2d(tX, out)
    g = rnd(*y.shape, seed=12)
    y.backward(T(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    np.testing.assert_allclose(X.grad.numpy(), tX.grad.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(nn.AdaptiveMaxPool2d(out)(T(x)).numpy(), ty.detach().numpy())
    assert repr(nn.AdaptiveMaxPool2d(out)) == repr(torch.nn.AdaptiveMaxPool2d(out))


def test_adaptive_max_pool_global_is_the_max_and_unequal_bins_raise(device):
    x = rnd(2, 3, 5, 7, seed=13)
    np.testing.assert_array_equal(F.adaptive_max_pool2d(T(x, device), 1).numpy(), x.max(axis=(2, 3), keepdims=True))
    with pytest.raises(NotImplementedError, match="not a multiple of output_size"):
        F.adaptive_max_pool2d(T(x, device), 2)


POOL1D = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=2, ceil_mode=True)]


@pytest.mark.parametrize("kw", POOL1D, ids=[str(k) for k in POOL1D])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool1d_matches_torch(kind, kw):
    torch = pytest.importorskip("torch")
    if kind == "avg" and kw.get("ceil_mode"):
        kw = dict(kw, ceil_mode=False)
    x = rnd(2, 3, 17, seed=14)
    X, tX = T(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    fn, tfn = getattr(F, f"{kind}_pool1d"), getattr(torch.nn.functional, f"{kind}_pool1d")
    y, ty = fn(X, **kw), tfn(tX, **kw)
    g = rnd(*y.shape, seed=15)
    y.backward(T(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(X.grad.numpy(), tX.grad.numpy(), rtol=1e-12)
    cls = "MaxPool1d" if kind == "max" else "AvgPool1d"
    assert repr(getattr(nn, cls)(**kw)) == repr(getattr(torch.nn, cls)(**kw))
    np.testing.assert_allclose(getattr(nn, cls)(**kw)(T(x)).numpy(), ty.detach().numpy(), rtol=1e-12)


def test_pool1d_unbatched_and_errors(device):
    x = rnd(3, 10, seed=16)
    np.testing.assert_array_equal(F.max_pool1d(T(x, device), 2).numpy(), x.reshape(3, 5, 2).max(-1))
    np.testing.assert_allclose(F.avg_pool1d(T(x, device), 2).numpy(), x.reshape(3, 5, 2).mean(-1), rtol=1e-12)
    with pytest.raises(ValueError, match="max_pool1d: expected a 3-d input"):
        F.max_pool1d(T(rnd(1, 2, 3, 4)), 2)
