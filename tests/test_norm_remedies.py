"""The remedies for BatchNorm's failure modes (docs/batchnorm.md, "When BatchNorm goes wrong"):
GroupNorm, InstanceNorm1d/2d, Batch Renormalization (layers), recalibrate_bn ("precise BN") and
BatchNorm folding (nn.utils). Gradchecks with a random upstream gradient on cpu and strict,
fused == composed, parity with torch (float64, when installed), and check_layer."""

import copy
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import check_layer, gradcheck

from parity import assert_buffers_match, assert_step_matches, copy_weights

f64 = minigrad.float64
SHAPES = [(3, 4, 5), (2, 6, 3, 3)]  # (N, C, L), (N, C, H, W)


def rnd(*shape, scale=1.0, shift=0.0, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * scale + shift


def T(a, device="cpu", requires_grad=False, dtype=f64):
    return minigrad.tensor(a, device=device, requires_grad=requires_grad, dtype=dtype)


# ***** GroupNorm *****


@pytest.mark.parametrize("shape", [(4, 6), (3, 6, 5), (2, 6, 3, 3)])
@pytest.mark.parametrize("groups", [1, 2, 3])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_gradcheck(shape, groups, affine, device):
    x = T(rnd(*shape, scale=2.0, shift=1.0), device, requires_grad=True)
    if affine:
        C = shape[1]
        w, b = T(rnd(C, seed=1) + 1, device, True), T(rnd(C, seed=2), device, True)
        assert gradcheck(lambda x, w, b: F.group_norm(x, groups, w, b), x, w, b)
    else:
        assert gradcheck(lambda x: F.group_norm(x, groups), x)


@pytest.mark.parametrize("shape", SHAPES)
def test_group_norm_fused_matches_composed(shape, device):
    C, G = shape[1], 2
    out = []
    for fn in (F.group_norm, F.group_norm_simple):
        x = T(rnd(*shape, scale=3.0, shift=2.0), device, True)
        w, b = T(rnd(C, seed=1), device, True), T(rnd(C, seed=2), device, True)
        y = fn(x, G, w, b, eps=1e-3)
        y.backward(T(rnd(*shape, seed=5), device))
        out.append([t.numpy() for t in (y, x.grad, w.grad, b.grad)])
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape, groups", [((4, 6), 3), ((3, 4, 5), 2), ((2, 6, 3, 3), 3), ((2, 6, 3, 3), 6)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_torch_parity(shape, groups, affine):
    torch = pytest.importorskip("torch")
    C = shape[1]
    ours = nn.GroupNorm(groups, C, eps=1e-3, affine=affine, dtype=f64)
    theirs = torch.nn.GroupNorm(groups, C, eps=1e-3, affine=affine, dtype=torch.float64)
    if affine:
        ours.weight.array[...] = rnd(C, seed=1)
        ours.bias.array[...] = rnd(C, seed=2)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    copy_weights(ours, theirs)
    assert_step_matches(ours, theirs, rnd(*shape, scale=4.0, shift=3.0), rnd(*shape, seed=9), rtol=1e-8, atol=1e-8)


def test_group_norm_check_layer_and_errors():
    assert check_layer(nn.GroupNorm(2, 4), minigrad.randn(3, 4, 2, 2))
    assert repr(nn.GroupNorm(2, 4)) == "GroupNorm(2, 4, eps=1e-05, affine=True)"
    with pytest.raises(ValueError, match="must divide"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 4, ...\), got shape \(2, 3\)"):
        nn.GroupNorm(2, 4)(minigrad.randn(2, 3))
    with pytest.raises(ValueError, match="must divide the 6 channels"):
        F.group_norm(minigrad.randn(2, 6), 4)


def test_group_norm_does_not_depend_on_the_batch():
    gn = nn.GroupNorm(2, 4)
    x = minigrad.randn(5, 4, 3)
    np.testing.assert_allclose(gn(x[1:2]).numpy()[0], gn(x).numpy()[1], rtol=1e-6, atol=1e-6)


def test_group_norm_extremes_are_layer_norm_and_instance_norm():
    """One group: LayerNorm over (C, H, W); C groups: InstanceNorm (no affine, eps alike)."""
    x = T(rnd(2, 4, 3, 3, scale=2.0, shift=1.0))
    np.testing.assert_allclose(F.group_norm(x, 1).numpy(), F.layer_norm(x, (4, 3, 3)).numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(F.group_norm(x, 4).numpy(), F.instance_norm(x).numpy(), rtol=1e-12, atol=1e-12)


# ***** InstanceNorm *****


def _inorm_args(shape, device, running, affine, seed=0):
    C = shape[1]
    x = T(rnd(*shape, scale=2.0, shift=1.0, seed=seed), device, True)
    rm = T(rnd(C, seed=3), device) if running else None
    rv = T(np.abs(rnd(C, seed=4)) + 0.5, device) if running else None
    w = T(rnd(C, seed=1) + 1, device, True) if affine else None
    b = T(rnd(C, seed=2), device, True) if affine else None
    return x, rm, rv, w, b


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm_gradcheck(shape, use_input_stats, device):
    x, rm, rv, w, b = _inorm_args(shape, device, running=True, affine=True)
    assert gradcheck(lambda x, w, b: F.instance_norm(x, rm, rv, w, b, use_input_stats=use_input_stats,
                                                      momentum=0.0), x, w, b)
    assert gradcheck(lambda x: F.instance_norm(x), x)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("use_input_stats", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_instance_norm_fused_matches_composed(shape, use_input_stats, affine, device):
    out = []
    for fn in (F.instance_norm, F.instance_norm_simple):
        x, rm, rv, w, b = _inorm_args(shape, device, running=True, affine=affine)
        y = fn(x, rm, rv, w, b, use_input_stats=use_input_stats, momentum=0.3, eps=1e-3)
        y.backward(T(rnd(*shape, seed=5), device))
        out.append([t.numpy() for t in (y, x.grad, rm, rv) + ((w.grad, b.grad) if affine else ())])
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_instance_norm_running_stats_by_hand():
    """running = (1 - m) * running + m * mean over the batch of each instance's statistics."""
    x = rnd(3, 2, 5, shift=2.0)
    rm, rv = T(np.zeros(2)), T(np.ones(2))
    F.instance_norm(T(x), rm, rv, momentum=0.25)
    np.testing.assert_allclose(rm.numpy(), 0.25 * x.mean(axis=2).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.75 + 0.25 * x.var(axis=2, ddof=1).mean(axis=0), rtol=1e-12)


@pytest.mark.parametrize("cls, shape", [("InstanceNorm1d", (3, 4, 5)), ("InstanceNorm2d", (2, 4, 3, 3))])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("track", [True, False])
def test_instance_norm_torch_parity(cls, shape, affine, track):
    torch = pytest.importorskip("torch")
    C = shape[1]
    ours = getattr(nn, cls)(C, eps=1e-3, momentum=0.2, affine=affine, track_running_stats=track, dtype=f64)
    theirs = getattr(torch.nn, cls)(C, eps=1e-3, momentum=0.2, affine=affine, track_running_stats=track,
                                    dtype=torch.float64)
    if affine:
        ours.weight.array[...] = rnd(C, seed=1)
        ours.bias.array[...] = rnd(C, seed=2)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    copy_weights(ours, theirs)
    for step in range(3):  # train steps move the running statistics; then eval uses them
        x, G = rnd(*shape, scale=3.0, shift=step, seed=step), rnd(*shape, seed=10 + step)
        assert_step_matches(ours, theirs, x, G, rtol=1e-8, atol=1e-8)
        assert_buffers_match(ours, theirs, rtol=1e-8, atol=1e-10)
    ours.eval(), theirs.eval()
    assert_step_matches(ours, theirs, rnd(*shape, seed=20), rnd(*shape, seed=21), rtol=1e-8, atol=1e-8)
    assert_buffers_match(ours, theirs, rtol=1e-8, atol=1e-10)
    # unbatched input, as torch accepts it
    assert_step_matches(ours, theirs, rnd(*shape[1:], seed=22), None, rtol=1e-8, atol=1e-8)


def test_instance_norm_check_layer_defaults_and_errors():
    assert check_layer(nn.InstanceNorm1d(3, affine=True, track_running_stats=True), minigrad.randn(2, 3, 4))
    assert check_layer(nn.InstanceNorm2d(2), minigrad.randn(2, 2, 3, 3))
    m = nn.InstanceNorm2d(3)
    assert m.weight is None and m.running_mean is None and list(m.parameters()) == []
    assert repr(m) == "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)"
    with pytest.raises(ValueError, match=r"expected 4D input \(N, 3, ...\) or 3D unbatched input, got shape"):
        m(minigrad.randn(2, 3))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        nn.InstanceNorm1d(3)(minigrad.randn(2, 3, 1))


def test_instance_norm_float32_stays_float32(device):
    m = nn.InstanceNorm2d(3, affine=True, track_running_stats=True).to(device)
    y = m(minigrad.randn(2, 3, 4, 4, device=device))
    assert y.dtype == minigrad.float32 and m.running_mean.dtype == minigrad.float32


# ***** Batch Renormalization *****


def _renorm_args(shape, device, shift=0.0, scale=1.0, rm_shift=0.0, rv=1.0):
    C = shape[1]
    x = T(rnd(*shape, scale=scale, shift=shift), device, True)
    w, b = T(rnd(C, seed=1) + 1.5, device, True), T(rnd(C, seed=2), device, True)
    rmean = T(np.full(C, rm_shift) + 0.1 * rnd(C, seed=3), device)
    rvar = T(np.full(C, rv) * (1 + 0.1 * np.abs(rnd(C, seed=4))), device)
    return x, w, b, rmean, rvar


def _r_and_d(x, rm, rv, eps, rmax, dmax):
    """Algorithm 1's r and d, in NumPy."""
    axes = (0,) + tuple(range(2, x.ndim))
    a = x.numpy()
    mean, var = a.mean(axis=axes), a.var(axis=axes)
    sigma = np.sqrt(rv.numpy() + eps)
    return np.clip(np.sqrt(var + eps) / sigma, 1 / rmax, rmax), np.clip((mean - rm.numpy()) / sigma, -dmax, dmax)


def _renorm_reference(x, r, d, w, b, eps):
    """Algorithm 1 in primitive ops, with r and d given: constants, as the paper's stop gradient."""
    axes = (0,) + tuple(range(2, x.ndim))
    pshape = (x.shape[1],) + (1,) * (x.ndim - 2)
    xc = x - x.mean(dim=axes, keepdim=True)
    xhat = xc / ((xc * xc).mean(dim=axes, keepdim=True) + eps).sqrt()
    rr, dd = T(r.reshape(pshape), x.device), T(d.reshape(pshape), x.device)
    return (xhat * rr + dd) * w.reshape(pshape) + b.reshape(pshape)


@pytest.mark.parametrize("shape", [(8, 3)] + SHAPES)
def test_batch_renorm_gradcheck_where_r_and_d_are_clipped(shape, device):
    """Where both r and d sit at their limits they are locally constant, so the stop-gradient
    backward is the true derivative and finite differences can check it."""
    x, w, b, rm, rv = _renorm_args(shape, device, shift=10.0, scale=5.0)  # r = rmax, d = dmax
    assert gradcheck(lambda x, w, b: F.batch_renorm(x, rm, rv, w, b, training=True, momentum=0.0,
                                                     rmax=2.0, dmax=1.0), x, w, b)
    x2, w2, b2, rm2, rv2 = _renorm_args(shape, device, shift=-10.0, scale=0.1)  # r = 1/rmax, d = -dmax
    assert gradcheck(lambda x, w, b: F.batch_renorm(x, rm2, rv2, w, b, training=True, momentum=0.0,
                                                     rmax=2.0, dmax=1.0), x2, w2, b2)


@pytest.mark.parametrize("shape", [(8, 3)] + SHAPES)
def test_batch_renorm_matches_algorithm_1_with_stop_gradient(shape, device):
    """Unclipped r and d: output and gradients equal the paper's formula with r and d constants
    (a reference built from primitive ops, itself gradchecked)."""
    args = _renorm_args(shape, device, shift=0.3, scale=1.5)
    x, w, b, rm, rv = args
    G = T(rnd(*shape, seed=8), device)
    y = F.batch_renorm(x, rm, rv, w, b, training=True, momentum=0.0, eps=1e-3, rmax=3.0, dmax=5.0)
    y.backward(G)
    ours = [t.numpy() for t in (y, x.grad, w.grad, b.grad)]
    x, w, b, _, _ = _renorm_args(shape, device, shift=0.3, scale=1.5)
    r, d = _r_and_d(x, rm, rv, 1e-3, 3.0, 5.0)
    assert (r > 1 / 3).all() and (r < 3).all() and (np.abs(d) < 5).all() and not np.allclose(r, 1)
    assert not np.allclose(d, 0)
    ref = _renorm_reference(x, r, d, w, b, 1e-3)
    ref.backward(G)
    for a, e in zip(ours, [t.numpy() for t in (ref, x.grad, w.grad, b.grad)]):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda x, w, b: _renorm_reference(x, r, d, w, b, 1e-3), x, w, b)


@pytest.mark.parametrize("ratio, offset, r_expected, d_expected", [
    (4.0, 7.0, 3.0, 5.0),        # both above their limits: clipped to rmax, dmax
    (0.2, -7.0, 1 / 3, -5.0),    # both below: clipped to 1/rmax, -dmax
    (3.0, 5.0, 3.0, 5.0),        # exactly at the limits
    (1.5, -2.0, 1.5, -2.0),      # inside: unclipped
])
def test_batch_renorm_clipping_at_the_limits(ratio, offset, r_expected, d_expected):
    """x has batch mean 0 and biased std 1 per channel (eps=0); the running statistics are set
    so that sigma_B / sigma = ratio and (mu_B - mu) / sigma = offset."""
    x = rnd(50, 2)
    x = (x - x.mean(0)) / x.std(0)
    sigma = 1 / ratio
    rm, rv = T(np.full(2, -offset * sigma)), T(np.full(2, sigma ** 2))
    y = F.batch_renorm(T(x), rm, rv, training=True, momentum=0.0, eps=0.0, rmax=3.0, dmax=5.0)
    np.testing.assert_allclose(y.numpy(), x * r_expected + d_expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("bn_cls, rn_cls, shape", [(nn.BatchNorm1d, nn.BatchRenorm1d, (8, 3)),
                                                   (nn.BatchNorm1d, nn.BatchRenorm1d, (4, 3, 5)),
                                                   (nn.BatchNorm2d, nn.BatchRenorm2d, (3, 3, 4, 4))])
@pytest.mark.parametrize("dtype", [minigrad.float32, f64])
def test_batch_renorm_is_batch_norm_when_rmax_1_dmax_0(bn_cls, rn_cls, shape, dtype):
    bn, rn = bn_cls(3, momentum=0.2, dtype=dtype), rn_cls(3, momentum=0.2, rmax=1.0, dmax=0.0, dtype=dtype)
    for m in (bn, rn):
        m.weight.array[...] = rnd(3, seed=1) + 1
        m.bias.array[...] = rnd(3, seed=2)
    for step in range(4):
        results = []
        for m in (bn, rn):
            x = T(rnd(*shape, scale=2.0, shift=step, seed=step), requires_grad=True, dtype=dtype)
            y = m(x)
            y.backward(T(rnd(*shape, seed=10 + step), dtype=dtype))
            results.append([y, x.grad, m.weight.grad, m.bias.grad, m.running_mean, m.running_var,
                            m.num_batches_tracked])
            m.zero_grad()
        for a, b in zip(*results):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    bn.eval(), rn.eval()
    x = T(rnd(*shape, seed=30), dtype=dtype)
    np.testing.assert_array_equal(bn(x).numpy(), rn(x).numpy())


def test_batch_renorm_warmup_schedule():
    rn = nn.BatchRenorm1d(2, rmax=3.0, dmax=5.0, warmup_steps=10, ramp_steps=20)
    assert rn.limits(0) == (1.0, 0.0) and rn.limits(9) == (1.0, 0.0)
    assert rn.limits(10) == (1.0, 0.0) and rn.limits(20) == (2.0, 2.5) and rn.limits(30) == (3.0, 5.0)
    assert rn.limits(1000) == (3.0, 5.0)
    assert nn.BatchRenorm1d(2).limits(0) == (3.0, 5.0)  # no schedule: the full limits at once
    # during warm-up the layer is BatchNorm: same output as a BatchNorm1d
    x = minigrad.randn(6, 2) * 3 + 4
    np.testing.assert_array_equal(rn(x).numpy(), nn.BatchNorm1d(2)(x).numpy())
    assert rn.limits() == (1.0, 0.0) and int(rn.num_batches_tracked.item()) == 1


def test_batch_renorm_output_depends_less_on_the_batch_than_batch_norm():
    """What r and d are for: with good running statistics, a sample's training output is close
    to its eval output whatever the batch; BatchNorm's follows the batch."""
    rng = np.random.default_rng(0)
    data = rng.standard_normal((4000, 3)) * 2 + 1
    bn, rn = nn.BatchNorm1d(3, dtype=f64), nn.BatchRenorm1d(3, dtype=f64)
    for m in (bn, rn):
        m.running_mean.array[...] = data.mean(0)
        m.running_var.array[...] = data.var(0)
        m.momentum = 0.0
    batch = T(data[:4])  # a small batch: its statistics are far from the population's
    gaps = []
    for m in (bn, rn):
        train = m.train()(batch).numpy()
        gaps.append(np.abs(train - m.eval()(batch).numpy()).max())
    assert gaps[1] < 1e-6 < gaps[0]


def test_batch_renorm_check_layer_and_errors():
    # clipped r and d (a large, shifted input) and warm-up: where gradcheck applies
    assert check_layer(nn.BatchRenorm1d(3, rmax=1.5, dmax=0.5), minigrad.randn(6, 3) * 5 + 10)
    assert check_layer(nn.BatchRenorm2d(2, warmup_steps=100), minigrad.randn(3, 2, 2, 2))
    with pytest.raises(ValueError, match="rmax >= 1 and dmax >= 0"):
        nn.BatchRenorm1d(3, rmax=0.5)
    with pytest.raises(ValueError, match="momentum must be a number"):
        nn.BatchRenorm1d(3, momentum=None)
    with pytest.raises(ValueError, match="needs running_mean and running_var"):
        F.batch_renorm(minigrad.randn(4, 3), None, None, training=True)
    assert "rmax=3.0, dmax=5.0" in repr(nn.BatchRenorm2d(3))


def test_batch_renorm_float32_stays_float32(device):
    rn = nn.BatchRenorm2d(3).to(device)
    x = minigrad.randn(2, 3, 4, 4, device=device, requires_grad=True)
    y = rn(x)
    y.backward(minigrad.randn(2, 3, 4, 4, device=device))
    assert y.dtype == x.grad.dtype == rn.weight.grad.dtype == rn.running_var.dtype == minigrad.float32


# ***** folding BatchNorm into Linear / Conv2d *****


def _mnist_cnn():
    path = Path(__file__).resolve().parents[1] / "examples" / "mnist_cnn.py"
    spec = importlib.util.spec_from_file_location("example_mnist_cnn_fold", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.make_cnn()


def _trained_stats(model, x, steps=3):
    """A few train-mode forwards (running statistics move away from 0/1) and random BN affines."""
    rng = np.random.default_rng(3)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.affine:
            m.weight.array[...] = rng.standard_normal(m.num_features) + 1
            m.bias.array[...] = rng.standard_normal(m.num_features)
            m.momentum = 0.5
    with minigrad.no_grad():
        for _ in range(steps):
            model(x)
    return model.eval()


@pytest.mark.parametrize("dtype, tol", [(minigrad.float32, 1e-5), (f64, 1e-12)])
def test_folded_cnn_matches_unfused(dtype, tol):
    model = _mnist_cnn().to(dtype=dtype)
    x = minigrad.tensor(np.random.default_rng(0).random((8, 1, 28, 28)), dtype=dtype)
    model = _trained_stats(model, x * 2 + 1)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    folded = nn.utils.fold_bn(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    assert sum(isinstance(m, nn.Identity) for m in folded.modules()) == 2
    assert not folded.training
    with minigrad.no_grad():
        ref, out = model(x), folded(x)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=tol, atol=tol)
    # the original is untouched
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())


def test_fold_nested_sequential_and_linear_with_bias():
    inner = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU())
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.BatchNorm1d(4, affine=False), inner,
                          nn.BatchNorm1d(5), nn.Linear(5, 2))  # a BN after a Sequential: not folded
    model = _trained_stats(model.double(), minigrad.randn(16, 3, dtype=f64) * 3)
    folded = nn.utils.fold_bn(model)
    kinds = [type(m).__name__ for m in folded._modules.values()]
    assert kinds == ["Linear", "Identity", "Sequential", "BatchNorm1d", "Linear"]
    assert [type(m).__name__ for m in folded[2]] == ["Linear", "Identity", "ReLU"]
    x = minigrad.randn(7, 3, dtype=f64)
    np.testing.assert_allclose(folded(x).numpy(), model(x).numpy(), rtol=1e-12, atol=1e-12)


def test_fuse_errors():
    conv, bn = nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4)
    with pytest.raises(ValueError, match="training mode"):
        nn.utils.fuse_conv_bn_eval(conv, bn)
    with pytest.raises(ValueError, match="no running statistics"):
        nn.utils.fuse_conv_bn_eval(conv, nn.BatchNorm2d(4, track_running_stats=False).eval())
    with pytest.raises(ValueError, match="4 outputs but BatchNorm2d has 3"):
        nn.utils.fuse_conv_bn_eval(conv, nn.BatchNorm2d(3).eval())
    with pytest.raises(TypeError, match="expected a Linear"):
        nn.utils.fuse_linear_bn_eval(conv, bn.eval())
    # a frozen BN uses its running statistics even in train mode: foldable
    assert nn.utils.fuse_conv_bn_eval(conv, nn.BatchNorm2d(4).freeze()).bias is not None


