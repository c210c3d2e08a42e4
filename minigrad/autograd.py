"""The autograd engine: the `Function` base class and `backward`.

A Function's `forward` and `backward` work on raw arrays (NumPy or CuPy). Calling a Function
on Tensors unwraps them, runs `forward`, and, when gradients are wanted, records the inputs on
the Function and the Function on the output (`out._ctx`). That record is the graph. `backward`
orders it once and walks it in reverse. The safety nets (in-place change checks, the rules for
leaf gradients, the debug hook) are small helpers below `backward`.

With `create_graph=True` the backward pass is itself recorded, so it can be differentiated again
(Function.backward_as_graph; docs/autograd.md, "Backward is a graph too"): that part, with
`grad` and `Transposed`, is in higher_order.py; PyTorch-style Functions (`Function.apply`,
`FunctionCtx`) are in function_ctx.py. Both are re-exported here.
"""

from __future__ import annotations

import copy
import sys

import numpy as np

from . import backend, dtypes, grad_mode
from .tensor import Tensor, wrap

# True once any tensor got a hook or retain_grad(): until then backward never looks for hooks
# on leaves (reading an unset slot costs a caught AttributeError per leaf).
hooks_used = False

# Set by minigrad.debug (detect_anomaly, record_grad_norms); None costs one comparison per op.
# Protocol: after_forward(fn, out_array), after_backward(fn, gy, in_grads).
anomaly_hook = None
_ndarray, _generic = np.ndarray, np.generic  # looked up once, not once per op


