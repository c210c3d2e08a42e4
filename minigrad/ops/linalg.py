"""Linear algebra: the batched matrix product (matmul, and bmm, its strict 3-d form) and einsum."""

from __future__ import annotations

import string

import numpy as np

from .. import dtypes
from ..autograd import Function
from ..tensor import Tensor
from .elementwise import operands


class MatMul(Function):
    """y = a @ b (batched, with NumPy's rules for 1-d operands)"""

    double_backward = "recompute"

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
        raise dtypes.ShapeError(f"matmul: operands must have at least 1 dim, got shapes {a.shape} and {b.shape}")
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != k_b:
        raise dtypes.ShapeError(f"matmul: shapes {a.shape} and {b.shape} do not line up ({a.shape[-1]} != {k_b})")
    return MatMul()(a, b)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of (b, n, m) and (b, m, p) tensors, giving (b, n, p). Same as
    torch.bmm: both 3-d, the same batch size and dtype, no broadcasting (`matmul` broadcasts).

    >>> import minigrad
    >>> a, b = minigrad.ones(4, 2, 3), minigrad.ones(4, 3, 5)
    >>> minigrad.bmm(a, b).shape
    (4, 2, 5)
    """
    if not isinstance(input, Tensor) or not isinstance(mat2, Tensor):
        raise TypeError(f"bmm: expected two Tensors, got {type(input).__name__} and {type(mat2).__name__}")
    if input.ndim != 3 or mat2.ndim != 3:
        raise dtypes.ShapeError(f"bmm: expected two 3-d tensors (batch, n, m) and (batch, m, p), got shapes "
                         f"{input.shape} and {mat2.shape}")
    if input.shape[0] != mat2.shape[0]:
        raise dtypes.ShapeError(f"bmm: batch sizes differ: shapes {input.shape} and {mat2.shape} "
                         f"({input.shape[0]} != {mat2.shape[0]})")
    if input.shape[2] != mat2.shape[1]:
        raise dtypes.ShapeError(f"bmm: shapes {input.shape} and {mat2.shape} do not line up "
                         f"({input.shape[2]} != {mat2.shape[1]})")
    return matmul(input, mat2)


class Einsum(Function):
    """y = einsum(spec, *xs); the gradient of input k is the einsum of gy with the other inputs
    that produces input k's subscripts (a subscript missing there is summed over)"""

    def __init__(self, ins, out):
        self.ins, self.out = ins, out
        # for create_graph: one operand makes a linear map (a trace, a transpose, a sum);
        # several run backward's formulas on Tensors, except for the in-place placement of a
        # diagonal's gradient (a letter repeated within one operand): not yet
        if len(ins) == 1:
            self.double_backward = "linear"
        else:
            self.double_backward = None if any(len(set(s)) != len(s) for s in ins) else "recompute"

    def forward(self, *xs):
        self.xs = xs
        return self.xp.einsum(",".join(self.ins) + "->" + self.out, *xs)

    def backward(self, gy):
        xp, grads = self.xp, []
        for k, sub in enumerate(self.ins):
            if not self.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(self.ins) if j != k]
            arrays = [x for j, x in enumerate(self.xs) if j != k]
            # a letter repeated in sub (a diagonal) or only in sub (a sum) needs care: build
            # the gradient over sub's distinct letters, then place it
            letters = "".join(dict.fromkeys(sub))
            shape = {c: n for s, x in zip(self.ins, self.xs) for c, n in zip(s, x.shape)}
            missing = [c for c in letters if c not in self.out and all(c not in o for o in others)]
            g = xp.einsum(",".join([self.out] + others) + "->" + "".join(c for c in letters if c not in missing), gy, *arrays)
            if missing:
                g = xp.expand_dims(g, tuple(letters.index(c) for c in missing))
                g = xp.broadcast_to(g, tuple(shape[c] for c in letters))
            if letters != sub:  # a repeated letter: the gradient lives on the diagonal
                full = xp.zeros(self.xs[k].shape, dtype=gy.dtype)
                idx = xp.einsum(sub + "->" + letters, full)  # a writeable view of the diagonal
                idx[...] = g
                g = full
            grads.append(g)
        return tuple(grads)


