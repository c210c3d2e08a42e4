"""Normalization layers: all of BatchNorm (the math, the backward pass, the running statistics
and the Modules, as derived in docs/batchnorm.md) and LayerNorm.

BatchNorm is two Functions, one per mode:
- training, `BatchNormFunction`: normalise with the batch's mean and biased variance (per
  channel, dim 1), update the running statistics in place;
- eval, `BatchNormEvalFunction`: an affine map per channel with constant statistics.
`F.batch_norm` checks the arguments, picks one, and handles float16 (computed in float32).

Sections: batch norm | layer norm
"""

from __future__ import annotations

import numpy as np

from .. import backend, ops
from ..autograd import Function
from ..dtypes import check_same_dtype, float_or_default
from ..grad_mode import no_grad
from ..tensor import Tensor, int64, ones, wrap, zeros
from . import init
from .module import Module, Parameter

# ***** batch norm *****


def _stat_dtype(dtype):
    # NOTE: float16 statistics overflow (x^2 > 65504 for |x| > 256), so they are computed and
    # kept in float32; float32 and float64 compute in their own precision.
    return np.dtype(np.float32) if dtype.itemsize < 4 else dtype


def _channel_layout(x):
    """The axes to reduce (every dim but 1), the shape that broadcasts a per-channel vector
    against x, and the count of values per channel."""
    axes = (0,) if x.ndim == 2 else (0,) + tuple(range(2, x.ndim))
    return axes, (x.shape[1],) + (1,) * (x.ndim - 2), x.size // x.shape[1]


class BatchNormFunction(Function):
    """Training mode (docs/batchnorm.md, sections 1-2), per channel c over the n values of
    every dim but 1:

        mean = sum(x) / n          var = sum((x - mean)^2) / n          (biased)
        xhat = (x - mean) / sqrt(var + eps)          y = gamma * xhat + beta

    and, when running statistics (arrays) are given, update them in place with PyTorch's
    momentum: running = (1 - m) * running + m * batch, storing the *unbiased* variance."""

    def __init__(self, momentum, eps, running_mean=None, running_var=None):
        self.momentum, self.eps = momentum, eps
        self.running_mean, self.running_var = running_mean, running_var

    def forward(self, x, gamma, beta):
        xp = self.xp
        axes, pshape, n = _channel_layout(x)
        self.axes, self.pshape, self.n = axes, pshape, n
        inv_n = 1.0 / n  # sum * (1/n): NumPy's mean() costs more Python than the math here
        # NOTE: the variance in two passes, centring first, never E[x^2] - E[x]^2 (which cancels
        # catastrophically in float32 when the mean is large). And with a large mean (1e4 in
        # float32) the computed mean is itself off by ~1e-3, so we measure that residue
        # d = mean(x - mean) and take it out (the corrected two-pass algorithm of Chan, Golub and
        # LeVeque): var = mean(xc^2) - d^2 exactly, and xc -= d.
        mean = x.sum(axis=axes) * inv_n
        xc = x - mean.reshape(pshape)
        d = xc.sum(axis=axes) * inv_n
        var = xp.maximum((xc * xc).sum(axis=axes) * inv_n - d * d, 0)
        xc -= d.reshape(pshape)
        mean += d
        self.inv_std = inv_std = 1 / xp.sqrt(var + self.eps)  # eps inside the square root
        self.xhat = xc * inv_std.reshape(pshape)
        self.gamma = gamma
        if self.running_mean is not None:  # in place, whatever the grad mode, via commit so
            self.commit = lambda: self._update_running(mean, var, n)  # detect_anomaly looks first
        y = self.xhat * gamma.reshape(pshape)
        y += beta.reshape(pshape)
        return y

    def _update_running(self, mean, var, n):
        m = self.momentum
        self.running_mean *= 1 - m
        self.running_mean += m * mean
        self.running_var *= 1 - m
        self.running_var += (m * n / (n - 1)) * var  # the unbiased variance

    def backward(self, gy):
        xhat, pshape, axes, inv_n = self.xhat, self.pshape, self.axes, 1.0 / self.n
        gbeta = gy.sum(axis=axes)  # dL/dbeta = sum gy
        ggamma = (gy * xhat).sum(axis=axes)  # dL/dgamma = sum gy * xhat
        # the batch mean and var depend on x too (docs/batchnorm.md, section 2):
        # dL/dx = gamma / sigma * (gy - sum(gy) / n - xhat * sum(gy * xhat) / n)
        gx = xhat * (ggamma * inv_n).reshape(pshape)
        gx += (gbeta * inv_n).reshape(pshape)
        gx = gy - gx
        gx *= (self.gamma * self.inv_std).reshape(pshape)
        return gx, ggamma, gbeta


