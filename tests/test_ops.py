"""One table, one line per op case. It drives:

- gradcheck (float64 central differences, random upstream gradient) for every case (R2.14);
- forward and input-gradient parity with PyTorch in float64 to 1e-8, when torch is installed;
- the float32 dtype suite in tests/test_dtypes.py (R2.7).

A case is `Case(id, shapes, fn, torch_fn=None, gen=normal)`. `fn` takes minigrad tensors;
`torch_fn` takes torch tensors and defaults to `fn` (most cases use methods and operators that
both libraries spell the same way). `gen` draws each input; inputs are drawn away from kinks and
ties (|x| >= 0.2 for abs/relu, distinct values for max/min) so that finite differences and the
two libraries' subgradient conventions (R2.12, tested in test_autograd.py) do not matter.
"""

from typing import Callable, NamedTuple

import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import gradcheck

try:
    import torch
except ImportError:  # the parity test skips; everything else runs
    torch = None


# ***** input generators: (rng, shape) -> float64 array *****


def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):  # log, sqrt, the base of pow
    return rng.uniform(0.5, 2.0, shape)


def away(rng, shape):  # |x| >= 0.2: no kink of abs/relu and no division by ~0
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 1.5, shape)


def distinct(rng, shape):  # values at least 0.05 apart: no ties in max/min/argmax
    n = int(np.prod(shape))
    return rng.permutation(np.linspace(-1.5, 1.5, n)).reshape(shape)


def one_zero_per_row(rng, shape):  # prod's gradient without dividing by x: exact zeros
    x = rng.standard_normal(shape)
    x[np.arange(shape[0]), rng.integers(0, shape[1], shape[0])] = 0.0
    return x


class Case(NamedTuple):
    id: str
    shapes: tuple
    fn: Callable
    torch_fn: Callable | None = None
    gen: Callable | tuple = normal

    def inputs(self, seed=0, dtype=np.float64):
        rng = np.random.default_rng(seed)
        gens = self.gen if isinstance(self.gen, tuple) else (self.gen,) * len(self.shapes)
        return [g(rng, s).astype(dtype) for g, s in zip(gens, self.shapes)]


def _ti(*idx):  # an integer index tensor on the same device as the tensor it indexes
    return lambda x: mg.tensor(list(idx), device=x.device)


def _setitem(t, index, value):  # `t[index] = value` inside a graph (recorded, as in torch)
    t[index] = value
    return t


def _ti2(x, idx):  # a nested int64 index on x's device
    return mg.tensor(idx, device=x.device) if isinstance(x, mg.Tensor) else torch.tensor(idx)


