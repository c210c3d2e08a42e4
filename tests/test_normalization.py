"""Normalization layers. BatchNorm1d / BatchNorm2d: every documented behaviour (docs/batchnorm.md),
gradchecks with a random upstream gradient, fused == composed, and parity with torch (when
installed). LayerNorm, the layer added end to end in docs/extending.md: the same checks."""

import gc

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.nn.normalization import BatchNormFunction
from minigrad import nn, optim
from minigrad.autograd import Function
from minigrad.testing import gradcheck

from parity import assert_buffers_match, assert_step_matches, copy_weights

f64 = minigrad.float64


def rnd(*shape, scale=1.0, shift=0.0, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * scale + shift


def T(a, device="cpu", requires_grad=False, dtype=None):
    return minigrad.tensor(a, device=device, requires_grad=requires_grad, dtype=dtype)


def make_bn(shape, **kw):
    return (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(shape[1], **kw)


SHAPES = [(8, 3), (5, 3, 4), (4, 3, 2, 3)]  # BN1d (N,C), BN1d (N,C,L), BN2d (N,C,H,W)


def channel_axes(shape):
    return (0,) + tuple(range(2, len(shape)))


# ***** R1.1 train/eval *****


def _nested():
    return nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.ReLU(),
                         nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)))


def test_R1_1_eval_and_train_reach_every_submodule():
    model = _nested()
    assert model.eval() is model
    assert all(not m.training for m in model.modules())
    assert model.train() is model
    assert all(m.training for m in model.modules())


def test_R1_1_eval_is_per_sample_and_leaves_stats_alone(device):
    model = _nested().to(device)
    X = T(rnd(6, 5).astype(np.float32), device)
    model(X)  # one training step so the running stats are not the 0/1 defaults
    model.eval()
    stats = [b.numpy().copy() for b in model.buffers()]
    full = model(X).numpy()
    model(X)
    for before, b in zip(stats, model.buffers()):
        np.testing.assert_array_equal(before, b.numpy())
    for i in range(6):  # no batch dependence in eval
        np.testing.assert_allclose(model(X[i:i + 2]).numpy()[0], full[i], rtol=1e-5, atol=1e-6)


def test_R1_1_train_mode_depends_on_the_batch():
    model = _nested()
    X = T(rnd(6, 5).astype(np.float32))  # float32 like the model: F.linear does not mix dtypes
    full = model(X).numpy()
    part = model(X[0:3]).numpy()
    assert not np.allclose(part[0], full[0], atol=1e-3)


# ***** R1.2 running statistics are updated, also under no_grad, never in eval *****


def test_R1_2_running_mean_moves_towards_the_batch_mean(device):
    bn = nn.BatchNorm1d(4).to(device)
    x = rnd(32, 4, shift=5.0).astype(np.float32)
    bn(T(x, device))
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * x.mean(0), rtol=1e-6)
    assert np.all(bn.running_mean.numpy() > 0.4)


@pytest.mark.parametrize("grad_enabled", [True, False])
def test_R1_2_update_depends_on_training_only(device, grad_enabled):
    bn = nn.BatchNorm1d(3).to(device)
    x = T(rnd(10, 3, shift=2.0).astype(np.float32), device)
    with minigrad.set_grad_enabled(grad_enabled):
        bn(x)
        after_train = bn.running_mean.numpy().copy()
        assert np.all(after_train != 0)
        bn.eval()
        bn(x)
    np.testing.assert_array_equal(bn.running_mean.numpy(), after_train)
    assert int(bn.num_batches_tracked.item()) == 1


# ***** R1.3 momentum convention *****


@pytest.mark.parametrize("momentum", [0.1, 0.0, 1.0, 0.3])
def test_R1_3_momentum_is_pytorchs(device, momentum):
    x = rnd(20, 3, scale=2.0, shift=1.0).astype(np.float32)
    bn = nn.BatchNorm1d(3, momentum=momentum).to(device)
    bn(T(x, device))
    m = np.float32(momentum)
    # fresh stats are 0 and 1: running = (1 - m) * running + m * batch
    np.testing.assert_allclose(bn.running_mean.numpy(), m * x.mean(0), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(bn.running_var.numpy(), (1 - m) + m * x.var(0, ddof=1), rtol=1e-6)
    if momentum == 0.0:
        np.testing.assert_array_equal(bn.running_mean.numpy(), 0)
        np.testing.assert_array_equal(bn.running_var.numpy(), 1)


def test_R1_3_two_steps_follow_the_formula_without_debias():
    bn = nn.BatchNorm1d(2, dtype=f64)
    a, b = rnd(10, 2, shift=3.0), rnd(10, 2, shift=-1.0, seed=1)
    bn(T(a))
    bn(T(b))
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.9 * 0.1 * a.mean(0) + 0.1 * b.mean(0), rtol=1e-12)


