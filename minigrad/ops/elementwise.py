"""Elementwise ops: arithmetic, unary math, activations, casts and comparisons.

Each op is a `Function` subclass (the math in its docstring) directly above the lowercase
function users call. `forward`/`backward` see raw arrays and use `self.xp`, never NumPy
directly, so the same code runs on CuPy. Gradients are returned at the broadcast shape: the
engine sums them back to each input's shape.
"""

from __future__ import annotations

import numpy as np

from .. import _scratch, backend, dtypes
from ..autograd import Function
from ..tensor import Tensor, wrap


# ***** operands: numbers become constants, two tensors get one dtype *****


def to_tensor(value, ref: Tensor) -> Tensor:
    """`value` as a Tensor operand next to `ref`: a number becomes a constant of ref's dtype
    (see dtypes.scalar_dtype), an array a tensor of its own dtype and device."""
    if isinstance(value, Tensor):
        return value
    if getattr(value, "ndim", 0) > 0:  # a whole array: its own dtype and device
        return Tensor._from_data(value)
    # NOTE: NumPy 2 (NEP 50) would promote float32 * np.float64(0.5) to float64; casting the
    # number to the tensor's dtype first keeps float32 float32. A 0-d array is cast where
    # it lives (a CuPy one would need a device->host sync to become a NumPy scalar).
    dtype = dtypes.scalar_dtype(value, ref.dtype)
    return wrap(value.astype(dtype)[()] if hasattr(value, "astype") else dtype.type(value))


def promote(a: Tensor, b: Tensor):
    """Bring two tensors to one dtype the way PyTorch does: floats beat integers, and a 0-d
    tensor does not widen a dimensioned tensor of the same kind."""
    da, db = a.dtype, b.dtype
    if da == db:  # the common case, checked first: this runs for every binary op
        return a, b
    dt = dtypes.promote_types(da, a.ndim, db, b.ndim)
    return (a if da == dt else cast(a, dt)), (b if db == dt else cast(b, dt))


def operands(a, b):
    """The two operands of a binary op as Tensors of one dtype; either may be a number."""
    if not isinstance(a, Tensor):
        a = to_tensor(a, b)
    elif not isinstance(b, Tensor):
        b = to_tensor(b, a)
    return promote(a, b)


def _floating(x: Tensor) -> Tensor:
    """Integer input of exp, log, ... computes in the default float dtype, as PyTorch does
    (NumPy would give float64)."""
    return x if x.dtype.kind == "f" else cast(x, dtypes.default_float)


class Add(Function):
    """y = a + b"""

    double_backward = "linear"

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


def _scaled(name: str, a, b, alpha):
    """alpha * b for add/sub's `alpha=`, refused where PyTorch refuses it: a float alpha with
    integer tensors would be truncated."""
    ints = all(not isinstance(t, Tensor) or t.dtype.kind in "iub" for t in (a, b)) and any(
        isinstance(t, Tensor) for t in (a, b))
    if ints and isinstance(alpha, float):
        raise RuntimeError(f"{name}: for integral input tensors, argument alpha must not be a floating point "
                           f"number (got alpha={alpha})")
    return mul(b, alpha) if isinstance(b, Tensor) else b * alpha


def add(a, b, alpha=1) -> Tensor:
    """a + alpha * b with broadcasting; either side may be a Python number. Same as torch.add.

    >>> import minigrad
    >>> minigrad.add(minigrad.tensor([1.0, 2.0]), minigrad.tensor([1.0, 1.0]), alpha=2)
    tensor([3., 4.])
    """
    if alpha != 1:
        b = _scaled("add", a, b, alpha)
    return Add()(*operands(a, b))


class Sub(Function):
    """y = a - b"""

    double_backward = "linear"

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, (-gy if self.needs_input_grad[1] else None)


def sub(a, b, alpha=1) -> Tensor:
    """a - alpha * b with broadcasting. Same as torch.sub."""
    if alpha != 1:
        b = _scaled("sub", a, b, alpha)
    return Sub()(*operands(a, b))


class Mul(Function):
    """y = a * b"""

    double_backward = "recompute"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        return (gy * self.b if self.needs_input_grad[0] else None,
                gy * self.a if self.needs_input_grad[1] else None)


def mul(a, b) -> Tensor:
    """a * b with broadcasting."""
    return Mul()(*operands(a, b))


