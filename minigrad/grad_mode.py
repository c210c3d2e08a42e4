"""Grad mode: whether Functions record the graph. One flag per thread, as in PyTorch, so a
`no_grad()` block in a data-loading thread does not turn recording off in the training loop.

    >>> import minigrad
    >>> x = minigrad.ones(3, requires_grad=True)
    >>> with minigrad.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
"""

from __future__ import annotations

import contextlib
import threading


class _State(threading.local):
    enabled = True  # the class attribute is every new thread's starting value
    inference = False  # inside `inference_mode()`: only reported, it acts as `no_grad()`


state = _State()  # the engine reads `state.enabled` once per op


def is_grad_enabled() -> bool:
    return state.enabled


def is_inference_mode_enabled() -> bool:
    """True inside an `inference_mode()` block (as torch.is_inference_mode_enabled)."""
    return state.inference


class set_grad_enabled(contextlib.ContextDecorator):
    """Context manager (and decorator) that turns graph recording on or off, and restores the
    previous mode on exit, also when an exception is raised. Called as a plain function,
    `set_grad_enabled(False)` switches the mode until changed again (as in PyTorch).

    >>> import minigrad
    >>> with minigrad.set_grad_enabled(False):
    ...     minigrad.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.prev: list[bool] = []  # a stack, so one instance can be re-entered
        self.before = None
        if type(self) is set_grad_enabled:  # as torch: a plain call `set_grad_enabled(False)`
            self.before, state.enabled = state.enabled, self.mode  # switches the mode at once

    def __enter__(self):
        before, self.before = self.before, None  # `with` restores the mode from before __init__
        self.prev.append(state.enabled if before is None else before)
        state.enabled = self.mode

    def __call__(self, func):
        if self.before is not None:  # a decorator: undo what __init__ switched
            state.enabled, self.before = self.before, None
        return super().__call__(func)

    def __exit__(self, *exc):
        state.enabled = self.prev.pop()
        return False


class no_grad(set_grad_enabled):
    """Do not record the graph: outputs do not require grad and hold no inputs alive."""

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record the graph again, e.g. inside a `no_grad()` block."""

    def __init__(self):
        super().__init__(True)


class inference_mode(set_grad_enabled):
    """PyTorch's `inference_mode`: here the same as `no_grad()` (minigrad has no separate
    inference tensors, so nothing is faster or more restricted), plus the flag that
    `is_inference_mode_enabled()` reports. `inference_mode(False)` records the graph again, as in
    torch. Works as a context manager, as `@inference_mode()` and as bare `@inference_mode`.

    >>> import minigrad
    >>> with minigrad.inference_mode():
    ...     minigrad.is_inference_mode_enabled(), minigrad.is_grad_enabled()
    (True, False)
    """

    def __new__(cls, mode=True):
        if callable(mode):  # bare `@inference_mode` on a function
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        super().__init__(not mode)
        self.inference = bool(mode)
        self.prev_inference: list[bool] = []

    def __enter__(self):
        self.prev_inference.append(state.inference)
        state.inference = self.inference
        super().__enter__()

    def __exit__(self, *exc):
        state.inference = self.prev_inference.pop()
        return super().__exit__(*exc)
