"""F.interpolate / nn.Upsample, nearest and bilinear modes: PyTorch's output sizes, source pixels
and blend weights, the gradients, devices, and clear errors for what is not supported."""

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn

CASES = [dict(scale_factor=2), dict(size=(5, 7)), dict(scale_factor=1.5), dict(size=(2, 3)),
         dict(scale_factor=(2, 3)), dict(size=9), dict(scale_factor=0.5), dict(scale_factor=(1, 2.5))]


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("kw", CASES, ids=[str(c) for c in CASES])
@pytest.mark.parametrize("shape", [(1, 2, 3, 4), (2, 1, 5, 7)])
def test_interpolate_nearest_matches_torch(shape, kw):
    torch = pytest.importorskip("torch")
    x = rnd(*shape)
    X, tX = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = F.interpolate(X, **kw), torch.nn.functional.interpolate(tX, **kw)
    assert y.shape == tuple(ty.shape)
    g = rnd(*y.shape, seed=1)
    y.backward(minigrad.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    np.testing.assert_allclose(X.grad.numpy(), tX.grad.numpy(), rtol=1e-12)


def test_integer_scale_repeats_pixels_and_sums_their_gradients(device):
    x = rnd(2, 3, 4, 5)
    X = minigrad.tensor(x, device=device, requires_grad=True)
    y = nn.Upsample(scale_factor=2)(X)
    np.testing.assert_array_equal(y.numpy(), x.repeat(2, axis=2).repeat(2, axis=3))
    g = rnd(*y.shape, seed=2)
    y.backward(minigrad.tensor(g, device=device))
    np.testing.assert_allclose(X.grad.numpy(), g.reshape(2, 3, 4, 2, 5, 2).sum(axis=(3, 5)), rtol=1e-12)
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert y.dtype == X.dtype


def test_what_is_not_supported_raises_clearly():
    x = minigrad.tensor(rnd(1, 1, 4, 4))
    with pytest.raises(NotImplementedError, match="mode='bicubic' is not supported"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(NotImplementedError, match="mode='bicubic' is not supported"):
        nn.Upsample(scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="align_corners only applies to the linear modes"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="expected a 4-d input"):
        F.interpolate(minigrad.tensor(rnd(4, 4)), scale_factor=2)
    with pytest.raises(ValueError, match="output size would be"):
        F.interpolate(x, scale_factor=0.1)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("kw", CASES, ids=[str(c) for c in CASES])
def test_interpolate_bilinear_matches_torch(kw, align_corners):
    torch = pytest.importorskip("torch")
    x = rnd(2, 3, 5, 7, seed=3)
    X, tX = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = F.interpolate(X, mode="bilinear", align_corners=align_corners, **kw)
    ty = torch.nn.functional.interpolate(tX, mode="bilinear", align_corners=align_corners, **kw)
    assert y.shape == tuple(ty.shape)
    g = rnd(*y.shape, seed=4)
    y.backward(minigrad.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(X.grad.numpy(), tX.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_bilinear_gradcheck_keeps_float32_and_runs_on_devices(device):
    from minigrad.testing import gradcheck

    x = minigrad.tensor(rnd(1, 2, 3, 4, seed=5), device=device, requires_grad=True)
    up = nn.Upsample(size=(5, 6), mode="bilinear", align_corners=False)
    if device == "cpu":
        gradcheck(up, x)
    want = up(minigrad.tensor(rnd(1, 2, 3, 4, seed=5))).numpy()
    np.testing.assert_allclose(up(x).numpy(), want, rtol=1e-12)
    assert up(minigrad.tensor(rnd(1, 2, 3, 4).astype(np.float32), device=device)).dtype == np.float32
    # the corners of an align_corners upsampling are the input's corners
    c = F.interpolate(x, size=(7, 9), mode="bilinear", align_corners=True).numpy()
    np.testing.assert_allclose(c[..., [0, -1], :][..., [0, -1]], x.numpy()[..., [0, -1], :][..., [0, -1]], rtol=1e-12)
