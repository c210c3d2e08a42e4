"""The activations. The elementwise ones (relu, leaky_relu, tanh, sigmoid) and softmax /
log_softmax are primitive ops of the core (`minigrad.ops`), re-exported here under PyTorch's
names; this file adds their Modules, the activations composed from those ops (relu6,
hardtanh, elu, silu), softplus and GELU (each a Function where it has one, its `F` function
and its Module), and the rest of torch.nn's activations, composed from those ops (log-sigmoid
is a Function: see `LogSigmoidFunction`).

Sections: primitive activations and their Modules | composed activations | softplus | GELU |
more activations (selu, celu, mish, hard*, shrinks, threshold, softmin, glu, prelu, rrelu)
"""

from __future__ import annotations

import math

import warnings

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


# ***** more activations: selu, celu, mish, hardswish, hardsigmoid, logsigmoid, softsign,
# softmin, tanhshrink, softshrink, hardshrink, threshold, glu, prelu, rrelu *****
#
# Composed from the ops above, so autograd gives every gradient (to any order). Each picks its
# branches with `where`, whose gradient goes only to the branch it picks: that is how each
# kink (at 0, at +-3, at +-lambd, at the threshold) gets PyTorch's one-sided gradient. Where
# PyTorch lets a NaN through, the NaN is sent down the branch that returns x itself.

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _selu(x: Tensor) -> Tensor:
    return _elu(x, _SELU_ALPHA) * x.dtype.type(_SELU_SCALE)


def selu(x: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants (alpha ~ 1.6733, scale ~ 1.0507).
    Same as torch.nn.functional.selu, `inplace` as in `relu`.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.selu(minigrad.tensor([-1.0, 0.0, 1.0]))
    tensor([-1.1113307,  0.       ,  1.050701 ])
    """
    _needs_float("selu", x)
    return x._inplace("selu_", _selu) if inplace else _selu(x)


def _celu(x: Tensor, alpha) -> Tensor:
    t = x.dtype.type
    return _elu(x / t(alpha), 1.0) * t(alpha)  # x / alpha * alpha is x again, to rounding


def celu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (e^(x / alpha) - 1): an ELU whose slope at 0 is 1 for every alpha.
    Same as torch.nn.functional.celu, `inplace` as in `relu`.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.celu(minigrad.tensor([-1.0, 2.0]), alpha=2.0)
    tensor([-0.78693867,  2.        ])
    """
    _needs_float("celu", x)
    if alpha == 0:
        raise RuntimeError("celu: alpha cannot be 0 (the input is divided by alpha)")
    return x._inplace("celu_", _celu, alpha) if inplace else _celu(x, alpha)


def _mish(x: Tensor) -> Tensor:
    return x * ops.tanh(softplus(x))  # softplus is linear for large x: never overflows


def mish(x: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)). Same as torch.nn.functional.mish, `inplace` as in `relu`.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.mish(minigrad.tensor([0.0, 1.0]))
    tensor([0.       , 0.8650984])
    """
    _needs_float("mish", x)
    return x._inplace("mish_", _mish) if inplace else _mish(x)


def _hardswish(x: Tensor) -> Tensor:
    # PyTorch's gradient is (2x + 3) / 6 on the open interval (-3, 3), 0 at -3 and 1 at 3: the
    # outer branches are picked at the ends, as its backward does
    middle = ops.where(x < 3.0, x * (x + 3.0) / 6.0, x)
    return ops.where(x <= -3.0, 0.0, middle)


def hardswish(x: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6: 0 below -3, x above 3, x (x + 3) / 6 between. Same as
    torch.nn.functional.hardswish (its gradient at -3 and 3 too), `inplace` as in `relu`.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.hardswish(minigrad.tensor([-4.0, 1.0, 4.0]))
    tensor([0.       , 0.6666667, 4.       ])
    """
    _needs_float("hardswish", x)
    return x._inplace("hardswish_", _hardswish) if inplace else _hardswish(x)


def _hardsigmoid(x: Tensor) -> Tensor:
    return ops.clip(x + 3.0, 0.0, 6.0) / 6.0  # clip's gradient is 0 at the bounds, as PyTorch's


