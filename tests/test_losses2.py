"""The rest of torch.nn's losses (MarginRankingLoss, HingeEmbeddingLoss, CosineEmbeddingLoss,
TripletMarginLoss, SoftMarginLoss, MultiLabelSoftMarginLoss, MultiMarginLoss, PoissonNLLLoss,
GaussianNLLLoss) and pairwise_distance / PairwiseDistance / CosineSimilarity: PyTorch parity of
values and of every differentiable input's gradient (float64, random upstream gradient, every
reduction, inputs that sit exactly on the margins), finite differences, float32 kept on every
device, legacy size_average/reduce, reprs, errors, and the documented differences."""

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import gradcheck

f64 = minigrad.float64
REDUCTIONS = ["mean", "sum", "none"]


def rnd(*shape, scale=1.0, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def signs(*shape, seed=0):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0)


def _margin_ranking():
    x1, x2, y = rnd(8, seed=1), rnd(8, seed=2), signs(8, seed=3)
    x2[0] = x1[0] + 0.5 * y[0]  # exactly on the margin 0.5: torch's clamp_min passes the gradient
    return [x1, x2, y]


def _hinge():
    x, y = np.abs(rnd(4, 5, seed=1)) * 1.5, signs(4, 5, seed=2)
    x[0, 0], y[0, 0] = 1.0, -1.0  # exactly the margin
    return [x, y]


def _multi_margin():
    x, t = rnd(6, 5, seed=1), np.array([0, 4, 2, 2, 1, 3])
    x[0, 1] = x[0, 0] - 1.0  # z = 0 exactly: no gradient (torch counts z > 0 only)
    return [x, t]


def _poisson_counts():
    return [rnd(4, 5, seed=1), np.random.default_rng(2).poisson(2.0, (4, 5)).astype(np.float64)]


# (id, F function name, arrays builder, which arrays get a gradient in both libraries, kwargs)
LOSSES = [
    ("margin_ranking", "margin_ranking_loss", _margin_ranking, (1, 1, 1), {"margin": 0.5}),
    ("margin_ranking0", "margin_ranking_loss", _margin_ranking, (1, 1, 0), {}),
    ("hinge", "hinge_embedding_loss", _hinge, (1, 0), {}),
    ("hinge_m2", "hinge_embedding_loss", _hinge, (1, 0), {"margin": 2.0}),
    ("cosine", "cosine_embedding_loss", lambda: [rnd(6, 4, seed=1), rnd(6, 4, seed=2), signs(6, seed=3)], (1, 1, 0),
     {"margin": 0.1}),
    ("cosine_1d", "cosine_embedding_loss", lambda: [rnd(4, seed=1), rnd(4, seed=2), np.array(-1.0)], (1, 1, 0), {}),
    ("triplet", "triplet_margin_loss", lambda: [rnd(5, 4, seed=1), rnd(5, 4, seed=2), rnd(5, 4, seed=3)], (1, 1, 1), {}),
    ("triplet_p1_swap", "triplet_margin_loss", lambda: [rnd(5, 4, seed=1), rnd(5, 4, seed=2), rnd(5, 4, seed=3)],
     (1, 1, 1), {"p": 1, "swap": True, "margin": 2.0}),
    ("triplet_p3", "triplet_margin_loss", lambda: [rnd(5, 4, seed=1), rnd(5, 4, seed=2), rnd(5, 4, seed=3)],
     (1, 1, 1), {"p": 3, "eps": 1e-3}),
    ("soft_margin", "soft_margin_loss", lambda: [rnd(4, 5, seed=1, scale=3), signs(4, 5, seed=2)], (1, 0), {}),
    ("multilabel", "multilabel_soft_margin_loss",
     lambda: [rnd(4, 5, seed=1, scale=3), (np.random.default_rng(2).random((4, 5)) < 0.5) * 1.0], (1, 0), {}),
    ("multi_margin", "multi_margin_loss", _multi_margin, (1, 0), {}),
    ("multi_margin_p2", "multi_margin_loss", _multi_margin, (1, 0), {"p": 2, "margin": 0.7}),
    ("poisson", "poisson_nll_loss", _poisson_counts, (1, 1), {}),
    ("poisson_full", "poisson_nll_loss", lambda: [rnd(4, 5, seed=1), _poisson_counts()[1] + 0.5], (1, 1),
     {"full": True}),
    ("poisson_rate", "poisson_nll_loss", lambda: [np.abs(rnd(4, 5, seed=1)) + 0.1, _poisson_counts()[1]], (1, 1),
     {"log_input": False, "eps": 1e-3}),
    ("gaussian", "gaussian_nll_loss", lambda: [rnd(4, 5, seed=1), rnd(4, 5, seed=2), np.abs(rnd(4, 5, seed=3))],
     (1, 1, 1), {}),
    ("gaussian_full_clamped", "gaussian_nll_loss",  # var below eps in places: clamped, gradient passes
     lambda: [rnd(4, 5, seed=1), rnd(4, 5, seed=2), np.abs(rnd(4, 5, seed=3)) * 1e-3], (1, 1, 1),
     {"full": True, "eps": 1e-3}),
    ("gaussian_var_per_sample", "gaussian_nll_loss",
     lambda: [rnd(4, 5, seed=1), rnd(4, 5, seed=2), np.abs(rnd(4, seed=3))], (1, 1, 1), {}),
    ("gaussian_var_one_dim", "gaussian_nll_loss",
     lambda: [rnd(3, 4, 5, seed=1), rnd(3, 4, 5, seed=2), np.abs(rnd(3, 1, 5, seed=3))], (1, 1, 1), {}),
]
LOSS_IDS = [c[0] for c in LOSSES]


