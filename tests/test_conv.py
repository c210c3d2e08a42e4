"""Conv2d: output sizes and values against a naive loop (R3.1), input-gradient shape (R3.2),
gradcheck over stride/padding/dilation/groups (R3.3), batches (R3.5), memory (R3.6), col2im
(R3.7), strided views (R3.8), one BLAS contraction (R3.9), cross-correlation (R3.10), torch
parity, the layer, and the MNIST CNN trained 5 steps next to torch."""

import gc
import itertools
import math
import tracemalloc
import weakref

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn, optim
from minigrad.nn import conv
from minigrad.testing import gradcheck

from parity import assert_step_matches, copy_weights


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def T(a, device="cpu", requires_grad=False, dtype=None):
    return minigrad.tensor(a, device=device, requires_grad=requires_grad, dtype=dtype)


def naive_conv2d(x, W, b, stride, padding, dilation, groups=1):
    """The definition, one output element at a time (no windows, no im2col)."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    N, C, H, Wd = x.shape
    C_out, C_g, kh, kw = W.shape
    OH = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    OW = (Wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((N, C_out, OH, OW))
    per_group = C_out // groups
    for n, o, i, j in itertools.product(range(N), range(C_out), range(OH), range(OW)):
        acc = 0.0 if b is None else b[o]
        for c, p, q in itertools.product(range(C_g), range(kh), range(kw)):
            r, s = i * sh + p * dh - ph, j * sw + q * dw - pw
            if 0 <= r < H and 0 <= s < Wd:
                acc += W[o, c, p, q] * x[n, (o // per_group) * C_g + c, r, s]
        y[n, o, i, j] = acc
    return y


# ***** R3.1 output size and values *****

# (H, W, kh, kw, stride, padding, dilation): non-square kernels and strides included
SIZES = [
    (5, 5, 3, 3, (1, 1), (0, 0), (1, 1)),
    (7, 6, 3, 5, (2, 1), (1, 2), (1, 1)),
    (8, 9, 2, 3, (3, 2), (0, 1), (1, 1)),
    (9, 7, 3, 2, (1, 2), (2, 0), (2, 3)),
    (6, 8, 1, 1, (2, 3), (0, 0), (1, 1)),
    (4, 4, 4, 4, (1, 1), (0, 0), (1, 1)),  # kernel = input: a 1x1 output
    (10, 5, 5, 3, (4, 1), (1, 1), (1, 2)),
]


@pytest.mark.parametrize("H,W,kh,kw,stride,padding,dilation", SIZES)
def test_output_size_and_values_match_naive_loop_r3_1(device, H, W, kh, kw, stride, padding, dilation):
    x, w, b = rnd(2, 3, H, W), rnd(4, 3, kh, kw, seed=1), rnd(4, seed=2)
    y = F.conv2d(T(x, device), T(w, device), T(b, device), stride=stride, padding=padding, dilation=dilation)
    expected_hw = tuple(
        math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1
        for n, p, d, k, s in zip((H, W), padding, dilation, (kh, kw), stride)
    )
    assert y.shape == (2, 4, *expected_hw)
    expected = naive_conv2d(x, w, b, stride, padding, dilation)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("H,W,kh,kw,stride,padding,dilation", SIZES)
def test_output_values_match_torch_r3_1(H, W, kh, kw, stride, padding, dilation):
    torch = pytest.importorskip("torch")
    x, w = rnd(2, 3, H, W), rnd(4, 3, kh, kw, seed=1)
    y = F.conv2d(T(x), T(w), stride=stride, padding=padding, dilation=dilation)
    ty = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), stride=stride, padding=padding,
                                    dilation=dilation)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("H,W,k,stride,padding,dilation", [
    (4, 4, 5, 1, 0, 1),     # kernel larger than the input
    (5, 5, 3, 1, 0, 3),     # dilated kernel spans 7 > 5
    (2, 9, 3, 2, 0, 1),     # fine in W, not in H
])
def test_non_positive_output_size_names_all_sizes_r3_1(H, W, k, stride, padding, dilation):
    x, w = minigrad.zeros(1, 1, H, W), minigrad.zeros(1, 1, k, k)
    with pytest.raises(ValueError) as e:
        F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
    msg = str(e.value)
    for text in (f"({H}, {W})", f"kernel ({k}, {k})", f"stride ({stride}, {stride})",
                 f"dilation ({dilation}, {dilation})", "padding", "not positive"):
        assert text in msg, (text, msg)


# ***** R3.2 input gradient shape when the stride does not tile the input *****


def test_dx_has_input_shape_when_stride_does_not_tile_r3_2(device):
    x = T(rnd(2, 3, 28, 28), device, requires_grad=True)
    w = T(rnd(4, 3, 3, 3, seed=1), device, requires_grad=True)
    y = F.conv2d(x, w, stride=2)  # windows start at 0, 2, ..., 24: row and column 27 are never read
    assert y.shape == (2, 4, 13, 13)
    y.backward(T(rnd(*y.shape, seed=3), device))
    assert x.grad.shape == x.shape
    gx = x.grad.numpy()
    assert np.all(gx[..., -1, :] == 0) and np.all(gx[..., :, -1] == 0)
    assert np.count_nonzero(gx[..., :-1, :-1]) > 0.9 * gx[..., :-1, :-1].size


@pytest.mark.parametrize("H,k,s,p", [(16, 7, 3, 2), (7, 3, 2, 0), (17, 7, 3, 2)])
def test_dx_gradcheck_untiled_r3_2(H, k, s, p):
    x = T(rnd(1, 2, H, H), requires_grad=True)
    w = T(rnd(2, 2, k, k, seed=1), requires_grad=True)
    gradcheck(lambda x, w: F.conv2d(x, w, stride=s, padding=p), x, w)


# ***** R3.3 gradcheck over stride, padding, dilation, groups, non-square *****

GRID = [  # (C_in, C_out, kernel, stride, padding, dilation, groups, bias)
    (2, 3, (3, 3), 1, 0, 1, 1, True),
    (2, 3, (3, 2), (2, 1), 1, 1, 1, True),
    (2, 2, (2, 3), 2, (1, 0), (2, 1), 1, False),
    (4, 6, (3, 3), 1, 1, 2, 2, True),
    (4, 4, (1, 3), (1, 2), (0, 1), 1, 4, True),     # depthwise
    (3, 2, (3, 3), 1, "same", (1, 2), 1, True),     # 'same' with dilation: pads (1, 1), (2, 2)
    (2, 2, (2, 2), 1, "same", 1, 1, False),         # even kernel: 'same' pads 0 before, 1 after
    (3, 2, (2, 2), 3, "valid", 1, 1, True),
]


@pytest.mark.parametrize("C_in,C_out,kernel,stride,padding,dilation,groups,bias", GRID)
def test_gradcheck_grid_r3_3(C_in, C_out, kernel, stride, padding, dilation, groups, bias):
    x = T(rnd(2, C_in, 6, 7), requires_grad=True)
    w = T(rnd(C_out, C_in // groups, *kernel, seed=1), requires_grad=True)
    args = [x, w] + ([T(rnd(C_out, seed=2), requires_grad=True)] if bias else [])
    gradcheck(lambda x, w, *b: F.conv2d(x, w, *(b or [None]), stride, padding, dilation, groups), *args)


def test_bias_grad_is_sum_of_upstream_grad_r3_3(device):
    x, w, b = T(rnd(3, 2, 5, 6), device), T(rnd(4, 2, 3, 3, seed=1), device), T(rnd(4, seed=2), device, True)
    y = F.conv2d(x, w, b, stride=(1, 2), padding=1)
    G = rnd(*y.shape, seed=5)
    y.backward(T(G, device))
    np.testing.assert_allclose(b.grad.numpy(), G.sum(axis=(0, 2, 3)), rtol=1e-12)


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on its own speed
@pytest.mark.parametrize("C_in,C_out,kernel,stride,padding,dilation,groups,bias", GRID)
def test_forward_and_grads_match_torch(C_in, C_out, kernel, stride, padding, dilation, groups, bias):
    torch = pytest.importorskip("torch")
    x, w, b = rnd(2, C_in, 7, 6), rnd(C_out, C_in // groups, *kernel, seed=1), rnd(C_out, seed=2)
    G = None
    mine, theirs = [], []
    X, W = T(x, requires_grad=True), T(w, requires_grad=True)
    B = T(b, requires_grad=True) if bias else None
    y = F.conv2d(X, W, B, stride, padding, dilation, groups)
    G = rnd(*y.shape, seed=3)
    y.backward(T(G))
    mine = [y.numpy(), X.grad.numpy(), W.grad.numpy()] + ([B.grad.numpy()] if bias else [])
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True) if bias else None
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride, padding, dilation, groups)
    ty.backward(torch.tensor(G))
    theirs = [ty.detach().numpy(), tx.grad.numpy(), tw.grad.numpy()] + ([tb.grad.numpy()] if bias else [])
    for a, t in zip(mine, theirs):
        assert a.shape == t.shape
        np.testing.assert_allclose(a, t, rtol=1e-8, atol=1e-8)


# ***** Winograd F(2x2, 3x3): the same map as im2col *****

WINOGRAD = [  # (N, C_in, C_out, H, W, padding, bias): even and odd output sizes, every padding
    (2, 8, 5, 6, 7, 1, True),
    (3, 9, 4, 5, 5, 0, False),
    (1, 8, 8, 7, 4, 2, True),
    (2, 10, 3, 4, 9, (1, 0), False),
    (2, 8, 2, 3, 3, "same", True),
]


def _conv_all(x, w, b, padding, device, G=None):
    X, W = T(x, device, True), T(w, device, True)
    B = T(b, device, True) if b is not None else None
    y = F.conv2d(X, W, B, padding=padding)
    used = y._ctx.winograd  # (backward frees what the node saved)
    G = rnd(*y.shape, seed=9) if G is None else G
    y.backward(T(G, device))
    return used, [y.numpy(), X.grad.numpy(), W.grad.numpy()] + ([B.grad.numpy()] if B is not None else [])


def test_winograd_combine_is_the_matrix_product_for_every_sign_pattern():
    from minigrad.nn import winograd

    parts = [rnd(5, seed=i) for i in range(3)]
    for row in itertools.product((-1, 0, 1), repeat=3):
        if any(row):
            out = [np.empty(5)]
            winograd._combine(np, (row,), parts, out)
            np.testing.assert_allclose(out[0], sum(r * p for r, p in zip(row, parts)), err_msg=str(row))


@pytest.mark.parametrize("N,C_in,C_out,H,W,padding,bias", WINOGRAD)
def test_winograd_equals_im2col(monkeypatch, N, C_in, C_out, H, W, padding, bias):
    from minigrad.nn import winograd

    x, w = rnd(N, C_in, H, W), rnd(C_out, C_in, 3, 3, seed=1)
    b = rnd(C_out, seed=2) if bias else None
    used, fast = _conv_all(x, w, b, padding, "cpu")
    assert used  # this shape goes through Winograd
    monkeypatch.setattr(winograd, "applies", lambda *args: False)
    used, ref = _conv_all(x, w, b, padding, "cpu")
    assert not used
    for a, r in zip(fast, ref):
        np.testing.assert_allclose(a, r, rtol=1e-12, atol=1e-12)


def test_winograd_runs_on_the_cpu_only(device):
    """On a device (the strict stand-in for CuPy, or a GPU) the same layer goes through im2col."""
    y = F.conv2d(T(rnd(2, 8, 6, 6), device, True), T(rnd(4, 8, 3, 3, seed=1), device), padding=1)
    assert y._ctx.winograd == (device == "cpu")


@pytest.mark.parametrize("N,C_in,C_out,H,W,padding,bias", WINOGRAD[:3])
def test_winograd_gradcheck(N, C_in, C_out, H, W, padding, bias):
    x = T(rnd(N, C_in, H, W), requires_grad=True)
    w = T(rnd(C_out, C_in, 3, 3, seed=1), requires_grad=True)
    assert F.conv2d(x, w, padding=padding)._ctx.winograd
    gradcheck(lambda x, w: F.conv2d(x, w, padding=padding), x, w)


@pytest.mark.parametrize("N,C_in,C_out,H,W,padding,bias", WINOGRAD)
def test_winograd_matches_torch(N, C_in, C_out, H, W, padding, bias):
    torch = pytest.importorskip("torch")
    x, w = rnd(N, C_in, H, W), rnd(C_out, C_in, 3, 3, seed=1)
    b = rnd(C_out, seed=2) if bias else None
    _, mine = _conv_all(x, w, b, padding, "cpu")
    G = rnd(*mine[0].shape, seed=9)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True) if bias else None
    ty = torch.nn.functional.conv2d(tx, tw, tb, padding=padding)
    ty.backward(torch.tensor(G))
    theirs = [ty.detach().numpy(), tx.grad.numpy(), tw.grad.numpy()] + ([tb.grad.numpy()] if bias else [])
    for a, t in zip(mine, theirs):
        np.testing.assert_allclose(a, t, rtol=1e-10, atol=1e-10)


def test_winograd_float32_stays_float32_and_is_accurate():
    x, w = rnd(4, 16, 12, 12), rnd(32, 16, 3, 3, seed=1)
    _, ref = _conv_all(x, w, None, 1, "cpu")
    X, W = T(x.astype(np.float32), requires_grad=True), T(w.astype(np.float32), requires_grad=True)
    y = F.conv2d(X, W, padding=1)
    assert y._ctx.winograd and y.dtype == np.float32
    y.backward(T(rnd(*y.shape, seed=9).astype(np.float32)))
    for a, r in zip([y.numpy(), X.grad.numpy(), W.grad.numpy()], ref):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, r, rtol=1e-4, atol=1e-4 * np.abs(r).max())


# ***** R3.5 batches *****


def test_batch_of_four_equals_four_batches_of_one_r3_5(device):
    x, w, b = rnd(4, 3, 7, 8), rnd(5, 3, 3, 2, seed=1), rnd(5, seed=2)
    G = rnd(4, 5, 4, 9, seed=3)

    def run(xs, g):
        X, W, B = T(xs, device, True), T(w, device, True), T(b, device, True)
        y = F.conv2d(X, W, B, stride=(2, 1), padding=1)
        y.backward(T(g, device))
        return y.numpy(), X.grad.numpy(), W.grad.numpy(), B.grad.numpy()

    y, gx, gw, gb = run(x, G)
    singles = [run(x[i : i + 1], G[i : i + 1]) for i in range(4)]
    np.testing.assert_allclose(y, np.concatenate([s[0] for s in singles]), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gx, np.concatenate([s[1] for s in singles]), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gw, sum(s[2] for s in singles), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gb, sum(s[3] for s in singles), rtol=1e-10, atol=1e-10)


# ***** R3.6 memory *****


@pytest.mark.parametrize("algorithm", ["im2col", "winograd"])
def test_memory_is_bounded_and_column_buffer_freed_r3_6(algorithm, monkeypatch):
    from minigrad.nn import winograd

    if algorithm == "im2col":
        monkeypatch.setattr(winograd, "applies", lambda *args: False)
    x = minigrad.randn(64, 32, 28, 28, requires_grad=True)
    w = minigrad.randn(64, 32, 3, 3, requires_grad=True)
    col_bytes = 32 * 9 * 64 * 28 * 28 * 4  # float32 (C*kh*kw, N*OH*OW)
    saved_bytes = {"im2col": col_bytes, "winograd": 16 * 32 * 64 * 14 * 14 * 4}[algorithm]  # V: (16, C, tiles)
    gy = minigrad.randn(64, 64, 28, 28)
    gc.collect()
    tracemalloc.start()
    try:
        y = F.conv2d(x, w, padding=1)
        fn = y._ctx
        assert fn.winograd == (algorithm == "winograd")
        saved = fn.V if fn.winograd else fn.col
        assert saved.dtype == np.float32 and saved.nbytes == saved_bytes  # float32 stays float32
        saved_ref = weakref.ref(saved.base if saved.base is not None else saved)
        del fn, saved
        y.backward(gy)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # both algorithms within 3x the im2col column buffer
    assert peak <= 3 * col_bytes, f"peak {peak / 1e6:.0f} MB > 3 x column buffer {col_bytes / 1e6:.0f} MB"
    del y
    gc.collect()
    assert saved_ref() is None, "the saved buffer outlived backward"
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_column_buffer_not_kept_when_weight_needs_no_grad_r3_6():
    x = minigrad.randn(2, 3, 8, 8, requires_grad=True)
    y = F.conv2d(x, minigrad.randn(4, 3, 3, 3))
    assert not y._ctx.winograd and y._ctx.col is None  # only gW needs it
    x = minigrad.randn(2, 8, 8, 8, requires_grad=True)
    y = F.conv2d(x, minigrad.randn(4, 8, 3, 3), padding=1)  # Winograd: V for gW, U for gx
    assert y._ctx.winograd and y._ctx.V is None and y._ctx.U is not None
    y = F.conv2d(x.detach(), minigrad.randn(4, 8, 3, 3, requires_grad=True))
    assert y._ctx.winograd and y._ctx.V is not None and y._ctx.U is None


# ***** R3.7 col2im *****


def coverage(H, W, kernel, stride, padding, dilation):
    """How many windows read each input pixel, counted one window at a time."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    OH = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    OW = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    count = np.zeros((H, W))
    for i, j, p, q in itertools.product(range(OH), range(OW), range(kh), range(kw)):
        r, s = i * sh + p * dh - ph, j * sw + q * dw - pw
        if 0 <= r < H and 0 <= s < W:
            count[r, s] += 1
    return count


