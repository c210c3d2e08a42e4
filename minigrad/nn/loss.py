"""Losses: each `F` function, its Function where it is fused, and its Module.
`cross_entropy` is `SoftmaxCrossEntropyFunction` (log-softmax and NLL in one stable node), with
`cross_entropy_simple` composed from primitive ops as its test oracle.

Sections: argument checks | cross-entropy and NLL | MSE and binary cross-entropy |
L1, smooth L1 and KL divergence | margin and embedding losses, Poisson and Gaussian NLL | Modules
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import backend
from ..autograd import Function
from ..backend import quiet_underflow
from ..dtypes import DtypeError, ShapeError
from ..ops import exp, log, log_softmax, stable_sigmoid, where
from ..ops import maximum as ops_maximum
from ..ops.elementwise import keep_where
from .activation import softplus
from ..tensor import Tensor, wrap
from .module import Module

# ***** argument checks *****

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction, allowed=_REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"reduction must be one of {allowed}, got {reduction!r}")


def _check_labels(name, input: Tensor, target, ignore_index: int = -100) -> Tensor:
    """Class-index targets: an integer tensor of shape (N,) with values in [0, C), or
    `ignore_index`."""
    if not isinstance(target, Tensor):
        target = Tensor._from_data(target)
    if input.ndim != 2:
        raise ValueError(f"{name}: expected input of shape (N, C), got {input.shape}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold integer class indices, got dtype {target.dtype}"
                        + (" (class probabilities must have the input's shape)" if name == "cross_entropy" else ""))
    if target.shape != (input.shape[0],):
        raise ValueError(f"{name}: target has shape {target.shape}, expected ({input.shape[0]},) for input {input.shape}")
    if target.device != input.device:
        raise TypeError(f"{name}: input is on {input.device!r}, target on {target.device!r}")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"{name}: ignore_index must be an int, got {ignore_index!r}")
    C = input.shape[1]
    t = target.array
    # NOTE: raised on the CPU only: on a GPU, reading the check's answer is a host sync every
    # step. There _label_guard makes such a sample's loss NaN instead, without a sync.
    if t.size and target.device == "cpu":
        bad = (t < 0) | (t >= C)
        if bool(bad.any()) and bool((bad := bad & (t != ignore_index)).any()):  # ignored ones are fine
            raise IndexError(f"{name}: target values {t[bad][:5].tolist()} are out of range for {C} classes "
                             f"(ignore_index={ignore_index})")
    return target


def _check_weight(name, weight, input: Tensor):
    """The per-class `weight=`: None, or a floating tensor of shape (C,) like the input's."""
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{name}: weight must be a Tensor of shape (C,) or None, got {weight!r} "
                        f"(pass reduction= by keyword: the third argument is weight, as in PyTorch)")
    C = input.shape[1]
    if weight.shape != (C,):
        raise ValueError(f"{name}: weight has shape {weight.shape}, expected ({C},) for input {input.shape}")
    if weight.dtype != input.dtype:
        raise TypeError(f"{name}: weight is {weight.dtype}, input is {input.dtype}; they must match")
    if weight.device != input.device:
        raise TypeError(f"{name}: input is on {input.device!r}, weight on {weight.device!r}")
    return weight


def _legacy_reduction(name, size_average, reduce, reduction, allowed=_REDUCTIONS):
    """PyTorch's deprecated `size_average=`/`reduce=` turned into `reduction` (its rule: either
    left as None counts as True; reduce=False gives 'none', else size_average picks mean/sum)."""
    if size_average is None and reduce is None:
        _check_reduction(reduction, allowed)
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def _label_guard(xp, t, C: int, ignore_index: int = -100):
    """(labels safe to index with, mask of the out-of-range ones or None, mask of the samples
    that count or None when all do).

    Ignored samples (label == ignore_index) get index 0; their loss and gradient are then
    zeroed by the caller. Out-of-range labels: on the CPU _check_labels has raised for them
    already. On a GPU, CuPy's fancy indexing would wrap such a label around (silently, where
    PyTorch CUDA stops with a device-side assert), and raising would need the check's answer on
    the host, a sync every step. So an out-of-range label gets index 0 and its sample's loss
    becomes NaN: loud at the next `.item()`, caught by `detect_anomaly()`, and its gradient is
    0, so no weight is corrupted."""
    keep = t != ignore_index
    if xp is np:
        if keep.all():  # the common case: nothing ignored, the labels index as they are
            return t, None, None
        return xp.where(keep, t, 0), None, keep
    bad = (t < 0) | (t >= C)
    bad &= keep
    return xp.where(bad | ~keep, 0, t), bad, keep
def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


# ***** cross-entropy and NLL *****


