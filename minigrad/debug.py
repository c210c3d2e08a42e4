"""Debugging tools: anomaly mode, graph dumps (text and DOT), and gradient-norm recording.

    >>> import minigrad
    >>> from minigrad import debug
    >>> x = minigrad.tensor([1.0, 0.0], requires_grad=True)
    >>> with debug.detect_anomaly():  # doctest: +ELLIPSIS
    ...     y = x.log()
    Traceback (most recent call last):
    ...
    minigrad.debug.AnomalyError: Log (forward) produced -inf in 1 of 2 elements; its inputs were finite...

All of it works through one hook in the engine (`autograd.anomaly_hook`), which is None unless a
context manager below is active: normal runs pay one `is None` test per op and nothing else.
The graph walks are iterative, so a 50,000-op chain is fine (no recursion limit).
"""

from __future__ import annotations

import contextlib
import gc
import linecache
import os
import sys
import weakref
from dataclasses import dataclass

import numpy as np

from . import autograd, backend
from .tensor import Tensor

__all__ = [
    "AnomalyError", "detect_anomaly", "record_grad_norms", "GraphNode", "graph_nodes",
    "graph_summary", "print_graph", "to_dot",
]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


# ***** the hook: one dispatcher in autograd.anomaly_hook, many active users *****


class _Dispatch:
    """Forwards the engine's hook calls to every active tool (anomaly mode, grad recording)."""

    def __init__(self):
        self.active: list = []

    def after_forward(self, fn, y):
        for h in self.active:
            h.after_forward(fn, y)

    def after_backward(self, fn, gy, in_grads):
        for h in self.active:
            h.after_backward(fn, gy, in_grads)


_dispatch = _Dispatch()


class _HookContext(contextlib.ContextDecorator):
    """Installs a fresh hook object on enter and removes it on exit (also on exceptions)."""

    def _make(self):
        raise NotImplementedError

    def __enter__(self):
        self._hooks = getattr(self, "_hooks", [])
        h = self._make()
        self._hooks.append(h)
        _dispatch.active.append(h)
        autograd.anomaly_hook = _dispatch
        return h

    def __exit__(self, *exc):
        _dispatch.active.remove(self._hooks.pop())
        if not _dispatch.active:
            autograd.anomaly_hook = None  # back to zero cost
        return False


# ***** anomaly mode *****


class AnomalyError(RuntimeError):
    """Raised by `detect_anomaly()` at the first op whose forward or backward gives NaN or inf.

    Attributes: `op` (the Function's class name, e.g. "Log"), `phase` ("forward" or
    "backward") and `where` ("file:line in function" of the user code that created the op, or
    None if the op was created outside anomaly mode)."""

    def __init__(self, message: str, op: str, phase: str, where: str | None):
        super().__init__(message)
        self.op, self.phase, self.where = op, phase, where


def _nonfinite(a) -> str | None:
    """None if the float array `a` is all finite, else a description like '-inf in 1 of 2 elements'."""
    if a is None or getattr(a, "dtype", None) is None or a.dtype.kind not in "fc":
        return None
    xp = backend.get_array_module(a)
    if bool(xp.isfinite(a).all()):  # the common case: one reduction on the device
        return None
    h = np.asarray(backend.to_numpy(a))
    masks = (("nan", np.isnan(h)), ("inf", np.isposinf(h)), ("-inf", np.isneginf(h)))
    kinds = [k for k, m in masks if m.any()]
    bad = int((~np.isfinite(h)).sum())
    return f"{'/'.join(kinds)} in {bad} of {h.size} elements"


def _stack(skip: int) -> tuple:
    """(filename, lineno, function) of the callers, innermost first; cheap (no source lookup)."""
    frames, f = [], sys._getframe(skip)
    while f is not None and len(frames) < 12:
        frames.append((f.f_code.co_filename, f.f_lineno, f.f_code.co_name))
        f = f.f_back
    return tuple(frames)


def _inside_minigrad(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep)


