"""Checks that users and tests share: gradcheck (float64 central differences)."""

from __future__ import annotations

import warnings

import numpy as np

from . import backend
from .tensor import Tensor


class GradcheckWarning(UserWarning):
    """The check passed but proved little (every gradient was ~0)."""


def numerical_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar function f() with respect to array x (changed in place
    and restored). O(eps^2) error; in float64 eps=1e-6 balances it against rounding."""
    g = np.zeros(x.shape, dtype=np.float64)
    flat, gflat = x.reshape(-1), g.reshape(-1)  # views, so writes reach x
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * eps)
    return g


def gradcheck(fn, *inputs: Tensor, eps: float = 1e-6, atol: float = 1e-6, rtol: float = 1e-4,
              grad_output=None, seed: int = 0) -> bool:
    """Check the backward of `fn` against float64 central differences.

    The scalar checked is L = sum(fn(*inputs) * G) with a random G (a plain sum would hide a
    transposed or permuted gradient: the gradient of sum(softmax(x)) is 0 whatever backward
    does). Every input that requires grad is checked, element by element, so keep them small.
    Inputs must be float64, on any device: perturbations are made on a host copy.

    Raises AssertionError naming the input, the worst element and both values. Warns with
    GradcheckWarning if every gradient is ~0, where the check says nothing. The inputs' `.grad`
    and data are left as they were.

    Example:
        >>> import minigrad
        >>> from minigrad.testing import gradcheck
        >>> x = minigrad.randn(3, 4, dtype=minigrad.float64, requires_grad=True)
        >>> gradcheck(lambda x: x.tanh() * x, x)
        True
    """
    from .autograd import no_grad

    checked = [(i, t) for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")
    for i, t in checked:
        if t.dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} is {t.dtype}; use float64 (finite differences "
                            "in float32 are too coarse)")
    out = fn(*inputs)
    if grad_output is None:
        grad_output = np.random.default_rng(seed).standard_normal(out.shape)
    G = backend.to_numpy(grad_output.data if isinstance(grad_output, Tensor) else grad_output)
    G = np.asarray(G, dtype=np.float64)

    saved_grads = [t.grad for _, t in checked]
    for _, t in checked:
        t.grad = None
    try:
        out.backward(Tensor(backend.to_device(G.copy(), out.device)).to(dtype=out.dtype))
        analytic = [np.zeros(t.shape) if t.grad is None else backend.to_numpy(t.grad.data).copy()
                    for _, t in checked]
    finally:
        for (_, t), g in zip(checked, saved_grads):
            t.grad = g

    vacuous = True
    for (i, t), ga in zip(checked, analytic):
        if ga.shape != t.shape:
            raise AssertionError(f"gradcheck: input {i}: grad shape {ga.shape} != input shape {t.shape}")
        original, host, device = t.data, backend.to_numpy(t.data).copy(), t.device

        def loss():  # numerical_grad perturbs `host`; the input sees it on its own device
            t.data = backend.to_device(host, device)
            return float((backend.to_numpy(fn(*inputs).data) * G).sum())

        try:
            with no_grad():
                gn = numerical_grad(loss, host, eps)
        finally:
            t.data = original
        err = np.abs(ga - gn) - (atol + rtol * np.abs(gn))
        if np.isnan(err).any() or (err > 0).any():
            k = np.unravel_index(int(np.nanargmax(np.where(np.isnan(err), np.inf, err))), t.shape)
            raise AssertionError(
                f"gradcheck failed for input {i} of shape {t.shape}: worst element {k}: "
                f"backward gives {ga[k]:.8g}, finite differences give {gn[k]:.8g} "
                f"(max |diff| {np.nanmax(np.abs(ga - gn)):.3g}, atol={atol}, rtol={rtol})"
            )
        if np.abs(gn).max(initial=0) > 1e-7 or np.abs(ga).max(initial=0) > 1e-7:
            vacuous = False
    if vacuous:
        warnings.warn(
            "gradcheck: every gradient is ~0, so the check proves nothing; use a random "
            "grad_output rather than ones (the gradient of sum(normalise(x)) is 0)",
            GradcheckWarning, stacklevel=2,
        )
    return True
