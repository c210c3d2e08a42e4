"""Dropout: inverted, seeded, off in eval."""

import numpy as np
import pytest

import minigrad
from minigrad import nn


f64 = minigrad.float64


def rnd(*shape, scale=1.0, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def T(a, device="cpu", requires_grad=False):
    return minigrad.tensor(a, device=device, requires_grad=requires_grad)


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


def test_dropout2d_zeroes_whole_channels_scales_the_rest_and_routes_the_gradient(device):
    import minigrad.nn.functional as F

    minigrad.manual_seed(0)
    x_np = np.random.default_rng(0).standard_normal((8, 16, 5, 4))
    x = minigrad.tensor(x_np, device=device, requires_grad=True)
    layer = nn.Dropout2d(0.25)
    y = layer(x)
    ratio = y.numpy() / x_np  # 0 or 1/(1-p), the same over each (sample, channel) plane
    plane = ratio[:, :, :1, :1]
    assert np.allclose(ratio, plane) and set(np.round(np.unique(plane), 12)) <= {0.0, round(1 / 0.75, 12)}
    dropped = (plane == 0).mean()
    assert 0.1 < dropped < 0.4  # 128 planes, p = 0.25
    g = np.random.default_rng(1).standard_normal(x_np.shape)
    y.backward(minigrad.tensor(g, device=device))
    np.testing.assert_allclose(x.grad.numpy(), g * ratio, rtol=1e-12)
    # unbatched (C, H, W): one mask value per channel; eval and p = 0: the input itself
    u = F.dropout2d(minigrad.tensor(x_np[0], device=device), 0.5).numpy() / x_np[0]
    assert np.allclose(u, u[:, :1, :1])
    assert layer.eval()(x) is x and F.dropout2d(x, 0.0) is x
    with pytest.raises(ValueError, match="dropout2d: expected a 4-d input"):
        F.dropout2d(minigrad.ones(3, 4), 0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout2d(1.5)
