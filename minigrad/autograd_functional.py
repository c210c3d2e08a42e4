"""`minigrad.autograd.functional`: jacobian, hessian, vhp and hvp as plain loops over
`autograd.grad`, for small inputs (one backward pass per output element). Same signatures and
results as torch.autograd.functional (without `strict`, `vectorize` or `outer_jacobian_strategy`).

They show what create_graph buys: a Hessian is the Jacobian of a gradient, and a Hessian-vector
product costs two backward passes, never the whole Hessian.
"""

from __future__ import annotations

from . import grad_mode, ops
from .autograd import grad
from .tensor import Tensor


def _as_tuple(x):
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _prepare(inputs):
    """Fresh leaves that require grad, sharing the inputs' values (the caller's tensors keep no
    graph of ours)."""
    return tuple(t.detach().requires_grad_(True) for t in _as_tuple(inputs))


def _zeros_if_none(g, like):
    return like.detach() * 0 if g is None else g


def _finish(t: Tensor, create_graph: bool) -> Tensor:
    return t if create_graph else t.detach()


def jacobian(func, inputs, create_graph: bool = False):
    """d func(inputs) / d inputs. For one input and one output, a tensor of shape
    output.shape + input.shape; with a tuple of inputs, a tuple (one per input); with a tuple of
    outputs, a tuple of those.

    >>> import minigrad
    >>> from minigrad.autograd.functional import jacobian
    >>> jacobian(lambda x: x ** 2, minigrad.tensor([1.0, 3.0]))
    tensor([[2., 0.],
            [0., 6.]])
    """
    xs = _prepare(inputs)
    with grad_mode.enable_grad():
        outs = func(*xs)
    single_out = isinstance(outs, Tensor)
    result = []
    for y in _as_tuple(outs):
        flat = y.reshape(-1)
        rows = [[] for _ in xs]
        for i in range(flat.shape[0]):
            if y.requires_grad:
                gs = grad(flat[i], xs, retain_graph=True, create_graph=create_graph, allow_unused=True)
            else:
                gs = (None,) * len(xs)
            for k, (g, x) in enumerate(zip(gs, xs)):
                rows[k].append(_zeros_if_none(g, x))
        per_input = tuple(
            _finish(ops.stack(r).reshape(*y.shape, *x.shape) if r else (x.detach() * 0).reshape(*y.shape, *x.shape),
                    create_graph)
            for r, x in zip(rows, xs))
        result.append(per_input[0] if isinstance(inputs, Tensor) else per_input)
    return result[0] if single_out else tuple(result)


def hessian(func, inputs, create_graph: bool = False):
    """The matrix of second derivatives of a scalar `func`: shape input.shape + input.shape
    (a tuple of tuples for several inputs), the Jacobian of the gradient.

    >>> import minigrad
    >>> from minigrad.autograd.functional import hessian
    >>> hessian(lambda x: (x ** 3).sum(), minigrad.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    def gradient(*xs):
        y = func(*xs)
        if y.numel() != 1:
            raise RuntimeError(f"hessian: func must return a single-element tensor, got shape {y.shape}")
        gs = grad(y, xs, create_graph=True, allow_unused=True)
        gs = tuple(_zeros_if_none(g, x) for g, x in zip(gs, xs))
        return gs[0] if isinstance(inputs, Tensor) else gs

    return jacobian(gradient, inputs, create_graph=create_graph)


def vhp(func, inputs, v=None, create_graph: bool = False):
    """(func(inputs), v^T H): the vector-Hessian product of a scalar `func`, in two backward
    passes without forming H (the gradient, then the gradient of <gradient, v>).

    >>> import minigrad
    >>> from minigrad.autograd.functional import vhp
    >>> vhp(lambda x: (x ** 3).sum(), minigrad.tensor([1.0, 2.0]), minigrad.tensor([1.0, 1.0]))[1]
    tensor([ 6., 12.])
    """
    xs = _prepare(inputs)
    vs = _as_tuple(v) if v is not None else None
    with grad_mode.enable_grad():
        y = func(*xs)
        if y.numel() != 1:
            raise RuntimeError(f"vhp: func must return a single-element tensor, got shape {y.shape}")
        if vs is None:
            if any(x.numel() != 1 for x in xs):
                raise RuntimeError("vhp: v can be left out only for single-element inputs")
            vs = tuple(x.detach() * 0 + 1 for x in xs)
        if len(vs) != len(xs) or any(tuple(a.shape) != tuple(x.shape) for a, x in zip(vs, xs)):
            raise RuntimeError(f"vhp: v must match the inputs' shapes {[x.shape for x in xs]}, got "
                               f"{[a.shape for a in vs]}")
        gs = grad(y, xs, create_graph=True, allow_unused=True)
        dot = None
        for g, a in zip(gs, vs):
            if g is not None and g.requires_grad:
                term = (g * a).sum()
                dot = term if dot is None else dot + term
        if dot is None:  # the gradient does not depend on the inputs: H = 0
            hs = (None,) * len(xs)
        else:
            hs = grad(dot, xs, create_graph=create_graph, allow_unused=True)
    hs = tuple(_finish(_zeros_if_none(h, x), create_graph) for h, x in zip(hs, xs))
    return _finish(y, create_graph), (hs[0] if isinstance(inputs, Tensor) else hs)


def hvp(func, inputs, v=None, create_graph: bool = False):
    """(func(inputs), H v): the Hessian-vector product. H is symmetric for a twice
    differentiable func, so this is vhp's result (the same two backward passes).

    >>> import minigrad
    >>> from minigrad.autograd.functional import hvp
    >>> f = lambda x: (x[0] * x[1]) ** 2
    >>> hvp(f, minigrad.tensor([1.0, 2.0]), minigrad.tensor([1.0, 0.0]))[1]
    tensor([8., 8.])
    """
    return vhp(func, inputs, v, create_graph)
