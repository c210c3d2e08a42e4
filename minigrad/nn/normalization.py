"""Normalization layers: all of BatchNorm (the math, the backward pass, the running statistics
and the Modules, as derived in docs/batchnorm.md), LayerNorm, GroupNorm, InstanceNorm and Batch
Renormalization; RMSNorm and LocalResponseNorm (composed from ops, no Function).

BatchNorm is two Functions, one per mode:
- training, `BatchNormFunction`: normalise with the batch's mean and biased variance (per
  channel, dim 1), update the running statistics in place;
- eval, `BatchNormEvalFunction`: an affine map per channel with constant statistics.
`F.batch_norm` checks the arguments, picks one, and handles float16 (computed in float32).

The remedies for BatchNorm's failure modes (docs/batchnorm.md, "When BatchNorm goes wrong")
are built on those two Functions: GroupNorm on LayerNormFunction (a group is a row once the
channels are split), InstanceNorm on BatchNormFunction (each (sample, channel) pair is a channel
of a batch of one), Batch Renormalization on BatchNormFunction (its r and d corrections are
constants, so they fold into the affine parameters).

Sections: batch norm | layer norm | group norm | instance norm | batch renorm | rms norm, local response norm
"""

from __future__ import annotations

import numpy as np

from .. import _scratch, backend, ops
from ..autograd import Function
from ..creation import ones, zeros
from ..dtypes import check_same_dtype, float_or_default, int64
from ..grad_mode import no_grad
from ..tensor import Tensor, wrap
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


def _row_order(x) -> tuple:
    """The axes of x (N, C, ...) in the order _rows lays them out: the channel first, then the
    others as they lie in memory, outermost first. Within a row the order of the values does not
    matter to BatchNorm, so this makes _rows a free view whenever the channel is x's outermost
    axis in memory (as convolutions return it, see conv.py) or x is 2-d."""
    if x.ndim == 2:  # BatchNorm1d: (C, N), the transpose
        return (1, 0)
    rest = sorted((i for i in range(x.ndim) if i != 1), key=lambda i: -abs(x.strides[i]))
    return (1, *rest)


def _rows(x, order: tuple):
    """x (N, C, ...) as a (C, n) matrix, one row per channel, its values in `order`."""
    return x.transpose(order).reshape(x.shape[1], -1)


def _unrows(m, order: tuple, shape: tuple):
    """The inverse of _rows: a (C, n) matrix as an array of `shape` (N, C, ...)."""
    if order == (1, 0):
        return m.T
    return m.reshape(tuple(shape[i] for i in order)).transpose(tuple(order.index(i) for i in range(len(order))))


