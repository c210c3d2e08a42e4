"""R2.3: broadcast gradients are summed back to each operand's shape, in both regimes (new
leading axes and stretched size-1 axes), for every binary op and shape pair, either order."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import gradcheck

try:
    import torch
except ImportError:
    torch = None

# op name -> (fn, generator of (a, b) values): pow needs a positive base, div a non-zero divisor
OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "maximum": lambda a, b: a.maximum(b),
    "minimum": lambda a, b: a.minimum(b),
}

PAIRS = [((3,), (4, 3)), ((4, 1), (1, 3)), ((), (2, 3)), ((1, 3, 1, 1), (2, 3, 4, 5)), ((2, 1, 3), (4, 1))]
PAIRS += [(b, a) for a, b in PAIRS]  # and the other way round


def _values(op, sa, sb, seed=0):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    if op == "pow":
        a = rng.uniform(0.5, 2.0, sa)
    if op == "div":
        b = rng.choice([-1.0, 1.0], sb) * rng.uniform(0.5, 1.5, sb)
    return a, b


@pytest.mark.parametrize("sa, sb", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
@pytest.mark.parametrize("op", OPS)
def test_R2_3_broadcast_grad_shape_and_values(op, sa, sb, device):
    a, b = (mg.tensor(v, device=device, requires_grad=True) for v in _values(op, sa, sb))
    y = OPS[op](a, b)
    assert y.shape == np.broadcast_shapes(sa, sb)
    y.backward(mg.randn(*y.shape, dtype=mg.float64, device=device))
    assert a.grad.shape == a.shape == sa and b.grad.shape == b.shape == sb
    a.grad = b.grad = None
    assert gradcheck(OPS[op], a, b)


@pytest.mark.parametrize("sa, sb", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
@pytest.mark.parametrize("op", OPS)
def test_broadcast_torch_parity(op, sa, sb):
    pytest.importorskip("torch")
    va, vb = _values(op, sa, sb)
    a, b = mg.tensor(va, requires_grad=True), mg.tensor(vb, requires_grad=True)
    ta, tb = torch.tensor(va, requires_grad=True), torch.tensor(vb, requires_grad=True)
    y, ty = OPS[op](a, b), OPS[op](ta, tb)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-8, atol=1e-8)
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(mg.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-8, atol=1e-8)


def test_R2_3_leading_axis_sums_to_row_count(device):
    """a(3,) + b(4,3): each element of a is used 4 times, so its gradient is 4."""
    a = mg.zeros(3, device=device, requires_grad=True)
    b = mg.zeros(4, 3, device=device, requires_grad=True)
    (a + b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [4, 4, 4])
    np.testing.assert_array_equal(b.grad.numpy(), np.ones((4, 3)))


def test_R2_3_size1_axes_sum_not_just_reshape(device):
    """(4,1)*(1,3): a shape that 'fits' is not enough; the values are sums over the stretched
    axis (a plain reshape or a take-first would give the right shape and wrong values)."""
    va, vb = np.arange(4.0).reshape(4, 1), np.arange(1.0, 4.0).reshape(1, 3)
    a = mg.tensor(va, device=device, requires_grad=True)
    b = mg.tensor(vb, device=device, requires_grad=True)
    g = np.arange(12.0).reshape(4, 3)
    (a * b).backward(mg.tensor(g, device=device))
    np.testing.assert_allclose(a.grad.numpy(), (g * vb).sum(1, keepdims=True))
    np.testing.assert_allclose(b.grad.numpy(), (g * va).sum(0, keepdims=True))


def test_R2_3_scalar_tensor_gets_the_total(device):
    """() * (2,3): the 0-d operand's gradient is the sum over all elements, shape ()."""
    s = mg.tensor(2.0, device=device, requires_grad=True)
    x = mg.tensor(np.arange(6.0).reshape(2, 3), device=device, requires_grad=True)
    (s * x).sum().backward()
    assert s.grad.shape == ()
    assert s.grad.item() == 15.0