class SoftmaxCrossEntropyFunction(Function):
    """loss_i = logsumexp(x_i) - x_i[t_i], reduced by mean, sum or none (fused). A sample whose
    label is `ignore_index` has loss 0 and gradient 0, and the mean is over the other samples."""

    double_backward = "composed"

    def composed(self, x):
        return cross_entropy_simple(x, wrap(self.labels), reduction=self.reduction,
                                    ignore_index=self.ignore_index)

    def __init__(self, target, reduction, ignore_index=-100):
        self.labels, self.reduction, self.ignore_index = target, reduction, ignore_index

    def forward(self, x):
        xp = self.xp
        N = x.shape[0]
        with quiet_underflow(xp):
            s = x - x.max(axis=1, keepdims=True)  # shift-stable: exp never overflows
            e = xp.exp(s)
            se = e.sum(axis=1, keepdims=True)
            self.p = e / se  # softmax, kept for backward
            self.rows = xp.arange(N)
            self.target, self.bad, self.keep = _label_guard(xp, self.labels, x.shape[1], self.ignore_index)
            loss = xp.log(se[:, 0]) - s[self.rows, self.target]
            if self.bad is not None:
                loss = xp.where(self.bad, loss.dtype.type("nan"), loss)  # a typed NaN: float32 stays
        if self.keep is not None:  # ignored samples: loss exactly 0, and not counted by the mean
            loss = xp.where(self.keep, loss, loss.dtype.type(0))
            self.count = self.keep.sum().astype(loss.dtype)  # stays on the device: no sync
        else:
            self.count = N
        if self.reduction == "mean":
            with backend.quiet_selected(xp):  # nothing counted: 0 / 0 is NaN, as in PyTorch
                return loss.sum() / self.count if N else xp.asarray(xp.nan, dtype=x.dtype)
        return loss.sum() if self.reduction == "sum" else loss

    def backward(self, gy):
        if self.keep is None:  # every sample counts (the hot path: no error-state context)
            return self._backward(gy)
        with backend.quiet_selected(self.xp):  # all ignored: a count of 0, inf here, zeroed below
            gx = self._backward(gy)
        # no gradient from an ignored sample, or from a bad label
        return keep_where(self.xp, (self.keep if self.bad is None else self.keep & ~self.bad)[:, None], gx)

    def _backward(self, gy):
        if self.reduction == "none":
            g = gy[:, None]
        elif self.reduction == "mean":
            g = gy / self.count
        else:
            g = gy
        gx = self.p * g  # dL/dx = (softmax - onehot) * gy
        gx[self.rows, self.target] -= g[:, 0] if self.reduction == "none" else g
        return gx