S = (3, 4)
CASES = [
    # ***** arithmetic, tensor op tensor *****
    Case("add", (S, S), lambda a, b: a + b),
    Case("sub", (S, S), lambda a, b: a - b),
    Case("mul", (S, S), lambda a, b: a * b),
    Case("div", (S, S), lambda a, b: a / b, gen=(normal, away)),
    Case("neg", (S,), lambda x: -x),
    Case("pow", (S, S), lambda a, b: a**b, gen=(positive, normal)),
    # ***** Python numbers on either side of every operator *****
    Case("add_scalar", (S,), lambda x: x + 2.5),
    Case("radd_scalar", (S,), lambda x: 2.5 + x),
    Case("sub_scalar", (S,), lambda x: x - 2.5),
    Case("rsub_scalar", (S,), lambda x: 2.5 - x),
    Case("mul_scalar", (S,), lambda x: x * 2.5),
    Case("rmul_scalar", (S,), lambda x: 2.5 * x),
    Case("div_scalar", (S,), lambda x: x / 2.5),
    Case("rdiv_scalar", (S,), lambda x: 2.5 / x, gen=away),
    Case("pow_int", (S,), lambda x: x**3),
    Case("pow_float", (S,), lambda x: x**2.5, gen=positive),
    Case("pow_negative", (S,), lambda x: x**-1.5, gen=positive),
    Case("rpow_scalar", (S,), lambda x: 2.5**x),
    Case("maximum_scalar", (S,), lambda x: mg.maximum(x, 0.3), lambda x: torch.clamp(x, min=0.3)),
    Case("rmaximum_scalar", (S,), lambda x: mg.maximum(0.3, x), lambda x: torch.clamp(x, min=0.3)),
    Case("minimum_scalar", (S,), lambda x: mg.minimum(x, 0.3), lambda x: torch.clamp(x, max=0.3)),
    Case("rminimum_scalar", (S,), lambda x: mg.minimum(0.3, x), lambda x: torch.clamp(x, max=0.3)),
    Case("where_scalar", (S,), lambda x: mg.where(x > 0, x, 0.5),
         lambda x: torch.where(x > 0, x, 0.5), gen=away),
    Case("rwhere_scalar", (S,), lambda x: mg.where(x > 0, -0.5, x),
         lambda x: torch.where(x > 0, -0.5, x), gen=away),
    # ***** elementwise math *****
    Case("exp", (S,), lambda x: x.exp()),
    Case("log", (S,), lambda x: x.log(), gen=positive),
    Case("sqrt", (S,), lambda x: x.sqrt(), gen=positive),
    Case("abs", (S,), lambda x: x.abs(), gen=away),
    Case("log2", (S,), lambda x: x.log2(), gen=positive),
    Case("log10", (S,), lambda x: x.log10(), gen=positive),
    Case("sin", (S,), lambda x: x.sin()),
    Case("cos", (S,), lambda x: x.cos()),
    Case("maximum", (S, S), lambda a, b: mg.maximum(a, b), lambda a, b: torch.maximum(a, b)),
    Case("minimum", (S, S), lambda a, b: mg.minimum(a, b), lambda a, b: torch.minimum(a, b)),
    Case("clip", (S,), lambda x: x.clip(-0.5, 0.5)),
    Case("clip_min", (S,), lambda x: x.clip(min=0.1)),
    Case("clip_max", (S,), lambda x: x.clip(max=0.1)),
    Case("where", (S, S), lambda a, b: mg.where(a > b, a * 2, b), lambda a, b: torch.where(a > b, a * 2, b)),
    # ***** activations *****
    Case("tanh", (S,), lambda x: x.tanh()),
    Case("sigmoid", (S,), lambda x: x.sigmoid()),
    Case("relu", (S,), lambda x: x.relu(), gen=away),
    Case("leaky_relu", (S,), lambda x: x.leaky_relu(0.1),
         lambda x: torch.nn.functional.leaky_relu(x, 0.1), gen=away),
    # ***** reductions *****
    Case("sum", ((2, 3, 4),), lambda x: x.sum()),
    Case("sum_dim", ((2, 3, 4),), lambda x: x.sum(1)),
    Case("sum_neg_dim_keepdim", ((2, 3, 4),), lambda x: x.sum(-1, keepdim=True)),
    Case("sum_dims", ((2, 3, 4),), lambda x: x.sum((0, 2))),
    Case("sum_dims_keepdim", ((2, 3, 4),), lambda x: x.sum((0, 2), keepdim=True)),
    Case("mean", ((2, 3, 4),), lambda x: x.mean()),
    Case("mean_dim", ((2, 3, 4),), lambda x: x.mean(1)),
    Case("mean_dims_keepdim", ((2, 3, 4),), lambda x: x.mean((0, 2), keepdim=True)),
    Case("max", ((2, 3, 4),), lambda x: x.max(), lambda x: x.amax(), gen=distinct),
    Case("max_dim", ((2, 3, 4),), lambda x: x.max(1).values, gen=distinct),
    Case("max_dim_keepdim_unpacked", ((2, 3, 4),), lambda x: x.max(-1, keepdim=True)[0], gen=distinct),
    Case("max_two_tensors", (S, S), lambda a, b: mg.max(a, b), lambda a, b: torch.max(a, b)),
    Case("amax_dims_keepdim", ((2, 3, 4),), lambda x: x.amax((0, 2), keepdim=True), gen=distinct),
    Case("min", ((2, 3, 4),), lambda x: x.min(), lambda x: x.amin(), gen=distinct),
    Case("min_dim_keepdim", ((2, 3, 4),), lambda x: x.min(-1, keepdim=True).values, gen=distinct),
    Case("min_two_tensors", (S, S), lambda a, b: mg.min(a, b), lambda a, b: torch.min(a, b)),
    Case("amin_dim", ((2, 3, 4),), lambda x: x.amin(1), gen=distinct),
    Case("sort", ((3, 5),), lambda x: x.sort(1).values, gen=distinct),
    Case("sort_descending_dim0", ((3, 5),), lambda x: x.sort(0, descending=True)[0], gen=distinct),
    Case("topk", ((3, 5),), lambda x: x.topk(2).values, gen=distinct),
    Case("topk_smallest_dim0", ((3, 5),), lambda x: x.topk(2, dim=0, largest=False).values, gen=distinct),
    Case("prod", ((2, 3),), lambda x: x.prod()),
    Case("prod_dim", ((2, 3, 4),), lambda x: x.prod(1)),
    Case("prod_dim_keepdim_one_zero", ((3, 4),), lambda x: x.prod(-1, keepdim=True), gen=one_zero_per_row),
    Case("cumsum", ((3, 4),), lambda x: x.cumsum(1)),
    Case("cumsum_dim0", ((3, 4),), lambda x: x.cumsum(0)),
    Case("var", ((2, 3, 4),), lambda x: x.var()),
    Case("var_dim", ((2, 3, 4),), lambda x: x.var(1)),
    Case("var_dims_keepdim_biased", ((2, 3, 4),), lambda x: x.var((0, 2), keepdim=True, correction=0)),
    Case("std", ((2, 3, 4),), lambda x: x.std()),
    Case("std_dim_keepdim", ((2, 3, 4),), lambda x: x.std(-1, keepdim=True)),
    Case("std_dims_biased", ((2, 3, 4),), lambda x: x.std((0, 1), correction=0)),
    # ***** movement *****
    Case("reshape", ((2, 3, 4),), lambda x: x.reshape(4, 6)),
    Case("reshape_infer", ((2, 3, 4),), lambda x: x.reshape(-1, 2)),
    Case("flatten", ((2, 3, 4),), lambda x: x.flatten()),
    Case("flatten_from_1", ((2, 3, 4),), lambda x: x.flatten(1)),
    Case("transpose", ((2, 3, 4),), lambda x: x.transpose(0, 2)),
    Case("permute", ((2, 3, 4),), lambda x: x.permute(2, 0, 1)),
    Case("T", ((3, 4),), lambda x: x.T),
    Case("expand", ((3, 1),), lambda x: x.expand(2, 3, 4)),
    Case("expand_keep", ((3, 1),), lambda x: x.expand(-1, 5)),
    Case("squeeze", ((1, 3, 1, 2),), lambda x: x.squeeze()),
    Case("squeeze_dim", ((1, 3, 1, 2),), lambda x: x.squeeze(2)),
    Case("unsqueeze", ((3, 4),), lambda x: x.unsqueeze(1)),
    Case("unsqueeze_neg", ((3, 4),), lambda x: x.unsqueeze(-1)),
    # ***** indexing (integer arrays scatter-add: duplicates accumulate) *****
    Case("getitem_int", ((3, 4),), lambda x: x[1]),
    Case("getitem_slices", ((3, 4, 5),), lambda x: x[:, 1:3, ::2]),
    Case("getitem_ellipsis_none", ((3, 4, 5),), lambda x: x[None, ..., -1]),
    Case("getitem_list_duplicates", ((4, 3),), lambda x: x[[0, 2, 0, 0]]),
    Case("getitem_tensor_duplicates", ((4, 3),), lambda x: x[_ti(3, 3, 1)(x)],
         lambda x: x[torch.tensor([3, 3, 1])]),
    Case("getitem_2d_index_duplicates", ((4,),), lambda x: x[mg.tensor([[0, 1], [1, 1]], device=x.device)],
         lambda x: x[torch.tensor([[0, 1], [1, 1]])]),
    Case("getitem_slice_and_list", ((3, 4),), lambda x: x[:, [1, 1, 0]]),
    Case("getitem_two_lists", ((3, 4),), lambda x: x[[0, 1, 1, 0], [2, 0, 2, 2]]),
    Case("getitem_bool_mask", ((3, 4),), lambda x: x[x > 0]),
    # ***** joining *****
    Case("cat", ((2, 3), (4, 3)), lambda a, b: mg.cat([a, b]), lambda a, b: torch.cat([a, b])),
    Case("cat_dim1", ((2, 3), (2, 1), (2, 2)), lambda a, b, c: mg.cat([a, b, c], dim=1),
         lambda a, b, c: torch.cat([a, b, c], dim=1)),
    Case("cat_neg_dim", ((2, 3), (2, 2)), lambda a, b: mg.cat([a, b], dim=-1),
         lambda a, b: torch.cat([a, b], dim=-1)),
    Case("stack", ((2, 3), (2, 3)), lambda a, b: mg.stack([a, b]), lambda a, b: torch.stack([a, b])),
    Case("stack_last", ((2, 3), (2, 3), (2, 3)), lambda a, b, c: mg.stack([a, b, c], dim=-1),
         lambda a, b, c: torch.stack([a, b, c], dim=-1)),
    Case("pad_last", ((2, 3),), lambda x: mg.pad(x, (1, 2)), lambda x: torch.nn.functional.pad(x, (1, 2))),
    Case("pad_two_dims_value", ((2, 3, 4),), lambda x: mg.pad(x, (1, 1, 2, 0), value=0.5),
         lambda x: torch.nn.functional.pad(x, (1, 1, 2, 0), value=0.5)),
    # ***** matmul *****
    Case("matmul", ((3, 4), (4, 5)), lambda a, b: a @ b),
    Case("matmul_batched", ((2, 3, 4), (2, 4, 5)), lambda a, b: a @ b),
    Case("matmul_batch_broadcast", ((2, 1, 3, 4), (5, 4, 2)), lambda a, b: a @ b),
    Case("matmul_fn", ((3, 4), (4, 2)), lambda a, b: mg.matmul(a, b), lambda a, b: torch.matmul(a, b)),
    Case("matmul_vec_mat", ((4,), (4, 5)), lambda a, b: a @ b),
    Case("matmul_mat_vec", ((3, 4), (4,)), lambda a, b: a @ b),
    Case("matmul_vec_vec", ((4,), (4,)), lambda a, b: a @ b),
    Case("matmul_vec_batched", ((4,), (2, 4, 3)), lambda a, b: a @ b),
    Case("matmul_batched_vec", ((2, 3, 4), (4,)), lambda a, b: a @ b),
    Case("einsum_matmul", ((3, 4), (4, 2)), lambda a, b: mg.einsum("ij,jk->ik", a, b),
         lambda a, b: torch.einsum("ij,jk->ik", a, b)),
    Case("einsum_batch_outer", ((2, 3), (2, 4)), lambda a, b: mg.einsum("bi,bj->bij", a, b),
         lambda a, b: torch.einsum("bi,bj->bij", a, b)),
    Case("einsum_sum_implicit", ((3, 4),), lambda a: mg.einsum("ij", a).sum(0) + mg.einsum("ij->", a),
         lambda a: torch.einsum("ij", a).sum(0) + torch.einsum("ij->", a)),
    Case("einsum_trace", ((3, 3),), lambda a: mg.einsum("ii->i", a), lambda a: torch.einsum("ii->i", a)),
    # ***** gathering, splitting, repeating *****
    Case("gather", ((3, 4),), lambda x: x.gather(1, _ti2(x, [[0, 0], [3, 1], [2, 2]]))),
    Case("gather_dim0", ((3, 4),), lambda x: x.gather(0, _ti2(x, [[2, 0, 1, 1], [0, 0, 0, 2]]))),
    Case("index_select", ((3, 4),), lambda x: x.index_select(1, _ti2(x, [3, 0, 3]))),
    Case("scatter", ((3, 4), (2, 4)), lambda x, s: x.scatter(0, _ti2(x, [[2, 0, 1, 1], [0, 1, 2, 0]]), s)),
    Case("masked_fill", (S,), lambda x: x.masked_fill(x > 0.3, -1.0)),
    Case("setitem_index_put", (S, (4,)), lambda x, v: _setitem(x * 1, (1,), v * 2)),
    Case("setitem_index_put_slice", (S, (2, 1)), lambda x, v: _setitem(x * 1, (slice(1, 3), slice(None)), v)),
    Case("chunk", ((5, 4),), lambda x: x.chunk(2, 0)[1] * 2 + x.chunk(3, 1)[0].sum()),
    Case("split", ((5, 4),), lambda x: x.split([1, 3], dim=1)[1] * x.split([1, 3], dim=1)[0]),
    Case("split_size", ((5, 4),), lambda x: x.split(2)[2]),
    Case("repeat", ((2, 3),), lambda x: x.repeat(2, 1, 3)),
    Case("tile", ((2, 3),), lambda x: x.tile((2,))),
    Case("view_as", ((2, 3), (3, 2)), lambda x, y: x.view_as(y) * y),
    Case("t", ((2, 3),), lambda x: x.t()),
    Case("flatten_function", ((2, 3, 4),), lambda x: mg.flatten(x, 1), lambda x: torch.flatten(x, 1)),
    Case("cast_float_double", (S,), lambda x: (x.double() * x.long().double()).type(x.dtype) + x),
    # ***** softmax family *****
    Case("softmax", ((3, 5),), lambda x: x.softmax(-1)),
    Case("softmax_dim0", ((3, 5),), lambda x: mg.softmax(x, 0), lambda x: torch.softmax(x, 0)),
    Case("log_softmax", ((3, 5),), lambda x: x.log_softmax(-1)),
    Case("log_softmax_dim1_of_3d", ((2, 3, 4),), lambda x: mg.log_softmax(x, 1),
         lambda x: torch.log_softmax(x, 1)),
    Case("logsumexp_dim", ((3, 5),), lambda x: x.logsumexp(1)),
    Case("logsumexp_keepdim", ((2, 3, 4),), lambda x: x.logsumexp(-1, keepdim=True)),
    Case("logsumexp_all", ((3, 5),), lambda x: mg.logsumexp(x), lambda x: torch.logsumexp(x, dim=tuple(range(x.ndim)) or ())),
]