def _describe_stack(frames) -> tuple[str | None, str]:
    """The user's line that created the op ('file:line in fn'), and a short traceback."""
    if not frames:
        return None, "  (created outside anomaly mode: run the forward pass inside detect_anomaly() too)"
    user = next((f for f in frames if not _inside_minigrad(f[0])), frames[-1])
    where = f"{user[0]}:{user[1]} in {user[2]}"
    lines = []
    for filename, lineno, name in reversed(frames[:6]):  # outermost first, like a traceback
        src = linecache.getline(filename, lineno).strip()
        mark = "  <-- here" if (filename, lineno, name) == user else ""
        lines.append(f'    File "{filename}", line {lineno}, in {name}{mark}')
        if src:
            lines.append(f"      {src}")
    return where, "  created at (most recent call last):\n" + "\n".join(lines)


class _Anomaly:
    def after_forward(self, fn, y):
        frames = _stack(4)  # skip _stack, this method, _Dispatch and Function.__call__
        if hasattr(fn, "inputs"):  # recorded for backward: keep where it was made, for later
            fn._anomaly_stack = frames
        bad = _nonfinite(y)
        if bad is None:
            return
        op = type(fn).__name__
        inputs = getattr(fn, "inputs", None)
        if inputs is None:
            cause = ""
        else:
            dirty = [i for i, t in enumerate(inputs) if _nonfinite(t.array)]
            cause = (f"; its input(s) {dirty} already held non-finite values (look before this op)"
                     if dirty else "; its inputs were finite")
        where, trace = _describe_stack(frames)
        raise AnomalyError(f"{op} (forward) produced {bad}{cause}.\n{trace}", op, "forward", where)

    def after_backward(self, fn, gy, in_grads):
        for i, gi in enumerate(in_grads):
            bad = _nonfinite(gi)
            if bad is None:
                continue
            op = type(fn).__name__
            shape = tuple(fn.inputs[i].shape) if hasattr(fn, "inputs") else "?"
            upstream = _nonfinite(gy)
            cause = (f"; the gradient it received already held {upstream} (a NaN grad passed to backward()?)"
                     if upstream else "; the gradient it received was finite")
            where, trace = _describe_stack(getattr(fn, "_anomaly_stack", ()))
            raise AnomalyError(
                f"{op} (backward) produced {bad} in the gradient of its input {i} (shape {shape}){cause}.\n"
                f"{trace}", op, "backward", where)


class detect_anomaly(_HookContext):
    """Context manager (or decorator): raise `AnomalyError` at the first op whose forward or
    backward produces NaN or inf, naming the op and the line of your code that created it.

    It checks every op's output (one reduction per op, so use it to debug, not to train). For an
    error in backward to say where the op was created, run the forward pass inside it too.

    Example:
        >>> import minigrad
        >>> from minigrad import debug
        >>> x = minigrad.tensor([0.0, 4.0], requires_grad=True)
        >>> with debug.detect_anomaly():  # doctest: +ELLIPSIS
        ...     y = x.sqrt()                  # forward is fine: [0, 2]
        ...     y.backward(minigrad.ones(2))  # d sqrt(x)/dx at 0 = 1/(2*0) = inf
        Traceback (most recent call last):
        ...
        minigrad.debug.AnomalyError: Sqrt (backward) produced inf in 1 of 2 elements in the gradient of ...
    """

    def _make(self):
        return _Anomaly()


# ***** gradient norms of intermediate tensors *****

# Function -> norm of the gradient of the tensor it produced; weak, so graphs die normally.
_grad_norms: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _norm(a) -> float:
    xp = backend.get_array_module(a)
    linalg = getattr(xp, "linalg", None)
    if linalg is None:  # a minimal array module: do it on the host
        return float(np.linalg.norm(backend.to_numpy(a).ravel()))
    return float(linalg.norm(a.ravel()))


class _Recorder:
    def after_forward(self, fn, y):
        pass

    def after_backward(self, fn, gy, in_grads):
        with contextlib.suppress(TypeError):  # a Function that cannot be weakly referenced
            _grad_norms[fn] = _norm(gy)


