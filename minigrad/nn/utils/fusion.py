"""Folding an eval-mode BatchNorm into the Linear or Conv2d before it, for inference.

In eval mode BatchNorm is a per-channel affine map, y = (z - mean) * s + beta with
s = gamma / sqrt(var + eps), and z = W x + b is affine too, so their composition is one layer:

    W' = W * s (row / output channel c scaled by s[c])        b' = (b - mean) * s + beta

One layer instead of two: fewer passes over the activations at inference, same outputs up to
float rounding. Only valid while the statistics are constant, i.e. for eval.
"""

from __future__ import annotations

import copy

from ...grad_mode import no_grad
from ..conv import Conv2d
from ..linear import Identity, Linear
from ..module import Module, Parameter, Sequential
from ..normalization import _BatchNorm


def _folded_weight_and_bias(weight, bias, bn: _BatchNorm, op: str):
    """The arrays W' and b' above, in the weight's dtype, on its device."""
    if bn.running_mean is None:
        raise ValueError(f"{op}: {type(bn).__name__} has no running statistics (track_running_stats=False), "
                         f"so its eval output depends on the batch and cannot be folded")
    if bn.training and not bn.frozen:
        raise ValueError(f"{op}: {type(bn).__name__} is in training mode, where it uses batch statistics; "
                         f"folding is for eval only (call .eval() first)")
    C = weight.shape[0]
    if bn.num_features != C:
        raise ValueError(f"{op}: the layer has {C} outputs but {type(bn).__name__} has {bn.num_features} features")
    W = weight.array
    dt = W.dtype
    mean, var = bn.running_mean.array.astype(dt), bn.running_var.array.astype(dt)
    gamma = bn.weight.array if bn.weight is not None else 1
    beta = bn.bias.array if bn.bias is not None else 0
    s = (gamma / (var + dt.type(bn.eps)) ** 0.5).astype(dt, copy=False)
    b = bias.array if bias is not None else 0
    new_W = W * s.reshape((C,) + (1,) * (W.ndim - 1))
    new_b = ((b - mean) * s + beta).astype(dt, copy=False)
    return new_W, new_b


def _fused(layer: Module, bn: _BatchNorm, op: str) -> Module:
    new_W, new_b = _folded_weight_and_bias(layer.weight, layer.bias, bn, op)
    fused = copy.deepcopy(layer)
    with no_grad():
        fused.weight = Parameter(new_W, requires_grad=layer.weight.requires_grad)
        fused.bias = Parameter(new_b, requires_grad=layer.weight.requires_grad)
    return fused


def fuse_conv_bn_eval(conv: Conv2d, bn: _BatchNorm) -> Conv2d:
    """A new Conv2d computing conv followed by bn in eval mode (bn's running statistics), as
    torch.nn.utils.fusion.fuse_conv_bn_eval. The new layer always has a bias; conv and bn are
    left unchanged. Raises if bn is in training mode or keeps no running statistics.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> conv, bn = nn.Conv2d(1, 4, 3, bias=False).eval(), nn.BatchNorm2d(4).eval()
        >>> x = minigrad.randn(2, 1, 5, 5)
        >>> fused = nn.utils.fuse_conv_bn_eval(conv, bn)
        >>> bool(abs(fused(x) - bn(conv(x))).max().item() < 1e-5)
        True
    """
    if not isinstance(conv, Conv2d):
        raise TypeError(f"fuse_conv_bn_eval: expected a Conv2d, got {type(conv).__name__}")
    return _fused(conv, bn, "fuse_conv_bn_eval")


def fuse_linear_bn_eval(linear: Linear, bn: _BatchNorm) -> Linear:
    """A new Linear computing linear followed by bn in eval mode, as
    torch.nn.utils.fusion.fuse_linear_bn_eval (bn normalises the Linear's output features, i.e.
    (N, features) input). linear and bn are left unchanged.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> fc, bn = nn.Linear(3, 2).eval(), nn.BatchNorm1d(2).eval()
        >>> nn.utils.fuse_linear_bn_eval(fc, bn)
        Linear(in_features=3, out_features=2, bias=True)
    """
    if not isinstance(linear, Linear):
        raise TypeError(f"fuse_linear_bn_eval: expected a Linear, got {type(linear).__name__}")
    return _fused(linear, bn, "fuse_linear_bn_eval")


def _fold_in_place(module: Module) -> int:
    count = 0
    if isinstance(module, Sequential):
        names = list(module._modules)
        for first, second in zip(names, names[1:]):
            layer, bn = module._modules[first], module._modules[second]
            if isinstance(bn, _BatchNorm) and isinstance(layer, (Linear, Conv2d)):
                fuse = fuse_conv_bn_eval if isinstance(layer, Conv2d) else fuse_linear_bn_eval
                setattr(module, first, fuse(layer, bn))
                setattr(module, second, Identity())  # keeps the indices of the later layers
                count += 1
    for child in module._modules.values():
        if child is not None:
            count += _fold_in_place(child)
    return count


def fold_bn(model: Module) -> Module:
    """A copy of `model` in eval mode with every Conv2d -> BatchNorm and Linear -> BatchNorm pair
    of a Sequential (nested Sequentials too, anywhere in the model) folded into one layer; each
    folded BatchNorm becomes an Identity, so indices stay as they were. `model` is untouched.
    BatchNorm1d after a Linear is folded on the assumption that it normalises the Linear's
    output features ((N, features) input), which is the only way the pair type-checks unless
    the Linear acts on the last dim of a 3-D input whose dim 1 happens to have the same size.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> model = nn.Sequential(nn.Linear(4, 3, bias=False), nn.BatchNorm1d(3), nn.ReLU())
        >>> nn.utils.fold_bn(model)
        Sequential(
          (0): Linear(in_features=4, out_features=3, bias=True)
          (1): Identity()
          (2): ReLU()
        )
    """
    folded = copy.deepcopy(model).eval()
    _fold_in_place(folded)
    return folded