class BatchNormFunction(Function):
    """Training mode (docs/batchnorm.md, sections 1-2), per channel c over the n values of
    every dim but 1:

        mean = sum(x) / n          var = sum((x - mean)^2) / n          (biased)
        xhat = (x - mean) / sqrt(var + eps)          y = gamma * xhat + beta

    and, when running statistics (arrays) are given, update them in place with PyTorch's
    momentum: running = (1 - m) * running + m * batch, storing the *unbiased* variance.

    NOTE on speed: the work is done on the (C, n) matrix of `_rows`, so every per-channel sum is
    a contiguous row, and each pass over the data does as much as it can. Forward folds xhat into
    y = xc * s + t (s, t per channel) and never stores xhat; backward writes dL/dx as
    a * gy + b * xc + c. Six passes each way where the textbook formulas take nine."""

    # backward(create_graph=True) differentiates the composed twin (batch_norm_simple): the batch
    # mean and variance are functions of x there, so every second-order term through them is
    # kept (docs/batchnorm.md, "The second derivative")
    double_backward = "composed"

    def composed(self, x, gamma, beta):
        return batch_norm_simple(x, None, None, gamma, beta, training=True, eps=self.eps)

    def __init__(self, momentum, eps, running_mean=None, running_var=None):
        self.momentum, self.eps = momentum, eps
        self.running_mean, self.running_var = running_mean, running_var

    def forward(self, x, gamma, beta):
        xp, self.cache = self.xp, _scratch.current()  # the layer's buffers, if a layer called us
        self.order = _row_order(x)  # backward lays gy out the same way, to match xc
        x2 = _rows(x, self.order)
        self.n = n = x2.shape[1]
        inv_n = 1.0 / n  # sum * (1/n): NumPy's mean() costs more Python than the math here
        # NOTE: the variance in two passes, centring first, never E[x^2] - E[x]^2 (which cancels
        # catastrophically in float32 when the mean is large). And with a large mean (1e4 in
        # float32) the computed mean is itself off by ~1e-3, so we measure that residue
        # d = mean(x - mean) and take it out (the corrected two-pass algorithm of Chan, Golub and
        # LeVeque): var = mean(xc^2) - d^2 exactly, and the centred x is xc - d.
        mean = x2.sum(axis=1) * inv_n
        xc = _scratch.ufunc(self.cache, xp, xp.subtract, x2, mean[:, None])
        d = xc.sum(axis=1) * inv_n
        var = xp.maximum(xp.einsum("ij,ij->i", xc, xc) * inv_n - d * d, 0)  # one pass, no temporary
        mean += d
        inv_std = 1 / xp.sqrt(var + self.eps)  # eps inside the square root
        self.xc, self.d, self.inv_std, self.gamma = xc, d, inv_std, gamma  # xhat = (xc - d) * inv_std
        if self.running_mean is not None:  # in place, whatever the grad mode, via commit so
            self.commit = lambda: self._update_running(mean, var, n)  # detect_anomaly looks first
        s = gamma * inv_std  # y = gamma * xhat + beta = xc * s + (beta - d * s)
        y = _scratch.ufunc(self.cache, xp, xp.multiply, xc, s[:, None])
        y += (beta - d * s)[:, None]
        return _unrows(y, self.order, x.shape)

    def _update_running(self, mean, var, n):
        m = self.momentum
        self.running_mean *= 1 - m
        self.running_mean += m * mean
        self.running_var *= 1 - m
        self.running_var += (m * n / (n - 1)) * var  # the unbiased variance

    def backward(self, gy):
        xp, xc, d, inv_std, inv_n = self.xp, self.xc, self.d, self.inv_std, 1.0 / self.n
        g2 = _rows(gy, self.order)
        gbeta = g2.sum(axis=1)  # dL/dbeta = sum gy
        # dL/dgamma = sum gy * xhat = (sum gy * xc - d * sum gy) * inv_std
        ggamma = (xp.einsum("ij,ij->i", g2, xc) - d * gbeta) * inv_std
        # the batch mean and var depend on x too (docs/batchnorm.md, section 2):
        # dL/dx = gamma / sigma * (gy - sum(gy) / n - xhat * sum(gy * xhat) / n), which with
        # xhat = (xc - d) * inv_std is a * gy + b * xc + c per channel:
        a = self.gamma * inv_std
        u = ggamma * inv_std * inv_n
        b = -a * u
        c = a * (u * d - gbeta * inv_n)
        gx = _scratch.ufunc(self.cache, xp, xp.multiply, xc, b[:, None])
        gx += c[:, None]
        gx += g2 * a[:, None]
        return _unrows(gx, self.order, gy.shape), ggamma, gbeta


class BatchNormEvalFunction(Function):
    """Eval mode: the statistics are constants (the running mean and variance), so y is an
    affine map per channel: y = (x - mean) * gamma / sqrt(var + eps) + beta."""

    double_backward = "composed"

    def composed(self, x, gamma, beta):
        stats = [wrap(a.astype(x.dtype, copy=False)) for a in (self.running_mean, self.running_var)]
        return batch_norm_simple(x, *stats, gamma, beta, training=False, eps=self.eps)

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


def _no_bias(m: Module) -> str:
    """"bias=False, " in the repr of an affine layer built with bias=False. NOTE: PyTorch also
    prints "bias=True" (and "bias=False" without affine); minigrad keeps its shorter repr."""
    return "bias=False, " if m.weight is not None and m.bias is None else ""


def _register_affine(m: Module, shape, affine: bool, dtype, device, bias: bool = True) -> None:
    """A norm layer's learnable affine: `weight` (ones) and `bias` (zeros) of `shape`, each None
    when off, registered under the same names either way (as PyTorch does, for state_dict)."""
    m.register_parameter("weight", Parameter(ones(shape, dtype=dtype, device=device)) if affine else None)
    m.register_parameter("bias", Parameter(zeros(shape, dtype=dtype, device=device)) if affine and bias else None)