class Function:
    """Base class of differentiable ops: subclass it to add one.

    `fn(*tensors)`, i.e. `Function.__call__`, does four things:

    1. unwraps the input Tensors to arrays and sets `self.xp`, the array module of the inputs
       (numpy, or cupy for "cuda"; inputs on different devices raise TypeError), and
       `self.needs_input_grad`, one bool per input;
    2. calls `self.forward(*arrays)`, which returns one array;
    3. wraps that array in a new Tensor;
    4. if grad mode is on, an input requires grad and the output is floating point, records the
       graph: `self.inputs` (the Tensors), their in-place versions, and `out._ctx = self`.

    `forward(*arrays)` gets arrays and returns an array; save on `self` what backward needs.
    Compute with `self.xp`, never `np`, so the op also runs on CuPy. Options (an axis, a
    slope) go to `__init__`.

    `backward(gy)` gets the gradient of the output (an array of the output's shape) and returns
    one gradient per input (a tuple for several inputs; None where `needs_input_grad` is False).
    A gradient may have the broadcast shape: the engine sums it back to the input's shape.

    A complete op, y = x^3, checked against finite differences:

    >>> import minigrad
    >>> from minigrad.autograd import Function
    >>> from minigrad.testing import gradcheck
    >>> class Cube(Function):
    ...     def forward(self, x):
    ...         self.x = x                           # saved for backward
    ...         return x * x * x
    ...     def backward(self, gy):
    ...         return gy * 3 * self.x * self.x      # dy/dx = 3 x^2
    >>> x = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64, requires_grad=True)
    >>> Cube()(x).sum().backward()
    >>> x.grad
    tensor([ 3., 12.], dtype=float64)
    >>> gradcheck(lambda x: Cube()(x), x)
    True

    A Function instance is used once: call `Cube()(x)`, not one instance for several calls.
    More in docs/extending.md.

    Higher-order gradients (`backward(create_graph=True)`) need the class attribute
    `double_backward` (see its comment below); Cube above would declare
    `double_backward = "recompute"`, as its formulas use only operators.
    """

    def __call__(self, *inputs: Tensor) -> Tensor:
        arrays = [t.array for t in inputs]
        xp = np
        for a in arrays:  # NOTE: runs for every op, so the common case (all NumPy) goes first
            if type(a) is not _ndarray and not isinstance(a, _generic):
                xp = _array_module(self, inputs, arrays)
                break
        self.xp = xp
        self.needs_input_grad = needs = tuple([t.requires_grad for t in inputs])
        try:
            y = self.forward(*arrays)
        except ValueError as e:  # e.g. shapes that do not broadcast: say which op and shapes
            shapes = ", ".join(str(t.shape) for t in inputs)
            raise dtypes.ShapeError(f"{type(self).__name__} of shapes {shapes}: {e}") from None
        if type(y) is not _ndarray and isinstance(y, _generic):
            # NumPy returns a scalar from an op on 0-d arrays; keep it an array, since a scalar
            # operand is how the ops recognise a constant number (see ops.cast)
            y = np.asarray(y)
        # integer/bool outputs have no gradient
        record = grad_mode.state.enabled and True in needs and y.dtype.kind == "f"
        out = wrap(y, record)
        if record:
            self.inputs = inputs
            self.versions = [t._versions[0] for t in inputs]  # see _check_versions
            self.out_versions = out._versions  # the output's counter: backward may read it too
            out._ctx = self
        if anomaly_hook is not None:
            anomaly_hook.after_forward(self, y)
        if self.commit is not None:  # side effects, only once forward's result passed the checks
            self.commit()
        return out

    out_version = 0  # the output's in-place counter when made (see _check_versions)
    _hook_owner = None  # the output Tensor, set only when it has hooks (see Tensor.register_hook)
    # A forward that changes state outside the graph (BatchNorm's running statistics) sets
    # `self.commit` to a function doing it; it runs after the anomaly check of the output, so
    # a NaN caught by detect_anomaly() never reaches that state.
    commit = None

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError

    # How backward(create_graph=True) records this Function's backward (backward_as_graph):
    #   "recompute": forward and backward are written with `self.xp` only (no NumPy-only call,
    #       no in-place write); both are re-run on Tensors, so the saved values are recomputed
    #       as differentiable functions of the inputs (tanh's y, BatchNorm's xhat);
    #   "constants": backward is linear in gy with coefficients that are locally constant
    #       (relu's mask, max's winners): backward runs on the Tensor gy with the saved arrays;
    #   "linear": forward is linear in its inputs (reshape, sum, getitem, cat): its backward is
    #       the transposed map, recorded as a `Transposed` node whose own backward is forward;
    #   "composed": a fused op (BatchNorm, cross-entropy) whose `composed(*inputs)` builds the same
    #       output from primitive ops; its recorded backward is that graph's, differentiated
    #       with create_graph (so the fused first-order formula is not written a second time);
    #   None: not supported yet (a clear error, never a silently wrong second derivative).
    double_backward = None

    def linear_part(self) -> Function:
        """For a "linear" op: a copy whose forward is the linear map alone (Pad overrides it to
        drop its fill value); see Transposed."""
        return copy.copy(self)

    def backward_as_graph(self, gy: Tensor):
        """backward(gy) recorded as a graph, for backward(create_graph=True): the same
        backward formula, run so that minigrad records it (see `double_backward`)."""
        return higher_order.backward_as_graph(self, gy)

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"

    @classmethod
    def apply(cls, *args):
        """Run a Function written PyTorch's way: static `forward(ctx, *args)` and
        `backward(ctx, *grads)` that take and return Tensors, `ctx.save_for_backward(...)`,
        `ctx.saved_tensors`, `ctx.needs_input_grad` (one bool per argument). Arguments that are
        not Tensors are passed through; backward returns None for them.

        >>> import minigrad
        >>> from minigrad.autograd import Function
        >>> class Scale(Function):
        ...     @staticmethod
        ...     def forward(ctx, x, k):
        ...         ctx.k = k
        ...         ctx.save_for_backward(x)
        ...         return x * k
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (x,) = ctx.saved_tensors
        ...         return grad * ctx.k, None
        >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
        >>> Scale.apply(x, 3.0).sum().backward()
        >>> x.grad
        tensor([3., 3.])
        """
        return FunctionCtx(cls, args)(*[a for a in args if isinstance(a, Tensor)])


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


# ***** backward: order the graph, then walk it in reverse *****