class Div(Function):
    """y = a / b"""

    double_backward = "recompute"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        ga = gy / self.b                                            # dy/da = 1/b
        gb = -ga * self.a / self.b if self.needs_input_grad[1] else None  # dy/db = -a/b^2
        return ga, gb


def div(a, b, rounding_mode=None) -> Tensor:
    """a / b with broadcasting; true division (integers give floats, as in PyTorch). Same as
    torch.div: `rounding_mode="floor"` is `a // b`, `"trunc"` rounds toward zero; both keep
    integer dtypes and have a zero gradient.

    >>> import minigrad
    >>> minigrad.div(minigrad.tensor([-7, 7]), 2), minigrad.div(minigrad.tensor([-7, 7]), 2, rounding_mode="trunc")
    (tensor([-3.5,  3.5]), tensor([-3,  3]))
    """
    if rounding_mode is not None:
        if rounding_mode == "floor":
            return floor_divide(a, b)
        if rounding_mode == "trunc":
            return TruncDivide()(*_division_operands("div", a, b))
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"{rounding_mode!r}")
    a, b = operands(a, b)
    if a.dtype.kind != "f":
        a, b = cast(a, dtypes.default_float), cast(b, dtypes.default_float)
    return Div()(a, b)


class Neg(Function):
    """y = -x"""

    double_backward = "linear"

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


def neg(x) -> Tensor:
    return Neg()(x)


# NumPy's names of the operators, as torch has them
multiply, subtract, negative = mul, sub, neg


def divide(a, b, rounding_mode=None) -> Tensor:
    """Alias of div (also `true_divide`, without rounding_mode). Same as torch.divide."""
    return div(a, b, rounding_mode)


def true_divide(a, b) -> Tensor:
    """a / b, true division. Same as torch.true_divide."""
    return div(a, b)


class PowScalar(Function):
    """y = x ** p for a constant number p"""

    double_backward = "recompute"

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        self.x = x
        return x**self.p

    def backward(self, gy):
        if self.p == 0:  # zeros, also where gy is inf (as PyTorch)
            return self.xp.zeros_like(gy)
        return gy * self.p * self.x ** (self.p - 1)  # dy/dx = p x^(p-1)


class Pow(Function):
    """y = a ** b, both tensors"""

    double_backward = "recompute"

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = a**b
        return self.y

    def backward(self, gy):
        # PyTorch's exact rules, which select instead of computing 0 * inf = nan: dy/da is 0
        # where b == 0 (even for an infinite gy), and dy/db = a^b ln a is taken as 0 where
        # a == 0 and b >= 0 (0^b ln 0 -> 0), then multiplied by gy (so an infinite gy gives nan)
        xp, a, b = self.xp, self.a, self.b
        ga = gb = None
        if self.needs_input_grad[0]:
            with backend.quiet_selected(xp):
                ga = xp.where(b == 0, 0, gy * b * a ** (b - 1))
        if self.needs_input_grad[1]:
            with backend.quiet_selected(xp):
                gb = gy * xp.where((a == 0) & (b >= 0), 0, self.y * xp.log(a))
        return ga, gb


def pow(a, b) -> Tensor:
    """a ** b. A number exponent is kept as a constant (exact derivative p x^(p-1))."""
    if isinstance(a, Tensor) and not isinstance(b, Tensor) and np.ndim(b) == 0:
        p = b.item() if hasattr(b, "item") else b
        if a.dtype.kind != "f" and isinstance(p, float):  # int ** 0.5: the default float
            a = cast(a, dtypes.scalar_dtype(p, a.dtype))
        return PowScalar(p)(a)
    return Pow()(*operands(a, b))


class Exp(Function):
    """y = e^x"""

    double_backward = "recompute"

    def forward(self, x):
        self.y = self.xp.exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y  # dy/dx = y


def exp(x) -> Tensor:
    return Exp()(_floating(x))


class Log(Function):
    """y = ln x"""

    double_backward = "recompute"

    def forward(self, x):
        self.x = x
        return self.xp.log(x)

    def backward(self, gy):
        return gy / self.x


def log(x) -> Tensor:
    return Log()(_floating(x))


class Log1p(Function):
    """y = ln(1 + x), accurate for small x"""

    double_backward = "recompute"

    def forward(self, x):
        self.x = x
        return self.xp.log1p(x)

    def backward(self, gy):
        return gy / (1 + self.x)


