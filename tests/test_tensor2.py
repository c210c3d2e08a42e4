"""Tensor methods and functions that ported PyTorch tutorial code uses: unique, count_nonzero,
nan_to_num, the logical ops, trunc, clamp_min/clamp_max, dot/mv/outer/addmm/tensordot,
diag/diagonal, cumprod (exact at zeros), tan/erf/expm1/exp2/atan2, swapaxes/movedim/unflatten,
repeat_interleave, meshgrid, broadcast_tensors, diff, the NumPy-named aliases, squeeze_/
unsqueeze_/t_, detach_, element_size/nbytes/get_device, bernoulli, empty_like/randint_like.

Each differentiable one: float64 finite differences with a random upstream gradient, PyTorch's
values and gradients (skipped without torch), float32 kept (also next to NumPy scalars), and
torch's errors."""

import numpy as np
import pytest

import minigrad
from minigrad.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(7)


def _t(a, grad=True):
    return minigrad.tensor(a, requires_grad=grad)


def _torch_pair(fn_ours, fn_torch, *arrays, tol=1e-12):
    """Both libraries on the same float64 inputs with the same random upstream gradient:
    values and every input's gradient must agree."""
    torch = pytest.importorskip("torch")
    xo = [minigrad.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    yo, yt = fn_ours(*xo), fn_torch(*xt)
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    G = RNG.standard_normal(yo.shape)
    yo.backward(minigrad.tensor(G))
    yt.backward(torch.tensor(G))
    for a, b in zip(xo, xt):
        want = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        got = np.zeros(a.shape) if a.grad is None else a.grad.numpy()
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# ***** differentiable ops: torch parity, gradcheck, float32 *****

# name: (ours, torch's, input arrays)
A34, B34 = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
DIFFERENTIABLE = {
    "tan": (lambda x: x.tan(), lambda x: x.tan(), [RNG.uniform(-1.2, 1.2, (3, 4))]),
    "erf": (lambda x: minigrad.erf(x * 2), lambda x: x.mul(2).erf(), [A34]),
    "expm1": (lambda x: x.expm1(), lambda x: x.expm1(), [A34]),
    "exp2": (lambda x: minigrad.exp2(x), lambda x: x.exp2(), [A34]),
    "atan2": (lambda a, b: minigrad.atan2(a, b), lambda a, b: a.atan2(b), [A34, B34]),
    "atan2_broadcast": (lambda a, b: a.arctan2(b), lambda a, b: a.arctan2(b), [A34, B34[:1]]),
    "nan_to_num": (lambda x: x.nan_to_num(), lambda x: x.nan_to_num(), [A34]),
    "clamp_min": (lambda x: x.clamp_min(0.3), lambda x: x.clamp_min(0.3), [A34]),
    "clamp_max": (lambda x: minigrad.clamp_max(x, -0.2), lambda x: x.clamp_max(-0.2), [A34]),
    "clamp_min_tensor": (lambda x, m: x.clamp_min(m), lambda x, m: x.clamp_min(m), [A34, B34[0]]),
    "clamp_max_tensor": (lambda x, m: x.clamp_max(m), lambda x, m: x.clamp_max(m), [A34, B34]),
    "dot": (lambda a, b: minigrad.dot(a, b), lambda a, b: a.dot(b), [A34[0], B34[0]]),
    "mv": (lambda m, v: m.mv(v), lambda m, v: m.mv(v), [A34, B34[0]]),
    "outer": (lambda a, b: minigrad.outer(a, b), lambda a, b: a.outer(b), [A34[0], B34[1, :3]]),
    "addmm": (lambda i, a, b: minigrad.addmm(i, a, b, beta=0.5, alpha=-2.0),
              lambda i, a, b: i.addmm(a, b, beta=0.5, alpha=-2.0), [B34[0, :3], A34, B34.T]),
    "addmm_default": (lambda i, a, b: i.addmm(a, b), lambda i, a, b: i.addmm(a, b), [B34[:, :3], A34, B34.T]),
    "tensordot_int": (lambda a, b: minigrad.tensordot(a, b, 1), lambda a, b: __import__("torch").tensordot(a, b, 1),
                      [RNG.standard_normal((2, 3, 4)), RNG.standard_normal((4, 5))]),
    "tensordot_lists": (lambda a, b: minigrad.tensordot(a, b, dims=([1, 2], [1, 0])),
                        lambda a, b: __import__("torch").tensordot(a, b, dims=([1, 2], [1, 0])),
                        [RNG.standard_normal((2, 3, 4)), RNG.standard_normal((4, 3, 5))]),
    "cumprod": (lambda x: x.cumprod(1), lambda x: x.cumprod(1), [A34]),
    "cumprod_dim0": (lambda x: minigrad.cumprod(x, -2), lambda x: x.cumprod(-2), [A34]),
    "diag_vector": (lambda x: minigrad.diag(x, 1), lambda x: x.diag(1), [A34[0]]),
    "diag_vector_below": (lambda x: x.diag(-2), lambda x: x.diag(-2), [A34[0]]),
    "diag_matrix": (lambda x: x.diag(-1), lambda x: x.diag(-1), [A34]),
    "diagonal": (lambda x: x.diagonal(1, 2, 0), lambda x: x.diagonal(1, 2, 0), [RNG.standard_normal((3, 2, 4))]),
    "diagonal_negative": (lambda x: minigrad.diagonal(x, -1), lambda x: x.diagonal(-1), [A34]),
    "swapaxes": (lambda x: x.swapaxes(0, 2), lambda x: x.swapaxes(0, 2), [RNG.standard_normal((2, 3, 4))]),
    "swapdims": (lambda x: minigrad.swapdims(x, -1, 0), lambda x: x.swapdims(-1, 0), [A34]),
    "movedim": (lambda x: x.movedim(0, -1), lambda x: x.movedim(0, -1), [RNG.standard_normal((2, 3, 4))]),
    "movedim_many": (lambda x: minigrad.moveaxis(x, (0, 1), (2, 0)), lambda x: x.moveaxis((0, 1), (2, 0)),
                     [RNG.standard_normal((2, 3, 4))]),
    "unflatten": (lambda x: x.unflatten(1, (2, -1)), lambda x: x.unflatten(1, (2, -1)), [A34]),
    "repeat_interleave": (lambda x: x.repeat_interleave(2), lambda x: x.repeat_interleave(2), [A34]),
    "repeat_interleave_tensor": (lambda x: x.repeat_interleave(minigrad.tensor([0, 2, 3, 1]), dim=1),
                                 lambda x: x.repeat_interleave(__import__("torch").tensor([0, 2, 3, 1]), dim=1),
                                 [A34]),
    "diff": (lambda x: x.diff(), lambda x: x.diff(), [A34]),
    "diff_n2_dim0_prepend": (lambda x, p: minigrad.diff(x, 2, 0, prepend=p),
                             lambda x, p: x.diff(2, 0, prepend=p), [A34, B34[:2]]),
    "diff_append": (lambda x, p: x.diff(dim=1, append=p), lambda x, p: x.diff(dim=1, append=p), [A34, B34[:, :1]]),
    "multiply": (lambda a, b: a.multiply(b), lambda a, b: a.multiply(b), [A34, B34]),
    "subtract": (lambda a, b: minigrad.subtract(a, b), lambda a, b: a.subtract(b), [A34, B34]),
    "divide": (lambda a, b: minigrad.divide(a, b), lambda a, b: a.divide(b), [A34, B34 + 3]),
    "true_divide": (lambda a, b: a.true_divide(b), lambda a, b: a.true_divide(b), [A34, B34 + 3]),
    "negative": (lambda x: minigrad.negative(x), lambda x: x.negative(), [A34]),
}


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_values_and_gradients_match_torch(name):
    pytest.importorskip("torch")
    ours, theirs, arrays = DIFFERENTIABLE[name]
    _torch_pair(ours, theirs, *arrays)


@pytest.mark.parametrize("name", [n for n in DIFFERENTIABLE if "clamp" not in n])
def test_gradcheck(name):
    ours, _, arrays = DIFFERENTIABLE[name]
    assert gradcheck(ours, *[_t(a) for a in arrays])


@pytest.mark.parametrize("name", ["tan", "erf", "expm1", "exp2", "atan2", "cumprod", "diagonal", "diag_vector",
                                  "outer", "addmm"])
def test_second_derivatives(name):
    ours, _, arrays = DIFFERENTIABLE[name]
    assert gradgradcheck(ours, *[_t(a[..., :3] if a.ndim > 1 and name == "cumprod" else a) for a in arrays])


@pytest.mark.parametrize("name", ["tan", "erf", "expm1", "exp2", "atan2", "nan_to_num", "clamp_min", "clamp_max",
                                  "dot", "mv", "outer", "addmm", "tensordot_int", "cumprod", "diag_vector",
                                  "diagonal", "movedim", "unflatten", "repeat_interleave", "diff"])
def test_float32_stays_float32(name):
    ours, _, arrays = DIFFERENTIABLE[name]
    xs = [minigrad.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    y = ours(*xs)
    assert y.dtype == np.float32
    y.backward(minigrad.tensor(RNG.standard_normal(y.shape).astype(np.float32)))
    assert all(x.grad.dtype == np.float32 for x in xs)


def test_float32_stays_float32_next_to_numpy_scalars():
    x = minigrad.tensor(A34.astype(np.float32))
    half = np.float64(0.5)
    assert minigrad.atan2(x, half).dtype == np.float32
    assert x.clamp_min(half).dtype == np.float32 and x.clamp_max(np.float64(-0.5)).dtype == np.float32
    assert x.nan_to_num(nan=np.float64(1.0), posinf=np.float64(2.0)).dtype == np.float32
    assert minigrad.addmm(x[:, :3], x, x.T, beta=half, alpha=np.float64(2.0)).dtype == np.float32
    assert (x * np.float64(2)).cumprod(0).dtype == np.float32
    assert x.erf().dtype == np.float32 and x.tan().dtype == np.float32 and x.exp2().dtype == np.float32


def test_integer_inputs_give_the_default_float_as_torch():
    torch = pytest.importorskip("torch")
    i = [1, -2, 3]
    for name in ("tan", "erf", "expm1", "exp2"):
        ours, theirs = getattr(minigrad.tensor(i), name)(), getattr(torch.tensor(i), name)()
        assert ours.dtype == np.float32 and theirs.dtype == torch.float32
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert minigrad.atan2(minigrad.tensor(i), minigrad.tensor([2, 2, 2])).dtype == np.float32
    assert minigrad.outer(minigrad.tensor([1, 2]), minigrad.tensor([1.0, 3.0])).dtype == np.float32
    assert minigrad.cumprod(minigrad.tensor([True, True]), 0).dtype == np.int64  # as torch
    assert minigrad.tensor([1, 2]).trunc().dtype == np.int64


def test_erf_at_the_extremes():
    torch = pytest.importorskip("torch")
    v = [-np.inf, -30.0, -2.5, -1e-8, 0.0, 2.4999, 2.5, 6.0, np.inf]
    np.testing.assert_allclose(minigrad.erf(minigrad.tensor(v, dtype=minigrad.float64)).numpy(),
                               torch.tensor(v, dtype=torch.float64).erf().numpy(), rtol=1e-13, atol=1e-15)
    assert np.isnan(minigrad.tensor([np.nan]).erf().item())


# ***** cumprod at zeros: torch's exact gradient *****


@pytest.mark.parametrize("row", [[2.0, 0.0, 3.0, 4.0], [0.0, 1.5, -2.0], [1.5, 2.0, 0.0], [0.0, 0.0, 3.0],
                                 [2.0, 0.0, 5.0, 0.0, 3.0], [0.0]])
def test_cumprod_gradient_at_zeros_matches_torch(row):
    pytest.importorskip("torch")
    x = np.array([row, [r + 1.0 for r in row]])  # a second row without zeros (unless -1 is there)
    _torch_pair(lambda t: t.cumprod(1), lambda t: t.cumprod(1), x)
    _torch_pair(lambda t: t.T.cumprod(0), lambda t: t.T.cumprod(0), x)
    # finite differences agree too: the gradient is polynomial in x, so exact at zeros
    assert gradcheck(lambda t: t.cumprod(1), _t(x))


def test_cumprod_of_a_0d_tensor_and_an_empty_dim():
    torch = pytest.importorskip("torch")
    assert minigrad.tensor(3.0).cumprod(0).item() == 3.0
    assert minigrad.zeros(2, 0).cumprod(1).shape == tuple(torch.zeros(2, 0).cumprod(1).shape)


# ***** ops without a gradient: unique, count_nonzero, logical ops, trunc *****


@pytest.mark.parametrize("kwargs", [{}, {"return_inverse": True}, {"return_counts": True},
                                    {"return_inverse": True, "return_counts": True}, {"sorted": False},
                                    {"dim": 0, "return_inverse": True, "return_counts": True},
                                    {"dim": 1, "return_inverse": True}])
def test_unique_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    a = RNG.integers(0, 3, (5, 4))
    a[3] = a[1]  # a repeated row for dim=0
    ours, theirs = minigrad.tensor(a).unique(**kwargs), torch.tensor(a).unique(**kwargs)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert o.dtype == np.int64 and o.shape == tuple(t.shape)
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_unique_of_floats_keeps_the_dtype_and_has_no_derivative():
    x = minigrad.tensor([3.0, 1.0, 3.0, np.inf], dtype=minigrad.float32, requires_grad=True)
    u = minigrad.unique(x)
    assert u.dtype == np.float32 and u.tolist() == [1.0, 3.0, np.inf]
    with pytest.raises(RuntimeError, match="derivative for unique is not implemented"):
        (u * 2).sum().backward()
    assert minigrad.unique(x.detach()).requires_grad is False


def test_unique_keeps_every_nan_as_torch():
    torch = pytest.importorskip("torch")
    a = [1.0, np.nan, -np.inf, np.nan, 1.0]
    ours = minigrad.tensor(a).unique(return_inverse=True, return_counts=True)
    theirs = torch.tensor(a).unique(return_inverse=True, return_counts=True)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_count_nonzero_matches_torch():
    torch = pytest.importorskip("torch")
    a = RNG.integers(0, 2, (3, 4, 2)).astype(np.float64)
    for dim in (None, 0, -1, (0, 2)):
        ours = minigrad.tensor(a).count_nonzero(dim) if dim is not None else minigrad.count_nonzero(minigrad.tensor(a))
        want = torch.count_nonzero(torch.tensor(a), dim=dim)
        assert ours.dtype == np.int64
        np.testing.assert_array_equal(ours.numpy(), want.numpy())


def test_nan_to_num_values_and_gradient_match_torch():
    torch = pytest.importorskip("torch")
    a = np.array([np.nan, np.inf, -np.inf, 1.5, -2.0])
    for kw in ({}, {"nan": 1.0, "posinf": 9.0, "neginf": -9.0}):
        for dt in (np.float32, np.float64):
            ours = minigrad.tensor(a.astype(dt)).nan_to_num(**kw)
            want = torch.tensor(a.astype(dt)).nan_to_num(**kw)
            assert ours.dtype == dt
            np.testing.assert_array_equal(ours.numpy(), want.numpy())
    _torch_pair(lambda t: t.nan_to_num(posinf=3.0), lambda t: t.nan_to_num(posinf=3.0), a)  # grad 0 at nan/inf
    x = minigrad.tensor(a.copy())
    x.nan_to_num_()
    assert np.isfinite(x.numpy()).all()
    assert minigrad.tensor([1, 2]).nan_to_num().tolist() == [1, 2]


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_ops_match_torch(name):
    torch = pytest.importorskip("torch")
    a, b = np.array([[0.0, 1.5, -2.0, np.nan]]), np.array([[0], [3]])
    ours = getattr(minigrad, name)(minigrad.tensor(a), minigrad.tensor(b))
    want = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    assert ours.dtype == np.bool_
    np.testing.assert_array_equal(ours.numpy(), want.numpy())
    np.testing.assert_array_equal(getattr(minigrad.tensor(a), name)(minigrad.tensor(b)).numpy(), want.numpy())
    with pytest.raises(TypeError, match="must be a Tensor"):
        getattr(minigrad, name)(minigrad.tensor(a), 1)


def test_logical_not_matches_torch():
    torch = pytest.importorskip("torch")
    a = np.array([0.0, 2.0, -0.0, np.nan])
    np.testing.assert_array_equal(minigrad.tensor(a).logical_not().numpy(), torch.tensor(a).logical_not().numpy())
    assert minigrad.logical_not(minigrad.tensor([0, 3])).tolist() == [True, False]


def test_trunc_and_fix_match_torch_with_zero_gradient():
    torch = pytest.importorskip("torch")
    a = np.array([-2.7, -0.5, 0.5, 2.7, 3.0])
    np.testing.assert_array_equal(minigrad.trunc(minigrad.tensor(a)).numpy(), torch.tensor(a).trunc().numpy())
    _torch_pair(lambda t: t.fix(), lambda t: t.fix(), a)
    assert minigrad.fix(minigrad.tensor(a, dtype=minigrad.float32)).dtype == np.float32


def test_clamp_min_with_a_number_has_clamps_gradient_at_the_bound():
    # the documented difference of minigrad's clamp: 0 at the bound itself (as relu), 1 inside
    x = _t([0.0, 1.0, -1.0])
    x.clamp_min(0.0).backward(minigrad.tensor([5.0, 5.0, 5.0]))
    assert x.grad.tolist() == [0.0, 5.0, 0.0]


def test_clamp_with_a_tensor_bound_gives_ties_to_x_as_torch():
    pytest.importorskip("torch")
    x, m = np.array([0.5, 1.0, 2.0]), np.array([1.0, 1.0, 1.0])
    _torch_pair(lambda a, b: a.clamp_min(b), lambda a, b: a.clamp_min(b), x, m)
    _torch_pair(lambda a, b: a.clamp_max(b), lambda a, b: a.clamp_max(b), x, m)


# ***** shape helpers: meshgrid, broadcast_tensors, diagonal as a view *****


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_matches_torch(indexing):
    torch = pytest.importorskip("torch")
    arrays = [RNG.standard_normal(2), RNG.standard_normal(3), RNG.standard_normal(4)]
    for k in (1, 2, 3):
        xo = [_t(a) for a in arrays[:k]]
        xt = [torch.tensor(a, requires_grad=True) for a in arrays[:k]]
        yo, yt = minigrad.meshgrid(*xo, indexing=indexing), torch.meshgrid(*xt, indexing=indexing)
        loss_o, loss_t = 0, 0
        for o, t in zip(yo, yt):
            np.testing.assert_array_equal(o.numpy(), t.detach().numpy())
            G = RNG.standard_normal(o.shape)
            loss_o, loss_t = loss_o + (o * minigrad.tensor(G)).sum(), loss_t + (t * torch.tensor(G)).sum()
        loss_o.backward()
        loss_t.backward()
        for o, t in zip(xo, xt):
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    assert minigrad.meshgrid([minigrad.arange(2), minigrad.arange(3)])[0].shape == (2, 3)  # a list, as torch


def test_broadcast_tensors_match_torch_with_gradients():
    torch = pytest.importorskip("torch")
    arrays = [RNG.standard_normal((3, 1)), RNG.standard_normal(4), RNG.standard_normal((2, 1, 1))]
    xo = [_t(a) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    yo, yt = minigrad.broadcast_tensors(*xo), torch.broadcast_tensors(*xt)
    Gs = [RNG.standard_normal((2, 3, 4)) for _ in yo]
    sum((y * minigrad.tensor(G)).sum() for y, G in zip(yo, Gs)).backward()
    sum((y * torch.tensor(G)).sum() for y, G in zip(yt, Gs)).backward()
    for o, t in zip(xo, xt):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="do not broadcast"):
        minigrad.broadcast_tensors(minigrad.zeros(3), minigrad.zeros(4))


def test_diagonal_is_a_writable_view_as_torch():
    x = minigrad.zeros(3, 3)
    x.diagonal().fill_(1.0)
    assert x.tolist() == minigrad.eye(3).tolist()
    x.diagonal(1).add_(2.0)
    assert x.tolist() == [[1.0, 2.0, 0.0], [0.0, 1.0, 2.0], [0.0, 0.0, 1.0]]


def test_diag_keeps_inf_and_nan_off_the_diagonal_zero():
    y = minigrad.diag(minigrad.tensor([np.inf, np.nan]))
    assert y[0, 1].item() == 0.0 and y[1, 0].item() == 0.0 and np.isinf(y[0, 0].item())


def test_repeat_interleave_counts_alone_and_0d_match_torch():
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(minigrad.repeat_interleave(minigrad.tensor([2, 0, 3])).numpy(),
                                  torch.repeat_interleave(torch.tensor([2, 0, 3])).numpy())
    np.testing.assert_array_equal(minigrad.tensor(5).repeat_interleave(3).numpy(),
                                  torch.tensor(5).repeat_interleave(3).numpy())
    np.testing.assert_array_equal(minigrad.tensor([[1, 2], [3, 4]]).repeat_interleave(minigrad.tensor(2), dim=1).numpy(),
                                  torch.tensor([[1, 2], [3, 4]]).repeat_interleave(torch.tensor(2), dim=1).numpy())


def test_diff_of_bools_and_integers_matches_torch():
    torch = pytest.importorskip("torch")
    b = [True, True, False, True]
    np.testing.assert_array_equal(minigrad.tensor(b).diff().numpy(), torch.tensor(b).diff().numpy())
    np.testing.assert_array_equal(minigrad.tensor([1, 4, 9, 16]).diff(n=2).numpy(),
                                  torch.tensor([1, 4, 9, 16]).diff(n=2).numpy())
    assert minigrad.tensor([1.0, 2.0]).diff(n=0).tolist() == [1.0, 2.0]


# ***** torch's errors *****


def test_errors_as_torch():
    v, m = minigrad.ones(3), minigrad.ones(2, 3)
    with pytest.raises(RuntimeError, match="1D tensors expected"):
        minigrad.dot(m, v)
    with pytest.raises(RuntimeError, match="same dtype"):
        minigrad.dot(v, v.double())
    with pytest.raises(RuntimeError, match="inconsistent tensor size"):
        minigrad.dot(v, minigrad.ones(2))
    with pytest.raises(RuntimeError, match="size mismatch"):
        minigrad.mv(m, minigrad.ones(2))
    with pytest.raises(RuntimeError, match="Expected 1-D argument"):
        minigrad.outer(m, v)
    with pytest.raises(RuntimeError, match="does not broadcast"):
        minigrad.addmm(minigrad.ones(4), m, m.T)
    with pytest.raises(RuntimeError, match="do not match"):
        minigrad.tensordot(m, m, dims=([0], [1]))
    with pytest.raises(RuntimeError, match="Supports 1D or 2D"):
        minigrad.diag(minigrad.ones(2, 2, 2))
    with pytest.raises(RuntimeError, match="cannot be identical"):
        m.diagonal(0, 1, -1)
    with pytest.raises(RuntimeError, match="at least 2 dims"):
        v.diagonal()
    with pytest.raises(RuntimeError, match="don't multiply up"):
        m.unflatten(1, (2, 2))
    with pytest.raises(RuntimeError, match="same number of dims"):
        m.movedim((0, 1), 0)
    with pytest.raises(RuntimeError, match="repeated dim"):
        m.movedim((0, 0), (0, 1))
    with pytest.raises(RuntimeError, match="can not be negative"):
        v.repeat_interleave(minigrad.tensor([1, -1, 1]))
    with pytest.raises(RuntimeError, match="same size as input"):
        v.repeat_interleave(minigrad.tensor([1, 1]))
    with pytest.raises(TypeError):
        v.repeat_interleave(2.0)
    with pytest.raises(RuntimeError, match="indexing must be one of"):
        minigrad.meshgrid(v, v, indexing="yx")
    with pytest.raises(RuntimeError, match="at least one-dimensional"):
        minigrad.tensor(1.0).diff()
    with pytest.raises(RuntimeError, match="expects p to be in"):
        minigrad.bernoulli(minigrad.tensor([1.5]))
    with pytest.raises(IndexError):
        minigrad.cumprod(m, 2)


def test_the_torch_messages_really_are_torchs():
    """The messages matched above are the ones torch gives for the same calls."""
    torch = pytest.importorskip("torch")
    v, m = torch.ones(3), torch.ones(2, 3)
    for call, text in [(lambda: torch.dot(m, v), "1D tensors expected"),
                       (lambda: torch.dot(v, v.double()), "same dtype"),
                       (lambda: torch.dot(v, torch.ones(2)), "inconsistent tensor size"),
                       (lambda: torch.mv(m, torch.ones(2)), "size mismatch"),
                       (lambda: torch.outer(m, v), "Expected 1-D argument"),
                       (lambda: m.diagonal(0, 1, -1), "cannot be identical"),
                       (lambda: m.unflatten(1, (2, 2)), "don't multiply up"),
                       (lambda: v.repeat_interleave(torch.tensor([1, -1, 1])), "can not be negative"),
                       (lambda: v.repeat_interleave(torch.tensor([1, 1])), "same size as input"),
                       (lambda: torch.tensor(1.0).diff(), "at least one-dimensional")]:
        with pytest.raises(RuntimeError, match=text):
            call()


# ***** in-place shape changes and detach_ *****


@pytest.mark.parametrize("name,args", [("unsqueeze_", (1,)), ("squeeze_", (0,)), ("t_", ())])
def test_inplace_shape_change_in_a_graph_matches_torch(name, args):
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal((1, 4))
    xo, xt = _t(a), torch.tensor(a, requires_grad=True)
    yo, yt = xo * 2.0, xt * 2
    assert getattr(yo, name)(*args) is yo
    getattr(yt, name)(*args)
    assert yo.shape == tuple(yt.shape)
    G = RNG.standard_normal(yo.shape)
    (yo * yo * minigrad.tensor(G)).sum().backward()
    (yt * yt * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


def test_inplace_shape_change_after_use_raises_in_backward_as_torch():
    x = _t(RNG.standard_normal((2, 3)))
    y = x * 2.0
    z = (y * y).sum()  # saved y in its old layout
    y.t_()
    with pytest.raises(RuntimeError, match="in-place"):
        z.backward()


def test_inplace_shape_change_of_a_leaf_that_requires_grad():
    x = _t(np.zeros((1, 3)))
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.squeeze_()
    with minigrad.no_grad():
        x.squeeze_()
    assert x.shape == (3,) and x.is_leaf and x.requires_grad
    plain = minigrad.zeros(2, 3)
    plain.t_().unsqueeze_(0)
    assert plain.shape == (1, 3, 2)


def test_detach_in_place_and_as_functions():
    x = _t([1.0, 2.0])
    y = x * 3.0
    assert y.detach_() is y and y.is_leaf and not y.requires_grad and y.tolist() == [3.0, 6.0]
    d = minigrad.detach(x)
    assert not d.requires_grad and d.tolist() == x.tolist()
    x.detach()[0] = 10.0  # shares memory, as torch
    assert x[0].item() == 10.0
    c = minigrad.clone(x)
    c.backward(minigrad.tensor([4.0, 5.0]))
    assert x.grad.tolist() == [4.0, 5.0]
    z = x * 1.0
    minigrad.detach_(z)
    assert z.is_leaf


# ***** small things: sizes, devices, creation, random *****


def test_element_size_nbytes_get_device_match_torch():
    torch = pytest.importorskip("torch")
    for dt, tdt in [(minigrad.float32, torch.float32), (minigrad.float64, torch.float64), (minigrad.int64, torch.int64),
                    (minigrad.bool_, torch.bool), (minigrad.uint8, torch.uint8), (minigrad.float16, torch.float16)]:
        ours, theirs = minigrad.zeros(2, 3, dtype=dt), torch.zeros(2, 3, dtype=tdt)
        assert ours.element_size() == theirs.element_size()
        assert ours.nbytes == theirs.nbytes
    assert minigrad.zeros(2).get_device() == torch.zeros(2).get_device() == -1


def test_is_floating_point_empty_like_randint_like():
    assert minigrad.is_floating_point(minigrad.zeros(2)) and not minigrad.is_floating_point(minigrad.arange(2))
    x = minigrad.ones(2, 3, dtype=minigrad.float64)
    e = minigrad.empty_like(x)
    assert e.shape == (2, 3) and e.dtype == np.float64 and not e.requires_grad
    assert minigrad.empty_like(x, dtype=minigrad.int64).dtype == np.int64
    r = minigrad.randint_like(x, 10)
    assert r.dtype == np.float64 and r.shape == (2, 3) and ((r.numpy() >= 0) & (r.numpy() < 10)).all()
    r = minigrad.randint_like(minigrad.zeros(1000, dtype=minigrad.int64), 5, 8)
    assert r.dtype == np.int64 and set(r.tolist()) == {5, 6, 7}


def test_bernoulli_probabilities_dtype_and_seed():
    minigrad.manual_seed(0)
    p = minigrad.full((20000,), 0.3, dtype=minigrad.float64)
    s = minigrad.bernoulli(p)
    assert s.dtype == np.float64 and set(np.unique(s.numpy())) <= {0.0, 1.0}
    assert abs(s.numpy().mean() - 0.3) < 0.02  # ~7 standard deviations
    assert minigrad.bernoulli(minigrad.tensor([0.0, 1.0, 0.0])).tolist() == [0.0, 1.0, 0.0]
    minigrad.manual_seed(1)
    a = minigrad.zeros(50).bernoulli_(0.5)
    minigrad.manual_seed(1)
    b = minigrad.zeros(50).bernoulli_(minigrad.full((50,), 0.5))
    assert a.tolist() == b.tolist() and 0 < a.sum().item() < 50
    assert a.dtype == np.float32
    assert not minigrad.bernoulli(_t([0.5])).requires_grad


# ***** every device: the same values and gradients as on the CPU *****

DEVICE_CASES = [n for n in DIFFERENTIABLE if n != "repeat_interleave_tensor"]


def test_ops_on_every_device_match_the_cpu(device):
    for name in DEVICE_CASES:
        ours, _, arrays = DIFFERENTIABLE[name]
        results = []
        for dev in ("cpu", device):
            xs = [minigrad.tensor(a, device=dev, requires_grad=True) for a in arrays]
            y = ours(*xs)
            G = np.random.default_rng(0).standard_normal(y.shape)
            y.backward(minigrad.tensor(G, device=dev))
            results.append([y.numpy()] + [x.grad.numpy() for x in xs])
        for a, b in zip(*results):
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12, err_msg=name)


def test_no_gradient_ops_on_every_device(device):
    a = minigrad.tensor([[0.0, 2.0, 2.0], [np.nan, np.inf, 0.0]], device=device)
    assert a.count_nonzero(1).tolist() == [2, 2]
    assert a.logical_not().device == a.device and a.logical_and(a).numpy().tolist() == [[False, True, True],
                                                                                       [True, True, False]]
    assert a.nan_to_num(nan=1.0, posinf=5.0).tolist() == [[0.0, 2.0, 2.0], [1.0, 5.0, 0.0]]
    u, inv, counts = minigrad.tensor([3, 1, 3], device=device).unique(return_inverse=True, return_counts=True)
    assert (u.tolist(), inv.tolist(), counts.tolist()) == ([1, 3], [1, 0, 1], [1, 2])
    r = minigrad.tensor([1.0, 2.0], device=device).repeat_interleave(minigrad.tensor([2, 1], device=device))
    assert r.tolist() == [1.0, 1.0, 2.0] and r.device == a.device
    assert minigrad.repeat_interleave(minigrad.tensor([1, 2], device=device)).tolist() == [0, 1, 1]
    g = minigrad.meshgrid(minigrad.arange(2, device=device), minigrad.arange(3, device=device))
    assert g[1].device == a.device and g[1].tolist() == [[0, 1, 2], [0, 1, 2]]
    b = minigrad.zeros(3, device=device).bernoulli_(1.0)
    assert b.device == a.device and b.tolist() == [1.0, 1.0, 1.0]
    assert minigrad.bernoulli(minigrad.ones(2, device=device)).device == a.device
    assert minigrad.randint_like(a, 3).device == a.device and minigrad.empty_like(a).device == a.device
    x = minigrad.zeros(3, 3, device=device)
    x.diagonal().fill_(1.0)
    assert x.tolist() == minigrad.eye(3).tolist()
    assert minigrad.tensor([True, False, False], device=device).diff().tolist() == [True, False]