class _NormBase(Module):
    """What BatchNorm and InstanceNorm layers share, as in PyTorch: the affine weight and bias
    (ones and zeros) and, when tracked, the running statistics (float32 even for float16
    models) and the batch counter."""

    def __init__(self, num_features: int, eps: float, momentum: float | None, affine: bool,
                 track_running_stats: bool, device=None, dtype=None, bias: bool = True):
        super().__init__()
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = float_or_default(dtype)
        _register_affine(self, num_features, affine, dtype, device, bias)
        if track_running_stats:
            stat_dtype = _stat_dtype(dtype)
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
            if self.bias is not None:
                init.zeros_(self.bias)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"{_no_bias(self)}track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """Shared by BatchNorm1d/2d/3d; the subclasses only check the input's rank."""

    _ranks: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True):
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{type(self).__name__}: momentum must be in [0, 1] or None, got {momentum}")
        if eps < 0:
            raise ValueError(f"{type(self).__name__}: eps must be >= 0, got {eps}")
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias)
        self.frozen = False
        self._buffer_cache = _scratch.shared()  # work arrays reused across steps (_scratch.py)

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
        for p in (self.weight, self.bias):
            if p is not None:
                p.requires_grad_(not mode)
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
        with self._buffer_cache.active():
            return self._forward(x)

    def _forward(self, x: Tensor) -> Tensor:
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
        return super().extra_repr() + (", frozen=True" if self.frozen else "")


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


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) input, per channel over (N, D, H, W). Same as
    torch.nn.BatchNorm3d; see BatchNorm1d.

    Shape: (N, C, D, H, W) -> same shape.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> nn.BatchNorm3d(2)(minigrad.randn(2, 2, 3, 3, 3)).shape
        (2, 2, 3, 3, 3)
    """

    _ranks = (5,)


# ***** layer norm *****


class LayerNormFunction(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, mean and (biased) var over the last
    dims (`axes`) of each sample"""

    double_backward = "composed"

    def composed(self, x, weight=None, bias=None):
        return layer_norm_simple(x, x.shape[self.axes[0]:], weight, bias, eps=self.eps)

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
        _register_affine(self, shape, elementwise_affine, float_or_default(dtype), device, bias)

    def forward(self, x: Tensor) -> Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