IDS = [c.id for c in CASES]
assert len(set(IDS)) == len(IDS), "duplicate case ids"


def _mg_inputs(case, device, dtype=np.float64, seed=0):
    return [mg.tensor(a, device=device, requires_grad=True) for a in case.inputs(seed, dtype)]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_R2_14_gradcheck(case, device):
    """Every op's backward agrees with float64 central differences under a random upstream
    gradient (R2.14), on every device."""
    xs = _mg_inputs(case, device)
    assert gradcheck(case.fn, *xs)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_torch_parity_float64(case):
    """Forward values and every input gradient agree with PyTorch in float64 to 1e-8."""
    pytest.importorskip("torch")
    arrays = case.inputs()
    xs = [mg.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = case.fn(*xs)
    ty = (case.torch_fn or case.fn)(*ts)
    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-8, atol=1e-8)

    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(mg.tensor(g))
    ty.backward(torch.tensor(g))
    for i, (x, t) in enumerate(zip(xs, ts)):
        assert x.grad is not None, f"input {i} got no gradient"
        assert x.grad.shape == x.shape
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-8,
                                   err_msg=f"input {i}")


def test_table_covers_every_public_op():
    """The table names every differentiable op of the issue: a new op must get a line here."""
    for op in ["add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "maximum",
               "minimum", "clip", "where", "tanh", "sigmoid", "relu", "leaky_relu", "sum", "mean",
               "max", "min", "var", "std", "reshape", "flatten", "transpose", "permute", "expand",
               "squeeze", "unsqueeze", "getitem", "cat", "stack", "pad", "matmul", "softmax",
               "log_softmax", "logsumexp", "amax", "amin", "sort", "topk", "prod", "cumsum", "log2",
               "log10", "sin", "cos", "einsum", "gather", "index_select", "scatter", "masked_fill",
               "chunk", "split", "repeat", "tile", "view_as", "t", "flatten_function"]:
        assert any(i == op or i.startswith(op + "_") for i in IDS), f"no case for {op}"


