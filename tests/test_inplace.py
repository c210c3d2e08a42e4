"""In-place ops and `.data`, with PyTorch's rules.

- under no_grad (or on tensors that need no grad) `+= -= *= /=` and the `_` methods write into
  the tensor's memory: every alias, view and `.data` of it sees the change, the version moves;
- on a leaf that requires grad while grad mode is on: a RuntimeError, nothing changed;
- on a non-leaf inside a graph: recorded (the tensor's history is rebased onto the in-place
  op), checked against finite differences and PyTorch; or, where that cannot be done safely
  (the tensor shares memory with a view), a RuntimeError naming the out-of-place form.
"""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.testing import gradcheck

try:
    import torch
except ImportError:
    torch = None


def f64(a, requires_grad=False):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


INPLACE = [
    ("iadd", lambda t, o: t.__iadd__(o), lambda a, o: a + o),
    ("isub", lambda t, o: t.__isub__(o), lambda a, o: a - o),
    ("imul", lambda t, o: t.__imul__(o), lambda a, o: a * o),
    ("itruediv", lambda t, o: t.__itruediv__(o), lambda a, o: a / o),
    ("add_", lambda t, o: t.add_(o), lambda a, o: a + o),
    ("add_alpha", lambda t, o: t.add_(o, alpha=-0.5), lambda a, o: a - 0.5 * o),
    ("sub_", lambda t, o: t.sub_(o), lambda a, o: a - o),
    ("mul_", lambda t, o: t.mul_(o), lambda a, o: a * o),
    ("div_", lambda t, o: t.div_(o), lambda a, o: a / o),
    ("pow_", lambda t, o: t.pow_(2), lambda a, o: a ** 2),
    ("clamp_", lambda t, o: t.clamp_(-0.3, 0.4), lambda a, o: np.clip(a, -0.3, 0.4)),
]


@pytest.mark.parametrize("name, op, expect", INPLACE, ids=[c[0] for c in INPLACE])
@pytest.mark.parametrize("other_kind", ["tensor", "number"])
def test_inplace_under_no_grad_changes_the_tensor_and_every_alias(name, op, expect, other_kind):
    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 1.5, (3, 4))
    o = f64(rng.uniform(0.5, 1.5, (4,))) if other_kind == "tensor" else 0.75
    p = nn.Parameter(f64(a))
    view, data, alias = p[1], p.data, p
    v0 = p._version
    with mg.no_grad():
        out = op(p, o)
    want = expect(a, o.numpy() if isinstance(o, mg.Tensor) else o)
    assert out is p and alias is p  # never a new tensor
    np.testing.assert_allclose(p.numpy(), want)
    np.testing.assert_allclose(data.numpy(), want)  # .data shares the memory
    np.testing.assert_allclose(view.numpy(), want[1])  # a view shares it too
    assert p._version > v0 and data._version == p._version
    assert p.requires_grad and p.is_leaf and p.dtype == mg.float64


def test_inplace_keeps_float32_and_refuses_float_into_int():
    x = mg.ones(3)
    x *= np.float64(0.5)  # NumPy 2 would promote: the tensor's dtype stays
    x += mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64)  # torch casts the result to the tensor's dtype
    assert x.dtype == mg.float32 and x.tolist() == [1.5, 2.5, 3.5]
    i = mg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="float.*int64|cast"):
        i += 0.5
    assert i.tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="shape"):
        x += mg.ones(2, 3)  # the result would be (2, 3): cannot live in a (3,) tensor
    if torch is not None:
        with pytest.raises(RuntimeError):
            ti = torch.tensor([1, 2])
            ti += 0.5


def test_module_weight_scaled_in_place_under_no_grad():
    m = nn.Linear(3, 2)
    w0, opt_view = m.weight.numpy().copy(), list(m.parameters())[0]
    with mg.no_grad():
        m.weight *= 0.1
    assert opt_view is m.weight
    np.testing.assert_allclose(opt_view.numpy(), w0 * 0.1, rtol=1e-6)


