"""Lazy layers: the input size is read from the first input, as in torch.nn.Lazy*.

Each starts without parameters; its first forward creates them and turns the module into its
eager class (a LazyLinear becomes an nn.Linear, so `type(m) == nn.Linear` holds after it, which
init code relies on). Create the optimizer after that first forward (a dry run), as in PyTorch.
"""

from __future__ import annotations

from .conv import Conv1d, Conv2d, ConvTranspose2d
from .linear import Linear
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d


class _LazyModule(Module):
    cls_to_become: type = None

    def __init__(self, *args, **kwargs):
        super().__init__()
        object.__setattr__(self, "_lazy_args", (args, kwargs))

    def _infer(self, x) -> int:  # the eager class's first argument, from the input
        return x.shape[1] if x.ndim > 1 else x.shape[0]

    def forward(self, x, *rest, **kw):
        args, kwargs = self._lazy_args
        training, hooks = self.training, (self._forward_hooks, self._backward_hooks, self._forward_pre_hooks)
        cls = self.cls_to_become
        # NOTE: without device=/dtype= the parameters follow the first input (torch would follow
        # a .to() called before the first forward, which a lazy module here has nothing to move)
        kwargs = dict(kwargs)
        kwargs.setdefault("device", x.device)
        if x.dtype.kind == "f":
            kwargs.setdefault("dtype", x.dtype)
        n = self._infer(x)
        del self.__dict__["_lazy_args"]
        object.__setattr__(self, "__class__", cls)
        cls.__init__(self, n, *args, **kwargs)  # creates the parameters here
        self.train(training)
        object.__setattr__(self, "_forward_hooks", hooks[0])
        object.__setattr__(self, "_forward_pre_hooks", hooks[2])
        if hooks[1] is not None:
            object.__setattr__(self, "_backward_hooks", hooks[1])
        return self.forward(x, *rest, **kw)

    def extra_repr(self) -> str:
        return "uninitialized"


class LazyLinear(_LazyModule):
    """nn.Linear with in_features taken from the first input: `LazyLinear(out_features)`."""

    cls_to_become = Linear

    def _infer(self, x) -> int:
        return x.shape[-1]


class LazyConv2d(_LazyModule):
    """nn.Conv2d with in_channels from the first input: `LazyConv2d(out_channels, kernel_size)`."""

    cls_to_become = Conv2d

    def _infer(self, x) -> int:  # (N, C, H, W) or unbatched (C, H, W)
        return x.shape[-3]


class LazyConv1d(_LazyModule):
    """nn.Conv1d with in_channels from the first input: `LazyConv1d(out_channels, kernel_size)`."""

    cls_to_become = Conv1d

    def _infer(self, x) -> int:  # (N, C, L) or unbatched (C, L)
        return x.shape[-2]


class LazyConvTranspose2d(LazyConv2d):
    """nn.ConvTranspose2d with in_channels from the first input:
    `LazyConvTranspose2d(out_channels, kernel_size)`."""

    cls_to_become = ConvTranspose2d


class LazyBatchNorm1d(_LazyModule):
    """nn.BatchNorm1d with num_features from the first input."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyModule):
    """nn.BatchNorm2d with num_features from the first input."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyModule):
    """nn.BatchNorm3d with num_features from the first input."""

    cls_to_become = BatchNorm3d


class _LazyInstanceNorm(_LazyModule):
    """Shared by LazyInstanceNorm1d/2d/3d. NOTE: torch's lazy InstanceNorm defaults differ from
    the eager ones (affine=True, track_running_stats=True), kept here. The channels are read
    from dim 1 of a batched input and dim 0 of an unbatched one (torch reads dim 1 of both and
    then refuses the unbatched input)."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None,
                 *, bias=True):
        # device and dtype only when given: otherwise they follow the first input
        given = {k: v for k, v in (("device", device), ("dtype", dtype)) if v is not None}
        super().__init__(eps=eps, momentum=momentum, affine=affine, track_running_stats=track_running_stats,
                         bias=bias, **given)

    def _infer(self, x) -> int:  # (N, C, *spatial) or unbatched (C, *spatial)
        return x.shape[-self.cls_to_become._rank + 1]


class LazyInstanceNorm1d(_LazyInstanceNorm):
    """nn.InstanceNorm1d with num_features from the first input (affine and tracked by default,
    as torch's LazyInstanceNorm1d)."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNorm):
    """nn.InstanceNorm2d with num_features from the first input (affine and tracked by default,
    as torch's LazyInstanceNorm2d)."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNorm):
    """nn.InstanceNorm3d with num_features from the first input (affine and tracked by default,
    as torch's LazyInstanceNorm3d)."""

    cls_to_become = InstanceNorm3d
