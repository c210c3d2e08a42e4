"""Tensor attributes, conversion, creation functions, the seeded generator, in-place methods."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend

try:
    import torch
except ImportError:
    torch = None


def test_attributes(device):
    x = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device=device, requires_grad=True)
    assert isinstance(x.array, type(backend.to_device(np.zeros(1), device)))  # the raw array
    assert x.shape == (2, 3) and x.ndim == 2 and x.dtype == mg.float32 and x.device == device
    assert x.grad is None and x.requires_grad and x.is_leaf and x.grad_fn is None
    assert x.numel() == 6 and x.size() == (2, 3) and x.size(1) == 3 and len(x) == 2
    assert x.T.shape == (3, 2)


def test_item_and_numpy(device):
    x = mg.tensor([2.5], device=device)
    v = x.item()
    assert type(v) is float and v == 2.5
    assert type(mg.tensor(3, device=device).item()) is int
    assert type(mg.ones(2, 3, device=device).sum().item()) is float
    with pytest.raises(ValueError, match=r"one element.*\(2,\)"):
        mg.ones(2, device=device).item()
    a = mg.tensor([[1.0, 2.0]], device=device).numpy()
    assert type(a) is np.ndarray and a.dtype == np.float32 and a.tolist() == [[1.0, 2.0]]


def test_data_assignment_is_visible(device):
    """`layer.weight.array[...] = w` is how users load weights (STYLE decision 3)."""
    x = mg.zeros(3, device=device)
    x.array[...] = backend.to_device(np.array([1.0, 2.0, 3.0], dtype=np.float32), device)
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0, 3.0])


def test_detach_shares_data_and_cuts_the_graph(device):
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 3
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.array is y.array
    (d * x).sum().backward()  # d is a constant here
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 6.0])


def test_to_cpu_on_cpu_returns_self():
    x = mg.ones(2)
    assert x.to("cpu") is x and x.cpu() is x and x.to(mg.float32) is x
    assert x.to(mg.float64).dtype == mg.float64 and x.double().float().dtype == mg.float32


def test_repr():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward>)"
    assert repr(mg.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(mg.ones(2, dtype=mg.float64)) == "tensor([1., 1.], dtype=float64)"
    assert repr(mg.tensor(3.5)) == "tensor(3.5)"


def test_tensor_copies_its_source():
    a = np.array([1.0, 2.0], dtype=np.float32)
    t = mg.tensor(a)
    a[0] = 9.0
    assert t.numpy()[0] == 1.0


def test_bool_and_len_errors():
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(mg.ones(2))
    assert bool(mg.ones(1))
    with pytest.raises(TypeError, match="0-d"):
        len(mg.tensor(1.0))


def test_comparisons_are_elementwise_and_tensors_stay_hashable():
    a, b = mg.tensor([1.0, 2.0, 3.0]), mg.tensor([3.0, 2.0, 1.0])
    assert (a == b).tolist() == [False, True, False]
    assert (a < 2).tolist() == [True, False, False]
    assert (2 <= a).tolist() == [False, True, True]
    assert len({a: 1, b: 2}) == 2  # hashed by identity


# ***** creation *****

CREATORS = {
    "zeros": (lambda **kw: mg.zeros(2, 3, **kw), lambda a: (a == 0).all()),
    "zeros_tuple": (lambda **kw: mg.zeros((2, 3), **kw), lambda a: (a == 0).all()),
    "ones": (lambda **kw: mg.ones(2, 3, **kw), lambda a: (a == 1).all()),
    "full": (lambda **kw: mg.full((2, 3), 0.5, **kw), lambda a: (a == 0.5).all()),
    "full_int_shape": (lambda **kw: mg.full(4, 2.0, **kw), lambda a: a.shape == (4,) and (a == 2).all()),
    "arange": (lambda **kw: mg.arange(0, 3, 0.5, **kw), lambda a: a.tolist() == [0, 0.5, 1, 1.5, 2, 2.5]),
    "rand": (lambda **kw: mg.rand(50, **kw), lambda a: (a >= 0).all() and (a < 1).all() and a.std() > 0.1),
    "randn": (lambda **kw: mg.randn(200, **kw), lambda a: abs(a.mean()) < 0.3 and 0.7 < a.std() < 1.3),
    "tensor": (lambda **kw: mg.tensor([[1.0, 2.0]], **kw), lambda a: a.tolist() == [[1, 2]]),
    "zeros_like": (lambda **kw: mg.zeros_like(mg.ones(2, 3), **kw), lambda a: a.shape == (2, 3) and (a == 0).all()),
    "ones_like": (lambda **kw: mg.ones_like(mg.zeros(2, 3), **kw), lambda a: a.shape == (2, 3) and (a == 1).all()),
    "full_like": (lambda **kw: mg.full_like(mg.zeros(2), 7.0, **kw), lambda a: (a == 7).all()),
    "rand_like": (lambda **kw: mg.rand_like(mg.zeros(2, 3), **kw), lambda a: a.shape == (2, 3)),
    "randn_like": (lambda **kw: mg.randn_like(mg.zeros(2, 3), **kw), lambda a: a.shape == (2, 3)),
}


@pytest.mark.parametrize("name", CREATORS)
@pytest.mark.parametrize("dtype", [None, mg.float64])
def test_creation_dtype_device_requires_grad(name, dtype, device):
    make, check = CREATORS[name]
    t = make(dtype=dtype, device=device, requires_grad=True)
    assert t.dtype == (dtype or mg.float32)
    assert t.device == device and t.requires_grad and t.is_leaf
    assert check(t.numpy())


def test_integer_creation():
    assert mg.arange(5).dtype == mg.int64 and mg.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert mg.arange(2, 8, 3).tolist() == [2, 5]
    assert mg.zeros(2, dtype=mg.int64).dtype == mg.int64
    assert mg.tensor([1, 2]).dtype == mg.int64 and mg.tensor([True]).dtype == mg.bool_
    assert mg.tensor(np.float64(1.0)).dtype == mg.float64  # NumPy data keeps its dtype, as in torch
    assert mg.tensor(1.0).dtype == mg.float32 and mg.tensor(1.0).shape == ()
    assert mg.tensor([1, 2], dtype="float32").dtype == mg.float32
    with pytest.raises(TypeError, match="unknown dtype"):
        mg.zeros(2, dtype="float31")
    with pytest.raises(TypeError, match="unsupported dtype"):
        mg.tensor(["a"])


def test_manual_seed_repeats_every_random_creator(device):
    """R4.8: the same seed gives the same numbers; different seeds different ones; numbers are
    drawn on the host, so every device sees the CPU's values."""
    draws = []
    for seed in (0, 0, 1):
        mg.manual_seed(seed)
        draws.append(np.concatenate([mg.rand(5, device=device).numpy(), mg.randn(5, device=device).numpy(),
                                     mg.randn_like(mg.zeros(3), device=device).numpy()]))
    np.testing.assert_array_equal(draws[0], draws[1])
    assert not np.array_equal(draws[0], draws[2])
    mg.manual_seed(0)
    np.testing.assert_array_equal(mg.rand(5).numpy(), draws[0][:5])