def log1p(x) -> Tensor:
    """ln(1 + x), accurate where x is tiny. Same as torch.log1p.

    >>> import minigrad
    >>> minigrad.tensor([0.0, 1e-10]).log1p()
    tensor([0.e+00, 1.e-10])
    """
    return Log1p()(_floating(x))


class Rounding(Function):
    """y = sign(x), floor(x), ceil(x), trunc(x) or round(x): piecewise constant, so the gradient is 0
    everywhere (as PyTorch's, which also gives 0 at the jumps)"""

    double_backward = "constants"

    def __init__(self, name: str, decimals: int = 0):
        self.name, self.decimals = name, decimals

    def forward(self, x):
        if self.name == "round":  # half to even, as torch
            return self.xp.around(x, self.decimals)
        if self.name == "sign":  # sign(NaN) is 0 in PyTorch, NaN in NumPy
            return self.xp.nan_to_num(self.xp.sign(x), nan=0)
        return getattr(self.xp, self.name)(x)

    def backward(self, gy):
        return gy * 0  # gy's dtype and device; a constant map, so create_graph works too


def sign(x: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of x (0 for NaN; zero gradient). Same as torch.sign."""
    return Rounding("sign")(x)


def floor(x: Tensor) -> Tensor:
    """Largest integer <= x, in x's dtype (zero gradient). Same as torch.floor."""
    return x if x.dtype.kind in "iub" else Rounding("floor")(x)


def ceil(x: Tensor) -> Tensor:
    """Smallest integer >= x, in x's dtype (zero gradient). Same as torch.ceil."""
    return x if x.dtype.kind in "iub" else Rounding("ceil")(x)


def trunc(x: Tensor) -> Tensor:
    """x rounded toward zero, in x's dtype (zero gradient). Same as torch.trunc (and torch.fix).

    >>> import minigrad
    >>> minigrad.tensor([-1.7, 1.7]).trunc()
    tensor([-1.,  1.])
    """
    return x if x.dtype.kind in "iub" else Rounding("trunc")(x)


fix = trunc


def round(x: Tensor, decimals: int = 0) -> Tensor:  # noqa: A001  (torch's name)
    """x rounded to `decimals` places, halves to even (zero gradient). Same as torch.round.

    >>> import minigrad
    >>> minigrad.tensor([0.5, 1.5, -2.5, 1.26]).round()
    tensor([ 0.,  2., -2.,  1.])
    """
    if x.dtype.kind in "iub" and decimals == 0:
        return x
    return Rounding("round", int(decimals))(x)


# ***** floor division and remainders: `//`, `%`, fmod *****


def _division_operands(name: str, a, b):
    """The operands of an integer-rounding division; an integer division by zero raises, as in
    PyTorch (NumPy would give 0)."""
    a, b = operands(a, b)
    if a.dtype.kind in "iub" and not (b.array != 0).all():
        raise RuntimeError(f"{name}: integer division by zero (ZeroDivisionError)")
    return a, b


class FloorDivide(Function):
    """y = floor(a / b), rounded as Python's `//` (so `1 // 0.1` is 9.0); piecewise constant, so
    the gradient is 0 (PyTorch has no derivative for it and raises in backward)"""

    double_backward = "constants"

    def forward(self, a, b):
        with backend.quiet_selected(self.xp):  # x // 0 is +-inf or nan, as in PyTorch: no warning
            return self.xp.floor_divide(a, b)

    def backward(self, gy):
        return gy * 0, gy * 0


def floor_divide(a, b) -> Tensor:
    """a // b rounded toward minus infinity, as torch.floor_divide and Python's `//` (also for
    negative numbers and floats). Integer division by zero raises.

    >>> import minigrad
    >>> minigrad.tensor([-7.0, 7.0]) // 2, minigrad.tensor([-7, 7]) // 2
    (tensor([-4.,  3.]), tensor([-4,  3]))
    """
    return FloorDivide()(*_division_operands("floor_divide", a, b))


class TruncDivide(FloorDivide):
    """y = a / b rounded toward zero (C's integer division); zero gradient, as PyTorch's div
    with a rounding mode"""

    def forward(self, a, b):
        xp = self.xp
        with backend.quiet_selected(xp):
            if a.dtype.kind in "iu":  # exact for any int64: a - fmod(a, b) is a multiple of b
                return (a - xp.fmod(a, b)) // b
            return xp.trunc(a / b)


class Remainder(Function):
    """y = a - q b with q = floor(a / b) (remainder: the sign of b, Python's `%`) or q = trunc(a / b)
    (fmod: the sign of a); ga = gy, gb = -q gy (q is piecewise constant)"""

    double_backward = "constants"

    def __init__(self, name: str):
        self.name = name

    def forward(self, a, b):
        xp = self.xp
        with backend.quiet_selected(xp):  # x % 0 is nan, as in PyTorch
            y = xp.remainder(a, b) if self.name == "remainder" else xp.fmod(a, b)
            if self.needs_input_grad[1]:
                q = (a - y) / b  # exactly the integer quotient the remainder was taken with
                self.q = xp.where(xp.isfinite(q), xp.round(q), 0).astype(y.dtype)
        return y

    def backward(self, gy):
        return gy, (-gy * self.q if self.needs_input_grad[1] else None)


def remainder(a, b) -> Tensor:
    """a % b with the sign of b, as torch.remainder and Python's `%`. Integer division by zero
    raises; a float one gives nan.

    >>> import minigrad
    >>> minigrad.tensor([-7.0, 7.0]) % 3, minigrad.tensor([-7, 7]) % -3
    (tensor([2., 1.]), tensor([-1, -2]))
    """
    return Remainder("remainder")(*_division_operands("remainder", a, b))


def fmod(a, b) -> Tensor:
    """The remainder of a / b truncated toward zero (the sign of a), as torch.fmod and C's fmod."""
    return Remainder("fmod")(*_division_operands("fmod", a, b))


# ***** compositions: lerp, addcmul, addcdiv *****


def _float_only(name: str, *xs) -> None:
    for x in xs:
        if isinstance(x, Tensor) and x.dtype.kind != "f":
            raise TypeError(f"{name}: needs floating-point tensors, got {x.dtype}")


_LN2, _LN10 = 0.6931471805599453, 2.302585092994046  # ln 2, ln 10


class Log2(Log):
    """y = log2 x = ln x / ln 2"""

    def forward(self, x):
        self.x = x
        return self.xp.log2(x)

    def backward(self, gy):
        return gy / (self.x * self.x.dtype.type(_LN2))


def log2(x) -> Tensor:
    return Log2()(_floating(x))


class Log10(Log):
    """y = log10 x = ln x / ln 10"""

    def forward(self, x):
        self.x = x
        return self.xp.log10(x)

    def backward(self, gy):
        return gy / (self.x * self.x.dtype.type(_LN10))


def log10(x) -> Tensor:
    return Log10()(_floating(x))


class Sin(Function):
    """y = sin x"""

    double_backward = "recompute"

    def forward(self, x):
        self.x = x
        return self.xp.sin(x)

    def backward(self, gy):
        return gy * self.xp.cos(self.x)


def sin(x) -> Tensor:
    return Sin()(_floating(x))


class Cos(Function):
    """y = cos x"""

    double_backward = "recompute"

    def forward(self, x):
        self.x = x
        return self.xp.cos(x)

    def backward(self, gy):
        return -gy * self.xp.sin(self.x)


def cos(x) -> Tensor:
    return Cos()(_floating(x))


class Tan(Function):
    """y = tan x"""

    double_backward = "recompute"

    def forward(self, x):
        self.y = self.xp.tan(x)
        return self.y

    def backward(self, gy):
        return gy * (1 + self.y * self.y)  # dy/dx = 1 / cos^2 x = 1 + tan^2 x


def tan(x) -> Tensor:
    """Tangent (integers give the default float). Same as torch.tan."""
    return Tan()(_floating(x))


class Expm1(Function):
    """y = e^x - 1, accurate for small x"""

    double_backward = "recompute"

    def forward(self, x):
        self.y = self.xp.expm1(x)
        return self.y

    def backward(self, gy):
        return gy * (self.y + 1)  # dy/dx = e^x = y + 1


def expm1(x) -> Tensor:
    """e^x - 1, accurate where x is tiny. Same as torch.expm1.

    >>> import minigrad
    >>> minigrad.tensor([0.0, 1e-10]).expm1()
    tensor([0.e+00, 1.e-10])
    """
    return Expm1()(_floating(x))


class Exp2(Function):
    """y = 2^x"""

    double_backward = "recompute"

    def forward(self, x):
        self.y = self.xp.exp2(x)
        return self.y

    def backward(self, gy):
        return gy * self.y * self.y.dtype.type(_LN2)  # dy/dx = 2^x ln 2


def exp2(x) -> Tensor:
    """2^x (integers give the default float). Same as torch.exp2."""
    return Exp2()(_floating(x))


_SQRT_PI = 1.7724538509055159  # sqrt(pi)


def erf_array(xp, x):
    """erf(x) with error < 1e-13 from exp and arithmetic only (NumPy has no erf; CuPy's lives in
    cupyx). |x| < 2.5: the series erf(x) = 2/sqrt(pi) e^(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1)),
    whose terms are all positive (no cancellation); |x| >= 2.5: Laplace's continued fraction
    erfc(x) = e^(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))).
    Python-float constants keep float32 input float32.

    On a Tensor (a forward re-run for create_graph, as GELU's) it is the recorded op Erf."""
    if isinstance(x, Tensor):
        return Erf()(x)
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


class Erf(Function):
    """y = erf(x); dy/dx = 2/sqrt(pi) e^(-x^2)"""

    double_backward = "recompute"

    def forward(self, x):
        self.x = x
        return erf_array(self.xp, x)

    def backward(self, gy):
        return gy * (2 / _SQRT_PI) * self.xp.exp(-self.x * self.x)


def erf(x) -> Tensor:
    """The error function, 2/sqrt(pi) times the integral of e^(-t^2) from 0 to x (integers give
    the default float). Same as torch.erf (also `torch.special.erf`).

    >>> import minigrad
    >>> minigrad.tensor([0.0, 1.0, -3.0]).erf()
    tensor([ 0.       ,  0.8427008, -0.9999779])
    """
    return Erf()(_floating(x))


class Atan2(Function):
    """y = atan2(a, b), the angle of the point (b, a) in (-pi, pi]"""

    double_backward = "recompute"

    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.arctan2(a, b)

    def backward(self, gy):
        # da = b / (a^2 + b^2), db = -a / (a^2 + b^2); NaN at (0, 0), as in PyTorch
        r = gy / (self.a * self.a + self.b * self.b)
        return (r * self.b if self.needs_input_grad[0] else None,
                -r * self.a if self.needs_input_grad[1] else None)


def atan2(input, other) -> Tensor:
    """The angle of the point (other, input), elementwise with broadcasting (integers give the
    default float). Same as torch.atan2 (also `arctan2`).

    >>> import minigrad
    >>> minigrad.atan2(minigrad.tensor([1.0, -1.0]), minigrad.tensor([0.0, 0.0]))
    tensor([ 1.5707964, -1.5707964])
    """
    a, b = operands(input, other)
    return Atan2()(_floating(a), _floating(b))


arctan2 = atan2


class Sqrt(Function):
    """y = sqrt(x)"""

    double_backward = "recompute"

    def forward(self, x):
        self.y = self.xp.sqrt(x)
        return self.y

    def backward(self, gy):
        return gy / (2 * self.y)  # dy/dx = 1 / (2 sqrt(x)); inf at 0, as in PyTorch


def sqrt(x) -> Tensor:
    return Sqrt()(_floating(x))


class Reciprocal(Function):
    """y = 1 / x"""

    double_backward = "recompute"

    def forward(self, x):
        self.y = 1 / x  # inf at 0, as in PyTorch
        return self.y

    def backward(self, gy):
        return -gy * self.y * self.y  # dy/dx = -1 / x^2 = -y^2


def reciprocal(x) -> Tensor:
    """1 / x; integers give the default float dtype. Same as torch.reciprocal."""
    return Reciprocal()(_floating(x))


class Rsqrt(Function):
    """y = 1 / sqrt(x)"""

    double_backward = "recompute"

    def forward(self, x):
        self.y = 1 / self.xp.sqrt(x)  # inf at 0, nan below, as in PyTorch
        return self.y

    def backward(self, gy):
        return gy * self.y * self.y * self.y * -0.5  # dy/dx = -x^(-3/2) / 2 = -y^3 / 2


def rsqrt(x) -> Tensor:
    """1 / sqrt(x); integers give the default float dtype. Same as torch.rsqrt.

    >>> import minigrad
    >>> minigrad.rsqrt(minigrad.tensor([4.0, 0.25]))
    tensor([0.5, 2. ])
    """
    return Rsqrt()(_floating(x))


class Abs(Function):
    """y = |x|"""

    double_backward = "constants"

    def forward(self, x):
        self.x = x
        return self.xp.abs(x)

    def backward(self, gy):
        # dy/dx = sign(x), 0 at 0 and, as PyTorch's sign, 0 at NaN (NumPy's sign(nan) is nan);
        # a product, not a selection, so an infinite gy at 0 gives nan, as in PyTorch
        x = self.x
        return gy * ((x > 0).astype(gy.dtype) - (x < 0).astype(gy.dtype))


def abs(x) -> Tensor:
    return Abs()(x)


class Maximum(Function):
    """y = max(a, b) elementwise. NOTE: on ties the gradient goes to b, so that
    maximum(x, 0) has the same subgradient at 0 as relu (0); PyTorch splits ties 0.5/0.5."""

    double_backward = "constants"

    def forward(self, a, b):
        self.a_wins = a > b
        return self.xp.maximum(a, b)

    def backward(self, gy):
        return _route(self.xp, self.a_wins, gy, self.needs_input_grad)


def _route(xp, to_a, gy, needs):
    """The gradients of an op that picks each element from a or b: gy goes where it came from."""
    return (keep_where(xp, to_a, gy) if needs[0] else None,
            keep_where(xp, ~to_a, gy) if needs[1] else None)


def keep_where(xp, keep, g, out=None, cache=None):
    """`where(keep, g, 0)` for a floating-point g, computed as g's bits (viewed as integers)
    times keep: bits * 1 is g exactly, bits * 0 is +0.0. WHY: NumPy's `where` is ~20x slower
    than a multiply on large arrays (it is not vectorised), and the float product `g * keep`
    would turn an infinite or NaN g into NaN where the result must be 0.
    The result goes into `out` when given, else into a buffer from `cache` (_scratch.py)."""
    if isinstance(g, Tensor):  # a backward recorded for create_graph (namespace.py): differentiable
        return xp.where(keep, g, 0)
    ints = np.dtype(f"i{g.dtype.itemsize}")  # the integer type of g's width
    if out is None and keep.shape != g.shape:  # broadcasting: no buffer to reuse
        return xp.multiply(g.view(ints), keep, dtype=ints).view(g.dtype)
    if out is None:
        out = _scratch.empty_like(cache, xp, g)
    xp.multiply(g.view(ints), keep, out=out.view(ints))
    return out


def maximum(a, b) -> Tensor:
    """Elementwise maximum; on ties the gradient goes to `b`."""
    return Maximum()(*operands(a, b))


class Minimum(Maximum):
    """y = min(a, b) elementwise; on ties the gradient goes to b (backward: Maximum's)."""

    def forward(self, a, b):
        self.a_wins = a < b
        return self.xp.minimum(a, b)


def minimum(a, b) -> Tensor:
    """Elementwise minimum; on ties the gradient goes to `b`."""
    return Minimum()(*operands(a, b))


class Clip(Function):
    """y = min(max(x, lo), hi). NOTE: the gradient is 1 strictly inside (lo, hi) and 0 at the
    bounds, so clip(x, 0) matches relu at 0; PyTorch's clamp passes the gradient at the bounds."""

    double_backward = "constants"

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        inside = True
        if self.lo is not None:
            inside = x > self.lo
        if self.hi is not None:
            inside = inside & (x < self.hi)
        self.inside = inside
        return self.xp.clip(x, self.lo, self.hi)

    def backward(self, gy):
        return keep_where(self.xp, self.inside, gy)


def clip(x, min=None, max=None) -> Tensor:
    """Clamp x to [min, max]; the gradient is zero at and beyond the bounds."""
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    if x.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        x = cast(x, dtypes.default_float)  # as PyTorch: floats, not a bound truncated to an int
    t = x.dtype.type
    return Clip(None if min is None else t(min), None if max is None else t(max))(x)


clamp = clip


def nan_to_num(x: Tensor, nan=0.0, posinf=None, neginf=None) -> Tensor:
    """x with NaN, +inf and -inf replaced by `nan`, `posinf` and `neginf` (by default 0 and the
    largest and lowest finite values of x's dtype). The gradient passes where x is finite and
    is 0 at the replaced places. Same as torch.nan_to_num.

    >>> import minigrad
    >>> minigrad.tensor([float("nan"), float("inf"), 1.0]).nan_to_num(posinf=9.0)
    tensor([0., 9., 1.])
    """
    if x.dtype.kind != "f":  # no NaN or inf to replace, as torch: a copy
        return clone(x)
    xp = backend.get_array_module(x.array)
    fixed = xp.nan_to_num(x.array, nan=nan, posinf=posinf, neginf=neginf)  # in x's dtype
    return Where(xp.isfinite(x.array))(x, Tensor._from_data(fixed))


# ***** logical ops: nonzero is True; bool results without gradient *****


class Where(Function):
    """y = a where cond else b (cond is a constant boolean array)"""

    double_backward = "constants"

    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        return self.xp.where(self.cond, a, b)

    def backward(self, gy):
        return _route(self.xp, self.cond, gy, self.needs_input_grad)


def where(cond, a=None, b=None):
    """Elementwise `a if cond else b`; `cond` is a bool tensor or array (no gradient), `a` and
    `b` tensors or numbers. `where(cond)` alone is `cond.nonzero(as_tuple=True)`: a tuple of
    index tensors, one per dim. Same as torch.where.

    >>> import minigrad
    >>> c = minigrad.tensor([True, False, True])
    >>> minigrad.where(c, 1.0, 0.0), minigrad.where(c)
    (tensor([1., 0., 1.]), (tensor([0, 2]),))
    """
    if a is None and b is None:
        from .shape import nonzero

        return tuple(nonzero(cond if isinstance(cond, Tensor) else Tensor._from_data(cond)).unbind(1))
    if isinstance(cond, Tensor) and cond.dtype != np.bool_:
        raise dtypes.DtypeError(f"where: the condition must be a bool tensor, got {cond.dtype} (compare it: `cond != 0`)")
    cond = cond.array if isinstance(cond, Tensor) else cond
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):  # two numbers: torch's dtype for them
        xp = backend.get_array_module(cond)
        a = Tensor._from_data(xp.asarray(a, dtype=dtypes.scalar_dtype(b, dtypes.scalar_dtype(a, np.dtype(np.bool_)))))
    a, b = operands(a, b)
    return Where(cond)(a, b)


