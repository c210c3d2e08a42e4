"""The warm-up and restart schedulers (ConstantLR, LinearLR, MultiplicativeLR, PolynomialLR,
CosineAnnealingWarmRestarts, SequentialLR, ChainedScheduler): the learning rates of 30 epochs
equal PyTorch's, with two parameter groups, also through state_dict; closed forms; errors."""

import math

import pytest

import minigrad
from minigrad import optim
from minigrad.optim import lr_scheduler as ours


def _groups(lib):
    a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    return [{"params": [a]}, {"params": [b], "lr": 0.3}]


# each: a function (lr_scheduler module, optimizer) -> scheduler
CASES = {
    "constant": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=4),
    "linear": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=7),
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9 if e % 2 else 1.05),
    "polynomial": lambda m, o: m.PolynomialLR(o, total_iters=12, power=1.7),
    "warm_restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01),
    "warm_restarts_1": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=4),
    "sequential_warmup_cosine": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=20, eta_min=0.001)], [5]),
    "sequential_three": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, 0.5, total_iters=3), m.ExponentialLR(o, 0.8), m.StepLR(o, 4, 0.5)], [3, 10]),
    "sequential_multistep": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, 0.2, total_iters=4), m.MultiStepLR(o, [6, 12], 0.3)], [4]),
    "chained": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, 0.5, total_iters=3), m.ExponentialLR(o, 0.9)]),
    "chained_poly_linear": lambda m, o: m.ChainedScheduler([m.LinearLR(o, 0.5, total_iters=6),
                                                             m.PolynomialLR(o, total_iters=20, power=2.0)]),
}


def _trajectory(lib, make, epochs=30, reload_at=None):
    opt = lib.optim.SGD(_groups(lib), lr=1.0, momentum=0.9)
    sched = make(lib.optim.lr_scheduler, opt)
    lrs = []
    for epoch in range(epochs):
        lrs.append(list(sched.get_last_lr()))
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(lrs[-1], rel=1e-12)
        opt.step()
        sched.step()
        if epoch == reload_at:  # a fresh optimizer and scheduler, resumed from the state_dicts
            state, sstate = opt.state_dict(), sched.state_dict()
            opt = lib.optim.SGD(_groups(lib), lr=1.0, momentum=0.9)
            sched = make(lib.optim.lr_scheduler, opt)
            opt.load_state_dict(state)
            sched.load_state_dict(sstate)
    return lrs


@pytest.mark.parametrize("name", CASES)
def test_learning_rates_match_torch(name):
    torch = pytest.importorskip("torch")
    want = _trajectory(torch, CASES[name])
    got = _trajectory(minigrad, CASES[name])
    for epoch, (g, w) in enumerate(zip(got, want)):
        assert g == pytest.approx(w, rel=1e-10, abs=1e-15), f"{name}: epoch {epoch}: {g} vs torch {w}"


@pytest.mark.parametrize("name", [n for n in CASES if n != "multiplicative"])  # its lambda is not saved (torch too)
def test_resuming_from_state_dicts_continues_the_same_trajectory(name):
    resumed, straight = _trajectory(minigrad, CASES[name], reload_at=9), _trajectory(minigrad, CASES[name])
    assert sum(resumed, []) == pytest.approx(sum(straight, []), rel=1e-12)


def test_warm_restarts_with_fractional_epochs_per_batch_match_torch():
    torch = pytest.importorskip("torch")

    def run(lib):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.5)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3, eta_min=0.05)
        lrs = []
        for epoch in range(12):
            for i in range(5):
                opt.step()
                sched.step(epoch + i / 5)  # the documented per-batch idiom
                lrs.append(sched.get_last_lr()[0])
        return lrs

    assert run(minigrad) == pytest.approx(run(torch), rel=1e-12)


def test_closed_forms_without_torch():
    opt = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=2.0)
    lin = ours.LinearLR(opt, start_factor=0.5, total_iters=4)
    got = []
    for _ in range(6):
        got.append(lin.get_last_lr()[0])
        opt.step()
        lin.step()
    assert got == pytest.approx([1.0, 1.25, 1.5, 1.75, 2.0, 2.0])
    opt = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    sgdr = ours.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    got = []
    for _ in range(7):
        got.append(sgdr.get_last_lr()[0])
        sgdr.step()
    # periods of 2, then 4 epochs; each starts at the base lr
    want = [1.0, 0.5, 1.0, (1 + math.cos(math.pi / 4)) / 2, 0.5, (1 + math.cos(3 * math.pi / 4)) / 2, 1.0]
    assert got == pytest.approx(want)
    opt = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    seq = ours.SequentialLR(opt, [ours.ConstantLR(opt, 0.1, total_iters=10), ours.ExponentialLR(opt, 0.5)], [2])
    got = []
    for _ in range(4):
        got.append(seq.get_last_lr()[0])
        seq.step()
    assert got == pytest.approx([0.1, 0.1, 1.0, 0.5])  # the second starts again from the base lr


def test_scheduler_errors():
    opt = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    other = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match="factor"):
        ours.ConstantLR(opt, factor=1.5)
    with pytest.raises(ValueError, match="start_factor"):
        ours.LinearLR(opt, start_factor=0.0)
    with pytest.raises(ValueError, match="T_0"):
        ours.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="T_mult"):
        ours.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0)
    with pytest.raises(ValueError, match="milestones"):
        ours.SequentialLR(opt, [ours.ConstantLR(opt), ours.ExponentialLR(opt, 0.9)], [2, 4])
    with pytest.raises(ValueError, match="another optimizer"):
        ours.SequentialLR(opt, [ours.ConstantLR(opt), ours.ExponentialLR(other, 0.9)], [2])
    with pytest.raises(ValueError, match="same optimizer"):
        ours.ChainedScheduler([ours.ConstantLR(opt), ours.ExponentialLR(other, 0.9)])