class record_grad_norms(_HookContext):
    """Context manager: remember the gradient norm of every intermediate tensor reached by a
    `backward()` run inside it, so that `print_graph` can show it (leaves show `.grad` anyway).

    The engine frees a graph as it goes back through it, so pass `retain_graph=True` if you
    want to print the graph afterwards.

    Example:
        >>> import minigrad
        >>> from minigrad import debug
        >>> x = minigrad.tensor([3.0, 4.0], requires_grad=True)
        >>> y = x * x
        >>> with debug.record_grad_norms():
        ...     y.sum().backward(retain_graph=True)
        >>> [(n.op, round(n.grad_norm, 4)) for n in debug.graph_nodes(y)]  # |2x| = |[6, 8]|, |[1, 1]|
        [('leaf', 10.0), ('Mul', 1.4142)]
    """

    def _make(self):
        return _Recorder()


# ***** the graph behind a tensor *****


@dataclass(slots=True)
class GraphNode:
    """One tensor of the graph. `op` is the Function that made it ("Mul", "Linear", ...), or
    "Parameter", "leaf" (requires grad) or "const" for tensors made by no op. `inputs` are
    indices into the node list. `freed` means backward() already dropped this op's inputs."""

    index: int
    op: str
    shape: tuple
    dtype: str
    device: str
    inputs: tuple
    grad_norm: float | None
    name: str | None
    freed: bool
    tensor: Tensor


def _inputs(t: Tensor):
    ctx = t._ctx
    if ctx is None:
        return ()
    return ctx.__dict__.get("inputs", ())


def _name_map(names) -> dict:
    if names is None:
        return {}
    if hasattr(names, "named_parameters"):  # a Module: its parameters and buffers
        names = list(names.named_parameters()) + list(names.named_buffers())
    elif hasattr(names, "items"):
        names = names.items()
    return {id(t): n for n, t in names}


@contextlib.contextmanager
def _gc_paused():
    # NOTE: a walk allocates a tuple per node; each allocation burst triggers Python's cyclic
    # GC, which rescans the whole (large, live) graph: 5-10x slower on a 50,000-op chain.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def graph_nodes(t: Tensor, names=None) -> list[GraphNode]:
    """The tensors that lead to `t`, in topological order (each after its inputs; `t` last).

    Args:
        names: optional labels for leaves: a Module (its named parameters and buffers), a dict
            name -> Tensor, or (name, Tensor) pairs.
    """
    with _gc_paused():
        return _graph_nodes(t, _name_map(names))


def _graph_nodes(t: Tensor, label: dict) -> list[GraphNode]:
    from .nn.module import Parameter

    order, index, seen = [], {}, set()
    stack = [(t, False)]
    while stack:  # an iterative post-order DFS, like the engine's
        u, expanded = stack.pop()
        if expanded:
            index[id(u)] = len(order)
            order.append(u)
            continue
        if id(u) in seen:
            continue
        seen.add(id(u))
        stack.append((u, True))
        for inp in reversed(_inputs(u)):  # reversed: inputs come out in argument order
            if id(inp) not in seen:
                stack.append((inp, False))

    nodes, dtype_str, device_str = [], {}, {}  # caches: str(dtype) is slow in NumPy
    for i, u in enumerate(order):
        a = u.array
        if a.dtype not in dtype_str:
            dtype_str[a.dtype] = str(a.dtype)
        if type(a) not in device_str:
            device_str[type(a)] = u.device
        ctx = u._ctx
        if ctx is not None:
            op, grad_norm = type(ctx).__name__, _grad_norms.get(ctx)
        else:
            op = "Parameter" if isinstance(u, Parameter) else ("leaf" if u.requires_grad else "const")
            grad_norm = _norm(u.grad.array) if u.grad is not None else None
        nodes.append(GraphNode(
            index=i, op=op, shape=tuple(a.shape), dtype=dtype_str[a.dtype], device=device_str[type(a)],
            inputs=tuple(index[id(inp)] for inp in _inputs(u)), grad_norm=grad_norm,
            name=label.get(id(u)), freed=ctx is not None and "inputs" not in ctx.__dict__, tensor=u,
        ))
    return nodes


