"""The Tensor / autograd boundary with PyTorch code: the places where code written for torch and
ported with `import minigrad as torch` broke or ran differently. Each test pins what minigrad
does now; parity parts compare with PyTorch (skipped without it), gradients with float64
finite differences and a random upstream gradient."""

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import gradcheck
from minigrad.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(0)


def f64(a, requires_grad=False):
    return minigrad.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def torch_or_skip():
    return pytest.importorskip("torch")


# ***** minigrad.Tensor(...) is PyTorch's legacy constructor *****


def test_tensor_constructor_gives_the_default_float_dtype():
    assert minigrad.Tensor([1, 2]).dtype == minigrad.float32
    assert minigrad.Tensor(np.array([1, 2])).dtype == minigrad.float32
    assert minigrad.Tensor(np.array([True, False])).tolist() == [1.0, 0.0]
    assert minigrad.Tensor([[1, 2], [3, 4]]).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert minigrad.Tensor((2, 3)).tolist() == [2.0, 3.0]  # a tuple is data, as in torch


def test_tensor_constructor_with_sizes_gives_zeros():
    t = minigrad.Tensor(2, 3)
    assert t.shape == (2, 3) and t.dtype == minigrad.float32 and not t.numpy().any()
    assert minigrad.Tensor().shape == (0,)
    assert minigrad.Tensor(np.int64(3)).shape == (3,)


def test_tensor_constructor_bad_arguments():
    with pytest.raises(TypeError, match="sequence"):
        minigrad.Tensor(3.0)
    with pytest.raises(RuntimeError, match="negative dimension"):
        minigrad.Tensor(-1)
    with pytest.raises(TypeError, match="float, int"):
        minigrad.Tensor(2.5, 3)


