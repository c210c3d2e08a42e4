"""Upsampling: `F.interpolate` and `nn.Upsample` in 'nearest' and 'bilinear' modes, composed
from `index_select` and arithmetic (so autograd gives the gradient: each input pixel gets the
sum of what it contributed to). Other modes raise NotImplementedError. Also the fixed-mode layers
`nn.UpsamplingNearest2d` / `nn.UpsamplingBilinear2d`, and `F.pixel_shuffle` / `F.pixel_unshuffle`
with their layers (reshape and permute only)."""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..tensor import Tensor
from .module import Module


def _source_index(in_size: int, out_size: int, scale) -> np.ndarray:
    """PyTorch's 'nearest' rule: output index i reads input index floor(i * s), s = 1 / scale
    when a scale factor was given, else in_size / out_size; clipped to the input."""
    s = 1.0 / scale if scale is not None else in_size / out_size
    return np.minimum(np.floor(np.arange(out_size) * s).astype(np.int64), in_size - 1)


def _linear_taps(in_size: int, out_size: int, scale, align_corners: bool):
    """For 'bilinear', per output index along one dim: the two input indices it blends and the
    weight of the second, by PyTorch's rule (half-pixel centres unless align_corners)."""
    dst = np.arange(out_size, dtype=np.float64)
    if align_corners:
        src = dst * ((in_size - 1) / (out_size - 1) if out_size > 1 else 0.0)
    else:
        s = 1.0 / scale if scale is not None else in_size / out_size
        src = np.maximum((dst + 0.5) * s - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    return i0, i1, src - i0


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize the last two dims of an (N, C, H, W) input, as torch.nn.functional.interpolate
    with mode 'nearest' or 'bilinear' (`align_corners` as torch; give `size` or `scale_factor`,
    a number or one per dim).

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.interpolate(minigrad.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]), scale_factor=2)[0, 0]
    tensor([[1., 1., 2., 2.],
            [1., 1., 2., 2.],
            [3., 3., 4., 4.],
            [3., 3., 4., 4.]])
    """
    op = "interpolate"
    if mode not in ("nearest", "bilinear"):
        raise NotImplementedError(f"{op}: mode={mode!r} is not supported (only 'nearest' and 'bilinear')")
    if mode == "nearest" and align_corners is not None:
        raise ValueError(f"{op}: align_corners only applies to the linear modes, got mode='nearest'")
    if recompute_scale_factor or antialias:
        raise NotImplementedError(f"{op}: recompute_scale_factor and antialias are not supported")
    if not isinstance(input, Tensor) or input.ndim != 4:
        raise ValueError(f"{op}: expected a 4-d input (N, C, H, W), got shape {getattr(input, 'shape', None)}")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor, got size={size!r}, "
                         f"scale_factor={scale_factor!r}")
    hw = input.shape[2:]
    if size is not None:
        out = tuple(int(v) for v in (size if isinstance(size, (tuple, list)) else (size, size)))
        scales = (None, None)
    else:
        scales = tuple(float(v) for v in (scale_factor if isinstance(scale_factor, (tuple, list))
                                          else (scale_factor, scale_factor)))
        if min(scales) <= 0:
            raise ValueError(f"{op}: scale_factor must be positive, got {scale_factor!r}")
        out = tuple(math.floor(n * s) for n, s in zip(hw, scales))
    if len(out) != 2 or min(out) < 1:
        raise ValueError(f"{op}: output size would be {out} for input {input.shape}")
    y = input
    for dim, n, o, s in zip((2, 3), hw, out, scales):
        if mode == "nearest":
            if o != n or s not in (None, 1.0):
                y = ops.index_select(y, dim, Tensor._from_data(_source_index(n, o, s), device=input.device))
            continue
        i0, i1, w1 = _linear_taps(n, o, s, bool(align_corners))
        w1 = Tensor._from_data(w1.astype(input.dtype).reshape((-1, 1) if dim == 2 else (-1,)), device=input.device)
        a = ops.index_select(y, dim, Tensor._from_data(i0, device=input.device))
        b = ops.index_select(y, dim, Tensor._from_data(i1, device=input.device))
        y = a + (b - a) * w1  # (1 - w) a + w b, one multiply
    return y


class Upsample(Module):
    """Upsampling layer, as torch.nn.Upsample with mode 'nearest' or 'bilinear'.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.Upsample(scale_factor=2)(minigrad.randn(1, 3, 7, 7)).shape
    (1, 3, 14, 14)
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        if mode not in ("nearest", "bilinear"):
            raise NotImplementedError(f"Upsample: mode={mode!r} is not supported (only 'nearest' and 'bilinear')")
        self.size, self.mode, self.align_corners = size, mode, align_corners
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) else scale_factor
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x: Tensor) -> Tensor:
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"size={self.size!r}" if self.size is not None else f"scale_factor={self.scale_factor!r}"
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling, as torch.nn.UpsamplingNearest2d: `Upsample(mode='nearest')`.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.UpsamplingNearest2d(scale_factor=2)(minigrad.randn(1, 3, 4, 4)).shape
    (1, 3, 8, 8)
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling with align_corners=True (the corner pixels of input and output line
    up), as torch.nn.UpsamplingBilinear2d; `nn.Upsample(mode='bilinear')` defaults to False.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.UpsamplingBilinear2d(size=(3, 3))(minigrad.tensor([[[[0.0, 2.0], [4.0, 6.0]]]]))[0, 0]
    tensor([[0., 1., 2.],
            [2., 3., 4.],
            [4., 5., 6.]])
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