class BatchNormEvalFunction(Function):
    """Eval mode: the statistics are constants (the running mean and variance), so y is an
    affine map per channel: y = (x - mean) * gamma / sqrt(var + eps) + beta."""

    def __init__(self, eps, running_mean, running_var):
        self.eps, self.running_mean, self.running_var = eps, running_mean, running_var

    def forward(self, x, gamma, beta):
        self.axes, pshape, _ = _channel_layout(x)
        self.pshape = pshape
        self.mean = self.running_mean.astype(x.dtype, copy=False).reshape(pshape)
        self.inv_std = 1 / self.xp.sqrt(self.running_var.astype(x.dtype, copy=False) + self.eps)
        self.scale = (gamma * self.inv_std).reshape(pshape)
        self.x = x
        y = (x - self.mean) * self.scale
        y += beta.reshape(pshape)
        return y

    def backward(self, gy):
        xhat = (self.x - self.mean) * self.inv_std.reshape(self.pshape)
        return gy * self.scale, (gy * xhat).sum(axis=self.axes), gy.sum(axis=self.axes)


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
    if training and x.numel() // max(C, 1) == 1:  # (an empty batch is allowed, as in PyTorch)
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
    dtype = x.array.dtype
    dt = _stat_dtype(dtype)  # float16 is normalised in float32
    if weight is None or bias is None:  # no affine: gamma = 1, beta = 0
        xp = backend.get_array_module(x.array)
        weight = wrap(xp.ones(x.shape[1], dtype=dt)) if weight is None else weight
        bias = wrap(xp.zeros(x.shape[1], dtype=dt)) if bias is None else bias
    if dt != dtype:
        x = ops.cast(x, dt)
    if weight.array.dtype != dt:
        weight = ops.cast(weight, dt)
    if bias.array.dtype != dt:
        bias = ops.cast(bias, dt)
    if training and x.numel() == 0:  # as PyTorch: an empty batch, an empty output, statistics as they were
        pshape = (x.shape[1],) + (1,) * (x.ndim - 2)  # (weight and bias get zero gradients)
        y = x * weight.reshape(pshape) + bias.reshape(pshape)
    elif not training:
        y = BatchNormEvalFunction(float(eps), running_mean.array, running_var.array)(x, weight, bias)
    elif running_mean is None:
        y = BatchNormFunction(float(momentum), float(eps))(x, weight, bias)
    else:
        running_mean.bump_version()  # changed in place by the forward pass
        running_var.bump_version()
        y = BatchNormFunction(float(momentum), float(eps), running_mean.array, running_var.array)(x, weight, bias)
    return y if dt == dtype else ops.cast(y, dtype)


