"""SGD with momentum, dampening, Nesterov momentum and weight decay, as torch.optim.SGD."""

from __future__ import annotations

from .optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, following torch.optim.SGD exactly:

        g = grad + weight_decay * p
        buf = g                                   (first step)
        buf = momentum * buf + (1 - dampening) * g (later steps)
        g = g + momentum * buf if nesterov else buf
        p = p - lr * g

    `maximize=True` ascends (the gradient's sign is flipped).

    Example:
        >>> import minigrad
        >>> from minigrad import optim
        >>> w = minigrad.tensor([1.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.5)
        >>> (w * w).sum().backward(); opt.step()    # w - 0.5 * 2w
        >>> w
        tensor([0.], requires_grad=True)
    """

    _nonnegative = ("momentum",)

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=float(lr), momentum=float(momentum), dampening=float(dampening),
                                      weight_decay=float(weight_decay), nesterov=bool(nesterov),
                                      maximize=bool(maximize), foreach=foreach))

    def _update(self, group: dict, params_grads: list) -> None:
        lr, mom, wd = float(group["lr"]), float(group["momentum"]), float(group["weight_decay"])
        damp, nesterov = float(group["dampening"]), group["nesterov"]
        for p, g in params_grads:
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
