"""The engine: fan-out, topological order, long graphs, accumulation, aliasing, freeing the
graph, grad modes, in-place detection, numerically delicate ops, subgradient conventions and
gradcheck itself. Test names carry the requirement they enforce (REQUIREMENTS.md, section 2)."""

import contextlib
import gc
import sys
import warnings
import weakref

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function
from minigrad.testing import GradcheckWarning, gradcheck

try:
    import torch
except ImportError:
    torch = None


def fp_errors_fatal(device):
    """np.errstate(all="raise") on the CPU. Device arrays (CuPy, and the strict stand-in that
    mirrors it) have no floating-point error state, so there only the values are checked."""
    return np.errstate(all="raise") if device == "cpu" else contextlib.nullcontext()


def leaf(values, device="cpu", dtype=mg.float64):
    return mg.tensor(values, dtype=dtype, device=device, requires_grad=True)


# ***** R2.1 fan-out: a tensor used more than once gets the sum of all paths *****


def test_R2_1_diamond(device):
    x = leaf(2.0, device)
    y = 3 * x
    c = 2 * y + 5 * y  # a = 2y and b = 5y share y
    c.backward()
    assert x.grad.item() == 21.0


def test_R2_1_self_product_and_micrograd_reuse(device):
    x = leaf(3.0, device)
    (x * x).backward()
    assert x.grad.item() == 6.0  # 2x, not x
    x.grad = None
    a = x + 1  # micrograd's `c += c + 1`: c_new = c + (c + 1)
    b = a + a + 1
    b.backward()
    assert x.grad.item() == 2.0


def test_R2_1_used_1000_times(device):
    x = leaf([1.0, -2.0], device)
    s = x
    for _ in range(999):
        s = s + x
    s.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1000.0, 1000.0])
    x.grad = None
    mg.stack([x] * 1000).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1000.0, 1000.0])


class Probe(Function):
    """y = x; records when its backward runs and with what gradient."""

    def __init__(self, name, log):
        self.name, self.log = name, log

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        self.log.append((self.name, float(gy.sum())))
        return gy


def test_R2_1_each_backward_runs_once_after_all_consumers():
    log = []
    x = leaf(1.0)
    p = Probe("p", log)(x)
    q1, q2 = Probe("q1", log)(p), Probe("q2", log)(p)
    r = Probe("r", log)(q1 + q2 * 2)
    s = Probe("s", log)(r * p)  # p also feeds the last op directly
    s.backward()
    names = [n for n, _ in log]
    assert sorted(names) == ["p", "q1", "q2", "r", "s"]  # each exactly once
    assert names.index("p") > max(names.index("q1"), names.index("q2"), names.index("r"))
    assert names.index("r") > names.index("s")
    # p received every path at once: d s/d p = r + p*(1 + 2) = 3 + 3
    assert dict(log)["p"] == 6.0
    assert x.grad.item() == 6.0


# ***** R2.2 iterative traversal *****


def test_R2_2_50000_op_chain_at_default_recursion_limit():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # CPython's default
    try:
        x = leaf(1.0)
        y = x
        for _ in range(50_000):
            y = y * 1.0001
        y.backward()
        np.testing.assert_allclose(x.grad.item(), 1.0001**50_000, rtol=1e-9)
        y = x  # a long graph dropped without backward is freed without a RecursionError too
        for _ in range(50_000):
            y = y * 1.0001
        del y
    finally:
        sys.setrecursionlimit(old)


# ***** R2.4 accumulation across backward calls; freed graphs *****


def _loss(x, w):
    return ((x * w).tanh() * w).sum()


def test_R2_4_two_passes_accumulate_exactly_twice(device):
    x, w = leaf([0.5, -1.0, 2.0], device), leaf([1.5, 0.3, -0.7], device)
    _loss(x, w).backward()
    once = w.grad.numpy().copy()
    _loss(x, w).backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * once, rtol=1e-15)
    w.grad = None  # what zero_grad() does (PyTorch >= 2.0 sets None)
    _loss(x, w).backward()
    np.testing.assert_allclose(w.grad.numpy(), once, rtol=1e-15)


def test_R2_4_second_backward_on_freed_graph_raises(device):
    x = leaf([0.5, -1.0], device)
    y = (x.exp() * x).sum()
    y.backward()
    first = x.grad.numpy().copy()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), first)  # the failed call added nothing


def test_R2_4_retain_graph_adds_exactly_one_more_copy(device):
    x = leaf([0.5, -1.0], device)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-15)


