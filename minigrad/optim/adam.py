"""Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW."""

from __future__ import annotations

import math

from .. import backend
from .optimizer import Optimizer


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015), following torch.optim.Adam:

        g = grad + weight_decay * p
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    `amsgrad=True` uses the running maximum of v; `maximize=True` ascends.

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
    _nonnegative = ("eps",)

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None):
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {b}")
        super().__init__(params, dict(lr=float(lr), betas=(float(betas[0]), float(betas[1])), eps=float(eps),
                                      weight_decay=float(weight_decay), amsgrad=bool(amsgrad),
                                      maximize=bool(maximize), foreach=foreach))

    def _update(self, group: dict, params_grads: list) -> None:
        lr, eps, wd = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        b1, b2 = (float(b) for b in group["betas"])
        for p, g in params_grads:
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
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, foreach=foreach)
