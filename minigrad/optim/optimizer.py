"""The optimizer base class: parameter groups, per-parameter state, zero_grad, state_dict.

An optimizer updates `p.array` in place (and calls `p.bump_version()`, so a graph that saved the old
values refuses to backward). Hyperparameters are plain Python floats: NumPy 2 would turn a
float32 parameter into float64 if a np.float64 learning rate reached the arithmetic.
`foreach=` is accepted by every optimizer and kept in its groups, as torch's: the update is one
loop over the parameters either way (torch's multi-tensor path gives the same numbers).
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

from .. import backend
from ..grad_mode import enable_grad
from ..tensor import Tensor
from ..tensor import zero_grad as _zero_grad  # one rule for Optimizer and Module


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
        if isinstance(params, Tensor):  # list() would iterate its rows
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got a Tensor of shape {params.shape}; pass [tensor]")
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
        mine = {}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (it is the output of an op)")
            if id(p) in seen:
                raise ValueError("some parameters appear in more than one parameter group")
            # PyTorch only warns here, then updates such a parameter twice per step
            if id(p) in mine:
                raise ValueError(f"some parameters appear in more than one parameter group or twice in one: "
                                 f"the {tuple(p.shape)} tensor at positions {mine[id(p)]} and {i} would be "
                                 f"updated twice per step")
            mine[id(p)] = i
        seen.update(mine)
        group["params"] = params
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        self._check_group(group)
        self.param_groups.append(group)

    # the hyperparameters that must be >= 0 besides lr and weight_decay, checked in every group
    _nonnegative: tuple = ()

    def _check_group(self, group: dict) -> None:
        if not group["lr"] >= 0.0:  # `not >=` also refuses NaN
            raise ValueError(f"Invalid learning rate: {group['lr']}")
        for name in ("weight_decay", *self._nonnegative):
            if not group.get(name, 0.0) >= 0.0:
                label = "epsilon" if name == "eps" else name  # PyTorch's wording
                raise ValueError(f"Invalid {label} value: {group[name]}")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set `.grad` to None (default, as PyTorch 2) or to zeros in
        place (see minigrad.tensor.zero_grad)."""
        _zero_grad([p for g in self.param_groups for p in g["params"]], set_to_none)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns `closure()`'s loss if one is given
        (the closure re-evaluates the model and calls backward, as in PyTorch).

        The loop over groups lives here, not in each optimizer: a check that concerns every
        optimizer is made once, on all gradients, before any parameter changes. A subclass
        implements `_update(group, params_grads)` for one group's (parameter, gradient array)
        pairs; with `maximize=True` it receives the negated gradients.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        work = [(g, [(p, p.grad.array) for p in g["params"] if p.grad is not None]) for g in self.param_groups]
        self._check_grads(work)
        for group, pairs in work:
            if group.get("maximize"):
                pairs = [(p, -g) for p, g in pairs]
            self._update(group, pairs)
            for p, _ in pairs:
                p.bump_version()  # the in-place change a saved graph must notice
        return loss

    def _update(self, group: dict, params_grads: list) -> None:
        raise NotImplementedError

    def _check_grads(self, work) -> None:
        """Raise, naming the parameter, unless every gradient has its parameter's shape, dtype
        and device: a wrong but broadcastable shape would otherwise be applied silently, and a
        failure halfway through would leave some parameters (and Adam's step count) changed."""
        for gi, (group, pairs) in enumerate(work):
            for p, g in pairs:
                a = p.array  # NOTE: raw arrays, not properties: this runs every step
                if g.shape == a.shape and g.dtype == a.dtype and type(g) is type(a):
                    continue
                pi = next(i for i, q in enumerate(group["params"]) if q is p)
                raise RuntimeError(
                    f"{type(self).__name__}.step: parameter {pi} of group {gi} is {tuple(p.shape)} "
                    f"{p.dtype} on {p.device!r} but its .grad is {tuple(g.shape)} {g.dtype} on "
                    f"{p.grad.device!r}; nothing was updated")

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
