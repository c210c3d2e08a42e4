"""Linear algebra: the batched matrix product."""

from __future__ import annotations

from .. import dtypes
from ..autograd import Function
from ..tensor import Tensor
from .elementwise import operands


class MatMul(Function):
    """y = a @ b (batched, with NumPy's rules for 1-d operands)"""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, gy):
        xp, a, b = self.xp, self.a, self.b
        # treat 1-d operands as matrices: a (n,) -> (1, n), b (n,) -> (n, 1)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = gy[..., None] if b.ndim == 1 else gy  # give gy back the axes 1-d operands lost
        if a.ndim == 1:
            g2 = g2[..., None, :]
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = g2 @ xp.swapaxes(b2, -1, -2)  # dL/da = gy b^T
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if self.needs_input_grad[1]:
            gb = xp.swapaxes(a2, -1, -2) @ g2  # dL/db = a^T gy
            if b.ndim == 1:
                gb = gb[..., 0]
        return ga, gb


def matmul(a, b) -> Tensor:
    """Matrix product with batching and broadcasting of leading dims (`a @ b`)."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):  # as PyTorch: no silent promotion
        dtypes.check_same_dtype("matmul", a, other=b)
    a, b = operands(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least 1 dim, got shapes {a.shape} and {b.shape}")
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != k_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not line up ({a.shape[-1]} != {k_b})")
    return MatMul()(a, b)