class Cast(Function):
    """y = x converted to another dtype"""

    double_backward = "linear"

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.in_dtype)


def cast(x: Tensor, dtype) -> Tensor:
    """x converted to `dtype` (differentiable between float dtypes)."""
    # a constant number (operands() makes them NumPy scalars; op results are arrays, see
    # Function.__call__) stays a number, which fits any device
    if isinstance(x.array, np.generic) and not x.requires_grad:
        return wrap(np.dtype(dtype).type(x.array))
    return Cast(np.dtype(dtype))(x)


class ToDevice(Function):
    """y = x copied to another device"""

    double_backward = "linear"

    def __init__(self, device):
        self.device = device

    def forward(self, x):
        self.src = backend.device_of(x)
        return backend.to_device(x, self.device)

    def backward(self, gy):
        return backend.to_device(gy, self.src)


def to_device(x: Tensor, device: str) -> Tensor:
    return ToDevice(device)(x)


class Clone(Function):
    """y = a copy of x, in x's memory order ("K") or row-major ("C")"""

    double_backward = "linear"

    def __init__(self, order: str = "K"):
        self.order = order

    def forward(self, x):
        return self.xp.copy(x, order=self.order)

    def backward(self, gy):
        return gy


def clone(x: Tensor) -> Tensor:
    return Clone()(x)


