"""Differentiable primitive ops, one file per family:

- `elementwise.py`: arithmetic, unary math, activations, cast/to_device/clone, comparisons,
  logical ops, nan_to_num;
- `reduce.py`: sum, mean, max, min, var, std, argmax, argmin, cumsum, cumprod, sort, unique;
- `softmax.py`: softmax, log_softmax, logsumexp;
- `shape.py`: reshape, permute, expand, ..., getitem, cat, stack, pad, diagonal, meshgrid;
- `linalg.py`: matmul, bmm, einsum, and dot, mv, outer, addmm, tensordot composed from matmul.

In each file a Function class (the math in its docstring) sits directly above the lowercase
function users call. This package re-exports the lowercase functions: `ops.add`, `ops.relu`.
"""

from .elementwise import (
    Abs, Add, Cast, Clip, Clone, Div, Exp, LeakyReLU, Log, Maximum, Minimum, Mul, Neg, Pow,
    PowScalar, ReLU, Sigmoid, Sqrt, Sub, Tanh, ToDevice, Where, abs, add, cast, clamp, clip,
    compare, div, exp, leaky_relu, log, maximum, minimum, mul, neg, operands, pow, promote, relu,
    sigmoid, sqrt, stable_sigmoid, sub, tanh, to_device, to_tensor, where, clone, contiguous,
    Cos, Log2, Log10, Sin, allclose, cos, isclose, log2, log10, sin, isfinite, isinf, isnan,
    Log1p, Rounding, ceil, floor, log1p, round, sign,
    FloorDivide, Remainder, addcdiv, addcmul, floor_divide, fmod, lerp, remainder,
    Reciprocal, Rsqrt, TruncDivide, equal, reciprocal, rsqrt, square,
    Atan2, Erf, Exp2, Expm1, Tan, arctan2, atan2, erf, erf_array, clamp_max, clamp_min, divide, exp2, expm1, fix,
    logical_and, logical_not, logical_or, logical_xor, multiply, nan_to_num, negative, subtract,
    tan, true_divide, trunc,
)
from .linalg import Einsum, MatMul, addmm, bmm, dot, einsum, ger, matmul, mm, mv, outer, tensordot
from .reduce import (
    Max, Mean, Min, Sum, Var, argmax, argmin, max, mean, min, normalize_dims, std, sum, var,
    CumSum, Prod, ValuesIndices, amax, amin, cumsum, prod, sort, topk, Norm, norm, argsort,
    all, any,
    CumProd, count_nonzero, cumprod, unique,
)
from .shape import (
    Cat, Expand, GetItem, Pad, Permute, Reshape, Stack, cat, expand, flatten, getitem, index_data,
    pad, permute, reshape, squeeze, stack, transpose, unsqueeze,
    Gather, IndexPut, Scatter, chunk, index_put, gather, index_select, masked_fill, repeat, scatter, split, tile,
    Triangle, masked_select, nonzero, tril, triu, unbind,
    ScatterAdd, flip, index_add, roll, scatter_add,
    broadcast_to, index_fill, narrow, t,
    Diagonal, broadcast_tensors, diag, diagonal, diff, meshgrid, moveaxis, movedim, repeat_interleave,
    swapaxes, swapdims, unflatten,
)
from .softmax import LogSoftmax, LogSumExp, Softmax, log_softmax, logsumexp, softmax

