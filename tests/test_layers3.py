"""EmbeddingBag and the 3-d layers: BatchNorm3d, InstanceNorm3d, the lazy InstanceNorm1d/2d/3d and
BatchNorm3d, Dropout3d, the 3-d padding layers and MaxPool3d, AvgPool3d, AdaptiveAvgPool3d.

For each: PyTorch parity of the output and of every gradient under a random upstream gradient
(float64, 1e-10), repr and state_dict as torch's, float32 kept, the strict device, finite
differences, and torch's errors. (check_layer and the generic sweep cover them too.)"""

import re

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import gradcheck

from parity import assert_buffers_match, assert_step_matches, copy_weights

f64 = minigrad.float64
TOL = {"rtol": 1e-10, "atol": 1e-10}


def torch_repr(m) -> str:
    """torch's repr, less the "bias=True"/"bias=False" norm layers print (minigrad keeps its
    shorter repr, printing "bias=False" only for an affine layer without bias; none here)."""
    return re.sub(r"bias=(True|False), ", "", repr(m)) if "Norm" in type(m).__name__ else repr(m)


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def T(a, requires_grad=False, device="cpu", dtype=f64):
    return minigrad.tensor(a, dtype=dtype, requires_grad=requires_grad, device=device)


# ***** the 3-d layers: (id, minigrad factory, torch factory (given torch), input shape) *****

PADS = [1, (1, 2, 0, 1, 2, 1)]
LAYERS = [
    *[(f"{name}-{i}", (lambda n=name, p=p: getattr(nn, n)(p)), (lambda t, n=name, p=p: getattr(t.nn, n)(p)),
       (2, 2, 3, 4, 3)) for name in ["ZeroPad3d", "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d"]
      for i, p in enumerate(PADS)],
    ("ZeroPad3d-crop", lambda: nn.ZeroPad3d((1, -1, 0, 2, -1, 0)), lambda t: t.nn.ZeroPad3d((1, -1, 0, 2, -1, 0)),
     (2, 2, 3, 4, 3)),
    ("ConstantPad3d", lambda: nn.ConstantPad3d((1, 0, 2, 1, 0, 1), 2.5),
     lambda t: t.nn.ConstantPad3d((1, 0, 2, 1, 0, 1), 2.5), (2, 2, 3, 4, 3)),
    ("ReflectionPad3d-unbatched", lambda: nn.ReflectionPad3d(2), lambda t: t.nn.ReflectionPad3d(2), (2, 3, 4, 3)),
    ("CircularPad3d-unbatched", lambda: nn.CircularPad3d((2, 1, 1, 0, 1, 2)),
     lambda t: t.nn.CircularPad3d((2, 1, 1, 0, 1, 2)), (2, 3, 4, 3)),
    ("BatchNorm3d", lambda: nn.BatchNorm3d(3, dtype=f64), lambda t: t.nn.BatchNorm3d(3, dtype=t.float64),
     (2, 3, 2, 3, 4)),
    ("BatchNorm3d-opts", lambda: nn.BatchNorm3d(2, eps=1e-3, momentum=None, affine=False, dtype=f64),
     lambda t: t.nn.BatchNorm3d(2, eps=1e-3, momentum=None, affine=False, dtype=t.float64), (3, 2, 2, 2, 3)),
    ("InstanceNorm3d", lambda: nn.InstanceNorm3d(3), lambda t: t.nn.InstanceNorm3d(3), (2, 3, 2, 3, 4)),
    ("InstanceNorm3d-affine-tracked", lambda: nn.InstanceNorm3d(2, affine=True, track_running_stats=True, dtype=f64),
     lambda t: t.nn.InstanceNorm3d(2, affine=True, track_running_stats=True, dtype=t.float64), (3, 2, 2, 3, 2)),
    ("InstanceNorm3d-unbatched", lambda: nn.InstanceNorm3d(2, affine=True, dtype=f64),
     lambda t: t.nn.InstanceNorm3d(2, affine=True, dtype=t.float64), (2, 3, 2, 2)),
    ("Dropout3d-eval", lambda: nn.Dropout3d(0.3).eval(), lambda t: t.nn.Dropout3d(0.3).eval(), (2, 3, 2, 2, 2)),
    ("Dropout3d-p0", lambda: nn.Dropout3d(0.0, inplace=False), lambda t: t.nn.Dropout3d(0.0), (2, 3, 2, 2, 2)),
    ("MaxPool3d", lambda: nn.MaxPool3d(2), lambda t: t.nn.MaxPool3d(2), (2, 3, 4, 5, 6)),
    ("MaxPool3d-opts", lambda: nn.MaxPool3d((2, 3, 2), stride=(1, 2, 1), padding=(1, 1, 0), dilation=(1, 1, 2)),
     lambda t: t.nn.MaxPool3d((2, 3, 2), stride=(1, 2, 1), padding=(1, 1, 0), dilation=(1, 1, 2)), (2, 2, 4, 5, 6)),
    ("MaxPool3d-ceil", lambda: nn.MaxPool3d(3, stride=2, ceil_mode=True),
     lambda t: t.nn.MaxPool3d(3, stride=2, ceil_mode=True), (2, 2, 5, 6, 7)),
    ("MaxPool3d-unbatched", lambda: nn.MaxPool3d(2, 1), lambda t: t.nn.MaxPool3d(2, 1), (2, 3, 4, 3)),
    ("AvgPool3d", lambda: nn.AvgPool3d(2), lambda t: t.nn.AvgPool3d(2), (2, 3, 4, 5, 6)),
    ("AvgPool3d-opts", lambda: nn.AvgPool3d(3, 2, 1), lambda t: t.nn.AvgPool3d(3, 2, 1), (2, 2, 5, 6, 7)),
    ("AvgPool3d-divisor", lambda: nn.AvgPool3d((1, 2, 3), divisor_override=4),
     lambda t: t.nn.AvgPool3d((1, 2, 3), divisor_override=4), (2, 2, 3, 4, 6)),
    ("AvgPool3d-unbatched", lambda: nn.AvgPool3d(2, count_include_pad=False),
     lambda t: t.nn.AvgPool3d(2, count_include_pad=False), (2, 4, 4, 6)),
    ("AdaptiveAvgPool3d", lambda: nn.AdaptiveAvgPool3d((2, 3, 4)), lambda t: t.nn.AdaptiveAvgPool3d((2, 3, 4)),
     (2, 3, 5, 7, 6)),
    ("AdaptiveAvgPool3d-none", lambda: nn.AdaptiveAvgPool3d((3, None, 1)),
     lambda t: t.nn.AdaptiveAvgPool3d((3, None, 1)), (2, 2, 4, 3, 5)),
    ("AdaptiveAvgPool3d-unbatched", lambda: nn.AdaptiveAvgPool3d(1), lambda t: t.nn.AdaptiveAvgPool3d(1),
     (3, 4, 3, 2)),
]
LAYER_IDS = [c[0] for c in LAYERS]