# ***** ops without gradient *****


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (1, True), (-1, False)])
def test_R2_8_argmax_argmin_have_no_grad(name, dim, keepdim, device):
    a = distinct(np.random.default_rng(0), (3, 4))
    x = mg.tensor(a, device=device, requires_grad=True)
    i = getattr(x, name)(dim, keepdim)
    assert i.requires_grad is False and i.grad_fn is None
    assert i.dtype.kind == "i"
    expected = getattr(np, name)(a, axis=dim, keepdims=keepdim)
    np.testing.assert_array_equal(i.numpy(), expected)
    if torch is not None and dim is not None:
        ti = getattr(torch.tensor(a), name)(dim, keepdim)
        np.testing.assert_array_equal(i.numpy(), ti.numpy())


# ***** bad input: clear errors naming shapes, raised before anything is changed *****


@pytest.mark.parametrize("fn, shapes, words", [
    (lambda a, b: a @ b, [(2, 3), (4, 5)], ["(2, 3)", "(4, 5)"]),
    (lambda a, b: a @ b, [(2, 3, 4), (3,)], ["(2, 3, 4)", "(3,)"]),
    (lambda a, b: a + b, [(2, 3), (4,)], ["(2, 3)", "(4,)"]),
    (lambda a, b: a * b, [(2, 3), (3, 2)], ["(2, 3)", "(3, 2)"]),
    (lambda a, b: mg.maximum(a, b), [(5,), (4,)], ["(5,)", "(4,)"]),
    (lambda a: a.reshape(4, 2), [(2, 3)], ["(2, 3)", "(4, 2)"]),
    (lambda a: a.reshape(-1, 4), [(2, 3)], ["(2, 3)", "(-1, 4)"]),
    (lambda a: a.expand(3, 4), [(2, 1)], ["(2, 1)", "(3, 4)"]),
    (lambda a, b: mg.cat([a, b]), [(2, 3), (2, 4)], ["(2, 3)", "(2, 4)"]),
    (lambda a, b: mg.stack([a, b]), [(2, 3), (3, 2)], ["(2, 3)", "(3, 2)"]),
])
def test_R5_7_shape_errors_name_the_shapes(fn, shapes, words):
    xs = [mg.randn(*s, requires_grad=True) for s in shapes]
    before = [x.numpy().copy() for x in xs]
    with pytest.raises(ValueError) as info:
        fn(*xs)
    for w in words:
        assert w in str(info.value), (w, str(info.value))
    for x, b in zip(xs, before):  # nothing the user had is changed
        np.testing.assert_array_equal(x.numpy(), b)
        assert x.grad is None


