"""The strict stand-in device (minigrad/testing/strict.py): it must refuse what CuPy refuses (R4.1, R4.2),
accept what CuPy accepts, and so make a stray `np.*` call on tensor data fail in CPU-only CI."""

import ast
import pathlib

import numpy as np
import pytest

import minigrad
from minigrad import backend, ops
from minigrad.testing import strict as S

xp = S.xp


def host(shape=(3, 4), seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ***** what the stand-in refuses, like CuPy (R4.1, R4.2) *****

REFUSED = [
    ("np.asarray", lambda a: np.asarray(a)),
    ("np.array", lambda a: np.array(a)),
    ("np.array of a list", lambda a: np.array([a, a])),
    ("np.exp (ufunc)", lambda a: np.exp(a)),
    ("np.maximum with a number", lambda a: np.maximum(a, 0)),
    ("np.pad (array function)", lambda a: np.pad(a, 1)),
    ("np.concatenate", lambda a: np.concatenate([a, a])),
    ("np.sum", lambda a: np.sum(a)),
    ("device + host array", lambda a: a + np.ones(4, np.float32)),
    ("host array + device", lambda a: np.ones(4, np.float32) + a),
    ("device * 0-d host array", lambda a: a * np.asarray(2.0, np.float32)),
    ("in-place += host array", lambda a: a.__iadd__(np.ones(4, np.float32))),
    ("setitem from host array", lambda a: a.__setitem__(slice(None), np.zeros((3, 4), np.float32))),
    ("xp function with a host array", lambda a: xp.concatenate([a, np.zeros((1, 4), np.float32)])),
    ("xp.where with a host array", lambda a: xp.where(a > 0, a, np.zeros((3, 4), np.float32))),
    ("xp.add.at with host values", lambda a: xp.add.at(a, [0, 0], np.ones(4, np.float32))),
    ("xp.add.at into a host array", lambda a: xp.add.at(np.zeros(3), [0, 0], 1.0)),
]


@pytest.mark.parametrize("name, fn", REFUSED, ids=[r[0] for r in REFUSED])
def test_refuses_numpy_like_cupy(name, fn):
    """R4.1/R4.2: each of these raises on CuPy (implicit conversion or host/device mixing)."""
    a = xp.asarray(host())
    with pytest.raises(TypeError):
        fn(a)


def test_no_device_random_or_errstate():
    """R4.8: minigrad draws random numbers on the host, so the device module has no `random`;
    CuPy has no `errstate`, so code must not need it."""
    for name in ("random", "errstate", "seterr"):
        assert not hasattr(xp, name)


# ***** what it accepts, like CuPy *****


def test_scalars_mix_and_keep_float32():
    """R4.2: Python numbers and NumPy scalars on either side stay on the device, float32."""
    a = xp.asarray(host())
    for out in (a * 2.0, 2.0 * a, np.float32(2) * a, a * np.float32(2), a / 3, 1 - a, a**2):
        assert isinstance(out, S.StrictArray) and out.dtype == np.float32
    np.testing.assert_array_equal(xp.asnumpy(np.float32(2) * a), 2 * host())


def test_reductions_and_integer_indexing_give_0d_device_arrays():
    """R4.3: CuPy returns 0-d arrays, not NumPy scalars; `.item()` gives a Python number."""
    a = xp.asarray(host())
    for out in (a.sum(), a.max(), a.mean(), a[1, 2], xp.sum(a), a.argmax()):
        assert isinstance(out, S.StrictArray) and out.shape == ()
    assert isinstance(a.sum().item(), float)
    assert a[1, 2].item() == host()[1, 2]


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, a: a.sum(axis=1, keepdims=True),
        lambda m, a: a.max(axis=0),
        lambda m, a: a.mean(axis=(0, 1)),
        lambda m, a: a.astype(m.float64).sum(dtype=m.float64),
        lambda m, a: a.T @ a,
        lambda m, a: a.reshape(2, 6).transpose(1, 0),
        lambda m, a: a[[0, 2, 2], 1:],
        lambda m, a: a[a > 0],
        lambda m, a: m.where(a > 0, a, 0),
        lambda m, a: m.exp(-m.abs(a)),
        lambda m, a: m.pad(a, ((1, 0), (0, 2)), mode="constant", constant_values=0),
        lambda m, a: m.concatenate([a, a], axis=1),
        lambda m, a: m.stack([a, a], axis=2),
        lambda m, a: m.broadcast_to(a[:, :1], (3, 5)),
        lambda m, a: m.einsum("ij,kj->ik", a, a),
        lambda m, a: m.lib.stride_tricks.sliding_window_view(a, (2, 2)),
        lambda m, a: m.clip(a, np.float32(-0.5), np.float32(0.5)),
        lambda m, a: m.swapaxes(m.expand_dims(a, 0), -1, -2),
    ],
)
def test_xp_matches_numpy(fn):
    """The strict module gives NumPy's values, so only strictness differs from the CPU."""
    expected = fn(np, host())
    out = fn(xp, xp.asarray(host()))
    assert isinstance(out, S.StrictArray)
    np.testing.assert_array_equal(xp.asnumpy(out), expected)
    assert out.dtype == expected.dtype