@pytest.mark.parametrize("name, ours, theirs, shape", LAYERS, ids=LAYER_IDS)
def test_3d_layer_matches_torch(name, ours, theirs, shape):
    torch = pytest.importorskip("torch")
    mo, mt = ours(), theirs(torch)
    assert repr(mo) == torch_repr(mt)
    assert list(mo.state_dict()) == list(mt.state_dict())
    copy_weights(mo, mt)
    x = rnd(*shape, seed=1)
    yshape = tuple(mt(torch.tensor(x)).shape)
    copy_weights(mo, mt)  # the shape probe updated torch's running statistics
    for train in (True, False):  # train, then eval with the running statistics just updated
        mo.train(train and mo.training)
        mt.train(train and mt.training)
        assert_step_matches(mo, mt, x, rnd(*yshape, seed=2), **TOL)
        assert_buffers_match(mo, mt, **TOL)


@pytest.mark.parametrize("name, ours, theirs, shape", LAYERS, ids=LAYER_IDS)
def test_3d_layer_keeps_float32_and_runs_on_every_device(name, ours, theirs, shape, device):
    m = ours()
    x = rnd(*shape, seed=1)
    m32 = ours()
    m32.load_state_dict(m.state_dict())
    ref = m(T(x)).numpy()
    m32 = m32.to(device).to(minigrad.float32)
    X = T(x, True, device, minigrad.float32)
    y = m32(X)
    assert y.dtype == minigrad.float32 and y.device == X.device
    y.backward(T(rnd(*y.shape, seed=3), device=device, dtype=minigrad.float32))
    assert X.grad.dtype == minigrad.float32
    assert all(p.grad.dtype == minigrad.float32 for p in m32.parameters())
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_3d_padding_gradcheck(mode):
    x = T(rnd(1, 2, 3, 3, 2, seed=4), True)
    assert gradcheck(lambda a: F.pad(a, (1, 0, 2, 1, 1, 1), mode), x)


