"""Losses: each `F` function, its Function where it is fused, and its Module.
`cross_entropy` is `SoftmaxCrossEntropyFunction` (log-softmax and NLL in one stable node), with
`cross_entropy_simple` composed from primitive ops as its test oracle.

Sections: argument checks | cross-entropy and NLL | MSE and binary cross-entropy | Modules
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Function
from ..backend import quiet_underflow
from ..ops import log_softmax, stable_sigmoid, where
from ..ops.elementwise import keep_where
from ..tensor import Tensor, wrap
from .module import Module

# ***** argument checks *****

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_labels(name, input: Tensor, target) -> Tensor:
    """Class-index targets: an integer tensor of shape (N,) with values in [0, C)."""
    if not isinstance(target, Tensor):
        target = Tensor(target)
    if input.ndim != 2:
        raise ValueError(f"{name}: expected input of shape (N, C), got {input.shape}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold integer class indices, got dtype {target.dtype}")
    if target.shape != (input.shape[0],):
        raise ValueError(f"{name}: target has shape {target.shape}, expected ({input.shape[0]},) for input {input.shape}")
    if target.device != input.device:
        raise TypeError(f"{name}: input is on {input.device!r}, target on {target.device!r}")
    C = input.shape[1]
    t = target.array
    # NOTE: raised on the CPU only: on a GPU, reading the check's answer is a host sync every
    # step. There _label_guard makes such a sample's loss NaN instead, without a sync.
    if t.size and target.device == "cpu" and bool(((t < 0) | (t >= C)).any()):
        bad = backend.to_numpy(t)
        bad = bad[(bad < 0) | (bad >= C)]
        raise IndexError(f"{name}: target values {bad[:5].tolist()} are out of range for {C} classes")
    return target


def _label_guard(xp, t, C: int):
    """(labels safe to index with, mask of the out-of-range ones) on a GPU; (t, None) on the CPU,
    where _check_labels has raised for them already. WHY: CuPy's fancy indexing wraps an
    out-of-range label around (silently, where PyTorch CUDA stops with a device-side assert), and
    raising would need the check's answer on the host, a sync every step. So an out-of-range
    label gets index 0 and its sample's loss becomes NaN: loud at the next `.item()`, caught by
    `detect_anomaly()`, and its gradient is 0, so no weight is corrupted."""
    if xp is np:
        return t, None
    bad = (t < 0) | (t >= C)
    return xp.where(bad, 0, t), bad


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


# ***** cross-entropy and NLL *****


class SoftmaxCrossEntropyFunction(Function):
    """loss_i = logsumexp(x_i) - x_i[t_i], reduced by mean, sum or none (fused)"""

    double_backward = "composed"

    def composed(self, x):
        return cross_entropy_simple(x, wrap(self.target), self.reduction)

    def __init__(self, target, reduction):
        self.target, self.reduction = target, reduction

    def forward(self, x):
        xp = self.xp
        N = x.shape[0]
        with quiet_underflow(xp):
            s = x - x.max(axis=1, keepdims=True)  # shift-stable: exp never overflows
            e = xp.exp(s)
            se = e.sum(axis=1, keepdims=True)
            self.p = e / se  # softmax, kept for backward
            self.rows = xp.arange(N)
            self.target, self.bad = _label_guard(xp, self.target, x.shape[1])
            loss = xp.log(se[:, 0]) - s[self.rows, self.target]
            if self.bad is not None:
                loss = xp.where(self.bad, loss.dtype.type("nan"), loss)  # a typed NaN: float32 stays
        if self.reduction == "mean":
            return loss.mean() if N else xp.asarray(xp.nan, dtype=x.dtype)
        return loss.sum() if self.reduction == "sum" else loss

    def backward(self, gy):
        N = self.p.shape[0]
        if self.reduction == "none":
            g = gy[:, None]
        elif self.reduction == "mean":
            g = gy / N
        else:
            g = gy
        gx = self.p * g  # dL/dx = (softmax - onehot) * gy
        gx[self.rows, self.target] -= g[:, 0] if self.reduction == "none" else g
        if self.bad is not None:  # no gradient from a sample with an out-of-range label
            gx = keep_where(self.xp, ~self.bad[:, None], gx)
        return gx


def cross_entropy(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy between logits (N, C) and integer class labels (N,): log-softmax and
    negative log-likelihood fused into one stable op. Same as torch.nn.functional.cross_entropy
    with class-index targets. The gradient is (softmax(input) - onehot(target)) / N for 'mean'.

    Example:
        >>> import minigrad
        >>> import minigrad.nn.functional as F
        >>> logits = minigrad.zeros(2, 4, requires_grad=True)
        >>> loss = F.cross_entropy(logits, minigrad.tensor([0, 3]))
        >>> round(loss.item(), 4)  # log(4)
        1.3863
    """
    _check_reduction(reduction)
    target = _check_labels("cross_entropy", input, target)
    return SoftmaxCrossEntropyFunction(target.array, reduction)(input)