def test_host_index_arrays_and_inplace_ops():
    """CuPy copies host index arrays to the device; in-place operators write into the array."""
    a = xp.asarray(host())
    idx = np.array([2, 0])
    np.testing.assert_array_equal(xp.asnumpy(a[idx]), host()[idx])
    b = a
    b += 1
    b[0] = 0.0
    assert b is a
    expected = host() + 1
    expected[0] = 0
    np.testing.assert_array_equal(xp.asnumpy(a), expected)


def test_transfers_copy():
    """asarray copies host data in and asnumpy copies it out, as host<->device transfers do."""
    h = host()
    a = xp.asarray(h)
    h[0, 0] = 100.0
    assert xp.asnumpy(a)[0, 0] != 100.0
    out = xp.asnumpy(a)
    out[0, 0] = 100.0
    assert xp.asnumpy(a)[0, 0] != 100.0


def test_views_report_their_base():
    """autograd follows `.base` to find aliasing; views must point at the owning array."""
    a = xp.asarray(host())
    for view in (a.reshape(12), a[1:], a.T, a[1:].reshape(8), xp.broadcast_to(a, (2, 3, 4))):
        assert view.base is a
    assert a.base is None and a.copy().base is None and (a + 1).base is None


# ***** the stand-in catches stray NumPy in the library (issue 6, must-show) *****

PLANTED = [
    ("np.asarray(x)", lambda self, x: self.xp.exp(np.asarray(x))),
    ("np.exp(x)", lambda self, x: np.exp(x)),
    ("np.pad then crop", lambda self, x: self.xp.exp(np.pad(x, 1)[1:-1, 1:-1])),
    ("mix with a host array", lambda self, x: self.xp.exp(x) + np.zeros(x.shape, x.dtype)),
]


@pytest.mark.parametrize("name, planted", PLANTED, ids=[p[0] for p in PLANTED])
def test_planted_numpy_call_in_an_op_fails_on_strict(monkeypatch, name, planted):
    """R4.1: a stray NumPy call inside an op's forward passes on the CPU and raises on the strict
    device, as it would on CuPy."""

    def forward(self, x):
        self.y = planted(self, x)
        return self.y

    monkeypatch.setattr(ops.Exp, "forward", forward)
    x = minigrad.tensor(host(), requires_grad=True)
    np.testing.assert_allclose(x.exp().numpy(), np.exp(host()), rtol=1e-6)  # fine on the CPU
    with pytest.raises(TypeError):
        x.to("strict").exp()


def test_planted_numpy_call_in_a_backward_fails_on_strict(monkeypatch):
    monkeypatch.setattr(ops.Tanh, "backward", lambda self, gy: gy * (1 - np.square(self.y)))
    for device, fails in (("cpu", False), ("strict", True)):
        x = minigrad.tensor(host(), device=device, requires_grad=True)
        y = x.tanh().sum()
        if fails:
            with pytest.raises(TypeError):
                y.backward()
        else:
            y.backward()


# ***** scatter-add (R4.6) *****


