"""nn.init: distributions, gains and fans as PyTorch's."""

import math

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.nn import init


f64 = minigrad.float64


def rnd(*shape, scale=1.0, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def T(a, device="cpu", requires_grad=False):
    return minigrad.tensor(a, device=device, requires_grad=requires_grad)


# ***** nn.init *****

INIT_STATS = [  # (name, fn, expected std, bound or None)
    ("uniform_", lambda t: init.uniform_(t, -2, 2), 4 / math.sqrt(12), 2),
    ("normal_", lambda t: init.normal_(t, 0, 0.5), 0.5, None),
    ("xavier_uniform_", lambda t: init.xavier_uniform_(t), math.sqrt(2 / (200 + 300)), math.sqrt(6 / 500)),
    ("xavier_normal_", lambda t: init.xavier_normal_(t, gain=2), 2 * math.sqrt(2 / 500), None),
    ("kaiming_uniform_", lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(2 / 300),
     math.sqrt(6 / 300)),
    ("kaiming_normal_", lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
     math.sqrt(2 / 200), None),
]


@pytest.mark.parametrize("name,fn,std,bound", INIT_STATS, ids=[s[0] for s in INIT_STATS])
def test_init_distributions(device, name, fn, std, bound):
    w = minigrad.zeros(200, 300, device=device)  # fan_in 300, fan_out 200
    assert fn(w) is w
    a = w.numpy()
    assert a.dtype == np.float32 and w.device == device
    assert abs(a.std() / std - 1) < 0.02
    assert abs(a.mean()) < 0.05 * std
    if bound is not None:
        assert np.abs(a).max() <= bound and np.abs(a).max() > 0.99 * bound


def test_init_constants_and_conv_fans():
    w = minigrad.zeros(8, 4, 3, 3)  # conv weight: fan_in = 4*9, fan_out = 8*9
    assert init._calculate_fan_in_and_fan_out(w) == (36, 72)
    np.testing.assert_array_equal(init.ones_(w).numpy(), 1)
    np.testing.assert_array_equal(init.zeros_(w).numpy(), 0)
    np.testing.assert_array_equal(init.constant_(w, 0.25).numpy(), 0.25)
    with pytest.raises(ValueError, match="at least 2 dims"):
        init.xavier_uniform_(minigrad.zeros(5))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_uniform_(w, mode="fan_avg")


def test_init_gains_match_torch():
    torch = pytest.importorskip("torch")
    for nl, param in [("relu", None), ("tanh", None), ("leaky_relu", 0.2), ("leaky_relu", None), ("sigmoid", None)]:
        assert init.calculate_gain(nl, param) == pytest.approx(torch.nn.init.calculate_gain(nl, param))


def test_init_on_parameter_bumps_version():
    fc = nn.Linear(3, 2)
    v = fc.weight._version
    init.zeros_(fc.weight)
    assert fc.weight._version > v and fc.weight.requires_grad
