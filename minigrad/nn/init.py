"""Weight initialisation, in place, with PyTorch's names and formulas (`torch.nn.init`).

Numbers are drawn on the host from minigrad's default generator (`minigrad.manual_seed`) and then
copied to the tensor's device, so a seed gives the same weights on CPU and GPU. The
streams differ from PyTorch's: the same seed gives the same *distribution* as torch, not the
same numbers.

    >>> import minigrad
    >>> from minigrad.nn import init
    >>> w = minigrad.zeros(3, 4)
    >>> _ = init.constant_(w, 0.5)
    >>> w.numpy().tolist()[0]
    [0.5, 0.5, 0.5, 0.5]
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..creation import zeros
from ..grad_mode import no_grad
from ..random import default_generator
from ..tensor import Tensor
from ..dtypes import float_or_default
from .module import Parameter


def _fill(tensor: Tensor, host: np.ndarray) -> Tensor:
    with no_grad():
        tensor.copy_(backend.to_device(host.astype(tensor.dtype, copy=False), tensor.device))
    return tensor


def _draw_dtype(tensor: Tensor):
    # the generator draws float32 or float64; float16 tensors get float32 draws, rounded
    return tensor.dtype if tensor.dtype in (np.float32, np.float64) else np.dtype(np.float32)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain that keeps activations' variance steady through `nonlinearity`.
    Same as torch.nn.init.calculate_gain.

    >>> from minigrad.nn import init
    >>> round(init.calculate_gain("relu"), 4)
    1.4142
    """
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """fan_in = in_features * receptive field; fan_out = out_features * receptive field, for
    weights shaped (out, in, *kernel) as in Linear and Conv2d."""
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dims, got shape {tensor.shape}")
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _default_init(weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's default for Linear and Conv2d: kaiming_uniform_(a=sqrt(5)), which gives
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight, and the same bound for the bias."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in = _fan(weight, "fan_in")
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound)


def _add_weight_and_bias(module, weight_shape: tuple, bias: bool, device, dtype) -> None:
    """Register `weight` of `weight_shape` and `bias` (weight_shape[0],) (or None) on `module`,
    then call its `reset_parameters()` (PyTorch's default init). Shared by Linear and Conv2d."""
    dtype = float_or_default(dtype)
    module.weight = Parameter(zeros(*weight_shape, dtype=dtype, device=device))
    if bias:
        module.bias = Parameter(zeros(weight_shape[0], dtype=dtype, device=device))
    else:
        module.register_parameter("bias", None)
    module.reset_parameters()


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples from U(a, b)."""
    u = default_generator.rng.random(tensor.shape, dtype=_draw_dtype(tensor))
    return _fill(tensor, a + (b - a) * u)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples from N(mean, std^2)."""
    z = default_generator.rng.standard_normal(tensor.shape, dtype=_draw_dtype(tensor))
    return _fill(tensor, mean + std * z)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with `val`."""
    return _fill(tensor, np.full(tensor.shape, val, dtype=tensor.dtype))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(3 / fan) (He et al., 2015). `a` is the negative
    slope of the leaky ReLU. Linear and Conv2d use a = sqrt(5), which gives bound = 1/sqrt(fan_in)."""
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan) (He et al., 2015)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std)