def _spell_out_ellipsis(eq: str, ops_: list) -> tuple:
    """`eq` with each "..." replaced by letters of its own (right-aligned: an operand with fewer
    broadcast dims gets the last ones), and the operands with a size-1 broadcast dim expanded
    to the others' size (Expand's backward sums the gradient back). Without "->" the output
    is the broadcast dims, then the letters used once in alphabetical order, as torch's."""
    ins, out = eq.split("->") if "->" in eq else (eq, None)
    ins = ins.split(",")
    if len(ins) != len(ops_):
        raise ValueError(f"einsum: {eq!r} names {len(ins)} operands, got {len(ops_)}")
    if out is None:
        named = "".join(ins).replace(".", "")
        out = "..." + "".join(sorted(c for c in set(named) if named.count(c) == 1))
    ranks = []  # the number of dims each operand's "..." stands for
    for s, t in zip(ins, ops_):
        k = t.ndim - (len(s) - 3) if "..." in s else 0
        if k < 0 or s.count("...") > 1 or s.replace("...", "").count("."):
            raise ValueError(f"einsum: subscripts {s!r} for an operand of shape {t.shape}")
        ranks.append(k)
    nd = max(ranks)
    free = [c for c in string.ascii_letters if c not in eq]
    if nd > len(free):
        raise ValueError(f"einsum: too many dims for {eq!r}")
    letters = "".join(free[:nd])
    bshape = np.broadcast_shapes(*[tuple(t.shape[s.index("..."):s.index("...") + k]) if k else ()
                                   for s, t, k in zip(ins, ops_, ranks)]) if nd else ()
    new_ops = []
    for s, t, k in zip(ins, ops_, ranks):
        if k:
            at = s.index("...")
            want = t.shape[:at] + bshape[nd - k:] + t.shape[at + k:]
            if want != t.shape:  # a size-1 broadcast dim
                t = t.expand(*want)
        new_ops.append(t)
    spell = [s.replace("...", letters[nd - k:]) for s, k in zip(ins, ranks)]
    return ",".join(spell) + "->" + out.replace("...", letters), new_ops


def einsum(equation: str, *operands_) -> Tensor:
    """Einstein summation, as torch.einsum: `einsum("ij,jk->ik", a, b)`. The output subscripts
    may be omitted (implicit form); `...` stands for broadcast dims, as in torch.

    >>> import minigrad
    >>> a, b = minigrad.ones(5, 2, 3), minigrad.ones(3, 4)
    >>> minigrad.einsum("...ij,jk->...ik", a, b).shape
    (5, 2, 4)
    """
    if len(operands_) == 1 and isinstance(operands_[0], (list, tuple)):
        operands_ = tuple(operands_[0])
    eq = equation.replace(" ", "")
    if "..." in eq:
        try:
            eq, operands_ = _spell_out_ellipsis(eq, list(operands_))
        except ValueError as e:
            if "broadcast" not in str(e):
                raise
            raise ValueError(f"einsum: the dims of '...' do not broadcast in {equation!r} for shapes "
                             f"{[tuple(t.shape) for t in operands_]}") from None
    if "->" in eq:
        ins, out = eq.split("->")
    else:  # implicit: the letters used once, in alphabetical order
        ins = eq
        out = "".join(sorted(c for c in set(ins.replace(",", "")) if ins.replace(",", "").count(c) == 1))
    ins = ins.split(",")
    if len(ins) != len(operands_):
        raise ValueError(f"einsum: {equation!r} names {len(ins)} operands, got {len(operands_)}")
    for s, t in zip(ins, operands_):
        if len(s) != t.ndim:
            raise ValueError(f"einsum: subscripts {s!r} for an operand of shape {t.shape}")
    ts = list(operands_)
    for i in range(1, len(ts)):
        ts[0], ts[i] = operands(ts[0], ts[i])
    dt = ts[0].dtype
    ts = [t if t.dtype == dt else t.to(dtype=dt) for t in ts]
    return Einsum(ins, out)(*ts)


def mm(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product of two 2-d tensors (no broadcasting), as torch.mm."""
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: both operands must be 2-d, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    return matmul(a, b)


# ***** vector and matrix products composed from matmul: dot, mv, outer, addmm, tensordot *****