def test_R2_4_grad_kept_on_leaves_only(device):
    x = leaf([1.0, 2.0], device)
    h = x * 2
    (h * h).sum().backward()
    assert h.grad is None and not h.is_leaf
    assert x.grad is not None and x.is_leaf
    c = mg.tensor([1.0, 2.0], device=device)  # a leaf that does not require grad
    (x * c).sum().backward()
    assert c.grad is None


# ***** R2.5 no aliasing between gradients *****


def _assert_no_shared_memory(*tensors):
    arrays = [mg.backend.to_numpy(t.grad.array) for t in tensors]
    for i in range(len(arrays)):
        for j in range(i + 1, len(arrays)):
            assert not np.shares_memory(arrays[i], arrays[j]), (i, j)


def test_R2_5_add_gives_the_same_array_to_both_inputs():
    x, w = leaf([1.0]), leaf([1.0])
    y = x + x
    z = y + w
    z.backward(mg.tensor([1.0], dtype=mg.float64))
    assert x.grad.item() == 2.0 and w.grad.item() == 1.0  # an in-place += would give w 2
    _assert_no_shared_memory(x, w)


def test_R2_5_leaf_grads_never_share_memory():
    a, b, c = leaf(np.ones((2, 3))), leaf(np.ones(6)), leaf(np.ones((3, 2)))
    g = np.random.default_rng(0).standard_normal(6)
    out = a.reshape(6) + b + c.reshape(-1)  # Add and Reshape pass gy (or views of it) through
    out.backward(mg.tensor(g))
    _assert_no_shared_memory(a, b, c)
    g[:] = 0  # the caller's array is not aliased either
    assert np.abs(b.grad.numpy()).sum() > 0
    a.grad.array[...] = 7  # writing one grad leaves the others alone
    assert not (b.grad.numpy() == 7).any()


def test_R2_5_leaf_grad_is_a_writable_array():
    """Sum's backward is a read-only broadcast view; .grad must still be a plain array."""
    x = leaf(np.ones((2, 3)))
    (x.sum(0) * 2).sum().backward()
    x.grad.array *= 0.5  # e.g. an optimizer or a user scaling grads in place
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))


# ***** R2.6 the graph is freed; no reference cycles; no_grad builds no graph *****


def test_R2_6_dropped_graph_is_freed_without_the_gc():
    gc.collect()
    gc.disable()
    try:
        x = leaf(np.ones(3))
        h = x.exp()
        loss = (h * x).sum()
        ref, ctx_ref = weakref.ref(h), weakref.ref(loss.grad_fn)
        del h
        assert ref() is not None  # kept alive by the graph
        del loss
        assert ref() is None and ctx_ref() is None  # reference counting alone freed it
    finally:
        gc.enable()


def test_R2_6_backward_frees_saved_arrays():
    gc.disable()
    try:
        x = leaf(np.ones(3))
        h = x.exp()
        loss = (h * x).sum()
        ref = weakref.ref(h)
        del h
        loss.backward()
        assert ref() is None  # loss is alive, its graph is not
    finally:
        gc.enable()


def test_R2_6_tensor_count_is_flat_over_training_steps():
    rng = np.random.default_rng(0)
    X, T = mg.tensor(rng.standard_normal((8, 4))), mg.tensor(rng.standard_normal((8, 1)))
    w = leaf(rng.standard_normal((4, 1)))

    def step():
        loss = ((X @ w - T) ** 2).mean()
        loss.backward()
        with mg.no_grad():
            w.sub_(0.1 * w.grad)
        w.grad = None

    def live_tensors():
        return sum(type(o) is mg.Tensor for o in gc.get_objects())

    gc.collect()
    gc.disable()
    try:
        for _ in range(10):
            step()
        after10 = live_tensors()
        for _ in range(190):
            step()
        assert live_tensors() <= after10
    finally:
        gc.enable()


def test_R5_5_no_grad_records_nothing(device):
    x = leaf([1.0, 2.0], device)
    with mg.no_grad():
        y = x * 2
    assert y.grad_fn is None and not y.requires_grad
    z = x * 2
    assert z.grad_fn is not None and z.requires_grad