def contiguous(x: Tensor) -> Tensor:
    """x itself when its values lie in row-major order, else a row-major copy in the graph."""
    return x if x.array.flags.c_contiguous else Clone("C")(x)


class Tanh(Function):
    """y = tanh(x)"""

    double_backward = "recompute"

    def forward(self, x):
        self.y = self.xp.tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)  # dy/dx = 1 - y^2


def tanh(x) -> Tensor:
    """Hyperbolic tangent; exact and warning-free at +-1000. Same as torch.tanh."""
    return Tanh()(_floating(x))


def stable_sigmoid(xp, x):
    """1 / (1 + e^-x) on an array, without overflow: e^-|x| never exceeds 1. For Functions
    that need the sigmoid inside their own forward (e.g. a loss on logits)."""
    with backend.quiet_underflow(xp):
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(Function):
    """y = 1 / (1 + e^-x), computed without overflow (stable_sigmoid)."""

    double_backward = "recompute"

    def forward(self, x):
        self.y = stable_sigmoid(self.xp, x)
        return self.y

    def backward(self, gy):
        return gy * self.y * (1 - self.y)  # dy/dx = y (1 - y)


def sigmoid(x) -> Tensor:
    """1 / (1 + e^-x), without overflow for large |x|. Same as torch.sigmoid."""
    return Sigmoid()(_floating(x))