def cross_entropy_simple(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """`cross_entropy` composed from primitive ops: the test oracle for `SoftmaxCrossEntropyFunction`."""
    _check_reduction(reduction)
    return nll_loss(log_softmax(input, dim=1), target, reduction)


def nll_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) at integer labels (N,).
    Same as torch.nn.functional.nll_loss.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> logp = minigrad.tensor([[-0.5, -1.0], [-2.0, -0.25]])
    >>> F.nll_loss(logp, minigrad.tensor([1, 1]))
    tensor(0.625)
    """
    _check_reduction(reduction)
    target = _check_labels("nll_loss", input, target)
    xp = backend.get_array_module(target.array)
    t, bad = _label_guard(xp, target.array, input.shape[1])
    picked = -input[xp.arange(input.shape[0]), t]
    if bad is not None:  # see _label_guard
        picked = where(Tensor(bad), input.dtype.type("nan"), picked)
    return _reduce(picked, reduction)


# ***** MSE and binary cross-entropy *****


def _check_pair(name, input: Tensor, target: Tensor):
    if not isinstance(target, Tensor):
        target = Tensor(target, dtype=input.dtype)
    if input.shape != target.shape:
        raise ValueError(f"{name}: input shape {input.shape} and target shape {target.shape} differ")
    if target.dtype.kind != "f":
        raise TypeError(f"{name}: target must be floating point, got {target.dtype}")
    if target.dtype != input.dtype:
        target = target.to(dtype=input.dtype)
    return target


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error. Same as torch.nn.functional.mse_loss.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.mse_loss(minigrad.tensor([1.0, 2.0]), minigrad.tensor([1.0, 4.0]))
    tensor(2.)
    """
    _check_reduction(reduction)
    target = _check_pair("mse_loss", input, target)
    d = input - target
    return _reduce(d * d, reduction)


class BinaryCrossEntropyFunction(Function):
    """loss = -(y log p + (1 - y) log(1 - p)), each log clamped at -100 as PyTorch does"""

    double_backward = "recompute"

    def forward(self, p, y):
        xp = self.xp
        with np.errstate(divide="ignore"):  # log(0) = -inf, then clamped (only NumPy warns)
            self.logp, self.log1mp = xp.maximum(xp.log(p), -100), xp.maximum(xp.log(1 - p), -100)
        self.p, self.y = p, y
        return -(y * self.logp + (1 - y) * self.log1mp)

    def backward(self, gy):
        p, y = self.p, self.y
        # d/dp = (p - y) / (p (1 - p)), the denominator kept >= 1e-12 (PyTorch's choice)
        gp = gy * (p - y) / self.xp.maximum(p * (1 - p), 1e-12) if self.needs_input_grad[0] else None
        gt = gy * (self.log1mp - self.logp) if self.needs_input_grad[1] else None  # d/dy
        return gp, gt