def _channel_affine(y: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """y * weight + bias with per-channel (dim 1) weight and bias, either of which may be None."""
    pshape = (y.shape[1],) + (1,) * (y.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(pshape)
    if bias is not None:
        y = y + bias.reshape(pshape)
    return y


def _check_channel_params(op: str, x: Tensor, **tensors) -> None:
    C = x.shape[1]
    for name, t in tensors.items():
        if t is not None and t.shape != (C,):
            raise ValueError(f"{op}: {name} has shape {t.shape} but the input has {C} channels in dim 1 "
                             f"(input shape {x.shape}); expected ({C},)")


# ***** group norm *****


def _check_group_norm(x: Tensor, num_groups: int, weight, bias) -> None:
    if x.ndim < 2:
        raise ValueError(f"group_norm: expected input of shape (N, C, ...), got shape {x.shape}")
    if num_groups < 1 or x.shape[1] % num_groups:
        raise ValueError(f"group_norm: num_groups={num_groups} must divide the {x.shape[1]} channels "
                         f"(input shape {x.shape})")
    _check_channel_params("group_norm", x, weight=weight, bias=bias)
    if x.dtype.kind != "f":
        raise TypeError(f"group_norm: expected a floating-point input, got {x.dtype}")
    check_same_dtype("group_norm", x, weight=weight, bias=bias)


def group_norm(x: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Group Normalization (Wu & He 2018): split the C channels of each sample into `num_groups`
    groups of C / num_groups consecutive channels, normalise each group over its channels and
    spatial positions (biased variance, eps inside the square root), then scale and shift per
    channel. Same as torch.nn.functional.group_norm. No batch statistics: each sample is
    normalised alone, so batch size, train and eval make no difference.

    num_groups=1 is LayerNorm over (C, ...) with per-channel affine parameters; num_groups=C is
    InstanceNorm.

    Example:
        >>> import minigrad
        >>> import minigrad.nn.functional as F
        >>> x = minigrad.tensor([[[1.0], [3.0], [0.0], [10.0]]])   # (N=1, C=4, L=1)
        >>> F.group_norm(x, 2, eps=0.0).reshape(4)
        tensor([-1.,  1., -1.,  1.])
    """
    _check_group_norm(x, int(num_groups), weight, bias)
    N, G = x.shape[0], int(num_groups)
    # a group's values are contiguous in memory: reshaped to (N, G, rest), each group is one row
    # that LayerNormFunction normalises (a single graph node for the normalisation)
    flat = x.reshape(N, G, x.numel() // max(N * G, 1))
    y = LayerNormFunction((2,), float(eps))(flat).reshape(*x.shape)
    return _channel_affine(y, weight, bias)


def group_norm_simple(x: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
                      eps: float = 1e-5) -> Tensor:
    """`group_norm` composed from primitive ops: the test oracle for `group_norm`."""
    _check_group_norm(x, int(num_groups), weight, bias)
    N, G = x.shape[0], int(num_groups)
    g = x.reshape(N, G, x.numel() // max(N * G, 1))
    gc = g - g.mean(dim=2, keepdim=True)
    y = (gc / ((gc * gc).mean(dim=2, keepdim=True) + eps).sqrt()).reshape(*x.shape)
    return _channel_affine(y, weight, bias)


class GroupNorm(Module):
    """Group Normalization (Wu & He 2018): normalise each sample's channels in `num_groups`
    groups, then scale by `weight` (init 1) and shift by `bias` (init 0), per channel. Same
    arguments, parameters and semantics as torch.nn.GroupNorm. Independent of the batch, so it
    behaves the same with a batch of 2 as with a batch of 256, and the same in train and eval:
    the remedy when batches are small.

    Shape: (N, C, *) -> same shape.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> gn = nn.GroupNorm(2, 6)
        >>> gn
        GroupNorm(2, 6, eps=1e-05, affine=True)
        >>> gn(minigrad.randn(1, 6, 4, 4)).shape
        (1, 6, 4, 4)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_groups={num_groups} must divide num_channels={num_channels}")
        self.num_groups, self.num_channels, self.eps, self.affine = int(num_groups), int(num_channels), eps, affine
        _register_affine(self, num_channels, affine, float_or_default(dtype), device, bias)

    def reset_parameters(self) -> None:
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm({self.num_groups}, {self.num_channels}): expected input of shape "
                             f"(N, {self.num_channels}, ...), got shape {x.shape}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}" + (", bias=False" if _no_bias(self) else "")


# ***** instance norm *****


def _check_instance_norm(x: Tensor, running_mean, running_var, weight, bias, use_input_stats) -> None:
    if x.ndim < 3:
        raise ValueError(f"instance_norm: expected input of shape (N, C, L) or (N, C, H, W), got shape {x.shape}")
    _check_channel_params("instance_norm", x, running_mean=running_mean, running_var=running_var,
                          weight=weight, bias=bias)
    if (running_mean is None) != (running_var is None):
        raise ValueError("instance_norm: give both running_mean and running_var, or neither")
    if not use_input_stats and running_mean is None:
        raise ValueError("instance_norm: use_input_stats=False needs running_mean and running_var")
    if use_input_stats and x.numel() // max(x.shape[0] * x.shape[1], 1) <= 1:
        raise ValueError(f"instance_norm: expected more than 1 spatial element per channel when using the "
                         f"input's statistics, got input of shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"instance_norm: expected a floating-point input, got {x.dtype}")
    check_same_dtype("instance_norm", x, weight=weight, bias=bias)


def instance_norm(x: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Instance Normalization: normalise each channel of each sample over its spatial positions
    (biased variance), then scale and shift per channel. Same as
    torch.nn.functional.instance_norm:

    - use_input_stats=True: the statistics of each (sample, channel); when running statistics
      are given they are updated in place with the *average over the batch* of the per-instance
      mean and unbiased variance (count L or H*W): running = (1 - m) * running + m * average;
    - use_input_stats=False: normalise with running_mean and running_var.

    Example:
        >>> import minigrad
        >>> import minigrad.nn.functional as F
        >>> x = minigrad.tensor([[[1.0, 3.0], [0.0, 10.0]]])   # (N=1, C=2, L=2)
        >>> F.instance_norm(x, eps=0.0)
        tensor([[[-1.,  1.],
                 [-1.,  1.]]])
    """
    _check_instance_norm(x, running_mean, running_var, weight, bias, use_input_stats)
    if not use_input_stats:  # constant statistics: BatchNorm's eval mode, per channel
        y = batch_norm(x, running_mean, running_var, training=False, eps=eps)
        return _channel_affine(y, weight, bias)
    N, C = x.shape[0], x.shape[1]
    # each (sample, channel) pair is a channel of its own in a batch of one: BatchNorm of the
    # (1, N*C, ...) view. Its running statistics are those of the N*C channels, so they start as
    # N copies of ours and their average over the N copies is our update.
    rm = rv = None
    if running_mean is not None:
        xp = backend.get_array_module(running_mean.array)
        rm, rv = wrap(xp.tile(running_mean.array, N)), wrap(xp.tile(running_var.array, N))
    y = batch_norm(x.reshape(1, N * C, *x.shape[2:]), rm, rv, training=True, momentum=momentum, eps=eps)
    if running_mean is not None:
        running_mean.bump_version()  # changed in place, as batch_norm does
        running_var.bump_version()
        running_mean.array[...] = rm.array.reshape(N, C).mean(axis=0)
        running_var.array[...] = rv.array.reshape(N, C).mean(axis=0)
    return _channel_affine(y.reshape(*x.shape), weight, bias)


def instance_norm_simple(x: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                         weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                         momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """`instance_norm` composed from primitive ops: the test oracle for `instance_norm`."""
    _check_instance_norm(x, running_mean, running_var, weight, bias, use_input_stats)
    pshape = (x.shape[1],) + (1,) * (x.ndim - 2)
    if use_input_stats:
        dims = tuple(range(2, x.ndim))
        mean = x.mean(dim=dims, keepdim=True)
        xc = x - mean
        var = (xc * xc).mean(dim=dims, keepdim=True)
        if running_mean is not None:
            n, m = x.numel() // (x.shape[0] * x.shape[1]), float(momentum)
            batch_mean = mean.array.reshape(x.shape[:2]).mean(axis=0)
            batch_var = (var.array.reshape(x.shape[:2]) * (n / (n - 1))).mean(axis=0)
            running_mean.array[...] = (1 - m) * running_mean.array + m * batch_mean
            running_var.array[...] = (1 - m) * running_var.array + m * batch_var
    else:
        xc = x - running_mean.detach().reshape(pshape)
        var = running_var.detach().reshape(pshape)
    return _channel_affine(xc / (var + eps).sqrt(), weight, bias)


class _InstanceNorm(_NormBase):
    """Shared by InstanceNorm1d/2d/3d; the subclasses give the batched rank.
    NOTE: with track_running_stats, num_batches_tracked is registered and saved as in PyTorch,
    whose InstanceNorm never counts."""

    _rank: int = 0

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device=None, dtype=None, *, bias: bool = True):
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{type(self).__name__}: momentum must be in [0, 1], got {momentum}")
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias)

    def forward(self, x: Tensor) -> Tensor:
        name, r = type(self).__name__, self._rank
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
        if x.ndim == r - 1:  # unbatched input, as PyTorch accepts: a batch of one
            return self.forward(x.reshape(1, *x.shape)).reshape(*x.shape)
        if x.ndim != r or x.shape[1] != self.num_features:
            raise ValueError(f"{name}({self.num_features}): expected {r}D input (N, {self.num_features}, ...) "
                             f"or {r - 1}D unbatched input, got shape {x.shape}")
        # as PyTorch: the running statistics are used in eval mode only, and only when tracked
        use_input_stats = self.training or self.running_mean is None
        return instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                             use_input_stats=use_input_stats, momentum=self.momentum, eps=self.eps)


class InstanceNorm1d(_InstanceNorm):
    """Instance Normalization of (N, C, L) input (or unbatched (C, L)): each channel of each
    sample normalised over its L positions. Same arguments, defaults (affine=False,
    track_running_stats=False), buffers and semantics as torch.nn.InstanceNorm1d: with
    track_running_stats=True, training updates running statistics (the batch average of the
    per-instance mean and unbiased variance) and eval normalises with them.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> nn.InstanceNorm1d(3)(minigrad.randn(2, 3, 5)).shape
        (2, 3, 5)
    """

    _rank = 3


class InstanceNorm2d(_InstanceNorm):
    """Instance Normalization of (N, C, H, W) input (or unbatched (C, H, W)): each channel of
    each sample normalised over its H*W positions. Same as torch.nn.InstanceNorm2d; see
    InstanceNorm1d.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> nn.InstanceNorm2d(3, affine=True)(minigrad.randn(2, 3, 4, 4)).shape
        (2, 3, 4, 4)
    """

    _rank = 4


class InstanceNorm3d(_InstanceNorm):
    """Instance Normalization of (N, C, D, H, W) input (or unbatched (C, D, H, W)): each channel
    of each sample normalised over its D*H*W positions. Same as torch.nn.InstanceNorm3d; see
    InstanceNorm1d.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> nn.InstanceNorm3d(3)(minigrad.randn(2, 3, 2, 4, 4)).shape
        (2, 3, 2, 4, 4)
    """

    _rank = 5


# ***** batch renorm *****


def batch_renorm(x: Tensor, running_mean: Tensor, running_var: Tensor, weight: Tensor | None = None,
                 bias: Tensor | None = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5,
                 rmax: float = 3.0, dmax: float = 5.0) -> Tensor:
    """Batch Renormalization (Ioffe 2017, Algorithm 1). Not in PyTorch. In training, with the
    batch's mean mu_B and sigma_B = sqrt(var_B + eps) (biased variance) and the running
    statistics' mu and sigma = sqrt(running_var + eps):

        r = clip(sigma_B / sigma, 1/rmax, rmax)        d = clip((mu_B - mu) / sigma, -dmax, dmax)
        y = weight * ((x - mu_B) / sigma_B * r + d) + bias

    r and d are treated as constants in backward (stop gradient), as the paper prescribes. Then
    the running statistics are updated exactly as BatchNorm's (PyTorch's momentum, unbiased
    variance), using mu_B and var_B of this batch. In eval, y is BatchNorm's eval output. With
    rmax=1 and dmax=0, r = 1 and d = 0: this *is* batch_norm.

    NOTE: the paper keeps a moving average of sigma; we keep BatchNorm's running variance so that
    a BatchRenorm layer has BatchNorm's buffers, eval mode, state_dict, folding and
    recalibration. The moving sigma is sqrt(running_var + eps).

    Example:
        >>> import minigrad
        >>> import minigrad.nn.functional as F
        >>> x = minigrad.tensor([[1.0], [3.0]])
        >>> rm, rv = minigrad.zeros(1), minigrad.ones(1)
        >>> F.batch_renorm(x, rm, rv, training=True, eps=0.0, rmax=1.0, dmax=0.0).reshape(2)
        tensor([-1.,  1.])
        >>> F.batch_renorm(x, minigrad.zeros(1), minigrad.ones(1), training=True, eps=0.0).reshape(2)
        tensor([1., 3.])
    """
    if running_mean is None or running_var is None:
        raise ValueError("batch_renorm: needs running_mean and running_var (r and d are measured against them)")
    if rmax < 1 or dmax < 0:
        raise ValueError(f"batch_renorm: expected rmax >= 1 and dmax >= 0, got rmax={rmax}, dmax={dmax}")
    _check_batch_norm(x, running_mean, running_var, weight, bias, training)
    if not training:
        return batch_norm(x, running_mean, running_var, weight, bias, training=False, eps=eps)
    xp = backend.get_array_module(x.array)
    dt = _stat_dtype(x.array.dtype)
    a = x.array.astype(dt, copy=False)
    axes, _, _ = _channel_layout(a)
    mean = a.mean(axis=axes)
    var = ((a - mean.reshape((-1,) + (1,) * (a.ndim - 2))) ** 2).mean(axis=axes)
    sigma = xp.sqrt(running_var.array.astype(dt, copy=False) + dt.type(eps))
    r = xp.clip(xp.sqrt(var + dt.type(eps)) / sigma, dt.type(1 / rmax), dt.type(rmax))
    d = xp.clip((mean - running_mean.array.astype(dt, copy=False)) / sigma, dt.type(-dmax), dt.type(dmax))
    # weight * (xhat * r + d) + bias = (weight * r) * xhat + (weight * d + bias): with r and d
    # constants, BatchNorm with this affine is batch renorm, backward included
    pdt = weight.dtype if weight is not None else (bias.dtype if bias is not None else dt)
    if weight is None:
        weight = wrap(xp.ones(x.shape[1], dtype=pdt))
    if bias is None:
        bias = wrap(xp.zeros(x.shape[1], dtype=pdt))
    r, d = wrap(r.astype(pdt, copy=False)), wrap(d.astype(pdt, copy=False))
    return batch_norm(x, running_mean, running_var, weight * r, weight * d + bias, training=True,
                      momentum=momentum, eps=eps)


class _BatchRenorm(_BatchNorm):
    """Shared by BatchRenorm1d and BatchRenorm2d; see BatchRenorm1d."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True,
                 rmax: float = 3.0, dmax: float = 5.0, warmup_steps: int = 0, ramp_steps: int = 0,
                 device=None, dtype=None):
        if momentum is None:
            raise ValueError(f"{type(self).__name__}: momentum must be a number (r and d need a moving average)")
        if rmax < 1 or dmax < 0:
            raise ValueError(f"{type(self).__name__}: expected rmax >= 1 and dmax >= 0, got rmax={rmax}, dmax={dmax}")
        super().__init__(num_features, eps, momentum, affine, track_running_stats=True, device=device, dtype=dtype)
        self.rmax, self.dmax = float(rmax), float(dmax)
        self.warmup_steps, self.ramp_steps = int(warmup_steps), int(ramp_steps)

    def limits(self, step: int | None = None) -> tuple[float, float]:
        """(rmax, dmax) at training step `step` (default: the layer's `num_batches_tracked`):
        (1, 0), i.e. plain BatchNorm, for the first `warmup_steps`, then growing linearly to
        (rmax, dmax) over `ramp_steps`, the paper's schedule (it relaxes r after 5k steps to 3 by
        40k, d to 5 by 25k; here both share one ramp)."""
        step = int(self.num_batches_tracked.item()) if step is None else int(step)
        if step < self.warmup_steps:
            return 1.0, 0.0
        t = 1.0 if self.ramp_steps <= 0 else min(1.0, (step - self.warmup_steps) / self.ramp_steps)
        return 1.0 + t * (self.rmax - 1.0), t * self.dmax

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        if not (self.training and not self.frozen):
            return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, training=False,
                              eps=self.eps)
        rmax, dmax = self.limits()
        y = batch_renorm(x, self.running_mean, self.running_var, self.weight, self.bias, training=True,
                         momentum=self.momentum, eps=self.eps, rmax=rmax, dmax=dmax)
        self.num_batches_tracked.add_(1)
        return y

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"rmax={self.rmax}, dmax={self.dmax}, warmup_steps={self.warmup_steps}, "
                f"ramp_steps={self.ramp_steps}" + (", frozen=True" if self.frozen else ""))


class BatchRenorm1d(_BatchRenorm):
    """Batch Renormalization (Ioffe 2017) of (N, C) or (N, C, L) input; not in PyTorch. Follows
    the paper's Algorithm 1 (see `F.batch_renorm`): in training the batch-normalised value is
    corrected by r = clip(sigma_B / sigma, 1/rmax, rmax) and d = clip((mu_B - mu) / sigma, -dmax,
    dmax), measured against the running statistics, so that the output depends less on the batch
    and training sees what eval will compute. r and d are constants in backward (stop gradient),
    as in the paper. Eval mode, buffers, `freeze()` and state_dict are BatchNorm1d's.

    Schedule (the paper's warm-up): plain BatchNorm (rmax=1, dmax=0) for `warmup_steps` training
    steps, then the limits grow linearly to `rmax` and `dmax` over `ramp_steps` (see `limits`).
    The paper uses rmax=3, dmax=5 and a small momentum (its moving averages must be good early).

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> brn = nn.BatchRenorm1d(3, warmup_steps=100, ramp_steps=1000)
        >>> brn.limits(0), brn.limits(600)
        ((1.0, 0.0), (2.0, 2.5))
        >>> brn(minigrad.randn(4, 3)).shape
        (4, 3)
    """

    _ranks = (2, 3)


class BatchRenorm2d(_BatchRenorm):
    """Batch Renormalization of (N, C, H, W) input, per channel over (N, H, W); see BatchRenorm1d.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> nn.BatchRenorm2d(4)(minigrad.randn(2, 4, 3, 3)).shape
        (2, 4, 3, 3)
    """

    _ranks = (4,)


# ***** RMS norm and local response norm (composed) *****


def rms_norm(x: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """y = x / sqrt(mean(x^2) + eps) * weight, the mean over the last `len(normalized_shape)`
    dims (no centring, no bias). Same as torch.nn.functional.rms_norm: `eps=None` means the
    machine epsilon of x's dtype (`minigrad.finfo(x.dtype).eps`).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.rms_norm(minigrad.tensor([[3.0, 4.0]]), (2,), eps=0.0) * 12.5 ** 0.5  # the rms of 3 and 4
    tensor([[3., 4.]])
    """
    shape = (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.ndim < len(shape) or tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise ValueError(f"rms_norm: Given normalized_shape={list(shape)}, expected input with shape "
                         f"[*, {', '.join(map(str, shape))}], but got input of size {x.shape}")
    if weight is not None and weight.shape != shape:
        raise ValueError(f"rms_norm: Expected weight to be of same shape as normalized_shape, but got weight of "
                         f"shape {weight.shape} and normalized_shape = {shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"rms_norm: expected a floating-point input, got {x.dtype}")
    check_same_dtype("rms_norm", x, weight=weight)
    eps = float(np.finfo(x.dtype).eps) if eps is None else float(eps)
    dims = tuple(range(x.ndim - len(shape), x.ndim))
    # float16: the mean of squares in float32 (x^2 overflows float16 above 256), as PyTorch does
    xs = x.float() if x.dtype.itemsize < 4 else x
    y = xs * ((xs * xs).mean(dim=dims, keepdim=True) + eps).rsqrt()
    y = y.to(x.dtype) if y.dtype != x.dtype else y
    return y if weight is None else y * weight


class RMSNorm(Module):
    """Root-mean-square normalization over the last dims (`normalized_shape`), scaled by
    `weight` (init 1); no bias, no centring. Same as torch.nn.RMSNorm (`eps=None`: the machine
    epsilon of the input's dtype).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.RMSNorm(4)
    RMSNorm((4,), eps=None, elementwise_affine=True)
    >>> nn.RMSNorm(4)(minigrad.randn(2, 3, 4)).shape
    (2, 3, 4)
    """

    def __init__(self, normalized_shape, eps: float | None = None, elementwise_affine: bool = True,
                 device=None, dtype=None):
        super().__init__()
        shape = (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        weight = Parameter(ones(shape, dtype=float_or_default(dtype), device=device)) if elementwise_affine else None
        self.register_parameter("weight", weight)  # None when off, as in PyTorch (no bias at all)

    def forward(self, x: Tensor) -> Tensor:
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


def local_response_norm(x: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """y = x / (k + alpha * mean of x^2 over `size` neighbouring channels)^beta, the channel
    window centred on each channel and zero-padded at the ends (AlexNet's normalization). Same
    as torch.nn.functional.local_response_norm: input (N, C, *), at least 3-d.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.local_response_norm(minigrad.ones(1, 3, 1), 3, alpha=3.0, beta=1.0)[0, :, 0] * 12
    tensor([4., 3., 4.])
    """
    if x.ndim < 3:
        raise ValueError(f"local_response_norm: Expected 3D or higher dimensionality input (got {x.ndim} "
                         f"dimensions, shape {x.shape})")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"local_response_norm: size must be a positive int, got {size!r}")
    if x.numel() == 0:
        return x
    c = x.shape[1]
    # zero-pad dim 1 by size // 2 before and (size - 1) // 2 after, then average size shifted slices
    sq = ops.pad(x * x, (0, 0) * (x.ndim - 2) + (size // 2, (size - 1) // 2))
    total = sq.narrow(1, 0, c)
    for i in range(1, size):
        total = total + sq.narrow(1, i, c)
    return x / (total * (alpha / size) + k) ** beta


class LocalResponseNorm(Module):
    """Normalise each channel by its `size` neighbouring channels (see `F.local_response_norm`);
    same arguments and repr as torch.nn.LocalResponseNorm.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.LocalResponseNorm(5)(minigrad.randn(2, 8, 4, 4)).shape
    (2, 8, 4, 4)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x: Tensor) -> Tensor:
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
