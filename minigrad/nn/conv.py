"""2-D convolution: `Conv2dFunction` (im2col, or Winograd where it applies), `F.conv2d` and
`nn.Conv2d`; its transpose `ConvTranspose2dFunction`, `F.conv_transpose2d` and
`nn.ConvTranspose2d`; the 1-d layers (the 2-d ops on a height of 1); im2col and col2im as ops
(`F.unfold` / `F.fold`, `nn.Unfold` / `nn.Fold`); and the window helpers that pooling.py shares.

How the convolution works (im2col):

1. The input is zero-padded once and viewed through a strided *window view* of shape
   (N, C, OH, OW, kh, kw): `win[n, c, i, j, p, q] = x[n, c, i*sh + p*dh, j*sw + q*dw]`. The view
   copies nothing and is read-only.
2. One reshape turns the view into the column matrix `col` of shape (C*kh*kw, N*OH*OW): each
   column holds one receptive field. This is the only large buffer, allocated once per call.
3. One matrix product with the weight, viewed as (C_out, C*kh*kw), gives every output pixel of
   the whole batch at once: BLAS does the work.

The backward pass is the same three steps run backwards: `gW = gy @ col.T`,
`gcol = W.T @ gy`, and col2im adds each column entry back onto the input pixel it was copied
from, one kernel offset (p, q) at a time (a strided slice `+=`, no `np.add.at`). (Making gcol
one offset at a time, W[:, :, p, q]^T gy, saves its memory but measured no faster at one thread
and 2x slower at two: nine small products instead of one large one.)

On the CPU, 3x3 stride-1 convolutions with at least 8 input channels (most layers of a CNN)
take another route to the same map, Winograd's F(2x2, 3x3), with 2.25x fewer multiplications:
see winograd.py. The two agree to rounding; tests check one against the other.

Large work arrays (columns, padded inputs, outputs, gradient buffers) come from the layers'
shared buffer cache (_scratch.py), so that a training step does not page-fault them in again.

NOTE on memory layout: the columns are ordered (i, j, n), batch innermost, so the product
`W @ col` comes out as (C_out, OH, OW, N) in memory ("CHWN"). We return it as an
(N, C_out, OH, OW) *view* instead of copying it back to NCHW, and allocate our own buffers
(padded inputs, input gradients, pooling results) CHWN too. Elementwise NumPy ops keep that
layout, BatchNorm's per-channel sums read contiguous rows, and the next convolution's im2col
and backward reshape find the data where they want it. WHY batch innermost: every copy that
im2col, col2im and pooling make moves a whole image row of the batch, OW * N contiguous
numbers, per inner loop instead of OW; with NumPy's per-loop overhead that made them 1.5-4x
faster than with (C, N, H, W). Shapes and values are the same as in PyTorch; only `.strides`
differ.

Cross-correlation, as in PyTorch: the kernel is not flipped.

Sections: argument helpers | window views | convolution | transposed convolution | 1-d | unfold / fold
"""

from __future__ import annotations

import functools

from .. import _scratch, ops
from ..autograd import Function
from ..dtypes import check_same_dtype, float_or_default
from ..tensor import Tensor
from . import init, winograd
from ..creation import zeros
from ..ops.shape import pad
from .module import Module, Parameter

# ***** argument helpers *****


def _ntuple(value, n: int, name: str, op: str) -> tuple:
    """An int or n ints as an n-tuple: 3 -> (3, 3) for n = 2; (3, 5) -> (3, 5)."""
    what = {2: "a pair", 3: "a triple"}[n]
    if isinstance(value, int):
        value = (value,) * n
    try:
        value = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int or {what} of ints, got {value!r}") from None
    if len(value) != n:
        raise ValueError(f"{op}: {name} must be an int or {what} of ints, got {value!r}")
    return value


def _pair(value, name: str, op: str) -> tuple:
    """3 -> (3, 3); (3, 5) -> (3, 5)."""
    return _ntuple(value, 2, name, op)


def _positive(pair: tuple, name: str, op: str) -> tuple:
    if min(pair) < 1:
        raise ValueError(f"{op}: {name} must be positive, got {pair}")
    return pair


