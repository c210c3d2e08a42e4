"""Pooling: max, average and adaptive average in 2-d, each a Function, its `F` function and its
Module; the 1-d ops (the 2-d ones on a height of 1, or composed); max unpooling and power-average
(LP) pooling, composed. The window helpers (padding, strided views, kernel offsets) are conv.py's.

All three Functions loop over the kh*kw kernel offsets, each a strided view of the padded input
with one pixel per output position; backward adds into the same views, so overlapping windows
accumulate.

Sections: argument helpers | max | average | adaptive average | Modules | 1-d pooling | max unpooling | LP pooling |
3-d pooling (composed: the 2-d op over (H, W), then over D)
"""

from __future__ import annotations

import math

from .. import _scratch, ops
from ..autograd import Function
from ..creation import zeros
from ..ops.elementwise import keep_where
from ..tensor import Tensor
from .conv import (_as_chwn, _check_input, _chwn, _crop, _ntuple, _offsets, _out_shape, _pad, _pair, _positive,
                   _single, _unbatched, _window_stack)
from .module import Module

# ***** argument helpers *****


def _pool_args(op: str, kernel_size, stride, padding, dilation=1) -> tuple:
    kernel = _positive(_pair(kernel_size, "kernel_size", op), "kernel_size", op)
    if stride is None or stride == ():  # PyTorch's default: the kernel size
        stride = kernel
    stride = _positive(_pair(stride, "stride", op), "stride", op)
    dilation = _positive(_pair(dilation, "dilation", op), "dilation", op)
    ph, pw = _pair(padding, "padding", op)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))  # the dilated kernel
    if ph < 0 or pw < 0 or 2 * ph > span[0] or 2 * pw > span[1]:
        raise ValueError(f"{op}: padding {(ph, pw)} must be between 0 and half the kernel size {span}")
    return kernel, stride, ((ph, ph), (pw, pw)), dilation


