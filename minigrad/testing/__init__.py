"""Checks that users and tests share: gradcheck (float64 central differences), check_layer
(one-call conformance check for a new layer), and the "strict" stand-in device
(`minigrad.testing.strict`, a CPU array type that fails where CuPy would)."""

from __future__ import annotations

import warnings

import numpy as np

from .. import backend
from .. import grad_mode
from ..tensor import Tensor


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
    G = backend.to_numpy(grad_output.array if isinstance(grad_output, Tensor) else grad_output)
    G = np.asarray(G, dtype=np.float64)

    saved_grads = [t.grad for _, t in checked]
    for _, t in checked:
        t.grad = None
    try:
        out.backward(Tensor._from_data(backend.to_device(G.copy(), out.device)).to(dtype=out.dtype))
        analytic = [np.zeros(t.shape) if t.grad is None else backend.to_numpy(t.grad.array).copy()
                    for _, t in checked]
    finally:
        for (_, t), g in zip(checked, saved_grads):
            t.grad = g

    vacuous = True
    for (i, t), ga in zip(checked, analytic):
        if ga.shape != t.shape:
            raise AssertionError(f"gradcheck: input {i}: grad shape {ga.shape} != input shape {t.shape}")
        original, host, device = t.array, backend.to_numpy(t.array).copy(), t.device

        def loss():  # numerical_grad perturbs `host`; the input sees it on its own device
            t.array = backend.to_device(host, device)
            return float((backend.to_numpy(fn(*inputs).array) * G).sum())

        try:
            with grad_mode.no_grad():
                gn = numerical_grad(loss, host, eps)
        finally:
            t.array = original
        err = np.abs(ga - gn) - (atol + rtol * np.abs(gn))
        if np.isnan(err).any() or (err > 0).any():
            k = tuple(int(j) for j in np.unravel_index(np.nanargmax(np.where(np.isnan(err), np.inf, err)), t.shape))
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


def gradgradcheck(fn, *inputs: Tensor, eps: float = 1e-6, atol: float = 1e-6, rtol: float = 1e-4,
                  seed: int = 0) -> bool:
    """Check the double backward of `fn` (backward(create_graph=True)) against float64
    central differences of its gradient.

    With a random first-level upstream gradient G1 (a leaf that requires grad), the function
    checked is (inputs, G1) -> every input's gradient of sum(fn(*inputs) * G1), flattened and
    joined; gradcheck then checks it under a random second-level gradient G2. So both the
    derivative of the gradient with respect to the inputs (second derivatives) and with respect
    to G1 (the backward itself) are checked. Raises AssertionError naming the input (the
    inputs of fn, then G1 as the last one) and the worst element.

    Example:
        >>> import minigrad
        >>> from minigrad.testing import gradgradcheck
        >>> x = minigrad.randn(3, dtype=minigrad.float64, requires_grad=True)
        >>> gradgradcheck(lambda x: x.tanh() * x, x)
        True
    """
    from ..autograd import grad
    from ..ops import cat

    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradgradcheck: no input requires grad")
    with grad_mode.no_grad():
        out = fn(*inputs)
    rng = np.random.default_rng(seed + 1)
    g1 = Tensor._from_data(backend.to_device(rng.standard_normal(out.shape), out.device), requires_grad=True)

    def first_grads(*args):
        xs, gy = args[:-1], args[-1]
        with grad_mode.enable_grad():
            y = fn(*xs)
            gs = grad(y, [t for t in xs if isinstance(t, Tensor) and t.requires_grad], gy,
                      create_graph=True, allow_unused=True)
        flat = [(g if g is not None else t * 0).reshape(-1)
                for g, t in zip(gs, [t for t in xs if isinstance(t, Tensor) and t.requires_grad])]
        return cat(flat)

    return gradcheck(first_grads, *inputs, g1, eps=eps, atol=atol, rtol=rtol, seed=seed)


# ***** check_layer: one-call conformance check for a new layer *****


# ***** PyTorch's signatures: minigrad.autograd.gradcheck / gradgradcheck *****


class GradcheckError(RuntimeError):
    """Raised by `gradcheck` / `gradgradcheck` when a gradient disagrees with finite differences
    (PyTorch's name; a RuntimeError, as there)."""