def graph_summary(t: Tensor, names=None) -> str:
    """A text table of the graph behind `t`: one line per tensor with its op, shape, dtype,
    device, inputs and gradient norm (leaves: of `.grad`; intermediate tensors: when recorded
    with `record_grad_norms()`; '-' when unknown).

    Example:
        >>> import minigrad
        >>> from minigrad import debug
        >>> w = minigrad.tensor([[1.0, 2.0]], requires_grad=True)
        >>> print(debug.graph_summary((w * 3).sum(), names={"w": w}))
        graph of 4 tensors, 2 ops
        #  op        shape   dtype    device  inputs  |grad|
        0  leaf 'w'  (1, 2)  float32  cpu             -
        1  const     ()      float32  cpu             -
        2  Mul       (1, 2)  float32  cpu     0, 1    -
        3  Sum       ()      float32  cpu     2       -
    """
    with _gc_paused():
        return _summary(graph_nodes(t, names))


def _summary(nodes: list[GraphNode]) -> str:
    rows = [("#", "op", "shape", "dtype", "device", "inputs", "|grad|")]
    for n in nodes:
        op = n.op + (f" {n.name!r}" if n.name else "") + (" *" if n.freed else "")
        grad = "-" if n.grad_norm is None else f"{n.grad_norm:.4g}"
        rows.append((str(n.index), op, str(n.shape), n.dtype, n.device, ", ".join(map(str, n.inputs)), grad))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    n_ops = sum(n.tensor.grad_fn is not None for n in nodes)
    lines = [f"graph of {len(nodes)} tensors, {n_ops} ops"]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    if any(n.freed for n in nodes):
        lines.append("* backward() freed this op's inputs, so the graph stops here: print before "
                     "backward(), or call backward(retain_graph=True)")
    return "\n".join(lines)


def print_graph(t: Tensor, names=None, file=None) -> None:
    """Print `graph_summary(t, names)`."""
    print(graph_summary(t, names), file=file)


def _dot_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(t: Tensor, names=None) -> str:
    """The graph behind `t` in Graphviz DOT: one node per tensor, one edge per input. Render it
    with `dot -Tsvg graph.dot -o graph.svg` or paste it into an online viewer; nothing here
    needs graphviz installed.

    Example:
        >>> import minigrad
        >>> from minigrad import debug
        >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
        >>> print(debug.to_dot(x.exp()))
        digraph minigrad {
          rankdir=LR;
          node [shape=box, fontname="Helvetica", fontsize=10];
          n0 [label="leaf\\n(2,) float32 cpu", style=filled, fillcolor=lightblue];
          n1 [label="Exp\\n(2,) float32 cpu", shape=ellipse];
          n0 -> n1;
        }
    """
    with _gc_paused():
        return _dot(graph_nodes(t, names))


def _dot(nodes: list[GraphNode]) -> str:
    out = ["digraph minigrad {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica", fontsize=10];']
    edges = []
    for n in nodes:
        head = n.op + (f" {n.name}" if n.name else "")
        label = f"{head}\n{n.shape} {n.dtype} {n.device}"
        if n.grad_norm is not None:
            label += f"\n|grad| {n.grad_norm:.4g}"
        if n.freed:
            label += "\n(inputs freed by backward)"
        label = _dot_quote(label).replace("\n", "\\n")
        if n.tensor.grad_fn is not None:
            style = ", shape=ellipse" + (", style=dashed" if n.freed else "")
        elif n.op == "const":
            style = ", style=dotted"
        else:
            style = ", style=filled, fillcolor=lightblue"
        out.append(f"  n{n.index} [label={label}{style}];")
        edges += [f"  n{i} -> n{n.index};" for i in n.inputs]
    return "\n".join(out + edges + ["}"])
