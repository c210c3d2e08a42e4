"""RMSprop, as torch.optim.RMSprop."""

from __future__ import annotations

from .. import backend
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture notes, 2012): the gradient divided by a running RMS of past
    gradients. Same update as torch.optim.RMSprop:

        g = grad + weight_decay * p
        v = alpha * v + (1 - alpha) * g^2
        avg = sqrt(v - m^2) + eps  with m = alpha * m + (1 - alpha) * g   (centered=True)
        avg = sqrt(v) + eps                                                 (otherwise)
        buf = momentum * buf + g / avg;  p = p - lr * buf                   (momentum > 0)
        p = p - lr * g / avg                                                (otherwise)

    Example:
        >>> import minigrad
        >>> from minigrad import optim
        >>> w = minigrad.tensor([1.0], requires_grad=True)
        >>> opt = optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward(); opt.step()   # first step: lr / sqrt(1 - alpha)
        >>> round(w.item(), 4)
        0.9
    """

    _nonnegative = ("eps", "momentum", "alpha")

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None):
        super().__init__(params, dict(lr=float(lr), alpha=float(alpha), eps=float(eps),
                                      weight_decay=float(weight_decay), momentum=float(momentum),
                                      centered=bool(centered), maximize=bool(maximize), foreach=foreach))

    def _update(self, group: dict, params_grads: list) -> None:
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        wd, mom = float(group["weight_decay"]), float(group["momentum"])
        for p, g in params_grads:
            state = self.state.setdefault(p, {})
            xp = backend.get_array_module(p.array)
            if not state:
                state.update(step=0, square_avg=xp.zeros_like(p.array))
                if mom > 0:
                    state["momentum_buffer"] = xp.zeros_like(p.array)
                if group["centered"]:
                    state["grad_avg"] = xp.zeros_like(p.array)
            state["step"] += 1
            if wd != 0:
                g = g + wd * p.array
            v = state["square_avg"]
            v *= alpha
            v += (1 - alpha) * (g * g)
            if group["centered"]:
                m = state["grad_avg"]
                m += (1 - alpha) * (g - m)  # PyTorch's lerp: m + (1 - alpha)(g - m)
                avg = xp.sqrt(v - m * m)
            else:
                avg = xp.sqrt(v)
            avg += eps
            if mom > 0:
                buf = state["momentum_buffer"]
                buf *= mom
                buf += g / avg
                p.array -= lr * buf
            else:
                p.array -= lr * (g / avg)
