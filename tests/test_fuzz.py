"""Differential fuzzing against PyTorch: random programs run in both libraries must agree.

A program is a random leaf (0-4 dims, sizes 0-5; float32, float64, int32 or int64) followed by
a chain of 1-4 ops drawn from the op table of tests/test_ops.py (so a new op joins the fuzz
when it gets its line there). An op that needs more inputs gets fresh leaves whose shapes
broadcast against the running value (or, sometimes, do not). After each op both libraries
must agree on which side raises, and otherwise on shape, dtype, values and whether the result
requires grad; at the end, on every leaf's gradient under a random upstream gradient. BatchNorm
is fuzzed in training and eval mode the same way.

Deliberate differences from PyTorch are documented in docs/porting.md ("Deliberate
differences") and listed in DELIBERATE_DIFFERENCES below, by name, with the exact condition
under which each shows; a mismatch is skipped only when one of them applies, nothing else.

Budget: the "ci" hypothesis profile (tests/conftest.py) is fixed and deterministic; run
`python -m pytest tests/test_fuzz.py --hypothesis-profile=long` for a long run.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
torch = pytest.importorskip("torch")

from hypothesis import event, given, reject  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad import nn  # noqa: E402

from test_ops import CASES  # noqa: E402

# random programs overflow, divide by zero and take logs of negatives on purpose
pytestmark = pytest.mark.filterwarnings("ignore")

DTYPES = ["float32", "float64", "int32", "int64"]
TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64, "int32": torch.int32,
                "int64": torch.int64, "bool": torch.bool}

# The constants the table's clamp-like cases compare against (clip(-0.5, 0.5), maximum(x, 0.3), ...)
_BOUNDS = (-0.5, 0.1, 0.3, 0.5)


def _ties(arrays) -> bool:
    """True when a value sits exactly on a bound of the table's clamp-like ops, the two
    operands of maximum/minimum are equal somewhere, or an operand holds a NaN."""
    a = arrays[0]
    if any(np.any(a == b) for b in _BOUNDS) or any(np.isnan(v).any() for v in arrays if v.dtype.kind == "f"):
        return True  # (NaN is unordered: routed like a tie)
    if len(arrays) > 1:
        try:
            return bool(np.any(np.equal(*np.broadcast_arrays(a, arrays[1]))))
        except ValueError:
            return False
    return False


# name -> (the table cases it concerns, the condition on their inputs under which it shows).
# Each is explained in docs/porting.md, "Deliberate differences".
DELIBERATE_DIFFERENCES = {
    "maximum/minimum tie gradient": (
        {"maximum", "minimum", "maximum_scalar", "rmaximum_scalar", "minimum_scalar", "rminimum_scalar"},
        _ties),
    "clip gradient at the bounds": ({"clip", "clip_min", "clip_max"}, _ties),
    "integer tensor to a negative integer tensor power raises": (
        {"pow"}, lambda arrays: arrays[1].dtype.kind in "iu" and arrays[0].dtype.kind in "iu" and np.any(arrays[1] < 0)),
    "out-of-range index into an empty tensor raises": (
        {c.id for c in CASES if c.id.startswith("getitem")}, lambda arrays: arrays[0].size == 0),
    "cat does not skip 1-d empty tensors": (
        {c.id for c in CASES if c.id.startswith("cat")}, lambda arrays: any(a.shape == (0,) for a in arrays)),
    "matmul of two dtypes raises even when empty": (
        {c.id for c in CASES if c.id.startswith("matmul")},
        lambda arrays: len(arrays) > 1 and arrays[0].dtype != arrays[1].dtype and 0 in arrays[0].shape + arrays[1].shape),
    "std of a constant slice has gradient 0": (
        {c.id for c in CASES if c.id.startswith("std")},
        lambda arrays: np.unique(arrays[0]).size < arrays[0].size),
    "float-only ops raise for empty integer input": (
        {c.id for c in CASES if c.id.startswith(("softmax", "log_softmax", "leaky_relu", "var", "std", "mean"))},
        lambda arrays: arrays[0].dtype.kind in "iu" and arrays[0].size == 0),
}


def _applies(trace) -> str | None:
    """The name of a deliberate difference that applies to a program trace, else None."""
    for name, (cases, condition) in DELIBERATE_DIFFERENCES.items():
        for case_id, arrays in trace:
            if case_id in cases and condition(arrays):
                return name
    return None


# ***** leaves *****


shapes = st.lists(st.integers(0, 5), min_size=0, max_size=4).map(tuple)


def _values(seed, shape, dtype):
    rng = np.random.default_rng(seed)
    if dtype.startswith("int"):
        return rng.integers(-3, 4, shape).astype(dtype)
    return (rng.standard_normal(shape) * rng.choice([0.5, 1.0, 3.0])).astype(dtype)


@st.composite
def broadcast_shape(draw, shape):
    """A shape for a second operand: the same, a suffix, some dims set to 1, or any shape."""
    kind = draw(st.sampled_from(["same", "suffix", "ones", "any"]))
    if kind == "same":
        return shape
    if kind == "suffix":
        return shape[draw(st.integers(0, len(shape))):]
    if kind == "ones":
        return tuple(1 if draw(st.booleans()) else n for n in shape)
    return draw(shapes)


@st.composite
def leaves(draw, shape=None):
    if shape is None:
        shape = draw(shapes)
    dtype = draw(st.sampled_from(DTYPES))
    return _values(draw(st.integers(0, 2**32 - 1)), shape, dtype)


def _pair(a: np.ndarray):
    """The same leaf in both libraries; float leaves require grad."""
    rg = a.dtype.kind == "f"
    return mg.tensor(a.copy(), requires_grad=rg), torch.tensor(a.copy(), requires_grad=rg)


# ***** comparing *****


def _tols(dtype):
    return (2e-3, 2e-3) if dtype in ("float32", torch.float32, np.float32) else (1e-6, 1e-8)


def _assert_close(ours: np.ndarray, theirs: np.ndarray, what: str, computed_in=None):
    """Equal to the precision of `computed_in` (default: ours' dtype): a float64 leaf whose
    gradient went through float32 math is compared at float32's precision."""
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    if ours.dtype.kind != "f":
        np.testing.assert_array_equal(ours, theirs, err_msg=what)
        return
    rtol, atol = _tols(computed_in or ours.dtype)
    big = np.finfo(ours.dtype).max / 1e4  # overflow boundaries differ by an ulp: count as inf
    o, t = (np.where(np.abs(v) > big, np.sign(v) * np.inf, v).astype(np.float64) for v in (ours, theirs))
    finite = np.abs(t[np.isfinite(t)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    np.testing.assert_allclose(o, t, rtol=rtol, atol=atol * scale, equal_nan=True, err_msg=what)


def _lowest(torch_tensors, dtypes) -> str:
    """The precision a value was computed in: float32 if any input or earlier value was."""
    if any(t.dtype == torch.float32 for t in torch_tensors) or any(str(d) == "float32" for d in dtypes):
        return "float32"
    return "float64"


def _mismatch(trace, message):
    name = _applies(trace)
    if name is not None:
        event(f"skipped: {name}")
        reject()
    raise AssertionError(message)


def _run(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(*args), None
        except Exception as e:  # noqa: BLE001  (which side raises is what is compared)
            return None, e


# ***** random op chains *****


@given(st.data())
def test_random_op_chains_match_pytorch(data):
    first = data.draw(leaves(), label="leaf")
    x, tx = _pair(first)
    leaf_pairs = [(x, tx)]
    trace = []  # (case id, the numpy values of its inputs), for DELIBERATE_DIFFERENCES
    program = [f"leaf {first.dtype} {first.shape}"]
    float_dtypes = []  # of every intermediate value: the precision the gradients went through
    for step in range(data.draw(st.integers(1, 4), label="length")):
        case = data.draw(st.sampled_from(CASES), label="op")
        ins, tins = [x], [tx]
        for _ in case.shapes[1:]:
            extra = data.draw(leaves(data.draw(broadcast_shape(tuple(x.shape)))), label="operand")
            program.append(f"  operand {extra.dtype} {extra.shape}")
            e, te = _pair(extra)
            leaf_pairs.append((e, te))
            ins.append(e)
            tins.append(te)
        program.append(f"{case.id}")
        trace.append((case.id, [a.detach().numpy() if hasattr(a, "detach") else a for a in tins]))
        y, err = _run(case.fn, *ins)
        ty, terr = _run(case.torch_fn or case.fn, *tins)
        where = " -> ".join(program)
        if (err is None) != (terr is None):
            _mismatch(trace, f"{where}: minigrad {'raised ' + repr(err) if err else 'did not raise'}, "
                             f"torch {'raised ' + repr(terr) if terr else 'did not raise'}")
        if err is not None:  # both raise: the program ends here
            event("both raised")
            return
        if str(ty.dtype).replace("torch.", "") != str(y.dtype):
            _mismatch(trace, f"{where}: dtype {y.dtype}, torch {ty.dtype}")
        try:
            _assert_close(y.numpy(), ty.detach().numpy(), f"{where}: value", computed_in=_lowest([ta for _, ta in leaf_pairs], float_dtypes))
        except AssertionError as e:
            _mismatch(trace, str(e))
        if y.requires_grad != ty.requires_grad:
            _mismatch(trace, f"{where}: requires_grad {y.requires_grad}, torch {ty.requires_grad}")
        float_dtypes.append(y.dtype)
        x, tx = y, ty
    if not ty.requires_grad:
        event("no gradient")
        return
    g = _values(data.draw(st.integers(0, 2**32 - 1), label="upstream seed"), tuple(y.shape), str(y.dtype))
    err = _run(y.backward, mg.tensor(g))[1]
    terr = _run(ty.backward, torch.tensor(g))[1]
    if (err is None) != (terr is None):
        _mismatch(trace, f"{where}: backward: minigrad {err!r}, torch {terr!r}")
    if err is not None:
        return
    lowest = _lowest([ta for _, ta in leaf_pairs], float_dtypes)
    for i, (a, ta) in enumerate(leaf_pairs):
        if not ta.requires_grad:
            continue
        ga = a.grad.numpy() if a.grad is not None else np.zeros(a.shape, a.dtype)
        tga = ta.grad.numpy() if ta.grad is not None else np.zeros(tuple(ta.shape), ga.dtype)
        assert ga.dtype == tga.dtype, f"{where}: leaf {i} grad dtype {ga.dtype}, torch {tga.dtype}"
        try:
            _assert_close(ga, tga, f"{where}: gradient of leaf {i}", computed_in=lowest)
        except AssertionError as e:
            _mismatch(trace, str(e))
    event("gradients compared")


# ***** BatchNorm, training and eval *****


@given(st.data())
def test_random_batchnorm_matches_pytorch(data):
    dims = data.draw(st.sampled_from([1, 2]), label="BatchNorm1d/2d")
    c = data.draw(st.integers(1, 5), label="channels")
    n = data.draw(st.integers(0, 5), label="batch")
    spatial = tuple(data.draw(st.lists(st.integers(0, 5), min_size=dims - 1 if dims == 1 else 2,
                                       max_size=1 if dims == 1 else 2), label="spatial"))
    dtype = data.draw(st.sampled_from(["float32", "float64"]), label="dtype")
    affine = data.draw(st.booleans(), label="affine")
    momentum = data.draw(st.sampled_from([0.1, 0.5, None]), label="momentum")
    train = data.draw(st.booleans(), label="train")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    shape = (n, c) + spatial
    ours = (nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d)(c, momentum=momentum, affine=affine,
                                                             dtype=getattr(mg, dtype))
    theirs = (torch.nn.BatchNorm1d if dims == 1 else torch.nn.BatchNorm2d)(c, momentum=momentum, affine=affine,
                                                                           dtype=TORCH_DTYPES[dtype])
    rng = np.random.default_rng(seed)
    state = {k: rng.standard_normal(v.shape).astype(v.numpy().dtype) if k != "num_batches_tracked" else v.numpy()
             for k, v in ours.state_dict().items()}
    if "running_var" in state:
        state["running_var"] = np.abs(state["running_var"]) + 0.1
    ours.load_state_dict(state)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    ours.train(train)
    theirs.train(train)
    x = _values(seed + 1, shape, dtype)
    xo, xt = _pair(x)
    where = f"BatchNorm{dims}d({c}, momentum={momentum}, affine={affine}) {dtype} {shape} train={train}"
    y, err = _run(ours, xo)
    ty, terr = _run(theirs, xt)
    assert (err is None) == (terr is None), f"{where}: minigrad {err!r}, torch {terr!r}"
    if err is not None:
        event("both raised")
        return
    _assert_close(y.numpy(), ty.detach().numpy(), f"{where}: output")
    for k, b in ours.state_dict().items():
        _assert_close(b.numpy(), theirs.state_dict()[k].numpy(), f"{where}: {k}")
    g = _values(seed + 2, shape, dtype)
    y.backward(mg.tensor(g))
    ty.backward(torch.tensor(g))
    _assert_close(xo.grad.numpy(), xt.grad.numpy(), f"{where}: input gradient")
    for name, p in ours.named_parameters():
        _assert_close(p.grad.numpy(), dict(theirs.named_parameters())[name].grad.numpy(), f"{where}: {name}.grad")