def test_R5_5_grad_modes_restore_state_on_exceptions_and_nest():
    assert mg.is_grad_enabled()
    with pytest.raises(ValueError):
        with mg.no_grad():
            assert not mg.is_grad_enabled()
            with mg.enable_grad():
                assert mg.is_grad_enabled()
                raise ValueError("boom")
    assert mg.is_grad_enabled()
    with mg.no_grad():
        with pytest.raises(KeyError):
            with mg.enable_grad():
                raise KeyError
        assert not mg.is_grad_enabled()
    with mg.set_grad_enabled(False):
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()


def test_R5_5_grad_modes_as_decorators():
    x = leaf([1.0])

    @mg.no_grad()
    def frozen(t, fail=False):
        if fail:
            raise RuntimeError("inside")
        return t * 2, mg.is_grad_enabled()

    @mg.enable_grad()
    def live(t):
        return t * 2

    y, enabled = frozen(x)
    assert not enabled and not y.requires_grad
    with pytest.raises(RuntimeError):
        frozen(x, fail=True)
    assert mg.is_grad_enabled()
    with mg.no_grad():
        assert live(x).requires_grad
        assert not mg.is_grad_enabled()


# ***** R2.9 in-place changes *****


def test_R2_9_inplace_on_tensor_requiring_grad_raises():
    """A leaf that requires grad refuses every in-place change while grad mode is on, leaving
    it unchanged. On a non-leaf the same ops are recorded in the graph instead, as in PyTorch
    (tests/test_inplace.py)."""
    x = leaf([1.0, 2.0])
    for op in [lambda t: t.add_(1.0), lambda t: t.mul_(2.0), lambda t: t.sub_(1.0),
               lambda t: t.zero_(), lambda t: t.fill_(3.0), lambda t: t.__setitem__(0, 5.0)]:
        before = x.numpy().copy()
        with pytest.raises(RuntimeError, match="in-place"):
            op(x)
        np.testing.assert_array_equal(x.numpy(), before)


def test_R2_9_saved_tensor_changed_in_place_makes_backward_raise():
    x = leaf([1.0, 2.0])
    y = x.exp()
    z = y * 2  # Mul saved y
    with mg.no_grad():
        y.mul_(10.0)
    with pytest.raises(RuntimeError, match="in-place"):
        z.backward(mg.ones_like(z))


def test_R2_9_constant_changed_in_place_makes_backward_raise():
    x = leaf([1.0, 2.0])
    c = mg.tensor([3.0, 4.0], dtype=mg.float64)  # does not require grad: in-place is allowed
    z = x * c
    c.add_(1.0)
    with pytest.raises(RuntimeError, match="in-place"):
        z.sum().backward()


def test_R2_9_change_through_a_detached_tensor_is_detected():
    """detach() shares the data, so it shares the in-place counter too (as in PyTorch)."""
    x = leaf([1.0, 2.0])
    y = x.exp()
    z = y * x  # Mul saved y
    y.detach().mul_(10.0)  # allowed: the detached tensor does not require grad
    with pytest.raises(RuntimeError, match="in-place"):
        z.sum().backward()


def test_R2_9_optimizer_update_after_backward_is_fine():
    x = mg.tensor([1.0, -2.0], dtype=mg.float64)
    w = leaf([0.5, 0.25])
    grads = []
    for _ in range(3):
        (x * w * w).sum().backward()  # d/dw = 2 x w
        grads.append(w.grad.numpy().copy())
        expected = 2 * x.numpy() * w.numpy()
        np.testing.assert_allclose(grads[-1], expected)
        with mg.no_grad():
            w.sub_(0.1 * w.grad)
        w.grad = None


# ***** R2.10 / R2.11 shift stability and saturation, with every floating-point warning fatal *****


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_R2_10_softmax_family_is_shift_stable(dtype, device):
    with fp_errors_fatal(device):
        x = mg.tensor([1000.0, 0.0], dtype=dtype, device=device, requires_grad=True)
        np.testing.assert_array_equal(x.softmax(-1).numpy(), [1.0, 0.0])
        np.testing.assert_array_equal(x.log_softmax(-1).numpy(), [0.0, -1000.0])
        np.testing.assert_allclose(mg.tensor([1000.0, 1000.0], dtype=dtype).logsumexp().item(),
                                   1000 + np.log(2), rtol=1e-6)
        logits = np.random.default_rng(0).standard_normal((4, 10)).astype(dtype)
        # softmax and log_softmax are invariant to a shift; logsumexp moves with it
        for fn, moves in [(lambda t: t.softmax(-1), 0), (lambda t: t.log_softmax(-1), 0),
                          (lambda t: t.logsumexp(-1), 1e4)]:
            a, b = fn(mg.tensor(logits, device=device)), fn(mg.tensor(logits + 1e4, device=device))
            assert np.isfinite(b.numpy()).all()
            np.testing.assert_allclose(a.numpy() + moves, b.numpy(), atol=1e-3)
        g = mg.tensor(np.random.default_rng(1).standard_normal(2), dtype=dtype, device=device)
        x.log_softmax(-1).backward(g)
        assert np.isfinite(x.grad.numpy()).all()