CASES_7 = [  # (kernel, stride, padding, dilation)
    ((3, 3), (1, 1), (1, 1), (1, 1)), ((3, 2), (2, 1), (0, 1), (1, 1)), ((2, 2), (1, 1), (0, 0), (2, 2)),
    ((3, 3), (2, 2), (1, 1), (1, 1)), ((4, 3), (3, 2), (2, 1), (1, 2)),
]


@pytest.mark.parametrize("kernel,stride,padding,dilation", CASES_7)
def test_col2im_of_im2col_is_input_times_coverage_r3_7(device, kernel, stride, padding, dilation):
    x = rnd(2, 3, 9, 8)
    xp = minigrad.tensor(x, device=device).array
    from minigrad import backend

    xp_mod = backend.get_array_module(xp)
    pads = tuple((p, p) for p in padding)
    col = conv.im2col(xp_mod, xp, pads, kernel, stride, dilation)
    back = backend.to_numpy(conv.col2im(xp_mod, col, x.shape, pads, kernel, stride, dilation))
    np.testing.assert_allclose(back, x * coverage(9, 8, kernel, stride, padding, dilation), rtol=1e-12)


@pytest.mark.parametrize("kernel,stride,padding,dilation", CASES_7)
def test_col2im_equals_add_at_reference_r3_7(kernel, stride, padding, dilation):
    N, C, H, W = 2, 3, 9, 8
    pads = tuple((p, p) for p in padding)
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    OH = (H + 2 * padding[0] - dh * (kh - 1) - 1) // sh + 1
    OW = (W + 2 * padding[1] - dw * (kw - 1) - 1) // sw + 1
    gcol = rnd(C, kh, kw, OH, OW, N, seed=4)  # im2col's layout: rows (c, p, q), columns (i, j, n)
    # reference: every column entry scattered with np.add.at into the padded image
    ref = np.zeros((N, C, H + 2 * padding[0], W + 2 * padding[1]))
    c, p, q, i, j, n = np.indices(gcol.shape)
    np.add.at(ref, (n, c, i * sh + p * dh, j * sw + q * dw), gcol)
    ref = ref[:, :, padding[0] : padding[0] + H, padding[1] : padding[1] + W]
    got = conv.col2im(np, gcol, (N, C, H, W), pads, kernel, stride, dilation)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_backward_does_not_use_add_at_r3_7(monkeypatch):
    """On the strict device `xp.add.at` is an object we can replace: make it fail, then run
    conv and pooling backward with overlapping windows."""
    import minigrad.testing.strict as strict

    def refuse(*args, **kwargs):
        raise AssertionError("add.at was called")

    monkeypatch.setattr(strict.xp.add, "at", refuse)
    x = T(rnd(2, 3, 9, 9), "strict", True)
    w = T(rnd(4, 3, 3, 3, seed=1), "strict", True)
    y = F.conv2d(x, w, stride=1, padding=1, dilation=2)
    y = F.max_pool2d(y, 3, stride=1) + F.avg_pool2d(y, 3, stride=1)
    y.backward(T(rnd(*y.shape), "strict"))
    assert x.grad.shape == x.shape and w.grad.shape == w.shape


