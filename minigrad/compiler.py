"""`minigrad.compile`: torch.compile's spelling, returning what it is given.

minigrad runs each op as it is called (NumPy or CuPy): there is no graph compiler, and the
model or function itself is the honest result, with the same numbers and the same
`state_dict()` keys (torch's compiled module adds an `_orig_mod.` prefix that nanoGPT strips).

    >>> import minigrad
    >>> model = minigrad.nn.Linear(2, 2)
    >>> minigrad.compile(model) is model
    True
"""

from __future__ import annotations


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor", mode=None,
            options=None, disable: bool = False):
    """`torch.compile(model)`: returns `model`; `@torch.compile` and `@torch.compile(mode=...)`
    leave the decorated function as it is."""
    if model is None:  # @compile(mode="reduce-overhead")
        return lambda fn: fn
    return model