def test_generator_is_independent_of_numpy_global_state():
    mg.manual_seed(3)
    a = mg.randn(4).numpy()
    mg.manual_seed(3)
    np.random.seed(123)
    np.random.standard_normal(10)  # other code using NumPy's global stream
    np.testing.assert_array_equal(mg.randn(4).numpy(), a)
    g = mg.Generator(5)
    b = mg.randn(3, generator=g).numpy()
    np.testing.assert_array_equal(mg.randn(3, generator=mg.Generator(5)).numpy(), b)


# ***** in-place methods (allowed where no graph sees them; R2.9 is in test_autograd.py) *****


def test_inplace_methods_on_plain_tensors(device):
    t = mg.tensor([1.0, 2.0, 3.0], device=device)
    v0 = t._version
    t.add_(1.0)
    t.mul_(2.0)
    t.sub_(mg.tensor([1.0, 1.0, 1.0], device=device))
    t.add_(mg.ones(3, device=device), alpha=0.5)
    np.testing.assert_array_equal(t.numpy(), [3.5, 5.5, 7.5])
    t[0] = 0.0
    assert t.numpy()[0] == 0.0
    t.copy_(mg.tensor([4.0, 5.0, 6.0], device=device))
    np.testing.assert_array_equal(t.numpy(), [4.0, 5.0, 6.0])
    t.zero_()
    assert (t.numpy() == 0).all()
    assert t._version == v0 + 7 and t.dtype == mg.float32


def test_copy_shape_mismatch_names_shapes():
    t = mg.zeros(3)
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        t.copy_(mg.ones(2))
    assert (t.numpy() == 0).all()


