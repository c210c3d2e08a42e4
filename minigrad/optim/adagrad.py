"""Adagrad, as torch.optim.Adagrad."""

from __future__ import annotations

from .. import backend
from .optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): each weight's step shrinks with the sum of its squared
    gradients. Same update as torch.optim.Adagrad:

        g = grad + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        sum = sum + g^2                      (sum starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(sum) + eps)

    Example:
        >>> import minigrad
        >>> from minigrad import optim
        >>> w = minigrad.tensor([1.0], requires_grad=True)
        >>> opt = optim.Adagrad([w], lr=0.5, initial_accumulator_value=0.1)
        >>> opt.state[w]["sum"]   # made at construction, as in PyTorch (state_dict has it)
        array([0.1], dtype=float32)
        >>> (w * w).sum().backward(); opt.step()   # sum = 0.1 + 2^2, w = 1 - 0.5 * 2 / sqrt(4.1)
        >>> round(w.item(), 4)
        0.5061
    """

    _nonnegative = ("lr_decay", "initial_accumulator_value", "eps")

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, *, maximize: bool = False,
                 foreach: bool | None = None):
        super().__init__(params, dict(lr=float(lr), lr_decay=float(lr_decay), weight_decay=float(weight_decay),
                                      initial_accumulator_value=float(initial_accumulator_value),
                                      eps=float(eps), maximize=bool(maximize), foreach=foreach))
        # PyTorch creates the accumulators at construction, so state_dict() has them before a step
        for group in self.param_groups:
            for p in group["params"]:
                xp = backend.get_array_module(p.array)
                self.state[p] = {"step": 0,
                                 "sum": xp.full_like(p.array, group["initial_accumulator_value"])}

    def _update(self, group: dict, params_grads: list) -> None:
        lr, lr_decay, wd, eps = (float(group[k]) for k in ("lr", "lr_decay", "weight_decay", "eps"))
        for p, g in params_grads:
            state = self.state[p]
            state["step"] += 1
            if wd != 0:
                g = g + wd * p.array
            clr = lr / (1 + (state["step"] - 1) * lr_decay)
            acc = state["sum"]
            acc += g * g
            std = backend.get_array_module(acc).sqrt(acc)
            std += eps
            p.array -= clr * (g / std)
