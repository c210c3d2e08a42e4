"""The autograd engine: Function, the grad-mode switches, and backward.

A Function's `forward` and `backward` work on raw arrays (NumPy or CuPy). Calling a Function
on Tensors unwraps them, runs `forward`, and, when gradients are wanted, records the inputs on
the Function and the Function on the output (`out._ctx`). That record is the graph. `backward`
walks it once in reverse topological order.

Decision: backward builds no graph, so there is no double backward (see docs/autograd.md).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import numpy as np

from . import backend

if TYPE_CHECKING:
    from .tensor import Tensor

# ***** grad mode *****

_grad_enabled = True


def is_grad_enabled() -> bool:
    return _grad_enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Context manager (and decorator) that turns graph recording on or off, and restores the
    previous mode on exit, also when an exception is raised. Called as a plain function,
    `set_grad_enabled(False)` switches the mode until changed again (as in PyTorch).

    >>> import minigrad
    >>> x = minigrad.ones(3, requires_grad=True)
    >>> with minigrad.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __init__(self, mode: bool):
        global _grad_enabled
        self.mode = bool(mode)
        self.prev: list[bool] = []  # a stack, so one instance can be re-entered
        self.before = None
        if type(self) is set_grad_enabled:  # as torch: a plain call `set_grad_enabled(False)`
            self.before, _grad_enabled = _grad_enabled, self.mode  # switches the mode at once

    def __enter__(self):
        global _grad_enabled
        before, self.before = self.before, None  # `with` restores the mode from before __init__
        self.prev.append(_grad_enabled if before is None else before)
        _grad_enabled = self.mode

    def __call__(self, func):
        global _grad_enabled
        if self.before is not None:  # a decorator: undo what __init__ switched
            _grad_enabled, self.before = self.before, None
        return super().__call__(func)

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.prev.pop()
        return False


class no_grad(set_grad_enabled):
    """Do not record the graph: outputs do not require grad and hold no inputs alive."""

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record the graph again, e.g. inside a `no_grad()` block."""

    def __init__(self):
        super().__init__(True)


# ***** Function *****


def _array_module(fn, inputs, arrays):
    """The array module of the inputs; all non-scalar inputs must live on one device."""
    kind = None  # the array type of the first non-scalar input
    for a in arrays:
        if isinstance(a, np.generic):  # a constant number goes with any device
            continue
        if kind is None:
            kind = type(a)
        elif type(a) is not kind:
            raise TypeError(
                f"{type(fn).__name__}: inputs are on different devices "
                f"({', '.join(repr(t.device) for t in inputs)}); move them with .to(device)"
            )
    return backend.get_array_module(*arrays)


def _new_tensor(data, requires_grad: bool) -> Tensor:
    """Wrap an op's output without Tensor.__init__'s input checks (this runs for every op)."""
    t = _Tensor.__new__(_Tensor)
    t.data, t.grad, t._ctx, t._versions, t.requires_grad = data, None, None, [0], requires_grad
    return t


_ndarray, _generic = np.ndarray, np.generic
_Tensor = None  # minigrad.tensor.Tensor, set by tensor.py (it imports this module first)


class Function:
    """Base class of differentiable ops. Subclasses define `forward(*arrays)` and
    `backward(gy)`, which returns one gradient (or None) per input, each at gy's shape or at
    the input's shape: the engine sums broadcast gradients back to each input's shape.

    Attributes set for forward/backward: `self.xp` (the array module of the inputs) and
    `self.needs_input_grad` (one bool per input).
    """

    def __call__(self, *inputs: Tensor) -> Tensor:
        arrays = [t.data for t in inputs]
        # NOTE: this runs for every op, so the common case (all NumPy) is checked first
        xp = np
        for a in arrays:
            if type(a) is not _ndarray and not isinstance(a, _generic):
                xp = _array_module(self, inputs, arrays)
                break
        self.xp = xp
        self.needs_input_grad = needs = tuple([t.requires_grad for t in inputs])
        hook = anomaly_hook
        if hook is not None:
            hook.before_forward(self)
        try:
            y = self.forward(*arrays)
        except ValueError as e:  # e.g. shapes that do not broadcast: say which op and shapes
            shapes = ", ".join(str(t.shape) for t in inputs)
            raise ValueError(f"{type(self).__name__} of shapes {shapes}: {e}") from None
        # integer/bool outputs have no gradient (R2.8)
        record = _grad_enabled and True in needs and y.dtype.kind == "f"
        out = _new_tensor(y, record)
        if record:
            self.inputs = inputs
            self.versions = [t._versions[0] for t in inputs]  # to detect in-place changes (R2.9)
            out._ctx = self
        if hook is not None:
            hook.after_forward(self, y)
        return out

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"


