"""F.pad in every mode (constant with negative widths, reflect, replicate, circular), the padding
layers, and Conv1d/Conv2d's padding_mode: PyTorch's values and gradients under a random upstream
gradient, finite differences, the strict device, and PyTorch's errors."""

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import gradcheck

MODES = ["constant", "reflect", "replicate", "circular"]
CASES = [  # (input shape, widths)
    ((2, 3, 5), (2, 1)),
    ((3, 5), (0, 4)),
    ((2, 3, 4, 5), (1, 2, 3, 0)),
    ((3, 4, 5), (2, 2, 1, 3)),
    ((1, 2, 3, 4, 5), (1, 0, 2, 1, 0, 2)),
    ((2, 3, 4, 5), (-1, 2, 1, -2)),
]


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _ok_for(mode, shape, widths):
    if mode == "reflect" and any(w >= n for w, n in zip(widths, np.repeat(shape[::-1], 2))):
        return False
    if mode == "circular" and any(w > n for w, n in zip(widths, np.repeat(shape[::-1], 2))):
        return False
    return True


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,widths", CASES)
def test_pad_matches_torch(mode, shape, widths):
    torch = pytest.importorskip("torch")
    if not _ok_for(mode, shape, widths) or (mode in ("reflect", "replicate") and min(widths) < 0):
        pytest.skip("outside the mode's range (its error is tested below)")
    x = rnd(*shape)
    xo, xt = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = F.pad(xo, widths, mode), torch.nn.functional.pad(xt, widths, mode)
    assert yo.shape == tuple(yt.shape)
    np.testing.assert_array_equal(yo.numpy(), yt.detach().numpy())
    G = rnd(*yo.shape, seed=1)
    yo.backward(minigrad.tensor(G))
    yt.backward(torch.tensor(G))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("mode", MODES)
def test_pad_gradcheck_where_edges_are_read_several_times(mode):
    # widths equal to the limits: reflect and circular read some input positions three times
    x = minigrad.tensor(rnd(2, 3, 4), requires_grad=True)
    widths = {"reflect": (3, 2, 2, 1), "circular": (4, 4, 3, 1)}.get(mode, (3, 2, 2, 4))
    gradcheck(lambda x: F.pad(x, widths, mode), x)


def test_constant_value_and_positional_mode_as_torch():
    x = minigrad.ones(2, 2)
    want = [[2.0, 1.0, 1.0, 2.0]] * 2
    assert F.pad(x, (1, 1), "constant", 2.0).tolist() == want
    assert F.pad(x, (1, 1), value=2.0).tolist() == want
    assert F.pad(x, (1, 1)).dtype == np.float32 and F.pad(x, (1, 1), mode="reflect").dtype == np.float32