def test_3d_norm_gradcheck():
    x, w, b = T(rnd(2, 2, 2, 2, 3, seed=5), True), T(rnd(2, seed=6), True), T(rnd(2, seed=7), True)
    assert gradcheck(lambda a, w, b: F.batch_norm(a, None, None, w, b, training=True), x, w, b)
    assert gradcheck(lambda a, w, b: F.instance_norm(a, weight=w, bias=b), x, w, b)


@pytest.mark.parametrize("fn", [lambda a: F.max_pool3d(a, 2, 1, 1), lambda a: F.max_pool3d(a, (2, 1, 2), ceil_mode=True),
                                lambda a: F.avg_pool3d(a, 2, 1, 1), lambda a: F.avg_pool3d(a, 2, divisor_override=3),
                                lambda a: F.adaptive_avg_pool3d(a, (2, 2, 3))],
                         ids=["max", "max-ceil", "avg", "avg-divisor", "adaptive"])
def test_3d_pooling_gradcheck(fn):
    x = T(rnd(1, 2, 3, 3, 4, seed=9), True)
    assert gradcheck(fn, x)


def test_3d_pooling_errors():
    x = minigrad.randn(1, 1, 4, 4, 4)
    with pytest.raises(ValueError, match="5-d input"):
        F.max_pool3d(minigrad.randn(1, 4, 4), 2)
    with pytest.raises(ValueError, match="padding"):
        F.max_pool3d(x, 2, padding=2)
    with pytest.raises(ValueError, match="triple"):
        F.avg_pool3d(x, (2, 2))
    with pytest.raises(NotImplementedError, match="return_indices"):
        nn.MaxPool3d(2, return_indices=True)
    with pytest.raises(NotImplementedError, match="count_include_pad"):
        F.avg_pool3d(x, 2, padding=1, count_include_pad=False)
    with pytest.raises(NotImplementedError, match="ceil_mode"):
        F.avg_pool3d(minigrad.randn(1, 1, 5, 5, 5), 2, ceil_mode=True)
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_avg_pool3d(x, (0, 1, 1))


def test_3d_layers_refuse_wrong_ranks():
    with pytest.raises(ValueError, match="5D"):
        nn.BatchNorm3d(3)(minigrad.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
        nn.InstanceNorm3d(3)(minigrad.randn(2, 3, 4))
    with pytest.raises(ValueError, match="dropout3d"):
        nn.Dropout3d()(minigrad.randn(2, 3, 4))
    with pytest.raises(ValueError, match="6 widths"):
        nn.ReflectionPad3d((1, 2))


def test_dropout3d_drops_whole_channels(device):
    x = minigrad.ones(4, 6, 2, 3, 2, device=device)
    y = F.dropout3d(x, 0.5).numpy()
    per_channel = y.reshape(4, 6, -1)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(-1) == per_channel.max(-1)).all()  # one value per (sample, channel)
    assert 0 < (per_channel[..., 0] == 0).sum() < 24
    assert F.dropout3d(x, 0.5, training=False) is x


# ***** lazy *****


@pytest.mark.parametrize("lazy, eager, shape", [("LazyBatchNorm3d", "BatchNorm3d", (2, 3, 2, 2, 2)),
                                                 ("LazyInstanceNorm1d", "InstanceNorm1d", (2, 3, 5)),
                                                 ("LazyInstanceNorm2d", "InstanceNorm2d", (2, 3, 4, 5)),
                                                 ("LazyInstanceNorm3d", "InstanceNorm3d", (2, 3, 2, 3, 2))])
def test_lazy_norms_become_their_eager_class_as_torch(lazy, eager, shape):
    torch = pytest.importorskip("torch")
    mo, mt = getattr(nn, lazy)(), getattr(torch.nn, lazy)(dtype=torch.float64)
    x = rnd(*shape, seed=8)
    yo, yt = mo(T(x)), mt(torch.tensor(x))
    assert type(mo) is getattr(nn, eager)
    assert repr(mo) == torch_repr(mt)  # torch's lazy InstanceNorm: affine and tracked by default
    assert list(mo.state_dict()) == list(mt.state_dict())
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), **TOL)
    assert_buffers_match(mo, mt, **TOL)
    assert mo.weight.dtype == f64


def test_lazy_instance_norm_unbatched_reads_channels_from_dim0(device):
    m = nn.LazyInstanceNorm2d(affine=False).to(device)
    y = m(minigrad.randn(3, 4, 5, device=device))
    assert type(m) is nn.InstanceNorm2d and m.num_features == 3 and y.shape == (3, 4, 5)
    assert m.running_mean.device == minigrad.device(device)


