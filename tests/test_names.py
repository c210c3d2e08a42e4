"""The names PyTorch code uses that are not in the op table (tests/test_ops.py holds the
differentiable ones): comparisons by name, casts, creation and random functions, histogram,
and the nn pieces (Embedding, one_hot, pad, ModuleDict, ParameterList, clip_grad_norm_, Lazy*,
Module.apply, named_modules). Each agrees with torch where torch is installed."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.testing import gradcheck

try:
    import torch
except ImportError:
    torch = None

F = nn.functional


def _both(fn, *arrays):
    """fn(lib, *tensors) with both libraries; returns (ours, theirs or None) as NumPy."""
    ours = fn(mg, *[mg.tensor(a) for a in arrays])
    if torch is None:
        return ours, None
    theirs = fn(torch, *[torch.tensor(a) for a in arrays])
    return ours, theirs


def _np(t):
    if isinstance(t, (bool, int, float)):
        return np.asarray(t)
    return t.detach().numpy() if hasattr(t, "detach") and not isinstance(t, mg.Tensor) else t.numpy()


NO_GRAD_CASES = [
    ("eq", lambda L, a, b: a.eq(b)), ("ne", lambda L, a, b: a.ne(b)), ("lt", lambda L, a, b: a.lt(b)),
    ("le", lambda L, a, b: a.le(0.0)), ("gt", lambda L, a, b: a.gt(b)), ("ge", lambda L, a, b: a.ge(b)),
    ("all", lambda L, a, b: (a > -10).all()), ("any_dim", lambda L, a, b: (a > 1).any(1)),
    ("all_keepdim", lambda L, a, b: (a > 0).all(0, keepdim=True)),
    ("isclose", lambda L, a, b: L.isclose(a, a + 1e-9)), ("allclose", lambda L, a, b: L.allclose(a, b)),
    ("long", lambda L, a, b: (a * 3).long()), ("int", lambda L, a, b: (a * 3).int()),
    ("bool", lambda L, a, b: a.bool()), ("half", lambda L, a, b: a.half()),
    ("float_double", lambda L, a, b: a.float().double()),
    ("nelement", lambda L, a, b: a.nelement()),
    ("argsort_indices", lambda L, a, b: a.sort(1).indices), ("topk_indices", lambda L, a, b: a.topk(2, 0).indices),
    ("max_indices", lambda L, a, b: a.max(1).indices), ("min_indices_keepdim", lambda L, a, b: a.min(0, keepdim=True)[1]),
    ("eye", lambda L, a, b: L.eye(3, 4)), ("linspace", lambda L, a, b: L.linspace(-1, 2, 7)),
    ("histogram", lambda L, a, b: L.histogram(a.flatten(), bins=5)[0]),
    ("histogram_edges", lambda L, a, b: L.histogram(a.flatten(), bins=4, range=(-2.0, 2.0))[1]),
    ("histc", lambda L, a, b: L.histc(a, bins=6, min=-1, max=1)),
    ("one_hot", lambda L, a, b: L.nn.functional.one_hot((a.abs() * 2).long(), 5)),
    ("cumsum_int", lambda L, a, b: (a > 0).cumsum(0)),
    ("prod_int", lambda L, a, b: (a * 3).long().prod(1)),
]


@pytest.mark.parametrize("name, fn", NO_GRAD_CASES, ids=[c[0] for c in NO_GRAD_CASES])
def test_no_grad_names_match_torch(name, fn):
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    ours, theirs = _both(fn, a, b)
    o, t = _np(ours), _np(theirs)
    assert o.shape == t.shape, name
    assert o.dtype == np.dtype(str(t.dtype)), f"{name}: {o.dtype} vs {t.dtype}"
    np.testing.assert_allclose(o.astype(np.float64), t.astype(np.float64), rtol=1e-6)


def test_type_view_as_t():
    x = mg.ones(2, 3)
    assert x.type() == "minigrad.FloatTensor" and x.type(mg.float64).dtype == mg.float64
    assert x.double().type() == "minigrad.DoubleTensor" and mg.tensor([1]).type() == "minigrad.LongTensor"
    assert x.view_as(mg.zeros(3, 2)).shape == (3, 2) and x.t().shape == (3, 2)
    with pytest.raises(RuntimeError, match="<= 2 dims"):
        mg.ones(2, 2, 2).t()
    assert mg.long is mg.int64 and mg.double is mg.float64 and mg.half == np.float16 and mg.bool is mg.bool_


def test_random_functions_shapes_ranges_and_seeds():
    mg.manual_seed(0)
    r = mg.randint(3, 7, (1000,))
    assert r.dtype == mg.int64 and r.numpy().min() == 3 and r.numpy().max() == 6
    assert mg.randint(5, (2, 3)).shape == (2, 3)
    p = mg.randperm(10)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype == mg.int64
    n = mg.normal(2.0, 0.5, (2000,))
    assert n.dtype == mg.float32 and abs(n.numpy().mean() - 2) < 0.05
    nt = mg.normal(mg.zeros(3, dtype=mg.float64), mg.ones(3, dtype=mg.float64))
    assert nt.shape == (3,) and nt.dtype == mg.float64
    w = mg.tensor([0.0, 1.0, 3.0])
    s = mg.multinomial(w, 4000, replacement=True)
    counts = np.bincount(s.numpy(), minlength=3)
    assert counts[0] == 0 and 0.2 < counts[1] / 4000 < 0.3
    s2 = mg.multinomial(mg.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]), 2)
    assert s2.shape == (2, 2) and sorted(s2[0].tolist()) == [0, 1] and sorted(s2[1].tolist()) == [1, 2]
    with pytest.raises(RuntimeError, match="without replacement"):
        mg.multinomial(w, 3)
    mg.manual_seed(5)
    a = mg.randint(0, 100, (5,))
    mg.manual_seed(5)
    assert a.tolist() == mg.randint(0, 100, (5,)).tolist()


# ***** Embedding, pad *****


def test_embedding_gradcheck_and_torch():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((6, 3))
    idx = mg.tensor([[0, 2, 2], [5, 0, 1]])
    weight = mg.tensor(w, requires_grad=True)
    assert gradcheck(lambda W: F.embedding(idx, W), weight)  # (padding_idx stops a gradient on purpose)
    emb = nn.Embedding(6, 3, padding_idx=2).double()
    with mg.no_grad():
        emb.weight.copy_(mg.tensor(w))
    g = rng.standard_normal((2, 3, 3))
    emb(idx).backward(mg.tensor(g))
    assert np.all(emb.weight.grad.numpy()[2] == 0)  # the padding row does not learn
    if torch is not None:
        te = torch.nn.Embedding(6, 3, padding_idx=2).double()
        with torch.no_grad():
            te.weight.copy_(torch.tensor(w))
        te(torch.tensor(idx.numpy())).backward(torch.tensor(g))
        np.testing.assert_allclose(emb.weight.grad.numpy(), te.weight.grad.numpy())
        assert np.all(nn.Embedding(4, 2, padding_idx=1).weight.numpy()[1] == 0)
    with pytest.raises(IndexError, match="out of range"):
        emb(mg.tensor([6]))
    with pytest.raises(TypeError, match="integer"):
        emb(mg.tensor([1.0]))


def test_F_pad_matches_torch():
    pytest.importorskip("torch")
    a = np.random.default_rng(2).standard_normal((2, 3, 4))
    ours, theirs = _both(lambda L, x: L.nn.functional.pad(x, (1, 2, 0, 1), value=0.5), a)
    np.testing.assert_allclose(_np(ours), _np(theirs))


# ***** containers, Module.apply, named_modules *****


def test_module_dict_parameter_list_apply_named_modules():
    md = nn.ModuleDict({"enc": nn.Linear(3, 4), "dec": nn.Linear(4, 3)})
    md["head"] = nn.Linear(3, 1)
    assert list(md.keys()) == ["enc", "dec", "head"] and "dec" in md and len(md) == 3
    assert [n for n, _ in md.named_parameters()][:2] == ["enc.weight", "enc.bias"]
    pl = nn.ParameterList([mg.zeros(2), nn.Parameter(mg.ones(3))])
    pl.append(mg.zeros(1))
    assert len(pl) == 3 and all(isinstance(p, nn.Parameter) for p in pl) and pl[1].shape == (3,)
    assert len(list(pl.parameters())) == 3

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = md
            self.extra = pl

    net = Net()
    names = [n for n, _ in net.named_modules()]
    assert names == ["", "blocks", "blocks.enc", "blocks.dec", "blocks.head", "extra"]
    seen = []

    def init_weights(m):
        if type(m) == nn.Linear:  # noqa: E721  (the idiom of init code)
            seen.append(m)
            with mg.no_grad():
                m.weight.fill_(0.5)

    assert net.apply(init_weights) is net
    assert len(seen) == 3 and all(np.all(m.weight.numpy() == 0.5) for m in seen)
    if torch is not None:
        tmd = torch.nn.ModuleDict({"enc": torch.nn.Linear(3, 4), "dec": torch.nn.Linear(4, 3)})
        tmd["head"] = torch.nn.Linear(3, 1)
        tpl = torch.nn.ParameterList([torch.zeros(2), torch.nn.Parameter(torch.ones(3))])
        tpl.append(torch.zeros(1))

        class TNet(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks, self.extra = tmd, tpl

        assert [n for n, _ in TNet().named_modules()] == names
        assert [n for n, _ in TNet().named_parameters()] == [n for n, _ in net.named_parameters()]


# ***** clip_grad_norm_ *****


@pytest.mark.parametrize("max_norm, norm_type", [(0.5, 2.0), (100.0, 2.0), (0.3, float("inf")), (1.0, 1.0)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    rng = np.random.default_rng(3)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    ps = [mg.tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    for p, g in zip(ps, grads):
        p.grad = mg.tensor(g)
    total = nn.utils.clip_grad_norm_(ps, max_norm, norm_type)
    flat = np.concatenate([g.ravel() for g in grads])
    want = np.abs(flat).max() if norm_type == float("inf") else (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    assert abs(total.item() - want) < 1e-12
    after = np.concatenate([p.grad.numpy().ravel() for p in ps])
    np.testing.assert_allclose(after, flat * min(max_norm / (want + 1e-6), 1.0))
    if torch is not None:
        tps = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        for p, g in zip(tps, grads):
            p.grad = torch.tensor(g)
        ttotal = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type)
        assert abs(ttotal.item() - total.item()) < 1e-10
        for p, tp in zip(ps, tps):
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10)


# ***** Lazy layers *****


def test_lazy_layers_become_their_eager_class():
    net = nn.Sequential(nn.LazyConv2d(4, 3, padding=1), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(),
                        nn.LazyLinear(5), nn.LazyBatchNorm1d())
    assert list(net.parameters()) == []
    y = net(mg.randn(2, 3, 6, 6))
    assert y.shape == (2, 5)
    assert [type(m) for m in net] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.Flatten, nn.Linear, nn.BatchNorm1d]
    assert net[0].weight.shape == (4, 3, 3, 3) and net[4].weight.shape == (5, 144)
    assert net[1].running_mean.shape == (4,) and net[5].num_features == 5
    assert len(list(net.parameters())) == 8
    net.eval()
    assert not net[1].training
    d = nn.LazyLinear(2)(mg.randn(3, 4, dtype=mg.float64))
    assert d.dtype == mg.float64  # parameters follow the first input's float dtype
