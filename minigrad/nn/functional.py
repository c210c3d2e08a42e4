"""The stateless neural-network API, imported as `F` (`import minigrad.nn.functional as F`).

The hot ops are fused Functions with hand-derived backward passes (`Linear`, `BatchNorm`,
`SoftmaxCrossEntropy`): one graph node instead of five to ten, which is what makes a training
step fast in Python. Each has a `*_simple` twin composed from primitive ops; the tests check the
fused op against its twin, so the hand-written backward is checked even without PyTorch.

Sections: activations | linear | batch norm | losses | dropout and shape.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend, ops
from ..autograd import Function
from ..ops import _quiet
from ..tensor import Tensor, default_generator

# ***** activations: the primitive ops, re-exported under PyTorch's names *****

from ..ops import leaky_relu, log_softmax, relu, sigmoid, softmax, tanh  # noqa: E402,F401


# ***** linear *****


class Linear(Function):
    """y = x @ W^T + b (fused: one graph node)"""

    def forward(self, x, W, b=None):
        self.x, self.W = x, W
        y = x @ W.T
        if b is not None:
            y += b  # y is a fresh array: adding in place saves one allocation
        return y

    def backward(self, gy):
        x, W = self.x, self.W
        gx = gy @ W if self.needs_input_grad[0] else None  # dL/dx = gy W
        gW = gb = None
        if self.needs_input_grad[1]:
            # dL/dW = gy^T x, summed over every leading (batch) dim
            gW = gy.reshape(-1, gy.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            gb = gy.reshape(-1, gy.shape[-1]).sum(axis=0)  # dL/db = sum of gy over the batch
        return gx, gW, gb


def _check_linear(x: Tensor, weight: Tensor, bias: Tensor | None):
    xs, ws = x.data.shape, weight.data.shape  # NOTE: raw shapes: this runs on every forward
    if len(ws) != 2 or not xs or xs[-1] != ws[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not fit weight of shape {weight.shape} "
            f"(expected input (..., {weight.shape[-1] if weight.ndim == 2 else '?'}))"
        )
    if bias is not None and bias.data.shape != (ws[0],):
        raise ValueError(f"linear: bias of shape {bias.shape}, expected ({ws[0]},)")
    # as torch and conv2d: mixing would give float64 grads to float32 parameters (R2.7)
    if x.data.dtype != weight.data.dtype or (bias is not None and bias.data.dtype != weight.data.dtype):
        name, t = ("bias", bias) if x.data.dtype == weight.data.dtype else ("weight", weight)
        raise TypeError(f"linear: input is {x.dtype} but {name} is {t.dtype}; convert one with "
                        f".to(dtype=...)")


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x @ weight.T + bias. Same as torch.nn.functional.linear.

    Shape: x (*, in), weight (out, in), bias (out,) -> y (*, out).

    Example:
        >>> import minigrad
        >>> import minigrad.nn.functional as F
        >>> x, W, b = minigrad.ones(2, 3), minigrad.ones(4, 3), minigrad.zeros(4)
        >>> F.linear(x, W, b).shape
        (2, 4)
    """
    _check_linear(x, weight, bias)
    return Linear()(x, weight) if bias is None else Linear()(x, weight, bias)