# ***** R1.4 biased variance to normalise, unbiased to store *****


def test_R1_4_biased_for_output_unbiased_for_running_var(device):
    x = rnd(4, 3, 2, 2, scale=3.0, shift=1.0)
    bn = nn.BatchNorm2d(3, momentum=1.0, dtype=f64).to(device)
    y = bn(T(x, device)).numpy()
    np.testing.assert_allclose(bn.running_var.numpy(), x.var(axis=(0, 2, 3), ddof=1), rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean.numpy(), x.mean(axis=(0, 2, 3)), rtol=1e-12)
    v = x.var(axis=(0, 2, 3))  # ddof=0
    np.testing.assert_allclose((y**2).mean(axis=(0, 2, 3)), v / (v + 1e-5), rtol=1e-10)


@pytest.mark.parametrize("shape", SHAPES)
def test_R1_4_count_is_values_per_channel(shape):
    x = rnd(*shape, scale=2.0)
    bn = make_bn(shape, momentum=1.0, dtype=f64)
    bn(T(x))
    np.testing.assert_allclose(bn.running_var.numpy(), x.var(axis=channel_axes(shape), ddof=1), rtol=1e-12)


# ***** R1.5 BatchNorm2d is per channel over (N, H, W) *****


def test_R1_5_bn2d_normalises_each_channel(device):
    C = 4
    x = rnd(6, C, 5, 5) + 10.0 * np.arange(C).reshape(1, C, 1, 1)
    bn = nn.BatchNorm2d(C, dtype=f64).to(device)
    y = bn(T(x, device)).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-4)
    assert bn.running_mean.shape == bn.weight.shape == bn.bias.shape == (C,)


@pytest.mark.parametrize("layer,shape", [
    (lambda: nn.BatchNorm2d(3), (2, 4, 5, 5)),
    (lambda: nn.BatchNorm1d(3), (2, 4)),
    (lambda: nn.BatchNorm1d(3), (2, 5, 7)),
])
def test_R1_5_wrong_channel_count_names_expected_and_actual(layer, shape):
    with pytest.raises(ValueError, match=r"expected 3 channels.*got %d" % shape[1]):
        layer()(minigrad.zeros(*shape))


@pytest.mark.parametrize("layer,shape", [
    (lambda: nn.BatchNorm2d(3), (2, 3)),
    (lambda: nn.BatchNorm2d(3), (2, 3, 4)),
    (lambda: nn.BatchNorm1d(3), (2, 3, 4, 4)),
    (lambda: nn.BatchNorm1d(3), (3,)),
])
def test_R1_5_wrong_rank_names_expected_and_actual(layer, shape):
    with pytest.raises(ValueError, match=r"expected .*D input, got %dD input" % len(shape)):
        layer()(minigrad.zeros(*shape))


# ***** R1.6 one value per channel *****


@pytest.mark.parametrize("shape", [(1, 4), (1, 4, 1)])
def test_R1_6_one_value_per_channel_raises_in_training(device, shape):
    bn = nn.BatchNorm1d(4).to(device)
    x = minigrad.ones(*shape, device=device)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size"):
        bn(x)
    assert int(bn.num_batches_tracked.item()) == 0  # nothing changed
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0)
    bn.eval()
    assert np.isfinite(bn(x).numpy()).all()


def test_R1_6_bn2d_with_one_image_is_fine():
    bn = nn.BatchNorm2d(3)
    y = bn(minigrad.randn(1, 3, 4, 4))
    assert np.isfinite(y.numpy()).all()


# ***** R1.7 eps inside the square root *****


def test_R1_7_eps_inside_sqrt():
    x = rnd(50, 1)
    x = (x - x.mean()) / x.std() * 1e-3  # biased var exactly 1e-6
    y = nn.BatchNorm1d(1, dtype=f64)(T(x)).numpy()
    np.testing.assert_allclose(y, x / np.sqrt(1e-6 + 1e-5), rtol=1e-6)


def test_R1_7_constant_channel_is_finite(device):
    x = np.full((6, 2), 3.0, dtype=np.float32)
    bn = nn.BatchNorm1d(2).to(device)
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(bn(T(x, device)).numpy(), 0)
        bn.eval()
        with minigrad.no_grad():
            bn.running_var.zero_()
        assert np.isfinite(bn(T(x, device)).numpy()).all()


# ***** R1.8 stable variance *****