def cross_entropy(input: Tensor, target, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy between logits (N, C) and integer class labels (N,). Same as
    torch.nn.functional.cross_entropy, same arguments and the same other forms: logits
    (N, C, d1, ...) with labels (N, d1, ...), each position a sample; and a float target of
    the input's shape holding class probabilities (then loss = -sum_c w_c q_c log p_c per
    sample, q smoothed by `label_smoothing`, and 'mean' divides by the number of samples).
    For class labels:

    - `weight` (C,): per-class weights; the mean is sum(w[t_i] l_i) / sum(w[t_i]);
    - `ignore_index`: samples with this label give loss 0 and gradient 0 and are left out of
      the mean (all of them ignored: the mean is NaN, as in PyTorch);
    - `label_smoothing` eps: (1 - eps) * the loss above + eps * the mean over classes of
      -log p (weighted and normalised the same way);
    - `size_average`/`reduce`: PyTorch's deprecated spelling of `reduction`.

    Without weight and label smoothing it is one fused, stable node (log-softmax and NLL; the
    gradient is (softmax(input) - onehot(target)) / N for 'mean'); with them it is composed
    from log_softmax and `nll_loss`, so autograd gives the gradient (also of `weight`, which
    PyTorch does not differentiate).

    Example:
        >>> import minigrad
        >>> import minigrad.nn.functional as F
        >>> logits = minigrad.zeros(2, 4, requires_grad=True)
        >>> loss = F.cross_entropy(logits, minigrad.tensor([0, 3]))
        >>> round(loss.item(), 4)  # log(4)
        1.3863
        >>> F.cross_entropy(logits, minigrad.tensor([0, -100]), reduction="none")  # ignored
        tensor([1.3862944, 0.       ], grad_fn=<SoftmaxCrossEntropyFunctionBackward>)
        >>> x, w = minigrad.tensor([[0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 0.0, 0.0]]), minigrad.tensor([1.0, 2.0, 0.0, 1.0])
        >>> round(F.cross_entropy(x, minigrad.tensor([0, 3]), weight=w, label_smoothing=0.1).item(), 4)
        2.5169
    """
    reduction = _legacy_reduction("cross_entropy", size_average, reduce, reduction)
    if _is_unbatched(input, target):
        return _unbatched(cross_entropy, input, target, weight, ignore_index=ignore_index, reduction=reduction,
                          label_smoothing=label_smoothing)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if isinstance(target, Tensor) and target.dtype.kind == "f" and target.shape == getattr(input, "shape", None):
        # class probabilities
        return _cross_entropy_probs(input, target, _check_weight("cross_entropy", weight, input),
                                    reduction, label_smoothing)
    if isinstance(input, Tensor) and input.ndim > 2:  # (N, C, d1, ...): every position is a sample
        return _per_position("cross_entropy", cross_entropy, input, target, weight, ignore_index=ignore_index,
                             reduction=reduction, label_smoothing=label_smoothing)
    target = _check_labels("cross_entropy", input, target, ignore_index)
    weight = _check_weight("cross_entropy", weight, input)
    if weight is None and not label_smoothing:  # the fast path: one fused node
        return SoftmaxCrossEntropyFunction(target.array, reduction, ignore_index)(input)
    logp = log_softmax(input, dim=1)
    loss = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if not label_smoothing:
        return loss
    # the smoothing term: -sum over classes of (w_c) log p_c per sample, 0 for ignored samples,
    # reduced with nll_loss's denominator (PyTorch's formula)
    xp = backend.get_array_module(target.array)
    keep = Tensor._from_data(target.array != ignore_index)
    smooth = -((logp * weight) if weight is not None else logp).sum(1)
    smooth = where(keep, smooth, 0.0)
    if reduction == "mean":
        if weight is not None:
            denom = where(keep, weight[xp.where(keep.array, target.array, 0)], 0.0).sum()
        else:
            denom = keep.array.sum().astype(input.dtype)
        with backend.quiet_selected(xp):
            smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    eps = label_smoothing
    return loss * (1 - eps) + smooth * (eps / input.shape[1])


def _cross_entropy_probs(input: Tensor, target: Tensor, weight, reduction: str, eps: float) -> Tensor:
    """Cross-entropy against class probabilities (a float target shaped like the input, as
    PyTorch: dim 1 is the class): loss = -sum_c w_c * q_c * log p_c per sample, q the target
    smoothed toward uniform by eps; 'mean' divides by the number of samples (positions)."""
    if target.dtype != input.dtype:
        raise TypeError(f"cross_entropy: target is {target.dtype}, input is {input.dtype}; they must match")
    if input.ndim < 2:
        raise ValueError(f"cross_entropy: expected input of shape (N, C, ...), got {input.shape}")
    C = input.shape[1]
    q = target * (1 - eps) + eps / C if eps else target
    if weight is not None:
        q = q * weight.reshape(C, *(1,) * (input.ndim - 2))
    per = -(log_softmax(input, dim=1) * q).sum(1)
    return _reduce(per, reduction)


def _per_position(name, fn, input: Tensor, target, weight, reduction: str, **kwargs) -> Tensor:
    """fn (a 2-d loss) for input (N, C, d1, ...) and labels (N, d1, ...): each position is one
    sample, as in PyTorch; 'none' gives the loss of shape (N, d1, ...)."""
    if not isinstance(target, Tensor):
        target = Tensor._from_data(target)
    n, c, *rest = input.shape
    if target.shape != (n, *rest):
        raise ValueError(f"{name}: target has shape {target.shape}, expected {(n, *rest)} for input "
                         f"{input.shape}")
    order = (0, *range(2, input.ndim), 1)  # the class dim last
    loss = fn(input.permute(*order).reshape(-1, c), target.reshape(-1), weight, reduction=reduction, **kwargs)
    return loss.reshape(n, *rest) if reduction == "none" else loss


def _is_unbatched(input, target) -> bool:
    """One sample without a batch dim: scores (C,) with a label () or probabilities (C,)."""
    return (isinstance(input, Tensor) and input.ndim == 1 and isinstance(target, Tensor)
            and (target.ndim == 0 or (target.ndim == 1 and target.dtype.kind == "f")))


def _unbatched(fn, input: Tensor, target: Tensor, weight, reduction: str, **kwargs) -> Tensor:
    """fn on a batch of one (PyTorch accepts a single sample (C,)); 'none' gives a 0-d loss."""
    loss = fn(input.reshape(1, -1), target.reshape(1, *target.shape), weight, reduction=reduction, **kwargs)
    return loss.reshape(()) if reduction == "none" else loss


def cross_entropy_simple(input: Tensor, target, reduction: str = "mean", ignore_index: int = -100) -> Tensor:
    """`cross_entropy` composed from primitive ops: the test oracle for `SoftmaxCrossEntropyFunction`."""
    _check_reduction(reduction)
    return nll_loss(log_softmax(input, dim=1), target, ignore_index=ignore_index, reduction=reduction)


def nll_loss(input: Tensor, target, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) at integer labels (N,):
    loss_i = -w[t_i] input[i, t_i]; (N, C, d1, ...) with labels (N, d1, ...) counts each
    position as a sample. Same as torch.nn.functional.nll_loss, same arguments
    (`weight`, `ignore_index` and `reduction` as in `cross_entropy`: the mean divides by
    sum(w[t_i]) over the samples not ignored).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> logp = minigrad.tensor([[-0.5, -1.0], [-2.0, -0.25]])
    >>> F.nll_loss(logp, minigrad.tensor([1, 1]))
    tensor(0.625)
    >>> F.nll_loss(logp, minigrad.tensor([0, 1]), weight=minigrad.tensor([3.0, 1.0]))  # (1.5 + 0.25) / 4
    tensor(0.4375)
    """
    reduction = _legacy_reduction("nll_loss", size_average, reduce, reduction)
    if _is_unbatched(input, target):
        return _unbatched(nll_loss, input, target, weight, ignore_index=ignore_index, reduction=reduction)
    if isinstance(input, Tensor) and input.ndim > 2:  # (N, C, d1, ...): every position is a sample
        return _per_position("nll_loss", nll_loss, input, target, weight, ignore_index=ignore_index,
                             reduction=reduction)
    target = _check_labels("nll_loss", input, target, ignore_index)
    weight = _check_weight("nll_loss", weight, input)
    xp = backend.get_array_module(target.array)
    t, bad, keep = _label_guard(xp, target.array, input.shape[1], ignore_index)
    picked = -input[xp.arange(input.shape[0]), t]
    denom = None  # the mean's denominator, when it is not N
    if weight is not None:
        w = weight[t]
        if keep is not None:
            w = where(Tensor._from_data(keep), w, 0.0)
        picked = picked * w
        denom = w.sum()
    if keep is not None:  # exactly 0 (and no gradient) for ignored samples, whatever their input
        picked = where(Tensor._from_data(keep), picked, 0.0)
        if denom is None:
            denom = keep.sum().astype(input.dtype)
    if bad is not None:  # see _label_guard
        picked = where(Tensor._from_data(bad), input.dtype.type("nan"), picked)
    if reduction == "mean" and denom is not None:
        with backend.quiet_selected(xp):  # all ignored: 0 / 0 is NaN, as in PyTorch
            return picked.sum() / denom
    return _reduce(picked, reduction)


# ***** MSE and binary cross-entropy *****


