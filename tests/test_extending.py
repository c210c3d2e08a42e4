"""GELU and LayerNorm, the op and the layer added end to end in docs/extending.md (issue 8):
gradcheck, fused == composed, torch parity, float32 kept, errors at the API boundary."""

import math

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.nn.activation import _erf
from minigrad import nn
from minigrad.testing import check_layer, gradcheck

f64 = minigrad.float64


def _x(shape, device, scale=2.0, dtype=f64, requires_grad=True):
    host = np.random.default_rng(1).standard_normal(shape) * scale
    return minigrad.tensor(host, dtype=dtype, device=device, requires_grad=requires_grad)


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
    x = minigrad.tensor(host, requires_grad=True)
    y = nn.GELU(approximate)(x)
    y.backward(minigrad.tensor(G))
    tx = torch.tensor(host, requires_grad=True)
    ty = torch.nn.GELU(approximate)(tx)
    ty.backward(torch.tensor(G))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-12)


def test_gelu_bad_argument():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'fast'"):
        F.gelu(minigrad.ones(2), approximate="fast")
    with pytest.raises(ValueError, match="'fast'"):
        nn.GELU("fast")


# ***** LayerNorm *****


@pytest.mark.parametrize("shape, normalized",
                         [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((3, 4), 4), ((5,), (5,))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_gradcheck(shape, normalized, affine, device):
    x = _x(shape, device)
    nshape = (normalized,) if isinstance(normalized, int) else normalized
    if affine:
        w, b = _x(nshape, device, 1.0), _x(nshape, device, 1.0)
        assert gradcheck(lambda x, w, b: F.layer_norm(x, normalized, w, b), x, w, b)
    else:
        assert gradcheck(lambda x: F.layer_norm(x, normalized), x)


@pytest.mark.parametrize("which", ["weight only", "bias only"])
def test_layer_norm_one_affine_tensor(which, device):
    x, p = _x((3, 4), device), _x((4,), device, 1.0)
    kw = {"weight": p} if which == "weight only" else {"bias": p}
    assert gradcheck(lambda x, p: F.layer_norm(x, (4,), **kw), x, p)


@pytest.mark.parametrize("shape, normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_fused_matches_composed(shape, normalized, device):
    """The fused Function against its twin built from primitive ops (no torch needed)."""
    results = []
    for fn in (F.layer_norm, F.layer_norm_simple):
        x, w, b = _x(shape, device), _x(normalized, device, 1.0), _x(normalized, device, 1.0)
        y = fn(x, normalized, w, b, eps=1e-5)
        G = minigrad.tensor(np.random.default_rng(4).standard_normal(shape), dtype=f64, device=device)
        y.backward(G)
        results.append([t.numpy() for t in (y, x.grad, w.grad, b.grad)])
    for fused, composed in zip(*results):
        np.testing.assert_allclose(fused, composed, rtol=1e-10, atol=1e-12)


def test_layer_norm_torch_parity():
    torch = pytest.importorskip("torch")
    host = np.random.default_rng(5).standard_normal((4, 3, 6)) * 5 + 2
    G = np.random.default_rng(6).standard_normal((4, 3, 6))
    ln = nn.LayerNorm((3, 6), eps=1e-3, dtype=f64)
    ln.weight.data[...] = np.random.default_rng(7).standard_normal((3, 6))
    ln.bias.data[...] = np.random.default_rng(8).standard_normal((3, 6))
    tln = torch.nn.LayerNorm((3, 6), eps=1e-3, dtype=torch.float64)
    with torch.no_grad():
        tln.weight.copy_(torch.tensor(ln.weight.numpy()))
        tln.bias.copy_(torch.tensor(ln.bias.numpy()))
    x, tx = minigrad.tensor(host, requires_grad=True), torch.tensor(host, requires_grad=True)
    y, ty = ln(x), tln(tx)
    y.backward(minigrad.tensor(G))
    ty.backward(torch.tensor(G))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-8, atol=1e-10)
    for ours, theirs in ((x.grad, tx.grad), (ln.weight.grad, tln.weight.grad), (ln.bias.grad, tln.bias.grad)):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-8, atol=1e-10)
    assert set(ln.state_dict()) == set(tln.state_dict())


def test_layer_norm_module_defaults_and_float32(device):
    ln = nn.LayerNorm(4, elementwise_affine=False).to(device)
    assert ln.weight is None and ln.bias is None and list(ln.parameters()) == []
    x = _x((3, 4), device, dtype=minigrad.float32)
    y = ln(x)
    assert y.dtype == minigrad.float32 and y.device == device
    np.testing.assert_allclose(y.numpy().mean(axis=1), 0, atol=1e-6)
    np.testing.assert_allclose(y.numpy().var(axis=1), 1, rtol=1e-3)  # eps=1e-5 makes it a bit less
    affine = nn.LayerNorm(4)
    np.testing.assert_array_equal(affine.weight.numpy(), np.ones(4))
    np.testing.assert_array_equal(affine.bias.numpy(), np.zeros(4))
    assert nn.LayerNorm(4, bias=False).bias is None


def test_layer_norm_output_does_not_alias_saved_state():
    x = _x((2, 3), "cpu")
    y = F.layer_norm(x, (3,))
    expected = y.numpy().copy()
    G = np.random.default_rng(9).standard_normal((2, 3))
    with minigrad.no_grad():
        y.data[...] = 0  # the user scribbles on the output
    y.backward(minigrad.tensor(G))
    x2 = _x((2, 3), "cpu")
    y2 = F.layer_norm(x2, (3,))
    np.testing.assert_array_equal(y2.numpy(), expected)
    y2.backward(minigrad.tensor(G))
    np.testing.assert_array_equal(x.grad.numpy(), x2.grad.numpy())


@pytest.mark.parametrize("call, message", [
    (lambda: F.layer_norm(minigrad.ones(2, 3), (4,)),
     r"normalized_shape \(4,\) does not match .* shape \(2, 3\)"),
    (lambda: F.layer_norm(minigrad.ones(2, 3), (3,), weight=minigrad.ones(2)),
     r"weight has shape \(2,\), expected"),
    (lambda: F.layer_norm(minigrad.ones(3), (2, 3)), r"normalized_shape \(2, 3\) does not match"),
])
def test_layer_norm_bad_shapes_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("layer", [nn.GELU(), nn.GELU("tanh"), nn.LayerNorm(3),
                                   nn.LayerNorm(3, elementwise_affine=False)])
def test_new_layers_pass_check_layer(layer):
    assert check_layer(layer, minigrad.randn(4, 3))
