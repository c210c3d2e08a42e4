"""R2.7 float32 stays float32 (NumPy 2 promotes on NumPy scalars and 0-d arrays: minigrad must
not), R2.8 only floating tensors can require grad. The op table is the one in test_ops.py."""

import numpy as np
import pytest

import minigrad as mg
from test_ops import CASES, IDS


def _grads_of(y, xs, device):
    g = mg.tensor(np.random.default_rng(1).standard_normal(y.shape).astype(y.dtype), device=device)
    y.backward(g)
    return [x.grad for x in xs]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_R2_7_float32_in_float32_out_and_grads(case, device):
    xs = [mg.tensor(a, device=device, requires_grad=True) for a in case.inputs(dtype=np.float32)]
    assert all(x.dtype == mg.float32 for x in xs)
    y = case.fn(*xs)
    assert y.dtype == mg.float32, f"{case.id}: output is {y.dtype}"
    for i, g in enumerate(_grads_of(y, xs, device)):
        assert g is not None and g.dtype == mg.float32, f"{case.id}: grad of input {i}"


# Each is a trap under NumPy 2's promotion rules (NEP 50): np.float64 scalars and 0-d arrays
# are "strong" and would turn float32 into float64.
EXPLICIT = {
    "t*np.float64(.5)": lambda t: t * np.float64(0.5),
    "t*np.array(.5)": lambda t: t * np.array(0.5),
    "np.float64(.5)*t": lambda t: np.float64(0.5) * t,
    "np.array(.5)*t": lambda t: np.array(0.5) * t,
    "1-t": lambda t: 1 - t,
    "t-np.float64(1)": lambda t: t - np.float64(1),
    "t/123456": lambda t: t / 123456,
    "t/np.float64(3)": lambda t: t / np.float64(3),
    "np.float64(3)/t": lambda t: np.float64(3) / t,
    "t+np.int64(2)": lambda t: t + np.int64(2),
    "t**np.float64(2)": lambda t: t ** np.float64(2),
    "np.float64(2)**t": lambda t: np.float64(2) ** t,
    "t.mean()": lambda t: t.mean(),
    "t.var()": lambda t: t.var(),
    "t.std(0)": lambda t: t.std(0),
    "maximum(t, np.float64(0))": lambda t: mg.maximum(t, np.float64(0)),
    "where(t>0, t, np.float64(1))": lambda t: mg.where(t > 0, t, np.float64(1)),
    "clip(t, np.float64(-1), np.float64(1))": lambda t: t.clip(np.float64(-1), np.float64(1)),
    "leaky_relu(t, np.float64(.1))": lambda t: t.leaky_relu(np.float64(0.1)),
    "t + 0-d float64 tensor": lambda t: t + mg.tensor(2.0, dtype=mg.float64, device=t.device),
}


@pytest.mark.parametrize("name", EXPLICIT)
def test_R2_7_numpy_scalars_do_not_promote(name, device):
    t = mg.tensor([[1.5, -0.5], [0.25, 2.0]], device=device, requires_grad=True)
    y = EXPLICIT[name](t)
    assert y.dtype == mg.float32, f"{name} gave {y.dtype}"
    (g,) = _grads_of(y, [t], device)
    assert g.dtype == mg.float32


def test_R2_7_float64_is_kept_when_asked_for(device):
    t = mg.tensor([1.0, 2.0], dtype=mg.float64, device=device, requires_grad=True)
    y = (t * 0.5 + np.float32(1)).exp().mean()
    assert y.dtype == mg.float64
    y.backward()
    assert t.grad.dtype == mg.float64


def test_R2_7_dimensioned_arrays_promote_like_torch():
    """A whole float64 array is data, not a number: it widens (torch does the same), and the
    gradient still comes back to the float32 input in float32."""
    t = mg.ones(3, requires_grad=True)
    y = t * np.array([0.5, 0.5, 0.5])
    assert y.dtype == mg.float64
    y.sum().backward()
    assert t.grad.dtype == mg.float32