def _check_pair(name, input: Tensor, target: Tensor):
    if not isinstance(target, Tensor):
        target = Tensor._from_data(target, dtype=input.dtype)
    if input.shape != target.shape:
        raise ValueError(f"{name}: input shape {input.shape} and target shape {target.shape} differ")
    if target.dtype.kind != "f":
        raise TypeError(f"{name}: target must be floating point, got {target.dtype}")
    if target.dtype != input.dtype:
        target = target.to(dtype=input.dtype)
    return target


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean squared error. Same as torch.nn.functional.mse_loss.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.mse_loss(minigrad.tensor([1.0, 2.0]), minigrad.tensor([1.0, 4.0]))
    tensor(2.)
    """
    reduction = _legacy_reduction("mse_loss", size_average, reduce, reduction)
    target = _check_pair("mse_loss", input, target)
    d = input - target
    return _reduce(d * d, reduction)


def _weighted(name, loss: Tensor, weight, input: Tensor) -> Tensor:
    """loss * weight, the element weights of the binary losses (broadcast to the input's shape,
    as in PyTorch)."""
    if weight is None:
        return loss
    if not isinstance(weight, Tensor):
        raise TypeError(f"{name}: weight must be a Tensor or None, got {type(weight).__name__}")
    if np.broadcast_shapes(weight.shape, input.shape) != input.shape:
        raise ValueError(f"{name}: weight of shape {weight.shape} does not broadcast to the input's shape "
                         f"{input.shape}")
    if weight.dtype != input.dtype or weight.device != input.device:
        raise TypeError(f"{name}: weight is {weight.dtype} on {weight.device!r}, input {input.dtype} on "
                        f"{input.device!r}; they must match")
    return loss * weight


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


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities `input` in [0, 1] against targets in [0, 1], each
    element's loss times `weight` (broadcast to the input) when given. Same as
    torch.nn.functional.binary_cross_entropy (logs clamped at -100). Prefer
    `binary_cross_entropy_with_logits`, which is stable for any logit.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> round(F.binary_cross_entropy(minigrad.tensor([0.5]), minigrad.tensor([1.0])).item(), 4)
    0.6931
    """
    reduction = _legacy_reduction("binary_cross_entropy", size_average, reduce, reduction)
    target = _check_pair("binary_cross_entropy", input, target)
    # NOTE: checked on the CPU only, like the labels above (a host sync on a GPU)
    if input.array.size and input.device == "cpu":
        for what, a in (("input", input.array), ("target", target.array)):
            if bool(((a < 0) | (a > 1)).any()):
                raise ValueError(f"binary_cross_entropy: {what} must hold probabilities in [0, 1]"
                                 + ("; use binary_cross_entropy_with_logits for logits" if what == "input" else ""))
    loss = BinaryCrossEntropyFunction()(input, target)
    return _reduce(_weighted("binary_cross_entropy", loss, weight, input), reduction)


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


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable op (no overflow for |logit| = 1000).
    Same as torch.nn.functional.binary_cross_entropy_with_logits: `weight` multiplies each
    element's loss; `pos_weight` (broadcast along the last dim, one per class) multiplies the
    positive term: -(pos_weight y log s(x) + (1 - y) log(1 - s(x))).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.binary_cross_entropy_with_logits(minigrad.tensor([1000.0]), minigrad.tensor([1.0]))
    tensor(0.)
    >>> F.binary_cross_entropy_with_logits(minigrad.tensor([0.0]), minigrad.tensor([1.0]),
    ...                                    pos_weight=minigrad.tensor([2.0]))  # 2 log 2
    tensor(1.3862944)
    """
    name = "binary_cross_entropy_with_logits"
    reduction = _legacy_reduction(name, size_average, reduce, reduction)
    target = _check_pair(name, input, target)
    if pos_weight is None:
        loss = BCEWithLogitsFunction()(input, target)
    else:  # composed, so autograd differentiates pos_weight too: (1 - y) x + (1 + (pw - 1) y) softplus(-x)
        pw = _weighted(name, target, pos_weight, input) - target  # (pw - 1) y, pos_weight checked as a weight
        loss = (1 - target) * input + (1 + pw) * softplus(-input)
    return _reduce(_weighted(name, loss, weight, input), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Huber loss of d = input - target: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta);
    `delta` times `smooth_l1_loss` with beta = delta. Same as torch.nn.functional.huber_loss.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.huber_loss(minigrad.tensor([0.5, 3.0]), minigrad.zeros(2), reduction="none", delta=2.0)
    tensor([0.125, 4.   ])
    """
    _check_reduction(reduction)
    target = _check_pair("huber_loss", input, target)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    d = input - target
    a = d.abs()
    return _reduce(where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta), reduction)