def backward(root: Tensor, grad, retain_graph: bool = False, create_graph: bool = False,
             inputs=None) -> None:
    """Accumulate d(root)/d(leaf), weighted by `grad`, into `.grad` of every leaf that
    requires grad (only of the tensors in `inputs`, if given). Intermediate gradients live in
    a local dict and are dropped as used. With `create_graph`, the gradients are Tensors
    computed by recorded ops (see Function.backward_as_graph), so they can be differentiated."""
    if inputs is None:
        leaves, _ = _walk([root], [grad], retain_graph, create_graph, ())
    else:
        leaves, captured = _walk([root], [grad], retain_graph, create_graph, inputs)
        wanted = {id(t) for t in inputs}
        leaves = {k: v for k, v in leaves.items() if k in wanted}
        for t in inputs:  # a non-leaf named in inputs gets its .grad as a leaf would
            if t._ctx is not None and id(t) in captured:
                leaves[id(t)] = [t, captured[id(t)]]
    _set_leaf_grads(leaves, grad)


def _walk(roots, root_grads, retain_graph, create_graph, capture, prune=False):
    """Backpropagate from `roots` (weighted by `root_grads`) through the graph. Returns
    ({id(leaf): [leaf, gradient]}, {id(t): gradient} for the non-leaf tensors in `capture`).

    Gradients are raw arrays, or with `create_graph` Tensors made by recorded ops."""
    if create_graph:
        root_grads = [g if isinstance(g, Tensor) else wrap(g) for g in root_grads]
        with grad_mode.enable_grad():
            return _walk_arrays(roots, root_grads, retain_graph, True, capture, prune)
    root_grads = [g.array if isinstance(g, Tensor) else g for g in root_grads]
    return _walk_arrays(roots, root_grads, retain_graph, False, capture, prune)


def _walk_arrays(roots, root_grads, retain_graph, create_graph, capture, prune=False):
    grads = {}  # the gradient of each Function's output, by Function
    leaves = {}  # id(leaf) -> [leaf, the sum of the gradients that reached it]
    for r, g in zip(roots, root_grads):
        if r._ctx is None:  # a root that is itself a leaf
            entry = leaves.setdefault(id(r), [r, None])
            entry[1] = g if entry[1] is None else entry[1] + g
        else:
            prev = grads.get(id(r._ctx))
            grads[id(r._ctx)] = g if prev is None else prev + g
    # the non-leaf tensors whose gradient the caller wants, by the Function that made them
    want = {id(t._ctx): t for t in capture if t._ctx is not None}
    captured = {}
    hooks = hooks_used  # False until a tensor gets a hook: the loop then skips the lookup
    inner = [r for r in roots if r._ctx is not None]
    order = toposort(*inner) if inner else []
    needed = _leading_to(order, capture) if prune else None
    for fn in reversed(order):
        g = grads.pop(id(fn), None)
        if g is None:  # no path from fn to root carries a gradient
            continue
        if hooks and fn._hook_owner is not None:  # retain_grad / register_hook on fn's output
            g = run_tensor_hooks(fn._hook_owner, g)
        if want and id(fn) in want:
            captured[id(want[id(fn)])] = g
        if needed is not None and id(fn) not in needed:
            continue  # grad(): nothing this Function leads to was asked for
        if create_graph:
            in_grads = fn.backward_as_graph(g)
        else:
            in_grads = fn.backward(g)
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        if anomaly_hook is not None:  # g: the grad of fn's output
            if create_graph:
                anomaly_hook.after_backward(fn, g.array, tuple(None if x is None else _raw(x) for x in in_grads))
            else:
                anomaly_hook.after_backward(fn, g, in_grads)
        _check_versions(fn)
        for inp, gi in zip(fn.inputs, in_grads):
            if gi is None or not inp.requires_grad:
                continue
            if create_graph and not isinstance(gi, Tensor):  # a constant formula (zeros_like)
                gi = wrap(gi)
            if gi.shape != inp.array.shape:
                gi = unbroadcast(gi, inp.array.shape)
            # fan-out: a tensor used twice gets the sum of both gradients; never +=, since gi
            # may be the very array another input received (Add returns gy, gy)
            if inp._ctx is None:
                entry = leaves.setdefault(id(inp), [inp, None])
                entry[1] = gi if entry[1] is None else entry[1] + gi
            else:
                prev = grads.get(id(inp._ctx))
                grads[id(inp._ctx)] = gi if prev is None else prev + gi
        if not retain_graph:
            fn.__dict__.clear()  # free saved arrays and inputs; a 2nd backward raises
    return leaves, captured


def _raw(x):
    return x.array if isinstance(x, Tensor) else x