def test_leaf_requiring_grad_refuses_inplace_outside_no_grad():
    p = nn.Parameter(mg.ones(3))
    for op in (lambda t: t.__iadd__(1), lambda t: t.mul_(2), lambda t: t.__itruediv__(2),
               lambda t: t.clamp_(0, 0.5), lambda t: t.normal_(), lambda t: t.uniform_()):
        with pytest.raises(RuntimeError, match="in-place.*no_grad"):
            op(p)
        assert p.tolist() == [1.0, 1.0, 1.0]
    if torch is not None:
        with pytest.raises(RuntimeError, match="leaf"):
            tp = torch.ones(3, requires_grad=True)
            tp += 1


def test_hand_sgd_updates_the_parameter_the_optimizer_holds():
    m = nn.Linear(4, 2)
    held = list(m.parameters())
    before = [p.numpy().copy() for p in held]
    m(mg.randn(5, 4)).pow(2).sum().backward()
    with mg.no_grad():
        for p in m.parameters():
            p -= 0.1 * p.grad
    for p, b in zip(held, before):
        np.testing.assert_allclose(p.numpy(), b - 0.1 * p.grad.numpy(), rtol=1e-6)


# ***** in-place inside a graph: recorded *****


GRAPH_CASES = [
    ("iadd_tensor", lambda h, w: h.__iadd__(w)),
    ("imul_tensor", lambda h, w: h.__imul__(w)),
    ("isub_number", lambda h, w: h.__isub__(0.5) * w),
    ("itruediv", lambda h, w: h.__itruediv__(w)),
    ("mul_then_add_", lambda h, w: h.mul_(w).add_(w, alpha=2)),
    ("clamp_", lambda h, w: h.clamp_(-0.5, 0.5) * w),
    ("pow_", lambda h, w: h.pow_(2) * w),
    ("residual", lambda h, w: h.__iadd__(w.tanh()).relu()),
    ("iadd_itself", lambda h, w: h.__iadd__(h) * w),
    ("setitem_tensor", lambda h, w: (h.__setitem__((slice(None), 1), w[:, 0] * 2), h)[1] * w),
    ("setitem_number_mask", lambda h, w: (h.__setitem__(h > 1.5, 0.0), h)[1] * w),
    ("setitem_broadcast_row", lambda h, w: (h.__setitem__(slice(0, 2), w[2]), h)[1] * w),
    ("copy_", lambda h, w: h.copy_(w[0] * 3) * w),
    ("fill_zero_", lambda h, w: h.clone().fill_(2.0) * w + h.clone().zero_() + h),
    ("iadd_itself_then_mul_", lambda h, w: h.__iadd__(h).mul_(w)),
]


def _graph_fn(op, lib):
    def fn(x, w):
        h = x * 2 + 0.1  # a non-leaf
        out = op(h, w)
        return out * 1.5  # used after the in-place op
    return fn


@pytest.mark.parametrize("name, op", GRAPH_CASES, ids=[c[0] for c in GRAPH_CASES])
def test_inplace_on_non_leaf_is_recorded_gradcheck(name, op):
    rng = np.random.default_rng(1)
    x, w = f64(rng.uniform(0.3, 1.0, (3, 4)), True), f64(rng.uniform(0.5, 1.5, (3, 4)), True)
    assert gradcheck(_graph_fn(op, mg), x, w)


