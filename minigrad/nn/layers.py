"""Layers with PyTorch's signatures. Each constructor stores configuration and creates its
Parameters and buffers; each `forward` is one call into `F` (minigrad.nn.functional), where the
math lives.

Sections: linear | activations | batch norm | dropout and shape | losses.
"""

from __future__ import annotations

from ..autograd import no_grad
from ..tensor import Tensor, _as_dtype, int64, ones, zeros
from ..tensor import _default_float as _float32
from . import functional as F
from . import init
from .module import Module, Parameter


def _float_dtype(dtype):
    return _as_dtype(dtype) or _float32


# ***** linear *****


class Linear(Module):
    """y = x @ weight.T + bias. Same as torch.nn.Linear, including the default initialisation
    (weight and bias from U(-1/sqrt(in_features), 1/sqrt(in_features))).

    Shape: input (*, in_features) -> output (*, out_features); weight (out_features, in_features).

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> fc = nn.Linear(3, 2)
        >>> fc(minigrad.ones(5, 3)).shape, fc.weight.shape
        ((5, 2), (2, 3))
        >>> nn.Linear(3, 2, bias=False).bias is None   # no bias before BatchNorm (R1.15)
        True
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = _float_dtype(dtype)
        self.weight = Parameter(zeros(out_features, in_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(zeros(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init._default_init(self.weight, self.bias)  # PyTorch's default

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


# ***** activations *****


class ReLU(Module):
    """max(x, 0). Same as torch.nn.ReLU; `inplace` is accepted for compatibility, and the result
    is computed out of place (the values are the same).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ReLU()(minigrad.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x. Same as torch.nn.LeakyReLU.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.LeakyReLU(0.1)(minigrad.tensor([-1.0, 2.0]))
    tensor([-0.1,  2. ])
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """Hyperbolic tangent. Same as torch.nn.Tanh.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Tanh()(minigrad.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Sigmoid(Module):
    """1 / (1 + e^-x). Same as torch.nn.Sigmoid.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Sigmoid()(minigrad.tensor([0.0]))
    tensor([0.5])
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Softmax(Module):
    """Softmax along `dim`. Same as torch.nn.Softmax, except that `dim` defaults to -1 (PyTorch
    guesses it, with a warning).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Softmax(dim=1)(minigrad.zeros(1, 4))
    tensor([[0.25, 0.25, 0.25, 0.25]])
    """

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along `dim`, stable. Same as torch.nn.LogSoftmax (`dim` defaults to -1).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.LogSoftmax(dim=1)(minigrad.tensor([[0.0, 0.0]]))
    tensor([[-0.6931472, -0.6931472]])
    """

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Identity(Module):
    """Returns its input. Same as torch.nn.Identity (extra arguments are ignored).

    >>> import minigrad
    >>> from minigrad import nn
    >>> x = minigrad.ones(2)
    >>> nn.Identity()(x) is x
    True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x


# ***** batch norm *****


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
        dtype = _float_dtype(dtype)
        stat_dtype = F._stat_dtype(dtype)  # float16 models keep float32 statistics (R1.14)
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
        Unlike `eval()`, this survives a later `model.train()` (R1.11). Not in PyTorch, where
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
        # (batch statistics in both modes, buffers untouched) (R1.12)
        track = self.track_running_stats and self.running_mean is not None
        if not track:  # batch statistics in train and eval alike
            return F.batch_norm(x, None, None, self.weight, self.bias, training=True, eps=self.eps)
        momentum = self.momentum
        if training and momentum is None:  # cumulative average: batch k gets weight 1/k (R1.13)
            momentum = 1.0 / (int(self.num_batches_tracked.item()) + 1)
        y = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                         training=training, momentum=momentum or 0.0, eps=self.eps)
        if training:  # counted after F.batch_norm, which leaves everything as it was if it raises
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


# ***** dropout and shape *****


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability p and scale the rest by
    1/(1-p); in eval, the identity. Same as torch.nn.Dropout; the mask comes from minigrad's
    generator (`minigrad.manual_seed`).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Dropout(0.5).eval()(minigrad.ones(3))
    tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Flatten(Module):
    """Merge dims start_dim..end_dim (by default all but the batch dim). Same as torch.nn.Flatten.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Flatten()(minigrad.zeros(2, 3, 4)).shape
    (2, 12)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return F.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


# ***** losses *****


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        F._check_reduction(reduction)
        self.reduction = reduction

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

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, self.reduction)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (N, C) at labels (N,). Same as torch.nn.NLLLoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.NLLLoss()(minigrad.tensor([[-1.0, -2.0]]), minigrad.tensor([1]))
    tensor(2.)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, self.reduction)


class MSELoss(_Loss):
    """Mean squared error. Same as torch.nn.MSELoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.MSELoss(reduction="sum")(minigrad.tensor([1.0, 2.0]), minigrad.tensor([0.0, 0.0]))
    tensor(5.)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities. Same as torch.nn.BCELoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> round(nn.BCELoss()(minigrad.tensor([0.5]), minigrad.tensor([0.0])).item(), 4)
    0.6931
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy, stable for any logit. Same as torch.nn.BCEWithLogitsLoss.

    >>> import minigrad
    >>> from minigrad import nn
    >>> round(nn.BCEWithLogitsLoss()(minigrad.tensor([0.0]), minigrad.tensor([1.0])).item(), 4)
    0.6931
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.reduction)


# ***** GELU and layer norm (added by the extending guide, docs/extending.md) *****


class GELU(Module):
    """x * Phi(x), Phi the standard normal CDF. Same as torch.nn.GELU (approximate="none" or
    "tanh").

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> nn.GELU(approximate="tanh")
        GELU(approximate='tanh')
        >>> nn.GELU()(minigrad.zeros(2))
        tensor([0., 0.])
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


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
        dtype = _float_dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(ones(*shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(zeros(*shape, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