def _tensors(lib, arrays, grads):
    return [lib.tensor(a, requires_grad=bool(g)) if a.dtype.kind == "f" else lib.tensor(a)
            for a, g in zip(arrays, grads)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,fn,make,grads,kw", LOSSES, ids=LOSS_IDS)
def test_torch_parity_values_and_every_gradient(name, fn, make, grads, kw, reduction):
    torch = pytest.importorskip("torch")
    arrays = make()
    if name == "multilabel":  # with a per-label weight, which gets a gradient in both
        arrays, grads, kw = arrays + [np.random.default_rng(4).random(5)], grads + (1,), {}
    ours, theirs = _tensors(minigrad, arrays, grads), _tensors(torch, arrays, grads)
    if name == "multilabel":
        yo = F.multilabel_soft_margin_loss(*ours[:2], weight=ours[2], reduction=reduction)
        yt = torch.nn.functional.multilabel_soft_margin_loss(*theirs[:2], weight=theirs[2], reduction=reduction)
    else:
        yo = getattr(F, fn)(*ours, reduction=reduction, **kw)
        yt = getattr(torch.nn.functional, fn)(*theirs, reduction=reduction, **kw)
    assert yo.shape == tuple(yt.shape)
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    G = rnd(*yo.shape, seed=9) if yo.ndim else np.array(rnd(1, seed=9)[0])
    yo.backward(minigrad.tensor(G))
    yt.backward(torch.tensor(G))
    for i, (o, t) in enumerate(zip(ours, theirs)):
        if grads[i]:
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-10,
                                       err_msg=f"gradient of argument {i}")


@pytest.mark.parametrize("name,fn,make,grads,kw", LOSSES, ids=LOSS_IDS)
def test_gradcheck(name, fn, make, grads, kw):
    if name == "gaussian_full_clamped":  # var's gradient where clamped is torch's choice, not the derivative
        pytest.skip("the clamp passes var's gradient on purpose; the parity test covers it")
    arrays = make()
    if name.startswith(("margin_ranking", "hinge")):  # off the planted kinks
        arrays[0] = arrays[0] + 0.0137
    if name.startswith("multi_margin"):
        arrays[0][0, 1] += 0.0137
    ts = _tensors(minigrad, arrays, grads)
    diff = [t for t, g in zip(ts, grads) if g]

    def f(*d):
        it = iter(d)
        return getattr(F, fn)(*[next(it) if g else t for t, g in zip(ts, grads)], reduction="none", **kw)

    assert gradcheck(f, *diff)