def test_R2_10_minus_inf_logits_are_finite_elsewhere_with_zero_grad():
    with np.errstate(all="raise"):
        x = leaf([-np.inf, 0.0, 1.0, -np.inf])
        y = x.log_softmax(-1)
        assert np.isfinite(y.numpy()[1:3]).all()
        y[2].backward()  # a cross-entropy-like pick of the target
        np.testing.assert_array_equal(x.grad.numpy()[[0, 3]], [0.0, 0.0])
        assert np.isfinite(x.grad.numpy()).all()
        p = x.softmax(-1).numpy()
        np.testing.assert_allclose(p, [0, 1 / (1 + np.e), np.e / (1 + np.e), 0])


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
@pytest.mark.parametrize("name, value, grad", [
    ("sigmoid", [0.0, 1.0], [0.0, 0.0]),
    ("tanh", [-1.0, 1.0], [0.0, 0.0]),
    ("relu", [0.0, 1000.0], [0.0, 1.0]),
    ("leaky_relu", [-10.0, 1000.0], [0.01, 1.0]),
])
def test_R2_11_activations_saturate_exactly_without_warnings(name, value, grad, dtype, device):
    with fp_errors_fatal(device):
        x = mg.tensor([-1000.0, 1000.0], dtype=dtype, device=device, requires_grad=True)
        y = getattr(x, name)()
        y.backward(mg.ones_like(y))
    np.testing.assert_allclose(y.numpy(), value, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), grad, rtol=1e-6)
    assert y.dtype == dtype and x.grad.dtype == dtype


# ***** R2.12 subgradient conventions *****


@pytest.mark.parametrize("name, fn, expected", [
    ("relu", lambda x: x.relu(), [0.0, 0.0, 1.0]),
    ("maximum(x, 0)", lambda x: mg.maximum(x, 0.0), [0.0, 0.0, 1.0]),
    ("clip(x, 0)", lambda x: x.clip(0.0), [0.0, 0.0, 1.0]),
    ("clip(x, 0, 0.5) at upper bound", lambda x: x.clip(-2.0, 0.5), [1.0, 1.0, 0.0]),
    ("maximum(0, x): ties go to the 2nd argument", lambda x: mg.maximum(0.0, x), [0.0, 1.0, 1.0]),
    ("minimum(x, 0)", lambda x: mg.minimum(x, 0.0), [1.0, 0.0, 0.0]),
    ("abs", lambda x: x.abs(), [-1.0, 0.0, 1.0]),
    ("leaky_relu", lambda x: x.leaky_relu(0.1), [0.1, 0.1, 1.0]),
])
def test_R2_12_subgradients_at_the_kink(name, fn, expected, device):
    x = leaf([-1.0, 0.0, 0.5] if "upper" in name else [-1.0, 0.0, 1.0], device)
    fn(x).backward(mg.ones(3, dtype=mg.float64, device=device))
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_R2_12_maximum_ties_differ_from_torch_as_documented():
    """We send a tie's gradient to the 2nd argument (so maximum(x, 0) is relu); PyTorch splits
    it 0.5/0.5. This pins the difference so that a change on either side is noticed."""
    x = leaf([0.0])
    mg.maximum(x, mg.zeros(1, dtype=mg.float64)).backward(mg.ones(1, dtype=mg.float64))
    assert x.grad.item() == 0.0
    if torch is not None:
        t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        torch.maximum(t, torch.zeros(1, dtype=torch.float64)).sum().backward()
        assert t.grad.item() == 0.5


