"""Gaps at the PyTorch boundary, closed: the operators by name (`add(alpha=)`, `div(rounding_mode=)`,
...), square/rsqrt/reciprocal, narrow, index_fill, equal, mT, expand_as, einsum with `...`,
nn.utils.parameters_to_vector / vector_to_parameters, the norm layers' `bias=` and
Module.register_full_backward_pre_hook. Each: float64 finite differences with a random upstream
gradient, PyTorch's values and gradients (skipped without torch), float32 kept, torch's errors."""

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.testing import gradcheck

RNG = np.random.default_rng(0)


def _t(a, grad=True):
    return minigrad.tensor(a, requires_grad=grad)


def _torch_pair(fn_ours, fn_torch, *arrays, G=None):
    """Run both libraries on the same float64 inputs with the same random upstream gradient;
    compare values and every input's gradient."""
    torch = pytest.importorskip("torch")
    xo = [minigrad.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    yo, yt = fn_ours(*xo), fn_torch(*xt)
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    G = RNG.standard_normal(yo.shape) if G is None else G
    yo.backward(minigrad.tensor(G))
    yt.backward(torch.tensor(G))
    for a, b in zip(xo, xt):
        want = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        got = np.zeros(a.shape) if a.grad is None else a.grad.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# ***** the operators by name *****

BINARY = {
    "add_alpha": (lambda m: lambda a, b: minigrad.add(a, b, alpha=2.5), lambda t: lambda a, b: t.add(a, b, alpha=2.5)),
    "sub_alpha": (lambda m: lambda a, b: a.sub(b, alpha=-0.5), lambda t: lambda a, b: a.sub(b, alpha=-0.5)),
    "mul": (lambda m: lambda a, b: minigrad.mul(a, b), lambda t: lambda a, b: t.mul(a, b)),
    "div": (lambda m: lambda a, b: a.div(b), lambda t: lambda a, b: a.div(b)),
    "div_trunc": (lambda m: lambda a, b: minigrad.div(a, b, rounding_mode="trunc"),
                  lambda t: lambda a, b: t.div(a, b, rounding_mode="trunc")),
    "div_floor": (lambda m: lambda a, b: a.div(b, rounding_mode="floor"),
                  lambda t: lambda a, b: a.div(b, rounding_mode="floor")),
    "matmul": (lambda m: lambda a, b: a.matmul(b.mT), lambda t: lambda a, b: a.matmul(b.mT)),
}


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_by_name_match_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = BINARY[name]
    a, b = RNG.standard_normal((3, 4)) * 3, RNG.standard_normal((3, 4)) + 0.5
    _torch_pair(ours(minigrad), theirs(torch), a, b)


@pytest.mark.parametrize("name", ["add_alpha", "sub_alpha", "mul", "div", "matmul"])
def test_binary_ops_by_name_gradcheck(name):
    fn = BINARY[name][0](minigrad)
    a, b = _t(RNG.standard_normal((3, 4))), _t(RNG.standard_normal((3, 4)) + 3)
    assert gradcheck(fn, a, b)


def test_alpha_with_a_number_and_broadcasting():
    a = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert minigrad.add(a, 2, alpha=3).tolist() == [[7.0, 8.0], [9.0, 10.0]]
    assert a.sub(minigrad.tensor([1.0, 0.0]), alpha=2).tolist() == [[-1.0, 2.0], [1.0, 4.0]]
    assert minigrad.add(minigrad.tensor([1, 2]), minigrad.tensor([1, 1]), alpha=2).tolist() == [3, 4]


def test_float_alpha_with_integer_tensors_raises_as_torch():
    ints = minigrad.tensor([1, 2])
    with pytest.raises(RuntimeError, match="alpha must not be a floating point"):
        minigrad.add(ints, ints, alpha=2.5)
    with pytest.raises(RuntimeError, match="alpha must not be a floating point"):
        ints.sub(1, alpha=0.5)


def test_div_rounding_modes_on_integers_and_errors():
    torch = pytest.importorskip("torch")
    a = np.array([-7, 7, -8, 9, 2**53 + 1, -(2**60) - 3], dtype=np.int64)
    b = np.array([2, -2, 3, 3, 2, 7], dtype=np.int64)
    for mode in ("trunc", "floor"):
        got = minigrad.div(minigrad.tensor(a), minigrad.tensor(b), rounding_mode=mode)
        want = torch.div(torch.tensor(a), torch.tensor(b), rounding_mode=mode)
        assert got.dtype == minigrad.int64 and got.tolist() == want.tolist()
    with pytest.raises(RuntimeError, match="rounding_mode"):
        minigrad.div(minigrad.tensor(a), 2, rounding_mode="round")
    with pytest.raises(RuntimeError, match="division by zero"):
        minigrad.div(minigrad.tensor([1]), 0, rounding_mode="trunc")


def test_div_with_rounding_mode_has_a_zero_gradient_as_torch():
    x = _t(np.array([1.5, -2.5, 3.0]))
    minigrad.div(x, minigrad.tensor([0.0, 2.0, 1.0]), rounding_mode="trunc").backward(minigrad.tensor([1.0, 2.0, 3.0], dtype=minigrad.float64))
    assert x.grad.tolist() == [0.0, 0.0, 0.0]  # also where the divisor is 0


def test_neg_where_and_the_methods_keep_float32():
    x = minigrad.randn(3, 4)
    for y in (x.add(1.5, alpha=2), x.sub(np.float64(0.5)), x.mul(np.float64(2)), x.div(3.0), x.neg(),
              x.square(), x.abs().rsqrt(), x.reciprocal(), x.where(x > 0, np.float64(0.0)),
              minigrad.add(x, x, alpha=0.5), x.div(2.0, rounding_mode="trunc")):
        assert y.dtype == minigrad.float32
    assert x.neg().tolist() == (-x).tolist()
    assert x.where(x > 0, 0.0).tolist() == minigrad.where(x > 0, x, 0.0).tolist()


# ***** square, rsqrt, reciprocal *****

UNARY = ["square", "rsqrt", "reciprocal"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_match_torch_and_gradcheck(name):
    torch = pytest.importorskip("torch")
    a = RNG.uniform(0.3, 3.0, (3, 5))
    _torch_pair(getattr(minigrad, name), getattr(torch, name), a)
    _torch_pair(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), a)
    assert gradcheck(getattr(minigrad, name), _t(a))


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_double_backward(name):
    torch = pytest.importorskip("torch")
    a, G = RNG.uniform(0.5, 2.0, 4), RNG.standard_normal(4)
    xo, xt = _t(a), torch.tensor(a, requires_grad=True)
    (go,) = minigrad.autograd.grad(getattr(minigrad, name)(xo), xo, minigrad.tensor(G), create_graph=True)
    (gt,) = torch.autograd.grad(getattr(torch, name)(xt), xt, torch.tensor(G), create_graph=True)
    (go * go).sum().backward()
    (gt * gt).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


def test_unary_dtypes_and_edges_as_torch():
    torch = pytest.importorskip("torch")
    ints = [2, 0, -3]
    assert minigrad.square(minigrad.tensor(ints)).dtype == minigrad.int64  # integers stay integers
    for name in ("reciprocal", "rsqrt", "square"):
        with np.errstate(divide="ignore", invalid="ignore"):
            got = getattr(minigrad, name)(minigrad.tensor(ints))
        want = getattr(torch, name)(torch.tensor(ints))
        assert str(got.dtype) == str(want.dtype).replace("torch.", "")
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("name", ["square_", "rsqrt_", "reciprocal_"])
def test_in_place_unary_ops(name):
    x = minigrad.tensor([0.25, 4.0])
    y = getattr(x, name[:-1])()
    assert getattr(x, name)() is x and x.tolist() == y.tolist()


# ***** narrow, mT, expand_as, equal, index_fill *****


def test_narrow_matches_torch_values_gradients_and_errors():
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal((4, 6))
    for dim, start, length in [(0, 1, 2), (1, -4, 3), (-1, 0, 6), (0, 4, 0), (1, 6, 0)]:
        _torch_pair(lambda x: x.narrow(dim, start, length), lambda x: x.narrow(dim, start, length), a)
        _torch_pair(lambda x: minigrad.narrow(x, dim, start, length), lambda x: torch.narrow(x, dim, start, length), a)
    assert gradcheck(lambda x: x.narrow(1, 2, 3), _t(a))
    x = minigrad.tensor(a)
    assert x.narrow(0, minigrad.tensor(1), 2).tolist() == a[1:3].tolist()  # a 0-d tensor start
    view = x.narrow(1, 1, 2)
    view.fill_(7.0)
    assert (x.numpy()[:, 1:3] == 7).all()  # a view, as torch's
    xt = torch.tensor(a)
    for args in [(0, 1, 5), (0, 5, 1), (0, -5, 1), (2, 0, 1), (0, 0, -1)]:
        with pytest.raises(Exception) as theirs:
            xt.narrow(*args)
        with pytest.raises(type(theirs.value)):
            x.narrow(*args)


def test_mT_and_expand_as():
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal((2, 3, 4))
    _torch_pair(lambda x: x.mT, lambda x: x.mT, a)
    assert gradcheck(lambda x: x.mT * 2, _t(a))
    with pytest.raises(RuntimeError, match="matrices"):
        minigrad.tensor([1.0, 2.0]).mT
    b = RNG.standard_normal((3, 1))
    _torch_pair(lambda x: x.expand_as(minigrad.zeros(2, 3, 4)), lambda x: x.expand_as(torch.zeros(2, 3, 4)), b)
    assert gradcheck(lambda x: x.expand_as(minigrad.zeros(2, 3, 4)), _t(b))
    with pytest.raises(Exception):
        minigrad.zeros(3, 2).expand_as(minigrad.zeros(3, 4))


def test_equal_as_torch():
    torch = pytest.importorskip("torch")
    pairs = [([1.0, 2.0], [1.0, 2.0]), ([1, 2], [1.0, 2.0]), ([1.0, 2.0], [1.0, 2.5]), ([1.0], [1.0, 1.0]),
             ([[1.0, 2.0]], [1.0, 2.0]), ([float("nan")], [float("nan")]), ([], [])]
    for a, b in pairs:
        want = torch.equal(torch.tensor(a), torch.tensor(b))
        assert minigrad.equal(minigrad.tensor(a), minigrad.tensor(b)) is want
        assert minigrad.tensor(a).equal(minigrad.tensor(b)) is want
    with pytest.raises(TypeError):
        minigrad.equal(minigrad.tensor([1.0]), [1.0])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_fill_matches_torch_with_a_tensor_value(dim):
    torch = pytest.importorskip("torch")
    a, v = RNG.standard_normal((3, 4, 2)), np.array(1.5)
    idx = [0, 1, 0]  # a repeated index: its slice is filled once, its gradient counted once
    _torch_pair(lambda x, val: x.index_fill(dim, minigrad.tensor(idx), val),
                lambda x, val: x.index_fill(dim, torch.tensor(idx), val), a, v)
    assert gradcheck(lambda x, val: minigrad.index_fill(x, dim, minigrad.tensor(idx), val), _t(a), _t(v))


def test_index_fill_in_place_numbers_and_errors():
    torch = pytest.importorskip("torch")
    x, xt = minigrad.zeros(3, 4), torch.zeros(3, 4)
    assert x.index_fill_(1, minigrad.tensor(-1), 2.0) is x
    xt.index_fill_(1, torch.tensor(-1), 2.0)
    assert x.tolist() == xt.tolist()
    ints = minigrad.zeros(3, dtype=minigrad.int64).index_fill(0, minigrad.tensor([1]), 2.7)
    assert ints.dtype == minigrad.int64 and ints.tolist() == [0, 2, 0]  # truncated, as torch
    for args, kind in [((1, minigrad.tensor([0, 5]), 1.0), IndexError),
                       ((1, minigrad.tensor([0.0]), 1.0), IndexError),
                       ((1, minigrad.tensor([0], dtype=minigrad.int32), 1.0), IndexError),
                       ((1, minigrad.tensor([[0]]), 1.0), RuntimeError),
                       ((1, minigrad.tensor([0]), minigrad.tensor([1.0, 2.0])), RuntimeError),
                       ((2, minigrad.tensor([0]), 1.0), IndexError)]:
        with pytest.raises(kind):
            x.index_fill(*args)
    # inside a graph, on a non-leaf, recorded: the filled places get no gradient
    w = _t(np.ones((2, 3)))
    h = w * 2
    h.index_fill_(1, minigrad.tensor([1]), 0.0)
    h.backward(minigrad.ones(2, 3, dtype=minigrad.float64))
    assert w.grad.tolist() == [[2.0, 0.0, 2.0], [2.0, 0.0, 2.0]]


# ***** the torch-named functions *****


def test_torch_named_functions_exist_and_agree_with_torch():
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal((2, 3))
    x, xt = minigrad.tensor(a), torch.tensor(a)
    cases = [("reshape", ((3, 2),)), ("transpose", (0, 1)), ("permute", ((1, 0),)), ("unsqueeze", (1,)),
             ("squeeze", ()), ("t", ()), ("neg", ()), ("pow", (2,)), ("broadcast_to", ((4, 2, 3),))]
    for name, args in cases:
        np.testing.assert_array_equal(getattr(minigrad, name)(x, *args).numpy(), getattr(torch, name)(xt, *args).numpy())
    assert minigrad.numel(x) == torch.numel(xt) == 6
    assert minigrad.is_tensor(x) and minigrad.is_tensor(nn.Parameter(x)) and not minigrad.is_tensor(a)


# ***** einsum with "..." *****

EINSUM = [
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),  # a size-1 broadcast dim, operands of other ranks
    ("...ij,...jk", [(2, 3, 4), (2, 4, 5)]),  # implicit output: the broadcast dims first
    ("...i->i", [(2, 3, 4)]),  # broadcast dims summed
    ("i...->...", [(3, 4)]),
    ("...,...", [(3, 4), (4,)]),
    ("b...,b...->b", [(2, 3, 4), (2, 1, 4)]),
    ("...ii->...i", [(2, 3, 3)]),  # a diagonal under the ellipsis
    ("bn...,bm...->bnm", [(2, 3, 4), (2, 5, 4)]),
    ("...->...", [()]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_with_ellipsis_matches_torch(eq, shapes):
    torch = pytest.importorskip("torch")
    arrays = [RNG.standard_normal(s) for s in shapes]
    _torch_pair(lambda *xs: minigrad.einsum(eq, *xs), lambda *xs: torch.einsum(eq, *xs), *arrays)


@pytest.mark.parametrize("eq,shapes", EINSUM[:6], ids=[e for e, _ in EINSUM[:6]])
def test_einsum_with_ellipsis_gradcheck(eq, shapes):
    xs = [_t(RNG.standard_normal(s)) for s in shapes]
    assert gradcheck(lambda *xs: minigrad.einsum(eq, *xs), *xs)


def test_einsum_with_ellipsis_keeps_float32_and_refuses_what_torch_refuses():
    a, b = minigrad.randn(2, 3, 4), minigrad.randn(2, 4, 5)
    assert minigrad.einsum("...ij,...jk->...ik", a, b).dtype == minigrad.float32
    with pytest.raises(ValueError, match="broadcast"):
        minigrad.einsum("...ij,...jk->...ik", minigrad.randn(2, 3, 4), minigrad.randn(3, 4, 5))
    with pytest.raises(ValueError):
        minigrad.einsum("...ijk->...", minigrad.randn(2, 3))  # more letters than dims
    with pytest.raises(ValueError):
        minigrad.einsum("...ij,...jk->...ik", minigrad.randn(2, 3, 4))  # one operand missing


# ***** nn.utils.parameters_to_vector / vector_to_parameters *****


def test_parameters_to_vector_is_a_copy_in_the_graph():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    vo, vt = nn.utils.parameters_to_vector(ours.parameters()), torch.nn.utils.parameters_to_vector(theirs.parameters())
    np.testing.assert_array_equal(vo.numpy(), vt.detach().numpy())
    G = RNG.standard_normal(vo.shape).astype(np.float32)
    vo.backward(minigrad.tensor(G))
    vt.backward(torch.tensor(G))
    for (n, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy(), err_msg=n)
    with minigrad.no_grad():
        vo.fill_(0.0)  # a copy: the parameters keep their values
    assert (ours[0].weight.numpy() != 0).any()


def test_vector_to_parameters_shares_the_vector_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    w_obj = ours.weight
    v = RNG.standard_normal(8).astype(np.float32)
    vo, vt = minigrad.tensor(v), torch.tensor(v)
    nn.utils.vector_to_parameters(vo, ours.parameters())
    torch.nn.utils.vector_to_parameters(vt, theirs.parameters())
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert p.shape == tuple(q.shape) and p.numpy().tolist() == q.detach().numpy().tolist()
    assert ours.weight is w_obj and ours.weight.requires_grad  # the same Parameter objects
    vo.array[0] = 100.0  # torch's parameters are views of the vector: so are ours
    vt[0] = 100.0
    assert ours.weight.numpy()[0, 0] == theirs.weight.detach().numpy()[0, 0] == 100.0
    # a model still trains after it
    loss = ours(minigrad.ones(1, 3)).sum()
    loss.backward()
    assert ours.weight.grad.shape == (2, 3)


def test_vector_to_parameters_errors():
    fc = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="expected minigrad.Tensor"):
        nn.utils.vector_to_parameters(np.zeros(8), fc.parameters())
    with pytest.raises(RuntimeError, match="7 elements"):
        nn.utils.vector_to_parameters(minigrad.zeros(7), fc.parameters())
    with pytest.raises(ValueError, match="1-d"):
        nn.utils.vector_to_parameters(minigrad.zeros(2, 4), fc.parameters())
    before = fc.weight.numpy().copy()
    with pytest.raises(RuntimeError):
        nn.utils.vector_to_parameters(minigrad.zeros(7), fc.parameters())
    assert (fc.weight.numpy() == before).all()  # refused before anything was written
    with pytest.raises(RuntimeError):
        nn.utils.parameters_to_vector([])


# ***** norm layers' bias= *****

NORMS = {
    "BatchNorm1d": (lambda lib, **kw: lib.nn.BatchNorm1d(3, **kw), (6, 3)),
    "BatchNorm2d": (lambda lib, **kw: lib.nn.BatchNorm2d(3, **kw), (4, 3, 2, 2)),
    "GroupNorm": (lambda lib, **kw: lib.nn.GroupNorm(3, 3, **kw), (4, 3, 5)),
    "InstanceNorm1d": (lambda lib, **kw: lib.nn.InstanceNorm1d(3, affine=True, **kw), (4, 3, 5)),
}


@pytest.mark.parametrize("name", NORMS)
def test_norm_layers_without_bias_match_torch(name):
    torch = pytest.importorskip("torch")
    import parity

    make, shape = NORMS[name]
    ours, theirs = make(minigrad, bias=False, dtype=minigrad.float64), make(torch, bias=False, dtype=torch.float64)
    assert ours.bias is None and theirs.bias is None
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()] == ["weight"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with minigrad.no_grad():
        ours.weight.copy_(minigrad.tensor(RNG.uniform(0.5, 2.0, 3)))
    parity.copy_weights(ours, theirs)
    x = RNG.standard_normal(shape) * 2 + 1
    parity.assert_step_matches(ours, theirs, x, RNG.standard_normal(shape), rtol=1e-10, atol=1e-10)
    assert "bias=False" in repr(ours)
    ours.reset_parameters()  # with no bias to reset
    assert ours.weight.tolist() == [1.0, 1.0, 1.0]


def test_batchnorm_bias_defaults_and_freeze_without_bias():
    bn = nn.BatchNorm1d(3)
    assert bn.bias is not None and "bias" not in repr(bn)  # the repr minigrad always had
    frozen = nn.BatchNorm1d(3, bias=False).freeze()
    assert not frozen.weight.requires_grad
    assert nn.BatchNorm1d(3, affine=False, bias=False).weight is None
    lazy = nn.LazyBatchNorm1d(bias=False)
    lazy(minigrad.randn(4, 5))
    assert lazy.bias is None and lazy.weight.shape == (5,)
    with pytest.raises(TypeError):
        nn.BatchNorm1d(3, 1e-5, 0.1, True, True, None, None, False)  # keyword-only, as torch


# ***** register_full_backward_pre_hook *****


def _pair_with_hooks(torch, pre, full=None):
    ours, theirs = nn.Linear(3, 2, dtype=minigrad.float64), torch.nn.Linear(3, 2, dtype=torch.float64)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    logs = ([], [])
    for m, log in zip((ours, theirs), logs):
        m.register_full_backward_pre_hook(lambda mod, go, log=log: pre(mod, go, log))
        if full:
            m.register_full_backward_hook(lambda mod, gi, go, log=log: full(mod, gi, go, log))
    return ours, theirs, logs


def test_backward_pre_hook_replaces_grad_output_as_torch():
    torch = pytest.importorskip("torch")

    def pre(mod, go, log):
        log.append(("pre", len(go), np.asarray(go[0].detach() if hasattr(go[0], "detach") else go[0]).copy()))
        return (go[0] * 3,)

    def full(mod, gi, go, log):
        log.append(("full", np.asarray(go[0].detach() if hasattr(go[0], "detach") else go[0]).copy()))

    ours, theirs, (lo, lt) = _pair_with_hooks(torch, pre, full)
    x, G = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 2))
    xo, xt = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours(xo).backward(minigrad.tensor(G))
    theirs(xt).backward(torch.tensor(G))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)
    assert [e[0] for e in lo] == [e[0] for e in lt] == ["pre", "full"]
    np.testing.assert_allclose(lo[0][2], G)
    np.testing.assert_allclose(lo[1][1], 3 * G)  # the full hook sees the replaced grad_output
    np.testing.assert_allclose(lt[1][1], 3 * G)


