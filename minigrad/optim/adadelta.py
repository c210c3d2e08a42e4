"""Adadelta, as torch.optim.Adadelta."""

from __future__ import annotations

from .. import backend
from .optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): steps scaled by the ratio of two running RMS values, of past
    updates and of past gradients. Same update as torch.optim.Adadelta:

        g = grad + weight_decay * p
        v = rho * v + (1 - rho) * g^2
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta^2
        p = p - lr * delta

    Example:
        >>> import minigrad
        >>> from minigrad import optim
        >>> w = minigrad.tensor([1.0], requires_grad=True)
        >>> opt = optim.Adadelta([w], rho=0.9)
        >>> (w * w).sum().backward(); opt.step()   # a small first step: u starts at 0
        >>> round(w.item(), 4)
        0.9968
    """

    _nonnegative = ("eps",)

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0.0,
                 *, maximize: bool = False, foreach: bool | None = None):
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        super().__init__(params, dict(lr=float(lr), rho=float(rho), eps=float(eps), weight_decay=float(weight_decay),
                                      maximize=bool(maximize), foreach=foreach))

    def _update(self, group: dict, params_grads: list) -> None:
        lr, rho, eps, wd = (float(group[k]) for k in ("lr", "rho", "eps", "weight_decay"))
        for p, g in params_grads:
            state = self.state.setdefault(p, {})
            xp = backend.get_array_module(p.array)
            if not state:
                state.update(step=0, square_avg=xp.zeros_like(p.array), acc_delta=xp.zeros_like(p.array))
            state["step"] += 1
            if wd != 0:
                g = g + wd * p.array
            v, u = state["square_avg"], state["acc_delta"]
            v *= rho
            v += (1 - rho) * (g * g)
            delta = xp.sqrt(u + eps) / xp.sqrt(v + eps) * g
            u *= rho
            u += (1 - rho) * (delta * delta)
            p.array -= lr * delta
