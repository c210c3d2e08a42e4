"""Optimizers: 10-step trajectories equal torch.optim's in float64 (SGD variants, Adam, AdamW,
Adagrad, Adadelta, RMSprop, each with its options),
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
    """The same small model in either framework (PyTorch's nn or ours). The first Linear has no
    bias: BatchNorm right after it makes that bias's gradient zero up to rounding noise, which
    Adagrad (eps=1e-10) would scale up to a visible, meaningless difference."""
    return nn_mod.Sequential(nn_mod.Linear(5, 8, bias=False, dtype=dtype), nn_mod.BatchNorm1d(8, dtype=dtype), nn_mod.Tanh(),
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
    ("sgd-maximize", optim.SGD, "SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True)),
    ("adam-maximize", optim.Adam, "Adam", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("adagrad", optim.Adagrad, "Adagrad", dict(lr=0.1)),
    ("adagrad-all", optim.Adagrad, "Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1,
                                                   initial_accumulator_value=0.3, eps=1e-6)),
    ("adagrad-maximize", optim.Adagrad, "Adagrad", dict(lr=0.05, maximize=True)),
    ("adadelta", optim.Adadelta, "Adadelta", dict()),
    ("adadelta-all", optim.Adadelta, "Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    ("adadelta-maximize", optim.Adadelta, "Adadelta", dict(lr=0.5, maximize=True)),
    ("rmsprop", optim.RMSprop, "RMSprop", dict(lr=0.01)),
    ("rmsprop-momentum", optim.RMSprop, "RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.8, weight_decay=0.1)),
    ("rmsprop-centered", optim.RMSprop, "RMSprop", dict(lr=0.01, centered=True, eps=1e-6)),
    ("rmsprop-centered-momentum", optim.RMSprop, "RMSprop", dict(lr=0.01, centered=True, momentum=0.5,
                                                                   maximize=True)),
]


def _step_both(ours, opt_o, theirs, opt_t):
    """One training step on (X, Y) of the same model, in minigrad and in torch."""
    import torch

    opt_o.zero_grad()
    F.cross_entropy(ours(minigrad.tensor(X)), minigrad.tensor(Y)).backward()
    opt_o.step()
    opt_t.zero_grad()
    torch.nn.functional.cross_entropy(theirs(torch.tensor(X)), torch.tensor(Y)).backward()
    opt_t.step()


@pytest.mark.parametrize("name,ours_cls,torch_name,kw", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_trajectory_matches_torch(name, ours_cls, torch_name, kw):
    torch = pytest.importorskip("torch")
    ours = build(minigrad, nn, minigrad.float64)
    theirs = build(torch, torch.nn, torch.float64)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    opt_o = ours_cls(ours.parameters(), **kw)
    opt_t = getattr(torch.optim, torch_name)(theirs.parameters(), **kw)
    for step in range(10):
        _step_both(ours, opt_o, theirs, opt_t)
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
    opt.param_groups[0]["lr"] = np.float64(opt.param_groups[0]["lr"])  # as a hand-written schedule might do
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


def test_old_import_paths_still_work():
    from minigrad.optim import SGD, Adam, AdamW, StepLR  # noqa: F401
    from minigrad.optim.lr_scheduler import StepLR as S2

    assert S2 is StepLR and optim.lr_scheduler.StepLR is optim.StepLR


def test_step_returns_the_closures_loss_and_runs_it_with_grad():
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with minigrad.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6])


def test_every_optimizer_goes_through_the_base_step():
    """The loop over groups is in Optimizer.step, so one check there serves every optimizer."""
    for cls in (optim.SGD, optim.Adam, optim.AdamW, optim.Adagrad, optim.Adadelta, optim.RMSprop):
        assert cls.step is optim.Optimizer.step, cls.__name__


@pytest.mark.parametrize("make,match", [
    (lambda p: optim.Adagrad(p, lr_decay=-1), "lr_decay"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), "initial_accumulator_value"),
    (lambda p: optim.Adadelta(p, rho=1.5), "rho"),
    (lambda p: optim.RMSprop(p, momentum=-1), "momentum"),
    (lambda p: optim.RMSprop(p, alpha=-1), "alpha"),
    (lambda p: optim.RMSprop(p, eps=-1), "epsilon"),
    (lambda p: optim.Adagrad(p, eps=-1), "epsilon"),
    (lambda p: optim.Adadelta(p, eps=-1), "epsilon"),
    (lambda p: optim.Adam(p, eps=float("nan")), "epsilon"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=float("nan")), "weight_decay"),
    # every group is checked, not only the defaults
    (lambda p: optim.Adam([{"params": p[:1]}, {"params": p[1:], "eps": -1.0}]), "epsilon"),
    (lambda p: optim.RMSprop([{"params": p[:1]}, {"params": p[1:], "alpha": -0.5}]), "alpha"),
])
def test_new_optimizers_check_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make(list(nn.Linear(2, 2).parameters()))


# ***** schedulers: the lr sequence, and the trajectory of an optimizer they drive, equal torch's *****

SCHEDULERS = [
    ("step", "StepLR", dict(step_size=3, gamma=0.3)),
    ("multistep", "MultiStepLR", dict(milestones=[2, 5, 5, 8], gamma=0.5)),
    ("exponential", "ExponentialLR", dict(gamma=0.8)),
    ("cosine", "CosineAnnealingLR", dict(T_max=4, eta_min=0.01)),  # 20 steps: up and down twice
    ("lambda", "LambdaLR", dict(lr_lambda=lambda e: 1 / (1 + e))),
    ("onecycle", "OneCycleLR", dict(max_lr=0.5, total_steps=20)),
    ("onecycle-3phase-linear", "OneCycleLR", dict(max_lr=[0.5, 0.2], total_steps=20, pct_start=0.25,
                                                   anneal_strategy="linear", three_phase=True)),
    ("onecycle-adam", "OneCycleLR", dict(max_lr=0.05, epochs=4, steps_per_epoch=5, base_momentum=0.8)),
]


def _two_groups(lib, model, opt_name):
    params = list(model.parameters())
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": 0.05}]
    if opt_name == "Adam":
        return lib.optim.Adam(groups, lr=0.01)
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


@pytest.mark.parametrize("name,sched_name,kw", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_scheduler_drives_optimizer_like_torch(name, sched_name, kw):
    torch = pytest.importorskip("torch")
    opt_name = "Adam" if name.endswith("adam") else "SGD"
    ours = build(minigrad, nn, minigrad.float64)
    theirs = build(torch, torch.nn, torch.float64)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    opt_o, opt_t = _two_groups(minigrad, ours, opt_name), _two_groups(torch, theirs, opt_name)
    s_o = getattr(optim.lr_scheduler, sched_name)(opt_o, **kw)
    s_t = getattr(torch.optim.lr_scheduler, sched_name)(opt_t, **kw)
    for step in range(20):
        assert s_o.get_last_lr() == pytest.approx(s_t.get_last_lr(), rel=1e-12, abs=1e-15), step
        for g_o, g_t in zip(opt_o.param_groups, opt_t.param_groups):
            for key in ("momentum", "betas"):
                if key in g_t:
                    assert g_o[key] == pytest.approx(g_t[key], rel=1e-12), (step, key)
        _step_both(ours, opt_o, theirs, opt_t)
        if step < 19 or not name.startswith("onecycle"):  # OneCycleLR: total_steps steps in all
            s_o.step()
            s_t.step()
    assert s_o.last_epoch == s_t.last_epoch
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-8, atol=1e-10, err_msg=k)


def test_onecycle_refuses_to_step_past_total_steps():
    opt = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    sched.step(), sched.step(), sched.step()
    with pytest.raises(ValueError, match="total steps is 3"):
        sched.step()
    with pytest.raises(ValueError, match="momentum"):
        optim.lr_scheduler.OneCycleLR(optim.Adagrad([minigrad.zeros(1, requires_grad=True)]), max_lr=1.0,
                                      total_steps=3)


@pytest.mark.parametrize("kw", [
    dict(),
    dict(mode="max", factor=0.5, patience=1, threshold=0.1, threshold_mode="abs", cooldown=2, min_lr=0.02),
    dict(patience=0, min_lr=[0.0, 0.04], eps=1e-3),
])
def test_reduce_on_plateau_matches_torch(kw):
    torch = pytest.importorskip("torch")
    metrics = [5.0, 4.0, 4.0, 3.9999, 4.1, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 2.0,
               2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5]

    def make(lib):
        a, b = lib.zeros(1, requires_grad=True), lib.zeros(1, requires_grad=True)
        opt = lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.3}], lr=0.1)
        return opt, lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)

    (_, ours), (_, theirs) = make(minigrad), make(torch)
    for i, m in enumerate(metrics):
        ours.step(minigrad.tensor(m) if i % 2 else m)
        theirs.step(m)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12), i
        assert (ours.num_bad_epochs, ours.cooldown_counter) == (theirs.num_bad_epochs, theirs.cooldown_counter)


def test_scheduler_state_dict_resumes_the_schedule():
    def make():
        opt = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
        return opt, optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=0.1)

    opt_a, a = make()
    for _ in range(3):
        opt_a.step(), a.step()
    opt_b, b = make()
    opt_b.load_state_dict(opt_a.state_dict())
    b.load_state_dict(a.state_dict())
    assert "optimizer" not in a.state_dict() and a.state_dict()["last_epoch"] == 3
    for _ in range(5):
        opt_a.step(), a.step(), opt_b.step(), b.step()
        assert a.get_last_lr() == b.get_last_lr()
    lam = optim.lr_scheduler.LambdaLR(make()[0], lambda e: 0.5)
    assert "lr_lambdas" not in lam.state_dict()


def test_resuming_needs_initial_lr():
    opt = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(KeyError, match="initial_lr"):
        optim.lr_scheduler.ExponentialLR(opt, gamma=0.5, last_epoch=4)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2)
    resumed = optim.lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)  # continues from epoch 3
    assert resumed.last_epoch == 4 and sched.base_lrs == resumed.base_lrs == [1.0]
