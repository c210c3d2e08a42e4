"""2-D pooling: max, average and adaptive average, each a Function, its `F` function and its
Module. The window helpers (padding, strided views, kernel offsets) are conv.py's.

All three Functions loop over the kh*kw kernel offsets, each a strided view of the padded input
with one pixel per output position; backward adds into the same views, so overlapping windows
accumulate.

Sections: argument helpers | max | average | adaptive average | Modules
"""

from __future__ import annotations

import math

from .. import _scratch
from ..autograd import Function
from ..ops.elementwise import keep_where
from ..tensor import Tensor
from .conv import (_as_chwn, _check_input, _chwn, _crop, _offsets, _out_shape, _pad, _pair, _positive,
                   _unbatched, _window_stack)
from .module import Module

# ***** argument helpers *****


def _pool_args(op: str, kernel_size, stride, padding) -> tuple:
    kernel = _positive(_pair(kernel_size, "kernel_size", op), "kernel_size", op)
    if stride is None or stride == ():  # PyTorch's default: the kernel size
        stride = kernel
    stride = _positive(_pair(stride, "stride", op), "stride", op)
    ph, pw = _pair(padding, "padding", op)
    if ph < 0 or pw < 0 or 2 * ph > kernel[0] or 2 * pw > kernel[1]:
        raise ValueError(f"{op}: padding {(ph, pw)} must be between 0 and half the kernel size {kernel}")
    return kernel, stride, ((ph, ph), (pw, pw))


def _pool(function, op: str, x: Tensor, kernel_size, stride, padding) -> Tensor:
    """Check the arguments of max_pool2d / avg_pool2d and apply `function` (their Function)."""
    _check_input(x, op)
    kernel, stride, pads = _pool_args(op, kernel_size, stride, padding)
    _out_shape(op, x.shape[2:], pads, kernel, stride, (1, 1))  # raises on a non-positive size
    return function(kernel, stride, pads)(x)


# ***** max *****


class MaxPool2dFunction(Function):
    """y[n, c, i, j] = max_{p,q} xpad[n, c, i*sh + p, j*sw + q], with xpad padded by -inf"""

    # backward(create_graph=True) differentiates the max over the stacked windows (an amax,
    # whose gradient goes to the same winner when the maximum is unique)
    double_backward = "composed"

    def __init__(self, kernel: tuple, stride: tuple, pads: tuple):
        self.kernel, self.stride, self.pads = kernel, stride, pads

    def composed(self, x):
        return _window_stack(x, self.pads, self.kernel, self.stride, (1, 1), fill=-math.inf).amax(2)

    def forward(self, x):
        xp = self.xp
        self.cache = _scratch.current()  # the layer's buffers, if a pooling layer called us
        xpad = _pad(xp, x, self.pads, fill=-math.inf, cache=self.cache)
        out_hw = _out_shape("max_pool2d", x.shape[2:], self.pads, self.kernel, self.stride, (1, 1))
        # idx: which offset won each window (uint8 is enough for kernels up to 16x16)
        idx_type = xp.uint8 if self.kernel[0] * self.kernel[1] <= 256 else xp.int32
        y = idx = None
        for k, where in _offsets(self.kernel, self.stride, (1, 1), out_hw):
            # NOTE: a compact copy of the strided view first: the passes below then run
            # several times faster than on the view itself
            v = _chwn(xp, xpad[where].shape, x.dtype, fill=None, cache=self.cache)
            v[...] = xpad[where]
            if y is None:
                y, idx = v, xp.zeros_like(v, dtype=idx_type)  # v's memory layout
                continue
            # strict '>' keeps the first maximum, so a tie sends the whole gradient to one
            # element, as in PyTorch; 'v != v' lets a NaN win, as it propagates in PyTorch
            better = (v > y) | (v != v)
            # k grows, so the max keeps the latest winner. astype first: bool * scalar promotes
            # differently across NumPy/CuPy versions, uint8 * uint8 stays uint8 everywhere
            xp.maximum(idx, better.astype(idx_type) * idx_type(k), out=idx)
            xp.maximum(y, v, out=y)
        self.idx, self.x_shape, self.out_hw = idx, x.shape, out_hw
        return y

    def backward(self, gy):
        xp, (pt, pb), (pl, pr) = self.xp, *self.pads
        n, c, h, w = self.x_shape
        gxpad = _chwn(xp, (n, c, h + pt + pb, w + pl + pr), gy.dtype, cache=self.cache)
        gy = _as_chwn(xp, gy, self.cache)  # several passes below: one layout for all of them
        overlap = self.stride[0] < self.kernel[0] or self.stride[1] < self.kernel[1]
        for k, where in _offsets(self.kernel, self.stride, (1, 1), self.out_hw):
            # each window's winner gets gy (keep_where: where(), but several times faster)
            if overlap:
                gxpad[where] += keep_where(xp, self.idx == k, gy)
            else:  # each pixel is in at most one window: write, don't add
                keep_where(xp, self.idx == k, gy, out=gxpad[where])
        return _crop(gxpad, self.pads, (h, w))


