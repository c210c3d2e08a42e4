"""NaN and infinite inputs: values and gradients (random upstream gradient) equal PyTorch's for
the activations and reductions, except the documented clamp-family rule (docs/porting.md:
clip, hardtanh and relu6 give 0 at and beyond their bounds, and for a NaN). The fuzz test
skips NaN inputs altogether, so these are checked here one by one. Also special sizes: a float
size raises as in PyTorch rather than being truncated."""

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F

NAN, INF = float("nan"), float("inf")
SPECIAL = [NAN, INF, -INF, 0.0]

OPS = {  # name: (minigrad fn, torch fn); each maps a 1-d tensor to a tensor
    "relu": (F.relu, lambda t, x: t.nn.functional.relu(x)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda t, x: t.nn.functional.leaky_relu(x, 0.1)),
    "elu": (F.elu, lambda t, x: t.nn.functional.elu(x)),
    "silu": (F.silu, lambda t, x: t.nn.functional.silu(x)),
    "softplus": (F.softplus, lambda t, x: t.nn.functional.softplus(x)),
    "gelu": (F.gelu, lambda t, x: t.nn.functional.gelu(x)),
    "tanh": (lambda x: x.tanh(), lambda t, x: x.tanh()),
    "sigmoid": (lambda x: x.sigmoid(), lambda t, x: x.sigmoid()),
    "abs": (lambda x: x.abs(), lambda t, x: x.abs()),
    "max": (lambda x: x.max(), lambda t, x: x.max()),
    "min": (lambda x: x.min(), lambda t, x: x.min()),
    "amax": (lambda x: x.reshape(2, 2).amax(1), lambda t, x: x.reshape(2, 2).amax(1)),
    "max_dim": (lambda x: x.reshape(2, 2).max(1).values, lambda t, x: x.reshape(2, 2).max(1).values),
    "max_pool": (lambda x: F.max_pool1d(x.reshape(1, 1, -1), 2).reshape(-1),
                 lambda t, x: t.nn.functional.max_pool1d(x.reshape(1, 1, -1), 2).reshape(-1)),
    "softmax": (lambda x: F.softmax(x, 0), lambda t, x: t.nn.functional.softmax(x, 0)),
    "sign": (lambda x: x.sign(), lambda t, x: x.sign()),
    "square": (lambda x: x * x, lambda t, x: x * x),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy says so when it makes a NaN
@pytest.mark.parametrize("special", SPECIAL, ids=["nan", "inf", "-inf", "zero"])
@pytest.mark.parametrize("name", OPS)
def test_special_values_match_torch(name, special):
    torch = pytest.importorskip("torch")
    ours, theirs = OPS[name]
    a = np.array([special, 0.5, -0.25, 2.0])
    xo, xt = minigrad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    yo, yt = ours(xo), theirs(torch, xt)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=0, equal_nan=True)
    G = np.linspace(0.3, 1.1, yo.numel()).reshape(yo.shape)
    yo.backward(minigrad.tensor(G))
    yt.backward(torch.tensor(G))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=0, equal_nan=True)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_rules_without_torch():
    x = minigrad.tensor([NAN, -1.0, 2.0], requires_grad=True)
    F.relu(x).backward(minigrad.tensor([0.5, 0.5, 0.5]))
    assert x.grad.tolist() == [0.5, 0.0, 0.5]  # NaN <= 0 is false: the gradient passes
    x = minigrad.tensor([1.0, NAN, 3.0, NAN], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.0, 0.5]  # the NaNs made the result: they share it
    assert minigrad.tensor([NAN, -2.0, 0.0]).sign().tolist() == [0.0, -1.0, 0.0]


# ***** sizes: never truncated *****


@pytest.mark.parametrize("make", [lambda m: m.zeros(2.5), lambda m: m.ones((2, 1.5)), lambda m: m.randn(2.0),
                                  lambda m: m.full((2.5,), 1.0), lambda m: m.zeros(4).view(2.0, -1),
                                  lambda m: m.zeros(4).reshape(2, 2.0)])
def test_a_float_size_raises_as_in_torch_instead_of_being_truncated(make):
    with pytest.raises(TypeError, match="integer"):
        make(minigrad)
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        make(torch)


def test_integer_sizes_of_every_kind_are_accepted():
    assert minigrad.zeros(np.int64(3)).shape == (3,)
    assert minigrad.zeros(minigrad.tensor(3)).shape == (3,)  # a 0-d integer tensor is an index
    assert minigrad.zeros(4).reshape(minigrad.zeros(2, 2).shape).shape == (2, 2)
    assert [10, 20, 30][minigrad.tensor(2)] == 30
    with pytest.raises(TypeError, match="integer tensors of a single element"):
        [10, 20][minigrad.tensor(1.0)]
