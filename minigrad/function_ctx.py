"""FunctionCtx: the graph node behind `Function.apply`, for Functions written PyTorch's way
(static `forward(ctx, ...)` and `backward(ctx, ...)` on Tensors; or PyTorch 2's `forward(...)`
without ctx plus `setup_context(ctx, inputs, output)`). The engine in autograd.py
sees an ordinary Function working on arrays; this class converts between the two.
"""

from __future__ import annotations

import copy

from . import grad_mode
from .autograd import Function
from .tensor import Tensor, wrap


class FunctionCtx(Function):
    """The graph node of a PyTorch-style Function (see Function.apply); it is the `ctx` that
    the user's static forward and backward receive. It turns the engine's arrays into Tensors
    for them and their Tensors back into arrays."""

    def __init__(self, cls, args):
        self._cls, self._args = cls, args
        self.saved_tensors = ()

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors):  # accepted for compatibility; outputs that are
        pass  # not floating point never get a gradient anyway

    def set_materialize_grads(self, value: bool):
        pass

    def forward(self, *arrays):
        it = iter(arrays)
        # the user's code sees fresh leaves (its ops must not be recorded: this node is the
        # record), holding the same memory as the inputs
        args = [wrap(next(it)) if isinstance(a, Tensor) else a for a in self._args]
        flags = iter(self.needs_input_grad)
        self.needs_input_grad = tuple(next(flags) if isinstance(a, Tensor) else False for a in self._args)
        with grad_mode.no_grad():
            if hasattr(self._cls, "setup_context"):  # PyTorch 2's style: forward takes no ctx,
                out = self._cls.forward(*args)  # setup_context(ctx, inputs, output) saves
                self._check_output(out)
                self._cls.setup_context(self, tuple(args), out)
            else:
                out = self._cls.forward(self, *args)
        self._check_output(out)
        return out.array

    def _check_output(self, out):
        if not isinstance(out, Tensor):
            raise TypeError(f"{self._cls.__name__}.forward must return one Tensor, got {type(out).__name__}")

    def backward(self, gy):
        with grad_mode.no_grad():
            grads = self._cls.backward(self, wrap(gy))
        grads = self._checked(grads)
        out = []
        for a, g in zip(self._args, grads):
            if isinstance(a, Tensor):
                out.append(None if g is None else (g.array if isinstance(g, Tensor) else g))
        return tuple(out)

    def backward_as_graph(self, gy):
        # the user's backward is written with Tensor ops already: run it with grad mode on, on
        # the real inputs in place of the forward-time stand-ins, and it is recorded
        by_array = {id(t.array): t for t in self.inputs}
        saved = []
        for t in self.saved_tensors:
            if isinstance(t, Tensor) and id(t.array) not in by_array:
                raise NotImplementedError(
                    f"{self._cls.__name__}: create_graph through a Function that saved a tensor "
                    "other than its inputs (an output, an intermediate) is not supported")
            saved.append(by_array[id(t.array)] if isinstance(t, Tensor) else t)
        twin = copy.copy(self)
        twin.saved_tensors = tuple(saved)
        grads = self._cls.backward(twin, gy)
        grads = self._checked(grads)
        return tuple(g for a, g in zip(self._args, grads) if isinstance(a, Tensor))

    def _checked(self, grads) -> tuple:
        """The user's backward result as a tuple of one gradient per forward argument."""
        if not isinstance(grads, tuple):
            grads = (grads,)
        n = len(self._args)
        if len(grads) > n and all(g is None for g in grads[n:]):
            grads = grads[:n]  # trailing Nones are ignored, as in PyTorch: a backward written for
            # an optional argument (`bias=None`) returns its None whether it was passed or not
        if len(grads) != n:
            raise RuntimeError(
                f"{self._cls.__name__}.backward returned {len(grads)} gradients; forward took "
                f"{len(self._args)} arguments (return None for the ones without a gradient)"
            )
        return grads

    def __repr__(self):
        return f"<{self._cls.__name__}Backward>"
