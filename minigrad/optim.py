"""Optimizers (SGD, Adam, AdamW) and a learning-rate scheduler (StepLR), shaped like torch.optim.

An optimizer updates `p.array` in place (and calls `p.bump_version()`, so a graph that saved the old
values refuses to backward). Hyperparameters are plain Python floats: NumPy 2 would turn a
float32 parameter into float64 if a np.float64 learning rate reached the arithmetic.
State (momentum buffers, Adam moments) is kept as raw arrays on the parameter's device, in
`optimizer.state[p]`.

    >>> import minigrad
    >>> from minigrad import nn, optim
    >>> model = nn.Linear(3, 1)
    >>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> loss = model(minigrad.ones(4, 3)).sum()
    >>> loss.backward()
    >>> opt.step()
    >>> opt.zero_grad()
    >>> model.weight.grad is None
    True
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import backend
from .tensor import Tensor
from .tensor import zero_grad as _zero_grad  # one rule for Optimizer and Module


class Optimizer:
    """Base class: holds `param_groups` (a list of dicts, each with 'params' and the group's
    hyperparameters) and `state` (per-parameter dicts). Subclasses implement `step()`.

    Args:
        params: an iterable of Tensors, or of dicts {'params': [...], 'lr': ..., ...} whose
            missing hyperparameters come from `defaults`.
        defaults: the default hyperparameters.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, group: dict) -> None:
        group = dict(group)
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (it is the output of an op)")
            if id(p) in seen:
                raise ValueError("some parameters appear in more than one parameter group")
            seen.add(id(p))
        group["params"] = params
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict) -> None:
        if not group["lr"] >= 0.0:
            raise ValueError(f"Invalid learning rate: {group['lr']}")
        if group.get("weight_decay", 0.0) < 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set `.grad` to None (default, as PyTorch 2) or to zeros in
        place (see minigrad.tensor.zero_grad)."""
        _zero_grad([p for g in self.param_groups for p in g["params"]], set_to_none)

    def step(self) -> None:
        raise NotImplementedError

    def __init_subclass__(cls, **kwargs):
        # every optimizer's step() validates all gradients before it changes anything (a
        # subclass's step is wrapped once, here, so new optimizers get the check for free)
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_checks_grads", False):
            @functools.wraps(step)
            def checked_step(self, *args, **kwargs):
                self.check_grads()
                return step(self, *args, **kwargs)
            checked_step._checks_grads = True
            cls.step = checked_step

    def check_grads(self) -> None:
        """Raise, naming the parameter, unless every `.grad` has its parameter's shape, dtype
        and device. step() calls it first, so a bad gradient changes no parameter and no state
        (a wrong but broadcastable shape would otherwise be applied silently)."""
        for gi, group in enumerate(self.param_groups):
            for pi, p in enumerate(group["params"]):
                if p.grad is None:
                    continue
                g, a = p.grad.array, p.array  # NOTE: raw arrays, not properties: runs every step
                if g.shape == a.shape and g.dtype == a.dtype and (type(g) is type(a) is np.ndarray or
                                                                   p.grad.device == p.device):
                    continue
                g = p.grad
                raise RuntimeError(
                    f"{type(self).__name__}.step: parameter {pi} of group {gi} is {tuple(p.shape)} "
                    f"{p.dtype} on {p.device!r} but its .grad is {tuple(g.shape)} {g.dtype} on "
                    f"{g.device!r}; nothing was updated")

    def state_dict(self) -> dict:
        """{'state': {index: {name: host array or number}}, 'param_groups': [{..., 'params':
        [indices]}]}, as PyTorch (parameters are named by their position)."""
        index = {id(p): i for i, p in enumerate(p for g in self.param_groups for p in g["params"])}
        state = {
            index[id(p)]: {k: (backend.to_numpy(v).copy() if hasattr(v, "shape") else v) for k, v in s.items()}
            for p, s in self.state.items()
        }
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
                  for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and state saved by `state_dict()` for the same parameters.
        Everything is checked before anything changes."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(groups)} parameter groups, optimizer has "
                             f"{len(self.param_groups)}")
        params = [p for g in self.param_groups for p in g["params"]]
        for g, mine in zip(groups, self.param_groups):
            if len(g["params"]) != len(mine["params"]):
                raise ValueError("loaded state dict has a parameter group of a different size")
        for i, s in state_dict["state"].items():
            i = int(i)
            if not 0 <= i < len(params):
                raise ValueError(f"loaded state refers to parameter {i}; the optimizer has {len(params)}")
            for k, v in s.items():
                if hasattr(v, "shape") and v.ndim and tuple(v.shape) != params[i].shape:
                    raise ValueError(f"state {k!r} of parameter {i} has shape {tuple(v.shape)}, "
                                     f"the parameter {params[i].shape}")
        for g, mine in zip(groups, self.param_groups):
            mine.update({k: v for k, v in g.items() if k != "params"})
        self.state = {}
        for i, s in state_dict["state"].items():
            p = params[int(i)]
            self.state[p] = {k: (backend.to_device(v, p.device).astype(p.dtype, copy=True)
                                 if hasattr(v, "shape") and v.ndim else v) for k, v in s.items()}

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def _grads(group):
    """(parameter, gradient array) for each parameter of the group that has a gradient."""
    return [(p, p.grad.array) for p in group["params"] if p.grad is not None]


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, following torch.optim.SGD exactly:

        g = grad + weight_decay * p
        buf = g                                   (first step)
        buf = momentum * buf + (1 - dampening) * g (later steps)
        g = g + momentum * buf if nesterov else buf
        p = p - lr * g

    Example:
        >>> import minigrad
        >>> from minigrad import optim
        >>> w = minigrad.tensor([1.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.5)
        >>> (w * w).sum().backward(); opt.step()    # w - 0.5 * 2w
        >>> w
        tensor([0.], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=float(lr), momentum=float(momentum), dampening=float(dampening),
                                      weight_decay=float(weight_decay), nesterov=bool(nesterov)))

    def step(self) -> None:
        for group in self.param_groups:
            lr, mom, wd = float(group["lr"]), float(group["momentum"]), float(group["weight_decay"])
            damp, nesterov = float(group["dampening"]), group["nesterov"]
            for p, g in _grads(group):
                if wd != 0:
                    g = g + wd * p.array
                if mom != 0:
                    state = self.state.setdefault(p, {})
                    buf = state.get("momentum_buffer")
                    if buf is None:  # PyTorch: the first buffer is the gradient itself
                        buf = state["momentum_buffer"] = g.copy()
                    else:
                        buf *= mom
                        buf += (1 - damp) * g if damp else g
                    g = g + mom * buf if nesterov else buf
                p.array -= lr * g
                p.bump_version()  # the in-place change a saved graph must notice


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015), following torch.optim.Adam:

        g = grad + weight_decay * p
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    `amsgrad=True` uses the running maximum of v.

    Example:
        >>> import minigrad
        >>> from minigrad import optim
        >>> w = minigrad.tensor([1.0], requires_grad=True)
        >>> opt = optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()   # the first step moves by about lr
        >>> round(w.item(), 4)
        0.9
    """

    _decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False):
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {b}")
        super().__init__(params, dict(lr=float(lr), betas=(float(betas[0]), float(betas[1])), eps=float(eps),
                                      weight_decay=float(weight_decay), amsgrad=bool(amsgrad)))

    def step(self) -> None:
        for group in self.param_groups:
            lr, eps, wd = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
            b1, b2 = (float(b) for b in group["betas"])
            for p, g in _grads(group):
                state = self.state.setdefault(p, {})
                if not state:
                    xp = backend.get_array_module(p.array)
                    state.update(step=0, exp_avg=xp.zeros_like(p.array), exp_avg_sq=xp.zeros_like(p.array))
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = xp.zeros_like(p.array)
                if wd != 0:
                    if self._decoupled:  # AdamW: shrink the weights, not the gradient
                        p.array *= 1 - lr * wd
                    else:
                        g = g + wd * p.array
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m *= b1
                m += (1 - b1) * g
                v *= b2
                v += (1 - b2) * (g * g)
                if group["amsgrad"]:
                    vmax = state["max_exp_avg_sq"]
                    backend.get_array_module(v).maximum(vmax, v, out=vmax)
                    v = vmax
                denom = backend.get_array_module(v).sqrt(v)
                denom /= math.sqrt(1 - b2**t)
                denom += eps
                p.array -= (lr / (1 - b1**t)) * (m / denom)
                p.bump_version()  # the in-place change a saved graph must notice


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019): p = p * (1 - lr * wd)
    before the Adam step. Same as torch.optim.AdamW (weight_decay defaults to 1e-2).

    >>> import minigrad
    >>> from minigrad import optim
    >>> w = minigrad.tensor([1.0], requires_grad=True)
    >>> optim.AdamW([w], lr=0.1).defaults["weight_decay"]
    0.01
    """

    _decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


class StepLR:
    """Multiply each group's learning rate by `gamma` every `step_size` calls of `step()`.
    Same as torch.optim.lr_scheduler.StepLR. Call `scheduler.step()` once per epoch, after
    `optimizer.step()`.

    >>> import minigrad
    >>> from minigrad import optim
    >>> opt = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(sched.get_last_lr()[0]); sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        if int(step_size) < 1:
            raise ValueError(f"step_size must be a positive integer, got {step_size}")
        self.optimizer, self.step_size, self.gamma = optimizer, int(step_size), float(gamma)
        for g in optimizer.param_groups:
            g.setdefault("initial_lr", float(g["lr"]))
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_last_lr(self) -> list[float]:
        return [float(g["lr"]) for g in self.optimizer.param_groups]

    def step(self) -> None:
        self.last_epoch += 1
        factor = self.gamma ** (self.last_epoch // self.step_size)
        for g, base in zip(self.optimizer.param_groups, self.base_lrs):
            g["lr"] = base * factor

    def state_dict(self) -> dict:
        return {"step_size": self.step_size, "gamma": self.gamma, "last_epoch": self.last_epoch,
                "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state_dict: dict) -> None:
        self.step_size, self.gamma = int(state_dict["step_size"]), float(state_dict["gamma"])
        self.last_epoch, self.base_lrs = int(state_dict["last_epoch"]), list(state_dict["base_lrs"])