# ***** L1, smooth L1 and KL divergence *****


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean absolute error |input - target|; the gradient is sign(input - target), 0 where they
    are equal (as PyTorch). Same as torch.nn.functional.l1_loss.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.l1_loss(minigrad.tensor([1.0, 2.0]), minigrad.tensor([1.5, 4.0]))
    tensor(1.25)
    """
    reduction = _legacy_reduction("l1_loss", size_average, reduce, reduction)
    target = _check_pair("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Huber-like loss of d = input - target: 0.5 d^2 / beta where |d| < beta, else
    |d| - 0.5 beta (beta = 0: the L1 loss). Same as torch.nn.functional.smooth_l1_loss.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.smooth_l1_loss(minigrad.tensor([0.5, 3.0]), minigrad.zeros(2), reduction="none")
    tensor([0.125, 2.5  ])
    """
    reduction = _legacy_reduction("smooth_l1_loss", size_average, reduce, reduction)
    target = _check_pair("smooth_l1_loss", input, target)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    d = input - target
    a = d.abs()
    if beta == 0:  # the quadratic part is empty (and would divide by 0)
        return _reduce(a, reduction)
    # where() passes each branch's gradient only where it is picked: d / beta inside, sign(d) outside
    loss = where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta)
    return _reduce(loss, reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence KL(target || exp(input)) pointwise, `input` holding
    log-probabilities: target * (log(target) - input), 0 where target is 0 (or, with
    `log_target=True`, e^target * (target - input)). Same as torch.nn.functional.kl_div,
    including `reduction="batchmean"` (the sum divided by the batch size: the true KL per
    sample) and a warning for the default "mean", which also divides by the number of classes.

    Knowledge distillation, as usually written:

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> student, teacher, T = minigrad.randn(4, 10), minigrad.randn(4, 10), 2.0
    >>> loss = F.kl_div(F.log_softmax(student / T, dim=1), F.softmax(teacher / T, dim=1),
    ...                 reduction="batchmean") * T * T
    >>> loss.item() > 0
    True
    """
    reduction = _legacy_reduction("kl_div", size_average, reduce, reduction, _REDUCTIONS + ("batchmean",))
    target = _check_pair("kl_div", input, target)
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the sum by the number of elements, not by the batch "
                      "size; the KL divergence per sample is reduction='batchmean' (as in PyTorch)",
                      UserWarning, stacklevel=2)
    if log_target:
        loss = exp(target) * (target - input)
    else:
        # target * log(target) with 0 at target == 0 (its limit); the log sees 1 there, so
        # neither the value nor the gradient becomes NaN. A negative target gives NaN, as torch.
        zero = Tensor._from_data(target.array == 0)
        with backend.quiet_selected(backend.get_array_module(target.array)):
            loss = where(zero, 0.0, target * log(where(zero, 1.0, target))) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


# ***** margin and embedding losses; Poisson and Gaussian NLL *****
#
# Composed from primitive ops (autograd gives every gradient). PyTorch clamps its hinges with
# clamp_min(z, 0), whose gradient passes at z = 0 (the margin itself): `_hinge` keeps that.


def _hinge(z: Tensor) -> Tensor:
    """max(z, 0) with PyTorch's clamp_min gradient: 1 at z = 0, and a NaN stays NaN."""
    return where(z < 0, 0.0, z)


def _same_device(name, first: Tensor, *others) -> None:
    for o in others:
        if isinstance(o, Tensor) and o.device != first.device:
            raise TypeError(f"{name}: the tensors are on {first.device!r} and {o.device!r}; they must be on one device")


def _float_like(name, x, like: Tensor, what: str) -> Tensor:
    """x as a Tensor of `like`'s float dtype (a number or array is wrapped; an integer tensor of
    +-1 labels is cast), on `like`'s device."""
    if like.dtype.kind != "f":
        raise DtypeError(f"{name}: needs floating-point inputs, got {like.dtype}")
    if not isinstance(x, Tensor):
        return Tensor._from_data(x, dtype=like.dtype, device=like.device)
    _same_device(name, like, x)
    return x if x.dtype == like.dtype else x.to(dtype=like.dtype)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin): target 1 asks input1 to rank above input2 by
    `margin`, -1 below. Same as torch.nn.functional.margin_ranking_loss (the three broadcast,
    but must have the same number of dims).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.margin_ranking_loss(minigrad.tensor([1.0, 0.0]), minigrad.tensor([0.0, 1.0]), minigrad.tensor([1.0, 1.0]),
    ...                       margin=0.5, reduction="none")
    tensor([0. , 1.5])
    """
    name = "margin_ranking_loss"
    reduction = _legacy_reduction(name, size_average, reduce, reduction)
    if not (isinstance(input1, Tensor) and isinstance(input2, Tensor) and isinstance(target, Tensor)):
        raise TypeError(f"{name}: input1, input2 and target must be Tensors")
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise ShapeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                         f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape}")
    input2, target = _float_like(name, input2, input1, "input2"), _float_like(name, target, input1, "target")
    return _reduce(_hinge(-target * (input1 - input2) + margin), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """input where target is 1, max(0, margin - input) where target is -1 (input is usually a
    distance). Same as torch.nn.functional.hinge_embedding_loss (input and target broadcast;
    a target that is neither counts both terms, as torch's).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.hinge_embedding_loss(minigrad.tensor([0.3, 0.3]), minigrad.tensor([1.0, -1.0]), reduction="none")
    tensor([0.3, 0.7])
    """
    name = "hinge_embedding_loss"
    reduction = _legacy_reduction(name, size_average, reduce, reduction)
    target = _float_like(name, target, input, "target")  # compared only: no gradient
    t = target.detach()
    return _reduce(where(t != 1, _hinge(margin - input), 0.0) + where(t != -1, input, 0.0), reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1; the cosine
    along dim 1 of (N, D) inputs with a target (N,), or of (D,) inputs with a target ().
    Same as torch.nn.functional.cosine_embedding_loss (its 1e-12 in each squared norm too).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x1, x2 = minigrad.tensor([[1.0, 0.0], [1.0, 0.0]]), minigrad.tensor([[0.0, 1.0], [1.0, 1.0]])
    >>> F.cosine_embedding_loss(x1, x2, minigrad.tensor([1.0, -1.0]), reduction="none")
    tensor([1.        , 0.70710677])
    """
    name = "cosine_embedding_loss"
    reduction = _legacy_reduction(name, size_average, reduce, reduction)
    target = _float_like(name, target, input1, "target")
    input2 = _float_like(name, input2, input1, "input2")
    if target.ndim not in (0, 1):
        raise ShapeError(f"{name}: 0D or 1D target tensor expected, multi-target not supported (target of "
                         f"shape {target.shape})")
    want = target.ndim + 1
    if input1.ndim != want or input2.ndim != want:
        raise ShapeError(f"{name}: {target.ndim}D target tensor expects {want}D input tensors, but found inputs "
                         f"with sizes {input1.shape} and {input2.shape}.")
    d = target.ndim
    prod = (input1 * input2).sum(d)
    denom = (((input1 * input1).sum(d) + 1e-12) * ((input2 * input2).sum(d) + 1e-12)).sqrt()
    cos = prod / denom
    t = target.detach()
    return _reduce(where(t == 1, 1 - cos, 0.0) + where(t == -1, _hinge(cos - margin), 0.0), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), d = `pairwise_distance` with
    `p` and `eps`; `swap=True` uses min(d(a, n), d(p, n)) as the negative distance. Same as
    torch.nn.functional.triplet_margin_loss.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> a, p, n = minigrad.tensor([[0.0, 0.0]]), minigrad.tensor([[3.0, 4.0]]), minigrad.tensor([[0.0, 1.0]])
    >>> F.triplet_margin_loss(a, p, n, eps=0.0)  # 1 + 5 - 1
    tensor(5.)
    """
    from .distance import pairwise_distance

    name = "triplet_margin_loss"
    reduction = _legacy_reduction(name, size_average, reduce, reduction)
    if not margin > 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ShapeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                         f"dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative "
                         f"{negative.ndim}D inputs (shapes {anchor.shape}, {positive.shape}, {negative.shape})")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_swap = pairwise_distance(positive, negative, p, eps)
        d_neg = where(d_swap < d_neg, d_swap, d_neg)  # a tie (measure zero) sends the gradient to d(a, n)
    return _reduce(_hinge(d_pos - d_neg + margin), reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + e^(-target * input)), the logistic loss for targets +-1, computed as
    -logsigmoid(target * input) so it never overflows (PyTorch's gives inf once target * input
    < -709 in float64). Same as torch.nn.functional.soft_margin_loss; input and target have one
    shape.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.soft_margin_loss(minigrad.tensor([0.0, -1000.0]), minigrad.tensor([1.0, 1.0]), reduction="none")
    tensor([6.931472e-01, 1.000000e+03])
    """
    from .activation import logsigmoid

    name = "soft_margin_loss"
    reduction = _legacy_reduction(name, size_average, reduce, reduction)
    target = _check_pair(name, input, target)
    _same_device(name, input, target)
    return _reduce(-logsigmoid(target * input), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """Binary logistic loss of each of C labels, averaged over the labels (the last dim):
    -mean_c w_c (y_c logsigmoid(x_c) + (1 - y_c) logsigmoid(-x_c)), one value per sample.
    Same as torch.nn.functional.multilabel_soft_margin_loss; input and target have one shape,
    `weight` broadcasts to it.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> round(F.multilabel_soft_margin_loss(minigrad.zeros(2, 3), minigrad.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]])).item(), 4)
    0.6931
    """
    from .activation import logsigmoid

    name = "multilabel_soft_margin_loss"
    reduction = _legacy_reduction(name, size_average, reduce, reduction)
    target = _check_pair(name, input, target)
    _same_device(name, input, target)
    if input.ndim == 0:
        raise ShapeError(f"{name}: expected input of shape (C,) or (N, C), got {input.shape}")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    loss = _weighted(name, loss, weight, input)
    return _reduce(loss.sum(-1) / input.shape[-1], reduction)


def multi_margin_loss(input: Tensor, target, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss of scores (N, C) (or (C,)) at integer labels (N,) (or ()):
    sum over classes j != y of w_y max(0, margin - x_y + x_j)^p, divided by C. Same as
    torch.nn.functional.multi_margin_loss (p 1 or 2; the gradient is 0 where the hinge is
    exactly at the margin, as PyTorch's).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.multi_margin_loss(minigrad.tensor([[0.1, 0.2, 0.4, 0.8]]), minigrad.tensor([3]))  # (0.3 + 0.4 + 0.6) / 4
    tensor(0.325)
    """
    name = "multi_margin_loss"
    reduction = _legacy_reduction(name, size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if not isinstance(target, Tensor):
        target = Tensor._from_data(target)
    if not ((input.ndim == 2 and input.shape[1] != 0) or (input.ndim == 1 and input.shape[0] != 0)):
        raise ShapeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {input.shape}")
    if input.dtype.kind != "f":
        raise DtypeError(f"{name}: needs a floating-point input, got {input.dtype}")
    if target.dtype.kind not in "iu":
        raise DtypeError(f"{name}: target must hold integer class indices, got dtype {target.dtype}")
    _same_device(name, input, target, weight)
    x = input if input.ndim == 2 else input.reshape(1, -1)
    N, C = x.shape
    if target.ndim > 1 or target.numel() != N:
        raise ShapeError(f"{name}: target tensor should be 1-D with size equal to the number of input samples "
                         f"(batch size). Expected target size [{N}], but got {list(target.shape)}. Input has "
                         f"shape {list(input.shape)}.")
    if weight is not None:
        if not isinstance(weight, Tensor):
            raise TypeError(f"{name}: weight must be a Tensor of shape (C,) or None, got {type(weight).__name__}")
        if weight.ndim > 1 or weight.numel() != C:
            raise ShapeError(f"inconsistent weight size, expected {C} but got {list(weight.shape)}")
        if weight.dtype != input.dtype:
            raise DtypeError(f"{name}: weight is {weight.dtype}, input is {input.dtype}; they must match")
    xp = backend.get_array_module(target.array)
    t = target.array.reshape(-1)
    bad = (t < 0) | (t >= C)
    # NOTE: raised on the CPU only (reading the answer on a GPU is a host sync every step);
    # there such a sample's loss is NaN instead, as cross_entropy's
    if target.device == "cpu":
        if t.size and bool(bad.any()):
            raise IndexError(f"{name}: target out of range: values {t[bad][:5].tolist()} for {C} classes")
        bad = None
    else:
        t = xp.where(bad, 0, t)
    rows = xp.arange(N)
    picked = x[rows, t]  # x_y, (N,)
    z = _hinge_open(x - picked.reshape(N, 1) + margin)
    if p == 2:
        z = z * z
    is_y = Tensor._from_data(xp.arange(C)[None, :] == t[:, None])
    h = where(is_y, 0.0, z)
    if weight is not None:
        h = h * weight.reshape(-1)[t].reshape(N, 1)
    loss = h.sum(1) / C
    if bad is not None:
        loss = where(Tensor._from_data(bad), input.dtype.type("nan"), loss)
    if reduction == "none":
        return loss if target.ndim > 0 else loss.reshape(())
    return _reduce(loss, reduction)


def _hinge_open(z: Tensor) -> Tensor:
    """max(z, 0) with gradient 0 at z = 0 (multi_margin_loss counts only z > 0, as PyTorch)."""
    return where(z > 0, z, 0.0)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of counts `target` under a Poisson of rate e^input (log_input=True)
    or `input`: e^input - target * input, or input - target * log(input + eps); `full=True`
    adds Stirling's approximation of log(target!) where target > 1. Same as
    torch.nn.functional.poisson_nll_loss; input and target have one shape.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.poisson_nll_loss(minigrad.tensor([0.0, 1.0]), minigrad.tensor([1.0, 2.0]), reduction="none")
    tensor([1.      , 0.718282])
    """
    name = "poisson_nll_loss"
    reduction = _legacy_reduction(name, size_average, reduce, reduction)
    target = _check_pair(name, input, target)
    _same_device(name, input, target)
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        # the term is 0 where target <= 1; the logs see 1 there, so no NaN (0 * log 0) reaches
        # target's gradient (PyTorch's is NaN at target = 0)
        big = Tensor._from_data(target.array > 1)
        ts = where(big, target, 1.0)
        stirling = ts * log(ts) - ts + log(ts * (2 * np.pi)) * 0.5
        loss = loss + where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of `target` under a Gaussian of mean `input` and variance `var`:
    0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) with `full`).
    Same as torch.nn.functional.gaussian_nll_loss: `var` is a number, or a tensor of the input's
    shape, or of it without the last dim, or with one dim of size 1; the clamp at `eps` leaves
    var's gradient as if unclamped, as PyTorch's. A negative var raises ValueError (on a GPU,
    where checking would cost a host sync per step, that element's loss is NaN instead).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.gaussian_nll_loss(minigrad.tensor([0.0, 2.0]), minigrad.tensor([0.0, 0.0]), minigrad.tensor([1.0, 4.0]),
    ...                     reduction="none")
    tensor([0.       , 1.1931472])
    """
    name = "gaussian_nll_loss"
    _check_reduction(reduction)
    target = _check_pair(name, input, target)
    _same_device(name, input, target, var)
    if isinstance(var, (int, float, np.integer, np.floating)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = Tensor._from_data(np.full(input.shape, var, dtype=input.dtype), device=input.device)
    elif not isinstance(var, Tensor):
        raise TypeError(f"{name}: var must be a Tensor or a number, got {type(var).__name__}")
    if var.dtype != input.dtype:
        var = var.to(dtype=input.dtype)
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:  # one variance per sample: broadcast over the last dim
            var = var.unsqueeze(-1)
        elif not (var.ndim == input.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError(f"var is of incorrect size: {var.shape} for input of shape {input.shape} (expected "
                             f"the input's shape, it without the last dim, or one dim of size 1)")
    negative = None
    if var.device == "cpu":
        if var.array.size and bool((var.array < 0).any()):
            raise ValueError("var has negative entry/entries")
    else:
        negative = Tensor._from_data(var.array < 0)
    vd = var.detach()
    v = var + (ops_maximum(vd, eps) - vd)  # clamped value, the unclamped gradient (torch clamps under no_grad)
    loss = (log(v) + (input - target) ** 2 / v) * 0.5
    if full:
        loss = loss + 0.5 * float(np.log(2 * np.pi))
    if negative is not None:
        loss = where(negative, input.dtype.type("nan"), loss)
    return _reduce(loss, reduction)


# ***** Modules *****


class _Loss(Module):
    """Shared by the loss Modules: the `reduction` argument, checked at construction; `forward`
    calls the subclass's functional loss, `_fn(input, target, reduction)`."""

    _fn = None

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        self.reduction = _legacy_reduction(type(self).__name__, size_average, reduce, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._fn(input, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class _WeightedLoss(_Loss):
    """Shared by CrossEntropyLoss and NLLLoss: the per-class `weight` (a buffer, so `.to()`
    moves it and `state_dict()` holds it, as in PyTorch) and `ignore_index`."""

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        if weight is not None and not isinstance(weight, Tensor):
            raise TypeError(f"{type(self).__name__}: weight must be a Tensor or None, got {weight!r}")
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._fn(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)

    def extra_repr(self) -> str:
        parts = [super().extra_repr()] + ([f"ignore_index={self.ignore_index}"] if self.ignore_index != -100 else [])
        return ", ".join(p for p in parts if p)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of logits (N, C) against integer labels (N,), or the other forms of
    `F.cross_entropy` (class probabilities; (N, C, d1, ...) inputs). Same as
    torch.nn.CrossEntropyLoss: `weight`, `ignore_index`, `label_smoothing` as in `F.cross_entropy`.

    >>> import minigrad
    >>> from minigrad import nn
    >>> round(nn.CrossEntropyLoss()(minigrad.zeros(3, 2), minigrad.tensor([0, 1, 1])).item(), 4)
    0.6931
    >>> nn.CrossEntropyLoss(ignore_index=0, label_smoothing=0.1)
    CrossEntropyLoss(ignore_index=0, label_smoothing=0.1)
    """

    _fn = staticmethod(cross_entropy)

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, size_average, ignore_index, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        parts = [super().extra_repr()] + ([f"label_smoothing={self.label_smoothing}"] if self.label_smoothing else [])
        return ", ".join(p for p in parts if p)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (N, C) at labels (N,). Same as
    torch.nn.NLLLoss (`weight`, `ignore_index`).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.NLLLoss()(minigrad.tensor([[-1.0, -2.0]]), minigrad.tensor([1]))
    tensor(2.)
    """

    _fn = staticmethod(nll_loss)


class L1Loss(_Loss):
    """Mean absolute error. Same as torch.nn.L1Loss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.L1Loss(reduction="sum")(minigrad.tensor([1.0, -2.0]), minigrad.zeros(2))
    tensor(3.)
    """

    _fn = staticmethod(l1_loss)


class SmoothL1Loss(_Loss):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta. Same as torch.nn.SmoothL1Loss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.SmoothL1Loss(beta=0.5)(minigrad.tensor([0.25, 2.0]), minigrad.zeros(2))
    tensor(0.90625)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        if beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be >= 0, got {beta}")
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)

    def extra_repr(self) -> str:
        return ", ".join(p for p in (super().extra_repr(), f"beta={self.beta}" if self.beta != 1.0 else "") if p)


class KLDivLoss(_Loss):
    """KL divergence of log-probabilities against probabilities (or log-probabilities, with
    `log_target=True`). Same as torch.nn.KLDivLoss; use `reduction="batchmean"`.

    >>> import minigrad
    >>> from minigrad import nn
    >>> p = minigrad.tensor([[0.5, 0.5]])
    >>> nn.KLDivLoss(reduction="batchmean")(p.log(), p)
    tensor(0.)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False):
        Module.__init__(self)
        self.reduction = _legacy_reduction("KLDivLoss", size_average, reduce, reduction, _REDUCTIONS + ("batchmean",))
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

    def extra_repr(self) -> str:
        return ", ".join(p for p in (super().extra_repr(), "log_target=True" if self.log_target else "") if p)


class MSELoss(_Loss):
    """Mean squared error. Same as torch.nn.MSELoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.MSELoss(reduction="sum")(minigrad.tensor([1.0, 2.0]), minigrad.tensor([0.0, 0.0]))
    tensor(5.)
    """

    _fn = staticmethod(mse_loss)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities, with optional element weights (a buffer). Same as
    torch.nn.BCELoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> round(nn.BCELoss()(minigrad.tensor([0.5]), minigrad.tensor([0.0])).item(), 4)
    0.6931
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy, stable for any logit; `weight` and `pos_weight` are
    buffers. Same as torch.nn.BCEWithLogitsLoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.BCEWithLogitsLoss()(minigrad.tensor([200.0]), minigrad.tensor([0.0]))   # exact
    tensor(200.)
    >>> nn.BCELoss()(minigrad.tensor([200.0]).sigmoid(), minigrad.tensor([0.0]))   # sigmoid is 1: log(0) clamped
    tensor(100.)
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight: Tensor | None = None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                pos_weight=self.pos_weight)


class HuberLoss(_Loss):
    """Huber loss: quadratic below `delta`, linear above. Same as torch.nn.HuberLoss.

    >>> from minigrad import nn
    >>> nn.HuberLoss(delta=0.5)
    HuberLoss(delta=0.5)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)

    def extra_repr(self) -> str:
        return ", ".join(p for p in (super().extra_repr(), f"delta={self.delta}" if self.delta != 1.0 else "") if p)


class _TorchReprLoss(_Loss):
    """Shared by the losses below: their repr is PyTorch's, the bare class name (the options
    are attributes: `loss.margin`, `loss.reduction`)."""

    def extra_repr(self) -> str:
        return ""


class MarginRankingLoss(_TorchReprLoss):
    """max(0, -y (x1 - x2) + margin) for a pair of scores and y = +-1. Same as torch.nn.MarginRankingLoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.MarginRankingLoss(margin=1.0)(minigrad.tensor([2.0]), minigrad.tensor([0.5]), minigrad.tensor([1.0]))
    tensor(0.)
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_TorchReprLoss):
    """x where y = 1, max(0, margin - x) where y = -1. Same as torch.nn.HingeEmbeddingLoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.HingeEmbeddingLoss()(minigrad.tensor([0.25]), minigrad.tensor([-1.0]))
    tensor(0.75)
    """

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_TorchReprLoss):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1. Same as
    torch.nn.CosineEmbeddingLoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.CosineEmbeddingLoss()(minigrad.tensor([[1.0, 0.0]]), minigrad.tensor([[2.0, 0.0]]), minigrad.tensor([1.0]))
    tensor(0.)
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return cosine_embedding_loss(input1, input2, target, self.margin, reduction=self.reduction)


class TripletMarginLoss(_TorchReprLoss):
    """max(0, margin + d(a, p) - d(a, n)) with the p-norm distance. Same as torch.nn.TripletMarginLoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> a = minigrad.zeros(1, 2)
    >>> nn.TripletMarginLoss(margin=0.5, eps=0.0)(a, a, minigrad.tensor([[3.0, 4.0]]))
    tensor(0.)
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False, size_average=None,
                 reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        if not margin > 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps, self.swap,
                                   reduction=self.reduction)


class SoftMarginLoss(_TorchReprLoss):
    """log(1 + e^(-y x)) for y = +-1, stable. Same as torch.nn.SoftMarginLoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> round(nn.SoftMarginLoss()(minigrad.zeros(2), minigrad.tensor([1.0, -1.0])).item(), 4)
    0.6931
    """

    _fn = staticmethod(soft_margin_loss)


class MultiLabelSoftMarginLoss(_TorchReprLoss):
    """Per-label logistic loss averaged over the labels; `weight` (a buffer) per label. Same as
    torch.nn.MultiLabelSoftMarginLoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> round(nn.MultiLabelSoftMarginLoss()(minigrad.zeros(1, 3), minigrad.tensor([[1.0, 0.0, 1.0]])).item(), 4)
    0.6931
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class MultiMarginLoss(_TorchReprLoss):
    """Multi-class hinge loss, p 1 or 2; `weight` (a buffer) per class. Same as torch.nn.MultiMarginLoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.MultiMarginLoss()(minigrad.tensor([[0.1, 0.2, 0.4, 0.8]]), minigrad.tensor([3]))
    tensor(0.325)
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None, size_average=None,
                 reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.ndim != 1:
            raise ValueError(f"weight must be one-dimensional, got shape {weight.shape}")
        self.p, self.margin = p, margin
        self.register_buffer("weight", weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return multi_margin_loss(input, target, self.p, self.margin, self.weight, reduction=self.reduction)


class PoissonNLLLoss(_TorchReprLoss):
    """Poisson negative log-likelihood (`log_input`, `full`, `eps`). Same as torch.nn.PoissonNLLLoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.PoissonNLLLoss()(minigrad.zeros(2), minigrad.ones(2))
    tensor(1.)
    """

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None, eps: float = 1e-8,
                 reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return poisson_nll_loss(log_input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_TorchReprLoss):
    """Gaussian negative log-likelihood of a target given a predicted mean and variance
    (`full`, `eps`, keyword-only as in PyTorch). Same as torch.nn.GaussianNLLLoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.GaussianNLLLoss()(minigrad.zeros(2), minigrad.zeros(2), minigrad.ones(2))
    tensor(0.)
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Tensor, var) -> Tensor:
        return gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)