# ***** R3.8 strided views *****


@pytest.mark.parametrize("view", ["step2", "transposed", "channels_last", "flipped"])
def test_non_contiguous_input_equals_contiguous_r3_8(device, view):
    from minigrad import backend

    make = {  # views made on the device itself, so the leaf tensor keeps their strides
        "step2": lambda a, xp: a[:, :, ::2, ::2],
        "transposed": lambda a, xp: a.transpose(0, 1, 3, 2),
        "channels_last": lambda a, xp: xp.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2),
        "flipped": lambda a, xp: a[:, ::-1, ::-1],
    }[view]
    xp = backend.xp_for(device)
    w, G = rnd(4, 3, 3, 2, seed=1), None
    results = []
    for contiguous in (False, True):
        data = make(backend.to_device(rnd(2, 3, 12, 12), device), xp)
        if contiguous:
            data = xp.ascontiguousarray(data)
        assert data.flags.c_contiguous == contiguous
        x, W = minigrad.as_tensor(data).requires_grad_(), T(w, device, True)
        y = F.conv2d(x, W, stride=(1, 2), padding=1)
        G = rnd(*y.shape, seed=2) if G is None else G
        y.backward(T(G, device))
        results.append((y.numpy(), x.grad.numpy(), W.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_window_view_is_read_only_and_input_unchanged_r3_8():
    x = rnd(2, 3, 7, 7)
    win = conv._windows(np, x, (3, 3), (2, 1), (1, 2), (3, 3))
    assert not win.flags.writeable
    assert np.shares_memory(win, x)  # a view, not a copy
    X, W = T(x, requires_grad=True), T(rnd(2, 3, 3, 3, seed=1), requires_grad=True)
    before = x.copy()
    F.conv2d(X, W, padding=1).backward(T(rnd(2, 2, 7, 7, seed=2)))
    np.testing.assert_array_equal(X.numpy(), before)


def test_window_view_falls_back_to_as_strided_r3_8():
    """Without sliding_window_view (older CuPy), the view is built with as_strided from the
    array's real strides: same windows, also for a non-contiguous array."""
    from types import SimpleNamespace

    no_swv = SimpleNamespace(lib=SimpleNamespace(stride_tricks=SimpleNamespace(
        as_strided=np.lib.stride_tricks.as_strided)))
    x = rnd(2, 3, 11, 10).transpose(0, 1, 3, 2)[:, :, ::-1, 1:]  # odd strides, negative too
    args = ((3, 2), (2, 3), (2, 1), (3, 3))
    a, b = conv._windows(np, x, *args), conv._windows(no_swv, x, *args)
    assert a.shape == b.shape == (2, 3, 3, 3, 3, 2)
    np.testing.assert_array_equal(a, b)
    assert not b.flags.writeable


# ***** R3.9 one BLAS contraction *****


def test_forward_is_one_matmul_and_no_einsum_r3_9(monkeypatch):
    """On the strict device every `@` goes through StrictArray.__matmul__: count them."""
    import minigrad.testing.strict as strict

    calls = []
    orig = strict.StrictArray.__matmul__
    monkeypatch.setattr(strict.StrictArray, "__matmul__", lambda a, b: calls.append(b.shape) or orig(a, b))
    monkeypatch.setattr(strict.xp, "einsum", None)  # using einsum would raise
    monkeypatch.setattr(strict.xp, "tensordot", None)
    x = T(rnd(4, 3, 9, 9), "strict", True)
    w = T(rnd(8, 3, 3, 3, seed=1), "strict", True)
    y = F.conv2d(x, w, padding=1)
    assert calls == [(1, 27, 4 * 81)]  # the whole batch in one (8, 27) @ (27, 324) product
    y.backward(T(rnd(*y.shape), "strict"))
    assert len(calls) == 3  # gW and gcol: one product each


# ***** R3.10 cross-correlation, PyTorch layout *****


def test_delta_input_gives_rotated_kernel_r3_10(device):
    """Cross-correlation with padding (1, 2): y[i, j] = sum W[p, q] x[i + p - 1, j + q - 2], so a
    delta at x[4, 4] puts W[p, q] at y[5 - p, 6 - q]: the kernel rotated by 180 degrees. A
    flipping (true) convolution would show it unrotated."""
    w = rnd(1, 1, 3, 5, seed=1)
    x = np.zeros((1, 1, 9, 9))
    x[0, 0, 4, 4] = 1.0
    y = F.conv2d(T(x, device), T(w, device), padding=(1, 2)).numpy()[0, 0]
    np.testing.assert_allclose(y[3:6, 2:7], np.rot90(w[0, 0], 2), rtol=1e-12)
    assert np.count_nonzero(y) == 15


def test_layer_with_torch_weights_gives_torch_output_r3_10():
    torch = pytest.importorskip("torch")
    tconv = torch.nn.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2), groups=1).double()
    mconv = nn.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2), dtype=minigrad.float64)
    mconv.load_state_dict({k: minigrad.tensor(v.detach().numpy()) for k, v in tconv.state_dict().items()})
    x = rnd(2, 3, 8, 9)
    assert_step_matches(mconv, tconv, x, rnd(2, 5, 4, 9, seed=1), rtol=1e-10, atol=1e-12)


