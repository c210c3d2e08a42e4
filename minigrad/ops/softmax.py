"""The softmax family. All are shift-stable: they subtract the max before exponentiating."""

from __future__ import annotations

from ..autograd import Function
from .. import backend
from ..backend import quiet_underflow
from ..tensor import Tensor
from .elementwise import _floating
from .reduce import _needs_float, keep_reduced_dims, one_dim, reduce_args, squeeze_reduced


def _max_keepdims(xp, x, axis):
    """The max over `axis` with keepdims, as the shift of the stable softmax family; 0 when x
    is empty (an empty reduction has no max; PyTorch gives an empty softmax, logsumexp -inf).
    On Tensors (create_graph) the shift is a constant: the results do not depend on it."""
    if isinstance(x, Tensor):
        return Tensor._from_data(_max_keepdims(backend.get_array_module(x.array), x.array, axis))
    if x.size == 0:
        shape = tuple(1 if axis is None or i in (axis if isinstance(axis, tuple) else (axis,)) else n
                      for i, n in enumerate(x.shape))
        return xp.zeros(shape, x.dtype)
    return x.max(axis=axis, keepdims=True)


class _AlongAxis(Function):
    """A softmax-family op along one axis; `shifted(x)` is x minus its max there."""

    double_backward = "recompute"

    def __init__(self, axis):
        self.axis = axis

    def shifted(self, x):
        return x - _max_keepdims(self.xp, x, self.axis)


class Softmax(_AlongAxis):
    """y = e^x / sum(e^x) along an axis"""

    def forward(self, x):
        with quiet_underflow(self.xp):
            e = self.xp.exp(self.shifted(x))
        self.y = e / e.sum(axis=self.axis, keepdims=True)
        return self.y

    def backward(self, gy):
        y = self.y
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))  # J = diag(y) - y y^T


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """Softmax along `dim`; stable for large logits (softmax([1000, 0]) == [1, 0]).
    Same as torch.nn.functional.softmax, except that `dim` defaults to -1."""
    _needs_float("softmax", x)
    return Softmax(one_dim(x, dim))(x)


class LogSoftmax(_AlongAxis):
    """y = x - logsumexp(x) along an axis"""

    def forward(self, x):
        xp = self.xp
        with quiet_underflow(xp):
            s = self.shifted(x)
            self.y = s - xp.log(xp.exp(s).sum(axis=self.axis, keepdims=True))
        return self.y

    def backward(self, gy):
        with quiet_underflow(self.xp):
            return gy - self.xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """log(softmax(x)) along `dim`, computed without taking the log of a rounded 0.
    Same as torch.nn.functional.log_softmax, except that `dim` defaults to -1."""
    _needs_float("log_softmax", x)
    return LogSoftmax(one_dim(x, dim))(x)


class LogSumExp(Function):
    """y = log(sum(e^x)) over axes"""

    double_backward = "recompute"

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        xp = self.xp
        m = _max_keepdims(xp, x, self.axes)
        m = xp.where(xp.isfinite(m), m, 0)  # all -inf stays -inf instead of NaN
        with quiet_underflow(xp):
            y = xp.log(xp.exp(x - m).sum(axis=self.axes, keepdims=True)) + m
        self.x, self.y = x, y
        return y if self.keepdims else squeeze_reduced(y, self.axes)

    def backward(self, gy):
        gy = keep_reduced_dims(gy, self.x.shape, self.axes, self.keepdims)
        with quiet_underflow(self.xp):
            return gy * self.xp.exp(self.x - self.y)  # dy/dx = softmax(x)


def logsumexp(x: Tensor, dim=None, keepdim=False) -> Tensor:
    """log(sum(exp(x))) over `dim`, shift-stable."""
    axes, keepdim = reduce_args(x, dim, keepdim, {})
    return LogSumExp(axes, keepdim)(_floating(x))  # integers: the default float, as PyTorch