def hardsigmoid(x: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, linear between (gradient 1/6 strictly inside,
    0 at -3 and 3). Same as torch.nn.functional.hardsigmoid, `inplace` as in `relu`.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.hardsigmoid(minigrad.tensor([-4.0, 0.0, 4.0]))
    tensor([0. , 0.5, 1. ])
    """
    _needs_float("hardsigmoid", x)
    return x._inplace("hardsigmoid_", _hardsigmoid) if inplace else _hardsigmoid(x)


class LogSigmoidFunction(Function):
    """y = log(sigmoid(x)) = min(x, 0) - log(1 + e^-|x|), which never overflows;
    dy/dx = 1 - sigmoid(x) = sigmoid(-x), from the same e^-|x|. A Function because the
    composed form's kinks at 0 (of min and |x|) would give the gradient 0 at x = 0 instead of
    1/2, and log(sigmoid(x)) itself is -inf for x < -745."""

    double_backward = "recompute"

    def forward(self, x):
        xp = self.xp
        self.neg = x < 0
        with quiet_underflow(xp):
            self.z = xp.exp(-xp.abs(x))
        return xp.minimum(x, 0) - xp.log1p(self.z)

    def backward(self, gy):
        s = self.z / (1 + self.z)  # sigmoid(-|x|)
        return gy * self.xp.where(self.neg, 1 - s, s)


def logsigmoid(x: Tensor) -> Tensor:
    """log(1 / (1 + e^-x)), stable for any x (x itself below about -37, 0 above 37). Same as
    torch.nn.functional.logsigmoid.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.logsigmoid(minigrad.tensor([-1000.0, 0.0, 1000.0]))
    tensor([-1.000000e+03, -6.931472e-01,  0.000000e+00])
    """
    _needs_float("logsigmoid", x)
    return LogSigmoidFunction()(x)


def softsign(x: Tensor) -> Tensor:
    """x / (1 + |x|). Same as torch.nn.functional.softsign.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.softsign(minigrad.tensor([-3.0, 1.0]))
    tensor([-0.75,  0.5 ])
    """
    _needs_float("softsign", x)
    return x / (x.abs() + 1.0)


def _softmax_dim(name: str, ndim: int) -> int:
    """PyTorch's guess when `dim` is None (with its warning): 0 for 0-, 1- and 3-d inputs, else 1."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  f"dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmin(x: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """softmax(-x) along `dim`. Same as torch.nn.functional.softmin, `dim=None` included (it
    guesses the dim and warns, as PyTorch).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.softmin(minigrad.tensor([[0.0, 0.0, 1000.0]]), dim=1)
    tensor([[0.5, 0.5, 0. ]])
    """
    if dim is None:
        dim = _softmax_dim("softmin", x.ndim)
    if dtype is not None:
        x = x.to(dtype=dtype)
    return softmax(-x, dim)


def tanhshrink(x: Tensor) -> Tensor:
    """x - tanh(x). Same as torch.nn.functional.tanhshrink.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.tanhshrink(minigrad.tensor([0.0, 1.0]))
    tensor([0.        , 0.23840582])
    """
    _needs_float("tanhshrink", x)
    return x - ops.tanh(x)


def _check_lambd(name: str, lambd) -> None:
    if not lambd >= 0:  # as PyTorch (which checks softshrink only; a negative hardshrink lambd is the identity)
        raise RuntimeError(f"{name}: lambda must be greater or equal to 0, but found to be {lambd}.")


def softshrink(x: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between (gradient 0 at +-lambd, as
    PyTorch's). Same as torch.nn.functional.softshrink.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.softshrink(minigrad.tensor([-2.0, 0.25, 2.0]))
    tensor([-1.5,  0. ,  1.5])
    """
    _needs_float("softshrink", x)
    _check_lambd("softshrink", lambd)
    lam = x.dtype.type(lambd)
    # x * 0 in the middle, not 0: a NaN stays NaN there, as in PyTorch
    return ops.where(x > lam, x - lam, ops.where(x < -lam, x + lam, x * 0.0))