@pytest.mark.parametrize("make", [
    lambda: mg.tensor([1.0, 2.0]), lambda: mg.tensor(3.0), lambda: mg.zeros(2), lambda: mg.ones(2, 2),
    lambda: mg.full((2,), 0.5), lambda: mg.rand(3), lambda: mg.randn(3), lambda: mg.arange(0.0, 1.0, 0.5),
    lambda: mg.zeros_like(mg.ones(2)), lambda: mg.randn_like(mg.ones(2)),
], ids=["tensor", "tensor_0d", "zeros", "ones", "full", "rand", "randn", "arange_float", "zeros_like",
        "randn_like"])
def test_R2_7_default_float_dtype_is_float32(make):
    assert make().dtype == mg.float32


@pytest.mark.parametrize("expr, dtype", [
    (lambda i: i / 2, mg.float32),
    (lambda i: i / i, mg.float32),
    (lambda i: 2 / i, mg.float32),
    (lambda i: i * 0.5, mg.float32),
    (lambda i: i + np.float64(0.5), mg.float32),
    (lambda i: i + 1, mg.int64),
    (lambda i: i * i, mg.int64),
    (lambda i: i.sum(), mg.int64),
], ids=["i/int", "i/i", "int/i", "i*float", "i+np.float64", "i+int", "i*i", "sum"])
def test_R2_7_integer_tensor_arithmetic(expr, dtype, device):
    i = mg.tensor([1, 2, 4], device=device)
    assert i.dtype == mg.int64
    y = expr(i)
    assert y.dtype == dtype and y.device == device
    np.testing.assert_allclose(y.numpy(), expr(np.array([1, 2, 4])), rtol=1e-6)


@pytest.mark.parametrize("other, dtype", [(mg.float32, mg.float32), (mg.float64, mg.float64)])
def test_R2_7_integer_and_float_tensors_give_the_float(other, dtype, device):
    y = mg.tensor([1, 2], device=device) + mg.ones(2, dtype=other, device=device)
    assert y.dtype == dtype


def test_R2_7_cast_is_differentiable_and_grad_keeps_the_input_dtype(device):
    t = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    d = t.double()
    assert d.dtype == mg.float64
    (d * d).sum().backward()
    assert t.grad.dtype == mg.float32
    np.testing.assert_array_equal(t.grad.numpy(), [2.0, 4.0])


# ***** R2.8 *****


@pytest.mark.parametrize("make", [
    lambda: mg.tensor([1, 2, 3], requires_grad=True),
    lambda: mg.zeros(3, dtype=mg.int64, requires_grad=True),
    lambda: mg.arange(3, requires_grad=True),
    lambda: mg.tensor([True, False], requires_grad=True),
    lambda: mg.tensor([1, 2]).requires_grad_(),
], ids=["tensor", "zeros", "arange", "bool", "requires_grad_"])
def test_R2_8_integer_tensors_cannot_require_grad(make):
    with pytest.raises(TypeError, match="floating-point.*(int64|bool)"):
        make()


def test_R2_8_integer_results_of_float_tensors_are_not_differentiable(device):
    x = mg.tensor([0.5, -1.5, 2.0], device=device, requires_grad=True)
    for y in [x.to(mg.int64), x > 0, x == x, x.argmax(), x.argmin(0)]:
        assert y.dtype.kind in "ib"
        assert not y.requires_grad and y.grad_fn is None
    idx = x.argmax()
    (x[idx] * 2).backward()  # indexing with it still differentiates x
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 2.0])


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sigmoid"])
def test_R2_7_float_functions_of_integer_tensors_give_float32(name, device):
    """torch.exp(int tensor) is float32; NumPy's exp of int64 would leak float64."""
    i = mg.tensor([1, 2, 4], device=device)
    y = getattr(i, name)()
    assert y.dtype == mg.float32 and y.device == device
    ref = (lambda a: 1 / (1 + np.exp(-a))) if name == "sigmoid" else getattr(np, name)
    np.testing.assert_allclose(y.numpy(), ref(np.array([1.0, 2.0, 4.0])), rtol=1e-6)


@pytest.mark.parametrize("join", ["cat", "stack"])
def test_R2_7_joining_float32_with_integers_stays_float32(join, device):
    """torch.cat([float32, int64]) is float32; NumPy's result_type would give float64."""
    f, i = mg.ones(2, device=device), mg.tensor([1, 2], device=device)
    assert getattr(mg, join)([f, i]).dtype == mg.float32
    assert getattr(mg, join)([i, f.double()]).dtype == mg.float64
    assert getattr(mg, join)([i, i]).dtype == mg.int64
