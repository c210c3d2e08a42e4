"""Padding layers: `nn.ZeroPad1d/2d/3d`, `nn.ConstantPad1d/2d/3d`, `nn.ReflectionPad1d/2d/3d`,
`nn.ReplicationPad1d/2d/3d` and `nn.CircularPad1d/2d/3d`, each a call of `F.pad` (ops/shape.py) with
its mode. Arguments and reprs are PyTorch's."""

from __future__ import annotations

from ..ops.shape import pad
from ..tensor import Tensor
from .module import Module


class _Pad(Module):
    """Shared by the padding layers: `padding` is an int (every side) or a tuple of 2 * dims
    widths in F.pad's order (left, right, top, bottom, front, back)."""

    mode, dims = "constant", 2

    def __init__(self, padding, value: float = 0.0):
        super().__init__()
        self.padding = (padding,) * 2 * self.dims if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != 2 * self.dims:
            raise ValueError(f"{type(self).__name__}: padding must be an int or {2 * self.dims} widths, "
                             f"got {padding!r}")
        self.value = value

    def forward(self, x: Tensor) -> Tensor:
        return pad(x, self.padding, self.mode, self.value if self.mode == "constant" else None)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ConstantPad1d(_Pad):
    """Pad the last dim with a constant. Same as torch.nn.ConstantPad1d.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ConstantPad1d((1, 2), 3.5)(minigrad.zeros(1, 2))
    tensor([[3.5, 0. , 0. , 3.5, 3.5]])
    """

    dims = 1

    def __init__(self, padding, value: float):
        super().__init__(padding, value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(ConstantPad1d):
    """Pad the last two dims with a constant. Same as torch.nn.ConstantPad2d."""

    dims = 2


class ConstantPad3d(ConstantPad1d):
    """Pad the last three dims with a constant. Same as torch.nn.ConstantPad3d.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ConstantPad3d((1, 0, 0, 0, 0, 1), 2.0)(minigrad.zeros(1, 1, 1, 1)).shape
    (1, 2, 1, 2)
    """

    dims = 3


class ZeroPad1d(_Pad):
    """Pad the last dim with zeros. Same as torch.nn.ZeroPad1d."""

    dims = 1

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ZeroPad2d(ZeroPad1d):
    """Pad the last two dims with zeros. Same as torch.nn.ZeroPad2d.

    >>> from minigrad import nn
    >>> nn.ZeroPad2d((1, 0, 2, 0))
    ZeroPad2d((1, 0, 2, 0))
    """

    dims = 2


class ZeroPad3d(ZeroPad1d):
    """Pad the last three dims with zeros. Same as torch.nn.ZeroPad3d.

    >>> from minigrad import nn
    >>> nn.ZeroPad3d(1)
    ZeroPad3d((1, 1, 1, 1, 1, 1))
    """

    dims = 3


class ReflectionPad1d(_Pad):
    """Mirror the last dim at its edges, the edge not repeated. Same as torch.nn.ReflectionPad1d.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.ReflectionPad1d(2)(minigrad.tensor([[[1.0, 2.0, 3.0]]]))
    tensor([[[3., 2., 1., 2., 3., 2., 1.]]])
    """

    mode, dims = "reflect", 1

    def __init__(self, padding):
        super().__init__(padding)


class ReflectionPad2d(ReflectionPad1d):
    """Mirror the last two dims at their edges. Same as torch.nn.ReflectionPad2d."""

    dims = 2


class ReflectionPad3d(ReflectionPad1d):
    """Mirror the last three dims at their edges, of (N, C, D, H, W) or (C, D, H, W) input.
    Same as torch.nn.ReflectionPad3d."""

    dims = 3


class ReplicationPad1d(ReflectionPad1d):
    """Repeat the edge of the last dim. Same as torch.nn.ReplicationPad1d."""

    mode, dims = "replicate", 1


class ReplicationPad2d(ReflectionPad1d):
    """Repeat the edges of the last two dims. Same as torch.nn.ReplicationPad2d."""

    mode, dims = "replicate", 2


class ReplicationPad3d(ReflectionPad1d):
    """Repeat the edges of the last three dims. Same as torch.nn.ReplicationPad3d."""

    mode, dims = "replicate", 3


class CircularPad1d(ReflectionPad1d):
    """Wrap the last dim around. Same as torch.nn.CircularPad1d."""

    mode, dims = "circular", 1


class CircularPad2d(ReflectionPad1d):
    """Wrap the last two dims around. Same as torch.nn.CircularPad2d."""

    mode, dims = "circular", 2


class CircularPad3d(ReflectionPad1d):
    """Wrap the last three dims around. Same as torch.nn.CircularPad3d."""

    mode, dims = "circular", 3
