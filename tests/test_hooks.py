"""Looking at gradients (retain_grad, Tensor.register_hook, Module.register_full_backward_hook)
and Functions written PyTorch's way (static forward/backward with ctx, called with .apply)."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.autograd import Function
from minigrad.testing import gradcheck

try:
    import torch
except ImportError:
    torch = None


def _chain(lib, a, w, g, retain=True, hooks=None):
    x = lib.tensor(a, requires_grad=True)
    W = lib.tensor(w, requires_grad=True)
    h = x @ W
    t = h.tanh()
    if retain:
        h.retain_grad()
        t.retain_grad()
    if hooks:
        hooks(h)
    y = t * t + t  # t is used twice: its gradient is the sum
    y.backward(lib.tensor(g))
    return x, W, h, t


def test_retain_grad_matches_torch_and_accumulates():
    rng = np.random.default_rng(0)
    a, w, g = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    x, W, h, t = _chain(mg, a, w, g)
    tanh = np.tanh(a @ w)
    want_t = g * (2 * tanh + 1)
    np.testing.assert_allclose(t.grad.numpy(), want_t, rtol=1e-12)
    np.testing.assert_allclose(h.grad.numpy(), want_t * (1 - tanh**2), rtol=1e-12)
    assert t.retains_grad and not x.retains_grad
    if torch is not None:
        tx, tW, th, tt = _chain(torch, a, w, g)
        for ours, theirs in [(h, th), (t, tt), (x, tx), (W, tW)]:
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
    # without retain_grad an intermediate keeps no gradient, as in torch
    _, _, h2, _ = _chain(mg, a, w, g, retain=False)
    assert h2.grad is None


def test_retain_grad_accumulates_over_backward_calls():
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    h = x * 3
    h.retain_grad()
    y = (h * h).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * 2 * np.array([3.0, 6.0]))


def test_retain_grad_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.ones(2).retain_grad()


def test_register_hook_sees_and_replaces_the_gradient():
    rng = np.random.default_rng(1)
    a, w, g = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    seen = []

    def hooks(h):
        h.register_hook(lambda grad: seen.append(grad.numpy().copy()))
        h.register_hook(lambda grad: grad * 0.5)  # a returned tensor replaces the gradient

    x, W, h, _ = _chain(mg, a, w, g, hooks=hooks)
    assert len(seen) == 1 and seen[0].shape == (3, 5)
    np.testing.assert_allclose(h.grad.numpy(), seen[0] * 0.5)  # retain_grad stores the result
    if torch is not None:
        tseen = []

        def thooks(th):
            th.register_hook(lambda grad: tseen.append(grad.numpy().copy()))
            th.register_hook(lambda grad: grad * 0.5)

        tx, tW, th, _ = _chain(torch, a, w, g, hooks=thooks)
        np.testing.assert_allclose(seen[0], tseen[0], rtol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose(h.grad.numpy(), th.grad.numpy(), rtol=1e-12)


def test_leaf_hook_and_handle_remove():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    handle = x.register_hook(lambda g: calls.append(1) or g * 10)
    (x * x).sum().backward()
    assert x.grad.tolist() == [20.0, 40.0] and calls == [1]
    handle.remove()
    x.grad = None
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0] and calls == [1]


def test_hook_returning_a_wrong_shape_raises():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: mg.ones(3))
    with pytest.raises(RuntimeError, match="hook returned shape"):
        h.sum().backward()


# ***** Module.register_full_backward_hook *****


def _mlp(lib, ws, a, g, register):
    fc1 = lib.nn.Linear(4, 3).double()
    fc2 = lib.nn.Linear(3, 2).double()
    with lib.no_grad():
        for m, (w, b) in zip((fc1, fc2), ws):
            m.weight.copy_(lib.tensor(w))
            m.bias.copy_(lib.tensor(b))
    log = []
    register(fc2, log)
    x = lib.tensor(a, requires_grad=True)
    y = fc2(fc1(x).tanh())
    y.backward(lib.tensor(g))
    return log, x


def test_full_backward_hook_matches_torch():
    rng = np.random.default_rng(2)
    ws = [(rng.standard_normal((3, 4)), rng.standard_normal(3)), (rng.standard_normal((2, 3)), rng.standard_normal(2))]
    a, g = rng.standard_normal((5, 4)), rng.standard_normal((5, 2))

    def register(m, log):
        m.register_full_backward_hook(lambda mod, gi, go: log.append((mod, [t.numpy().copy() for t in gi], [t.numpy().copy() for t in go])))

    log, x = _mlp(mg, ws, a, g, register)
    assert len(log) == 1
    mod, gi, go = log[0]
    assert isinstance(mod, nn.Linear)
    np.testing.assert_allclose(go[0], g)
    np.testing.assert_allclose(gi[0], g @ ws[1][0])  # d(x W^T + b)/dx: gy W
    if torch is not None:
        tlog, tx = _mlp(torch, ws, a, g, register)
        np.testing.assert_allclose(gi[0], tlog[0][1][0], rtol=1e-12)
        np.testing.assert_allclose(go[0], tlog[0][2][0], rtol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_full_backward_hook_can_replace_grad_input_and_be_removed():
    fc = nn.Linear(3, 2)
    h = fc.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    x = mg.randn(4, 3, requires_grad=True)
    fc(x).sum().backward()
    assert np.all(x.grad.numpy() == 0) and fc.weight.grad is not None
    h.remove()
    x.grad = None
    fc(x).sum().backward()
    assert np.any(x.grad.numpy() != 0)


def test_full_backward_hook_input_without_grad_gives_none():
    fc, log = nn.Linear(3, 2), []
    fc.register_full_backward_hook(lambda m, gi, go: log.append((gi, go)))
    fc(mg.randn(4, 3)).sum().backward()
    assert log[0][0] == (None,) and log[0][1][0].shape == (4, 2)


# ***** Functions written PyTorch's way *****


class MulAdd(Function):
    """y = x * w + k, k a Python number (no gradient)"""

    @staticmethod
    def forward(ctx, x, w, k):
        ctx.save_for_backward(x, w)
        ctx.k = k
        return x * w + k

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        gx = grad * w if ctx.needs_input_grad[0] else None
        gw = grad * x if ctx.needs_input_grad[1] else None
        return gx, gw, None


def test_pytorch_style_function_gradcheck_and_torch():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    x, w = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    assert gradcheck(lambda x, w: MulAdd.apply(x, w, 2.0), x, w)
    y = MulAdd.apply(x, w, 2.0)
    assert isinstance(y, mg.Tensor) and "MulAdd" in repr(y.grad_fn)
    if torch is not None:
        class TMulAdd(torch.autograd.Function):
            forward, backward = MulAdd.forward, MulAdd.backward  # the very same code

        g = rng.standard_normal((3, 4))
        tx, tw = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        ty = TMulAdd.apply(tx, tw, 2.0)
        ty.backward(torch.tensor(g))
        y.backward(mg.tensor(g))
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
        np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())


def test_pytorch_style_function_needs_input_grad_and_errors():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, w):
            seen["needs"] = ctx.needs_input_grad
            return x * w

        @staticmethod
        def backward(ctx, grad):
            return grad  # one gradient for two inputs: an error naming the count

    x = mg.ones(2, requires_grad=True)
    y = Probe.apply(x, mg.ones(2))
    assert seen["needs"] == (True, False)
    with pytest.raises(RuntimeError, match="returned 1 gradients; forward took 2"):
        y.sum().backward()


def test_minigrad_style_function_still_works():
    class Cube(Function):
        def forward(self, x):
            self.x = x
            return x * x * x

        def backward(self, gy):
            return gy * 3 * self.x * self.x

    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    assert gradcheck(lambda x: Cube()(x), x)


def test_double_backward_through_an_unsupported_op_is_a_clear_error():
    """An op without a double backward yet names itself instead of giving a wrong result,
    and no .grad is half written."""
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with pytest.raises(NotImplementedError, match="Einsum has no double backward"):
        mg.einsum("ii,i->i", x * x, x[0]).sum().backward(create_graph=True)
    assert x.grad is None


def test_pytorch_style_function_with_several_outputs_is_refused():
    """A deliberate difference (docs/porting.md): one output per Function."""
    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    with pytest.raises(TypeError, match="must return one Tensor"):
        Two.apply(mg.ones(2, requires_grad=True))


def test_full_backward_hook_with_two_inputs_sees_both_and_refuses_a_partial_replacement():
    class Bilinear(nn.Module):
        def forward(self, a, b):
            return a * b

    m, log = Bilinear(), []
    h = m.register_full_backward_hook(lambda mod, gi, go: log.append(gi))
    a, b = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0, 4.0], requires_grad=True)
    m(a, b).sum().backward()
    assert [g.tolist() for g in log[0]] == [[3.0, 4.0], [1.0, 2.0]]
    h.remove()
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0, gi[1] * 0))
    with pytest.raises(RuntimeError, match="several tensor inputs"):
        m(a, b).sum().backward()