def batch_norm_simple(x: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
                      weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
                      momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """`batch_norm` composed from primitive ops: the test oracle for `batch_norm`."""
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
            running_mean.array[...] = (1 - m) * running_mean.array + m * mean.array.reshape(-1)
            running_var.array[...] = (1 - m) * running_var.array + m * var.array.reshape(-1) * n / (n - 1)
    else:
        xc = x - running_mean.detach().reshape(pshape)
        var = running_var.detach().reshape(pshape)
    y = xc / (var + eps).sqrt()
    if weight is not None:
        y = y * weight.reshape(pshape)
    if bias is not None:
        y = y + bias.reshape(pshape)
    return y


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d; the subclasses only check the input's rank."""

    _ranks: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None):
        super().__init__()
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{type(self).__name__}: momentum must be in [0, 1] or None, got {momentum}")
        if eps < 0:
            raise ValueError(f"{type(self).__name__}: eps must be >= 0, got {eps}")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.frozen = False
        dtype = float_or_default(dtype)
        stat_dtype = _stat_dtype(dtype)  # float16 models keep float32 statistics
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dtype, device=device))
            self.bias = Parameter(zeros(num_features, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=stat_dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=stat_dtype, device=device))
            self.register_buffer("num_batches_tracked", zeros((), dtype=int64, device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, batch count 0 (as a fresh layer)."""
        if self.running_mean is not None:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def freeze(self, mode: bool = True) -> _BatchNorm:
        """Freeze (or, with mode=False, unfreeze) this layer for fine-tuning: it normalises with
        its running statistics, never updates them, and its weight and bias stop requiring grad.
        Unlike `eval()`, this survives a later `model.train()`. Not in PyTorch, where
        the equivalent is calling `.eval()` on the layer again after every `model.train()`.

        >>> import minigrad
        >>> from minigrad import nn
        >>> bn = nn.BatchNorm1d(2).freeze()
        >>> _ = bn.train()(minigrad.randn(8, 2) + 5)
        >>> bn.running_mean
        tensor([0., 0.])
        """
        self.frozen = bool(mode)
        if self.affine:
            self.weight.requires_grad_(not mode)
            self.bias.requires_grad_(not mode)
        return self

    def _check_input(self, x: Tensor) -> None:
        name = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
        if x.ndim not in self._ranks:
            ranks = " or ".join(f"{r}D" for r in self._ranks)
            raise ValueError(f"{name}: expected {ranks} input, got {x.ndim}D input of shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{name}({self.num_features}): expected {self.num_features} channels in dim 1, got "
                f"{x.shape[1]} (input shape {x.shape})"
            )

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        training = self.training and not self.frozen
        # track_running_stats is read on every call, so switching it off later is honoured
        # (batch statistics in both modes, buffers untouched)
        track = self.track_running_stats and self.running_mean is not None
        if not track:  # batch statistics in train and eval alike
            return batch_norm(x, None, None, self.weight, self.bias, training=True, eps=self.eps)
        momentum = self.momentum
        if training and momentum is None:  # cumulative average: batch k gets weight 1/k
            momentum = 1.0 / (int(self.num_batches_tracked.item()) + 1)
        y = batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                         training=training, momentum=momentum or 0.0, eps=self.eps)
        if training:  # counted after batch_norm, which leaves everything as it was if it raises
            self.num_batches_tracked.add_(1)  # a buffer: never requires grad, no no_grad() needed
        return y

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}" + (", frozen=True" if self.frozen else ""))


class BatchNorm1d(_BatchNorm):
    """Batch normalization over dim 1 of (N, C) or (N, C, L) input. Same arguments, buffers and
    semantics as torch.nn.BatchNorm1d:

    - training: y = (x - mean) / sqrt(var + eps) * weight + bias with the batch's mean and biased
      variance over N (and L); then running = (1 - momentum) * running + momentum * batch, with
      the unbiased variance. NOTE: PyTorch's momentum is 1 - TensorFlow's decay (momentum 0.1
      is decay 0.9); `momentum=None` keeps a cumulative average instead.
    - eval: the running statistics; the output of each sample no longer depends on the batch.

    Buffers: running_mean, running_var (float32 even for float16 models), num_batches_tracked.
    See `freeze()` to fix the statistics for fine-tuning.

    Shape: (N, C) or (N, C, L) -> same shape.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> bn = nn.BatchNorm1d(3)
        >>> y = bn(minigrad.randn(16, 3) * 4 + 2)
        >>> bool(abs(y.mean(dim=0).numpy()).max() < 1e-5), bn.running_mean.shape
        (True, (3,))
    """

    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input, per channel over (N, H, W); the unbiased
    running variance uses the count N*H*W. Same as torch.nn.BatchNorm2d; see BatchNorm1d.

    Shape: (N, C, H, W) -> same shape.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> bn = nn.BatchNorm2d(4)
        >>> bn(minigrad.randn(2, 4, 5, 5)).shape
        (2, 4, 5, 5)
    """

    _ranks = (4,)


# ***** layer norm *****


class LayerNormFunction(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, mean and (biased) var over the last
    dims (`axes`) of each sample"""

    def __init__(self, axes: tuple, eps: float):
        self.axes, self.eps = axes, eps

    def forward(self, x, weight=None, bias=None):
        mean = x.mean(axis=self.axes, keepdims=True)
        xc = x - mean  # centre first: never E[x^2] - E[x]^2 (see _batch_stats)
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
    if x.dtype.kind != "f":
        raise TypeError(f"layer_norm: expected a floating-point input, got {x.dtype}")
    check_same_dtype("layer_norm", x, weight=weight, bias=bias)


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
    fn = LayerNormFunction(tuple(range(x.ndim - len(shape), x.ndim)), float(eps))
    if weight is None and bias is None:
        return fn(x)
    xp = backend.get_array_module(x.array)
    if weight is None:
        weight = wrap(xp.ones(shape, dtype=bias.dtype))
    if bias is None:
        bias = wrap(xp.zeros(shape, dtype=weight.dtype))
    return fn(x, weight, bias)


def layer_norm_simple(x: Tensor, normalized_shape, weight: Tensor | None = None,
                      bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """`layer_norm` composed from primitive ops: the test oracle for the fused `LayerNormFunction`."""
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


class LayerNorm(Module):
    """Normalise each sample over its last dims (`normalized_shape`), then scale by `weight`
    (init 1) and shift by `bias` (init 0), both of shape `normalized_shape`. Same as
    torch.nn.LayerNorm. Unlike BatchNorm it has no running statistics, so train and eval agree.

    Shape: input (*, *normalized_shape) -> output of the same shape.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> ln = nn.LayerNorm(4)
        >>> ln
        LayerNorm((4,), eps=1e-05, elementwise_affine=True)
        >>> ln(minigrad.randn(2, 3, 4)).shape
        (2, 3, 4)
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        shape = (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        dtype = float_or_default(dtype)
        if elementwise_affine:
            self.weight = Parameter(ones(*shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(zeros(*shape, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