# Set by minigrad.debug (detect_anomaly, record_grad_norms); None costs one comparison per op.
# Protocol: before_forward(fn), after_forward(fn, out_array), after_backward(fn, gy, in_grads).
anomaly_hook = None


# ***** backward *****


def unbroadcast(grad, shape: tuple):
    """Sum `grad` back to `shape`: the one place where broadcasting is undone.

    Broadcasting (i) prepends size-1 axes and (ii) stretches size-1 axes; the gradient is
    summed over both, in that order.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead:
        grad = grad.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def _owner(a):
    while getattr(a, "base", None) is not None:  # follow views to the array that owns memory
        a = a.base
    return id(a)


def _toposort(root: Tensor) -> list[Function]:
    """The Functions that lead to `root` (root's last), each after every Function that made one
    of its inputs. Leaves need no place in the order: their gradients are only summed.

    An iterative post-order depth-first search: the recursive version hits Python's recursion
    limit on long graphs (R2.2)."""
    order, visited = [], set()
    stack = [(root._ctx, False)]
    while stack:
        fn, expanded = stack.pop()
        if expanded:  # every Function that made one of fn's inputs is in `order` now
            order.append(fn)
            continue
        if id(fn) in visited:
            continue
        visited.add(id(fn))
        if not hasattr(fn, "inputs"):
            raise RuntimeError(
                "Trying to backward through the graph a second time: its saved arrays were freed "
                "by the first backward(). Pass retain_graph=True to the first call to keep them."
            )
        stack.append((fn, True))
        for t in fn.inputs:
            if t._ctx is not None and id(t._ctx) not in visited:
                stack.append((t._ctx, False))
    return order


def backward(root: Tensor, grad, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf), weighted by `grad`, into `.grad` of every leaf that
    requires grad. Intermediate gradients live in a local dict and are dropped as used."""
    grads = {id(root._ctx): grad}  # the gradient of each Function's output, by Function
    leaves = {}  # id(leaf) -> [leaf, the sum of the gradients that reached it]
    if root._ctx is None:  # root is itself a leaf
        leaves[id(root)] = [root, grad]
    for fn in reversed(_toposort(root) if root._ctx is not None else []):
        g = grads.pop(id(fn), None)
        if g is None:
            continue
        in_grads = fn.backward(g)
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        if anomaly_hook is not None:
            anomaly_hook.after_backward(fn, g, in_grads)  # g: the grad of fn's output
        for inp, gi, version in zip(fn.inputs, in_grads, fn.versions):
            if inp._versions[0] != version:  # fn's saved arrays are stale: gi is wrong (R2.9)
                raise RuntimeError(
                    f"{type(fn).__name__}: its input of shape {inp.shape} was modified by an "
                    f"in-place operation after use (version {inp._versions[0]}, expected {version})"
                )
            if gi is None or not inp.requires_grad:
                continue
            if gi.shape != inp.data.shape:
                gi = unbroadcast(gi, inp.data.shape)
            # fan-out: a tensor used twice gets the sum of both gradients (R2.1); never +=,
            # since gi may be the very array another input received (Add returns gy, gy)
            if inp._ctx is None:
                entry = leaves.get(id(inp))
                if entry is None:
                    leaves[id(inp)] = [inp, gi]
                else:
                    entry[1] = entry[1] + gi
            else:
                key = id(inp._ctx)
                prev = grads.get(key)
                grads[key] = gi if prev is None else prev + gi
        if not retain_graph:
            fn.__dict__.clear()  # free saved arrays and inputs; a 2nd backward raises

    owners = {_owner(grad)}  # arrays a leaf's .grad may not share memory with
    for leaf, g in leaves.values():
        if leaf.grad is not None:
            leaf.grad = _new_tensor(leaf.grad.data + g, False)  # accumulate across backward() calls
            continue
        # copy if the same array reached another leaf (R2.5), or if g is a read-only broadcast
        # view (Sum's backward; one-element views count as contiguous, so ask for writeable):
        # .grad must be a plain array that users may update in place (CuPy has no such flag)
        owner = _owner(g)
        if owner in owners or not g.flags.c_contiguous or not getattr(g.flags, "writeable", True):
            g = g.copy()
            owner = id(g)
        owners.add(owner)
        leaf.grad = _new_tensor(g, False)