def test_tensor_of_a_tensor_is_an_alias_with_its_graph():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = minigrad.Tensor(x)
    (y * minigrad.tensor([3.0, 5.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 5.0]
    i = minigrad.tensor([1, 2])
    a = minigrad.Tensor(i)
    assert a.dtype == minigrad.int64  # keeps the dtype, as torch.Tensor(long_tensor)
    with minigrad.no_grad():
        a[0] = 7
    assert i.tolist() == [7, 2]  # same memory


def test_tensor_constructor_parity_with_torch():
    torch = torch_or_skip()
    for args in ([[1, 2]], [np.array([1, 2])], [np.array([1.5, 2.5])], [(2, 3)], [2, 3], []):
        ours, theirs = minigrad.Tensor(*args), torch.Tensor(*args)
        assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        if args and not isinstance(args[0], int):
            assert ours.tolist() == theirs.tolist()


def test_library_wrapping_keeps_dtypes():
    # nn.Parameter of a float64 array stays float64, and integer labels stay integers
    assert nn.Parameter(np.ones(3)).dtype == minigrad.float64
    assert nn.Parameter(minigrad.ones(3, dtype=minigrad.float64)).dtype == minigrad.float64
    ds = TensorDataset(np.zeros((4, 2), np.float32), np.arange(4))
    _, y = next(iter(DataLoader(ds, batch_size=2)))
    assert y.dtype == minigrad.int64
    assert minigrad.from_numpy(np.arange(3)).dtype == minigrad.int64


def test_as_tensor_shares_memory_when_it_can():
    a = np.zeros(2)
    t = minigrad.as_tensor(a)
    a[0] = 5
    assert t.tolist() == [5.0, 0.0] and t.dtype == minigrad.float64
    assert minigrad.as_tensor([1, 2]).dtype == minigrad.int64
    assert minigrad.as_tensor([1, 2], dtype=minigrad.float32).dtype == minigrad.float32
    x = minigrad.ones(2)
    assert minigrad.as_tensor(x) is x


# ***** typed constructors, type(), is_cuda, to() *****


def test_typed_tensor_classes():
    assert minigrad.FloatTensor([1, 2]).dtype == minigrad.float32
    assert minigrad.LongTensor([1.7, -2.7]).tolist() == [1, -2]  # truncated, as torch
    assert minigrad.LongTensor(2, 3).shape == (2, 3)
    assert minigrad.BoolTensor([1, 0]).tolist() == [True, False]
    assert minigrad.IntTensor([1]).dtype == minigrad.int32
    assert minigrad.DoubleTensor(np.array([1, 2])).dtype == minigrad.float64
    assert isinstance(minigrad.ones(1), minigrad.FloatTensor)
    assert not isinstance(minigrad.ones(1), minigrad.LongTensor)
    with pytest.raises(TypeError, match="int64"):
        minigrad.FloatTensor(minigrad.tensor([1, 2]))


def test_type_with_classes_and_names():
    x = minigrad.tensor([1.5, 2.5])
    assert x.type(minigrad.LongTensor).dtype == minigrad.int64
    assert x.type("torch.DoubleTensor").dtype == minigrad.float64
    assert x.type(minigrad.float64).dtype == minigrad.float64
    assert x.type() == "minigrad.FloatTensor"
    with pytest.raises(ValueError, match="unknown"):
        x.type("torch.NoSuchTensor")


def test_is_cuda_and_to_argument_forms():
    x = minigrad.ones(2)
    assert x.is_cuda is False
    assert x.to("cpu", minigrad.float64).dtype == minigrad.float64
    assert x.to("cpu", "float64").dtype == minigrad.float64
    assert x.to(minigrad.zeros(1, dtype=minigrad.int64)).dtype == minigrad.int64
    assert x.to(device="cpu", dtype=minigrad.float16).dtype == minigrad.float16
    assert x.to("cpu", non_blocking=True) is x
    c = x.to(minigrad.float32, copy=True)
    c[0] = 5
    assert x.tolist() == [1.0, 1.0]


def test_set_default_dtype():
    minigrad.set_default_dtype(minigrad.float64)
    try:
        assert minigrad.get_default_dtype() == minigrad.float64
        assert minigrad.tensor([1.0]).dtype == minigrad.float64
        assert minigrad.Tensor([1]).dtype == minigrad.float64
        assert minigrad.zeros(1).dtype == minigrad.randn(1).dtype == minigrad.float64
        assert (minigrad.tensor([1]) / 2).dtype == minigrad.float64
        assert nn.Linear(2, 2).weight.dtype == minigrad.float64
        assert minigrad.FloatTensor([1]).dtype == minigrad.float32  # a fixed type
    finally:
        minigrad.set_default_dtype(minigrad.float32)
    assert minigrad.tensor([1.0]).dtype == minigrad.float32
    with pytest.raises(TypeError, match="floating-point"):
        minigrad.set_default_dtype(minigrad.int64)


# ***** // and %, floor_divide, remainder, fmod *****

DIVISION_CASES = [
    (np.array([-7.0, 7.0, -7.5, 7.5, 1.0]), np.array([2.0, -2.0, 2.0, -3.0, 0.1])),
    (np.array([-7, 7, -8, 0]), np.array([2, -2, 3, -5])),
    (np.array([-7.0, 7.0, 0.0]), np.array([0.0, 0.0, 0.0])),  # float division by zero: inf, nan
]


@pytest.mark.parametrize("a,b", DIVISION_CASES)
def test_floor_division_and_remainders_match_torch(a, b):
    torch = torch_or_skip()
    ours_a, ours_b = minigrad.tensor(a), minigrad.tensor(b)
    ta, tb = torch.tensor(a), torch.tensor(b)
    np.testing.assert_array_equal((ours_a // ours_b).numpy(), (ta // tb).numpy())
    np.testing.assert_array_equal((ours_a % ours_b).numpy(), (ta % tb).numpy())
    np.testing.assert_array_equal(minigrad.fmod(ours_a, ours_b).numpy(), torch.fmod(ta, tb).numpy())
    np.testing.assert_array_equal((ours_a // 2).numpy(), (ta // 2).numpy())
    np.testing.assert_array_equal((7 % ours_b[ours_b != 0]).numpy(), (7 % tb[tb != 0]).numpy())


def test_division_ops_keep_float32_and_refuse_integer_zero():
    x = minigrad.tensor([7.5, -7.5])
    assert (x % np.float64(2)).dtype == minigrad.float32
    assert (x // 2).dtype == minigrad.float32
    assert (minigrad.tensor([7]) // 2).dtype == minigrad.int64
    with pytest.raises(RuntimeError, match="division by zero"):
        minigrad.tensor([7]) % 0
    with pytest.raises(RuntimeError, match="division by zero"):
        minigrad.tensor([7, 1]) // minigrad.tensor([1, 0])
    y = minigrad.tensor([5, -5])
    y //= 2
    assert y.tolist() == [2, -3]
    y %= 2
    assert y.tolist() == [0, 1]


def test_remainder_gradients():
    a = f64([-7.5, 7.2, 3.3, -1.1], True)
    b = f64([2.0, -3.0, 1.5, 0.7], True)
    gradcheck(lambda a, b: a % b, a, b)
    gradcheck(lambda a, b: minigrad.fmod(a, b), a, b)
    torch = torch_or_skip()
    G = rng.standard_normal(4)
    ta, tb = torch.tensor(a.numpy(), requires_grad=True), torch.tensor(b.numpy(), requires_grad=True)
    (ta % tb).backward(torch.tensor(G))
    (a % b).backward(minigrad.tensor(G))
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy())


def test_floor_divide_has_zero_gradient():
    # torch raises in backward (no derivative); the quotient is piecewise constant: 0
    a = f64([-7.5, 7.2], True)
    (a // 2).sum().backward()
    assert a.grad.tolist() == [0.0, 0.0]


# ***** lerp, addcmul, addcdiv *****


def test_lerp_addcmul_addcdiv_match_torch_and_gradcheck():
    torch = torch_or_skip()
    a, b, c = (rng.standard_normal((2, 3)) for _ in range(3))
    w = rng.uniform(size=(3,))
    ma, mb, mc, mw = (f64(v, True) for v in (a, b, c, w))
    ta, tb, tc, tw = (torch.tensor(v) for v in (a, b, c, w))
    np.testing.assert_allclose(minigrad.lerp(ma, mb, mw).numpy(), torch.lerp(ta, tb, tw).numpy())
    np.testing.assert_allclose(ma.lerp(mb, 0.3).numpy(), ta.lerp(tb, 0.3).numpy())
    np.testing.assert_allclose(minigrad.addcmul(ma, mb, mc, value=0.5).numpy(), torch.addcmul(ta, tb, tc, value=0.5).numpy())
    np.testing.assert_allclose(ma.addcdiv(mb, mc, value=2).numpy(), torch.addcdiv(ta, tb, tc, value=2).numpy())
    gradcheck(lambda a, b, w: minigrad.lerp(a, b, w), ma, mb, mw)
    gradcheck(lambda a, b, c: minigrad.addcdiv(a, b, c, value=0.5) + a.addcmul(b, c, value=3), ma, mb, mc)


def test_in_place_addcmul_addcdiv_lerp():
    torch = torch_or_skip()
    a, b, c = (rng.standard_normal(4) for _ in range(3))
    ours, theirs = minigrad.tensor(a), torch.tensor(a)
    ours.addcmul_(minigrad.tensor(b), minigrad.tensor(c), value=0.1)
    theirs.addcmul_(torch.tensor(b), torch.tensor(c), value=0.1)
    ours.addcdiv_(minigrad.tensor(b), minigrad.tensor(c), value=-2)
    theirs.addcdiv_(torch.tensor(b), torch.tensor(c), value=-2)
    ours.lerp_(minigrad.tensor(c), 0.25)
    theirs.lerp_(torch.tensor(c), 0.25)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    with pytest.raises(TypeError, match="floating-point"):
        minigrad.lerp(minigrad.tensor([1, 2]), minigrad.tensor([3, 4]), 0.5)


# ***** flip, roll *****


@pytest.mark.parametrize("dims", [0, 1, (0, 1), -1])
def test_flip_matches_torch_and_is_a_copy(dims):
    torch = torch_or_skip()
    a = np.arange(6).reshape(2, 3)
    assert minigrad.tensor(a).flip(dims).tolist() == torch.tensor(a).flip(dims).tolist()
    assert minigrad.flip(minigrad.tensor(a), dims).tolist() == torch.flip(torch.tensor(a), dims if isinstance(dims, tuple) else (dims,)).tolist()
    x = minigrad.tensor(a)
    y = x.flip(dims)
    y[0, 0] = 100
    assert x.tolist() == a.tolist()  # torch.flip copies; a view would have changed x


@pytest.mark.parametrize("shifts,dims", [(1, None), (-2, None), (1, 1), ((1, 2), (0, 1)), (4, 0)])
def test_roll_matches_torch(shifts, dims):
    torch = torch_or_skip()
    a = np.arange(6).reshape(2, 3)
    assert minigrad.tensor(a).roll(shifts, dims).tolist() == torch.tensor(a).roll(shifts, dims).tolist()


def test_flip_and_roll_gradients():
    x = f64(rng.standard_normal((3, 4)), True)
    gradcheck(lambda x: x.flip(0, 1) * x, x)
    gradcheck(lambda x: minigrad.roll(x, (1, -1), (0, 1)) * x, x)
    gradcheck(lambda x: x.roll(5) * x, x)


# ***** scatter_, scatter_add, index_add *****


def test_scatter_family_matches_torch():
    torch = torch_or_skip()
    idx = np.array([[0, 1, 0], [2, 0, 0]])
    src = rng.standard_normal((2, 3))
    ours, theirs = minigrad.zeros(3, 3, dtype=minigrad.float64), torch.zeros(3, 3, dtype=torch.float64)
    np.testing.assert_allclose(ours.scatter_add(0, minigrad.tensor(idx), minigrad.tensor(src)).numpy(),
                               theirs.scatter_add(0, torch.tensor(idx), torch.tensor(src)).numpy())
    ours.scatter_add_(1, minigrad.tensor(idx), minigrad.tensor(src))
    theirs.scatter_add_(1, torch.tensor(idx), torch.tensor(src))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())  # repeated indices accumulate
    a = minigrad.zeros(2, 3).scatter_(1, minigrad.tensor([[0], [2]]), 1.0)
    b = torch.zeros(2, 3).scatter_(1, torch.tensor([[0], [2]]), 1.0)
    assert a.tolist() == b.tolist()
    x, t = minigrad.zeros(4, 2), torch.zeros(4, 2)
    x.index_add_(0, minigrad.tensor([0, 0, 3]), minigrad.ones(3, 2), alpha=2)
    t.index_add_(0, torch.tensor([0, 0, 3]), torch.ones(3, 2), alpha=2)
    assert x.tolist() == t.tolist()


def test_scatter_add_and_index_add_gradients():
    x = f64(rng.standard_normal((3, 3)), True)
    src = f64(rng.standard_normal((2, 4)), True)
    idx = minigrad.tensor([[0, 1, 0], [2, 0, 0]])
    gradcheck(lambda x, s: x.scatter_add(0, idx, s) * x, x, src)
    s2 = f64(rng.standard_normal((3, 3)), True)
    gradcheck(lambda x, s: minigrad.index_add(x, 0, minigrad.tensor([2, 2, 0]), s, alpha=0.5), x, s2)
    with pytest.raises(RuntimeError, match="index"):
        minigrad.zeros(3).scatter_add(0, minigrad.tensor([[0]]), minigrad.ones(1))


# ***** where, sum/mean dtype *****


def test_where_single_argument_and_numbers_match_torch():
    torch = torch_or_skip()
    c = np.array([[True, False], [False, True]])
    ours, theirs = minigrad.where(minigrad.tensor(c)), torch.where(torch.tensor(c))
    assert [t.tolist() for t in ours] == [t.tolist() for t in theirs]
    assert [t.tolist() for t in minigrad.where(minigrad.tensor([0, 3]))] == [[1]]
    for a, b in [(1, 0), (1.0, 0), (True, False), (2, 0.5)]:
        o, t = minigrad.where(minigrad.tensor(c), a, b), torch.where(torch.tensor(c), a, b)
        assert o.tolist() == t.tolist() and str(o.dtype) == str(t.dtype).replace("torch.", "")
    with pytest.raises(RuntimeError, match="bool"):
        minigrad.where(minigrad.tensor([1, 0]), minigrad.ones(2), 0.0)


def test_sum_and_mean_take_a_dtype():
    torch = torch_or_skip()
    a = np.array([1, 2, 4])
    for dt in ("float64", "float32"):
        o = minigrad.tensor(a).sum(dtype=getattr(minigrad, dt))
        t = torch.tensor(a).sum(dtype=getattr(torch, dt))
        assert o.item() == t.item() and str(o.dtype) == dt
    assert minigrad.tensor(a).mean(dtype=minigrad.float32).item() == pytest.approx(torch.tensor(a).mean(dtype=torch.float32).item())
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x.sum(dtype=minigrad.float64)
    assert y.dtype == minigrad.float64
    y.backward()
    assert x.grad.dtype == minigrad.float32 and x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError):
        minigrad.tensor(a).mean()  # as torch: integer mean needs a dtype


# ***** in-place change of a value that backward needs *****


@pytest.mark.parametrize("change", [
    lambda y: y.detach().zero_(),
    lambda y: y.data.mul_(2),
    lambda y: y.mul_(2),  # under no_grad
    lambda y: y.__setitem__(0, 5.0),
])
def test_changing_a_saved_output_makes_backward_raise(change):
    # exp saves its output: backward would have used the changed values (silently wrong before)
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    with minigrad.no_grad():
        change(y)
    with pytest.raises(RuntimeError, match="output was modified by an in-place operation"):
        y.sum().backward()


def test_in_place_ops_recorded_in_the_graph_stay_correct():
    torch = torch_or_skip()
    G = rng.standard_normal(3)

    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        h = x * 2
        h.add_(-1.5)
        h.relu_()
        (h * x).backward(lib.tensor(G))
        return x.grad.numpy()

    np.testing.assert_allclose(run(minigrad), run(torch))
    # recorded in place on a saved output: new memory, so exp's backward still sees its values
    # (torch refuses this one; the output check must not)
    x = f64([0.5, -1.0], True)
    h = x.exp()
    h.add_(1)
    h.backward(minigrad.tensor(G[:2]))
    np.testing.assert_allclose(x.grad.numpy(), G[:2] * np.exp([0.5, -1.0]))


def test_changing_the_output_of_a_linear_op_is_allowed():
    # add saves nothing: as in torch, its backward does not care
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x + 0
    with minigrad.no_grad():
        y += 1
    (y * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


# ***** errors: torch's exception types, shapes and dtypes named *****


def test_errors_are_what_torch_raises():
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(4,\)"):
        minigrad.ones(2, 3) + minigrad.ones(4)
    with pytest.raises(ValueError):  # also a ValueError, as before
        minigrad.ones(2, 3) + minigrad.ones(4)
    with pytest.raises(RuntimeError, match=r"\(6,\)"):
        minigrad.ones(6).view(4, 2)
    with pytest.raises(RuntimeError, match=r"\(2,\)"):
        minigrad.ones(2).item()
    with pytest.raises(ValueError):
        float(minigrad.ones(2))
    with pytest.raises(RuntimeError, match="int64"):
        minigrad.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="float64"):
        minigrad.ones(2, 2) @ minigrad.ones(2, 2, dtype=minigrad.float64)
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(4, 2\)"):
        minigrad.ones(2, 3) @ minigrad.ones(4, 2)
    with pytest.raises(RuntimeError, match="expand"):
        minigrad.ones(2, 2).expand(3, 2)
    with pytest.raises(RuntimeError, match=r"shape \(3,\)"):
        (minigrad.ones(2, requires_grad=True) * 2).backward(minigrad.ones(3))


# ***** numpy() of a tensor that requires grad (a documented difference) *****


def test_numpy_of_a_tensor_that_requires_grad_gives_its_values():
    # torch raises and asks for .detach().numpy(); minigrad returns the same array detach() would
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    np.testing.assert_array_equal(y.numpy(), y.detach().numpy())
    assert y.numpy().tolist() == [2.0, 4.0]


# ***** F.cosine_similarity *****


@pytest.mark.parametrize("a,b,dim", [
    (rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), 1),
    (np.array([[1.0, 0], [0, 0], [3, 4], [1e-9, 0]]), np.array([[1.0, 1], [1, 0], [0, 0], [1, 1]]), 1),  # zero / tiny
    (rng.standard_normal((2, 3, 4)), rng.standard_normal((1, 3, 4)), -1),  # broadcast
    (rng.standard_normal(5), rng.standard_normal(5), 0),
])
def test_cosine_similarity_matches_torch(a, b, dim):
    torch = torch_or_skip()
    ma, mb = f64(a, True), f64(b, True)
    y = F.cosine_similarity(ma, mb, dim=dim)
    G = rng.standard_normal(y.shape)
    y.backward(minigrad.tensor(G))
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    yt = torch.nn.functional.cosine_similarity(ta, tb, dim=dim)
    yt.backward(torch.tensor(G))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(ma.grad.numpy(), ta.grad.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(mb.grad.numpy(), tb.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_cosine_similarity_gradcheck_and_float32():
    a, b = f64(rng.standard_normal((3, 4)), True), f64(rng.standard_normal((3, 4)), True)
    gradcheck(lambda a, b: F.cosine_similarity(a, b), a, b)
    assert F.cosine_similarity(minigrad.randn(2, 3), minigrad.randn(2, 3)).dtype == minigrad.float32
