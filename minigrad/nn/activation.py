"""The activations. The elementwise ones (relu, leaky_relu, tanh, sigmoid) and softmax /
log_softmax are primitive ops of the core (`minigrad.ops`), re-exported here under PyTorch's
names; this file adds their Modules, the activations composed from those ops (relu6,
hardtanh, elu, silu), softplus and GELU (each a Function where it has one, its `F` function
and its Module).

Sections: primitive activations and their Modules | composed activations | softplus | GELU
"""

from __future__ import annotations

import math

from .. import _scratch, ops
from ..backend import quiet_underflow
from ..autograd import Function
from ..ops import log_softmax, sigmoid, softmax, tanh  # noqa: F401  (re-exported)
from ..ops.elementwise import Erf as ErfFunction, erf_array as _erf  # noqa: F401  (GELU's erf, older names)
from ..tensor import Tensor
from .module import Module

# ***** primitive activations and their Modules *****


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); gradient 0 at 0. Same as torch.nn.functional.relu: `inplace=True` writes the
    result into x and returns x (inside a graph x's history becomes the relu, as in PyTorch;
    docs/porting.md lists the two cases minigrad refuses).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.tensor([-1.0, 2.0])
    >>> F.relu(x, inplace=True) is x, x
    (True, tensor([0., 2.]))
    """
    return x.relu_() if inplace else ops.relu(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x. Same as torch.nn.functional.leaky_relu, `inplace`
    as in `relu`."""
    return x.leaky_relu_(negative_slope) if inplace else ops.leaky_relu(x, negative_slope)


class ReLU(Module):
    """max(x, 0). Same as torch.nn.ReLU, `inplace=True` included: it changes its input (see
    `F.relu`).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ReLU()(minigrad.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace
        self._buffer_cache = _scratch.shared()  # work arrays reused across steps (_scratch.py)

    def forward(self, x: Tensor) -> Tensor:
        with self._buffer_cache.active():
            return relu(x, self.inplace)


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
        return leaky_relu(x, self.negative_slope, self.inplace)

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
        return tanh(x)


class Sigmoid(Module):
    """1 / (1 + e^-x). Same as torch.nn.Sigmoid.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Sigmoid()(minigrad.tensor([0.0]))
    tensor([0.5])
    """

    def forward(self, x: Tensor) -> Tensor:
        return sigmoid(x)


class _AlongDim(Module):
    """Shared by Softmax and LogSoftmax: the `dim` argument; `forward` calls the subclass's
    function, `_fn(x, dim)`."""

    _fn = None

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return self._fn(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """Softmax along `dim`. Same as torch.nn.Softmax, except that `dim` defaults to -1 (PyTorch
    guesses it, with a warning).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Softmax(dim=1)(minigrad.zeros(1, 4))
    tensor([[0.25, 0.25, 0.25, 0.25]])
    """

    _fn = staticmethod(softmax)


class LogSoftmax(_AlongDim):
    """log(softmax(x)) along `dim`, stable. Same as torch.nn.LogSoftmax (`dim` defaults to -1).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.LogSoftmax(dim=1)(minigrad.tensor([[0.0, 0.0]]))
    tensor([[-0.6931472, -0.6931472]])
    """

    _fn = staticmethod(log_softmax)


# ***** composed activations: relu6, hardtanh, elu, silu *****


def _needs_float(name: str, x: Tensor) -> None:
    if x.dtype.kind != "f":  # as PyTorch, which has no integer kernel for these
        raise TypeError(f"{name}: needs a floating-point tensor, got {x.dtype}")


def _bound(x: Tensor, v):
    """A clamp bound for x: a whole-number bound stays an integer for an integer tensor (as
    PyTorch's hardtanh of a long tensor stays long); ops.clip casts it to x's dtype."""
    return int(v) if x.dtype.kind in "iu" and float(v).is_integer() else v


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val]; the gradient is 1 strictly inside and 0 at and beyond
    the bounds (PyTorch's hardtanh gradient, too). Same as torch.nn.functional.hardtanh,
    `inplace` as in `relu`.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.hardtanh(minigrad.tensor([-3.0, 0.5, 3.0]))
    tensor([-1. ,  0.5,  1. ])
    """
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) is greater than max_val ({max_val})")
    lo, hi = _bound(x, min_val), _bound(x, max_val)
    return x.clamp_(lo, hi) if inplace else ops.clip(x, lo, hi)


def relu6(x: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6): gradient 0 at 0 and at 6, as PyTorch's. Same as
    torch.nn.functional.relu6, `inplace` as in `relu`.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.relu6(minigrad.tensor([-1.0, 3.0, 9.0]))
    tensor([0., 3., 6.])
    """
    return hardtanh(x, 0.0, 6.0, inplace)


class ELUFunction(Function):
    """y = x if x > 0 else alpha (e^x - 1); dy/dx = 1, or alpha e^x (alpha at 0, as PyTorch).
    expm1 keeps e^x - 1 exact for tiny x (where 1 + x rounds to 1)."""

    double_backward = "recompute"

    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        xp = self.xp
        self.pos = ~(x <= 0)  # not `x > 0`: a NaN passes its gradient, as in PyTorch
        with quiet_underflow(xp):  # exp sees only x <= 0 (0 elsewhere): no overflow
            self.em1 = xp.expm1(xp.where(self.pos, 0, x))
        return xp.where(self.pos, x, self.em1 * self.alpha)

    def backward(self, gy):
        return gy * self.xp.where(self.pos, 1, (self.em1 + 1) * self.alpha)


def _elu(x: Tensor, alpha) -> Tensor:
    return ELUFunction(x.dtype.type(alpha))(x)


def elu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (e^x - 1). Same as torch.nn.functional.elu, including the
    gradient alpha at 0; `inplace` as in `relu`.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.elu(minigrad.tensor([-1.0, 0.0, 2.0]), alpha=2.0)
    tensor([-1.2642411,  0.       ,  2.       ])
    """
    _needs_float("elu", x)
    return x._inplace("elu_", _elu, alpha) if inplace else _elu(x, alpha)


