"""PyTorch code ported by changing the import only.

Each test runs ONE function, written as a PyTorch user writes it, once with `lib = minigrad`
and once with `lib = torch` (when installed), and asserts that both give the same numbers
(float64, 1e-10). The initial weights come in as NumPy arrays, since the two libraries' random
streams differ; everything after that is the same code. These are the idioms of the popular
lecture material: a hand-written SGD step under no_grad, a BatchNorm written from scratch with
running statistics, and per-layer gradient statistics through retain_grad.
"""

import numpy as np
import pytest

import minigrad

try:
    import torch
except ImportError:
    torch = None


def _init(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def _run_both(fn, *args):
    ours = fn(minigrad, *args)
    if torch is None:
        return ours, None
    theirs = fn(torch, *args)
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        a = a.numpy() if hasattr(a, "numpy") else np.asarray(a)
        b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, err_msg=f"result {i}")
    return ours, theirs


# ***** (a) a hand-written SGD loop *****


def sgd_loop(lib, w1, b1, w2, b2, x, y, steps=5, lr=0.1):
    F = lib.nn.functional
    params = [lib.tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]
    W1, B1, W2, B2 = params
    X, Y = lib.tensor(x), lib.tensor(y)
    alias = W1  # the same tensor under another name: it must see the updates
    losses = []
    for _ in range(steps):
        logits = (X @ W1 + B1).tanh() @ W2 + B2
        loss = F.cross_entropy(logits, Y)
        for p in params:
            p.grad = None
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= lr * p.grad
        losses.append(loss.item())
    return [lib.tensor(losses, dtype=lib.float64), *params, alias]


def test_hand_written_sgd_loop_matches_torch():
    w1, b1, w2, b2, x = _init(0, (4, 8), (8,), (8, 3), (3,), (16, 4))
    y = np.random.default_rng(1).integers(0, 3, 16)
    (losses, *params), _ = _run_both(sgd_loop, w1, b1, w2, b2, x, y)
    assert losses.numpy()[-1] < losses.numpy()[0]  # it trains: the update reached the params
    assert params[-1] is params[0]  # `p -= ...` changed the tensor itself, never rebound it
    assert not np.allclose(params[0].numpy(), w1)


# ***** (b) BatchNorm from scratch, running statistics as .data buffers *****


def scratch_batchnorm(lib, C, W1, W2, b2, xs, ys, steps=4, lr=0.1):
    F = lib.nn.functional
    C, W1, W2, b2 = [lib.tensor(a) for a in (C, W1, W2, b2)]
    bngain, bnbias = lib.ones((1, W1.shape[1]), dtype=lib.float64), lib.zeros((1, W1.shape[1]), dtype=lib.float64)
    bnmean_running = lib.zeros((1, W1.shape[1]), dtype=lib.float64)
    bnstd_running = lib.ones((1, W1.shape[1]), dtype=lib.float64)
    parameters = [C, W1, W2, b2, bngain, bnbias]
    for p in parameters:
        p.requires_grad = True
    X, Y = lib.tensor(xs), lib.tensor(ys)
    for _ in range(steps):
        emb = C[X]
        embcat = emb.view(emb.shape[0], -1)
        hpreact = embcat @ W1
        bnmeani = hpreact.mean(0, keepdim=True)
        bnstdi = hpreact.std(0, keepdim=True)
        hpreact = bngain * (hpreact - bnmeani) / bnstdi + bnbias
        with lib.no_grad():
            bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani
            bnstd_running = 0.999 * bnstd_running + 0.001 * bnstdi
        h = lib.tanh(hpreact)
        loss = F.cross_entropy(h @ W2 + b2, Y)
        for p in parameters:
            p.grad = None
        loss.backward()
        for p in parameters:
            p.data += -lr * p.grad
    with lib.no_grad():  # evaluation with the running statistics
        hpre = C[X].view(X.shape[0], -1) @ W1
        hpre = bngain * (hpre - bnmean_running) / bnstd_running + bnbias
        val = F.cross_entropy(lib.tanh(hpre) @ W2 + b2, Y)
    return [loss, val, bnmean_running, bnstd_running, C.data.std(), *parameters]


def test_batchnorm_from_scratch_with_data_updates_matches_torch():
    C, W1, W2, b2 = _init(2, (10, 3), (9, 6), (6, 10), (10,))
    rng = np.random.default_rng(3)
    xs, ys = rng.integers(0, 10, (32, 3)), rng.integers(0, 10, 32)
    (loss, val, mean_running, *_), _ = _run_both(scratch_batchnorm, C, W1, W2, b2, xs, ys)
    assert mean_running.requires_grad is False  # made under no_grad: no graph kept
    assert np.isfinite(val.item())


# ***** (c) per-layer gradient statistics with retain_grad *****


def gradient_stats(lib, weights, x, y):
    F = lib.nn.functional
    Ws = [lib.tensor(w, requires_grad=True) for w in weights]
    h, outs = lib.tensor(x), []
    for W in Ws[:-1]:
        h = lib.tanh(h @ W)
        h.retain_grad()
        outs.append(h)
    loss = F.cross_entropy(h @ Ws[-1], lib.tensor(y))
    loss.backward()
    stats = []
    for i, t in enumerate(outs):
        g = t.grad
        hy, hx = lib.histogram(g, bins=10, density=True)
        stats += [g.mean(), g.std(), (t.abs() > 0.97).float().mean(), hy, hx]  # saturation
    for W in Ws:
        stats.append(W.grad.std() / W.data.std())  # the update-to-data ratio of the lecture
    return stats


def test_gradient_histogram_per_layer_with_retain_grad_matches_torch():
    weights = _init(4, (5, 16), (16, 16), (16, 16), (16, 4))
    weights = [w / np.sqrt(w.shape[0]) * 5 / 3 for w in weights]
    x = np.random.default_rng(5).standard_normal((64, 5))
    y = np.random.default_rng(6).integers(0, 4, 64)
    stats, _ = _run_both(gradient_stats, weights, x, y)
    assert all(np.isfinite(np.asarray(s.numpy() if hasattr(s, "numpy") else s)).all() for s in stats)


def test_cudnn_flags_that_scripts_set_are_accepted_and_change_nothing():
    """`torch.backends.cudnn.benchmark = True` and `.deterministic = True` at the top of a
    training script: accepted, and the same numbers as without them."""
    from minigrad import nn

    def step():
        minigrad.manual_seed(0)
        conv = nn.Conv2d(8, 4, 3, padding=1)
        x = minigrad.randn(2, 8, 6, 6)
        y = conv(x)
        y.sum().backward()
        return y.numpy().copy(), conv.weight.grad.numpy().copy()

    flags = minigrad.backends.cudnn
    before = step()
    old = (flags.benchmark, flags.deterministic)
    flags.benchmark, flags.deterministic = True, True
    try:
        after = step()
    finally:
        flags.benchmark, flags.deterministic = old
    assert flags.is_available() is False and flags.enabled
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
