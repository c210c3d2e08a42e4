"""Gradient utilities: clip_grad_norm_, clip_grad_value_ (torch.nn.utils)."""

from __future__ import annotations

import math

from ...tensor import Tensor


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients of `parameters` in place so that their joint norm (of all gradients
    as one vector) is at most `max_norm`; returns that norm before clipping, as torch. As torch,
    the scale is max_norm / (norm + 1e-6), capped at 1 and always applied.

    >>> import minigrad
    >>> p = minigrad.tensor([3.0, 4.0], requires_grad=True)
    >>> (p * p).sum().backward()                       # grad (6, 8), norm 10
    >>> minigrad.nn.utils.clip_grad_norm_([p], 1.0).item()
    10.0
    >>> [round(g, 4) for g in p.grad.tolist()]
    [0.6, 0.8]
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return Tensor._from_data(0.0)
    xp_ = [g.array for g in grads]
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        norms = [abs(a).max() for a in xp_]
        total = max(norms) if len(norms) > 1 else norms[0]
    else:
        norms = [(abs(a) ** norm_type).sum() ** (1.0 / norm_type) for a in xp_]
        total = sum(n ** norm_type for n in norms) ** (1.0 / norm_type)
    total = grads[0].array.dtype.type(total)
    if error_if_nonfinite and not math.isfinite(float(total)):
        raise RuntimeError(f"clip_grad_norm_: the total norm of the gradients is {float(total)}")
    coef = min(grads[0].array.dtype.type(max_norm) / (total + grads[0].array.dtype.type(1e-6)), 1.0)
    for g in grads:
        g.array *= g.array.dtype.type(coef)  # the gradient is ours: .grad is never in a graph
        g.bump_version()
    return Tensor._from_data(total)


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient to [-clip_value, clip_value] in place."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    for p in parameters:
        if p.grad is not None:
            p.grad.array.clip(-clip_value, clip_value, out=p.grad.array)
            p.grad.bump_version()