@pytest.mark.parametrize(
    "shape, index, vshape",
    [
        ((5,), np.array([0, 1, 1, 4, 1]), (5,)),
        ((4, 3), np.array([2, 0, 2, 2]), (4, 3)),
        ((4, 3), (np.array([0, 0, 3]), np.array([1, 1, 2])), (3,)),
    ],
)
def test_scatter_add_duplicate_indices_same_on_numpy_and_strict(shape, index, vshape):
    """R4.6: repeated indices accumulate, identically on every backend; plain `dst[idx] += v`
    would keep only one of the repeats."""
    values = np.random.default_rng(1).standard_normal(vshape).astype(np.float32)
    expected = np.zeros(shape, np.float32)
    for k in range(vshape[0]):  # the definition, one update at a time
        at = tuple(i[k] for i in index) if isinstance(index, tuple) else index[k]
        expected[at] += values[k]
    results = {}
    for device in ("cpu", "strict"):
        dst = backend.to_device(np.zeros(shape, np.float32), device)
        idx = tuple(backend.to_device(i, device) for i in index) if isinstance(index, tuple) else (
            backend.to_device(index, device))
        backend.scatter_add(dst, idx, backend.to_device(values, device))
        assert backend.device_of(dst) == device
        results[device] = backend.to_numpy(dst)
    np.testing.assert_allclose(results["cpu"], expected, rtol=1e-6)
    np.testing.assert_array_equal(results["strict"], results["cpu"])


def test_getitem_backward_with_repeats_same_on_numpy_and_strict():
    """R4.6: the gradient of x[idx] with repeated idx goes through backend.scatter_add."""
    gy = host((6, 4), seed=2)
    grads = {}
    for device in ("cpu", "strict"):
        x = minigrad.tensor(host(), device=device, requires_grad=True)
        idx = minigrad.tensor([2, 0, 2, 2, 1, 0], device=device)
        x[idx].backward(minigrad.tensor(gy, device=device))
        grads[device] = x.grad.numpy()
    expected = np.zeros((3, 4), np.float32)
    np.add.at(expected, [2, 0, 2, 2, 1, 0], gy)
    np.testing.assert_allclose(grads["cpu"], expected, rtol=1e-6)
    np.testing.assert_array_equal(grads["strict"], grads["cpu"])


# ***** host transfers are counted (issue 6: only .item() and .numpy() transfer) *****


def test_transfers_are_counted():
    a = xp.asarray(host())
    before = S.host_transfers
    b = (a * 2).sum(axis=0)
    assert S.host_transfers == before  # device math: no transfer
    b.sum().item()
    xp.asnumpy(b)
    float(b[0])
    assert S.host_transfers == before + 3


# ***** static companion: code paths the tests do not reach (R4.1) *****

# NumPy names allowed in array code because they act on Python values (shapes, axis lists),
# never on tensor data; np.errstate only quiets NumPy and is a no-op for CuPy.
_HOST_ONLY = {"argsort", "cumsum", "prod", "dtype", "errstate", "result_type", "promote_types"}


def _array_code(tree):
    """forward/backward of every class, and every function that takes an `xp` argument."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            yield from (f for f in node.body
                        if isinstance(f, ast.FunctionDef) and f.name in ("forward", "backward"))
        elif isinstance(node, ast.FunctionDef) and "xp" in [a.arg for a in node.args.args]:
            yield node


def test_R4_1_array_code_uses_xp_not_numpy():
    """R4.1 (lint): inside ops' forward/backward and xp-taking helpers, NumPy may only touch
    Python values. The strict device catches the same mistakes at run time, where tests reach."""
    package = pathlib.Path(minigrad.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "strict.py":
            continue
        for fn in _array_code(ast.parse(path.read_text())):
            for node in ast.walk(fn):
                if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                        and node.value.id in ("np", "numpy") and node.attr not in _HOST_ONLY):
                    found.append(f"{path.relative_to(package)}:{node.lineno} {fn.name}: np.{node.attr}")
    assert not found, "use self.xp / xp instead of NumPy in array code:\n" + "\n".join(found)
