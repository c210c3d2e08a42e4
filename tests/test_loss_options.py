"""The binary losses' `weight` / `pos_weight`, the Huber loss, single unbatched samples for
cross_entropy / nll_loss, BCE's target range and the legacy `size_average` of mse_loss: PyTorch's
values and gradients (with a random upstream gradient), finite differences, and PyTorch's errors."""

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.testing import gradcheck


def rnd(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def T(a, requires_grad=False, device="cpu"):
    return minigrad.tensor(a, requires_grad=requires_grad, device=device)


N, C = 5, 4
X = rnd(N, C, seed=1, scale=3)
Y01 = (rnd(N, C, seed=2) > 0).astype(np.float64)
SOFT = np.random.default_rng(3).random((N, C))
P = 1 / (1 + np.exp(-rnd(N, C, seed=4)))
W_ELEM = np.random.default_rng(5).random((N, C)) + 0.5
W_ROW = np.random.default_rng(6).random((C,)) + 0.5
POS_W = np.random.default_rng(7).random((C,)) * 3


BINARY = [  # (name, kwargs as numpy arrays or None, target)
    ("bce_logits", dict(weight=None, pos_weight=POS_W), Y01),
    ("bce_logits", dict(weight=W_ROW, pos_weight=POS_W), SOFT),
    ("bce_logits", dict(weight=W_ELEM, pos_weight=None), SOFT),
    ("bce", dict(weight=W_ELEM), SOFT),
    ("bce", dict(weight=W_ROW), Y01),
]


def _call(lib_F, name, x, y, kw, reduction, wrap):
    kw = {k: (None if v is None else wrap(v)) for k, v in kw.items()}
    if name == "bce":
        return lib_F.binary_cross_entropy(x, y, reduction=reduction, **kw)
    return lib_F.binary_cross_entropy_with_logits(x, y, reduction=reduction, **kw)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,kw,target", BINARY)
def test_binary_weights_match_torch(name, kw, target, reduction):
    torch = pytest.importorskip("torch")
    x = P if name == "bce" else X
    # every input that can require grad does: input, target, and pos_weight
    xo, yo = T(x, True), T(target, True)
    xt, yt = torch.tensor(x, requires_grad=True), torch.tensor(target, requires_grad=True)
    lo = _call(F, name, xo, yo, kw, reduction, lambda a: T(a))
    lt = _call(torch.nn.functional, name, xt, yt, kw, reduction, lambda a: torch.tensor(a))
    G = rnd(*lo.shape, seed=9)
    lo.backward(T(G))
    lt.backward(torch.tensor(G))
    np.testing.assert_allclose(lo.numpy(), lt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(yo.grad.numpy(), yt.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,kw,target", BINARY)
def test_binary_weights_gradcheck(name, kw, target):
    x = P if name == "bce" else X
    if name == "bce":
        target = SOFT  # inside (0, 1): the finite differences must not step outside the allowed range
    pw = kw.get("pos_weight")
    leaves = [T(x, True), T(target, True)] + ([T(pw, True)] if pw is not None else [])

    def f(x, y, *pw_):
        opts = {"weight": None if kw["weight"] is None else T(kw["weight"])}
        if name == "bce":
            return F.binary_cross_entropy(x, y, reduction="none", **opts)
        return F.binary_cross_entropy_with_logits(x, y, reduction="none", pos_weight=pw_[0] if pw_ else None, **opts)

    gradcheck(f, *leaves)


def test_pos_weight_is_stable_for_huge_logits_and_float32_stays_float32(device):
    x = T(np.array([[1000.0, -1000.0, 0.0]], np.float32), True, device)
    y = T(np.array([[1.0, 0.0, 1.0]], np.float32), device=device)
    pw = T(np.array([2.0, 3.0, 4.0], np.float32), device=device)
    loss = F.binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction="none")
    loss.sum().backward()
    assert loss.dtype == x.grad.dtype == np.float32
    np.testing.assert_allclose(minigrad.tensor(loss.detach().cpu().numpy()).numpy(), [[0.0, 0.0, 4 * np.log(2)]],
                               rtol=1e-6)
    assert np.isfinite(x.grad.cpu().numpy()).all()


def test_modules_hold_weights_as_buffers_and_match_the_functions():
    w, pw = T(W_ROW), T(POS_W)
    m = nn.BCEWithLogitsLoss(weight=w, pos_weight=pw, reduction="sum")
    assert dict(m.named_buffers()).keys() == {"weight", "pos_weight"} and list(m.parameters()) == []
    want = F.binary_cross_entropy_with_logits(T(X), T(Y01), w, reduction="sum", pos_weight=pw)
    assert m(T(X), T(Y01)).item() == want.item()
    b = nn.BCELoss(weight=w, size_average=False)
    assert b.reduction == "sum" and b(T(P), T(SOFT)).item() == F.binary_cross_entropy(T(P), T(SOFT), w, reduction="sum").item()
    assert list(b.state_dict()) == ["weight"] and nn.BCELoss().weight is None  # a buffer when given, as torch


def test_binary_weight_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(3,\).*\(5, 4\)"):
        F.binary_cross_entropy_with_logits(T(X), T(Y01), weight=T(np.ones(3)))
    with pytest.raises(ValueError, match=r"\(2,\).*\(5, 4\)"):
        F.binary_cross_entropy_with_logits(T(X), T(Y01), pos_weight=T(np.ones(2)))
    with pytest.raises(TypeError, match="weight"):
        F.binary_cross_entropy(T(P), T(SOFT), weight=np.ones(4))
    with pytest.raises(TypeError, match="float32"):
        F.binary_cross_entropy(T(P), T(SOFT), weight=T(np.ones(4, np.float32)))


def test_bce_target_outside_0_1_raises_as_torch():
    torch = pytest.importorskip("torch")
    bad = SOFT * 3 - 1
    with pytest.raises(RuntimeError):
        torch.nn.functional.binary_cross_entropy(torch.tensor(P), torch.tensor(bad))
    with pytest.raises(ValueError, match="target must hold probabilities"):
        F.binary_cross_entropy(T(P), T(bad))


def test_bce_target_range_check_without_torch():
    with pytest.raises(ValueError, match="target must hold probabilities in \\[0, 1\\]"):
        F.binary_cross_entropy(T(P), T(SOFT + 1))
    with pytest.raises(ValueError, match="input must hold probabilities"):
        F.binary_cross_entropy(T(P - 1), T(SOFT))
    F.binary_cross_entropy(T(P), T(np.clip(SOFT, 0, 1)))  # the bounds themselves are fine


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # an ignored sample's mean is 0 / 0
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("label", [2, -100])
def test_a_single_unbatched_sample_matches_torch(fn, reduction, label):
    torch = pytest.importorskip("torch")
    x = rnd(C, seed=11)
    xo, xt = T(x, True), torch.tensor(x, requires_grad=True)
    lo = getattr(F, fn)(xo, T(np.array(label)), reduction=reduction)
    lt = getattr(torch.nn.functional, fn)(xt, torch.tensor(label), reduction=reduction)
    assert lo.shape == tuple(lt.shape) == ()
    np.testing.assert_allclose(lo.numpy(), lt.detach().numpy(), rtol=1e-12, equal_nan=True)
    lo.backward(T(np.array(0.7)))
    lt.backward(torch.tensor(0.7, dtype=torch.float64))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_a_single_sample_with_class_probabilities_matches_torch():
    torch = pytest.importorskip("torch")
    x, q = rnd(C, seed=12), np.random.default_rng(13).dirichlet(np.ones(C))
    lo = F.cross_entropy(T(x), T(q), label_smoothing=0.1)
    lt = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(q), label_smoothing=0.1)
    np.testing.assert_allclose(lo.item(), lt.item(), rtol=1e-12)


def test_a_single_sample_equals_a_batch_of_one_and_gradchecks():
    x, t = rnd(C, seed=14), np.array(3)
    one = F.cross_entropy(T(x), T(t))
    batch = F.cross_entropy(T(x[None]), T(t[None]))
    assert one.shape == () and one.item() == batch.item()
    gradcheck(lambda x: F.cross_entropy(x, T(t), reduction="none"), T(x, True))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C\), got \(4,\)"):
        F.cross_entropy(T(x), T(np.arange(C)))  # labels for a batch, scores for one sample


@pytest.mark.parametrize("size_average,reduce", [(False, None), (None, False), (True, True)])
def test_mse_loss_legacy_arguments_as_torch(size_average, reduce):
    torch = pytest.importorskip("torch")
    a, b = rnd(N, C, seed=15), rnd(N, C, seed=16)
    with pytest.warns(UserWarning):  # torch warns that the arguments are deprecated
        want = torch.nn.functional.mse_loss(torch.tensor(a), torch.tensor(b), size_average=size_average, reduce=reduce)
    got = F.mse_loss(T(a), T(b), size_average=size_average, reduce=reduce)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    assert nn.MSELoss(size_average=False).reduction == "sum"


def test_huber_is_delta_times_smooth_l1_and_rejects_bad_delta():
    a, b = T(rnd(N, C, seed=17, scale=2)), T(rnd(N, C, seed=18))
    for delta in (0.3, 1.0, 2.5):
        np.testing.assert_allclose(F.huber_loss(a, b, reduction="none", delta=delta).numpy(),
                                   delta * F.smooth_l1_loss(a, b, reduction="none", beta=delta).numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="delta"):
        F.huber_loss(a, b, delta=0.0)