def toposort(root: Tensor, *more: Tensor) -> list[Function]:
    """The Functions that lead to `root` (and to the roots in `more`), each after every
    Function that made one of its inputs. Leaves need no place in the order: their gradients are only summed.

    An iterative post-order depth-first search: a recursive one hits Python's recursion limit
    on long graphs."""
    order, visited = [], set()
    stack = [(r._ctx, False) for r in reversed((root,) + more)]
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


# ***** safety nets *****


def _check_versions(fn: Function) -> None:
    """Raise if an input of `fn` was changed in place after forward: fn's saved arrays are
    stale, so its gradients would be silently wrong. So does a change of fn's output (which
    exp, tanh, sigmoid, softmax, ... save), unless fn is linear: then backward reads neither."""
    for inp, version in zip(fn.inputs, fn.versions):
        if inp._versions[0] != version:
            raise RuntimeError(
                f"{type(fn).__name__}: its input of shape {inp.shape} was modified by an "
                f"in-place operation after use (version {inp._versions[0]}, expected {version})"
            )
    if fn.out_versions[0] != fn.out_version and fn.double_backward != "linear":
        raise RuntimeError(
            f"{type(fn).__name__}: its output was modified by an in-place operation after use "
            f"(version {fn.out_versions[0]}, expected {fn.out_version}); its backward needs the old values. Use the "
            f"out-of-place form (`y = y * 2`), or change a clone"
        )


def _set_leaf_grads(leaves: dict, root_grad) -> None:
    """Store (or add to) each leaf's `.grad`, all or nothing: every new gradient is computed
    first, then all are assigned in one loop during which Ctrl-C is held back (see
    signals_deferred), so an interrupted backward leaves every `.grad` as it was or every one
    updated, never a mix that a following `opt.step()` would apply.

    A new `.grad` must be a plain, writeable array of its own that users may update in place:
    copy one that shares memory with another leaf's gradient or with the caller's `root_grad`,
    or that is a read-only broadcast view (Sum's backward; one-element views count as
    contiguous, so ask for writeable; CuPy has no flag)."""
    owners = {id(backend.memory_owner(_raw(root_grad)))}  # memory a new .grad may not share
    hooks, new = hooks_used, []
    for leaf, g in leaves.values():
        if hooks and getattr(leaf, "_hooks", None):
            g = run_tensor_hooks(leaf, g)
        if isinstance(g, Tensor):  # create_graph: .grad is a Tensor with a graph of its own
            new.append((leaf, g if leaf.grad is None else leaf.grad + g))
            continue
        if leaf.grad is not None:
            g = leaf.grad.array + g  # accumulate across backward() calls
            new.append((leaf, np.array(g) if isinstance(g, _generic) else g))
            continue
        if isinstance(g, _generic):  # NumPy gives a scalar for math on 0-d arrays
            g = np.array(g)
        owner = id(backend.memory_owner(g))
        if owner in owners or not g.flags.c_contiguous or not getattr(g.flags, "writeable", True):
            g = g.copy()
            owner = id(g)
        owners.add(owner)
        new.append((leaf, g))
    with signals_deferred():
        for leaf, g in new:
            leaf.grad = g if isinstance(g, Tensor) else wrap(g)


# Built on the engine above, so imported last (they import Function from here); the engine
# calls these by name, and `minigrad.autograd.grad`, `.Transposed`, `.FunctionCtx` work as in
# PyTorch.
from .autograd_helpers import check_root_grad, signals_deferred, run_tensor_hooks  # noqa: E402
from . import higher_order  # noqa: E402
from .higher_order import Transposed, _leading_to, grad  # noqa: E402
from .function_ctx import FunctionCtx  # noqa: E402

# `minigrad.autograd.functional` (jacobian, hessian, vhp, hvp): a module of its own, importable
# under this name as in PyTorch. Imported last: it needs grad().
from . import autograd_functional as functional  # noqa: E402

sys.modules[__name__ + ".functional"] = functional


# `torch.autograd.gradcheck` / `gradgradcheck` under PyTorch's signature: minigrad.testing's checks.
from .testing import GradcheckError, _torch_gradcheck as gradcheck, _torch_gradgradcheck as gradgradcheck  # noqa: E402,F401