@pytest.mark.parametrize("kind", ["conv", "linear"])
def test_fuse_torch_parity(kind):
    torch = pytest.importorskip("torch")
    from torch.nn.utils import fusion

    if kind == "conv":
        ours, tl = nn.Conv2d(3, 4, 3, dtype=f64), torch.nn.Conv2d(3, 4, 3, dtype=torch.float64)
        bn, tbn = nn.BatchNorm2d(4, dtype=f64), torch.nn.BatchNorm2d(4, dtype=torch.float64)
        ours_fn, theirs_fn = nn.utils.fuse_conv_bn_eval, fusion.fuse_conv_bn_eval
    else:
        ours, tl = nn.Linear(3, 4, dtype=f64), torch.nn.Linear(3, 4, dtype=torch.float64)
        bn, tbn = nn.BatchNorm1d(4, dtype=f64), torch.nn.BatchNorm1d(4, dtype=torch.float64)
        ours_fn, theirs_fn = nn.utils.fuse_linear_bn_eval, fusion.fuse_linear_bn_eval
    bn.weight.array[...], bn.bias.array[...] = rnd(4, seed=1), rnd(4, seed=2)
    bn.running_mean.array[...], bn.running_var.array[...] = rnd(4, seed=3), np.abs(rnd(4, seed=4)) + 0.1
    copy_weights(ours, tl), copy_weights(bn, tbn)
    fused, tfused = ours_fn(ours.eval(), bn.eval()), theirs_fn(tl.eval(), tbn.eval())
    for name in ("weight", "bias"):
        np.testing.assert_allclose(getattr(fused, name).numpy(), getattr(tfused, name).detach().numpy(),
                                   rtol=1e-12, atol=1e-14)


