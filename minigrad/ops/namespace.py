"""`tensor_xp`: minigrad's own ops under the names of NumPy's array functions.

A Function's forward and backward compute with `self.xp`. For an ordinary backward that is the
backend's module (numpy or cupy) and the formulas run on raw arrays at full speed. For
`backward(create_graph=True)` the engine re-runs forward and backward on a copy of the Function
with `xp = tensor_xp` and Tensors in place of arrays: the same formulas then call minigrad ops,
which are recorded, so the gradient they produce can itself be differentiated (see
docs/autograd.md, "Backward is a graph too"). One formula, two namespaces.

Only the names the Functions' formulas use are here; each takes Tensors or numbers.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ..tensor import Tensor, wrap
from . import elementwise as E
from . import linalg, reduce, shape


def _unary(op, name):
    """The op on Tensors; on a constant number (a Tensor holding a NumPy scalar, such as the
    base of `2.5 ** x`) the plain NumPy function, so the result stays a number, which goes with
    any device."""
    def f(x):
        if isinstance(x, Tensor) and isinstance(x.array, np.generic) and not x.requires_grad:
            return wrap(getattr(np, name)(x.array))
        return op(x)
    return staticmethod(f)


class _TensorNamespace:
    """The subset of the NumPy API that the Functions' formulas use, on minigrad Tensors."""

    __name__ = "minigrad.tensor_xp"
    errstate = None  # no floating-point error state: backend.quiet_* contexts do nothing
    nan = float("nan")

    exp, log, log2, log10 = _unary(E.exp, "exp"), _unary(E.log, "log"), _unary(E.log2, "log2"), _unary(E.log10, "log10")
    sin, cos, sqrt, tanh = _unary(E.sin, "sin"), _unary(E.cos, "cos"), _unary(E.sqrt, "sqrt"), _unary(E.tanh, "tanh")
    abs = _unary(E.abs, "abs")
    tan, exp2 = _unary(E.tan, "tan"), _unary(E.exp2, "exp2")

    @staticmethod
    def arctan2(a, b):
        return E.atan2(a, b)

    @staticmethod
    def maximum(a, b):
        return E.maximum(a, b)

    @staticmethod
    def minimum(a, b):
        return E.minimum(a, b)

    @staticmethod
    def where(cond, a, b):
        if not isinstance(a, Tensor) and not isinstance(b, Tensor):  # two constants: no graph
            cond = cond.array if isinstance(cond, Tensor) else cond
            xp = _array_xp(cond)
            return wrap(xp.where(cond, a, b))
        return E.where(cond, a, b)

    @staticmethod
    def clip(x, lo, hi):
        return E.clip(x, lo, hi)

    @staticmethod
    def zeros_like(x):  # a constant: nothing to differentiate (and no 0 * inf = nan)
        return wrap(_array_xp(x.array).zeros_like(x.array))

    @staticmethod
    def ones_like(x):
        return wrap(_array_xp(x.array).ones_like(x.array))

    @staticmethod
    def broadcast_to(x, shp):
        return shape.expand(x, *shp) if tuple(x.shape) != tuple(shp) else x

    @staticmethod
    def expand_dims(x, axes):
        axes = (axes,) if isinstance(axes, int) else tuple(axes)
        nd = x.ndim + len(axes)
        axes = sorted(a % nd for a in axes)
        for a in axes:
            x = x.unsqueeze(a)
        return x

    @staticmethod
    def swapaxes(x, a, b):
        return x.transpose(a, b)

    @staticmethod
    def matmul(a, b):
        return linalg.matmul(a, b)

    @staticmethod
    def einsum(spec, *xs):
        return linalg.einsum(spec, *xs)

    @staticmethod
    def concatenate(xs, axis=0):
        return shape.cat(list(xs), dim=axis)

    @staticmethod
    def stack(xs, axis=0):
        return shape.stack(list(xs), dim=axis)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return reduce.sum(x, axis, keepdims)

    @staticmethod
    def isfinite(x):
        return wrap(_array_xp(x.array).isfinite(x.array))

    @staticmethod
    def log1p(x):
        return E.log(x + 1)

    @staticmethod
    def expm1(x):
        return E.exp(x) - 1

    @staticmethod
    def copy(x):
        return E.clone(x)

    @staticmethod
    def astype(x, dtype):
        return E.cast(x, dtype) if x.dtype != dtype else x


def _array_xp(a):
    from .. import backend

    return backend.get_array_module(a)


tensor_xp = _TensorNamespace()
quiet = contextlib.nullcontext