def test_R1_8_large_mean_float32_stays_accurate():
    x = (1e4 + 0.01 * rnd(64, 8)).astype(np.float32)
    m = x.mean(0)
    naive = (x * x).mean(0) - m * m
    assert (naive <= 0).any()  # the trap: E[x^2] - E[x]^2 is garbage here
    y = nn.BatchNorm1d(8, eps=1e-8)(T(x)).numpy()
    assert y.dtype == np.float32 and np.isfinite(y).all()
    np.testing.assert_allclose(y.std(0), 1, atol=1e-2)


def test_R1_8_constant_channel_gives_exact_zero():
    x = np.full((4, 3, 5, 5), 100.0, dtype=np.float32)
    np.testing.assert_array_equal(nn.BatchNorm2d(3)(T(x)).numpy(), 0)


# ***** R1.9 gradcheck with random W, gamma, beta; fused == composed *****


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("fn", [F.batch_norm, F.batch_norm_simple])
def test_R1_9_gradcheck_sum_W_times_bn(shape, training, fn):
    C = shape[1]
    x = T(rnd(*shape, scale=2.0, shift=0.5), requires_grad=True)
    gamma = T(rnd(C, seed=1) + 1.5, requires_grad=True)
    beta = T(rnd(C, seed=2), requires_grad=True)
    rm, rv = T(rnd(C, seed=3)), T(np.abs(rnd(C, seed=4)) + 0.5)
    # gradcheck multiplies the output by a random W: L = sum(W * BN(x)) (never a plain sum)
    gradcheck(lambda x, g, b: fn(x, rm, rv, g, b, training=training, momentum=0.0), x, gamma, beta)


@pytest.mark.parametrize("shape", SHAPES)
def test_R1_9_gradcheck_without_affine(shape):
    x = T(rnd(*shape, scale=2.0), requires_grad=True)
    gradcheck(lambda x: F.batch_norm(x, None, None, training=True), x)


def test_R1_9_guard_gradient_of_plain_sum_is_zero():
    """The trap: sum(BN(x)) has zero gradient for x whatever backward does, so it cannot test."""
    x = T(rnd(8, 3), requires_grad=True)
    bn = nn.BatchNorm1d(3, dtype=f64)
    with minigrad.no_grad():
        bn.weight.copy_(T(rnd(3) + 2))
    bn(x).sum().backward()
    assert np.abs(x.grad.numpy()).max() < 1e-10


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_fused_equals_composed(shape, training, affine):
    C = shape[1]
    G = rnd(*shape, seed=7)
    out = []
    for fn in (F.batch_norm, F.batch_norm_simple):
        x = T(rnd(*shape, scale=3.0, shift=2.0), requires_grad=True)
        g = T(rnd(C, seed=1) + 1, requires_grad=True) if affine else None
        b = T(rnd(C, seed=2), requires_grad=True) if affine else None
        rm, rv = T(rnd(C, seed=3)), T(np.abs(rnd(C, seed=4)) + 0.5)
        y = fn(x, rm, rv, g, b, training=training, momentum=0.3, eps=1e-3)
        y.backward(T(G))
        out.append([y, x.grad, rm, rv] + ([g.grad, b.grad] if affine else []))
    for a, b in zip(*out):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-10)


def test_bn_graph_is_one_node():
    x = T(rnd(8, 3), requires_grad=True)
    y = nn.BatchNorm1d(3, dtype=f64)(x)
    assert isinstance(y._ctx, BatchNormFunction)


# ***** R1.10 running stats are buffers *****


def test_R1_10_buffers_not_parameters(device):
    bn = nn.BatchNorm1d(3).to(device)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    y = bn(T(rnd(6, 3).astype(np.float32), device))
    y.backward(T(rnd(6, 3).astype(np.float32), device))
    for b in (bn.running_mean, bn.running_var):
        assert not b.requires_grad and b._ctx is None and b.grad is None


def test_R1_10_weight_decay_never_touches_running_stats(device):
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)).to(device)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2)
    x = T(rnd(8, 4).astype(np.float32), device)
    model(x).sum().backward()
    stats = [b.numpy().copy() for b in model.buffers()]
    opt.step()
    for before, b in zip(stats, model.buffers()):
        np.testing.assert_array_equal(before, b.numpy())


def test_R1_10_graph_does_not_grow_over_training():
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 2))
    opt = optim.SGD(model.parameters(), lr=0.01)
    x, t = minigrad.randn(16, 4), minigrad.tensor(np.arange(16) % 2)

    def steps(k):
        for _ in range(k):
            opt.zero_grad()
            F.cross_entropy(model(x), t).backward()
            opt.step()
        gc.collect()
        return sum(isinstance(o, Function) for o in gc.get_objects())

    n10 = steps(10)
    assert steps(100) <= n10 + 2