# ***** the layer *****


def test_conv2d_layer_shapes_init_and_repr():
    minigrad.manual_seed(0)
    layer = nn.Conv2d(6, 8, (3, 5), groups=2)
    fan_in = 3 * 3 * 5
    bound = 1 / math.sqrt(fan_in)
    assert layer.weight.shape == (8, 3, 3, 5) and layer.bias.shape == (8,)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    w = layer.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound  # U(-bound, bound)
    assert abs(w.mean()) < 0.2 * bound
    assert np.abs(layer.bias.numpy()).max() <= bound
    assert layer.weight.dtype == np.float32
    assert repr(layer) == "Conv2d(6, 8, kernel_size=(3, 5), stride=(1, 1), groups=2)"
    no_bias = nn.Conv2d(1, 32, 3, padding=1, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    assert repr(no_bias) == "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)"


def test_conv2d_layer_state_dict_keys_match_torch():
    torch = pytest.importorskip("torch")
    for bias in (True, False):
        mine = nn.Conv2d(2, 4, 3, bias=bias).state_dict()
        theirs = torch.nn.Conv2d(2, 4, 3, bias=bias).state_dict()
        assert list(mine) == list(theirs)
        assert all(mine[k].shape == tuple(theirs[k].shape) for k in mine)


def test_float32_stays_float32(device):
    x = minigrad.randn(2, 3, 8, 8, device=device, requires_grad=True)
    layer = nn.Conv2d(3, 4, 3, padding="same").to(device)
    y = layer(x)
    y.backward(minigrad.ones(*y.shape).to(device))
    assert y.dtype == x.grad.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == np.float32
    assert y.device == device


def test_unbatched_input_like_torch():
    x, w = rnd(3, 6, 7), rnd(2, 3, 3, 3, seed=1)
    y = F.conv2d(T(x), T(w), padding=1)
    assert y.shape == (2, 6, 7)
    np.testing.assert_allclose(y.numpy(), F.conv2d(T(x[None]), T(w), padding=1).numpy()[0])


@pytest.mark.parametrize("x_shape,w_shape,kwargs,error,words", [
    ((2, 4, 8, 8), (5, 3, 3, 3), {}, ValueError,
     ["4 channels", "expected input with 3 channels", "(5, 3, 3, 3)"]),
    ((2, 4, 8, 8), (6, 3, 3, 3), {"groups": 2}, ValueError,
     ["expected input with 6 channels", "groups=2", "4 channels"]),
    ((8, 8), (5, 1, 3, 3), {}, ValueError, ["4-d input", "(8, 8)"]),
    ((1, 2, 3, 8, 8), (5, 2, 3, 3), {}, ValueError, ["4-d input", "(1, 2, 3, 8, 8)"]),
    ((2, 3, 8, 8), (5, 3, 3), {}, ValueError, ["weight must be a 4-d", "(5, 3, 3)"]),
    ((2, 4, 8, 8), (5, 2, 3, 3), {"groups": 2}, ValueError, ["groups=2", "5 output channels"]),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"stride": 2, "padding": "same"}, ValueError, ["'same'", "stride (2, 2)"]),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"padding": "full"}, ValueError, ["'full'"]),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"stride": 0}, ValueError, ["stride must be positive", "(0, 0)"]),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"padding": -1}, ValueError, ["non-negative"]),
])
def test_bad_arguments_raise_clear_errors(x_shape, w_shape, kwargs, error, words):
    x, w = minigrad.zeros(*x_shape), minigrad.zeros(*w_shape)
    with pytest.raises(error) as e:
        F.conv2d(x, w, **kwargs)
    for word in words:
        assert word in str(e.value), (word, str(e.value))


