"""minigrad: a small deep-learning framework with reverse-mode autodiff on NumPy or CuPy.

    >>> import minigrad
    >>> x = minigrad.tensor([2.0, -1.0], requires_grad=True)
    >>> y = (x * x + 3 * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([7., 1.])
"""

from .grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled,
)
from .tensor import Tensor  # first: tensor.py imports autograd, ops and random once Tensor exists
from .creation import (
    arange, as_tensor, empty, eye, from_dlpack, from_numpy, full, full_like, histc, histogram, linspace, ones,
    ones_like, tensor, zeros, zeros_like, empty_like,
    BoolTensor, ByteTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor, LongTensor,
)
from .random import (
    Generator, manual_seed, multinomial, normal, rand, rand_like, randint, randn, randn_like,
    randperm, randint_like, bernoulli,
)
from .dtypes import (bfloat16, bool_, float16, float32, float64, get_default_dtype, int32, int64, set_default_dtype,
                     uint8)
from .dtypes import channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format

# PyTorch's other names of the same dtypes (`dtype=minigrad.long`, `dtype=minigrad.float`)
long, half, double, bool, float, int = int64, float16, float64, bool_, float32, int32  # noqa: A001
from .backend import cuda_available, device
from .backends import (are_deterministic_algorithms_enabled, get_float32_matmul_precision,
                       set_float32_matmul_precision, use_deterministic_algorithms)
from .ops import (
    abs, argmax, argmin, bmm, cat, clamp, clip, exp, log, log_softmax, logsumexp, matmul, max,
    maximum, mean, min, minimum, pad, relu, sigmoid, softmax, sqrt, stack, std, sum, tanh, var,
    where, allclose, amax, amin, chunk, cos, cumsum, einsum, gather, index_select, isclose,
    log2, log10, masked_fill, prod, repeat, scatter, sin, sort, split, tile, topk,
    isfinite, isinf, isnan, norm, argsort, ceil, floor, log1p, masked_select, mm, nonzero, round,
    sign, tril, triu, unbind, all, any,
    addcdiv, addcmul, flip, floor_divide, fmod, index_add, lerp, remainder, roll, scatter_add,
)
from .ops import flatten
from .ops import (  # the operators and methods by name, as torch's functions
    add, sub, mul, div, neg, pow, square, rsqrt, reciprocal, equal, narrow, index_fill, broadcast_to,
    reshape, transpose, permute, squeeze, unsqueeze, t,
    multiply, subtract, divide, true_divide, negative, clone,
)
from .ops import (
    addmm, arctan2, atan2, broadcast_tensors, clamp_max, clamp_min, count_nonzero, cumprod, diag, diagonal,
    diff, dot, erf, exp2, expm1, fix, ger, logical_and, logical_not, logical_or, logical_xor, meshgrid, moveaxis,
    movedim, mv, nan_to_num, outer, repeat_interleave, swapaxes, swapdims, tan, tensordot, trunc, unflatten,
    unique,
)
from .tensor import detach, detach_, is_floating_point, is_tensor, numel
from . import accelerator, amp, backends, cuda, nn, optim, utils  # noqa: E402  (after Tensor: nn builds on it)
from .amp import autocast
from .compiler import compile  # noqa: A004
from .serialization import load, save

__version__ = "0.1.0"
