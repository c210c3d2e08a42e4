"""The activations. The elementwise ones (relu, leaky_relu, tanh, sigmoid) and softmax /
log_softmax are primitive ops of the core (`minigrad.ops`), re-exported here under PyTorch's
names; this file adds their Modules and GELU (Function, `F.gelu`, `nn.GELU`).

Sections: primitive activations and their Modules | GELU
"""

from __future__ import annotations

import math

from .. import _scratch, ops
from ..autograd import Function
from ..ops import log_softmax, sigmoid, softmax, tanh  # noqa: F401  (re-exported)
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


# ***** GELU (added by the extending guide, docs/extending.md) *****

_SQRT_2, _SQRT_2_PI, _SQRT_PI = math.sqrt(2.0), math.sqrt(2.0 / math.pi), math.sqrt(math.pi)


def _erf(xp, x):
    """erf(x) with error < 1e-13 from exp and arithmetic only (NumPy has no erf; CuPy's lives in
    cupyx). |x| < 2.5: the series erf(x) = 2/sqrt(pi) e^(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1)),
    whose terms are all positive (no cancellation); |x| >= 2.5: Laplace's continued fraction
    erfc(x) = e^(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))).
    Python-float constants keep float32 input float32.

    On a Tensor (GELU's forward re-run for create_graph) it is the recorded op ErfFunction."""
    if isinstance(x, Tensor):
        return ErfFunction()(x)
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


class ErfFunction(Function):
    """y = erf(x); dy/dx = 2/sqrt(pi) e^(-x^2). Recorded only by GELU's create_graph path."""

    double_backward = "recompute"

    def forward(self, x):
        self.x = x
        return _erf(self.xp, x)

    def backward(self, gy):
        return gy * (2 / _SQRT_PI) * self.xp.exp(-self.x * self.x)


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