# ***** R1.11 freeze *****


def _frozen_model():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Tanh(), nn.Linear(3, 2))
    model(minigrad.randn(16, 4) + 1)  # non-default stats
    return model


def test_R1_11_requires_grad_false_alone_does_not_freeze_stats():
    """PyTorch parity, the trap: gamma/beta frozen, but train mode still moves the stats."""
    model = _frozen_model()
    bn = model[1]
    for p in bn.parameters():
        p.requires_grad_(False)
    before = bn.running_mean.numpy().copy()
    model(minigrad.randn(16, 4) * 3)
    assert not np.array_equal(before, bn.running_mean.numpy())


def test_R1_11_freeze_survives_train_and_steps():
    model = _frozen_model()
    bn = model[1].freeze()
    model.train()
    assert bn.training  # train() still sets the flag; freeze() is what wins
    saved = {k: v.numpy().copy() for k, v in bn.state_dict().items()}
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    for i in range(10):
        opt.zero_grad()
        x = minigrad.randn(16, 4) * 3 + i
        F.cross_entropy(model(x), minigrad.tensor(np.arange(16) % 2)).backward()
        opt.step()
        model.train()
    for k, v in bn.state_dict().items():
        np.testing.assert_array_equal(saved[k], v.numpy(), err_msg=k)
    assert model[0].weight.grad is not None  # the rest of the model still trains
    # frozen = running statistics, as in eval
    x = minigrad.randn(5, 3)
    np.testing.assert_array_equal(bn(x).numpy(), bn.eval()(x).numpy())
    bn.train().freeze(False)
    assert bn.weight.requires_grad
    bn(minigrad.randn(8, 3) + 5)
    assert not np.array_equal(saved["running_mean"], bn.running_mean.numpy())


# ***** R1.12 track_running_stats=False, init values *****


def test_R1_12_no_tracking_means_batch_stats_everywhere(device):
    bn = nn.BatchNorm1d(3, track_running_stats=False).to(device)
    assert list(bn.buffers()) == [] and list(bn.state_dict()) == ["weight", "bias"]
    x = T(rnd(6, 3, shift=4).astype(np.float32), device)
    y_train = bn(x).numpy()
    np.testing.assert_array_equal(bn.eval()(x).numpy(), y_train)


def test_R1_12_switching_tracking_off_later_is_honoured():
    bn = nn.BatchNorm1d(3)
    x = minigrad.randn(6, 3) + 4
    bn.track_running_stats = False
    y_train = bn(x).numpy()
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0)
    np.testing.assert_array_equal(bn.eval()(x).numpy(), y_train)


def test_R1_12_initial_values():
    bn = nn.BatchNorm2d(3)
    for t, v in ((bn.weight, 1), (bn.bias, 0), (bn.running_mean, 0), (bn.running_var, 1)):
        np.testing.assert_array_equal(t.numpy(), np.full(3, v, np.float32))
    x = minigrad.randn(2, 3, 4, 4)
    np.testing.assert_allclose(bn.eval()(x).numpy(), x.numpy() / np.sqrt(1 + 1e-5), rtol=1e-6)


# ***** R1.13 cumulative average and reset *****


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 2, 2)])
def test_R1_13_momentum_none_is_the_average_of_batches(shape):
    bn = make_bn(shape, momentum=None, dtype=f64)
    batches = [rnd(*shape, scale=k + 1, shift=k, seed=k) for k in range(4)]
    for b in batches:
        bn(T(b))
    ax = channel_axes(shape)
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([b.mean(ax) for b in batches], 0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([b.var(ax, ddof=1) for b in batches], 0),
                               rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 4
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0)
    np.testing.assert_array_equal(bn.running_var.numpy(), 1)
    assert int(bn.num_batches_tracked.item()) == 0


# ***** R1.14 dtypes: float32 stays float32; float16 keeps float32 statistics *****


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_R1_14_float32_in_float32_out(device, shape, training):
    bn = make_bn(shape).to(device).train(training)
    x = T(rnd(*shape).astype(np.float32), device, requires_grad=True)
    y = bn(x)
    y.backward(T(rnd(*shape).astype(np.float32), device))
    assert y.dtype == x.grad.dtype == bn.weight.grad.dtype == bn.running_var.dtype == np.float32