@pytest.mark.parametrize("name, values, fn, torch_fn", [
    ("max", [0.6, 0.6, 0.3], lambda x: x.max(), lambda t: t.amax()),
    ("amax_dim", [0.6, 0.6, 0.3], lambda x: x.amax(0), lambda t: t.amax(0)),
    ("min", [-0.6, -0.6, -0.3], lambda x: x.min(), lambda t: t.amin()),
])
def test_R2_12_reduce_max_splits_ties_evenly(name, values, fn, torch_fn, device):
    x = leaf(values, device)
    fn(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.5, 0.0])  # sums to 1, shared evenly
    if torch is not None:  # the same as torch.amax / amin
        t = torch.tensor(values, requires_grad=True)
        torch_fn(t).backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def test_max_with_dim_sends_the_gradient_to_the_index_it_returns(device):
    """max(dim) returns (values, indices), as torch; its gradient goes to the returned index
    only, where amax shares it between ties."""
    x = leaf([0.6, 0.6, 0.3], device)
    values, indices = x.max(0)
    values.backward()
    assert indices.item() == 0 and indices.dtype == mg.int64
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 0.0])
    if torch is not None:
        t = torch.tensor([0.6, 0.6, 0.3], requires_grad=True)
        tv, ti = t.max(0)
        tv.backward()
        assert ti.item() == indices.item()
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_R2_12_reduce_max_near_tie_is_not_a_tie(device):
    x = leaf([1.0, 0.995], device)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0])


# ***** R2.13 var/std/sqrt at zero *****


@pytest.mark.parametrize("name", ["var", "std"])
def test_R2_13_var_std_grad_of_constant_is_zero(name, device):
    x = leaf(np.full((2, 3), 4.0), device)
    y = getattr(x, name)(1)
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.0])
    y.backward(mg.tensor([1.0, -2.0], dtype=mg.float64, device=device))
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))  # PyTorch's std gives NaN