def binary_cross_entropy(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities `input` in [0, 1] against targets in [0, 1].
    Same as torch.nn.functional.binary_cross_entropy (logs clamped at -100). Prefer
    `binary_cross_entropy_with_logits`, which is stable for any logit.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> round(F.binary_cross_entropy(minigrad.tensor([0.5]), minigrad.tensor([1.0])).item(), 4)
    0.6931
    """
    _check_reduction(reduction)
    target = _check_pair("binary_cross_entropy", input, target)
    p = input.array
    # NOTE: checked on the CPU only, like the labels above (a host sync on a GPU)
    if p.size and input.device == "cpu" and bool(((p < 0) | (p > 1)).any()):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1]; use "
                         "binary_cross_entropy_with_logits for logits")
    return _reduce(BinaryCrossEntropyFunction()(input, target), reduction)


class BCEWithLogitsFunction(Function):
    """loss = max(x, 0) - x y + log(1 + e^-|x|): log(1 + e^x) - x y without overflow"""

    double_backward = "recompute"

    def forward(self, x, y):
        xp = self.xp
        self.x, self.y = x, y
        with quiet_underflow(xp):
            return xp.maximum(x, 0) - x * y + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        xp, gx = self.xp, None
        if self.needs_input_grad[0]:
            gx = gy * (stable_sigmoid(xp, self.x) - self.y)  # d/dx = sigmoid(x) - y
        return gx, (-gy * self.x if self.needs_input_grad[1] else None)  # d/dy = -x


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Sigmoid + binary cross-entropy in one stable op (no overflow for |logit| = 1000).
    Same as torch.nn.functional.binary_cross_entropy_with_logits.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.binary_cross_entropy_with_logits(minigrad.tensor([1000.0]), minigrad.tensor([1.0]))
    tensor(0.)
    """
    _check_reduction(reduction)
    target = _check_pair("binary_cross_entropy_with_logits", input, target)
    return _reduce(BCEWithLogitsFunction()(input, target), reduction)


# ***** Modules *****


class _Loss(Module):
    """Shared by the loss Modules: the `reduction` argument, checked at construction; `forward`
    calls the subclass's functional loss, `_fn(input, target, reduction)`."""

    _fn = None

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        _check_reduction(reduction)
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._fn(input, target, self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits (N, C) against integer labels (N,).
    Same as torch.nn.CrossEntropyLoss with class-index targets.

    >>> import minigrad
    >>> from minigrad import nn
    >>> round(nn.CrossEntropyLoss()(minigrad.zeros(3, 2), minigrad.tensor([0, 1, 1])).item(), 4)
    0.6931
    """

    _fn = staticmethod(cross_entropy)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (N, C) at labels (N,). Same as torch.nn.NLLLoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.NLLLoss()(minigrad.tensor([[-1.0, -2.0]]), minigrad.tensor([1]))
    tensor(2.)
    """

    _fn = staticmethod(nll_loss)


class MSELoss(_Loss):
    """Mean squared error. Same as torch.nn.MSELoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.MSELoss(reduction="sum")(minigrad.tensor([1.0, 2.0]), minigrad.tensor([0.0, 0.0]))
    tensor(5.)
    """

    _fn = staticmethod(mse_loss)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities. Same as torch.nn.BCELoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> round(nn.BCELoss()(minigrad.tensor([0.5]), minigrad.tensor([0.0])).item(), 4)
    0.6931
    """

    _fn = staticmethod(binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy, stable for any logit. Same as torch.nn.BCEWithLogitsLoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.BCEWithLogitsLoss()(minigrad.tensor([200.0]), minigrad.tensor([0.0]))   # exact
    tensor(200.)
    >>> nn.BCELoss()(minigrad.tensor([200.0]).sigmoid(), minigrad.tensor([0.0]))   # sigmoid is 1: log(0) clamped
    tensor(100.)
    """

    _fn = staticmethod(binary_cross_entropy_with_logits)