def test_R1_14_float16_input_keeps_float32_statistics():
    x = rnd(16, 4, scale=20, shift=300).astype(np.float16)  # x^2 ~ 9e4 overflows float16
    bn = nn.BatchNorm1d(4, momentum=1.0)
    with np.errstate(over="raise"):
        y = bn(T(x, requires_grad=True))
    assert y.dtype == np.float16 and np.isfinite(y.numpy()).all()
    assert bn.running_var.dtype == np.float32
    np.testing.assert_allclose(bn.running_var.numpy(), x.astype(np.float64).var(0, ddof=1), rtol=1e-3)
    np.testing.assert_allclose(y.numpy().astype(np.float32).std(0), 1, atol=1e-2)


# ***** R1.15 no bias before BN *****


def test_R1_15_linear_without_bias_has_no_bias_param():
    fc = nn.Linear(4, 3, bias=False)
    assert fc.bias is None and [n for n, _ in fc.named_parameters()] == ["weight"]
    assert "bias" not in fc.state_dict()


def test_R1_15_bias_before_bn_is_cancelled():
    fc, bn = nn.Linear(4, 3, dtype=f64), nn.BatchNorm1d(3, dtype=f64)
    x = T(rnd(10, 4))
    y1 = bn(fc(x))
    with minigrad.no_grad():
        fc.bias.add_(T(rnd(3) * 10))
    y2 = bn(fc(x))
    np.testing.assert_allclose(y1.numpy(), y2.numpy(), atol=1e-10)
    y2.backward(T(rnd(10, 3, seed=5)))
    assert np.abs(fc.bias.grad.numpy()).max() < 1e-10 < np.abs(fc.weight.grad.numpy()).max()


# ***** misc *****


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match="eps"):
        nn.BatchNorm1d(3, eps=-1)


def test_repr():
    assert repr(nn.BatchNorm2d(4)) == "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"


# ***** parity with torch *****


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kw", [{}, {"momentum": None}, {"affine": False}, {"track_running_stats": False},
                                {"eps": 1e-3, "momentum": 0.01}])
def test_torch_parity(shape, kw):
    torch = pytest.importorskip("torch")
    C = shape[1]
    ours = make_bn(shape, dtype=f64, **kw)
    theirs = (torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d)(C, dtype=torch.float64, **kw)
    if ours.affine:
        with minigrad.no_grad():
            ours.weight.copy_(T(rnd(C, seed=1) + 1))
            ours.bias.copy_(T(rnd(C, seed=2)))
    copy_weights(ours, theirs)

    def compare(step):
        x = rnd(*shape, scale=step + 1, shift=step - 2, seed=10 + step)
        assert_step_matches(ours, theirs, x, rnd(*shape, seed=20 + step), rtol=1e-8, atol=1e-8)

    for step in range(5):
        compare(step)
    # running mean, running var (about 1: atol is far below rtol * value) and the batch count
    assert_buffers_match(ours, theirs, rtol=1e-8, atol=1e-12)
    ours.eval()
    theirs.eval()
    compare(5)


def test_R1_14_half_model_keeps_float32_buffers():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)).to(np.float16)
    assert model[0].weight.dtype == model[1].weight.dtype == np.float16
    assert model[1].running_var.dtype == np.float32
    y = model(minigrad.tensor(rnd(8, 4, scale=50, shift=300).astype(np.float16)))
    assert y.dtype == np.float16 and np.isfinite(y.numpy()).all()
    assert np.isfinite(model[1].running_var.numpy()).all()


def _x(shape, device, scale=2.0, dtype=f64, requires_grad=True):
    host = np.random.default_rng(1).standard_normal(shape) * scale
    return minigrad.tensor(host, dtype=dtype, device=device, requires_grad=requires_grad)


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
    ln.weight.array[...] = np.random.default_rng(7).standard_normal((3, 6))
    ln.bias.array[...] = np.random.default_rng(8).standard_normal((3, 6))
    tln = torch.nn.LayerNorm((3, 6), eps=1e-3, dtype=torch.float64)
    assert set(ln.state_dict()) == set(tln.state_dict())
    copy_weights(ln, tln)
    assert_step_matches(ln, tln, host, G, rtol=1e-8, atol=1e-10)


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
        y.array[...] = 0  # the user scribbles on the output
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


def test_layer_norm_dtype_mismatch_raises_like_torch():
    """float64 input with a float32 LayerNorm gave float64 .grad on float32 parameters."""
    ln = nn.LayerNorm(4)
    with pytest.raises(TypeError, match="float64.*float32"):
        ln(minigrad.ones(2, 4, dtype=minigrad.float64))
    assert ln.double()(minigrad.ones(2, 4, dtype=minigrad.float64)).dtype == minigrad.float64