def test_bad_dim_and_index_errors():
    x = mg.randn(2, 3)
    with pytest.raises(IndexError, match="out of range"):
        x.sum(2)
    with pytest.raises(IndexError, match=r"\(2, 3\)"):
        x[5]
    with pytest.raises(ValueError, match="permutation"):
        x.permute(0, 0)


@pytest.mark.parametrize("fn", [
    lambda x: x.unsqueeze(3),
    lambda x: x.unsqueeze(-4),
    lambda x: x.permute(2, 1),
    lambda x: x.expand(-1, 2, 3),
], ids=["unsqueeze(3)", "unsqueeze(-4)", "permute(2,1)", "expand(-1,2,3)"])
def test_out_of_range_dims_raise_instead_of_wrapping_around(fn):
    """torch raises for these on a (2, 3) tensor; wrapping dims modulo ndim gave a wrong shape."""
    x = mg.randn(2, 3)
    with pytest.raises((IndexError, ValueError), match=r"\(2, 3\)"):
        fn(x)


@pytest.mark.parametrize("fn", [
    lambda x: x.transpose(0, 5), lambda x: x.transpose(-3, 0), lambda x: x.flatten(0, 5), lambda x: x.flatten(2),
    lambda x: mg.stack([x, x], 3), lambda x: mg.stack([x, x], -4),
], ids=["transpose(0,5)", "transpose(-3,0)", "flatten(0,5)", "flatten(2)", "stack(3)", "stack(-4)"])
def test_transpose_and_flatten_check_their_dims(fn):
    """A clear 'out of range' IndexError, as torch, instead of a bare list error or a wrapped dim."""
    with pytest.raises(IndexError, match="out of range"):
        fn(mg.randn(2, 3))