def test_inplace_on_requires_grad_leaf_under_no_grad(device):
    w = mg.ones(2, device=device, requires_grad=True)
    with mg.no_grad():
        w.sub_(mg.tensor([0.5, 0.25], device=device))
    np.testing.assert_array_equal(w.numpy(), [0.5, 0.75])
    assert w.requires_grad


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_creation_matches_torch_semantics():
    """Shapes and dtypes of creation calls agree with torch's for the same arguments."""
    pairs = [
        (mg.arange(5), torch.arange(5)),
        (mg.arange(0.0, 1.0, 0.25), torch.arange(0.0, 1.0, 0.25)),
        (mg.tensor([[1, 2], [3, 4]]), torch.tensor([[1, 2], [3, 4]])),
        (mg.tensor([1.5]), torch.tensor([1.5])),
        (mg.full((2, 2), 3.0), torch.full((2, 2), 3.0)),
        (mg.tensor([1, 2]) / 2, torch.tensor([1, 2]) / 2),
        (mg.tensor([1, 2]) * 0.5, torch.tensor([1, 2]) * 0.5),
    ]
    for m, t in pairs:
        assert m.shape == tuple(t.shape)
        assert str(m.dtype) == str(t.dtype).replace("torch.", "")
        np.testing.assert_array_equal(m.numpy(), t.numpy())


@pytest.mark.parametrize("fill, dtype", [(7, mg.int64), (np.int32(7), mg.int64), (True, mg.bool_),
                                         (0.5, mg.float32), (np.float64(0.5), mg.float32)])
def test_full_infers_its_dtype_from_the_fill_value_like_torch(fill, dtype):
    """torch.full((2,), 7) is int64 (e.g. labels for cross_entropy); a float fill gives float32."""
    t = mg.full((2,), fill)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.full(2, fill))
    assert mg.full((2,), 7, dtype=mg.float64).dtype == mg.float64



def test_creation_and_random_functions_keep_their_public_names():
    """They live in minigrad/creation.py and minigrad/random.py, outside the core; `minigrad.X`
    is the same function."""
    import minigrad.creation as creation
    import minigrad.random as random

    for name in ("tensor", "zeros", "ones", "full", "arange", "eye", "linspace", "zeros_like", "ones_like",
                 "full_like", "from_numpy", "from_dlpack", "histogram", "histc"):
        assert getattr(mg, name) is getattr(creation, name), name
    for name in ("Generator", "manual_seed", "rand", "randn", "randint", "randperm", "normal", "multinomial",
                 "rand_like", "randn_like"):
        assert getattr(mg, name) is getattr(random, name), name


def test_manual_seed_drives_every_random_source():
    """One stream: randn, Tensor.normal_/uniform_ and nn.init repeat after manual_seed."""
    from minigrad.nn import init

    def draw():
        t, u, w = mg.zeros(3), mg.zeros(3), mg.zeros(2, 3)
        t.normal_()
        u.uniform_()
        init.kaiming_uniform_(w)
        return np.concatenate([mg.randn(2).numpy(), t.numpy(), u.numpy(), w.numpy().ravel()])

    mg.manual_seed(123)
    a = draw()
    mg.manual_seed(123)
    b = draw()
    c = draw()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_contiguous_and_is_contiguous_as_pytorch(device):
    """`.contiguous()` gives the same values in row-major memory and stays in the graph; a
    convolution's output (stored batch-innermost) is not contiguous, and view/reshape work anyway."""
    import minigrad.nn.functional as F

    minigrad = mg
    x = minigrad.tensor(np.arange(6.0).reshape(2, 3), device=device, requires_grad=True)
    assert x.is_contiguous() and x.contiguous() is x
    t = x.t()
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c is not t
    np.testing.assert_array_equal(c.numpy(), x.numpy().T)
    g = np.random.default_rng(0).standard_normal((3, 2))
    c.backward(minigrad.tensor(g, device=device))
    np.testing.assert_array_equal(x.grad.numpy(), g.T)
    y = F.conv2d(minigrad.randn(2, 8, 5, 5, device=device), minigrad.randn(4, 8, 3, 3, device=device), padding=1)
    assert not y.is_contiguous() and y.contiguous().is_contiguous()
    np.testing.assert_array_equal(y.contiguous().view(2, -1).numpy(), y.numpy().reshape(2, -1))
    assert x.clone().is_contiguous()