@_unbatched
def max_pool2d(x: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """Max over kernel_size windows, same arguments as torch.nn.functional.max_pool2d
    (stride defaults to kernel_size; padding counts as -inf; no dilation or ceil_mode).
    When several elements tie for the maximum, the first one (row-major) gets the gradient.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.arange(16.0).reshape(1, 1, 4, 4)
    >>> F.max_pool2d(x, 2)[0, 0]
    tensor([[ 5.,  7.],
            [13., 15.]])
    """
    return _pool(MaxPool2dFunction, "max_pool2d", x, kernel_size, stride, padding)


# ***** average *****


class AvgPool2dFunction(Function):
    """y[n, c, i, j] = mean_{p,q} xpad[n, c, i*sh + p, j*sw + q], padding counted as zeros
    (PyTorch's count_include_pad=True)"""

    double_backward = "linear"  # a linear map: its backward's backward is itself (Transposed)

    def __init__(self, kernel: tuple, stride: tuple, pads: tuple):
        self.kernel, self.stride, self.pads = kernel, stride, pads

    def forward(self, x):
        xp = self.xp
        xpad = _pad(xp, x, self.pads)
        out_hw = _out_shape("avg_pool2d", x.shape[2:], self.pads, self.kernel, self.stride, (1, 1))
        y = _chwn(xp, (*x.shape[:2], *out_hw), x.dtype)
        for _, where in _offsets(self.kernel, self.stride, (1, 1), out_hw):
            y += xpad[where]
        y *= 1.0 / (self.kernel[0] * self.kernel[1])  # a Python float keeps float32 float32
        self.x_shape, self.out_hw = x.shape, out_hw
        return y

    def backward(self, gy):
        (pt, pb), (pl, pr) = self.pads
        n, c, h, w = self.x_shape
        gxpad = _chwn(self.xp, (n, c, h + pt + pb, w + pl + pr), gy.dtype)
        g = gy * (1.0 / (self.kernel[0] * self.kernel[1]))  # every pixel of a window gets gy/k
        for _, where in _offsets(self.kernel, self.stride, (1, 1), self.out_hw):
            gxpad[where] += g
        return _crop(gxpad, self.pads, (h, w))


@_unbatched
def avg_pool2d(x: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """Mean over kernel_size windows, same arguments as torch.nn.functional.avg_pool2d
    (padding zeros count in the mean, as with PyTorch's default count_include_pad=True).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.avg_pool2d(minigrad.ones(1, 1, 2, 2), 2, padding=1)[0, 0]   # each window: one 1, three pads
    tensor([[0.25, 0.25],
            [0.25, 0.25]])
    """
    return _pool(AvgPool2dFunction, "avg_pool2d", x, kernel_size, stride, padding)


# ***** adaptive average *****


def _adaptive_bins(size: int, out: int) -> list:
    """PyTorch's bins: output i averages [floor(i*size/out), ceil((i+1)*size/out))."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


class AdaptiveAvgPool2dFunction(Function):
    """y[n, c, i, j] = mean of x[n, c] over bin (i, j); the bins split H and W into OH x OW
    nearly equal (possibly overlapping) ranges"""

    double_backward = "linear"

    def __init__(self, out_hw: tuple):
        self.out_hw = out_hw

    def forward(self, x):
        self.x_shape = x.shape
        rows, cols = (_adaptive_bins(n, o) for n, o in zip(x.shape[2:], self.out_hw))
        self.bins = [(i, j, r, c) for i, r in enumerate(rows) for j, c in enumerate(cols)]
        y = _chwn(self.xp, (*x.shape[:2], *self.out_hw), x.dtype)
        for i, j, (r0, r1), (c0, c1) in self.bins:
            y[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
        return y

    def backward(self, gy):
        gx = _chwn(self.xp, self.x_shape, gy.dtype)
        for i, j, (r0, r1), (c0, c1) in self.bins:  # += because bins may overlap
            gx[:, :, r0:r1, c0:c1] += gy[:, :, i, j, None, None] * (1.0 / ((r1 - r0) * (c1 - c0)))
        return gx


@_unbatched
def adaptive_avg_pool2d(x: Tensor, output_size) -> Tensor:
    """Average over OH x OW nearly equal bins, whatever the input size (same bins as
    torch.nn.functional.adaptive_avg_pool2d). `output_size=1` is global average pooling.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.adaptive_avg_pool2d(minigrad.ones(2, 3, 5, 7), 1).shape
    (2, 3, 1, 1)
    """
    _check_input(x, "adaptive_avg_pool2d")
    if isinstance(output_size, (tuple, list)):  # None keeps that input size, as in PyTorch
        output_size = tuple(n if o is None else o for o, n in zip(output_size, x.shape[2:]))
    out_hw = _positive(_pair(output_size, "output_size", "adaptive_avg_pool2d"), "output_size",
                       "adaptive_avg_pool2d")
    return AdaptiveAvgPool2dFunction(out_hw)(x)


# ***** Modules *****


class _Pool2d(Module):
    """Shared by MaxPool2d and AvgPool2d: the same arguments, checked at construction; `forward`
    calls the subclass's functional op, `_op`."""

    _op = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size
        _pool_args(type(self).__name__, kernel_size, stride, padding)  # validate now
        self._buffer_cache = _scratch.shared()  # work arrays reused across steps (_scratch.py)

    def forward(self, x: Tensor) -> Tensor:
        with self._buffer_cache.active():
            return self._op(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max pooling; same arguments as torch.nn.MaxPool2d (no dilation, ceil_mode or
    return_indices). stride defaults to kernel_size.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.MaxPool2d(2)(minigrad.randn(1, 3, 28, 28)).shape
    (1, 3, 14, 14)
    """

    _op = staticmethod(max_pool2d)


class AvgPool2d(_Pool2d):
    """Average pooling; same arguments as torch.nn.AvgPool2d (count_include_pad=True only).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.AvgPool2d(3, stride=2, padding=1)(minigrad.randn(1, 3, 28, 28)).shape
    (1, 3, 14, 14)
    """

    _op = staticmethod(avg_pool2d)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size; same as torch.nn.AdaptiveAvgPool2d.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.AdaptiveAvgPool2d((1, 1))(minigrad.randn(4, 16, 7, 7)).shape
    (4, 16, 1, 1)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"