def test_R2_13_var_with_too_few_elements_is_nan_like_torch():
    x = leaf([3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no NumPy warning on the way
        assert np.isnan(x.var().item()) and np.isnan(x.std().item())
        assert x.var(correction=0).item() == 0.0
    if torch is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert np.isnan(torch.tensor([3.0]).var().item())


def test_R2_13_sqrt_grad_at_zero_is_inf_like_torch():
    x = leaf([0.0, 4.0])
    with np.errstate(divide="ignore"):
        x.sqrt().backward(mg.ones(2, dtype=mg.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [np.inf, 0.25])


# ***** R2.14 gradcheck can fail, and says where *****


class BadSquare(Function):
    """y = x^2 with a deliberately wrong backward (forgets the 2)."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return gy * self.x


class BadTranspose(Function):
    """y = x^T with a backward that forgets to transpose: invisible to a sum-of-output check."""

    def forward(self, x):
        return x.T.copy()

    def backward(self, gy):
        return gy


def test_R2_14_gradcheck_fails_on_a_wrong_backward():
    x = leaf(np.random.default_rng(0).uniform(0.5, 1.5, (2, 3)))
    with pytest.raises(AssertionError, match=r"input 0 .*worst element \(\d, \d\)"):
        gradcheck(lambda x: BadSquare()(x), x)


def test_R2_14_gradcheck_names_the_wrong_input():
    a, b = leaf([1.0, 2.0]), leaf([0.5, -1.0])
    with pytest.raises(AssertionError, match="input 1"):
        gradcheck(lambda a, b: a * 3 + BadSquare()(b), a, b)


def test_R2_14_random_upstream_gradient_catches_what_a_sum_hides():
    x = leaf(np.random.default_rng(0).standard_normal((3, 3)))
    assert gradcheck(lambda x: BadTranspose()(x), x, grad_output=np.ones((3, 3)))  # fooled
    with pytest.raises(AssertionError):
        gradcheck(lambda x: BadTranspose()(x), x)  # the default random G is not


def test_R2_14_gradcheck_warns_when_vacuous():
    x = leaf(np.random.default_rng(0).standard_normal((2, 4)))
    with pytest.warns(GradcheckWarning):
        gradcheck(lambda x: x.softmax(-1), x, grad_output=np.ones((2, 4)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradcheckWarning)
        assert gradcheck(lambda x: x.softmax(-1), x)


def test_R2_14_gradcheck_leaves_inputs_as_they_were(device):
    x = leaf([1.0, 2.0], device)
    x.grad = mg.tensor([7.0, 7.0], dtype=mg.float64, device=device)
    data = x.array
    assert gradcheck(lambda x: x.exp(), x)
    assert x.array is data
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 7.0])
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda x: x.exp(), mg.ones(2, requires_grad=True))


# ***** Tensor.backward arguments *****


def test_backward_argument_errors():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0]).backward()
    with pytest.raises(RuntimeError, match=r"\(2,\)"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(mg.ones(3))


@pytest.mark.parametrize("shape", [(1,), (), (1, 1)])
def test_R2_5_leaf_grad_is_writable_for_one_element_inputs(shape):
    """broadcast_to of a one-element array is 'contiguous' but still read-only (mean's backward)."""
    x = leaf(np.ones(shape))
    x.mean().backward()
    x.grad.array *= 2  # as an optimizer or a user scaling grads in place would
    np.testing.assert_array_equal(x.grad.numpy(), np.full(shape, 2.0))
    y = leaf(np.ones(shape))
    (y * 3).sum().backward()
    y.grad.add_(1)
    np.testing.assert_array_equal(y.grad.numpy(), np.full(shape, 4.0))


def test_R5_5_set_grad_enabled_called_as_a_function_sets_the_mode():
    """As torch.set_grad_enabled: a plain call switches the mode at once; `with` and the
    decorator form still restore the previous mode."""
    try:
        mg.set_grad_enabled(False)
        assert not mg.is_grad_enabled() and not (leaf([1.0]) * 2).requires_grad
        mg.set_grad_enabled(True)
        assert mg.is_grad_enabled()
        with mg.set_grad_enabled(False):
            assert not mg.is_grad_enabled()
        assert mg.is_grad_enabled()

        @mg.set_grad_enabled(False)
        def frozen():
            return mg.is_grad_enabled()

        assert mg.is_grad_enabled() and frozen() is False and mg.is_grad_enabled()
        with mg.no_grad():
            with mg.set_grad_enabled(True):
                assert mg.is_grad_enabled()
            assert not mg.is_grad_enabled()
        assert mg.is_grad_enabled()
    finally:
        mg.set_grad_enabled(True)  # never leak a mode into other tests


def test_grad_mode_is_per_thread():
    """A no_grad() block in another thread (a data loader, say) must not turn recording off in
    this one, as in PyTorch; and a new thread starts with recording on."""
    import threading

    inside, started = threading.Event(), threading.Event()
    seen = {}

    def worker():
        seen["start"] = mg.is_grad_enabled()
        with mg.no_grad():
            seen["worker"] = mg.is_grad_enabled()
            inside.set()
            started.wait(5)

    with mg.no_grad():  # the main thread's mode must not leak into the new thread
        t = threading.Thread(target=worker)
        t.start()
        assert inside.wait(5)
    try:
        assert mg.is_grad_enabled()  # the worker is still inside its no_grad()
        x = leaf([1.0, 2.0])
        assert (x * 2).requires_grad
    finally:
        started.set()
        t.join(5)
    assert seen == {"start": True, "worker": False}


VIEWS = {"slice": lambda b: b[0:2], "row": lambda b: b.reshape(1, 3)[0], "reshape": lambda b: b.reshape(3, 1),
         "unsqueeze": lambda b: b.unsqueeze(0), "T": lambda b: b.reshape(1, 3).T,
         "expand": lambda b: b.reshape(1, 3).expand(2, 3)}


@pytest.mark.parametrize("name", [n for n in VIEWS if n != "expand"])
def test_R2_9_change_through_a_view_is_detected(name):
    """A view shares memory with its base, so it shares the in-place counter (as in PyTorch);
    otherwise backward silently used the changed values."""
    w = leaf([1.0, 2.0, 3.0])
    base = mg.tensor([1.0, 1.0, 1.0], dtype=mg.float64)
    y = (w * base).sum()  # Mul saved base
    VIEWS[name](base).fill_(5.0)
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


@pytest.mark.parametrize("name", list(VIEWS))
def test_R2_9_change_of_the_base_of_a_saved_view_is_detected(name):
    w = leaf([1.0, 2.0, 3.0])
    base = mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64)
    view = VIEWS[name](base)
    y = (w.sum() * view).sum()  # Mul saved the view
    base.mul_(10.0)
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_R2_9_copies_do_not_share_the_in_place_counter():
    """Integer-array indexing and reshaping a non-contiguous tensor copy: no false alarms."""
    w = leaf([1.0, 2.0, 3.0, 4.0])
    base = mg.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=mg.float64)
    flat = base.reshape(4)  # a view: not used in the graph
    y = (w * flat[[3, 2, 1, 0]] * base.T.reshape(4) * base.clone().reshape(4)).sum()
    base.fill_(0.0)
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.array([4.0, 3.0, 2.0, 1.0]) * [1, 3, 2, 4] * [1, 2, 3, 4])