@pytest.mark.parametrize("mode", MODES)
def test_pad_on_the_strict_device(device, mode):
    x = minigrad.tensor(rnd(2, 3, 4).astype(np.float32), device=device, requires_grad=True)
    y = F.pad(x, (1, 2, 2, 1), mode)
    y.backward(minigrad.tensor(rnd(*y.shape, seed=2).astype(np.float32), device=device))
    cpu = minigrad.tensor(x.detach().cpu().numpy(), requires_grad=True)
    yc = F.pad(cpu, (1, 2, 2, 1), mode)
    yc.backward(minigrad.tensor(rnd(*y.shape, seed=2).astype(np.float32)))
    assert y.device == device and y.dtype == np.float32
    np.testing.assert_array_equal(y.detach().cpu().numpy(), yc.detach().numpy())
    np.testing.assert_allclose(x.grad.cpu().numpy(), cpu.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("mode,shape,widths,exc,match", [
    # torch raises RuntimeError for the first two; the width must be < the size (reflect), <= (circular)
    ("reflect", (1, 3, 3), (3, 3), ValueError, r"at most 2 for dim 2 of size 3 \(input \(1, 3, 3\)\), got \(3, 3\)"),
    ("circular", (1, 3, 3), (4, 4), ValueError, r"at most 3 for dim 2 of size 3"),
    ("reflect", (2, 3), (1, 1, 1, 1), NotImplementedError, r"4 widths for a 2-d input"),
    ("wrap", (2, 3), (1, 1), ValueError, r"mode must be one of"),
    ("constant", (2, 3), (1,), ValueError, r"\(1,\) must be pairs .* \(input \(2, 3\)\)"),
    ("constant", (2, 3), (-2, -2), ValueError, r"removes more than the input's shape \(2, 3\)"),
])
def test_pad_errors_name_the_sizes(mode, shape, widths, exc, match):
    with pytest.raises(exc, match=match):
        F.pad(minigrad.zeros(*shape), widths, mode)


def test_one_padded_dim_of_a_2d_input_is_fine_in_every_mode():
    for mode in MODES:
        assert F.pad(minigrad.zeros(2, 3), (1, 1), mode).shape == (2, 5)


def test_value_with_another_mode_raises():
    with pytest.raises(ValueError, match="value is for mode 'constant'"):
        F.pad(minigrad.zeros(1, 2, 3), (1, 1), mode="reflect", value=1.0)


LAYERS = [("ZeroPad1d", (2,)), ("ZeroPad2d", ((1, 0, 2, 1),)), ("ConstantPad1d", ((1, 2), 3.5)),
          ("ConstantPad2d", (1, -0.5)), ("ReflectionPad1d", (2,)), ("ReflectionPad2d", ((1, 0, 2, 1),)),
          ("ReplicationPad1d", (3,)), ("ReplicationPad2d", (2,)), ("CircularPad1d", (1,)), ("CircularPad2d", ((1, 2, 0, 1),))]


@pytest.mark.parametrize("name,args", LAYERS)
def test_padding_layers_match_torch(name, args):
    torch = pytest.importorskip("torch")
    x = rnd(2, 3, 4, 5) if name.endswith("2d") else rnd(2, 3, 5)
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    np.testing.assert_array_equal(ours(minigrad.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy())


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("layer,shape,kw", [
    ("Conv2d", (2, 3, 7, 6), dict(kernel_size=3, padding=1)),
    ("Conv2d", (2, 3, 7, 6), dict(kernel_size=(3, 2), padding=(2, 1), stride=2)),
    ("Conv2d", (1, 3, 6, 6), dict(kernel_size=4, padding="same", dilation=1)),
    ("Conv1d", (2, 3, 9), dict(kernel_size=3, padding=2, dilation=2)),
    ("Conv1d", (2, 3, 9), dict(kernel_size=4, padding="same")),
])
def test_conv_padding_mode_matches_torch(layer, shape, kw, mode):
    torch = pytest.importorskip("torch")
    t = getattr(torch.nn, layer)(3, 4, padding_mode=mode, **kw).double()
    m = getattr(nn, layer)(3, 4, padding_mode=mode, **kw).double()
    m.load_state_dict({k: minigrad.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    assert repr(m) == repr(t)
    x = rnd(*shape)
    xo, xt = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = m(xo), t(xt)
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    G = rnd(*yo.shape, seed=3)
    yo.backward(minigrad.tensor(G))
    yt.backward(torch.tensor(G))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv_padding_mode_gradcheck_and_errors():
    conv = nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular").double()
    x = minigrad.tensor(rnd(1, 2, 4, 4), requires_grad=True)
    gradcheck(lambda x, w: F.conv2d(F.pad(x, (1, 1, 1, 1), "circular"), w, None), x, conv.weight)
    np.testing.assert_allclose(conv(x).numpy(), F.conv2d(F.pad(x, (1, 1, 1, 1), "circular"), conv.weight,
                                                         conv.bias).numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 2, 3, padding_mode="foo")
    with pytest.raises(ValueError, match=r"padding_mode must be one of \('zeros',\)"):
        nn.ConvTranspose2d(1, 2, 3, padding_mode="reflect")