def _torch_gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_torch_only):
    """`minigrad.autograd.gradcheck`: torch.autograd.gradcheck over `gradcheck` above. `inputs`
    is a Tensor or a tuple (the tensors that require grad must be float64), PyTorch's default
    tolerances, True when
    the gradients agree, else GradcheckError (or False with `raise_exception=False`). A function
    with several outputs is checked output by output. PyTorch-only options (`check_undefined_grad`,
    `fast_mode`, ...) are accepted and ignored.

    >>> import minigrad
    >>> x = minigrad.randn(3, dtype=minigrad.float64, requires_grad=True)
    >>> minigrad.autograd.gradcheck(lambda x: x.exp() * x, (x,))
    True
    """
    return _check(gradcheck, func, inputs, raise_exception, eps=eps, atol=atol, rtol=rtol)


def _torch_gradgradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_torch_only):
    """`minigrad.autograd.gradgradcheck`: torch.autograd.gradgradcheck over `gradgradcheck` (see
    `_torch_gradcheck`)."""
    return _check(gradgradcheck, func, inputs, raise_exception, eps=eps, atol=atol, rtol=rtol)


def _check(check, func, inputs, raise_exception, **tolerances):
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    n_out = len(outs) if isinstance(outs := func(*inputs), (tuple, list)) else None
    try:
        if n_out is None:
            return check(func, *inputs, **tolerances)
        for k in range(n_out):  # minigrad's checks take one output: one check per output
            check(lambda *a, k=k: func(*a)[k], *inputs, **tolerances)
        return True
    except AssertionError as e:
        if raise_exception:
            raise GradcheckError(str(e)) from None
        return False


class LayerCheckError(AssertionError):
    """`check_layer` found a problem; the message says what it is and what to fix."""


def _float_inputs(inputs, dtype, requires_grad):
    """Copies of the inputs: float ones cast to `dtype` (as new leaves), others unchanged."""
    return [Tensor._from_data(backend.to_numpy(x.array).astype(dtype), requires_grad=requires_grad)
            if isinstance(x, Tensor) and x.dtype.kind == "f" else x for x in inputs]


def _layer_state(layer):
    """(kind, dotted name, tensor) for every parameter and buffer, including None-free ones only."""
    return [("parameter", n, t) for n, t in layer.named_parameters()] + \
           [("buffer", n, t) for n, t in layer.named_buffers()]


