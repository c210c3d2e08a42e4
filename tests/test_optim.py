"""Optimizers: 10-step trajectories equal torch.optim's in float64 (SGD variants, Adam, AdamW),
dtype preservation (R2.7), argument checks, zero_grad, state_dict, StepLR."""

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn, optim


def rnd(*shape, scale=1.0, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


X, Y = rnd(16, 5), np.arange(16) % 3


def build(lib, nn_mod, dtype):
    """The same small model in either framework (PyTorch's nn or ours)."""
    return nn_mod.Sequential(nn_mod.Linear(5, 8, dtype=dtype), nn_mod.BatchNorm1d(8, dtype=dtype), nn_mod.Tanh(),
                             nn_mod.Linear(8, 3, dtype=dtype))


CONFIGS = [
    ("sgd", optim.SGD, "SGD", dict(lr=0.1)),
    ("sgd-momentum", optim.SGD, "SGD", dict(lr=0.1, momentum=0.9)),
    ("sgd-dampening", optim.SGD, "SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("sgd-nesterov", optim.SGD, "SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("sgd-weight-decay", optim.SGD, "SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.1)),
    ("adam", optim.Adam, "Adam", dict(lr=0.01)),
    ("adam-wd-betas", optim.Adam, "Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("adam-amsgrad", optim.Adam, "Adam", dict(lr=0.01, amsgrad=True)),
    ("adamw", optim.AdamW, "AdamW", dict(lr=0.01)),
    ("adamw-wd", optim.AdamW, "AdamW", dict(lr=0.01, weight_decay=0.5)),
]


@pytest.mark.parametrize("name,ours_cls,torch_name,kw", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_trajectory_matches_torch(name, ours_cls, torch_name, kw):
    torch = pytest.importorskip("torch")
    ours = build(minigrad, nn, minigrad.float64)
    theirs = build(torch, torch.nn, torch.float64)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    opt_o = ours_cls(ours.parameters(), **kw)
    opt_t = getattr(torch.optim, torch_name)(theirs.parameters(), **kw)
    x, y = minigrad.tensor(X), minigrad.tensor(Y)
    xt, yt = torch.tensor(X), torch.tensor(Y)
    for step in range(10):
        opt_o.zero_grad()
        F.cross_entropy(ours(x), y).backward()
        opt_o.step()
        opt_t.zero_grad()
        torch.nn.functional.cross_entropy(theirs(xt), yt).backward()
        opt_t.step()
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-8, atol=1e-10, err_msg=k)


def test_sgd_first_momentum_buffer_is_the_grad():
    w = minigrad.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.5)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"], [2.0, -4.0])  # not 0.5 * grad
    np.testing.assert_allclose(w.numpy(), [0.8, -1.6], rtol=1e-6)


@pytest.mark.parametrize("name,ours_cls,torch_name,kw", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_float32_stays_float32_with_numpy_hyperparameters(device, name, ours_cls, torch_name, kw):
    """R2.7: np.float64 learning rates (and other numbers) never turn float32 weights float64."""
    model = nn.Linear(4, 3).to(device)
    kw = {k: (np.float64(v) if isinstance(v, float) else v) for k, v in kw.items()}
    opt = ours_cls(model.parameters(), **kw)
    opt.param_groups[0]["lr"] = np.float64(kw["lr"])  # as a hand-written schedule might do
    for _ in range(2):
        opt.zero_grad()
        model(minigrad.randn(6, 4, device=device)).sum().backward()
        opt.step()
    for p in model.parameters():
        assert p.dtype == np.float32 and p.device == device
    for s in opt.state.values():
        for v in s.values():
            assert not hasattr(v, "dtype") or v.dtype == np.float32


def test_step_updates_in_place_and_bumps_version():
    fc = nn.Linear(3, 2)
    w, arr, v = fc.weight, fc.weight.array, fc.weight._version
    opt = optim.SGD(fc.parameters(), lr=0.1)
    fc(minigrad.randn(4, 3)).sum().backward()
    opt.step()
    assert fc.weight is w and fc.weight.array is arr and w._version == v + 1


def test_update_after_backward_does_not_corrupt_a_saved_graph():
    """R2.9: a graph built before step() refuses to backward instead of using the new weights."""
    fc = nn.Linear(3, 2)
    opt = optim.SGD(fc.parameters(), lr=0.1)
    y = fc(minigrad.randn(4, 3, requires_grad=True)).sum()
    fc(minigrad.randn(4, 3)).sum().backward()
    opt.step()
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_params_without_grad_are_skipped():
    a, b = minigrad.ones(2, requires_grad=True), minigrad.ones(2, requires_grad=True)
    opt = optim.SGD([a, b], lr=1.0, momentum=0.9, weight_decay=0.1)
    (a * 2).sum().backward()
    opt.step()
    np.testing.assert_array_equal(b.numpy(), 1)
    assert b not in opt.state


def test_zero_grad():
    fc = nn.Linear(3, 2)
    opt = optim.Adam(fc.parameters())
    fc(minigrad.randn(4, 3)).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in fc.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in fc.parameters())


@pytest.mark.parametrize("make,match", [
    (lambda p: optim.SGD(p, lr=-1), "learning rate"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.1), "momentum"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), "weight_decay"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), "beta parameter at index 0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "beta parameter at index 1"),
    (lambda p: optim.Adam(p, eps=-1e-8), "epsilon"),
    (lambda p: optim.AdamW(p, lr=float("nan")), "learning rate"),
    (lambda p: optim.SGD([], lr=0.1), "empty parameter list"),
    (lambda p: optim.SGD(p + p, lr=0.1), "more than one parameter group"),
    (lambda p: optim.SGD([p[0] * 2], lr=0.1), "non-leaf"),
])
def test_invalid_arguments_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make(list(nn.Linear(2, 2).parameters()))


def test_param_groups_have_their_own_hyperparameters():
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    opt = optim.SGD([{"params": a.parameters()}, {"params": b.parameters(), "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert all(g["momentum"] == 0.9 for g in opt.param_groups)
    wa, wb = a.weight.numpy().copy(), b.weight.numpy().copy()
    x = minigrad.randn(3, 2)
    (a(x).sum() + b(x).sum()).backward()
    ga, gb = a.weight.grad.numpy(), b.weight.grad.numpy()
    opt.step()
    np.testing.assert_allclose(a.weight.numpy(), wa - 0.1 * ga, rtol=1e-6)
    np.testing.assert_allclose(b.weight.numpy(), wb - 0.5 * gb, rtol=1e-6)


@pytest.mark.parametrize("cls,kw", [(optim.SGD, dict(lr=0.1, momentum=0.9)), (optim.Adam, dict(lr=0.01))])
def test_state_dict_round_trip_continues_identically(cls, kw):
    def run(model, opt, steps, seed):
        rng = np.random.default_rng(seed)
        for _ in range(steps):
            opt.zero_grad()
            model(minigrad.tensor(rng.standard_normal((4, 3)).astype(np.float32))).sum().backward()
            opt.step()

    minigrad.manual_seed(0)
    a = nn.Linear(3, 2)
    opt_a = cls(a.parameters(), **kw)
    run(a, opt_a, 3, 0)
    b = nn.Linear(3, 2)
    b.load_state_dict(a.state_dict())
    opt_b = cls(b.parameters(), **kw)
    opt_b.load_state_dict(opt_a.state_dict())
    run(a, opt_a, 3, 1)
    run(b, opt_b, 3, 1)
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    with pytest.raises(ValueError, match="parameter groups"):
        opt_b.load_state_dict({"state": {}, "param_groups": []})


def test_step_lr_matches_torch():
    torch = pytest.importorskip("torch")
    ours = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=0.5)
    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    so, st = optim.StepLR(ours, step_size=3, gamma=0.3), torch.optim.lr_scheduler.StepLR(theirs, 3, gamma=0.3)
    for _ in range(10):
        assert so.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-12)
        ours.step(), theirs.step()
        so.step(), st.step()
    assert isinstance(ours.param_groups[0]["lr"], float)
    with pytest.raises(ValueError, match="step_size"):
        optim.StepLR(ours, step_size=0)


def test_repr():
    text = repr(optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1))
    assert text.startswith("SGD (") and "lr: 0.1" in text and "momentum: 0.0" in text


def test_zero_grad_without_none_clears_nan_and_inf(device):
    """zero_grad(set_to_none=False) must give exact zeros: grad * 0 keeps NaN after a bad step."""
    w = minigrad.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    w.grad = minigrad.tensor([np.nan, np.inf, -1.0], device=device)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros(3))
    assert w.grad.dtype == w.dtype and w.grad.device == w.device