# ***** recalibrate_bn ("precise BN") *****


def _two_bn_model():
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.BatchNorm1d(4), nn.ReLU(),
                          nn.Linear(4, 2, bias=False), nn.BatchNorm1d(2, momentum=0.3), nn.Dropout(0.0)).double()
    model[1].weight.array[...] = rnd(4, seed=1) + 1
    model[1].bias.array[...] = rnd(4, seed=2)
    return model


def _numpy_population_stats(model, batches, eps=1e-5):
    """Each BN layer's inputs over all batches, computed directly in NumPy (BN in train mode:
    every batch normalised with its own statistics), then their mean and unbiased variance."""
    W1, W2 = model[0].weight.numpy(), model[3].weight.numpy()
    g1, b1 = model[1].weight.numpy(), model[1].bias.numpy()
    h1s, h2s = [], []
    for x in batches:
        h1 = x @ W1.T
        z = (h1 - h1.mean(0)) / np.sqrt(h1.var(0) + eps) * g1 + b1
        h2s.append(np.maximum(z, 0) @ W2.T)
        h1s.append(h1)
    return [(np.concatenate(h).mean(0), np.concatenate(h).var(0, ddof=1)) for h in (h1s, h2s)]


def test_recalibrate_bn_gives_population_statistics():
    model = _two_bn_model()
    batches = [rnd(n, 3, scale=2.0, shift=1.0, seed=s) for s, n in enumerate([8, 8, 8, 5])]  # unequal sizes
    model[4].freeze()  # recalibrated too (include_frozen), and still frozen afterwards
    model.eval()
    count = model[1].num_batches_tracked.numpy().copy()
    out = nn.utils.recalibrate_bn(model, [T(b) for b in batches], include_frozen=True)
    assert out is model
    expected = _numpy_population_stats(model, batches)
    for bn, (mean, var) in zip((model[1], model[4]), expected):
        np.testing.assert_allclose(bn.running_mean.numpy(), mean, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(bn.running_var.numpy(), var, rtol=1e-10, atol=1e-12)
    assert not any(m.training for m in model.modules())  # modes restored
    assert model[1].momentum == 0.1 and model[4].momentum == 0.3 and model[4].frozen and not model[1].frozen
    np.testing.assert_array_equal(model[1].num_batches_tracked.numpy(), count)


def test_recalibrate_bn_leaves_frozen_layers_alone_by_default():
    model = _two_bn_model()
    model[1].freeze()
    batches = [rnd(8, 3, seed=s) for s in range(3)]
    nn.utils.recalibrate_bn(model, [T(b) for b in batches])
    np.testing.assert_array_equal(model[1].running_mean.numpy(), 0)  # frozen: untouched
    np.testing.assert_array_equal(model[1].running_var.numpy(), 1)
    # the layer after it saw what training sees: the frozen layer normalising with its own
    # running statistics (0 and 1), i.e. only its affine map
    W1, W2 = model[0].weight.numpy(), model[3].weight.numpy()
    g, b = model[1].weight.numpy(), model[1].bias.numpy()
    h2 = np.concatenate([np.maximum(x @ W1.T / np.sqrt(1 + 1e-5) * g + b, 0) @ W2.T for x in batches])
    np.testing.assert_allclose(model[4].running_mean.numpy(), h2.mean(0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model[4].running_var.numpy(), h2.var(0, ddof=1), rtol=1e-10, atol=1e-12)
    assert model[1].frozen


def test_recalibrate_bn_variance_is_mean_of_variances_plus_variance_of_means():
    """The pooled variance is E[var_B] + Var[mu_B] for equal batches: the spread of the batch
    means counts (averaging the batch variances alone would miss it)."""
    model = nn.Sequential(nn.BatchNorm1d(2, dtype=f64))
    batches = [rnd(10, 2, shift=3.0 * s, seed=s) for s in range(4)]  # very different batch means
    nn.utils.recalibrate_bn(model, [(T(b), None) for b in batches])
    n = 40
    biased = np.mean([b.var(0) for b in batches], axis=0) + np.var([b.mean(0) for b in batches], axis=0)
    np.testing.assert_allclose(model[0].running_var.numpy(), biased * n / (n - 1), rtol=1e-12)
    assert (model[0].running_var.numpy() > 2 * np.mean([b.var(0, ddof=1) for b in batches], axis=0)).all()


def test_recalibrate_bn_num_batches_and_train_mode_restored(device):
    model = _two_bn_model().to(device)
    model.train()
    batches = [rnd(6, 3, seed=s) for s in range(5)]
    it = iter([T(b, device) for b in batches])
    nn.utils.recalibrate_bn(model, it, num_batches=3)
    assert next(it) is not None  # the 4th batch was not consumed
    assert all(m.training for m in model.modules())
    expected = _numpy_population_stats(model.to("cpu"), batches[:3])
    np.testing.assert_allclose(model[1].running_mean.numpy(), expected[0][0], rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="gave no batch"):
        nn.utils.recalibrate_bn(model, [])


def test_recalibrate_bn_restores_everything_when_the_model_raises():
    model = _two_bn_model().eval()
    with pytest.raises(ValueError):
        nn.utils.recalibrate_bn(model, [T(rnd(4, 5))])  # wrong feature count
    assert not any(m.training for m in model.modules()) and model[1].momentum == 0.1
    assert model[1]._forward_hooks == {}
    np.testing.assert_array_equal(model[1].running_mean.numpy(), 0)


def test_replacing_a_submodule_keeps_its_place():
    """fold_bn swaps layers of a Sequential by assignment: the order must survive."""
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    model.add_module("0", nn.Identity())
    setattr(model, "2", nn.Tanh())
    assert [type(m).__name__ for m in model] == ["Identity", "ReLU", "Tanh"]


# ***** examples/bn_failure_modes.py *****


def test_bn_failure_modes_quick(tmp_path):
    import json
    import os
    import subprocess

    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, str(root / "examples" / "bn_failure_modes.py"), "--quick", "--sample",
                           "--out", str(tmp_path)], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    for name in ("batch_size.png", "discrepancy.png", "finetune.png", "report.md", "results.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    res = json.loads((tmp_path / "results.json").read_text())["results"]
    assert res["discrepancy"]["same_weights"] is True  # running statistics never feed back into training
    fold = res["folding"]
    assert fold["accuracy"]["folded"] == fold["accuracy"]["unfused"] and fold["max_abs_logit_diff"] < 1e-4
    assert set(res["batch"]["accuracy"]) == {"vanilla", "bn", "gn", "brn"}
    assert "## Folding" in (tmp_path / "report.md").read_text()