def linear_simple(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """`linear` composed from primitive ops: the test oracle for the fused `Linear`."""
    _check_linear(x, weight, bias)
    y = x @ weight.T
    return y if bias is None else y + bias


# ***** batch norm *****


def _stat_dtype(dtype):
    # NOTE: float16 statistics overflow (x^2 > 65504 for |x| > 256), so they are computed and
    # kept in float32 (R1.14); float32 and float64 compute in their own precision.
    return np.dtype(np.float32) if dtype.itemsize < 4 else dtype


class BatchNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * gamma + beta, per channel (dim 1).

    Training: mean and (biased) var of the batch, over every dim but 1; the running statistics
    (arrays given to __init__) are updated in place. Eval: the running statistics."""

    def __init__(self, training, momentum, eps, running_mean=None, running_var=None):
        self.training, self.momentum, self.eps = training, momentum, eps
        self.running_mean, self.running_var = running_mean, running_var

    def forward(self, x, gamma=None, beta=None):
        xp = self.xp
        self.x_dtype = x.dtype
        dt = _stat_dtype(x.dtype)
        if dt != x.dtype:
            x = x.astype(dt)
        self.axes = axes = (0,) if x.ndim == 2 else (0,) + tuple(range(2, x.ndim))
        self.pshape = pshape = (x.shape[1],) + (1,) * (x.ndim - 2)  # broadcasts against (N, C, ...)
        self.n = n = x.size // x.shape[1]  # values per channel
        self.has_gamma = gamma is not None
        if self.has_gamma:
            self.gamma_dtype, gamma = gamma.dtype, gamma.astype(dt, copy=False)
        if self.training:
            # Two passes: centre first, never E[x^2] - E[x]^2 (R1.8). NOTE: with a large mean
            # (1e4 in float32) the computed mean is itself off by ~1e-3, so we measure that
            # residue d = mean(xc) and take it out (the corrected two-pass algorithm of Chan,
            # Golub and LeVeque): var = mean(xc^2) - d^2 exactly, and xc -= d.
            inv_n = 1.0 / n  # sum * (1/n): NumPy's mean() costs more Python than the math here
            mean = x.sum(axis=axes) * inv_n
            xc = x - mean.reshape(pshape)
            d = xc.sum(axis=axes) * inv_n
            var = xp.maximum((xc * xc).sum(axis=axes) * inv_n - d * d, 0)
            xc -= d.reshape(pshape)
            mean += d
            inv_std = 1 / xp.sqrt(var + self.eps)  # eps inside the square root (R1.7)
            self.xhat = xc * inv_std.reshape(pshape)
            if self.running_mean is not None:  # update in place, whatever the grad mode (R1.2)
                m = self.momentum
                self.running_mean *= 1 - m
                self.running_mean += m * mean
                self.running_var *= 1 - m
                self.running_var += (m * n / (n - 1)) * var  # store the unbiased variance (R1.4)
            if self.has_gamma:
                y = self.xhat * gamma.reshape(pshape)
            else:  # y must not be xhat itself: beta is added in place below
                y = self.xhat if beta is None else self.xhat.copy()
        else:
            mean = self.running_mean.astype(dt, copy=False)
            inv_std = 1 / xp.sqrt(self.running_var.astype(dt, copy=False) + self.eps)
            self.x, self.mean = x, mean
            scale = gamma * inv_std if self.has_gamma else inv_std
            y = (x - mean.reshape(pshape)) * scale.reshape(pshape)
        self.inv_std = inv_std
        self.gamma = gamma
        if beta is not None:
            y += beta.astype(dt, copy=False).reshape(pshape)
        return y if dt == self.x_dtype else y.astype(self.x_dtype)

    def backward(self, gy):
        dt, pshape, axes = _stat_dtype(self.x_dtype), self.pshape, self.axes
        if gy.dtype != dt:
            gy = gy.astype(dt)
        xhat = self.xhat if self.training else (self.x - self.mean.reshape(pshape)) * self.inv_std.reshape(pshape)
        gbeta = gy.sum(axis=axes)  # dL/dbeta = sum gy
        ggamma = (gy * xhat).sum(axis=axes)  # dL/dgamma = sum gy * xhat
        scale = self.gamma * self.inv_std if self.has_gamma else self.inv_std
        if self.training:
            # the batch mean and var depend on x too:
            # dL/dx = gamma / sigma * (gy - mean(gy) - xhat * mean(gy * xhat))
            inv_n = 1.0 / self.n
            gx = xhat * (ggamma * inv_n).reshape(pshape)
            gx += (gbeta * inv_n).reshape(pshape)
            gx = gy - gx
            gx *= scale.reshape(pshape)
        else:
            gx = gy * scale.reshape(pshape)  # the running statistics are constants
        if gx.dtype != self.x_dtype:
            gx = gx.astype(self.x_dtype)
        if not self.has_gamma:
            return (gx,) if len(self.needs_input_grad) == 1 else (gx, None, gbeta)
        g = self.gamma_dtype
        return gx, ggamma.astype(g, copy=False), gbeta.astype(g, copy=False)


def _check_batch_norm(x, running_mean, running_var, weight, bias, training):
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, ...), got shape {x.shape}")
    C = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t.shape != (C,):
            raise ValueError(
                f"batch_norm: {name} has shape {t.shape} but the input has {C} channels in dim 1 "
                f"(input shape {x.shape}); expected ({C},)"
            )
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var, or neither")
    if not training and running_mean is None:
        raise ValueError("batch_norm: eval mode (training=False) needs running_mean and running_var")
    if training and x.numel() // max(C, 1) <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"batch_norm: expected a floating-point input, got {x.dtype}")


def batch_norm(x: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization over dim 1 of (N, C), (N, C, L) or (N, C, H, W) input.
    Same as torch.nn.functional.batch_norm:

    - training: normalise with the batch mean and the *biased* batch variance; if running stats
      are given, update them in place: running = (1 - momentum) * running + momentum * batch,
      with the *unbiased* variance (count N, N*L or N*H*W);
    - eval (training=False): normalise with running_mean and running_var.

    float16 input is normalised in float32 (its statistics would overflow) and returned as float16.

    Example:
        >>> import minigrad
        >>> import minigrad.nn.functional as F
        >>> x = minigrad.tensor([[1.0], [3.0]])
        >>> rm, rv = minigrad.zeros(1), minigrad.ones(1)
        >>> F.batch_norm(x, rm, rv, training=True, eps=0.0).numpy().ravel().tolist()
        [-1.0, 1.0]
        >>> rm, rv  # 0.9 * 0 + 0.1 * 2, 0.9 * 1 + 0.1 * 2 (unbiased var of [1, 3])
        (tensor([0.2]), tensor([1.1]))
    """
    _check_batch_norm(x, running_mean, running_var, weight, bias, training)
    rm = rv = None
    if running_mean is not None and training:
        rm, rv = running_mean.data, running_var.data
        running_mean._version += 1  # changed in place below
        running_var._version += 1
    elif running_mean is not None:
        rm, rv = running_mean.data, running_var.data
    fn = BatchNorm(bool(training), float(momentum), float(eps), rm, rv)
    if weight is None and bias is None:
        return fn(x)
    if weight is None:
        weight = ops._const(backend.get_array_module(x.data).ones(x.shape[1], dtype=bias.dtype))
    if bias is None:
        bias = ops._const(backend.get_array_module(x.data).zeros(x.shape[1], dtype=weight.dtype))
    return fn(x, weight, bias)


def batch_norm_simple(x: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
                      weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
                      momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """`batch_norm` composed from primitive ops: the test oracle for the fused `BatchNorm`."""
    _check_batch_norm(x, running_mean, running_var, weight, bias, training)
    axes = (0,) + tuple(range(2, x.ndim))
    pshape = (x.shape[1],) + (1,) * (x.ndim - 2)
    if training:
        mean = x.mean(dim=axes, keepdim=True)
        xc = x - mean
        var = (xc * xc).mean(dim=axes, keepdim=True)
        if running_mean is not None:
            n = x.numel() // x.shape[1]
            m = float(momentum)
            running_mean.data[...] = (1 - m) * running_mean.data + m * mean.data.reshape(-1)
            running_var.data[...] = (1 - m) * running_var.data + m * var.data.reshape(-1) * n / (n - 1)
    else:
        xc = x - running_mean.detach().reshape(pshape)
        var = running_var.detach().reshape(pshape)
    y = xc / (var + eps).sqrt()
    if weight is not None:
        y = y * weight.reshape(pshape)
    if bias is not None:
        y = y + bias.reshape(pshape)
    return y


# ***** losses *****

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
    t = target.data
    # NOTE: checked on the CPU only: on a GPU the check is a host sync every step (issue 6)
    if t.size and target.device == "cpu" and bool(((t < 0) | (t >= C)).any()):
        bad = backend.to_numpy(t)
        bad = bad[(bad < 0) | (bad >= C)]
        raise IndexError(f"{name}: target values {bad[:5].tolist()} are out of range for {C} classes")
    return target


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


class SoftmaxCrossEntropy(Function):
    """loss_i = logsumexp(x_i) - x_i[t_i], reduced by mean, sum or none (fused)"""

    def __init__(self, target, reduction):
        self.target, self.reduction = target, reduction

    def forward(self, x):
        xp = self.xp
        N = x.shape[0]
        with _quiet(xp):
            s = x - x.max(axis=1, keepdims=True)  # shift-stable (R2.10)
            e = xp.exp(s)
            se = e.sum(axis=1, keepdims=True)
            self.p = e / se  # softmax, kept for backward
            self.rows = xp.arange(N)
            loss = xp.log(se[:, 0]) - s[self.rows, self.target]
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
    return SoftmaxCrossEntropy(target.data, reduction)(input)


def cross_entropy_simple(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """`cross_entropy` composed from primitive ops: the test oracle for `SoftmaxCrossEntropy`."""
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
    rows = backend.get_array_module(target.data).arange(input.shape[0])
    return _reduce(-input[rows, target.data], reduction)


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


class BinaryCrossEntropy(Function):
    """loss = -(y log p + (1 - y) log(1 - p)), each log clamped at -100 as PyTorch does"""

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
    p = input.data
    # NOTE: checked on the CPU only, like the labels above (a host sync on a GPU)
    if p.size and input.device == "cpu" and bool(((p < 0) | (p > 1)).any()):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1]; use "
                         "binary_cross_entropy_with_logits for logits")
    return _reduce(BinaryCrossEntropy()(input, target), reduction)


class BCEWithLogits(Function):
    """loss = max(x, 0) - x y + log(1 + e^-|x|): log(1 + e^x) - x y without overflow"""

    def forward(self, x, y):
        xp = self.xp
        self.x, self.y = x, y
        with _quiet(xp):
            return xp.maximum(x, 0) - x * y + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        xp, gx = self.xp, None
        if self.needs_input_grad[0]:
            with _quiet(xp):
                e = xp.exp(-xp.abs(self.x))  # stable sigmoid: e^-|x| never overflows
                sig = xp.where(self.x >= 0, 1 / (1 + e), e / (1 + e))
            gx = gy * (sig - self.y)  # d/dx = sigmoid(x) - y
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
    return _reduce(BCEWithLogits()(input, target), reduction)


# ***** dropout and shape *****


class Dropout(Function):
    """y = x * mask / (1 - p): inverted dropout, so eval needs no rescaling"""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x):
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p), in training only.
    The mask is drawn on the host from minigrad's generator, so `manual_seed` makes it
    reproducible on every device. Same as torch.nn.functional.dropout.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.dropout(minigrad.ones(4), p=0.5, training=False)
    tensor([1., 1., 1., 1.])
    """
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return x
    dt = x.dtype if x.dtype.itemsize >= 4 else np.dtype(np.float32)
    keep = default_generator.rng.random(x.shape, dtype=dt) >= p
    mask = (keep * (1.0 / (1.0 - p) if p < 1 else 0.0)).astype(x.dtype)
    return Dropout(backend.to_device(mask, x.device))(x)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one. Same as torch.flatten."""
    return ops.flatten(x, start_dim, end_dim)
