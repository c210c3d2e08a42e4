"""Helpers of the engine in autograd.py that a first reading can skip: checking the starting
gradient of backward, running tensor hooks, and holding back Ctrl-C while `.grad` is written.
"""

from __future__ import annotations

import signal
import threading

from . import backend, dtypes
from .tensor import Tensor, wrap


def check_root_grad(y: Tensor, g, who: str):
    """The starting gradient for output `y`: `g` checked, or 1 for a one-element output."""
    if g is None:
        if y.array.size != 1:
            raise RuntimeError(
                f"{who}: grad can be implied only for one-element outputs, got shape {y.shape}; "
                "pass a gradient of that shape")
        return backend.get_array_module(y.array).ones_like(y.array)
    if isinstance(g, Tensor) and g.requires_grad:
        return g  # kept as a Tensor: create_graph may differentiate through it
    g = g.array if isinstance(g, Tensor) else g
    if backend.device_of(g) != y.device:
        raise TypeError(f"{who}: grad is on {backend.device_of(g)!r}, tensor on {y.device!r}")
    if g.shape != y.shape:
        raise dtypes.ShapeError(f"{who}: grad has shape {g.shape}, tensor has shape {y.shape}")
    return g.astype(y.dtype, copy=False)


def run_tensor_hooks(t: Tensor, g):
    """Run t's hooks on its gradient `g` (each may return a replacement), then keep the result
    in t.grad if retain_grad() asked for it. Returns the gradient to pass on."""
    hooks = getattr(t, "_hooks", None) or {}
    graph = isinstance(g, Tensor)  # create_graph: gradients are Tensors and stay so
    for key, hook in list(hooks.items()):
        if key == "retain_grad":
            continue
        r = hook(g if graph else wrap(g))
        if r is not None:
            if not graph:
                r = r.array if isinstance(r, Tensor) else r
            if r.shape != g.shape:
                raise RuntimeError(f"a gradient hook returned shape {r.shape}, expected {g.shape}")
            g = r
    if "retain_grad" in hooks:
        if graph:
            t.grad = g if t.grad is None else t.grad + g
        else:
            t.grad = wrap(g.copy()) if t.grad is None else wrap(t.grad.array + g)
    return g


class signals_deferred:
    """Hold back SIGINT (Ctrl-C) for the duration of the block and deliver it at the end, so the
    block runs to completion. Only the main thread receives signals, so elsewhere this does
    nothing. Costs two signal.signal calls."""

    def __enter__(self):
        self.pending = False
        self.old = None
        if threading.current_thread() is threading.main_thread():
            self.old = signal.signal(signal.SIGINT, self._hold)
            if self.old is None:  # a handler installed from C: Python's default takes its place
                self.old = signal.default_int_handler

    def _hold(self, signum, frame):
        self.pending = True

    def __exit__(self, *exc):
        if self.old is not None:
            signal.signal(signal.SIGINT, self.old)
            if self.pending:  # now the interrupt the user asked for, through the usual handler
                signal.raise_signal(signal.SIGINT)
        return False
