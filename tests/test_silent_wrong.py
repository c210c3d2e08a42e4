"""Corners where a result used to be silently wrong: dtype changes of 0-d values, interrupted
backward, grad mode across threads, inf times a zero mask, pow's exponent gradient at 0,
integer inputs, optimizer gradient checks, load_state_dict conversion, anomaly mode and
BatchNorm's running statistics. Each test failed before its fix."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import minigrad
from minigrad import autograd, backend, debug, nn, optim

rng = np.random.default_rng(12)


def leaf(values, dtype=minigrad.float32):
    return minigrad.tensor(np.asarray(values), dtype=dtype, requires_grad=True)


# ***** a 0-d value that changes dtype keeps its graph *****


def test_sum_of_mixed_dtype_0d_values_reaches_both_leaves():
    x, w = leaf([1.0, 2.0]), leaf([1.0, 2.0], minigrad.float64)
    ((x * x).sum() + (w * w).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 4])
    np.testing.assert_allclose(w.grad.numpy(), [2, 4])
    assert x.grad.dtype == minigrad.float32 and w.grad.dtype == minigrad.float64


@pytest.mark.parametrize("convert", [lambda t: t.to(minigrad.float64), lambda t: t.double(),
                                     lambda t: t.to(dtype=minigrad.float32)])
def test_explicit_cast_of_a_0d_result_is_differentiable(convert):
    x = leaf([1.0, 3.0], minigrad.float64)
    y = convert((x * x).sum())
    assert y.requires_grad
    up = rng.standard_normal()
    y.backward(minigrad.tensor(up, dtype=y.dtype))
    np.testing.assert_allclose(x.grad.numpy(), 2 * up * np.array([1, 3]), rtol=1e-6)


@pytest.mark.parametrize("op", [
    lambda s, t: s * t, lambda s, t: t + s, lambda s, t: minigrad.maximum(s, t),
    lambda s, t: minigrad.cat([s.reshape(1), t]), lambda s, t: minigrad.stack([s, t[0]]),
])
def test_implicit_promotion_of_a_0d_intermediate_keeps_the_graph(op):
    # a learnable float64 scale, reduced to a 0-d intermediate, meets a float32 tensor
    scale = leaf([0.5, 1.5], minigrad.float64)
    t = leaf([2.0, -1.0, 3.0])
    s = (scale * scale).sum()  # 0-d float64 with a graph
    y = op(s, t)
    y.backward(minigrad.tensor(rng.standard_normal(y.shape), dtype=y.dtype))
    assert scale.grad is not None and t.grad is not None
    assert np.all(np.isfinite(scale.grad.numpy()))


def test_0d_leaf_gradient_is_an_array_that_zero_grad_can_clear_in_place():
    x = leaf(2.0)
    (x * x).backward()
    (x * x).backward()  # accumulation of two 0-d gradients
    assert isinstance(x.grad.array, np.ndarray) and x.grad.item() == 8.0
    opt = optim.SGD([x], lr=0.1)
    opt.zero_grad(set_to_none=False)
    assert x.grad.item() == 0.0


# ***** an interrupted backward writes every .grad or none *****


def _model_and_loss():
    minigrad.manual_seed(0)
    model = nn.Sequential(*[nn.Linear(3, 3) for _ in range(20)])
    loss = model(minigrad.randn(4, 3)).pow(2).sum()
    return model, loss


def test_interrupt_while_leaf_gradients_are_prepared_leaves_grads_untouched(monkeypatch):
    model, loss = _model_and_loss()
    params = list(model.parameters())
    calls = {"n": 0}
    real = backend.memory_owner

    def interrupt_on_the_10th(a):  # called once per leaf while the new .grad values are made
        calls["n"] += 1
        if calls["n"] == 10:
            raise KeyboardInterrupt
        return real(a)

    monkeypatch.setattr(backend, "memory_owner", interrupt_on_the_10th)
    with pytest.raises(KeyboardInterrupt):
        loss.backward()
    assert calls["n"] == 10
    assert all(p.grad is None for p in params), "some leaves were written, others not"


def test_interrupt_inside_a_function_backward_leaves_grads_untouched():
    model, _ = _model_and_loss()

    class Boom(autograd.Function):
        def forward(self, x):
            return x.copy()

        def backward(self, gy):
            raise KeyboardInterrupt

    x = minigrad.randn(4, 3)
    h = model[0](x)
    loss = model[1](Boom()(h) + h).sum()
    for p in model.parameters():
        p.grad = minigrad.ones(*p.shape)
    with pytest.raises(KeyboardInterrupt):
        loss.backward()
    assert all(np.all(p.grad.numpy() == 1) for p in model.parameters())


def test_a_sigint_during_the_final_writes_is_delivered_after_all_are_written(monkeypatch):
    import signal
    model, loss = _model_and_loss()
    params = list(model.parameters())
    fired = {"done": False}
    real_wrap = autograd.wrap

    def wrap_and_signal(a, requires_grad=False):  # the first .grad write gets a Ctrl-C
        if not fired["done"]:
            fired["done"] = True
            signal.raise_signal(signal.SIGINT)
        return real_wrap(a, requires_grad)

    monkeypatch.setattr(autograd, "wrap", wrap_and_signal)
    with pytest.raises(KeyboardInterrupt):
        loss.backward()
    assert all(p.grad is not None for p in params)


# ***** inf times a zero mask, and pow's gradients where PyTorch selects *****


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # inf on purpose
@pytest.mark.parametrize("f, expected", [
    (lambda x: x.relu().sqrt(), [0.0, 0.25]),
    (lambda x: x.clamp(min=0).sqrt(), [0.0, 0.25]),
    (lambda x: minigrad.maximum(x, minigrad.zeros(2, dtype=x.dtype)).sqrt(), [0.0, 0.25]),
    (lambda x: minigrad.where(x > 0, x, minigrad.zeros(2, dtype=x.dtype)).sqrt(), [0.0, 0.25]),
])
def test_infinite_upstream_through_a_zero_mask_gives_zero(f, expected):
    x = leaf([-1.0, 4.0], minigrad.float64)
    f(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("stride", [2, 1])  # 1: overlapping windows (the adding path)
def test_max_pool_sends_an_infinite_or_nan_upstream_gradient_only_to_the_winner(dtype, stride):
    import minigrad.nn.functional as F

    x = leaf(np.array([[[[-1.0, 4.0, 0.5], [1.0, 2.0, 3.0], [0.0, -2.0, 1.5]]]]), getattr(minigrad, dtype))
    y = F.max_pool2d(x, 2, stride=stride)
    g = np.full(y.shape, np.inf)
    g.flat[-1] = np.nan
    y.backward(minigrad.tensor(g.astype(dtype)))
    # the winners get inf (nan for the last window); every other element gets exactly 0
    want = np.zeros(x.shape)
    wins = [(0, 1), (0, 1), (1, 1), (1, 2)] if stride == 1 else [(0, 1)]
    for (i, j), v in zip(wins, g.flat):
        want[0, 0, i, j] += v
    np.testing.assert_array_equal(x.grad.numpy(), want.astype(dtype))


def test_pow_exponent_gradient_at_zero_base_is_torchs():
    a = leaf([0.0, 2.0])
    p = leaf(2.0)
    (a**p).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.0, 4.0])
    np.testing.assert_allclose(p.grad.item(), 4 * np.log(2), rtol=1e-6)  # 2.77; 0^2 ln 0 -> 0


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # inf on purpose
def test_pow_exponent_gradient_at_zero_base_times_an_infinite_upstream_is_nan_as_pytorch():
    # PyTorch selects 0 for a^b ln a at a == 0 and then multiplies by gy: inf * 0 = nan
    a, p = leaf([0.0, 2.0]), leaf(0.5)
    ((a**p) ** -1.5).sum().backward()
    assert np.isnan(p.grad.item())


def test_pow_base_gradient_is_zero_where_the_exponent_is_zero():
    a, p = leaf([0.0, 2.0]), leaf([0.0, -1.0])
    (a**p).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.0, -0.25])
    np.testing.assert_allclose(p.grad.numpy(), [0.0, 0.5 * np.log(2)], rtol=1e-6)


def test_pow_by_a_zero_number_gives_zero_gradient_even_for_infinite_upstream():
    x = leaf([0.0, 4.0])
    ((x**0) * minigrad.tensor([np.inf, 1.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


# ***** integer inputs follow PyTorch: promote or raise *****


def test_clamp_of_ints_with_a_float_bound_gives_floats():
    t = minigrad.tensor([1, 2, 3])
    y = t.clamp(min=1.5)
    assert y.dtype == minigrad.float32
    np.testing.assert_allclose(y.numpy(), [1.5, 2, 3])
    y = t.clamp(max=2.5)
    assert y.dtype == minigrad.float32
    np.testing.assert_allclose(y.numpy(), [1, 2, 2.5])
    assert t.clamp(min=2).dtype == minigrad.int64  # an int bound keeps ints


@pytest.mark.parametrize("op", [lambda t: t.var(), lambda t: t.std(), lambda t: t.mean(),
                                lambda t: minigrad.ops.softmax(t), lambda t: minigrad.ops.log_softmax(t),
                                lambda t: nn.functional.leaky_relu(t)])
def test_integer_input_raises_where_pytorch_raises(op):
    with pytest.raises(TypeError, match="int64"):
        op(minigrad.tensor([5, -2]))


@pytest.mark.parametrize("op", [lambda t: t**0.5, lambda t: minigrad.ops.logsumexp(t, 0),
                                lambda t: t.sqrt()])
def test_integer_input_computes_in_the_default_float(op):
    y = op(minigrad.tensor([1, 2, 3]))
    assert y.dtype == minigrad.float32


def test_int_pow_int_stays_int():
    assert (minigrad.tensor([1, 2, 3]) ** 2).dtype == minigrad.int64


# ***** optimizers check every gradient before changing anything *****


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.Adam(ps, lr=0.1), lambda ps: optim.AdamW(ps, lr=0.1)])
@pytest.mark.parametrize("bad", ["broadcastable", "incompatible", "dtype"])
def test_optimizer_rejects_a_bad_grad_before_touching_any_parameter(make, bad):
    a, b = leaf([[1.0, 2.0], [3.0, 4.0]]), leaf([[5.0, 6.0], [7.0, 8.0]])
    opt = make([a, b])
    a.grad = minigrad.ones(2, 2)
    b.grad = {"broadcastable": minigrad.ones(2), "incompatible": minigrad.ones(3),
              "dtype": minigrad.ones(2, 2, dtype=minigrad.float64)}[bad]
    before = [a.numpy().copy(), b.numpy().copy()]
    with pytest.raises(RuntimeError, match=r"\(2, 2\)"):
        opt.step()
    np.testing.assert_array_equal(a.numpy(), before[0])
    np.testing.assert_array_equal(b.numpy(), before[1])
    assert opt.state == {}  # no step counter advanced, no buffer made


def test_a_new_optimizer_subclass_gets_the_check():
    class Plain(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, dict(lr=1.0))

        def _update(self, group, params_grads):  # an optimizer implements one group's update
            for p, g in params_grads:
                p.array -= g

    w = leaf([1.0, 2.0])
    w.grad = minigrad.ones(1)
    with pytest.raises(RuntimeError, match="grad"):
        Plain([w]).step()
    np.testing.assert_array_equal(w.numpy(), [1, 2])


# ***** load_state_dict converts everything before writing *****


def test_load_state_dict_with_an_unconvertible_value_changes_nothing():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    sd = {k: np.zeros(v.shape, dtype=v.dtype) for k, v in before.items()}
    sd["1.bias"] = np.array(["a", "b"])  # the last entry cannot become float32
    with pytest.raises(RuntimeError, match="1.bias"):
        model.load_state_dict(sd)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


# ***** anomaly mode checks BatchNorm's output before the running statistics change *****


def test_anomaly_mode_stops_a_nan_batchnorm_before_its_running_stats_change():
    bn = nn.BatchNorm1d(2)
    x = minigrad.tensor([[1.0, np.nan], [2.0, 3.0], [0.0, 1.0]])
    with pytest.raises(debug.AnomalyError):
        with debug.detect_anomaly():
            bn(x)
    np.testing.assert_array_equal(bn.running_mean.numpy(), [0, 0])
    np.testing.assert_array_equal(bn.running_var.numpy(), [1, 1])
    bn(minigrad.tensor([[1.0, 2.0], [3.0, 4.0]]))  # outside anomaly mode the update still runs
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.2, 0.3], rtol=1e-6)


# ***** grad mode is per thread *****


def test_no_grad_in_another_thread_does_not_stop_recording_here():
    entered, release = threading.Event(), threading.Event()

    def other():
        with minigrad.no_grad():
            entered.set()
            release.wait(5)

    th = threading.Thread(target=other)
    th.start()
    entered.wait(5)
    try:
        assert minigrad.is_grad_enabled()
        y = leaf([1.0]) * 2
        assert y.requires_grad
    finally:
        release.set()
        th.join()


def test_threads_entering_and_leaving_no_grad_never_leave_it_off():
    def churn():
        for _ in range(2000):
            with minigrad.no_grad():
                pass
            with minigrad.set_grad_enabled(False):
                with minigrad.enable_grad():
                    pass

    threads = [threading.Thread(target=churn) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert minigrad.is_grad_enabled()
    seen = []
    th = threading.Thread(target=lambda: seen.append(minigrad.is_grad_enabled()))
    th.start()
    th.join()
    assert seen == [True]


def test_std_of_a_constant_slice_has_gradient_zero_despite_rounding():
    # 24 copies of this float32 value have a rounded mean an ulp off the value
    x = leaf(0.09452669)
    y = x.expand(2, 3, 4).std()
    y.backward()
    assert y.item() == 0.0 and x.grad.item() == 0.0


def test_abs_gradient_at_nan_is_zero_as_pytorchs_sign():
    x = leaf([np.nan, -2.0, 3.0])
    x.abs().backward(minigrad.tensor([1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, -1.0, 1.0])


def test_relu_of_a_bool_tensor_raises_clearly_as_pytorch():
    from minigrad import nn

    for f in (lambda t: t.relu(), nn.ReLU()):
        with pytest.raises(TypeError, match="relu: boolean inputs are not supported"):
            f(minigrad.tensor(np.array([True, False])))