class ReLU(Function):
    """y = max(x, 0); subgradient 0 at 0 (as PyTorch)."""

    double_backward = "constants"

    def forward(self, x):
        # large results come from nn.ReLU's buffer cache, if a layer called us (_scratch.py)
        self.cache = _scratch.current()
        self.mask = ~(x <= 0)  # not `x > 0`: a NaN passes its gradient, as in PyTorch
        return self.xp.maximum(x, 0, out=_scratch.empty_like(self.cache, self.xp, x))

    def backward(self, gy):
        # exact: an infinite gy at x <= 0 gives 0
        return keep_where(self.xp, self.mask, gy, cache=self.cache)


def relu(x) -> Tensor:
    """max(x, 0); gradient 0 at 0. Same as torch.nn.functional.relu."""
    if x.dtype.kind == "b":  # as PyTorch; NumPy would promote to int64
        raise TypeError("relu: boolean inputs are not supported (as in PyTorch); cast first, e.g. x.float()")
    return ReLU()(x)


class LeakyReLU(Function):
    """y = x if x > 0 else slope * x"""

    double_backward = "constants"

    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        self.mask = x > 0
        return self.xp.where(self.mask, x, x * self.slope)

    def backward(self, gy):
        return self.xp.where(self.mask, gy, gy * self.slope)