def test_multi_margin_weight_and_multilabel_weight_get_gradients():
    x, t = _multi_margin()
    x = minigrad.tensor(x + 0.0137)
    w = minigrad.tensor(np.random.default_rng(1).random(5) + 0.5, requires_grad=True)
    assert gradcheck(lambda w: F.multi_margin_loss(x, minigrad.tensor(t), weight=w, reduction="none"), w)
    y = minigrad.tensor((np.random.default_rng(2).random((3, 5)) < 0.5) * 1.0)
    assert gradcheck(lambda w: F.multilabel_soft_margin_loss(minigrad.tensor(rnd(3, 5)), y, w, reduction="none"), w)


def test_multi_margin_weight_matches_torch_values():
    torch = pytest.importorskip("torch")
    x, t = _multi_margin()
    w = np.random.default_rng(1).random(5)
    for p in (1, 2):
        for reduction in REDUCTIONS:
            xo, xt = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            yo = F.multi_margin_loss(xo, minigrad.tensor(t), p=p, weight=minigrad.tensor(w), reduction=reduction)
            yt = torch.nn.functional.multi_margin_loss(xt, torch.tensor(t), p=p, weight=torch.tensor(w),
                                                       reduction=reduction)
            np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=1e-10)
            G = rnd(*yo.shape, seed=3)
            yo.backward(minigrad.tensor(G))
            yt.backward(torch.tensor(G))
            np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_multi_margin_unbatched_as_torch():
    torch = pytest.importorskip("torch")
    x = rnd(5)
    for target in (np.array(2), np.array([2])):
        for reduction in REDUCTIONS:
            yo = F.multi_margin_loss(minigrad.tensor(x), minigrad.tensor(target), reduction=reduction)
            yt = torch.nn.functional.multi_margin_loss(torch.tensor(x), torch.tensor(target), reduction=reduction)
            assert yo.shape == tuple(yt.shape)
            np.testing.assert_allclose(yo.numpy(), yt.numpy(), rtol=1e-12)


# ***** pairwise_distance, PairwiseDistance, CosineSimilarity *****

