"""CyclicLR: 40-step trajectories of the learning rate and the momentum (SGD's, Adam's beta1) of
three parameter groups equal PyTorch's for every mode, a custom scale_fn in both scale modes,
lists of bounds and uneven up/down steps, also when resumed from state_dicts; torch's errors."""

import pytest

import minigrad
from minigrad import optim

STEPS = 40


def _groups(lib):
    ps = [lib.zeros(n, requires_grad=True) for n in (2, 3, 1)]
    return [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.3}, {"params": [ps[2]], "momentum": 0.5}]


class Halving:
    """A callable-object scale function: its attributes travel in the state_dict, as in torch."""

    def __init__(self):
        self.base = 2.0

    def __call__(self, x):
        return 1 / (self.base ** (x - 1))


CASES = {
    "triangular": dict(base_lr=0.01, max_lr=0.1, step_size_up=4),
    "triangular_uneven": dict(base_lr=[0.01, 0.02, 0.005], max_lr=[0.1, 0.5, 0.05], step_size_up=3,
                              step_size_down=7),
    "triangular2": dict(base_lr=0.01, max_lr=0.2, step_size_up=2, step_size_down=5, mode="triangular2"),
    "exp_range": dict(base_lr=[0.01, 0.02, 0.03], max_lr=0.4, step_size_up=5, mode="exp_range", gamma=0.93),
    "scale_fn_cycle": dict(base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=lambda c: 0.8 ** c),
    "scale_fn_iterations": dict(base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=lambda i: 1 / (1 + 0.1 * i),
                                scale_mode="iterations"),
    "callable_object": dict(base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=Halving()),
    "momentum_lists": dict(base_lr=0.01, max_lr=0.1, step_size_up=6, step_size_down=2,
                           base_momentum=[0.7, 0.8, 0.6], max_momentum=[0.95, 0.9, 0.85]),
    "no_momentum_cycle": dict(base_lr=0.01, max_lr=0.1, step_size_up=4, cycle_momentum=False),
    "mode_ignored_with_scale_fn": dict(base_lr=0.01, max_lr=0.1, step_size_up=4, mode="nonsense",
                                       scale_fn=lambda c: 0.5),
}


def _trajectory(lib, kwargs, adam=False, reload_at=None):
    def build():
        opt = (lib.optim.Adam(_groups(lib), lr=0.1) if adam
               else lib.optim.SGD(_groups(lib), lr=0.1, momentum=0.9))
        return opt, lib.optim.lr_scheduler.CyclicLR(opt, **kwargs)

    opt, sched = build()
    key = "betas" if adam else "momentum"
    out = []
    for step in range(STEPS):
        out.append([(g["lr"], g[key]) for g in opt.param_groups])
        assert list(sched.get_last_lr()) == [g["lr"] for g in opt.param_groups]
        opt.step()
        sched.step()
        if step == reload_at:
            state, sstate = opt.state_dict(), sched.state_dict()
            opt, sched = build()
            opt.load_state_dict(state)
            sched.load_state_dict(sstate)
    return out


@pytest.mark.parametrize("name", CASES)
def test_trajectory_equals_torch(name):
    torch = pytest.importorskip("torch")
    want = _trajectory(torch, CASES[name])
    got = _trajectory(minigrad, CASES[name])
    assert got == want  # the same formula in the same order: equal to the last bit
    lrs = [lr for step in got for lr, _ in step]
    assert len(set(lrs)) > 3  # it really cycles


def test_trajectory_with_adam_cycles_beta1_as_torch():
    torch = pytest.importorskip("torch")
    kw = dict(base_lr=0.001, max_lr=0.01, step_size_up=5, mode="triangular2", base_momentum=0.85, max_momentum=0.95)
    assert _trajectory(minigrad, kw, adam=True) == _trajectory(torch, kw, adam=True)


@pytest.mark.parametrize("name", ["triangular_uneven", "exp_range", "callable_object"])
def test_resuming_from_state_dicts_equals_torch(name):
    torch = pytest.importorskip("torch")
    want = _trajectory(torch, CASES[name], reload_at=13)
    assert _trajectory(minigrad, CASES[name], reload_at=13) == want
    assert want == _trajectory(torch, CASES[name])  # (resuming changes nothing)


def test_state_dict_of_a_callable_object_carries_its_attributes():
    opt = optim.SGD(_groups(minigrad), lr=0.1, momentum=0.9)
    fn = Halving()
    fn.base = 3.0
    sched = optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=2, scale_fn=fn)
    state = sched.state_dict()
    assert state["_scale_fn_custom"] == {"base": 3.0}
    other = optim.lr_scheduler.CyclicLR(optim.SGD(_groups(minigrad), lr=0.1, momentum=0.9), 0.01, 0.1,
                                        step_size_up=2, scale_fn=Halving())
    other.load_state_dict(state)
    assert other._scale_fn_custom.base == 3.0
    lam = optim.lr_scheduler.CyclicLR(optim.SGD(_groups(minigrad), lr=0.1, momentum=0.9), 0.01, 0.1,
                                      scale_fn=lambda c: 1.0)
    assert lam.state_dict()["_scale_fn_custom"] is None  # a function is not saved


def test_errors_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (minigrad, torch):
        sgd = lib.optim.SGD(_groups(lib), lr=0.1, momentum=0.9)
        with pytest.raises(ValueError, match="mode is invalid"):
            lib.optim.lr_scheduler.CyclicLR(sgd, 0.01, 0.1, mode="triangle")
        with pytest.raises(ValueError, match="same length"):
            lib.optim.lr_scheduler.CyclicLR(sgd, [0.01, 0.02], 0.1)
        with pytest.raises(ValueError, match="same length"):
            lib.optim.lr_scheduler.CyclicLR(sgd, 0.01, 0.1, max_momentum=[0.9])
        with pytest.raises(TypeError):
            lib.optim.lr_scheduler.CyclicLR(object(), 0.01, 0.1)
        adagrad = lib.optim.Adagrad([lib.zeros(1, requires_grad=True)], lr=0.1)
        with pytest.raises(ValueError, match="momentum"):
            lib.optim.lr_scheduler.CyclicLR(adagrad, 0.01, 0.1)
        lib.optim.lr_scheduler.CyclicLR(adagrad, 0.01, 0.1, cycle_momentum=False)  # fine without momentum


def test_momentum_is_set_even_when_sgd_had_none_as_torch():
    torch = pytest.importorskip("torch")
    got, want = [], []
    for lib, out in ((minigrad, got), (torch, want)):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)  # momentum 0
        lib.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=2)
        out.append(opt.param_groups[0]["momentum"])
    assert got == want == [0.9]