# ***** EmbeddingBag *****

BAGS = [  # (input, offsets, include_last_offset)
    ([[1, 2, 4], [4, 3, 2], [0, 0, 5]], None, False),
    ([1, 2, 4, 5, 4, 3, 2, 9], [0, 2, 2, 5], False),  # an empty bag
    ([1, 2, 4, 5, 4, 3, 2, 9], [0, 3, 3, 8], True),
    ([3, 3, 1], [0, 0], False),  # a repeated index: a tie for max
]


def _bag_case(seed=0):
    return rnd(10, 4, seed=seed)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
@pytest.mark.parametrize("bag", range(len(BAGS)))
def test_embedding_bag_matches_torch(mode, padding_idx, bag):
    torch = pytest.importorskip("torch")
    idx, off, last = BAGS[bag]
    w = _bag_case()
    wo, wt = T(w, True), torch.tensor(w, requires_grad=True)
    oo = None if off is None else minigrad.tensor(off)
    ot = None if off is None else torch.tensor(off)
    kw = dict(mode=mode, padding_idx=padding_idx, include_last_offset=last)
    yo = F.embedding_bag(minigrad.tensor(idx), wo, oo, **kw)
    yt = torch.nn.functional.embedding_bag(torch.tensor(idx), wt, ot, **kw)
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), **TOL)
    g = rnd(*yt.shape, seed=3)
    yo.backward(T(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(wo.grad.numpy(), wt.grad.numpy(), **TOL)


@pytest.mark.parametrize("bag", range(len(BAGS)))
def test_embedding_bag_per_sample_weights_match_torch(bag):
    torch = pytest.importorskip("torch")
    idx, off, last = BAGS[bag]
    w, psw = _bag_case(), rnd(*np.shape(idx), seed=4)
    wo, wt = T(w, True), torch.tensor(w, requires_grad=True)
    po, pt = T(psw, True), torch.tensor(psw, requires_grad=True)
    kw = dict(mode="sum", include_last_offset=last, padding_idx=4)
    yo = F.embedding_bag(minigrad.tensor(idx), wo, None if off is None else minigrad.tensor(off),
                         per_sample_weights=po, **kw)
    yt = torch.nn.functional.embedding_bag(torch.tensor(idx), wt, None if off is None else torch.tensor(off),
                                           per_sample_weights=pt, **kw)
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), **TOL)
    g = rnd(*yt.shape, seed=5)
    yo.backward(T(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(wo.grad.numpy(), wt.grad.numpy(), **TOL)
    np.testing.assert_allclose(po.grad.numpy(), pt.grad.numpy(), **TOL)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_gradcheck(mode):
    w = T(_bag_case(), True)
    idx, off = minigrad.tensor([1, 2, 4, 5, 4, 3, 2, 9]), minigrad.tensor([0, 2, 2, 5])
    assert gradcheck(lambda w: F.embedding_bag(idx, w, off, mode=mode, padding_idx=3), w)
    if mode == "sum":
        p = T(rnd(8, seed=6), True)
        assert gradcheck(lambda w, p: F.embedding_bag(idx, w, off, mode="sum", per_sample_weights=p), w, p)


def test_embedding_bag_module_matches_torch():
    torch = pytest.importorskip("torch")
    for kw in [dict(), dict(mode="max", padding_idx=-2), dict(mode="sum", include_last_offset=True, sparse=True)]:
        mo, mt = nn.EmbeddingBag(10, 4, **kw), torch.nn.EmbeddingBag(10, 4, **kw)
        assert repr(mo) == repr(mt) and list(mo.state_dict()) == list(mt.state_dict())
        assert mo.padding_idx == mt.padding_idx
    # torch's init: N(0, 1), the padding row zero
    w = nn.EmbeddingBag(2000, 8, padding_idx=5).weight.numpy()
    assert (w[5] == 0).all()
    assert abs(w.std() - 1) < 0.03 and abs(w.mean()) < 0.03
    # from_pretrained, and the text-classification tutorial's use: a flat batch with offsets
    weights = rnd(10, 4, seed=9)
    mo = nn.EmbeddingBag.from_pretrained(T(weights), mode="sum")
    mt = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(weights), mode="sum")
    assert not mo.weight.requires_grad and repr(mo) == repr(mt)
    idx, off = [1, 2, 4, 5, 4, 3, 2, 9], [0, 2, 4]
    np.testing.assert_allclose(mo(minigrad.tensor(idx), minigrad.tensor(off)).numpy(),
                               mt(torch.tensor(idx), torch.tensor(off)).numpy(), **TOL)


def test_embedding_bag_keeps_float32_and_runs_on_every_device(device):
    m = nn.EmbeddingBag(10, 4, mode="sum").to(device)
    idx, off = minigrad.tensor([1, 2, 4, 5, 4], device=device), minigrad.tensor([0, 2], device=device)
    p = minigrad.tensor(rnd(5, seed=1), dtype=minigrad.float32, device=device, requires_grad=True)
    y = m(idx, off, per_sample_weights=p)
    assert y.dtype == minigrad.float32 and y.shape == (2, 4) and y.device == minigrad.device(device)
    y.backward(minigrad.tensor(rnd(2, 4, seed=2), dtype=minigrad.float32, device=device))
    assert m.weight.grad.dtype == minigrad.float32 and p.grad.dtype == minigrad.float32
    for mode in ("mean", "max"):
        y = F.embedding_bag(idx, m.weight, off, mode=mode, padding_idx=4)
        assert y.dtype == minigrad.float32 and y.device == minigrad.device(device)
    # an empty input: every bag empty, zeros
    y = m(minigrad.tensor([], dtype=minigrad.int64, device=device), minigrad.tensor([0, 0], device=device))
    assert y.shape == (2, 4) and (y.numpy() == 0).all() and y.dtype == minigrad.float32


def test_embedding_bag_errors():
    w = minigrad.randn(6, 2)
    i = minigrad.tensor([1, 2, 3, 4, 5])
    cases = [
        (ValueError, "offsets has to be None", lambda: F.embedding_bag(i.reshape(1, 5), w, minigrad.tensor([0]))),
        (ValueError, "offsets has to be a 1D", lambda: F.embedding_bag(i, w)),
        (ValueError, "offsets\\[0\\] has to be 0", lambda: F.embedding_bag(i, w, minigrad.tensor([1, 2]))),
        (ValueError, "at most the input's length 5", lambda: F.embedding_bag(i, w, minigrad.tensor([0, 7]))),
        (ValueError, "non-decreasing", lambda: F.embedding_bag(i, w, minigrad.tensor([0, 3, 2]))),
        (ValueError, "mode", lambda: F.embedding_bag(i, w, minigrad.tensor([0]), mode="foo")),
        (NotImplementedError, "mode='sum' only",
         lambda: F.embedding_bag(i, w, minigrad.tensor([0]), per_sample_weights=minigrad.ones(5))),
        (ValueError, r"shape \(4,\)", lambda: F.embedding_bag(i, w, minigrad.tensor([0]), mode="sum",
                                                           per_sample_weights=minigrad.ones(4))),
        (TypeError, "float64", lambda: F.embedding_bag(i, w, minigrad.tensor([0]), mode="sum",
                                                     per_sample_weights=minigrad.ones(5, dtype=f64))),
        (IndexError, "out of range", lambda: F.embedding_bag(i + 3, w, minigrad.tensor([0]))),
        (TypeError, "integer", lambda: F.embedding_bag(i.float(), w, minigrad.tensor([0]))),
        (TypeError, "offsets must be an integer", lambda: F.embedding_bag(i, w, minigrad.tensor([0.0]))),
        (ValueError, "padding_idx", lambda: F.embedding_bag(i, w, minigrad.tensor([0]), padding_idx=6)),
        (ValueError, "padding_idx", lambda: nn.EmbeddingBag(6, 2, padding_idx=-7)),
        (NotImplementedError, "max_norm", lambda: nn.EmbeddingBag(6, 2, max_norm=1.0)),
    ]
    for exc, msg, fn in cases:
        with pytest.raises(exc, match=msg):
            fn()
    # torch refuses the same calls
    torch = pytest.importorskip("torch")
    tw, ti = torch.randn(6, 2), torch.tensor([1, 2, 3, 4, 5])
    for fn in [lambda: torch.nn.functional.embedding_bag(ti, tw, torch.tensor([1, 2])),
               lambda: torch.nn.functional.embedding_bag(ti, tw, torch.tensor([0, 7])),
               lambda: torch.nn.functional.embedding_bag(ti + 3, tw, torch.tensor([0])),
               lambda: torch.nn.functional.embedding_bag(ti, tw, torch.tensor([0]), padding_idx=6)]:
        with pytest.raises(Exception):
            fn()