from .conv import adaptive_avg_pool2d, avg_pool2d, conv2d, max_pool2d  # noqa: E402,F401  (conv.py holds them)


# ***** GELU and layer norm (added by the extending guide, docs/extending.md) *****

_SQRT_2, _SQRT_2_PI, _SQRT_PI = math.sqrt(2.0), math.sqrt(2.0 / math.pi), math.sqrt(math.pi)


def _erf(xp, x):
    """erf(x) with error < 1e-13 from exp and arithmetic only (NumPy has no erf; CuPy's lives in
    cupyx). |x| < 2.5: the series erf(x) = 2/sqrt(pi) e^(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1)),
    whose terms are all positive (no cancellation); |x| >= 2.5: Laplace's continued fraction
    erfc(x) = e^(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))).
    Python-float constants keep float32 input float32."""
    a = xp.abs(x)
    s = xp.minimum(a, 2.5)  # each branch sees only the values it is accurate for
    term, total, s2 = s, s, 2 * s * s
    for n in range(1, 36):
        term = term * s2 / (2 * n + 1)
        total = total + term
    series = (2 / _SQRT_PI) * xp.exp(-s * s) * total
    b = xp.maximum(a, 2.5)
    f = b
    for k in range(24, 0, -1):
        f = b + (k / 2) / f
    tail = 1 - xp.exp(-b * b) / (_SQRT_PI * f)
    return xp.sign(x) * xp.where(a < 2.5, series, tail)