def _ceil_pads(hw: tuple, pads: tuple, kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    """The padding that makes the window count PyTorch's ceil_mode count: windows may hang over
    the bottom/right edge (extra padding there), but each must start inside the input or its
    left/top padding."""
    out = []
    for n, (p0, p1), k, s, d in zip(hw, pads, kernel, stride, dilation):
        size = n + p0 + p1
        count = -(-(size - d * (k - 1) - 1) // s) + 1  # ceil
        if (count - 1) * s >= n + p0:
            count -= 1
        out.append((p0, p1 + max(0, (count - 1) * s + d * (k - 1) + 1 - size)))
    return tuple(out)


# ***** max *****


class MaxPool2dFunction(Function):
    """y[n, c, i, j] = max_{p,q} xpad[n, c, i*sh + p, j*sw + q], with xpad padded by -inf"""

    # backward(create_graph=True) differentiates the max over the stacked windows (an amax,
    # whose gradient goes to the same winner when the maximum is unique)
    double_backward = "composed"

    def __init__(self, kernel: tuple, stride: tuple, pads: tuple, dilation: tuple = (1, 1)):
        self.kernel, self.stride, self.pads, self.dilation = kernel, stride, pads, dilation

    def composed(self, x):
        return _window_stack(x, self.pads, self.kernel, self.stride, self.dilation, fill=-math.inf).amax(2)

    def forward(self, x):
        xp = self.xp
        self.cache = _scratch.current()  # the layer's buffers, if a pooling layer called us
        xpad = _pad(xp, x, self.pads, fill=-math.inf, cache=self.cache)
        out_hw = _out_shape("max_pool2d", x.shape[2:], self.pads, self.kernel, self.stride, self.dilation)
        # idx: which offset won each window (uint8 is enough for kernels up to 16x16)
        idx_type = xp.uint8 if self.kernel[0] * self.kernel[1] <= 256 else xp.int32
        y = idx = None
        for k, where in _offsets(self.kernel, self.stride, self.dilation, out_hw):
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
        span = [d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation)]  # the dilated kernel
        overlap = self.stride[0] < span[0] or self.stride[1] < span[1]
        for k, where in _offsets(self.kernel, self.stride, self.dilation, self.out_hw):
            # each window's winner gets gy (keep_where: where(), but several times faster)
            if overlap:
                gxpad[where] += keep_where(xp, self.idx == k, gy)
            else:  # each pixel is in at most one window: write, don't add
                keep_where(xp, self.idx == k, gy, out=gxpad[where])
        return _crop(gxpad, self.pads, (h, w))


@_unbatched
def max_pool2d(x: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """Max over kernel_size windows, same arguments as torch.nn.functional.max_pool2d (stride
    defaults to kernel_size; padding counts as -inf; `ceil_mode` lets the last window hang over
    the edge). When several elements tie for the maximum, the first one (row-major) gets the
    gradient. `return_indices=True` returns (y, indices) as PyTorch does: each winner's flat
    index row * W + col in its (H, W) plane, the form `F.max_unpool2d` takes.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.arange(16.0).reshape(1, 1, 4, 4)
    >>> F.max_pool2d(x, 2)[0, 0]
    tensor([[ 5.,  7.],
            [13., 15.]])
    >>> F.max_pool2d(x, 3, stride=2, ceil_mode=True)[0, 0]
    tensor([[10., 11.],
            [14., 15.]])
    """
    op = "max_pool2d"
    _check_input(x, op)
    kernel, stride, pads, dilation = _pool_args(op, kernel_size, stride, padding, dilation)
    if ceil_mode:
        pads = _ceil_pads(x.shape[2:], pads, kernel, stride, dilation)
    _out_shape(op, x.shape[2:], pads, kernel, stride, dilation)  # raises on a non-positive size
    fn = MaxPool2dFunction(kernel, stride, pads, dilation)
    y = fn(x)
    return (y, _flat_indices(fn, x.shape[3])) if return_indices else y


def _flat_indices(fn: MaxPool2dFunction, width: int) -> Tensor:
    """PyTorch's indices of the winners: row * W + col in the unpadded (H, W) plane of each
    (n, c), from the kernel offset k = p * kw + q that won each window (fn.idx)."""
    xp, (kh, kw), (sh, sw), (dh, dw) = fn.xp, fn.kernel, fn.stride, fn.dilation
    k = fn.idx.astype(xp.int64)
    oh, ow = fn.out_hw
    rows = xp.arange(oh, dtype=xp.int64)[:, None] * sh + (k // kw) * dh - fn.pads[0][0]
    cols = xp.arange(ow, dtype=xp.int64) * sw + (k % kw) * dw - fn.pads[1][0]
    return Tensor._from_data(xp.ascontiguousarray(rows * width + cols))


# ***** average *****


class AvgPool2dFunction(Function):
    """y[n, c, i, j] = mean_{p,q} xpad[n, c, i*sh + p, j*sw + q], padding counted as zeros
    (PyTorch's count_include_pad=True)"""

    double_backward = "linear"  # a linear map: its backward's backward is itself (Transposed)

    def __init__(self, kernel: tuple, stride: tuple, pads: tuple, divisor=None):
        self.kernel, self.stride, self.pads = kernel, stride, pads
        self.divisor = divisor or kernel[0] * kernel[1]

    def forward(self, x):
        xp = self.xp
        xpad = _pad(xp, x, self.pads)
        out_hw = _out_shape("avg_pool2d", x.shape[2:], self.pads, self.kernel, self.stride, (1, 1))
        y = _chwn(xp, (*x.shape[:2], *out_hw), x.dtype)
        for _, where in _offsets(self.kernel, self.stride, (1, 1), out_hw):
            y += xpad[where]
        y *= 1.0 / self.divisor  # a Python float keeps float32 float32
        self.x_shape, self.out_hw = x.shape, out_hw
        return y

    def backward(self, gy):
        (pt, pb), (pl, pr) = self.pads
        n, c, h, w = self.x_shape
        gxpad = _chwn(self.xp, (n, c, h + pt + pb, w + pl + pr), gy.dtype)
        g = gy * (1.0 / self.divisor)  # every pixel of a window gets gy / k
        for _, where in _offsets(self.kernel, self.stride, (1, 1), self.out_hw):
            gxpad[where] += g
        return _crop(gxpad, self.pads, (h, w))


@_unbatched
def avg_pool2d(x: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over kernel_size windows, same arguments as torch.nn.functional.avg_pool2d
    (padding zeros count in the mean, as with PyTorch's default count_include_pad=True;
    `divisor_override` replaces kh * kw). `ceil_mode=True` and `count_include_pad=False` are
    accepted where they change nothing (ceil_mode when the windows tile the input exactly,
    count_include_pad without padding) and raise NotImplementedError where they would.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.arange(16.0).reshape(1, 1, 4, 4)
    >>> F.avg_pool2d(x, 2)[0, 0]
    tensor([[ 2.5,  4.5],
            [10.5, 12.5]])
    """
    op = "avg_pool2d"
    _check_input(x, op)
    kernel, stride, pads, _ = _pool_args(op, kernel_size, stride, padding)
    if ceil_mode and _ceil_pads(x.shape[2:], pads, kernel, stride, (1, 1)) != pads:
        raise NotImplementedError(f"{op}: ceil_mode=True is not supported where it adds windows "
                                  f"(input {x.shape}, kernel {kernel}, stride {stride}, padding {padding})")
    if not count_include_pad and pads != ((0, 0), (0, 0)):
        raise NotImplementedError(f"{op}: count_include_pad=False is not supported with padding {padding}")
    if divisor_override is not None and (isinstance(divisor_override, bool) or int(divisor_override) <= 0):
        raise ValueError(f"{op}: divisor_override must be a positive int, got {divisor_override!r}")
    _out_shape(op, x.shape[2:], pads, kernel, stride, (1, 1))  # raises on a non-positive size
    return AvgPool2dFunction(kernel, stride, pads, divisor_override)(x)


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


@_unbatched
def adaptive_max_pool2d(x: Tensor, output_size, return_indices: bool = False) -> Tensor:
    """Max over OH x OW bins that cover the input, as torch.nn.functional.adaptive_max_pool2d,
    where the bins are equal (the input size a multiple of the output size; `output_size=1`,
    global max pooling, always is): then it is max_pool2d with kernel = stride = input / output
    (`return_indices` too). Unequal bins raise NotImplementedError.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.adaptive_max_pool2d(minigrad.arange(16.0).reshape(1, 1, 4, 4), 1)[0, 0]
    tensor([[15.]])
    """
    op = "adaptive_max_pool2d"
    _check_input(x, op)
    if isinstance(output_size, (tuple, list)):  # None keeps that input size, as in PyTorch
        output_size = tuple(n if o is None else o for o, n in zip(output_size, x.shape[2:]))
    out_hw = _positive(_pair(output_size, "output_size", op), "output_size", op)
    if any(n % o for n, o in zip(x.shape[2:], out_hw)):
        raise NotImplementedError(f"{op}: input size {x.shape[2:]} is not a multiple of output_size {out_hw} "
                                  "(unequal bins are not supported)")
    kernel = tuple(n // o for n, o in zip(x.shape[2:], out_hw))
    return max_pool2d(x, kernel, kernel, return_indices=return_indices)


# ***** Modules *****


class _Pool2d(Module):
    """Shared by MaxPool2d and AvgPool2d: the window arguments, checked at construction;
    `forward` calls the subclass's functional op, `_op`, with them and the op's own options."""

    _op = None

    def __init__(self, kernel_size, stride=None, padding=0, **options):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size
        self._options = options
        _pool_args(type(self).__name__, kernel_size, stride, padding, options.get("dilation", 1))  # validate now
        self._buffer_cache = _scratch.shared()  # work arrays reused across steps (_scratch.py)

    def forward(self, x: Tensor) -> Tensor:
        with self._buffer_cache.active():
            return self._op(x, self.kernel_size, self.stride, self.padding, **self._options)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max pooling; same arguments and repr as torch.nn.MaxPool2d. stride defaults to
    kernel_size; `return_indices=True` returns (y, indices) for `nn.MaxUnpool2d`.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.MaxPool2d(2)(minigrad.randn(1, 3, 28, 28)).shape
    (1, 3, 14, 14)
    >>> nn.MaxPool2d(3, stride=2, ceil_mode=True)(minigrad.randn(1, 3, 28, 28)).shape
    (1, 3, 14, 14)
    """

    _op = staticmethod(max_pool2d)

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False):
        super().__init__(kernel_size, stride, padding, dilation=dilation, ceil_mode=ceil_mode,
                         return_indices=return_indices)
        self.dilation, self.ceil_mode, self.return_indices = dilation, ceil_mode, return_indices

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, dilation={self.dilation}, ceil_mode={self.ceil_mode}"


class AvgPool2d(_Pool2d):
    """Average pooling; same arguments as torch.nn.AvgPool2d (ceil_mode and
    count_include_pad=False only where they change nothing, see `F.avg_pool2d`).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.AvgPool2d(3, stride=2, padding=1)(minigrad.randn(1, 3, 28, 28)).shape
    (1, 3, 14, 14)
    """

    _op = staticmethod(avg_pool2d)

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode=ceil_mode,
                         count_include_pad=count_include_pad, divisor_override=divisor_override)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override


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

class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output size; same as torch.nn.AdaptiveMaxPool2d where the input
    size is a multiple of the output size (see `F.adaptive_max_pool2d`).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.AdaptiveMaxPool2d(1)(minigrad.randn(4, 16, 7, 7)).shape
    (4, 16, 1, 1)
    """

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices
        self._buffer_cache = _scratch.shared()  # work arrays reused across steps (_scratch.py)

    def forward(self, x: Tensor) -> Tensor:
        with self._buffer_cache.active():
            return adaptive_max_pool2d(x, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


# ***** 1-d pooling: the 2-d ops on a height of 1 *****


def _as_2d(fn, op: str, x: Tensor, *args, **kwargs) -> Tensor:
    """fn (a 2-d pooling op) on (N, C, L) or (C, L) input, viewed as (N, C, 1, L)."""
    if not isinstance(x, Tensor) or x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected a 3-d input (N, C, L) or a 2-d unbatched (C, L), got shape "
                         f"{getattr(x, 'shape', type(x).__name__)}")
    y = fn(x.unsqueeze(-2), *args, **kwargs)
    return tuple(t.squeeze(-2) for t in y) if isinstance(y, tuple) else y.squeeze(-2)


def _one(value, name: str, op: str):
    """An int or a 1-tuple as the 2-d ops' (1, value); None stays None."""
    return None if value is None else (1, _single(value, name, op))


def max_pool1d(x: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """Max over windows of the last dim, same arguments as torch.nn.functional.max_pool1d.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.max_pool1d(minigrad.tensor([[[1.0, 3.0, 2.0, 5.0]]]), 2)
    tensor([[[3., 5.]]])
    """
    op = "max_pool1d"
    k, s, p, d = (_one(v, n, op) for v, n in ((kernel_size, "kernel_size"), (stride, "stride"),
                                                (padding, "padding"), (dilation, "dilation")))
    return _as_2d(max_pool2d, op, x, k, s if s is not None else k, (0, p[1]), d, ceil_mode, return_indices)


def avg_pool1d(x: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over windows of the last dim, same arguments as torch.nn.functional.avg_pool1d.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.avg_pool1d(minigrad.tensor([[[1.0, 3.0, 2.0, 6.0]]]), 2)
    tensor([[[2., 4.]]])
    """
    op = "avg_pool1d"
    k, s, p = (_one(v, n, op) for v, n in ((kernel_size, "kernel_size"), (stride, "stride"), (padding, "padding")))
    return _as_2d(avg_pool2d, op, x, k, s if s is not None else k, (0, p[1]), ceil_mode, count_include_pad)


class MaxPool1d(Module):
    """Max pooling over the last dim; same arguments and repr as torch.nn.MaxPool1d.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.MaxPool1d(2)(minigrad.randn(2, 3, 10)).shape
    (2, 3, 5)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False):
        super().__init__()
        self.kernel_size, self.padding, self.dilation, self.ceil_mode = kernel_size, padding, dilation, ceil_mode
        self.return_indices = return_indices
        self.stride = stride if stride is not None else kernel_size
        self._buffer_cache = _scratch.shared()  # work arrays reused across steps (_scratch.py)

    def forward(self, x: Tensor) -> Tensor:
        with self._buffer_cache.active():
            return max_pool1d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                              self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool1d(Module):
    """Average pooling over the last dim; same arguments and repr as torch.nn.AvgPool1d.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.AvgPool1d(3, stride=2)(minigrad.randn(2, 3, 11)).shape
    (2, 3, 5)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        super().__init__()
        op = "AvgPool1d"
        self.kernel_size = (_single(kernel_size, "kernel_size", op),)
        self.stride = (_single(stride, "stride", op),) if stride is not None else self.kernel_size
        self.padding = (_single(padding, "padding", op),)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, x: Tensor) -> Tensor:
        return avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _check_1d(x, op: str) -> None:
    if not isinstance(x, Tensor) or x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected a 3-d input (N, C, L) or a 2-d unbatched (C, L), got shape "
                         f"{getattr(x, 'shape', type(x).__name__)}")


def _output_1d(output_size, op: str) -> int:
    out = _single(output_size, "output_size", op)
    if out < 1:
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return out


def adaptive_avg_pool1d(x: Tensor, output_size) -> Tensor:
    """Average over `output_size` nearly equal bins of the last dim (the bins of
    torch.nn.functional.adaptive_avg_pool1d).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.adaptive_avg_pool1d(minigrad.tensor([[[1.0, 2.0, 3.0, 4.0]]]), 2)
    tensor([[[1.5, 3.5]]])
    """
    op = "adaptive_avg_pool1d"
    _check_1d(x, op)
    return _as_2d(adaptive_avg_pool2d, op, x, (1, _output_1d(output_size, op)))


def adaptive_max_pool1d(x: Tensor, output_size, return_indices: bool = False):
    """Max over `output_size` bins of the last dim, as torch.nn.functional.adaptive_max_pool1d
    (any sizes: the bins may be unequal or overlap). With `return_indices=True`, also each
    winner's index along the last dim. A tie sends the gradient to the first maximum.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.adaptive_max_pool1d(minigrad.tensor([[[1.0, 5.0, 3.0, 2.0, 4.0]]]), 3)
    tensor([[[5., 5., 4.]]])
    """
    op = "adaptive_max_pool1d"
    _check_1d(x, op)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got {x.dtype}")
    bins = _adaptive_bins(x.shape[-1], _output_1d(output_size, op))
    # one max per bin (the bins are few: one per output); max(dim) routes the gradient to
    # the index it picks, as PyTorch does
    picks = [x[..., a:b].max(dim=-1, keepdim=True) for a, b in bins]
    y = ops.cat([v for v, _ in picks], dim=-1)
    if not return_indices:
        return y
    return y, ops.cat([i + a for (_, i), (a, _) in zip(picks, bins)], dim=-1)


# ***** max unpooling: the inverse of max_pool2d with return_indices *****


def _unpool_size(op: str, x: Tensor, kernel: tuple, stride: tuple, padding: tuple, output_size) -> tuple:
    """PyTorch's output size: (H - 1) * s - 2 p + k per dim, or `output_size` (its last two
    entries) if given, which must lie within one stride of that."""
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(x.shape[-2:], stride, padding, kernel))
    if output_size is None:
        return default
    size = tuple(int(v) for v in output_size)[-2:]
    if len(size) != 2:
        raise ValueError(f"{op}: output_size must have 2 (or 4) elements, got {output_size!r}")
    for d, (o, n, s) in enumerate(zip(size, default, stride)):
        if not n - s <= o <= n + s:
            raise ValueError(f'{op}: invalid output_size "{tuple(output_size)}" (dim {d} must be between '
                             f"{n - s} and {n + s}) for input of shape {x.shape}")
    return size


def max_unpool2d(x: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Put each value of x at its index (flat, row * W + col, in its (N, C) plane, as
    `max_pool2d(..., return_indices=True)` returns them) of a zero (N, C, OH, OW) output.
    Same as torch.nn.functional.max_unpool2d; repeated indices keep one of their values.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> x = minigrad.tensor([[[[1.0, 4.0], [3.0, 2.0]]]])
    >>> y, i = F.max_pool2d(x, 2, return_indices=True)
    >>> F.max_unpool2d(y, i, 2)
    tensor([[[[0., 4.],
              [0., 0.]]]])
    """
    op = "max_unpool2d"
    if not isinstance(x, Tensor) or x.ndim not in (3, 4):
        raise ValueError(f"{op}: expected a 4-d input (N, C, H, W) or a 3-d (C, H, W), got shape "
                         f"{getattr(x, 'shape', type(x).__name__)}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got {x.dtype}")
    if not isinstance(indices, Tensor) or indices.dtype != "int64":
        raise TypeError(f"{op}: elements in indices should be type int64 but got "
                        f"{getattr(indices, 'dtype', type(indices).__name__)}")
    if indices.shape != x.shape:
        raise ValueError(f"{op}: expected shape of indices to be same as that of the input tensor ({x.shape}) "
                         f"but got indices tensor with shape: {indices.shape}")
    if indices.device != x.device:
        raise RuntimeError(f"{op}: input is on {x.device} but indices on {indices.device}")
    kernel = _positive(_pair(kernel_size, "kernel_size", op), "kernel_size", op)
    stride = _positive(_pair(stride if stride is not None else kernel, "stride", op), "stride", op)
    padding = _pair(padding, "padding", op)
    oh, ow = _unpool_size(op, x, kernel, stride, padding, output_size)
    lead, hw = x.shape[:-2], x.shape[-2] * x.shape[-1]
    flat_idx = indices.reshape(*lead, hw)  # no -1: a batch of 0 makes it ambiguous
    if flat_idx.numel() and (int(flat_idx.min().item()) < 0 or int(flat_idx.max().item()) >= oh * ow):
        bad = flat_idx.max().item() if int(flat_idx.max().item()) >= oh * ow else flat_idx.min().item()
        raise RuntimeError(f"{op}: Found an invalid max index: {int(bad)} (output volumes are of size {oh}x{ow})")
    out = zeros(*lead, oh * ow, dtype=x.dtype, device=x.device)
    return ops.scatter(out, -1, flat_idx, x.reshape(*lead, hw)).reshape(*lead, oh, ow)


# ***** power-average (LP) pooling *****


def _lp(out: Tensor, norm_type: float, window: int) -> Tensor:
    """(window * mean(x^p))^(1/p), written as PyTorch writes it (sign(out) * relu(|out|)), so
    that zeros and negative sums come out as in PyTorch."""
    return (out.sign() * out.abs().relu() * window) ** (1.0 / norm_type)


def lp_pool2d(x: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: (sum over each window of x^p)^(1/p); p = 1 is sum pooling, p = inf
    not supported. Same as torch.nn.functional.lp_pool2d (no padding).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.lp_pool2d(minigrad.full((1, 1, 2, 2), 3.0), 2, 2)
    tensor([[[[6.]]]])
    """
    kh, kw = _pair(kernel_size, "kernel_size", "lp_pool2d")
    out = avg_pool2d(x ** norm_type, (kh, kw), stride, 0, ceil_mode)
    return _lp(out, norm_type, kh * kw)


def lp_pool1d(x: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over the last dim; same as torch.nn.functional.lp_pool1d.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.lp_pool1d(minigrad.tensor([[[3.0, 4.0]]]), 2, 2)
    tensor([[[5.]]])
    """
    k = _single(kernel_size, "kernel_size", "lp_pool1d")
    out = avg_pool1d(x ** norm_type, k, stride, 0, ceil_mode)
    return _lp(out, norm_type, k)


class AdaptiveAvgPool1d(Module):
    """Average pooling of the last dim to a fixed size; same as torch.nn.AdaptiveAvgPool1d.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.AdaptiveAvgPool1d(4)(minigrad.randn(2, 3, 10)).shape
    (2, 3, 4)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return adaptive_avg_pool1d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(Module):
    """Max pooling of the last dim to a fixed size; same as torch.nn.AdaptiveMaxPool1d.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.AdaptiveMaxPool1d(4)(minigrad.randn(2, 3, 10)).shape
    (2, 3, 4)
    """

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x: Tensor) -> Tensor:
        return adaptive_max_pool1d(x, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class MaxUnpool2d(Module):
    """The partial inverse of MaxPool2d: each value goes back to where its maximum came from,
    every other pixel is 0. Same as torch.nn.MaxUnpool2d; forward(x, indices, output_size=None).

    >>> import minigrad
    >>> from minigrad import nn
    >>> pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    >>> unpool(*pool(minigrad.randn(1, 3, 4, 4))).shape
    (1, 3, 4, 4)
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        op = "MaxUnpool2d"
        self.kernel_size = _positive(_pair(kernel_size, "kernel_size", op), "kernel_size", op)
        self.stride = _positive(_pair(stride, "stride", op), "stride", op) if stride is not None else self.kernel_size
        self.padding = _pair(padding, "padding", op)

    def forward(self, x: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return max_unpool2d(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _LPPool(Module):
    _fn = None

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, x: Tensor) -> Tensor:
        return self._fn(x, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool2d(_LPPool):
    """Power-average pooling over windows of the last two dims; same as torch.nn.LPPool2d.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.LPPool2d(2, 3, stride=2)(minigrad.randn(1, 3, 7, 7)).shape
    (1, 3, 3, 3)
    """

    _fn = staticmethod(lp_pool2d)


class LPPool1d(_LPPool):
    """Power-average pooling over windows of the last dim; same as torch.nn.LPPool1d.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.LPPool1d(2, 3, stride=2)(minigrad.randn(1, 3, 7)).shape
    (1, 3, 3)
    """

    _fn = staticmethod(lp_pool1d)


# ***** 3-d pooling: composed from the 2-d ops, one pass over (H, W), one over D *****
# A box's max (or mean) is the max (mean) over D of the maxes (means) over (H, W): the window
# is a product of one window per dim, so each 3-d op is two calls of its 2-d op, the first on
# the depth slices (N, C*D, H, W), the second along D (N, C, D, OH*OW) with a (kd, 1) kernel.


def _triple(value, name: str, op: str) -> tuple:
    """3 -> (3, 3, 3); (1, 2, 3) -> (1, 2, 3)."""
    return _ntuple(value, 3, name, op)


def _pool3d_args(op: str, x, kernel_size, stride, padding, dilation=1) -> tuple:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(x).__name__}")
    if x.ndim not in (4, 5):
        raise ValueError(f"{op}: expected a 5-d input (N, C, D, H, W) or a 4-d unbatched (C, D, H, W), "
                         f"got shape {x.shape}")
    kernel = _positive(_triple(kernel_size, "kernel_size", op), "kernel_size", op)
    stride = kernel if stride is None or stride == () else _positive(_triple(stride, "stride", op), "stride", op)
    dilation = _positive(_triple(dilation, "dilation", op), "dilation", op)
    pad = _triple(padding, "padding", op)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))  # the dilated kernel
    if any(p < 0 or 2 * p > s for p, s in zip(pad, span)):
        raise ValueError(f"{op}: padding {pad} must be between 0 and half the kernel size {span}")
    return kernel, stride, pad, dilation


def _separable_3d(op2d, x: Tensor, hw_args: tuple, d_args: tuple, **options) -> Tensor:
    """op2d over (H, W) of each depth slice, then over D; x is (N, C, D, H, W) or (C, D, H, W)."""
    batched = x.ndim == 5
    if not batched:
        x = x.unsqueeze(0)
    N, C, D, H, W = x.shape
    y = op2d(x.reshape(N, C * D, H, W), *hw_args, **options)
    OH, OW = y.shape[-2:]
    y = op2d(y.reshape(N, C, D, OH * OW), *d_args, **options)
    y = y.reshape(N, C, y.shape[2], OH, OW)
    return y if batched else y.squeeze(0)


def max_pool3d(x: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """Max over kernel_size boxes of the last three dims of (N, C, D, H, W) or (C, D, H, W);
    same arguments as torch.nn.functional.max_pool3d (padding counts as -inf). Composed:
    max_pool2d over (H, W), then over D. `return_indices=True` raises NotImplementedError.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.max_pool3d(minigrad.arange(8.0).reshape(1, 1, 2, 2, 2), 2).reshape(-1)
    tensor([7.])
    """
    op = "max_pool3d"
    (kd, kh, kw), (sd, sh, sw), (pd, ph, pw), (dd, dh, dw) = _pool3d_args(op, x, kernel_size, stride, padding,
                                                                           dilation)
    if return_indices:
        raise NotImplementedError(f"{op}: return_indices=True is not supported")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got {x.dtype}")
    return _separable_3d(max_pool2d, x, ((kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil_mode),
                         ((kd, 1), (sd, 1), (pd, 0), (dd, 1), ceil_mode))


def avg_pool3d(x: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over kernel_size boxes of the last three dims of (N, C, D, H, W) or (C, D, H, W);
    same arguments as torch.nn.functional.avg_pool3d, with `F.avg_pool2d`'s limits
    (ceil_mode and count_include_pad=False only where they change nothing). Composed:
    avg_pool2d over (H, W), then over D.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.avg_pool3d(minigrad.arange(8.0).reshape(1, 1, 2, 2, 2), 2).reshape(-1)
    tensor([3.5])
    """
    op = "avg_pool3d"
    (kd, kh, kw), (sd, sh, sw), (pd, ph, pw), _ = _pool3d_args(op, x, kernel_size, stride, padding)
    dhw = x.shape[-3:]
    pads = ((pd, pd), (ph, ph), (pw, pw))
    if ceil_mode and _ceil_pads(dhw, pads, (kd, kh, kw), (sd, sh, sw), (1, 1, 1)) != pads:
        raise NotImplementedError(f"{op}: ceil_mode=True is not supported where it adds windows "
                                  f"(input {x.shape}, kernel {(kd, kh, kw)}, stride {(sd, sh, sw)}, padding {padding})")
    if not count_include_pad and (pd, ph, pw) != (0, 0, 0):
        raise NotImplementedError(f"{op}: count_include_pad=False is not supported with padding {padding}")
    if divisor_override is not None and (isinstance(divisor_override, bool) or int(divisor_override) <= 0):
        raise ValueError(f"{op}: divisor_override must be a positive int, got {divisor_override!r}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got {x.dtype}")
    y = _separable_3d(avg_pool2d, x, ((kh, kw), (sh, sw), (ph, pw)), ((kd, 1), (sd, 1), (pd, 0)))
    if divisor_override is not None:  # the box sum over the given divisor, not over kd*kh*kw
        y = y * (kd * kh * kw / int(divisor_override))
    return y


def adaptive_avg_pool3d(x: Tensor, output_size) -> Tensor:
    """Average over OD x OH x OW nearly equal bins of the last three dims (the bins of
    torch.nn.functional.adaptive_avg_pool3d; None keeps that size). Composed:
    adaptive_avg_pool2d over (H, W), then over D.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.adaptive_avg_pool3d(minigrad.ones(2, 3, 4, 5, 7), 1).shape
    (2, 3, 1, 1, 1)
    """
    op = "adaptive_avg_pool3d"
    _pool3d_args(op, x, 1, 1, 0)  # the rank check
    if isinstance(output_size, (tuple, list)):  # None keeps that input size, as in PyTorch
        output_size = tuple(n if o is None else o for o, n in zip(output_size, x.shape[-3:]))
    od, oh, ow = _positive(_triple(output_size, "output_size", op), "output_size", op)
    return _separable_3d(adaptive_avg_pool2d, x, ((oh, ow),), ((od, oh * ow),))  # the second pass keeps OH*OW


class MaxPool3d(Module):
    """Max pooling over the last three dims; same arguments and repr as torch.nn.MaxPool3d
    (`return_indices=True` raises NotImplementedError, see `F.max_pool3d`).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.MaxPool3d(2)(minigrad.randn(1, 3, 4, 6, 6)).shape
    (1, 3, 2, 3, 3)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False):
        super().__init__()
        if return_indices:
            raise NotImplementedError("MaxPool3d: return_indices=True is not supported")
        self.kernel_size, self.padding, self.dilation, self.ceil_mode = kernel_size, padding, dilation, ceil_mode
        self.stride = stride if stride is not None else kernel_size
        self.return_indices = return_indices

    def forward(self, x: Tensor) -> Tensor:
        return max_pool3d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool3d(Module):
    """Average pooling over the last three dims; same arguments and repr as torch.nn.AvgPool3d
    (ceil_mode and count_include_pad=False only where they change nothing, see `F.avg_pool3d`).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.AvgPool3d(3, stride=2, padding=1)(minigrad.randn(1, 3, 4, 6, 6)).shape
    (1, 3, 2, 3, 3)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return avg_pool3d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool3d(Module):
    """Average pooling of the last three dims to a fixed output size; same as
    torch.nn.AdaptiveAvgPool3d.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.AdaptiveAvgPool3d((1, 2, 2))(minigrad.randn(2, 3, 4, 5, 5)).shape
    (2, 3, 1, 2, 2)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return adaptive_avg_pool3d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