def _silu(x: Tensor) -> Tensor:
    return x * ops.sigmoid(x)


def silu(x: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish). Same as torch.nn.functional.silu, `inplace` as in
    `relu`.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.silu(minigrad.tensor([0.0, 1.0]))
    tensor([0.       , 0.7310586])
    """
    _needs_float("silu", x)
    return x._inplace("silu_", _silu) if inplace else _silu(x)


class _Activation(Module):
    """Shared by the activation Modules below: `forward` calls `_fn(x, **options)`, with
    options the constructor arguments named in `_options`; the repr shows them as PyTorch's."""

    _fn = None
    _options = ()

    def forward(self, x: Tensor) -> Tensor:
        return self._fn(x, **{name: getattr(self, name) for name in self._options})

    def extra_repr(self) -> str:
        parts = [f"{n}={getattr(self, n)}" for n in self._options if n != "inplace"]
        return ", ".join(parts + (["inplace=True"] if getattr(self, "inplace", False) else []))


class Hardtanh(_Activation):
    """x clamped to [min_val, max_val]. Same as torch.nn.Hardtanh.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Hardtanh(-2.0, 2.0)(minigrad.tensor([-3.0, 1.0]))
    tensor([-2.,  1.])
    """

    _fn, _options = staticmethod(hardtanh), ("min_val", "max_val", "inplace")

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) is greater than max_val ({max_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace


class ReLU6(_Activation):
    """min(max(x, 0), 6). Same as torch.nn.ReLU6.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ReLU6()(minigrad.tensor([-1.0, 7.0]))
    tensor([0., 6.])
    """

    _fn, _options = staticmethod(relu6), ("inplace",)

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace


class ELU(_Activation):
    """x if x > 0 else alpha * (e^x - 1). Same as torch.nn.ELU.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ELU(alpha=0.5)
    ELU(alpha=0.5)
    """

    _fn, _options = staticmethod(elu), ("alpha", "inplace")

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace


class SiLU(_Activation):
    """x * sigmoid(x). Same as torch.nn.SiLU.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.SiLU()(minigrad.tensor([0.0]))
    tensor([0.])
    """

    _fn, _options = staticmethod(silu), ("inplace",)

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace


# ***** softplus *****


class SoftplusFunction(Function):
    """y = log(1 + e^(beta x)) / beta, and y = x where beta x > threshold (PyTorch's rule: there
    the two agree to rounding, and e^(beta x) would overflow); dy/dx = sigmoid(beta x), or 1."""

    double_backward = "recompute"

    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = self.xp
        bx = x * self.beta
        self.linear = bx > self.threshold
        with quiet_underflow(xp):  # e^(beta x) -> 0 for very negative x is the right answer
            self.e = xp.exp(xp.where(self.linear, 0, bx))  # exp never sees the large values
            return xp.where(self.linear, x, xp.log1p(self.e) / self.beta)

    def backward(self, gy):
        return gy * self.xp.where(self.linear, 1, self.e / (1 + self.e))


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """A smooth relu: log(1 + e^(beta x)) / beta, computed as x where beta x > threshold, so
    it never overflows. Same as torch.nn.functional.softplus (which has no in-place form).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.softplus(minigrad.tensor([0.0, 1000.0]))  # log(2), and 1000 without overflow
    tensor([6.931472e-01, 1.000000e+03])
    """
    _needs_float("softplus", x)
    if beta == 0:
        raise ValueError("softplus: beta must not be 0 (the result divides by beta)")
    t = x.dtype.type  # numbers of x's dtype: float32 stays float32
    return SoftplusFunction(t(beta), t(threshold))(x)


class Softplus(_Activation):
    """log(1 + e^(beta x)) / beta, linear above `threshold`. Same as torch.nn.Softplus.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Softplus(beta=2.0, threshold=10.0)
    Softplus(beta=2.0, threshold=10.0)
    """

    _fn, _options = staticmethod(softplus), ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold


# ***** GELU (added by the extending guide, docs/extending.md) *****

_SQRT_2, _SQRT_2_PI = math.sqrt(2.0), math.sqrt(2.0 / math.pi)


class GELUFunction(Function):
    """y = x * Phi(x), Phi the standard normal CDF: x/2 * (1 + erf(x / sqrt(2))); with
    approximate="tanh": x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))"""

    double_backward = "recompute"  # on Tensors, _erf is the recorded ErfFunction

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
    return GELUFunction(approximate)(x)


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
        return gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"