def hardshrink(x: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0 (gradient 0 at +-lambd, as PyTorch's). Same as
    torch.nn.functional.hardshrink.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.hardshrink(minigrad.tensor([-2.0, 0.25, 0.5, 2.0]))
    tensor([-2.,  0.,  0.,  2.])
    """
    _needs_float("hardshrink", x)
    lam = x.dtype.type(lambd)
    return ops.where((x >= -lam) & (x <= lam), 0.0, x)  # a NaN is outside: it passes


def _threshold(x: Tensor, threshold, value) -> Tensor:
    t = x.dtype.type
    return ops.where(x <= t(threshold), t(value), x)  # `x <= t`, not `x > t`: a NaN passes


def threshold(x: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else `value` (gradient 0 at the threshold). Same as
    torch.nn.functional.threshold, `inplace` as in `relu`.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.threshold(minigrad.tensor([0.5, 1.0, 2.0]), 1.0, -5.0)
    tensor([-5., -5.,  2.])
    """
    _needs_float("threshold", x)
    return x._inplace("threshold_", _threshold, threshold, value) if inplace else _threshold(x, threshold, value)


def glu(x: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: x split in halves a, b along `dim`, a * sigmoid(b). Same as
    torch.nn.functional.glu.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.glu(minigrad.tensor([[1.0, 2.0, 0.0, 0.0]]))
    tensor([[0.5, 1. ]])
    """
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if not -x.ndim <= dim < x.ndim:
        raise IndexError(f"glu: dim {dim} is out of range for a tensor of shape {x.shape}")
    n = x.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % x.ndim} is size {n} "
                           f"(input of shape {x.shape})")
    a, b = ops.split(x, n // 2, dim)
    return a * ops.sigmoid(b)


def prelu(x: Tensor, weight: Tensor) -> Tensor:
    """x if x > 0 else weight * x, `weight` one learned slope, or one per channel (dim 1, or
    dim 0 of a 1-d input). Same as torch.nn.functional.prelu: the gradient at 0 is the slope's
    side (weight for x, 0 for the weight).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.prelu(minigrad.tensor([[-1.0, -1.0], [2.0, 2.0]]), minigrad.tensor([0.5, 0.1]))
    tensor([[-0.5, -0.1],
            [ 2. ,  2. ]])
    """
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu: weight must be a Tensor, got {type(weight).__name__}")
    _needs_float("prelu", x)
    if weight.dtype != x.dtype or weight.device != x.device:
        raise TypeError(f"prelu: weight is {weight.dtype} on {weight.device!r}, input {x.dtype} on "
                        f"{x.device!r}; they must match")
    n = weight.numel()
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: weight must be 1-d (one slope per channel), got shape {weight.shape}")
    if n != 1:
        channels = None if x.ndim == 0 else x.shape[1 if x.ndim >= 2 else 0]
        if n != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{n} and channel size = {channels} (input of shape {x.shape}).")
        w = weight.reshape(n, *(1,) * (x.ndim - 2)) if x.ndim >= 2 else weight
    else:
        w = weight.reshape(())
    return ops.where(x > 0, x, w * x)


def _check_rrelu_bounds(name: str, lower, upper) -> None:
    if lower > upper:
        raise RuntimeError(f"{name}: lower bound ({lower}) should be less than or equal to the upper bound ({upper})")


def _rrelu_train(x: Tensor, lower, upper) -> Tensor:
    from ..random import default_generator

    t = x.dtype.type
    # each element's slope drawn on the host from minigrad's generator (as dropout's mask), so a
    # seed reproduces it on every device; positives keep slope 1 (not NaN: `not x <= 0`)
    u = default_generator.rng.random(x.shape)
    slope = Tensor._from_data(t(lower) + (t(upper) - t(lower)) * u.astype(x.dtype), device=x.device)
    return x * ops.where(x <= 0, slope, 1.0)


def rrelu(x: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomised leaky relu: in training each x <= 0 is multiplied by its own slope drawn from
    U(lower, upper); in eval, leaky_relu with the mean slope (lower + upper) / 2. Same as
    torch.nn.functional.rrelu, `inplace` as in `relu`; the eval result is torch's exactly, the
    training slopes come from minigrad's generator (a seed reproduces them, not torch's draws).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.rrelu(minigrad.tensor([-1.0, 2.0]), lower=0.1, upper=0.3)
    tensor([-0.2,  2. ])
    """
    _needs_float("rrelu", x)
    _check_rrelu_bounds("rrelu", lower, upper)
    if not training:
        return leaky_relu(x, (lower + upper) / 2, inplace)
    return x._inplace("rrelu_", _rrelu_train, lower, upper) if inplace else _rrelu_train(x, lower, upper)


class SELU(_Activation):
    """scale * elu(x, alpha), the self-normalising constants. Same as torch.nn.SELU.

    >>> from minigrad import nn
    >>> nn.SELU(inplace=True)
    SELU(inplace=True)
    """

    _fn, _options = staticmethod(selu), ("inplace",)

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace


class CELU(_Activation):
    """x if x > 0 else alpha * (e^(x / alpha) - 1). Same as torch.nn.CELU.

    >>> from minigrad import nn
    >>> nn.CELU(alpha=2.0)
    CELU(alpha=2.0)
    """

    _fn, _options = staticmethod(celu), ("alpha", "inplace")

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace


class Mish(_Activation):
    """x * tanh(softplus(x)). Same as torch.nn.Mish.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Mish()(minigrad.tensor([0.0]))
    tensor([0.])
    """

    _fn, _options = staticmethod(mish), ("inplace",)

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace


class _NoReprInplace(_Activation):
    """Hardswish and Hardsigmoid: PyTorch's repr leaves `inplace` out."""

    _options = ("inplace",)

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return ""


class Hardswish(_NoReprInplace):
    """x * relu6(x + 3) / 6. Same as torch.nn.Hardswish.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Hardswish()(minigrad.tensor([-4.0, 4.0]))
    tensor([0., 4.])
    """

    _fn = staticmethod(hardswish)


class Hardsigmoid(_NoReprInplace):
    """relu6(x + 3) / 6. Same as torch.nn.Hardsigmoid.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Hardsigmoid()(minigrad.tensor([0.0]))
    tensor([0.5])
    """

    _fn = staticmethod(hardsigmoid)


class LogSigmoid(_Activation):
    """log(sigmoid(x)), stable for any x. Same as torch.nn.LogSigmoid.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.LogSigmoid()(minigrad.tensor([-1000.0]))
    tensor([-1000.])
    """

    _fn = staticmethod(logsigmoid)


class Softsign(_Activation):
    """x / (1 + |x|). Same as torch.nn.Softsign.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Softsign()(minigrad.tensor([1.0]))
    tensor([0.5])
    """

    _fn = staticmethod(softsign)


class Tanhshrink(_Activation):
    """x - tanh(x). Same as torch.nn.Tanhshrink.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Tanhshrink()(minigrad.tensor([0.0]))
    tensor([0.])
    """

    _fn = staticmethod(tanhshrink)


class Softmin(_Activation):
    """softmax(-x) along `dim`. Same as torch.nn.Softmin (`dim=None` guesses, with a warning).

    >>> from minigrad import nn
    >>> nn.Softmin(dim=1)
    Softmin(dim=1)
    """

    _fn, _options = staticmethod(softmin), ("dim",)

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim


class Softshrink(_Activation):
    """x -+ lambd outside [-lambd, lambd], 0 inside. Same as torch.nn.Softshrink.

    >>> from minigrad import nn
    >>> nn.Softshrink(0.3)
    Softshrink(0.3)
    """

    _fn, _options = staticmethod(softshrink), ("lambd",)

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        _check_lambd("Softshrink", lambd)
        self.lambd = lambd

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(_Activation):
    """x outside [-lambd, lambd], 0 inside. Same as torch.nn.Hardshrink.

    >>> from minigrad import nn
    >>> nn.Hardshrink()
    Hardshrink(0.5)
    """

    _fn, _options = staticmethod(hardshrink), ("lambd",)

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def extra_repr(self) -> str:
        return str(self.lambd)


class Threshold(_Activation):
    """x where x > threshold, else `value`. Same as torch.nn.Threshold.

    >>> from minigrad import nn
    >>> nn.Threshold(0.1, 20.0)
    Threshold(threshold=0.1, value=20.0)
    """

    _fn, _options = staticmethod(threshold), ("threshold", "value", "inplace")

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace


class GLU(_Activation):
    """Gated linear unit along `dim`: first half * sigmoid(second half). Same as torch.nn.GLU.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.GLU()(minigrad.ones(2, 4)).shape
    (2, 2)
    """

    _fn, _options = staticmethod(glu), ("dim",)

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim


class PReLU(Module):
    """x if x > 0 else a * x, with a learned slope `a` (`weight`): one shared, or one per channel
    (`num_parameters` = the input's dim-1 size), each starting at `init`. Same as torch.nn.PReLU
    (parameter name, init 0.25, `device`/`dtype`). Leave it out of weight decay, as the paper does.

    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.PReLU()
    >>> m, m.weight
    (PReLU(num_parameters=1), Parameter containing:
    tensor([0.25], requires_grad=True))
    >>> m(minigrad.tensor([-4.0, 1.0]))
    tensor([-1.,  1.], grad_fn=<WhereBackward>)
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        from ..creation import full
        from ..dtypes import float_or_default
        from .module import Parameter

        super().__init__()
        self.num_parameters, self.init = int(num_parameters), init
        self.weight = Parameter(full((self.num_parameters,), init, dtype=float_or_default(dtype), device=device))

    def reset_parameters(self) -> None:
        from .init import constant_

        constant_(self.weight, self.init)

    def forward(self, x: Tensor) -> Tensor:
        return prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(_Activation):
    """Randomised leaky relu: random slopes in U(lower, upper) in training, their mean in eval.
    Same as torch.nn.RReLU; the training slopes come from minigrad's generator (`F.rrelu`).

    >>> import minigrad
    >>> from minigrad import nn
    >>> m = nn.RReLU(0.1, 0.3).eval()
    >>> m, m(minigrad.tensor([-1.0]))
    (RReLU(lower=0.1, upper=0.3), tensor([-0.2]))
    """

    _options = ("lower", "upper", "inplace")

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        _check_rrelu_bounds("RReLU", lower, upper)
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, x: Tensor) -> Tensor:
        return rrelu(x, self.lower, self.upper, self.training, self.inplace)


class Softmax2d(Module):
    """Softmax over the channels of each pixel: dim -3 of an (N, C, H, W) or (C, H, W) input.
    Same as torch.nn.Softmax2d.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Softmax2d()(minigrad.zeros(1, 2, 1, 1)).flatten()
    tensor([0.5, 0.5])
    """

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {x.ndim}D instead (shape {x.shape})")
        return softmax(x, -3)