def leaky_relu(x, negative_slope: float = 0.01) -> Tensor:
    """x if x > 0 else negative_slope * x. Same as torch.nn.functional.leaky_relu."""
    if x.dtype.kind != "f":  # as PyTorch: integers would silently act as relu (slope -> 0)
        raise TypeError(f"leaky_relu: needs a floating-point tensor, got {x.dtype}")
    return LeakyReLU(x.dtype.type(negative_slope))(x)


def compare(a, b, op: str) -> Tensor:
    """Elementwise comparison (`less`, `equal`, ...) giving a bool tensor without grad."""
    a, b = operands(a, b)
    xp = backend.get_array_module(a.array, b.array)
    if backend.device_of(a.array) != backend.device_of(b.array) and a.ndim and b.ndim:
        raise TypeError(f"{op}: tensors on different devices ({a.device!r}, {b.device!r})")
    return Tensor._from_data(getattr(xp, op)(a.array, b.array))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """|a - b| <= atol + rtol * |b| elementwise, as a bool tensor (torch's defaults)."""
    a, b = operands(a, b)
    xp = backend.get_array_module(a.array, b.array)
    return Tensor._from_data(xp.isclose(a.array, b.array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True if isclose holds everywhere (a Python bool)."""
    return bool(isclose(a, b, rtol, atol, equal_nan).array.all())


def _classify(x, name: str) -> Tensor:
    if not isinstance(x, Tensor):  # as torch: a tensor is required
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    return Tensor._from_data(getattr(backend.get_array_module(x.array), name)(x.array))


def isnan(x) -> Tensor:
    """True where x is NaN, as a bool tensor (no gradient). Same as torch.isnan.

    >>> import minigrad
    >>> minigrad.tensor([1.0, float("nan"), float("inf")]).isnan()
    tensor([False,  True, False])
    """
    return _classify(x, "isnan")


def isinf(x) -> Tensor:
    """True where x is +inf or -inf (bool tensor, no gradient). Same as torch.isinf."""
    return _classify(x, "isinf")


def isfinite(x) -> Tensor:
    """True where x is neither NaN nor +-inf (bool tensor, no gradient). Same as torch.isfinite."""
    return _classify(x, "isfinite")