def test_dtype_and_bias_mismatch_raise():
    x = minigrad.zeros(1, 3, 5, 5)
    with pytest.raises(TypeError, match="float32 but weight is float64"):
        F.conv2d(x, minigrad.zeros(2, 3, 3, 3, dtype=minigrad.float64))
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        F.conv2d(x, minigrad.zeros(2, 3, 3, 3), minigrad.zeros(3))
    with pytest.raises(ValueError, match="groups=3 must divide in_channels=4"):
        nn.Conv2d(4, 6, 3, groups=3)


def test_layer_rejects_wrong_channels_with_expected_and_actual():
    with pytest.raises(ValueError) as e:
        nn.Conv2d(3, 8, 3)(minigrad.zeros(1, 1, 28, 28))
    assert "expected input with 3 channels" in str(e.value) and "1 channels" in str(e.value)


# ***** the MNIST CNN, 5 SGD steps next to torch *****


def cnn(dtype=None):
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False, dtype=dtype), nn.BatchNorm2d(32, dtype=dtype), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False, dtype=dtype), nn.BatchNorm2d(64, dtype=dtype), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 10, dtype=dtype),
    )


def test_cnn_five_sgd_steps_match_torch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    model = cnn(minigrad.float64)
    tmodel = tnn.Sequential(
        tnn.Conv2d(1, 32, 3, padding=1, bias=False), tnn.BatchNorm2d(32), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(32, 64, 3, padding=1, bias=False), tnn.BatchNorm2d(64), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(64 * 7 * 7, 10),
    ).double()
    copy_weights(model, tmodel)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(0)
    for _ in range(5):
        x, y = rng.random((16, 1, 28, 28)), rng.integers(0, 10, 16)
        loss = F.cross_entropy(model(T(x)), T(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        tloss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(x)), torch.tensor(y))
        topt.zero_grad()
        tloss.backward()
        topt.step()
        assert abs(loss.item() - tloss.item()) < 1e-6
    theirs = tmodel.state_dict()
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(value.numpy(), theirs[name].numpy(), rtol=1e-6, atol=1e-6, err_msg=name)
    assert any("running_var" in k for k in theirs)  # BN statistics were compared too