def test_backward_pre_hook_order_prepend_remove_and_no_input_grad():
    calls = []
    fc = nn.Linear(3, 2)
    h1 = fc.register_full_backward_pre_hook(lambda m, go: calls.append(1))
    fc.register_full_backward_pre_hook(lambda m, go: calls.append(0), prepend=True)
    fc(minigrad.randn(2, 3)).sum().backward()  # no input requires grad: the hooks fire all the same
    assert calls == [0, 1]
    h1.remove()
    calls.clear()
    fc(minigrad.randn(2, 3, requires_grad=True)).sum().backward()
    assert calls == [0]
    fc.weight.requires_grad_(False)
    fc.bias.requires_grad_(False)
    calls.clear()
    fc(minigrad.randn(2, 3))  # nothing to differentiate: forward only, no hook
    assert calls == []


def test_backward_pre_hook_bad_return_raises_as_torch():
    torch = pytest.importorskip("torch")
    for bad in (lambda go: (go[0], go[0]), lambda go: go[0] * 2):
        ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
        ours.register_full_backward_pre_hook(lambda m, go: bad(go))
        theirs.register_full_backward_pre_hook(lambda m, go: bad(go))
        with pytest.raises(RuntimeError):
            theirs(torch.randn(4, 3, requires_grad=True)).sum().backward()
        with pytest.raises(RuntimeError, match="grad_output"):
            ours(minigrad.randn(4, 3, requires_grad=True)).sum().backward()


def test_backward_pre_hook_under_create_graph():
    fc = nn.Linear(2, 2, dtype=minigrad.float64)
    fc.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
    x = _t(RNG.standard_normal((3, 2)))
    (g,) = minigrad.autograd.grad((fc(x) ** 2).sum(), x, create_graph=True)
    plain = nn.Linear(2, 2, dtype=minigrad.float64)
    plain.load_state_dict(fc.state_dict())
    (g2,) = minigrad.autograd.grad((plain(x) ** 2).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), 2 * g2.numpy(), rtol=1e-12)
    g.sum().backward()  # the hooked gradient can itself be differentiated
    assert x.grad is not None