def check_layer(layer, *inputs, grad_inputs=None, atol: float = 1e-6, rtol: float = 1e-4,
                seed: int = 0) -> bool:
    """Check that a layer (an `nn.Module`) behaves like a well-made minigrad layer, in one call.

    It works on copies (`copy.deepcopy`), so `layer` and its running statistics are unchanged.
    Checks, in order, each failing with a `LayerCheckError` that names the problem and the fix:

    1. every Tensor the layer holds is a Parameter or a registered buffer;
    2. float32 in gives float32 out, float32 gradients and float32 parameters;
    3. eval mode changes no buffer and is deterministic;
    4. state_dict -> `minigrad.save`/`minigrad.load` (.npz) -> load_state_dict into a copy gives
       identical eval outputs;
    5. gradcheck (float64 central differences, random upstream gradient) of every float input
       and every parameter, in train mode and in eval mode;
    6. on the "strict" device (a CPU stand-in for CuPy, see minigrad/testing/strict.py) and on "cuda"
       when available: forward and backward run and match the CPU.

    Random numbers (Dropout) come from a fixed seed for every forward, so stochastic layers are
    checked too; your global random state is restored afterwards. Keep inputs small: gradcheck
    runs two forwards per input and parameter element. A forward that returns a (nested) tuple
    of Tensors, as a recurrent layer's (output, (h_n, c_n)), is checked as their flattened
    concatenation. Returns True.

    Args:
        grad_inputs: indices of the inputs to gradcheck; default every float input. Pass e.g.
            (0,) for a loss whose target is a constant.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> from minigrad.testing import check_layer
        >>> check_layer(nn.Linear(3, 2), minigrad.randn(4, 3))
        True
    """
    import copy

    from ..nn.module import Module, Parameter
    from ..ops import cat

    name = type(layer).__name__
    if not isinstance(layer, Module):
        raise TypeError(f"check_layer: expected an nn.Module, got {name}")
    if not inputs or not all(isinstance(x, Tensor) for x in inputs):
        raise TypeError("check_layer: pass one or more example input Tensors after the layer")

    def fail(msg):
        raise LayerCheckError(f"check_layer({name}): {msg}")

    from ..random import default_generator as gen

    saved_rng = gen.rng

    def run(m, xs):  # every forward sees the same random numbers (Dropout masks)
        gen.rng = np.random.default_rng(seed)
        return one_tensor(m(*xs))

    def one_tensor(out):  # a recurrent layer's (output, h_n) or (output, (h_n, c_n)) is checked as one
        if isinstance(out, (tuple, list)) and out:
            parts = [one_tensor(o) for o in out]
            return parts[0] if len(parts) == 1 else cat([p.reshape(-1) for p in parts])
        if not isinstance(out, Tensor):
            fail(f"forward returned {type(out).__name__}; check_layer handles layers that return a Tensor "
                 "or a (nested) tuple of Tensors")
        return out

    def upstream(out, dtype):
        return np.random.default_rng(seed + 1).standard_normal(out.shape).astype(dtype)

    try:
        # 1. registration: a plain Tensor attribute is not saved by state_dict nor moved by .to()
        for prefix, m in layer.named_modules():
            for attr, v in vars(m).items():
                if attr in m._parameters or attr in m._buffers:  # registered (and mirrored in __dict__)
                    continue
                if isinstance(v, (Tensor, np.ndarray)) and not isinstance(v, Parameter):
                    where = f"{prefix}.{attr}" if prefix else attr
                    fail(f"attribute {where!r} holds a {type(v).__name__} that is neither a Parameter nor a "
                         f"registered buffer, so state_dict() does not save it and .to(device) does not move "
                         f"it; use self.register_buffer({attr!r}, ...) (or nn.Parameter if it is learned)")

        # 2. float32 stays float32
        for kind, n, t in _layer_state(layer):
            if t.dtype.kind == "f" and t.dtype != np.float32:
                fail(f"{kind} {n!r} is {t.dtype}; create it as float32, minigrad's default (e.g. with "
                     f"minigrad.zeros/randn, which make float32), so float32 models stay float32")
        l32 = copy.deepcopy(layer).train()
        x32 = _float_inputs(inputs, np.float32, True)
        try:
            out32 = run(l32, x32)
            out32.backward(Tensor._from_data(upstream(out32, out32.dtype)))
        except LayerCheckError:
            raise
        except Exception as e:
            fail(f"float32 forward/backward in train mode raised {type(e).__name__}: {e}")
        if out32.dtype != np.float32:
            fail(f"float32 input gave a {out32.dtype} output: something in forward promotes. Usual causes: "
                 "a NumPy float64 array or np.float64 scalar mixed into the math; cast constants with "
                 "x.dtype.type(c) and create arrays with dtype=x.dtype")
        grads = [(f"input {i}", x) for i, x in enumerate(x32) if isinstance(x, Tensor) and x.requires_grad]
        grads += [(f"parameter {n!r}", p) for n, p in l32.named_parameters() if p.requires_grad]
        for what, t in grads:
            if t.grad is not None and (t.grad.dtype != np.float32 or t.grad.shape != t.shape):
                fail(f"the gradient of {what} is {t.grad.dtype} of shape {t.grad.shape}, expected float32 of "
                     f"shape {t.shape}: backward must return gradients in the input's dtype (and shape, "
                     "or a shape that broadcasts to it)")
        for kind, n, t in _layer_state(l32):
            if t.dtype.kind == "f" and t.dtype != np.float32:
                fail(f"{kind} {n!r} became {t.dtype} after a float32 training step; update buffers in place "
                     "in their own dtype (buf.array[...] = new) rather than rebinding to a float64 result")

        # 3. eval: no state change, deterministic
        l_eval = copy.deepcopy(layer).eval()
        before = {n: backend.to_numpy(t.array).copy() for _, n, t in _layer_state(l_eval)}
        with grad_mode.no_grad():
            xe = _float_inputs(inputs, np.float32, False)
            a, b = one_tensor(l_eval(*xe)), one_tensor(l_eval(*xe))
        for _, n, t in _layer_state(l_eval):
            if not np.array_equal(before[n], backend.to_numpy(t.array)):
                fail(f"in eval mode the forward changed {n!r}; eval must not update state "
                     "(guard the update with `if self.training:`)")
        if not np.array_equal(a.numpy(), b.numpy()):
            fail("in eval mode two calls on the same input gave different outputs; randomness "
                 "(e.g. dropout) must apply only when self.training is True")

        # 4. state_dict round trip through a .npz file
        src = copy.deepcopy(layer).train()
        with grad_mode.no_grad():
            run(src, _float_inputs(inputs, np.float32, False))  # one training step of state (BN stats)
        src.eval()
        state = src.state_dict()
        expected = [n for _, n, _ in _layer_state(src)]
        if sorted(state) != sorted(expected):
            fail(f"state_dict() keys {sorted(state)} differ from the parameters and buffers "
                 f"{sorted(expected)}")
        from .. import serialization
        import os
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "layer.npz")
            serialization.save(state, path)
            loaded = serialization.load(path)
        dst = copy.deepcopy(layer)
        with grad_mode.no_grad():
            for _, _, t in _layer_state(dst):  # make sure loading has to overwrite every value
                t.array = t.array + 1
        dst.load_state_dict(loaded)
        dst.eval()
        with grad_mode.no_grad():
            xe = _float_inputs(inputs, np.float32, False)
            ya, yb = run(src, xe).numpy(), run(dst, xe).numpy()
        if not np.array_equal(ya, yb):
            same = ya.shape == yb.shape
            diff = np.abs(ya.astype(np.float64) - yb).max() if same else f"shapes {ya.shape} vs {yb.shape}"
            fail(f"state does not round-trip: after save/load_state_dict into a copy, eval outputs differ "
                 f"(max |diff| {diff}). Keep all state the forward uses in Parameters or buffers "
                 "(register_buffer), not in plain attributes, so state_dict() carries it")

        # 5. gradcheck in float64, train and eval modes
        l64 = copy.deepcopy(layer)
        for _, _, t in _layer_state(l64):
            if t.dtype.kind == "f":
                t.array = t.array.astype(np.float64)
        buffers = [(t, t.array.copy()) for t in l64.buffers()]

        def run64(xs):  # from the same buffers every time (train mode updates running stats)
            for t, value in buffers:
                t.array = value.copy()
            return run(l64, xs)

        for mode in ("train", "eval"):
            l64.train(mode == "train")
            x64 = _float_inputs(inputs, np.float64, True)
            wanted = range(len(x64)) if grad_inputs is None else grad_inputs
            checked = [(f"input {i}", x) for i, x in enumerate(x64)
                       if isinstance(x, Tensor) and x.requires_grad and i in wanted]
            checked += [(f"parameter {n!r}", p) for n, p in l64.named_parameters() if p.requires_grad]
            vacuous = []
            for what, t in checked:
                try:
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always", GradcheckWarning)
                        gradcheck(lambda _t: run64(x64), t, atol=atol, rtol=rtol, seed=seed)
                except AssertionError as e:
                    fail(f"in {mode} mode the gradient of {what} is wrong: {e}. The backward of an op this "
                         "layer uses does not match its forward: gradcheck each op alone "
                         "(minigrad.testing.gradcheck) to find it")
                vacuous += [what for w in caught if issubclass(w.category, GradcheckWarning)]
            if checked and len(vacuous) == len(checked):  # one zero gradient is fine (bias before BN)
                warnings.warn(f"check_layer({name}): in {mode} mode every gradient is ~0, so the gradient "
                              "check proves nothing; try other inputs", GradcheckWarning, stacklevel=2)

        # 6. other devices: same numbers as the CPU float32 run
        devices = ["cuda"] if backend.cuda_available else []
        from . import strict  # noqa: F401  (registers the "strict" device)

        devices.insert(0, "strict")
        for dev in devices:
            ld = copy.deepcopy(layer).train().to(dev)
            xd = [Tensor._from_data(backend.to_device(x.array, dev), requires_grad=x.requires_grad)
                  if isinstance(x, Tensor) and x.dtype.kind == "f" else
                  (Tensor._from_data(backend.to_device(x.array, dev)) if isinstance(x, Tensor) else x)
                  for x in x32]
            try:
                outd = run(ld, xd)
                outd.backward(Tensor._from_data(backend.to_device(upstream(outd, outd.dtype), dev)))
            except Exception as e:
                fail(f"on the {dev!r} device forward/backward raised {type(e).__name__}: {e}. "
                     "Use self.xp (or minigrad ops) on tensor data, never np.* functions, and build "
                     "arrays on the input's device")
            if outd.device != dev:
                fail(f"on the {dev!r} device the output is on {outd.device!r}; outputs must live where "
                     "inputs live")
            pairs = [("the output", out32, outd)]
            pairs += [(f"the gradient of input {i}", a.grad, b.grad) for i, (a, b) in enumerate(zip(x32, xd))
                      if isinstance(a, Tensor) and a.requires_grad]
            pairs += [(f"the gradient of parameter {n!r}", p.grad, q.grad)
                      for (n, p), (_, q) in zip(l32.named_parameters(), ld.named_parameters())]
            for what, a, b in pairs:
                if (a is None) != (b is None):
                    which = "missing" if b is None else "present"
                    fail(f"on the {dev!r} device {what} is {which}, unlike on the CPU")
                if a is not None and not np.allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5):
                    fail(f"on the {dev!r} device {what} differs from the CPU result "
                         f"(max |diff| {np.abs(a.numpy() - b.numpy()).max():.3g})")
    finally:
        gen.rng = saved_rng
    return True