# ***** pixel shuffle: channels to space and back (sub-pixel convolution) *****


def _check_shuffle(op: str, x: Tensor, factor, what: str) -> int:
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
        raise ValueError(f"{op}: {what} must be a positive int, got {factor!r}")
    if not isinstance(x, Tensor) or x.ndim < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input with "
                           f"{getattr(x, 'ndim', 0)} dimension(s) (shape {getattr(x, 'shape', None)})")
    return factor


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r): output pixel (h * r + i, w * r + j) of channel
    c is input channel c * r^2 + i * r + j at (h, w). Same as torch.nn.functional.pixel_shuffle.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.pixel_shuffle(minigrad.arange(4.0).reshape(1, 4, 1, 1), 2)[0, 0]
    tensor([[0., 1.],
            [2., 3.]])
    """
    op = "pixel_shuffle"
    r = _check_shuffle(op, input, upscale_factor, "upscale_factor")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"{op} expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r} (shape {input.shape})")
    k = len(lead)
    y = input.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)  # (*, C, H, r, W, r)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W), the inverse of `pixel_shuffle`. Same as
    torch.nn.functional.pixel_unshuffle.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> F.pixel_unshuffle(minigrad.arange(4.0).reshape(1, 1, 2, 2), 2).flatten()
    tensor([0., 1., 2., 3.])
    """
    op = "pixel_unshuffle"
    r = _check_shuffle(op, input, downscale_factor, "downscale_factor")
    *lead, c, h, w = input.shape
    for name, n, d in (("height", h, -2), ("width", w, -1)):
        if n % r:
            raise RuntimeError(f"{op} expects {name} to be divisible by downscale_factor, but input.size({d})={n} "
                               f"is not divisible by {r} (shape {input.shape})")
    k = len(lead)
    y = input.reshape(*lead, c, h // r, r, w // r, r)
    y = y.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)  # (*, C, r, r, H, W)
    return y.reshape(*lead, c * r * r, h // r, w // r)


class PixelShuffle(Module):
    """Rearrange (*, C * r^2, H, W) into (*, C, H * r, W * r); same as torch.nn.PixelShuffle.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.PixelShuffle(3)(minigrad.randn(1, 9, 4, 4)).shape
    (1, 1, 12, 12)
    """

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x: Tensor) -> Tensor:
        return pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearrange (*, C, H * r, W * r) into (*, C * r^2, H, W); same as torch.nn.PixelUnshuffle.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.PixelUnshuffle(3)(minigrad.randn(1, 1, 12, 12)).shape
    (1, 9, 4, 4)
    """

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, x: Tensor) -> Tensor:
        return pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