@pytest.mark.parametrize("name, op", GRAPH_CASES, ids=[c[0] for c in GRAPH_CASES])
def test_inplace_on_non_leaf_matches_torch(name, op):
    pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    a, b = rng.uniform(0.3, 1.0, (3, 4)), rng.uniform(0.5, 1.5, (3, 4))
    g = rng.standard_normal((3, 4))
    x, w = f64(a, True), f64(b, True)
    tx, tw = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    y, ty = _graph_fn(op, mg)(x, w), _graph_fn(op, torch)(tx, tw)
    y.backward(mg.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_imul_by_itself_is_right_where_torch_refuses():
    """`h *= h`: torch raises (its MulBackward saved h, which the op then changed); minigrad's
    in-place result gets new memory, so the saved values stay valid and the gradient is right."""
    x = f64([0.5, -1.5, 2.0], True)
    assert gradcheck(lambda x: (lambda h: h.__imul__(h))(x * 2 + 0.1), x)


def test_inplace_rebases_history_and_moves_the_version():
    x = f64([1.0, 2.0], True)
    h = x * 3
    v0, fn0 = h._version, h.grad_fn
    h += x
    assert h._version == v0 + 1 and h.grad_fn is not fn0 and not h.is_leaf
    # a tensor that needs no grad joins the graph when a grad-requiring operand is added in place
    c = f64([1.0, 1.0])
    c *= x
    assert c.requires_grad and c.grad_fn is not None
    (h.sum() + c.sum()).backward()
    assert x.grad.tolist() == [5.0, 5.0]  # h = 3x + x gives 4, c = 1 * x gives 1


def test_use_before_inplace_makes_backward_raise_not_lie():
    """An op that used the old value (saved or not) is checked at backward, as torch checks the
    ones that saved it: an error, never a gradient computed from the wrong values."""
    x = f64([1.0, 2.0], True)
    h = x * 2
    y = h * h  # saved the old h
    h += 1
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        (y.sum() + h.sum()).backward()


def test_inplace_on_a_view_inside_a_graph_names_the_out_of_place_form():
    x = f64([1.0, 2.0, 3.0], True)
    h = x * 2
    v = h[1:]  # shares h's memory
    with pytest.raises(RuntimeError, match="x = x \\+ y"):
        v += 1
    with pytest.raises(RuntimeError, match="x = x \\+ y"):
        h += 1  # v still shows h's memory
    assert h.tolist() == [2.0, 4.0, 6.0]


def test_overwriting_methods():
    t = mg.zeros(2, 3)
    assert t.fill_(2.5).tolist() == [[2.5] * 3] * 2
    t.copy_(mg.tensor([1.0, 2.0, 3.0]))  # broadcasts, as torch's copy_
    assert t.tolist() == [[1.0, 2.0, 3.0]] * 2
    t.zero_()
    assert t.tolist() == [[0.0] * 3] * 2
    mg.manual_seed(0)
    u = mg.zeros(1000).uniform_(-2, 2)
    assert -2 <= u.numpy().min() and u.numpy().max() < 2 and abs(u.numpy().mean()) < 0.2
    n = mg.zeros(1000, dtype=mg.float64).normal_(3.0, 0.5)
    assert n.dtype == mg.float64 and abs(n.numpy().mean() - 3) < 0.1 and abs(n.numpy().std() - 0.5) < 0.05


# ***** .data *****


def test_data_is_a_detached_tensor_sharing_memory():
    p = nn.Parameter(f64([1.0, 2.0, 4.0]))
    d = p.data
    assert isinstance(d, mg.Tensor) and not d.requires_grad and d.is_leaf
    d.fill_(1)  # no no_grad needed: .data needs no grad
    assert p.tolist() == [1.0, 1.0, 1.0]
    p.data = f64([1.0, 2.0, 4.0])
    assert abs(p.data.std().item() - np.std([1.0, 2.0, 4.0], ddof=1)) < 1e-12  # unbiased, as torch
    y = (p.data * 2).sum()  # .data into ops: no graph
    assert not y.requires_grad


def test_data_update_with_grad_is_the_sgd_step():
    p = nn.Parameter(f64([1.0, -2.0]))
    (p * p).sum().backward()
    p.data += -0.1 * p.grad
    assert p.tolist() == pytest.approx([0.8, -1.6])
    assert p.requires_grad and p.is_leaf


def test_data_setter_replaces_the_values_shape_may_change():
    p = nn.Parameter(mg.zeros(2, 3))
    p.data = mg.ones(4)
    assert p.shape == (4,) and p.tolist() == [1.0] * 4 and isinstance(p, nn.Parameter)
    with pytest.raises(TypeError, match="Tensor"):
        p.data = [1.0, 2.0]
    if torch is not None:
        tp = torch.nn.Parameter(torch.zeros(2, 3))
        tp.data = torch.ones(4)
        assert tuple(tp.shape) == p.shape