def test_mnist_cnn_example_smoke(capsys):
    """examples/mnist_cnn.py: 40 steps on the bundled sample already beat chance (10%) by far."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "mnist_cnn.py"
    spec = importlib.util.spec_from_file_location("example_mnist_cnn", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    acc = example.main(["--sample", "--steps", "40", "--epochs", "1"])
    out = capsys.readouterr().out
    assert "ms/step, 40 steps" in out and "test accuracy" in out and "(bundled sample)" in out
    assert acc > 0.5


# ***** transposed convolution *****

TRANSPOSED = [  # (N, C_in, C_out, kernel, stride, padding, output_padding, dilation, groups, bias)
    (2, 4, 6, (3, 3), 1, 0, 0, 1, 1, True),
    (2, 4, 6, (4, 4), 2, 1, 0, 1, 1, True),  # the DCGAN upsampling block
    (1, 6, 4, (3, 2), (2, 1), (1, 0), (1, 0), 1, 2, False),
    (2, 4, 4, (3, 3), 2, 1, 1, 2, 1, True),
    (2, 3, 5, (2, 2), 2, 0, 0, 1, 1, False),
]


def _transposed(case, device="cpu", x_seed=0):
    N, ci, co, k, s, p, op, d, g, bias = case
    x, w, b = rnd(N, ci, 5, 6, seed=x_seed), rnd(ci, co // g, *k, seed=1), rnd(co, seed=2)
    args = [T(x, device, True), T(w, device, True)] + ([T(b, device, True)] if bias else [None])
    return args, (x, w, b if bias else None), dict(stride=s, padding=p, output_padding=op, dilation=d, groups=g)


@pytest.mark.parametrize("case", TRANSPOSED)
def test_conv_transpose2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    (X, W, B), raw, kw = _transposed(case)
    y = F.conv_transpose2d(X, W, B, **kw)
    targs = [None if a is None else torch.tensor(a, requires_grad=True) for a in raw]
    ty = torch.nn.functional.conv_transpose2d(*targs, **kw)
    assert y.shape == tuple(ty.shape)
    G = rnd(*y.shape, seed=3)
    y.backward(T(G))
    ty.backward(torch.tensor(G))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, theirs in zip((X, W, B), targs):
        if mine is not None:
            np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", TRANSPOSED[:3])
def test_conv_transpose2d_gradcheck_and_devices(device, case):
    (X, W, B), raw, kw = _transposed(case, device)
    if device == "cpu":
        args = [a for a in (X, W, B) if a is not None]
        gradcheck(lambda x, w, *b: F.conv_transpose2d(x, w, *(b or [None]), **kw), *args)
    else:  # the device computes what the CPU computes
        want = F.conv_transpose2d(*[None if a is None else T(a) for a in raw], **kw).numpy()
        np.testing.assert_allclose(F.conv_transpose2d(X, W, B, **kw).numpy(), want, rtol=1e-12)


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    """<conv2d(x, W), y> = <x, conv_transpose2d(y, W)> for the same stride and padding."""
    x, y, w = rnd(2, 3, 9, 8), rnd(2, 4, 5, 4, seed=1), rnd(4, 3, 3, 3, seed=2)
    lhs = (F.conv2d(T(x), T(w), stride=2, padding=1).numpy() * y).sum()
    rhs = (x * F.conv_transpose2d(T(y), T(w), stride=2, padding=1, output_padding=(0, 1)).numpy()).sum()
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


def test_conv_transpose2d_layer_like_torch():
    m = nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)
    assert m.weight.shape == (16, 8, 4, 4) and m.bias.shape == (8,)
    assert repr(m) == "ConvTranspose2d(16, 8, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1))"
    bound = 1 / np.sqrt(8 * 4 * 4)  # PyTorch's fan_in: weight dim 1 times the kernel
    assert np.abs(m.weight.numpy()).max() <= bound and np.abs(m.weight.numpy()).max() > 0.9 * bound
    assert m(minigrad.randn(2, 16, 7, 7)).shape == (2, 8, 14, 14)
    torch = pytest.importorskip("torch")
    tm = torch.nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)
    assert list(m.state_dict()) == list(tm.state_dict())
    m.load_state_dict({k: minigrad.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = rnd(2, 16, 7, 7).astype(np.float32)
    np.testing.assert_allclose(m(T(x)).numpy(), tm(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-5)


def test_conv_transpose2d_errors_are_clear():
    x, w = T(rnd(1, 4, 5, 5)), T(rnd(4, 2, 3, 3))
    with pytest.raises(ValueError, match="output_padding .* must be smaller than stride"):
        F.conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="expected input with 4 channels"):
        F.conv_transpose2d(T(rnd(1, 3, 5, 5)), w)
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        F.conv_transpose2d(x, w, T(rnd(4)))
    with pytest.raises(ValueError, match="groups=3 must be positive and divide the 4 input channels"):
        F.conv_transpose2d(x, w, groups=3)
    y = F.conv_transpose2d(T(rnd(1, 4, 5, 5), requires_grad=True), w)
    with pytest.raises(NotImplementedError, match="double backward"):
        minigrad.autograd.grad(y.sum(), y._ctx.inputs[0], create_graph=True)[0].sum().backward()


# ***** conv1d: conv2d on a height of 1 *****

CONV1D = [(3, 4, 3, 1, 1, 1, 1, True), (4, 6, 5, 2, 2, 1, 2, False), (2, 3, 3, 1, "same", 2, 1, True),
          (3, 3, 4, 3, 0, 1, 3, True)]


@pytest.mark.parametrize("ci,co,k,s,p,d,g,bias", CONV1D)
def test_conv1d_matches_torch(ci, co, k, s, p, d, g, bias):
    torch = pytest.importorskip("torch")
    x, w, b = rnd(2, ci, 17), rnd(co, ci // g, k, seed=1), rnd(co, seed=2)
    mine = [T(x, requires_grad=True), T(w, requires_grad=True), T(b, requires_grad=True) if bias else None]
    theirs = [torch.tensor(a, requires_grad=True) if m is not None else None for a, m in zip((x, w, b), mine)]
    y, ty = F.conv1d(*mine, s, p, d, g), torch.nn.functional.conv1d(*theirs, s, p, d, g)
    G = rnd(*y.shape, seed=3)
    y.backward(T(G))
    ty.backward(torch.tensor(G))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    for m, t in zip(mine, theirs):
        if m is not None:
            np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)
    layer, tlayer = nn.Conv1d(ci, co, k, s, p, d, g, bias), torch.nn.Conv1d(ci, co, k, s, p, d, g, bias)
    assert repr(layer) == repr(tlayer) and list(layer.state_dict()) == list(tlayer.state_dict())


def test_conv1d_gradcheck_unbatched_and_errors():
    x, w = T(rnd(2, 3, 9), requires_grad=True), T(rnd(4, 3, 3, seed=1), requires_grad=True)
    gradcheck(lambda a, b: F.conv1d(a, b, stride=2, padding=1), x, w)
    np.testing.assert_allclose(F.conv1d(T(rnd(3, 9)), w).numpy(), F.conv1d(T(rnd(1, 3, 9)), w).numpy()[0])
    with pytest.raises(ValueError, match="conv1d: expected a 3-d input"):
        F.conv1d(T(rnd(2, 3, 9, 9)), w)
    with pytest.raises(ValueError, match="conv1d: weight must be a 3-d Tensor"):
        F.conv1d(x, T(rnd(4, 3, 3, 3)))