@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, float("inf")])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_matches_torch(p, keepdim):
    torch = pytest.importorskip("torch")
    for s1, s2 in [((5, 4), (5, 4)), ((5, 4), (4,)), ((2, 3, 4), (3, 4))]:
        a, b = rnd(*s1, seed=1), rnd(*s2, seed=2)
        ao, bo = minigrad.tensor(a, requires_grad=True), minigrad.tensor(b, requires_grad=True)
        at, bt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        yo = nn.PairwiseDistance(p, keepdim=keepdim)(ao, bo)
        yt = torch.nn.PairwiseDistance(p, keepdim=keepdim)(at, bt)
        np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=1e-10)
        G = rnd(*yo.shape, seed=3)
        yo.backward(minigrad.tensor(G))
        yt.backward(torch.tensor(G))
        np.testing.assert_allclose(ao.grad.numpy(), at.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(bo.grad.numpy(), bt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_pairwise_distance_gradcheck_and_cosine_similarity_module():
    torch = pytest.importorskip("torch")
    a, b = minigrad.tensor(rnd(3, 4, seed=1), requires_grad=True), minigrad.tensor(rnd(3, 4, seed=2),
                                                                                   requires_grad=True)
    assert gradcheck(lambda a, b: F.pairwise_distance(a, b, 3.0), a, b)
    m, mt = nn.CosineSimilarity(dim=0, eps=1e-6), torch.nn.CosineSimilarity(dim=0, eps=1e-6)
    np.testing.assert_allclose(m(a, b).numpy(), mt(torch.tensor(a.numpy()), torch.tensor(b.numpy())).numpy(),
                               rtol=1e-10)
    assert repr(m) == repr(mt) and repr(nn.PairwiseDistance()) == repr(torch.nn.PairwiseDistance())


# ***** dtypes, devices, options *****

MODULES = [  # (module on device d, its arrays)
    (lambda d: nn.MarginRankingLoss(0.3), lambda: [rnd(6), rnd(6, seed=1), signs(6)]),
    (lambda d: nn.HingeEmbeddingLoss(), lambda: [np.abs(rnd(6)), signs(6)]),
    (lambda d: nn.CosineEmbeddingLoss(0.2), lambda: [rnd(6, 3), rnd(6, 3, seed=1), signs(6)]),
    (lambda d: nn.TripletMarginLoss(swap=True), lambda: [rnd(6, 3), rnd(6, 3, seed=1), rnd(6, 3, seed=2)]),
    (lambda d: nn.SoftMarginLoss(), lambda: [rnd(6), signs(6)]),
    (lambda d: nn.MultiLabelSoftMarginLoss(weight=minigrad.rand(3, device=d)), lambda: [rnd(6, 3), signs(6, 3) > 0]),
    (lambda d: nn.MultiMarginLoss(p=2, weight=minigrad.rand(3, device=d)), lambda: [rnd(6, 3), np.arange(6) % 3]),
    (lambda d: nn.PoissonNLLLoss(full=True), lambda: [rnd(6), np.arange(6.0)]),
    (lambda d: nn.GaussianNLLLoss(), lambda: [rnd(6, 2), rnd(6, 2, seed=1), np.abs(rnd(6))]),
]


@pytest.mark.parametrize("i", range(len(MODULES)))
def test_float32_stays_float32_on_every_device(device, i):
    make_module, make_arrays = MODULES[i]
    m = make_module(device)
    ts = []
    for k, a in enumerate(make_arrays()):
        a = np.asarray(a)
        a = a.astype(np.float32) if a.dtype.kind in "fb" else a
        ts.append(minigrad.tensor(a, device=device, requires_grad=(k == 0)))
    y = m(*ts)
    assert y.dtype == np.float32 and y.device == device
    y.backward()
    assert ts[0].grad.dtype == np.float32 and ts[0].grad.device == device


def test_float32_with_numpy_scalar_options():
    x, y = minigrad.tensor(rnd(4, 3).astype(np.float32)), minigrad.tensor(rnd(4, 3, seed=1).astype(np.float32))
    s = minigrad.tensor(signs(4).astype(np.float32))
    m = np.float64
    for out in (F.margin_ranking_loss(x[:, 0], y[:, 0], s, margin=m(0.5)),
                F.hinge_embedding_loss(x, minigrad.tensor(signs(4, 3).astype(np.float32)), margin=m(2.0)),
                F.cosine_embedding_loss(x, y, s, margin=m(0.1)),
                F.triplet_margin_loss(x, y, x * 2, margin=m(1.0), eps=m(1e-6)),
                F.multi_margin_loss(x, minigrad.tensor([0, 1, 2, 0]), margin=m(0.5)),
                F.poisson_nll_loss(x.abs(), y.abs(), eps=m(1e-8), log_input=False),
                F.gaussian_nll_loss(x, y, m(0.5), eps=m(1e-6), full=True),
                F.pairwise_distance(x, y, p=m(2.0), eps=m(1e-6))):
        assert out.dtype == np.float32


@pytest.mark.parametrize("size_average,reduce,want", [(None, False, "none"), (False, None, "sum"),
                                                      (True, True, "mean"), (False, True, "sum")])
def test_legacy_size_average_and_reduce(size_average, reduce, want):
    x, y = minigrad.tensor(rnd(4, 3)), minigrad.tensor(signs(4, 3))
    legacy = dict(size_average=size_average, reduce=reduce)
    for fn, args in [(F.soft_margin_loss, (x, y)), (F.hinge_embedding_loss, (x, y)),
                     (F.multilabel_soft_margin_loss, (x, (y > 0) * 1.0)),
                     (F.multi_margin_loss, (x, minigrad.tensor([0, 1, 2, 0]))),
                     (F.poisson_nll_loss, (x, y.abs())),
                     (F.margin_ranking_loss, (x, y, y)), (F.cosine_embedding_loss, (x, y, y[:, 0])),
                     (F.triplet_margin_loss, (x, y, x * 2))]:
        np.testing.assert_allclose(fn(*args, **legacy).numpy(), fn(*args, reduction=want).numpy(), rtol=1e-6)
    m = nn.SoftMarginLoss(size_average=size_average, reduce=reduce)
    assert m.reduction == want


def test_modules_match_torch_attributes_and_reprs():
    torch = pytest.importorskip("torch")
    pairs = [(nn.MarginRankingLoss(), torch.nn.MarginRankingLoss()),
             (nn.MarginRankingLoss(0.5, reduction="sum"), torch.nn.MarginRankingLoss(0.5, reduction="sum")),
             (nn.HingeEmbeddingLoss(), torch.nn.HingeEmbeddingLoss()),
             (nn.CosineEmbeddingLoss(), torch.nn.CosineEmbeddingLoss()),
             (nn.TripletMarginLoss(), torch.nn.TripletMarginLoss()),
             (nn.TripletMarginLoss(swap=True, p=1), torch.nn.TripletMarginLoss(swap=True, p=1)),
             (nn.SoftMarginLoss(), torch.nn.SoftMarginLoss()),
             (nn.MultiLabelSoftMarginLoss(), torch.nn.MultiLabelSoftMarginLoss()),
             (nn.MultiMarginLoss(), torch.nn.MultiMarginLoss()),
             (nn.PoissonNLLLoss(), torch.nn.PoissonNLLLoss()),
             (nn.GaussianNLLLoss(), torch.nn.GaussianNLLLoss()),
             (nn.GaussianNLLLoss(full=True, eps=1e-3, reduction="sum"),
              torch.nn.GaussianNLLLoss(full=True, eps=1e-3, reduction="sum")),
             (nn.PairwiseDistance(), torch.nn.PairwiseDistance()), (nn.CosineSimilarity(), torch.nn.CosineSimilarity())]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        public = {k: v for k, v in vars(theirs).items() if not k.startswith("_") and k != "training"}
        for k, v in public.items():
            assert getattr(ours, k) == v, (type(ours).__name__, k)
    w = minigrad.ones(3)
    for m in (nn.MultiMarginLoss(weight=w), nn.MultiLabelSoftMarginLoss(weight=w)):
        assert [n for n, _ in m.named_buffers()] == ["weight"]
    with pytest.raises(TypeError):
        nn.GaussianNLLLoss(True)  # keyword-only, as torch


def test_module_forward_is_the_function():
    x, y, v = minigrad.tensor(rnd(4, 3)), minigrad.tensor(rnd(4, 3, seed=1)), minigrad.tensor(np.abs(rnd(4, 3, seed=2)))
    s = minigrad.tensor(signs(4))
    t = minigrad.tensor([0, 2, 1, 1])
    checks = [(nn.MarginRankingLoss(0.2)(x[:, 0], y[:, 0], s), F.margin_ranking_loss(x[:, 0], y[:, 0], s, 0.2)),
              (nn.HingeEmbeddingLoss(0.5)(x, y.sign()), F.hinge_embedding_loss(x, y.sign(), 0.5)),
              (nn.CosineEmbeddingLoss(0.1)(x, y, s), F.cosine_embedding_loss(x, y, s, 0.1)),
              (nn.TripletMarginLoss(2.0, 1.0, 1e-3, True)(x, y, v), F.triplet_margin_loss(x, y, v, 2.0, 1.0, 1e-3, True)),
              (nn.MultiMarginLoss(2, 0.5)(x, t), F.multi_margin_loss(x, t, 2, 0.5)),
              (nn.PoissonNLLLoss(False, True, eps=1e-3)(v, v), F.poisson_nll_loss(v, v, False, True, eps=1e-3)),
              (nn.GaussianNLLLoss(full=True)(x, y, v), F.gaussian_nll_loss(x, y, v, full=True))]
    for a, b in checks:
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# ***** errors *****

def test_errors_as_torch_naming_shapes():
    r = minigrad.randn
    with pytest.raises(RuntimeError, match=r"same dimension.*\(3,\).*\(3, 1\)"):
        F.margin_ranking_loss(r(3), r(3, 1), r(3))
    with pytest.raises(RuntimeError, match="0D or 1D target"):
        F.cosine_embedding_loss(r(3, 4), r(3, 4), r(3, 2))
    with pytest.raises(RuntimeError, match=r"0D target tensor expects 1D input.*\(3, 4\)"):
        F.cosine_embedding_loss(r(3, 4), r(3, 4), r())
    with pytest.raises(RuntimeError, match="anchor 2D, positive 2D, and negative 1D"):
        F.triplet_margin_loss(r(3, 4), r(3, 4), r(4))
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_loss(r(3, 4), r(3, 4), r(3, 4), margin=0)
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        F.multi_margin_loss(r(3, 4), minigrad.tensor([0, 1, 2]), p=3)
    with pytest.raises(IndexError, match="target out of range"):
        F.multi_margin_loss(r(3, 4), minigrad.tensor([0, 1, 5]))
    with pytest.raises(RuntimeError, match=r"Expected target size \[3\], but got \[2\].*\[3, 4\]"):
        F.multi_margin_loss(r(3, 4), minigrad.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"inconsistent weight size, expected 4 but got \[3\]"):
        F.multi_margin_loss(r(3, 4), minigrad.tensor([0, 1, 1]), weight=minigrad.ones(3))
    with pytest.raises(RuntimeError, match=r"non-empty vector or matrix.*\(3, 4, 2\)"):
        F.multi_margin_loss(r(3, 4, 2), minigrad.tensor([0, 1, 1]))
    with pytest.raises(ValueError, match=r"var is of incorrect size.*\(3, 2\).*\(3, 4\)"):
        F.gaussian_nll_loss(r(3, 4), r(3, 4), minigrad.rand(3, 2))
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(r(3, 4), r(3, 4), -minigrad.rand(3, 4) - 0.1)
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(r(3, 4), r(3, 4), -1.0)
    for fn in (F.soft_margin_loss, F.multilabel_soft_margin_loss, F.poisson_nll_loss):
        with pytest.raises(ValueError, match=r"\(3, 4\).*\(4,\)"):
            fn(r(3, 4), r(4))
    with pytest.raises(ValueError, match="reduction"):
        F.soft_margin_loss(r(3), r(3), reduction="avg")
    with pytest.raises(TypeError, match="one device"):
        F.soft_margin_loss(r(3), r(3, device="strict"))


def test_negative_var_on_a_gpu_like_device_gives_nan_without_a_sync():
    var = minigrad.tensor([1.0, -1.0], device="strict")
    loss = F.gaussian_nll_loss(minigrad.zeros(2, device="strict"), minigrad.zeros(2, device="strict"), var,
                               reduction="none")
    out = loss.numpy()
    assert out[0] == 0.0 and np.isnan(out[1])


# ***** the documented differences (docs/porting.md) *****

def test_soft_margin_loss_is_finite_where_torch_overflows():
    torch = pytest.importorskip("torch")
    x, y = np.array([-800.0, 800.0, 1.0]), np.array([1.0, -1.0, 1.0])
    xo = minigrad.tensor(x, requires_grad=True)
    ours = F.soft_margin_loss(xo, minigrad.tensor(y), reduction="none")
    np.testing.assert_allclose(ours.numpy(), [800.0, 800.0, np.log1p(np.exp(-1.0))], rtol=1e-12)
    ours.sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), [-1.0, 1.0, -1 / (1 + np.e)], rtol=1e-12)
    theirs = torch.nn.functional.soft_margin_loss(torch.tensor(x), torch.tensor(y), reduction="none").numpy()
    assert np.isinf(theirs[:2]).all()  # the difference the docs describe; their third value is ours
    np.testing.assert_allclose(ours.numpy()[2], theirs[2], rtol=1e-12)


def test_poisson_full_target_gradient_is_finite_at_zero_counts():
    torch = pytest.importorskip("torch")
    x, t = rnd(3), np.array([0.0, 1.0, 3.0])
    to = minigrad.tensor(t, requires_grad=True)
    F.poisson_nll_loss(minigrad.tensor(x), to, full=True).backward()
    tt = torch.tensor(t, requires_grad=True)
    torch.nn.functional.poisson_nll_loss(torch.tensor(x), tt, full=True).backward()
    assert np.isnan(tt.grad.numpy()[0]) and np.isfinite(to.grad.numpy()).all()
    np.testing.assert_allclose(to.grad.numpy()[0], -x[0] / 3, rtol=1e-12)  # d/dt of -t x, the mean over 3
    np.testing.assert_allclose(to.grad.numpy()[1:], tt.grad.numpy()[1:], rtol=1e-10)
