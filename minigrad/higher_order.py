"""Higher-order gradients: what `backward(create_graph=True)` and `autograd.grad` add to the
engine in autograd.py. With create_graph the backward pass is itself recorded, so it can be
differentiated again (docs/autograd.md, "Backward is a graph too"):

- `backward_as_graph(fn, gy)`: one Function's backward, run so that minigrad records it (how,
  the Function's `double_backward` attribute says);
- `Transposed`: the recorded backward of a linear op;
- `grad`: gradients returned instead of added to `.grad`.
"""

from __future__ import annotations

import copy

from .autograd import Function, _walk, unbroadcast
from .autograd_helpers import check_root_grad
from .tensor import Tensor, wrap


def backward_as_graph(fn: Function, gy: Tensor):
    """fn.backward(gy) recorded as a graph (see Function.double_backward)."""
    mode = fn.double_backward
    if mode == "linear":
        return tuple(Transposed(fn, i)(gy) if need else None for i, need in enumerate(fn.needs_input_grad))
    if mode == "composed":
        wanted = [t for t in fn.inputs if t.requires_grad]
        gs = iter(grad(fn.composed(*fn.inputs), wanted, gy, create_graph=True, allow_unused=True))
        return tuple(next(gs) if t.requires_grad else None for t in fn.inputs)
    if mode not in ("recompute", "constants"):
        raise NotImplementedError(
            f"{type(fn).__name__} has no double backward yet: backward(create_graph=True) "
            "and autograd.grad(create_graph=True) cannot pass through it (a Function whose "
            "forward and backward use only self.xp and never write in place can declare "
            "double_backward = \"recompute\"; see Function.double_backward)")
    from .ops.namespace import tensor_xp

    twin = copy.copy(fn)  # fn keeps its arrays: a later first-order backward needs them
    twin.xp = tensor_xp
    if mode == "recompute":
        twin.forward(*fn.inputs)  # saved values become Tensors made by recorded ops
    return twin.backward(gy)


class Transposed(Function):
    """g_i = L_i^T gy: input i's part of the backward of a linear op L (reshape, sum, getitem,
    cat, ...). Recorded by backward(create_graph=True). Its own backward is L_i applied to v:
    the op's forward (its linear part: pad without its fill value) with v in slot i and zeros
    elsewhere, and that is linear again, so every order works."""

    double_backward = "linear"

    def __init__(self, op: Function, i: int):
        self.op, self.i = copy.copy(op), i  # a copy: backward may free op's saved state

    def forward(self, gy):
        g = self.op.backward(gy)
        g = g[self.i] if type(g) is tuple else g
        shape = self.op.inputs[self.i].shape
        return unbroadcast(g, shape) if g.shape != shape else g

    def backward(self, gv):
        xp, op = self.xp, self.op

        twin = op.linear_part()
        twin.xp = xp
        return twin.forward(*[gv if j == self.i else xp.zeros(t.shape, t.dtype) for j, t in enumerate(op.inputs)])

    def __repr__(self):
        return f"<Transposed{type(self.op).__name__}Backward>"


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """The gradients of `outputs` with respect to `inputs`, returned (not added to `.grad`).

    `outputs` and `inputs` are a Tensor or a sequence of Tensors; `grad_outputs` weights each
    output (default: 1 for one-element outputs). With `create_graph=True` the result is itself
    differentiable: grad of grad gives second derivatives. An input that no output depends on
    raises, or gives None with `allow_unused=True`. `retain_graph` defaults to `create_graph`.

    >>> import minigrad
    >>> from minigrad.autograd import grad
    >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    >>> (g,) = grad((x ** 3).sum(), x, create_graph=True)    # 3 x^2
    >>> (h,) = grad(g.sum(), x)                              # 6 x
    >>> g.detach(), h
    (tensor([ 3., 12.]), tensor([ 6., 12.]))
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    if retain_graph is None:
        retain_graph = create_graph
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError(f"grad: an input of shape {t.shape} does not require grad")
    gs = []
    for y, g in zip(outputs, grad_outputs):
        if not y.requires_grad:
            raise RuntimeError(f"grad: an output of shape {y.shape} does not require grad and has no graph")
        gs.append(check_root_grad(y, g, "grad()"))
    leaves, captured = _walk(outputs, gs, retain_graph, create_graph, inputs, prune=True)
    result = []
    for t in inputs:
        g = captured.get(id(t)) if t._ctx is not None else (leaves.get(id(t)) or [None, None])[1]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: an input of shape {t.shape} was not used to compute the outputs; "
                "pass allow_unused=True to get None for it")
        if g is not None and not isinstance(g, Tensor):
            g = wrap(g)
        result.append(g)
    return tuple(result)


def _leading_to(order, targets) -> set:
    """The ids of the Functions in `order` (inputs first) that have one of `targets` upstream:
    the only ones grad() must run."""
    ids = {id(t) for t in targets}
    needed = set()
    for fn in order:
        if any(id(t) in ids or (t._ctx is not None and id(t._ctx) in needed) for t in fn.inputs):
            needed.add(id(fn))
    return needed
