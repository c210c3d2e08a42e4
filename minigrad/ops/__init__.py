"""Differentiable primitive ops, one file per family:

- `elementwise.py`: arithmetic, unary math, activations, cast/to_device/clone, comparisons,
  nan_to_num;
- `reduce.py`: sum, mean, max, min, var, std, argmax, argmin, cumsum, cumprod, sort, unique;
- `softmax.py`: softmax, log_softmax, logsumexp;
- `shape.py`: reshape, permute, expand, ..., getitem, cat, stack, pad, diagonal;
- `linalg.py`: matmul, bmm, einsum;
- `composed.py`: the rest of PyTorch's tensor API built from the ops above (lerp, addcmul,
  logical ops, flip, roll, narrow, movedim, repeat_interleave, meshgrid, diff, dot, outer,
  tensordot, ...): no backward of their own.

In each file a Function class (the math in its docstring) sits directly above the lowercase
function users call. This package re-exports the lowercase functions: `ops.add`, `ops.relu`.
"""

from .elementwise import (
    Abs, Add, Cast, Clip, Clone, Div, Exp, LeakyReLU, Log, Maximum, Minimum, Mul, Neg, Pow,
    PowScalar, ReLU, Sigmoid, Sqrt, Sub, Tanh, ToDevice, Where, abs, add, cast, clamp, clip,
    compare, div, exp, leaky_relu, log, maximum, minimum, mul, neg, operands, pow, promote,
    relu, sigmoid, sqrt, stable_sigmoid, sub, tanh, to_device, to_tensor, where, clone,
    contiguous, Cos, Log2, Log10, Sin, allclose, cos, isclose, log2, log10, sin, isfinite,
    isinf, isnan, Log1p, Rounding, ceil, floor, log1p, round, sign, FloorDivide, Remainder,
    floor_divide, fmod, remainder, Reciprocal, Rsqrt, TruncDivide, reciprocal, rsqrt, Atan2,
    Erf, Exp2, Expm1, Tan, arctan2, atan2, erf, erf_array, divide, exp2, expm1, fix, multiply,
    nan_to_num, negative, subtract, tan, true_divide, trunc,
)
from .linalg import (
    Einsum, MatMul, bmm, einsum, matmul, mm,
)
from .reduce import (
    Max, Mean, Min, Sum, Var, argmax, argmin, max, mean, min, normalize_dims, std, sum, var,
    CumSum, Prod, ValuesIndices, amax, amin, cumsum, prod, sort, topk, Norm, norm, argsort,
    CumProd, cumprod, unique, all, any,
)
from .shape import (
    Cat, Expand, GetItem, Pad, Permute, Reshape, Stack, cat, expand, flatten, getitem,
    index_data, pad, permute, reshape, squeeze, stack, transpose, unsqueeze, Gather, IndexPut,
    Scatter, chunk, index_put, gather, index_select, masked_fill, repeat, scatter, split, tile,
    Triangle, masked_select, nonzero, tril, triu, unbind, ScatterAdd, index_add, scatter_add,
    broadcast_to, t, Diagonal, diagonal,
)
from .composed import (  # composed from the ops above: no backward of their own
    addcdiv, addcmul, addmm, broadcast_tensors, clamp_max, clamp_min, count_nonzero,
    diag, diff, dot, equal, flip, ger, index_fill, lerp, logical_and, logical_not, logical_or,
    logical_xor, meshgrid, moveaxis, movedim, mv, narrow, outer, repeat_interleave, roll,
    square, swapaxes, swapdims, tensordot, unflatten,
)
from .softmax import LogSoftmax, LogSumExp, Softmax, log_softmax, logsumexp, softmax