class GELU(Function):
    """y = x * Phi(x), Phi the standard normal CDF: x/2 * (1 + erf(x / sqrt(2))); with
    approximate="tanh": x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))"""

    def __init__(self, approximate: str = "none"):
        self.approximate = approximate

    def forward(self, x):
        xp = self.xp
        self.x = x
        if self.approximate == "tanh":
            self.t = xp.tanh(_SQRT_2_PI * (x + 0.044715 * x * x * x))
            return 0.5 * x * (1 + self.t)
        self.cdf = 0.5 * (1 + _erf(xp, x / _SQRT_2))
        return x * self.cdf

    def backward(self, gy):
        x = self.x
        if self.approximate == "tanh":  # product rule, then d tanh(u) = (1 - t^2) du
            du = _SQRT_2_PI * (1 + 3 * 0.044715 * x * x)
            return gy * (0.5 * (1 + self.t) + 0.5 * x * (1 - self.t * self.t) * du)
        pdf = self.xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return gy * (self.cdf + x * pdf)  # dy/dx = Phi(x) + x phi(x)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian Error Linear Unit. Same as torch.nn.functional.gelu, including
    approximate="tanh" (faster: one tanh instead of a 60-step erf).

    Example:
        >>> import minigrad
        >>> import minigrad.nn.functional as F
        >>> F.gelu(minigrad.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.15865526,  0.        ,  0.8413447 ])
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU(approximate)(x)


class LayerNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, mean and (biased) var over the last
    dims (`axes`) of each sample"""

    def __init__(self, axes: tuple, eps: float):
        self.axes, self.eps = axes, eps

    def forward(self, x, weight=None, bias=None):
        mean = x.mean(axis=self.axes, keepdims=True)
        xc = x - mean  # centre first: never E[x^2] - E[x]^2 (R1.8)
        var = (xc * xc).mean(axis=self.axes, keepdims=True)
        self.inv_std = 1 / self.xp.sqrt(var + self.eps)
        self.xhat = xc * self.inv_std
        self.weight = weight
        if weight is None:
            return self.xhat.copy()  # a new array: the output must not alias saved state
        return self.xhat * weight + bias

    def backward(self, gy):
        xhat, axes = self.xhat, self.axes
        g = gy if self.weight is None else gy * self.weight  # dL/dxhat
        # mean and var depend on x too: dL/dx = (g - mean(g) - xhat * mean(g * xhat)) / sigma
        gx = self.inv_std * (g - g.mean(axis=axes, keepdims=True)
                             - xhat * (g * xhat).mean(axis=axes, keepdims=True))
        if self.weight is None:
            return gx
        # gy * xhat and gy have x's shape; the engine sums them over the batch dims (unbroadcast)
        return gx, gy * xhat, gy


def _check_layer_norm(x: Tensor, shape: tuple, weight, bias):
    if tuple(x.shape[x.ndim - len(shape):]) != shape or x.ndim < len(shape):
        raise ValueError(f"layer_norm: normalized_shape {shape} does not match the last dims of the "
                         f"input of shape {x.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != shape:
            raise ValueError(f"layer_norm: {name} has shape {t.shape}, expected normalized_shape {shape}")
        if t is not None and t.dtype != x.dtype:  # else float32 parameters get float64 grads (R2.7)
            raise TypeError(f"layer_norm: input is {x.dtype} but {name} is {t.dtype}; convert one with "
                            f".to(dtype=...)")
    if x.dtype.kind != "f":
        raise TypeError(f"layer_norm: expected a floating-point input, got {x.dtype}")


def layer_norm(x: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each sample over its last `len(normalized_shape)` dims, then scale and shift.
    Same as torch.nn.functional.layer_norm (biased variance, eps inside the square root).

    Example:
        >>> import minigrad
        >>> import minigrad.nn.functional as F
        >>> F.layer_norm(minigrad.tensor([[1.0, 3.0], [0.0, 10.0]]), (2,), eps=0.0)
        tensor([[-1.,  1.],
                [-1.,  1.]])
    """
    shape = (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    _check_layer_norm(x, shape, weight, bias)
    fn = LayerNorm(tuple(range(x.ndim - len(shape), x.ndim)), float(eps))
    if weight is None and bias is None:
        return fn(x)
    xp = backend.get_array_module(x.data)
    if weight is None:
        weight = ops._const(xp.ones(shape, dtype=bias.dtype))
    if bias is None:
        bias = ops._const(xp.zeros(shape, dtype=weight.dtype))
    return fn(x, weight, bias)


def layer_norm_simple(x: Tensor, normalized_shape, weight: Tensor | None = None,
                      bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """`layer_norm` composed from primitive ops: the test oracle for the fused `LayerNorm`."""
    shape = (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    _check_layer_norm(x, shape, weight, bias)
    dims = tuple(range(x.ndim - len(shape), x.ndim))
    xc = x - x.mean(dim=dims, keepdim=True)
    y = xc / ((xc * xc).mean(dim=dims, keepdim=True) + eps).sqrt()
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y