def _padding(padding, kernel: tuple, stride: tuple, dilation: tuple, op: str) -> tuple:
    """Padding as ((top, bottom), (left, right)). 'same' may be asymmetric: the extra row or
    column goes to the bottom/right, as in PyTorch."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"{op}: padding='same' needs stride 1 (as in PyTorch), got stride {stride}")
            totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in totals)
        raise ValueError(f"{op}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    ph, pw = _pair(padding, "padding", op)
    if min(ph, pw) < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {(ph, pw)}")
    return ((ph, ph), (pw, pw))


def _out_size(size: int, pad: tuple, k: int, s: int, d: int) -> int:
    """floor((size + pad - d*(k-1) - 1) / s) + 1, per axis."""
    return (size + pad[0] + pad[1] - d * (k - 1) - 1) // s + 1


def _out_shape(op: str, hw: tuple, pads: tuple, kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    out = tuple(_out_size(n, p, k, s, d) for n, p, k, s, d in zip(hw, pads, kernel, stride, dilation))
    if min(out) < 1:
        raise ValueError(
            f"{op}: output size would be {out} (not positive): input (H, W) = {hw}, padding "
            f"(top, bottom), (left, right) = {pads}, kernel {kernel}, stride {stride}, dilation "
            f"{dilation}. The kernel (dilated: {tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))}) "
            "must fit in the padded input."
        )
    return out


def _check_input(x: Tensor, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(
            f"{op}: expected a 4-d input (N, C, H, W) or a 3-d unbatched (C, H, W), got shape {x.shape}"
        )
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got {x.dtype}")


# ***** window views and the buffers around them *****


def _chwn(xp, shape: tuple, dtype, fill=0.0, cache=None):
    """An (N, C, H, W) array filled with `fill` (None: uninitialised), stored (C, H, W, N) in
    memory (see the module docstring for why). Large ones come from the layer's buffer cache
    when one is given (_scratch.py): a training step then does not page-fault them in anew."""
    n, c, h, w = shape
    buf = _scratch.empty(cache, xp, (c, h, w, n), dtype)
    if fill is not None:
        buf.fill(fill)
    return buf.transpose(3, 0, 1, 2)


def _as_chwn(xp, a, cache=None):
    """a (N, C, H, W) itself if it is stored CHWN, else a CHWN copy. WHY: a pass that mixes
    layouts (a CHWN mask with an NCHW gradient, as Flatten's backward returns it) runs several
    times slower than the copy costs."""
    if a.transpose(1, 2, 3, 0).flags.c_contiguous:
        return a
    out = _chwn(xp, a.shape, a.dtype, fill=None, cache=cache)
    out[...] = a
    return out


def _pad(xp, x, pads: tuple, fill=0.0, cache=None):
    """x padded with `fill` on H and W (a new CHWN array), or x itself if no padding."""
    (pt, pb), (pl, pr) = pads
    if pt == pb == pl == pr == 0:
        return x
    n, c, h, w = x.shape
    out = _chwn(xp, (n, c, h + pt + pb, w + pl + pr), x.dtype, fill, cache)
    out[:, :, pt : pt + h, pl : pl + w] = x
    return out


def _windows(xp, x, kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple):
    """A read-only view win (N, C, OH, OW, kh, kw) with win[n, c, i, j, p, q] =
    x[n, c, i*sh + p*dh, j*sw + q*dw]. Built from x's real strides, so any layout works."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    tricks = xp.lib.stride_tricks
    if hasattr(tricks, "sliding_window_view"):  # NumPy >= 1.20, CuPy >= 13: safe, read-only
        span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
        win = tricks.sliding_window_view(x, span, axis=(2, 3))
        return win[:, :, : sh * (oh - 1) + 1 : sh, : sw * (ow - 1) + 1 : sw, ::dh, ::dw]
    sn, sc, sy, sx = x.strides
    shape, strides = (*x.shape[:2], oh, ow, kh, kw), (sn, sc, sy * sh, sx * sw, sy * dh, sx * dw)
    try:  # NOTE: overlapping windows share memory, so the view must never be written to
        return tricks.as_strided(x, shape, strides, writeable=False)
    except TypeError:  # CuPy's as_strided has no `writeable`
        return tricks.as_strided(x, shape, strides)


def _offsets(kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple):
    """For each kernel offset (p, q): its index p*kw + q and the slices of the (padded) input
    that the offset touches, one pixel per output position."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    for p in range(kh):
        for q in range(kw):
            rows = slice(p * dh, p * dh + sh * (oh - 1) + 1, sh)
            cols = slice(q * dw, q * dw + sw * (ow - 1) + 1, sw)
            yield p * kw + q, (slice(None), slice(None), rows, cols)


def _crop(gxpad, pads: tuple, hw: tuple):
    """The part of a padded gradient that belongs to the unpadded input (shape = x's shape)."""
    (pt, _), (pl, _) = pads
    return gxpad[:, :, pt : pt + hw[0], pl : pl + hw[1]]


def col2im(xp, gcol, x_shape: tuple, pads: tuple, kernel: tuple, stride: tuple, dilation: tuple,
           cache=None):
    """The adjoint of im2col: add every entry of gcol (C, kh, kw, OH, OW, N) back onto the input
    pixel it was read from, and return an array of shape x_shape = (N, C, H, W).

    Within one kernel offset (p, q) distinct output positions read distinct pixels, so a strided
    slice `+=` is exact; pixels shared by overlapping windows accumulate over the offsets.
    Pixels no window reads (when the stride does not tile the input) get 0.
    `col2im(im2col(x)) = x * (number of windows that cover each pixel)`.
    """
    n, c, h, w = x_shape
    (pt, pb), (pl, pr) = pads
    gxpad = _chwn(xp, (n, c, h + pt + pb, w + pl + pr), gcol.dtype, cache=cache)
    for k, where in _offsets(kernel, stride, dilation, gcol.shape[3:5]):
        gxpad[where] += gcol[:, k // kernel[1], k % kernel[1]].transpose(3, 0, 1, 2)
    return _crop(gxpad, pads, (h, w))


def im2col(xp, x, pads: tuple, kernel: tuple, stride: tuple, dilation: tuple, cache=None):
    """The column matrix of x (N, C, H, W) as an array (C, kh, kw, OH, OW, N): one copy of the
    padded input's window view, rows ordered like the weight's (c, p, q)."""
    xpad = _pad(xp, x, pads, cache=cache)
    out_hw = _out_shape("im2col", x.shape[2:], pads, kernel, stride, dilation)
    win = _windows(xp, xpad, kernel, stride, dilation, out_hw)
    col = _scratch.empty(cache, xp, (x.shape[1], *kernel, *out_hw, x.shape[0]), x.dtype)
    col[...] = win.transpose(1, 4, 5, 2, 3, 0)
    return col


# ***** convolution *****


class Conv2dFunction(Function):
    """y[n, o, i, j] = b[o] + sum_{c,p,q} W[o, c, p, q] * xpad[n, g(o)*C_g + c, i*sh + p*dh, j*sw + q*dw]
    (cross-correlation; g(o) is the group of output channel o)"""

    # backward(create_graph=True) differentiates conv2d_simple, the same map from primitive ops
    double_backward = "composed"

    def __init__(self, stride: tuple, pads: tuple, dilation: tuple, groups: int):
        self.stride, self.pads, self.dilation, self.groups = stride, pads, dilation, groups

    def composed(self, x, W, b=None):
        return conv2d_simple(x, W, b, self.stride, self.pads, self.dilation, self.groups)

    def forward(self, x, W, b=None):
        self.x_shape, self.kernel = x.shape, W.shape[2:]
        self.cache = _scratch.current()  # the layer's buffers, if a Conv2d layer called us
        # two algorithms, the same map: Winograd where it applies (3x3, stride 1), else im2col
        self.winograd = x.shape[0] > 0 and winograd.applies(self.xp, self.kernel, self.stride, self.dilation,
                                                            self.groups, x.shape[1])
        y = self._winograd_forward(x, W) if self.winograd else self._im2col_forward(x, W)
        if b is not None:
            y += b[:, None, None, None]
        return y.transpose(3, 0, 1, 2)  # (N, C_out, OH, OW), CHWN in memory

    def backward(self, gy):
        gx, gW = self._winograd_backward(gy) if self.winograd else self._im2col_backward(gy)
        gb = None
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            gb = gy.sum(axis=(0, 2, 3))  # each b[o] is added to every output pixel of channel o
        return gx, gW, gb

    def _im2col_forward(self, x, W):
        """y (C_out, OH, OW, N) = W @ col."""
        xp, g, n, c_out = self.xp, self.groups, x.shape[0], W.shape[0]
        # 1-2: im2col, rows (c, p, q) split per group, columns (i, j, n): the batch folds in.
        col6 = im2col(xp, x, self.pads, self.kernel, self.stride, self.dilation, self.cache)
        oh, ow = col6.shape[3:5]
        col = col6.reshape(g, W[0].size, oh * ow * n)  # sizes spelled out: -1 is ambiguous when n == 0
        # 3: one (batched over groups) matrix product: (g, C_out/g, K) @ (g, K, M)
        y = _scratch.matmul(self.cache, xp, W.reshape(g, c_out // g, -1), col)
        # save only what backward needs: col for gW, W for gx
        self.col = col if self.needs_input_grad[1] else None
        self.W = W if self.needs_input_grad[0] else None
        return y.reshape(c_out, oh, ow, n)

    def _im2col_backward(self, gy):
        g = self.groups
        n, c_out, oh, ow = gy.shape
        # (N, C_out, OH, OW) -> (g, C_out/g, OH*OW*N): free when gy is CHWN
        gy_m = gy.transpose(1, 2, 3, 0).reshape(g, c_out // g, oh * ow * n)
        gx = gW = None
        if self.needs_input_grad[0]:
            Wt = self.W.reshape(g, c_out // g, -1).transpose(0, 2, 1)
            gcol = _scratch.matmul(self.cache, self.xp, Wt, gy_m)  # dL/dcol = W^T gy
            gcol = gcol.reshape(self.x_shape[1], *self.kernel, oh, ow, n)
            gx = col2im(self.xp, gcol, self.x_shape, self.pads, self.kernel, self.stride, self.dilation,
                        self.cache)
        if self.needs_input_grad[1]:
            gW = (gy_m @ self.col.transpose(0, 2, 1)).reshape(c_out, -1, *self.kernel)  # gy col^T
        return gx, gW

    def _winograd_forward(self, x, W):
        """y (C_out, OH, OW, N) by winograd.py. Its 2x2 output tiles need an even output size:
        an odd one gets one more row (column) of padding, and the extra output is dropped."""
        xp, (pt, pb), (pl, pr) = self.xp, *self.pads
        n, c, h, w = x.shape
        self.out_hw = oh, ow = h + pt + pb - 2, w + pl + pr - 2
        self.tile_pads = ((pt, pb + oh % 2), (pl, pr + ow % 2))
        xpad = _as_chwn(xp, _pad(xp, x, self.tile_pads, cache=self.cache), self.cache)
        U = winograd.kernel_transform(xp, W)
        y, V = winograd.forward(xp, xpad.transpose(1, 2, 3, 0), U, self.cache)
        self.U = U if self.needs_input_grad[0] else None  # save only what backward needs
        self.V = V if self.needs_input_grad[1] else None
        return y[:, :oh, :ow]

    def _winograd_backward(self, gy):
        xp, (pt, pb), (pl, pr) = self.xp, *self.tile_pads
        n, c, h, w = self.x_shape
        oh, ow = self.out_hw
        if oh % 2 or ow % 2:  # the dropped outputs get gradient 0
            gyc = _chwn(xp, (n, gy.shape[1], oh + oh % 2, ow + ow % 2), gy.dtype, cache=self.cache)
            gyc[:, :, :oh, :ow] = gy
        else:
            gyc = _as_chwn(xp, gy, self.cache)
        padded = (c, h + pt + pb, w + pl + pr, n)
        gxpad, gW = winograd.backward(xp, gyc.transpose(1, 2, 3, 0), self.U, self.V, padded, self.cache,
                                      need_x=self.needs_input_grad[0], need_w=self.needs_input_grad[1])
        gx = None if gxpad is None else _crop(gxpad.transpose(3, 0, 1, 2), self.tile_pads, (h, w))
        return gx, gW


def _window_stack(x: Tensor, pads: tuple, kernel: tuple, stride: tuple, dilation: tuple, fill=0.0):
    """The kh*kw strided views of x padded with `fill`, stacked on a new dim 2:
    (N, C, kh*kw, OH, OW), from differentiable ops (pad, slicing, stack)."""
    (pt, pb), (pl, pr) = pads
    xpad = ops.pad(x, (pl, pr, pt, pb), value=fill) if pt or pb or pl or pr else x
    oh, ow = _out_shape("conv2d", x.shape[2:], pads, kernel, stride, dilation)
    (sh, sw), (dh, dw) = stride, dilation
    views = [xpad[:, :, p * dh: p * dh + sh * (oh - 1) + 1: sh, q * dw: q * dw + sw * (ow - 1) + 1: sw]
             for p in range(kernel[0]) for q in range(kernel[1])]
    return ops.stack(views, dim=2)


def conv2d_simple(x: Tensor, W: Tensor, b: Tensor | None, stride: tuple, pads: tuple, dilation: tuple,
                  groups: int) -> Tensor:
    """`Conv2dFunction` composed from primitive ops (pads as ((top, bottom), (left, right))):
    what backward(create_graph=True) differentiates, and a test oracle."""
    n, c = x.shape[:2]
    c_out, _, kh, kw = W.shape
    cols = _window_stack(x, pads, (kh, kw), stride, dilation)  # (N, C, K, OH, OW)
    oh, ow = cols.shape[3:]
    cols = cols.reshape(n, groups, (c // groups) * kh * kw, oh * ow)  # rows (c, p, q) per group
    y = W.reshape(groups, c_out // groups, -1) @ cols  # (N, g, C_out/g, OH*OW)
    y = y.reshape(n, c_out, oh, ow)
    return y if b is None else y + b.reshape(1, c_out, 1, 1)


def _unbatched(fn):
    """Let a 4-d op accept a 3-d (C, H, W) input, as PyTorch's do (an op that returns a tuple,
    such as max_pool2d with return_indices, has each of its outputs squeezed)."""

    @functools.wraps(fn)
    def wrapper(x, *args, **kwargs):
        if isinstance(x, Tensor) and x.ndim == 3:
            y = fn(x.unsqueeze(0), *args, **kwargs)
            return tuple(t.squeeze(0) for t in y) if isinstance(y, tuple) else y.squeeze(0)
        return fn(x, *args, **kwargs)

    return wrapper


@_unbatched
def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D cross-correlation, same arguments as torch.nn.functional.conv2d.

    Args:
        x: (N, C_in, H, W), or (C_in, H, W) unbatched.
        weight: (C_out, C_in / groups, kh, kw).
        bias: (C_out,) or None.
        stride, dilation: an int or a pair (sh, sw).
        padding: an int, a pair, 'valid' (no padding) or 'same' (output size = input size;
            stride 1 only).
        groups: split the channels into this many independent convolutions.

    Returns (N, C_out, OH, OW) with OH = floor((H + 2*ph - dh*(kh-1) - 1) / sh) + 1.

    Example:
        >>> import minigrad
        >>> import minigrad.nn.functional as F
        >>> x = minigrad.ones(1, 1, 4, 4)
        >>> w = minigrad.ones(1, 1, 3, 3)
        >>> F.conv2d(x, w, padding=1)[0, 0]
        tensor([[4., 6., 6., 4.],
                [6., 9., 9., 6.],
                [6., 9., 9., 6.],
                [4., 6., 6., 4.]])
    """
    op = "conv2d"
    _check_input(x, op)
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        raise ValueError(f"{op}: weight must be a 4-d Tensor (C_out, C_in/groups, kh, kw), got "
                         f"{getattr(weight, 'shape', type(weight).__name__)}")
    groups = int(groups)
    c_out, c_per_group, kh, kw = weight.shape
    if groups < 1 or c_out % groups:
        raise ValueError(f"{op}: groups={groups} must be positive and divide the {c_out} output channels")
    if x.shape[1] != c_per_group * groups:
        raise ValueError(
            f"{op}: expected input with {c_per_group * groups} channels (weight {weight.shape}, "
            f"groups={groups}), got input of shape {x.shape} with {x.shape[1]} channels"
        )
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ValueError(f"{op}: bias must have shape ({c_out},) for weight {weight.shape}, got {bias.shape}")
    check_same_dtype(op, x, weight=weight, bias=bias)
    stride = _positive(_pair(stride, "stride", op), "stride", op)
    dilation = _positive(_pair(dilation, "dilation", op), "dilation", op)
    pads = _padding(padding, (kh, kw), stride, dilation, op)
    _out_shape(op, x.shape[2:], pads, (kh, kw), stride, dilation)  # raises on a non-positive size
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2dFunction(stride, pads, dilation, groups)(*inputs)


def _layer_channels(layer, op: str, in_channels: int, out_channels: int, groups: int, padding_mode: str) -> None:
    """Check and set the channel arguments that every convolution layer takes."""
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"{op}: groups={groups} must divide in_channels={in_channels} and "
                         f"out_channels={out_channels}")
    modes = ("zeros",) if op.startswith("ConvTranspose") else ("zeros", "reflect", "replicate", "circular")
    if padding_mode not in modes:
        raise ValueError(f"{op}: padding_mode must be one of {modes}, got {padding_mode!r}")
    layer.in_channels, layer.out_channels, layer.groups = in_channels, out_channels, groups
    layer.padding_mode = padding_mode


def _pad_input(layer, x: Tensor):
    """(x, padding) for the convolution: with a padding_mode other than 'zeros' the input is
    padded first (F.pad with that mode, the last dims only) and the convolution itself pads
    nothing, as in PyTorch."""
    if layer.padding_mode == "zeros":
        return x, layer.padding
    one_d = len(layer.kernel_size) == 1  # Conv1d: the 2-d rules on a height of 1
    lift = (lambda t: (1, *t)) if one_d else (lambda t: t)
    padding = layer.padding if isinstance(layer.padding, str) else ((0, *layer.padding) if one_d else layer.padding)
    (top, bottom), (left, right) = _padding(padding, lift(layer.kernel_size), lift(layer.stride),
                                            lift(layer.dilation), type(layer).__name__)
    return pad(x, (left, right) if one_d else (left, right, top, bottom), mode=layer.padding_mode), 0


def _layer_repr(layer, **defaults) -> str:
    """PyTorch's repr of a convolution layer: channels, kernel_size and stride, then each other
    argument (in the order given) whose value is not one of its defaults, then bias=False."""
    s = f"{layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size}, stride={layer.stride}"
    for name, default in defaults.items():
        if getattr(layer, name) not in default:
            s += f", {name}={getattr(layer, name)}"
    s += "" if layer.bias is not None else ", bias=False"
    return s + ("" if layer.padding_mode == "zeros" else f", padding_mode={layer.padding_mode}")


class Conv2d(Module):
    """2-D convolution layer; same arguments, parameters and default init as torch.nn.Conv2d
    (padding_mode 'zeros', 'reflect', 'replicate' or 'circular').

    Shape: (N, C_in, H, W) -> (N, C_out, OH, OW); weight (C_out, C_in/groups, kh, kw), bias (C_out,).
    Init: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C_in/groups * kh * kw
    (PyTorch's kaiming_uniform_ with a=sqrt(5)).

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> conv = nn.Conv2d(1, 8, 3, padding=1, bias=False)
        >>> conv(minigrad.randn(2, 1, 28, 28)).shape
        (2, 8, 28, 28)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__()
        op = "Conv2d"
        _layer_channels(self, op, in_channels, out_channels, groups, padding_mode)
        self.kernel_size = _positive(_pair(kernel_size, "kernel_size", op), "kernel_size", op)
        self.stride = _positive(_pair(stride, "stride", op), "stride", op)
        self.dilation = _positive(_pair(dilation, "dilation", op), "dilation", op)
        _padding(padding, self.kernel_size, self.stride, self.dilation, op)  # validate now
        self.padding = padding if isinstance(padding, str) else _pair(padding, "padding", op)
        w_shape = (out_channels, in_channels // groups, *self.kernel_size)
        init._add_weight_and_bias(self, w_shape, bias, device, dtype)
        self._buffer_cache = _scratch.shared()  # work arrays reused across steps (_scratch.py)

    def reset_parameters(self) -> None:
        init._default_init(self.weight, self.bias)  # PyTorch's default

    def forward(self, x: Tensor) -> Tensor:
        x, padding = _pad_input(self, x)
        with self._buffer_cache.active():
            return conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        return _layer_repr(self, padding=((0, 0), "valid"), dilation=((1, 1),), groups=(1,))


# ***** transposed convolution *****


class ConvTranspose2dFunction(Function):
    """The transpose of Conv2dFunction's input-to-output map, for W (C_in, C_out/g, kh, kw):
    y = col2im(W^T x), each input pixel spreading W times its value over a kh x kw window of the
    output. Its backward is the convolution itself: dL/dx = conv2d(gy, W) (im2col of gy, then
    one product) and dL/dW = x col(gy)^T."""

    double_backward = None  # backward(create_graph=True) raises clearly: no composed twin yet

    def __init__(self, stride: tuple, pads: tuple, dilation: tuple, groups: int, out_hw: tuple):
        self.stride, self.pads, self.dilation, self.groups, self.out_hw = stride, pads, dilation, groups, out_hw

    def forward(self, x, W, b=None):
        xp, g = self.xp, self.groups
        n, c_in, h, w = x.shape
        self.kernel, self.x_shape = W.shape[2:], x.shape
        c_out = W.shape[1] * g
        self.cache = _scratch.current()
        x_m = _as_chwn(xp, x, self.cache).transpose(1, 2, 3, 0).reshape(g, c_in // g, h * w * n)
        Wt = W.reshape(g, c_in // g, -1).transpose(0, 2, 1)  # (g, C_out/g * kh * kw, C_in/g)
        col = _scratch.matmul(self.cache, xp, Wt, x_m).reshape(c_out, *self.kernel, h, w, n)
        y = col2im(xp, col, (n, c_out, *self.out_hw), self.pads, self.kernel, self.stride, self.dilation,
                   self.cache)
        if b is not None:
            y = y + b[:, None, None]  # col2im returned a view into its buffer: add into a new array
        self.x_m = x_m if self.needs_input_grad[1] else None  # save only what backward needs
        self.W = W if self.needs_input_grad[0] else None
        return y

    def backward(self, gy):
        xp, g = self.xp, self.groups
        n, c_in, h, w = self.x_shape
        c_out = gy.shape[1]
        # the columns of gy: (C_out, kh, kw, H, W, N), the same windows as forward's
        col = im2col(xp, gy, self.pads, self.kernel, self.stride, self.dilation, self.cache)
        col = col.reshape(g, (c_out // g) * self.kernel[0] * self.kernel[1], h * w * n)
        gx = gW = gb = None
        if self.needs_input_grad[0]:  # dL/dx = conv2d(gy, W)
            gx = xp.matmul(self.W.reshape(g, c_in // g, -1), col).reshape(c_in, h, w, n).transpose(3, 0, 1, 2)
        if self.needs_input_grad[1]:  # dL/dW = x col^T
            gW = (self.x_m @ col.transpose(0, 2, 1)).reshape(c_in, c_out // g, *self.kernel)
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            gb = gy.sum(axis=(0, 2, 3))
        return gx, gW, gb


@_unbatched
def conv_transpose2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution (the gradient of conv2d with respect to its input), same
    arguments and argument order as torch.nn.functional.conv_transpose2d.

    Shape: x (N, C_in, H, W), weight (C_in, C_out / groups, kh, kw), bias (C_out,) ->
    (N, C_out, OH, OW) with OH = (H - 1) * sh - 2 * ph + dh * (kh - 1) + output_padding_h + 1.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.conv_transpose2d(minigrad.ones(1, 1, 2, 2), minigrad.ones(1, 1, 2, 2), stride=2)[0, 0]
    tensor([[1., 1., 1., 1.],
            [1., 1., 1., 1.],
            [1., 1., 1., 1.],
            [1., 1., 1., 1.]])
    """
    op = "conv_transpose2d"
    _check_input(x, op)
    if not isinstance(weight, Tensor) or weight.ndim != 4:
        raise ValueError(f"{op}: weight must be a 4-d Tensor (C_in, C_out/groups, kh, kw), got "
                         f"{getattr(weight, 'shape', type(weight).__name__)}")
    groups = int(groups)
    c_in, c_per_group, kh, kw = weight.shape
    if groups < 1 or c_in % groups:
        raise ValueError(f"{op}: groups={groups} must be positive and divide the {c_in} input channels")
    if x.shape[1] != c_in:
        raise ValueError(f"{op}: expected input with {c_in} channels (weight {weight.shape}), got input of "
                         f"shape {x.shape}")
    if bias is not None and tuple(bias.shape) != (c_per_group * groups,):
        raise ValueError(f"{op}: bias must have shape ({c_per_group * groups},) for weight {weight.shape}, "
                         f"got {bias.shape}")
    check_same_dtype(op, x, weight=weight, bias=bias)
    stride = _positive(_pair(stride, "stride", op), "stride", op)
    dilation = _positive(_pair(dilation, "dilation", op), "dilation", op)
    (ph, pw), (oph, opw) = _pair(padding, "padding", op), _pair(output_padding, "output_padding", op)
    if min(ph, pw, oph, opw) < 0:
        raise ValueError(f"{op}: padding {(ph, pw)} and output_padding {(oph, opw)} must be non-negative")
    if oph >= max(stride[0], dilation[0]) or opw >= max(stride[1], dilation[1]):
        raise ValueError(f"{op}: output_padding {(oph, opw)} must be smaller than stride {stride} or "
                         f"dilation {dilation}")
    out_hw = tuple((n - 1) * s - 2 * p + d * (k - 1) + op_ + 1
                   for n, s, p, d, k, op_ in zip(x.shape[2:], stride, (ph, pw), dilation, (kh, kw), (oph, opw)))
    if min(out_hw) < 1:
        raise ValueError(f"{op}: output size would be {out_hw} (not positive) for input {x.shape}, "
                         f"weight {weight.shape}, stride {stride}, padding {(ph, pw)}")
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return ConvTranspose2dFunction(stride, ((ph, ph), (pw, pw)), dilation, groups, out_hw)(*inputs)


def _transposed_weight_and_bias(layer, in_channels: int, out_channels: int, groups: int, bias: bool, device,
                                dtype) -> None:
    """A transposed convolution's parameters, as PyTorch lays them out: weight (C_in, C_out/groups,
    *kernel), bias (C_out,) or None, with PyTorch's default init; and the layer's scratch buffers."""
    dtype = float_or_default(dtype)
    layer.weight = Parameter(zeros(in_channels, out_channels // groups, *layer.kernel_size, dtype=dtype,
                                   device=device))
    if bias:
        layer.bias = Parameter(zeros(out_channels, dtype=dtype, device=device))
    else:
        layer.register_parameter("bias", None)
    layer.reset_parameters()
    layer._buffer_cache = _scratch.shared()  # work arrays reused across steps (_scratch.py)


class ConvTranspose2d(Module):
    """2-D transposed convolution layer ("deconvolution", as in a DCGAN's generator); same
    arguments, parameters and default init as torch.nn.ConvTranspose2d (padding_mode 'zeros').

    Shape: (N, C_in, H, W) -> (N, C_out, OH, OW); weight (C_in, C_out/groups, kh, kw), bias (C_out,).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)(minigrad.randn(2, 16, 7, 7)).shape
    (2, 8, 14, 14)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__()
        op = "ConvTranspose2d"
        _layer_channels(self, op, in_channels, out_channels, groups, padding_mode)
        self.kernel_size = _positive(_pair(kernel_size, "kernel_size", op), "kernel_size", op)
        self.stride = _positive(_pair(stride, "stride", op), "stride", op)
        self.padding = _pair(padding, "padding", op)
        self.output_padding = _pair(output_padding, "output_padding", op)
        self.dilation = _positive(_pair(dilation, "dilation", op), "dilation", op)
        _transposed_weight_and_bias(self, in_channels, out_channels, groups, bias, device, dtype)

    def reset_parameters(self) -> None:
        # PyTorch's default; its fan_in reads the weight's dim 1, (C_out/groups) * kh * kw here
        init._default_init(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        with self._buffer_cache.active():
            return conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                    self.groups, self.dilation)

    def extra_repr(self) -> str:
        return _layer_repr(self, padding=((0, 0),), dilation=((1, 1),), output_padding=((0, 0),), groups=(1,))


# ***** 1-d convolution: the 2-d one on a height of 1 *****


def _single(value, name: str, op: str) -> int:
    """3 -> 3; (3,) -> 3."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}") from None


def conv1d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D cross-correlation, same arguments as torch.nn.functional.conv1d: x (N, C_in, L) or
    (C_in, L), weight (C_out, C_in / groups, k); computed as conv2d on a height of 1.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.conv1d(minigrad.ones(1, 1, 5), minigrad.ones(1, 1, 3), padding=1)
    tensor([[[2., 3., 3., 3., 2.]]])
    """
    op = "conv1d"
    if not isinstance(x, Tensor) or x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected a 3-d input (N, C, L) or a 2-d unbatched (C, L), got shape "
                         f"{getattr(x, 'shape', type(x).__name__)}")
    if not isinstance(weight, Tensor) or weight.ndim != 3:
        raise ValueError(f"{op}: weight must be a 3-d Tensor (C_out, C_in/groups, k), got "
                         f"{getattr(weight, 'shape', type(weight).__name__)}")
    pad = padding if isinstance(padding, str) else (0, _single(padding, "padding", op))
    y = conv2d(x.unsqueeze(-2), weight.unsqueeze(2), bias, (1, _single(stride, "stride", op)), pad,
               (1, _single(dilation, "dilation", op)), groups)
    return y.squeeze(-2)


class Conv1d(Module):
    """1-D convolution layer; same arguments, parameters, default init and repr as
    torch.nn.Conv1d (every padding_mode).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Conv1d(3, 8, 5, padding=2)(minigrad.randn(2, 3, 50)).shape
    (2, 8, 50)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__()
        op = "Conv1d"
        _layer_channels(self, op, in_channels, out_channels, groups, padding_mode)
        self.kernel_size = (_single(kernel_size, "kernel_size", op),)
        self.stride = (_single(stride, "stride", op),)
        self.padding = padding if isinstance(padding, str) else (_single(padding, "padding", op),)
        self.dilation = (_single(dilation, "dilation", op),)
        w_shape = (out_channels, in_channels // groups, *self.kernel_size)
        init._add_weight_and_bias(self, w_shape, bias, device, dtype)
        self._buffer_cache = _scratch.shared()  # work arrays reused across steps (_scratch.py)

    def reset_parameters(self) -> None:
        init._default_init(self.weight, self.bias)  # PyTorch's default

    def forward(self, x: Tensor) -> Tensor:
        x, padding = _pad_input(self, x)
        with self._buffer_cache.active():
            return conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        return _layer_repr(self, padding=((0,), "valid"), dilation=((1,),), groups=(1,))



def conv_transpose1d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution, same arguments as torch.nn.functional.conv_transpose1d:
    x (N, C_in, L) or (C_in, L), weight (C_in, C_out / groups, k); computed as
    conv_transpose2d on a height of 1.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.conv_transpose1d(minigrad.ones(1, 1, 3), minigrad.ones(1, 1, 2))
    tensor([[[1., 2., 2., 1.]]])
    """
    op = "conv_transpose1d"
    if not isinstance(x, Tensor) or x.ndim not in (2, 3):
        raise ValueError(f"{op}: expected a 3-d input (N, C, L) or a 2-d unbatched (C, L), got shape "
                         f"{getattr(x, 'shape', type(x).__name__)}")
    if not isinstance(weight, Tensor) or weight.ndim != 3:
        raise ValueError(f"{op}: weight must be a 3-d Tensor (C_in, C_out/groups, k), got "
                         f"{getattr(weight, 'shape', type(weight).__name__)}")
    if x.shape[-2] != weight.shape[0]:  # checked here so that the message names the 1-d shapes
        raise ValueError(f"{op}: expected input with {weight.shape[0]} channels (weight {weight.shape}), got "
                         f"input of shape {x.shape}")
    one = lambda v, name: (1 if name in ("stride", "dilation") else 0, _single(v, name, op))  # noqa: E731
    y = conv_transpose2d(x.unsqueeze(-2), weight.unsqueeze(2), bias, one(stride, "stride"), one(padding, "padding"),
                         one(output_padding, "output_padding"), groups, one(dilation, "dilation"))
    return y.squeeze(-2)


class ConvTranspose1d(Module):
    """1-D transposed convolution layer; same arguments, parameters, default init and repr as
    torch.nn.ConvTranspose1d (padding_mode 'zeros').

    Shape: (N, C_in, L) -> (N, C_out, OL), OL = (L - 1) * s - 2 * p + d * (k - 1) + output_padding + 1;
    weight (C_in, C_out/groups, k), bias (C_out,).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ConvTranspose1d(16, 8, 4, stride=2, padding=1)(minigrad.randn(2, 16, 10)).shape
    (2, 8, 20)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__()
        op = "ConvTranspose1d"
        _layer_channels(self, op, in_channels, out_channels, groups, padding_mode)
        self.kernel_size = (_single(kernel_size, "kernel_size", op),)
        self.stride = (_single(stride, "stride", op),)
        self.padding = (_single(padding, "padding", op),)
        self.output_padding = (_single(output_padding, "output_padding", op),)
        self.dilation = (_single(dilation, "dilation", op),)
        _transposed_weight_and_bias(self, in_channels, out_channels, groups, bias, device, dtype)

    def reset_parameters(self) -> None:
        init._default_init(self.weight, self.bias)  # PyTorch's default (fan_in from the weight's dim 1)

    def forward(self, x: Tensor) -> Tensor:
        with self._buffer_cache.active():
            return conv_transpose1d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                    self.groups, self.dilation)

    def extra_repr(self) -> str:
        return _layer_repr(self, padding=((0,),), dilation=((1,),), output_padding=((0,),), groups=(1,))

# ***** unfold / fold: im2col and col2im as ops, in PyTorch's (N, C*kh*kw, L) layout *****


def _block_args(op: str, kernel_size, dilation, padding, stride) -> tuple:
    kernel = _positive(_pair(kernel_size, "kernel_size", op), "kernel_size", op)
    dilation = _positive(_pair(dilation, "dilation", op), "dilation", op)
    stride = _positive(_pair(stride, "stride", op), "stride", op)
    ph, pw = _pair(padding, "padding", op)
    if min(ph, pw) < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {(ph, pw)}")
    return kernel, dilation, ((ph, ph), (pw, pw)), stride


def _blocks(op: str, hw: tuple, kernel: tuple, dilation: tuple, pads: tuple, stride: tuple) -> tuple:
    """The number of sliding blocks along H and W (PyTorch's message when one is not positive)."""
    out = tuple(_out_size(n, p, k, s, d) for n, p, k, s, d in zip(hw, pads, kernel, stride, dilation))
    if min(out) < 1:
        raise RuntimeError(f"{op}: Given input with spatial size {tuple(hw)}, kernel_size={kernel}, "
                           f"dilation={dilation}, padding={(pads[0][0], pads[1][0])}, calculated shape of the "
                           f"array of sliding blocks as {out}, but its components must be at least one.")
    return out


class UnfoldFunction(Function):
    """y[n, (c, p, q), (i, j)] = xpad[n, c, i*sh + p*dh, j*sw + q*dw]: conv.py's im2col, laid
    out as PyTorch's unfold; its backward is col2im"""

    double_backward = "linear"

    def __init__(self, kernel: tuple, dilation: tuple, pads: tuple, stride: tuple):
        self.kernel, self.dilation, self.pads, self.stride = kernel, dilation, pads, stride

    def forward(self, x):
        self.x_shape = x.shape
        col = im2col(self.xp, x, self.pads, self.kernel, self.stride, self.dilation)  # (C, kh, kw, OH, OW, N)
        self.col_shape = c, kh, kw, oh, ow, n = col.shape
        return col.transpose(5, 0, 1, 2, 3, 4).reshape(n, c * kh * kw, oh * ow)  # no -1: n may be 0

    def backward(self, gy):
        c, kh, kw, oh, ow, n = self.col_shape
        gcol = gy.reshape(n, c, kh, kw, oh, ow).transpose(1, 2, 3, 4, 5, 0)
        return col2im(self.xp, gcol, self.x_shape, self.pads, self.kernel, self.stride, self.dilation)


class FoldFunction(Function):
    """The adjoint of unfold: y = col2im(x), each block entry added back onto its pixel
    (overlapping blocks sum); its backward is im2col"""

    double_backward = "linear"

    def __init__(self, out_shape: tuple, blocks: tuple, kernel: tuple, dilation: tuple, pads: tuple,
                 stride: tuple):
        self.out_shape, self.blocks = out_shape, blocks
        self.kernel, self.dilation, self.pads, self.stride = kernel, dilation, pads, stride

    def forward(self, x):
        n, c = self.out_shape[:2]
        col = x.reshape(n, c, *self.kernel, *self.blocks).transpose(1, 2, 3, 4, 5, 0)
        y = col2im(self.xp, col, self.out_shape, self.pads, self.kernel, self.stride, self.dilation)
        return self.xp.ascontiguousarray(y)  # col2im's result is a view into a padded buffer

    def backward(self, gy):
        col = im2col(self.xp, gy, self.pads, self.kernel, self.stride, self.dilation)
        c, kh, kw, oh, ow, n = col.shape
        return col.transpose(5, 0, 1, 2, 3, 4).reshape(n, c * kh * kw, oh * ow)  # no -1: n may be 0


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """The sliding blocks of a (N, C, H, W) input as columns: (N, C * kh * kw, L), L the number
    of blocks, rows ordered (c, p, q) and columns (i, j) as in torch.nn.functional.unfold
    (a 3-d (C, H, W) input gives (C * kh * kw, L)). `conv2d(x, W)` equals
    `(W.reshape(C_out, -1) @ unfold(x, k)).reshape(N, C_out, OH, OW)`.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.unfold(minigrad.arange(9.0).reshape(1, 1, 3, 3), 2)
    tensor([[[0., 1., 3., 4.],
             [1., 2., 4., 5.],
             [3., 4., 6., 7.],
             [4., 5., 7., 8.]]])
    """
    op = "unfold"
    if not isinstance(input, Tensor) or input.ndim not in (3, 4):
        raise ValueError(f"{op}: expected a 4-d input (N, C, H, W) or a 3-d unbatched (C, H, W), got shape "
                         f"{getattr(input, 'shape', type(input).__name__)}")
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    kernel, dilation, pads, stride = _block_args(op, kernel_size, dilation, padding, stride)
    _blocks(op, input.shape[2:], kernel, dilation, pads, stride)
    return UnfoldFunction(kernel, dilation, pads, stride)(input)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum columns of sliding blocks (N, C * kh * kw, L) back into a (N, C, H, W) image,
    H, W = output_size; where blocks overlap their entries add up. Same as
    torch.nn.functional.fold (a 2-d input gives (C, H, W)). `fold(unfold(x))` is x times the
    number of blocks that cover each pixel.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.fold(minigrad.ones(1, 4, 4), (3, 3), 2)[0, 0]
    tensor([[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]])
    """
    op = "fold"
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        raise ValueError(f"{op}: expected a 3-d input (N, C * kh * kw, L) or a 2-d unbatched one, got shape "
                         f"{getattr(input, 'shape', type(input).__name__)}")
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding, stride).squeeze(0)
    kernel, dilation, pads, stride = _block_args(op, kernel_size, dilation, padding, stride)
    hw = _positive(_pair(output_size, "output_size", op), "output_size", op)
    n, ck, length = input.shape
    if ck % (kernel[0] * kernel[1]):
        raise RuntimeError(f"{op}: Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={ck} and kernel_size={kernel} (input {input.shape})")
    blocks = _blocks(op, hw, kernel, dilation, pads, stride)
    if blocks[0] * blocks[1] != length:
        raise RuntimeError(f"{op}: Given output_size={hw}, kernel_size={kernel}, dilation={dilation}, "
                           f"padding={(pads[0][0], pads[1][0])}, stride={stride}, expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks {blocks[0]} * {blocks[1]}"
                           f" = {blocks[0] * blocks[1]}, but got input.size(2)={length} (input {input.shape}).")
    out_shape = (n, ck // (kernel[0] * kernel[1]), *hw)
    return FoldFunction(out_shape, blocks, kernel, dilation, pads, stride)(input)


class Unfold(Module):
    """Extract sliding blocks as columns, (N, C, H, W) -> (N, C * kh * kw, L); same arguments and
    repr as torch.nn.Unfold (see `F.unfold`).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Unfold(3, padding=1)(minigrad.randn(2, 4, 5, 5)).shape
    (2, 36, 25)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        _block_args("Unfold", kernel_size, dilation, padding, stride)  # validate now
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, x: Tensor) -> Tensor:
        return unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Module):
    """Sum columns of sliding blocks back into an image, (N, C * kh * kw, L) -> (N, C, H, W);
    same arguments and repr as torch.nn.Fold (see `F.fold`).

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Fold((5, 5), 3, padding=1)(minigrad.randn(2, 36, 25)).shape
    (2, 4, 5, 5)
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        _block_args("Fold", kernel_size, dilation, padding, stride)  # validate now
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, x: Tensor) -> Tensor:
        return fold(x, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
