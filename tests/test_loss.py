"""Losses: torch parity for every loss and reduction, fused cross-entropy == composed, the
stability cases of R2.10, gradchecks, float32, and errors for bad targets."""

import warnings

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.nn.loss import SoftmaxCrossEntropyFunction
from minigrad import nn
from minigrad.testing import gradcheck


def rnd(*shape, scale=1.0, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def T(a, device="cpu", requires_grad=False):
    return minigrad.tensor(a, device=device, requires_grad=requires_grad)


N, C = 6, 5
LABELS = np.array([0, 4, 2, 2, 1, 3])
PROBS = 1 / (1 + np.exp(-rnd(N, C, seed=3)))
TARGET01 = (rnd(N, C, seed=4) > 0).astype(np.float64)
SOFT = np.random.default_rng(5).random((N, C))
LOGP = rnd(N, C, seed=10) - np.log(np.exp(rnd(N, C, seed=10)).sum(1, keepdims=True))  # log-softmax rows
TARGET_P = np.exp(rnd(N, C, seed=11)) / np.exp(rnd(N, C, seed=11)).sum(1, keepdims=True)

# (name, our loss fn, torch loss fn (torch, x, target, reduction), input maker, target)
LOSSES = [
    ("cross_entropy", F.cross_entropy, lambda t, x, y, r: t.nn.functional.cross_entropy(x, y, reduction=r),
     lambda: rnd(N, C, scale=3), LABELS),
    ("nll_loss", F.nll_loss, lambda t, x, y, r: t.nn.functional.nll_loss(x, y, reduction=r),
     lambda: rnd(N, C) - 3, LABELS),
    ("mse_loss", F.mse_loss, lambda t, x, y, r: t.nn.functional.mse_loss(x, y, reduction=r),
     lambda: rnd(N, C), rnd(N, C, seed=6)),
    ("binary_cross_entropy", F.binary_cross_entropy,
     lambda t, x, y, r: t.nn.functional.binary_cross_entropy(x, y, reduction=r), lambda: PROBS, SOFT),
    ("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
     lambda t, x, y, r: t.nn.functional.binary_cross_entropy_with_logits(x, y, reduction=r),
     lambda: rnd(N, C, scale=4), TARGET01),
    ("l1_loss", F.l1_loss, lambda t, x, y, r: t.nn.functional.l1_loss(x, y, reduction=r),
     lambda: rnd(N, C), rnd(N, C, seed=6)),
    ("smooth_l1_loss", lambda x, y, reduction="mean": F.smooth_l1_loss(x, y, reduction=reduction, beta=0.7),
     lambda t, x, y, r: t.nn.functional.smooth_l1_loss(x, y, reduction=r, beta=0.7),
     lambda: rnd(N, C, scale=1.5), rnd(N, C, seed=6)),
    ("huber_loss", lambda x, y, reduction="mean": F.huber_loss(x, y, reduction=reduction, delta=0.8),
     lambda t, x, y, r: t.nn.functional.huber_loss(x, y, reduction=r, delta=0.8),
     lambda: rnd(N, C, scale=1.5), rnd(N, C, seed=6)),
    ("kl_div", lambda x, y, reduction="batchmean": F.kl_div(x, y, reduction=reduction),
     lambda t, x, y, r: t.nn.functional.kl_div(x, y, reduction=r), lambda: LOGP, TARGET_P),
]
IDS = [loss[0] for loss in LOSSES]
MODULES = {"cross_entropy": nn.CrossEntropyLoss, "nll_loss": nn.NLLLoss, "mse_loss": nn.MSELoss,
           "binary_cross_entropy": nn.BCELoss, "binary_cross_entropy_with_logits": nn.BCEWithLogitsLoss,
           "l1_loss": nn.L1Loss, "smooth_l1_loss": lambda reduction: nn.SmoothL1Loss(reduction=reduction, beta=0.7),
           "huber_loss": lambda reduction: nn.HuberLoss(reduction=reduction, delta=0.8),
           "kl_div": nn.KLDivLoss}


@pytest.mark.filterwarnings("ignore:kl_div:UserWarning", "ignore:reduction. 'mean':UserWarning")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,fn,tfn,make,target", LOSSES, ids=IDS)
def test_torch_parity(name, fn, tfn, make, target, reduction):
    torch = pytest.importorskip("torch")
    x = make()
    xo, xt = T(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lo = fn(xo, T(target), reduction=reduction)
    lt = tfn(torch, xt, torch.tensor(target), reduction)
    G = rnd(*lo.shape, seed=8)
    lo.backward(T(G))
    lt.backward(torch.tensor(G))
    np.testing.assert_allclose(lo.numpy(), lt.detach().numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-10)
    # the module version is the same function
    lm = MODULES[name](reduction=reduction)(T(x), T(target))
    np.testing.assert_allclose(lm.numpy(), lo.numpy(), rtol=0, atol=0)


@pytest.mark.filterwarnings("ignore:kl_div:UserWarning")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,fn,tfn,make,target", LOSSES, ids=IDS)
def test_gradcheck(name, fn, tfn, make, target, reduction):
    gradcheck(lambda x: fn(x, T(target), reduction=reduction), T(make(), requires_grad=True))


@pytest.mark.parametrize("name,fn,tfn,make,target", LOSSES, ids=IDS)
def test_float32_stays_float32(device, name, fn, tfn, make, target):
    tgt = T(target if target.dtype.kind == "i" else target.astype(np.float32), device)
    x = T(make().astype(np.float32), device, requires_grad=True)
    loss = fn(x, tgt)
    loss.backward()
    assert loss.dtype == x.grad.dtype == np.float32 and loss.shape == () and loss.device == device


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_fused_equals_composed(reduction):
    G = rnd(*(() if reduction != "none" else (N,)), seed=2)
    out = []
    for fn in (F.cross_entropy, F.cross_entropy_simple):
        x = T(rnd(N, C, scale=3), requires_grad=True)
        loss = fn(x, T(LABELS), reduction=reduction)
        loss.backward(T(G))
        out.append((loss.numpy(), x.grad.numpy()))
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_cross_entropy_grad_is_softmax_minus_onehot_over_n():
    x = rnd(N, C)
    xo = T(x, requires_grad=True)
    F.cross_entropy(xo, T(LABELS)).backward()
    p = np.exp(x - x.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(xo.grad.numpy(), (p - np.eye(C)[LABELS]) / N, rtol=1e-12, atol=1e-15)
    assert isinstance(F.cross_entropy(xo, T(LABELS))._ctx, SoftmaxCrossEntropyFunction)


# ***** R2.10 stability, all under errstate(all="raise") *****


def test_R2_10_shift_invariant_float32():
    x = rnd(N, C, scale=3).astype(np.float32)
    with np.errstate(all="raise"):
        a = F.cross_entropy(T(x), T(LABELS)).item()
        b = F.cross_entropy(T(x + np.float32(1e4)), T(LABELS)).item()
    assert abs(a - b) < 1e-3


def test_R2_10_huge_equal_logits_give_log_c():
    with np.errstate(all="raise"):
        loss = F.cross_entropy(minigrad.full((3, 10), 1e8), T(np.array([0, 5, 9])))
    assert loss.item() == pytest.approx(np.log(10), rel=1e-6)


def test_R2_10_large_gap_is_exact_not_nan():
    with np.errstate(all="raise"):
        x = T(np.array([[1000.0, 0.0]], dtype=np.float32), requires_grad=True)
        loss = F.cross_entropy(x, T(np.array([1])))
        loss.backward()
    assert loss.item() == pytest.approx(1000.0)
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, -1.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_R2_10_minus_inf_on_other_classes(dtype):
    x = np.array([[0.0, -np.inf, 2.0], [-np.inf, 1.0, -np.inf]], dtype=dtype)
    with np.errstate(all="raise"):
        xo = T(x, requires_grad=True)
        loss = F.cross_entropy(xo, T(np.array([0, 1])))
        loss.backward()
    assert np.isfinite(loss.item())
    g = xo.grad.numpy()
    assert np.isfinite(g).all() and g[0, 1] == 0 and g[1, 0] == 0 and g[1, 2] == 0
    assert loss.item() == pytest.approx((np.log(1 + np.exp(2.0)) + 0.0) / 2, rel=1e-6)


def test_R2_11_bce_with_logits_saturates_without_overflow():
    with np.errstate(all="raise"):
        x = T(np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype=np.float32), requires_grad=True)
        loss = F.binary_cross_entropy_with_logits(x, T(np.array([1.0, 0.0, 0.0, 1.0], dtype=np.float32)),
                                                  reduction="none")
        loss.backward(minigrad.ones(4))
    np.testing.assert_allclose(loss.numpy(), [0, 0, 1000, 1000])
    np.testing.assert_allclose(x.grad.numpy(), [0, 0, 1, -1])


def test_bce_clamps_log_at_minus_100_like_torch():
    loss = F.binary_cross_entropy(T(np.array([0.0, 1.0])), T(np.array([1.0, 0.0])), reduction="none")
    np.testing.assert_array_equal(loss.numpy(), [100.0, 100.0])


def test_label_targets_never_get_a_grad():
    t = T(LABELS)
    F.cross_entropy(T(rnd(N, C), requires_grad=True), t).backward()
    assert t.grad is None and not t.requires_grad


# ***** errors at the boundary *****


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("target,exc,match", [
    (np.array([0.0, 1.0, 2.0, 0.0, 1.0, 2.0]), TypeError, "integer class indices, got dtype float64"),
    (np.array([0, 1, 2]), ValueError, r"target has shape \(3,\), expected \(6,\)"),
    (np.zeros((6, 5), dtype=np.int64), ValueError, r"target has shape \(6, 5\)"),
    (np.array([0, 1, 5, 0, 1, 2]), IndexError, r"\[5\] are out of range for 5 classes"),
    (np.array([0, -1, 2, 0, 1, 2]), IndexError, r"\[-1\] are out of range"),
])
def test_bad_labels_raise_clearly(fn, target, exc, match):
    with pytest.raises(exc, match=match):
        fn(T(rnd(N, C)), T(target))


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_out_of_range_labels_on_a_device_give_nan_loss_and_no_gradient_without_a_sync(device, fn):
    """On a GPU the range check cannot raise without a host sync every step: the samples with a
    bad label get a NaN loss and no gradient instead, never a wrapped-around label's loss."""
    if device == "cpu":
        pytest.skip("the CPU raises (test_bad_labels_raise_clearly)")
    import minigrad.testing.strict as strict

    x_np, labels = rnd(N, C), np.array([0, 7, 2, -1, 1, 3])
    ok = (labels >= 0) & (labels < C)
    x = T(x_np, device, requires_grad=True)
    before = strict.host_transfers
    per_sample = fn(x, T(labels, device), reduction="none")
    loss = fn(x, T(labels, device))
    loss.backward()
    assert strict.host_transfers == before  # nothing was read back to decide
    got = per_sample.numpy()
    assert np.isnan(got[~ok]).all() and np.isnan(loss.item())
    # the good samples: the loss, and the gradient, of the good samples alone (mean over all N)
    x_ok = T(x_np[ok], requires_grad=True)
    (fn(x_ok, T(labels[ok]), reduction="sum") / N).backward()
    np.testing.assert_allclose(got[ok], fn(T(x_np[ok]), T(labels[ok]), reduction="none").numpy(), rtol=1e-12)
    grad = x.grad.numpy()
    np.testing.assert_array_equal(grad[~ok], 0)
    np.testing.assert_allclose(grad[ok], x_ok.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_other_errors():
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(T(rnd(N, C)), T(LABELS), reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="batchmean")
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C\)"):
        F.cross_entropy(T(rnd(C)), T(np.array([1])))
    with pytest.raises(ValueError, match=r"input shape \(6, 5\) and target shape \(6,\) differ"):
        F.mse_loss(T(rnd(N, C)), T(rnd(N)))
    with pytest.raises(ValueError, match="probabilities in"):
        F.binary_cross_entropy(T(rnd(N, C)), T(SOFT))
    with pytest.raises(TypeError, match="floating point"):
        F.mse_loss(T(rnd(N)), T(LABELS))


@pytest.mark.parametrize("fn", [F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
def test_bce_target_gradient(fn):
    """Both BCE losses differentiate the target too, as PyTorch does (never a silent constant)."""
    p = minigrad.tensor([0.2, 0.7, 0.4], dtype=minigrad.float64, requires_grad=True)
    t = minigrad.tensor([0.1, 0.9, 0.5], dtype=minigrad.float64, requires_grad=True)
    gradcheck(lambda p, t: fn(p, t, reduction="none"), p, t)
    torch = pytest.importorskip("torch")
    pt = torch.tensor(p.numpy(), requires_grad=True)
    tt = torch.tensor(t.numpy(), requires_grad=True)
    getattr(torch.nn.functional, fn.__name__)(pt, tt).backward()
    p.grad = t.grad = None
    fn(p, t).backward()
    np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=1e-10)


# ***** cross_entropy / nll_loss options: weight, ignore_index, label_smoothing *****

W = np.array([0.5, 2.0, 1.0, 0.0, 3.0])  # one class weighted 0: its samples count for nothing
LABELS_IGN = np.array([0, -100, 2, 3, 1, -100])  # two ignored with the default ignore_index
OPTION_CASES = [  # (weight?, labels, ignore_index, label_smoothing)
    (w, labels, ii, eps)
    for w in (False, True)
    for labels, ii in ((LABELS, -100), (LABELS_IGN, -100), (LABELS, 2))  # ignore_index a real class too
    for eps in (0.0, 0.25)
]
OPTION_IDS = [f"{'w' if w else 'now'}-ign{ii}-{'some' if (lab == ii).any() else 'none'}-eps{eps}"
              for w, lab, ii, eps in OPTION_CASES]


def _options(torch, use_w, ii, eps, fn_name, lib_tensor):
    kw = dict(ignore_index=ii)
    if use_w:
        kw["weight"] = lib_tensor(W)
    if fn_name == "cross_entropy":
        kw["label_smoothing"] = eps
    return kw


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("fn_name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("use_w,labels,ii,eps", OPTION_CASES, ids=OPTION_IDS)
def test_options_torch_parity(fn_name, use_w, labels, ii, eps, reduction):
    """Values and input gradients (random upstream gradient) as torch's, for every combination
    of weight, ignore_index (ignored labels present or not) and label smoothing."""
    torch = pytest.importorskip("torch")
    if fn_name == "nll_loss" and eps:
        pytest.skip("nll_loss has no label smoothing")
    x = rnd(N, C, scale=3) - (3 if fn_name == "nll_loss" else 0)
    xo, xt = T(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours = getattr(F, fn_name)(xo, T(labels), reduction=reduction, **_options(torch, use_w, ii, eps, fn_name, T))
    theirs = getattr(torch.nn.functional, fn_name)(xt, torch.tensor(labels), reduction=reduction,
                                                   **_options(torch, use_w, ii, eps, fn_name, torch.tensor))
    G = rnd(*ours.shape, seed=9)
    ours.backward(T(G))
    theirs.backward(torch.tensor(G))
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    # the Module is the same function
    kw = _options(torch, use_w, ii, eps, fn_name, T)
    module = {"cross_entropy": nn.CrossEntropyLoss, "nll_loss": nn.NLLLoss}[fn_name](reduction=reduction, **kw)
    np.testing.assert_array_equal(module(T(x), T(labels)).numpy(), ours.numpy())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("use_w,labels,ii,eps", OPTION_CASES, ids=OPTION_IDS)
def test_options_gradcheck(use_w, labels, ii, eps, reduction):
    w = T(W, requires_grad=True) if use_w else None
    fn = lambda x, *ws: F.cross_entropy(x, T(labels), *ws, ignore_index=ii, reduction=reduction,  # noqa: E731
                                        label_smoothing=eps)
    gradcheck(fn, T(rnd(N, C, scale=2), requires_grad=True), *([w] if use_w else []))


def test_ignored_samples_get_zero_loss_and_gradient_and_leave_the_mean():
    """The oracle here is the loss of the kept samples alone, computed without ignore_index."""
    x = rnd(N, C)
    kept = LABELS_IGN != -100
    for fn in (F.cross_entropy, F.nll_loss):
        xo = T(x, requires_grad=True)
        loss = fn(xo, T(LABELS_IGN))
        assert isinstance(loss._ctx, SoftmaxCrossEntropyFunction) == (fn is F.cross_entropy)  # still fused
        G = rnd(seed=3)
        loss.backward(T(G))
        x_kept = T(x[kept], requires_grad=True)
        ref = fn(x_kept, T(LABELS_IGN[kept]))
        ref.backward(T(G))
        np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-12)
        np.testing.assert_array_equal(xo.grad.numpy()[~kept], 0)
        np.testing.assert_allclose(xo.grad.numpy()[kept], x_kept.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("use_w", [False, True])
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_all_ignored_mean_is_nan_and_gradient_zero(use_w, eps):
    """As torch: 0 / 0 for the mean, 0 for the sum, and no gradient at all."""
    labels = np.full(N, -100)
    kw = dict(weight=T(W) if use_w else None, label_smoothing=eps)
    with np.errstate(all="raise"):  # and no warning on the way
        x = T(rnd(N, C), requires_grad=True)
        mean = F.cross_entropy(x, T(labels), **kw)
        assert np.isnan(mean.item())
        assert F.cross_entropy(x, T(labels), reduction="sum", **kw).item() == 0
        F.cross_entropy(x, T(labels), reduction="sum", **kw).backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0)
    torch = pytest.importorskip("torch")
    kwt = dict(weight=torch.tensor(W) if use_w else None, label_smoothing=eps)
    assert np.isnan(torch.nn.functional.cross_entropy(torch.tensor(rnd(N, C)), torch.tensor(labels), **kwt).item())


@pytest.mark.parametrize("use_w", [False, True])
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_options_float32_stays_float32(device, use_w, eps):
    x = T(rnd(N, C).astype(np.float32), device, requires_grad=True)
    w = T(W.astype(np.float32), device) if use_w else None
    for reduction in ("mean", "sum", "none"):
        loss = F.cross_entropy(x, T(LABELS_IGN, device), weight=w, label_smoothing=eps, reduction=reduction)
        loss.backward(minigrad.ones(*loss.shape, device=device))
        assert loss.dtype == x.grad.dtype == np.float32 and loss.device == device
        x.grad = None
    loss = F.nll_loss(x, T(LABELS_IGN, device), weight=w)
    assert loss.dtype == np.float32


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_ignored_and_out_of_range_labels_on_a_device_without_a_sync(device, fn):
    """On a GPU an ignored label counts for nothing (as on the CPU) while an out-of-range one
    still gives a NaN loss; nothing is read back to the host to decide."""
    if device == "cpu":
        pytest.skip("the CPU raises for the out-of-range label")
    import minigrad.testing.strict as strict

    labels = np.array([0, -100, 2, 9, 1, 3])
    x = T(rnd(N, C), device, requires_grad=True)
    before = strict.host_transfers
    per_sample = fn(x, T(labels, device), reduction="none")
    assert strict.host_transfers == before
    got = per_sample.numpy()
    assert got[1] == 0 and np.isnan(got[3]) and np.isfinite(np.delete(got, 3)).all()
    ok = np.array([0, 2, 4, 5])
    np.testing.assert_allclose(got[ok], fn(T(rnd(N, C)[ok]), T(labels[ok]), reduction="none").numpy(), rtol=1e-12)


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_out_of_range_label_that_is_not_ignore_index_still_raises(fn):
    with pytest.raises(IndexError, match=r"\[7\] are out of range for 5 classes \(ignore_index=-1\)"):
        fn(T(rnd(N, C)), T(np.array([0, -1, 7, 0, 1, 2])), ignore_index=-1)
    fn(T(rnd(N, C)), T(np.array([0, -1, 4, 0, 1, 2])), ignore_index=-1)  # -1 alone is fine


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_option_errors_name_the_problem(fn):
    x = T(rnd(N, C))
    with pytest.raises(TypeError, match=r"weight must be a Tensor.*got 'sum'.*reduction= by keyword"):
        fn(x, T(LABELS), "sum")
    with pytest.raises(ValueError, match=r"weight has shape \(4,\), expected \(5,\)"):
        fn(x, T(LABELS), weight=T(np.ones(4)))
    with pytest.raises(TypeError, match="weight is float32, input is float64"):
        fn(x, T(LABELS), weight=T(np.ones(5, dtype=np.float32)))
    with pytest.raises(TypeError, match="ignore_index must be an int"):
        fn(x, T(LABELS), ignore_index=1.5)
    with pytest.raises(ValueError, match="reduction must be one of"):
        fn(x, T(LABELS), reduction="batchmean")


def test_label_smoothing_out_of_range_raises():
    for eps in (-0.1, 1.5):
        with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
            F.cross_entropy(T(rnd(N, C)), T(LABELS), label_smoothing=eps)
        with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
            nn.CrossEntropyLoss(label_smoothing=eps)


def test_legacy_size_average_and_reduce_as_torch():
    torch = pytest.importorskip("torch")
    x = rnd(N, C)
    for sa, red in ((None, None), (False, None), (True, False), (None, False), (False, True)):
        ours = F.cross_entropy(T(x), T(LABELS), size_average=sa, reduce=red)
        with warnings.catch_warnings():  # torch's deprecation notice
            warnings.simplefilter("ignore")
            theirs = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(LABELS), size_average=sa, reduce=red)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
        np.testing.assert_array_equal(nn.NLLLoss(size_average=sa, reduce=red)(T(x), T(LABELS)).numpy(),
                                      F.nll_loss(T(x), T(LABELS), size_average=sa, reduce=red).numpy())


def test_weighted_loss_module_holds_weight_as_a_buffer():
    w = T(W)
    loss = nn.CrossEntropyLoss(weight=w, ignore_index=3, label_smoothing=0.1, reduction="sum")
    assert repr(loss) == "CrossEntropyLoss(reduction='sum', ignore_index=3, label_smoothing=0.1)"
    sd = loss.state_dict()
    assert list(sd) == ["weight"] and np.array_equal(sd["weight"].numpy(), W)
    assert list(loss.parameters()) == []
    moved = nn.NLLLoss(weight=T(W)).to("strict")
    assert moved.weight.device == "strict"
    with pytest.raises(TypeError, match="weight must be a Tensor or None"):
        nn.CrossEntropyLoss(weight=[1.0, 2.0])


def test_weight_gets_a_gradient():
    """PyTorch does not differentiate the class weights (its backward raises); here they are an
    ordinary input of the composed graph, checked against finite differences above
    (test_options_gradcheck). This pins that the gradient is there and is not zero."""
    w = T(W, requires_grad=True)
    F.cross_entropy(T(rnd(N, C)), T(LABELS), weight=w).backward()
    assert w.grad is not None and np.abs(w.grad.numpy()).max() > 0


# ***** l1_loss, smooth_l1_loss, kl_div: the target's gradient, beta, batchmean, log_target *****

PAIR_LOSSES = [  # (name, ours, torch's (torch, x, y)) with both inputs differentiated
    ("l1", lambda x, y: F.l1_loss(x, y, reduction="sum"), lambda t, x, y: t.nn.functional.l1_loss(x, y, reduction="sum")),
    ("smooth_l1_b0.5", lambda x, y: F.smooth_l1_loss(x, y, beta=0.5),
     lambda t, x, y: t.nn.functional.smooth_l1_loss(x, y, beta=0.5)),
    ("smooth_l1_b0", lambda x, y: F.smooth_l1_loss(x, y, beta=0.0, reduction="none"),
     lambda t, x, y: t.nn.functional.smooth_l1_loss(x, y, beta=0.0, reduction="none")),
    ("kl_batchmean", lambda x, y: F.kl_div(x, y, reduction="batchmean"),
     lambda t, x, y: t.nn.functional.kl_div(x, y, reduction="batchmean")),
    ("kl_log_target", lambda x, y: F.kl_div(x, y.log(), reduction="none", log_target=True),
     lambda t, x, y: t.nn.functional.kl_div(x, y.log(), reduction="none", log_target=True)),
    ("kl_log_target_sum", lambda x, y: F.kl_div(x, y.log(), reduction="sum", log_target=True),
     lambda t, x, y: t.nn.functional.kl_div(x, y.log(), reduction="sum", log_target=True)),
]


@pytest.mark.parametrize("name,ours,theirs", PAIR_LOSSES, ids=[p[0] for p in PAIR_LOSSES])
def test_pair_losses_both_gradients_match_torch_and_finite_differences(name, ours, theirs):
    torch = pytest.importorskip("torch")
    x_np, y_np = (LOGP, TARGET_P) if name.startswith("kl") else (rnd(N, C), rnd(N, C, seed=6) * 0.8)
    x, y = T(x_np, requires_grad=True), T(y_np, requires_grad=True)
    xt, yt = torch.tensor(x_np, requires_grad=True), torch.tensor(y_np, requires_grad=True)
    lo, lt = ours(x, y), theirs(torch, xt, yt)
    G = rnd(*lo.shape, seed=12)
    lo.backward(T(G))
    lt.backward(torch.tensor(G))
    np.testing.assert_allclose(lo.numpy(), lt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), yt.grad.numpy(), rtol=1e-10, atol=1e-12)
    gradcheck(ours, T(x_np, requires_grad=True), T(y_np, requires_grad=True))


def test_smooth_l1_kinks_match_torch():
    """d = 0 (gradient 0), |d| = beta exactly (both branches agree), beta = 0 (the L1 loss)."""
    torch = pytest.importorskip("torch")
    d = np.array([0.0, 0.5, -0.5, 0.25, 2.0])
    for beta in (0.5, 0.0):
        x, xt = T(d, requires_grad=True), torch.tensor(d, requires_grad=True)
        F.smooth_l1_loss(x, T(np.zeros(5)), reduction="sum", beta=beta).backward()
        torch.nn.functional.smooth_l1_loss(xt, torch.zeros(5, dtype=torch.float64), reduction="sum", beta=beta).backward()
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-15)
    np.testing.assert_array_equal(F.smooth_l1_loss(T(d), T(np.zeros(5)), beta=0.0, reduction="none").numpy(), np.abs(d))


def test_kl_div_zero_target_gives_zero_loss_and_finite_gradients():
    """target * log(target) is 0 at target 0, in the value and in the gradient of the input;
    the target's own gradient there is -input (PyTorch: NaN; docs/porting.md)."""
    x_np = np.log(np.array([[0.2, 0.3, 0.5]]))
    y_np = np.array([[0.0, 0.4, 0.6]])
    with np.errstate(all="raise"):
        x, y = T(x_np, requires_grad=True), T(y_np, requires_grad=True)
        loss = F.kl_div(x, y, reduction="none")
        loss.backward(T(np.ones((1, 3))))
    assert loss.numpy()[0, 0] == 0
    np.testing.assert_allclose(loss.numpy()[0, 1:], y_np[0, 1:] * (np.log(y_np[0, 1:]) - x_np[0, 1:]), rtol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), -y_np, rtol=1e-15)
    assert np.isfinite(y.grad.numpy()).all() and y.grad.numpy()[0, 0] == -x_np[0, 0]
    torch = pytest.importorskip("torch")
    yt = torch.tensor(y_np, requires_grad=True)
    torch.nn.functional.kl_div(torch.tensor(x_np), yt, reduction="sum").backward()
    assert torch.isnan(yt.grad[0, 0])  # the documented difference


def test_kl_div_reductions_and_mean_warning():
    x, y = T(LOGP), T(TARGET_P)
    per = F.kl_div(x, y, reduction="none").numpy()
    with pytest.warns(UserWarning, match="batchmean"):
        mean = F.kl_div(x, y)
    np.testing.assert_allclose(mean.item(), per.mean(), rtol=1e-14)
    np.testing.assert_allclose(F.kl_div(x, y, reduction="batchmean").item(), per.sum() / N, rtol=1e-14)
    np.testing.assert_allclose(nn.KLDivLoss(reduction="batchmean", log_target=True)(x, y.log()).item(),
                               per.sum() / N, rtol=1e-12)
    assert repr(nn.KLDivLoss(reduction="batchmean", log_target=True)) == "KLDivLoss(reduction='batchmean', log_target=True)"
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="batchmean")  # only kl_div has batchmean


@pytest.mark.parametrize("fn", [F.l1_loss, F.smooth_l1_loss, F.kl_div])
def test_new_losses_float32_and_errors(device, fn):
    x = T(rnd(N, C).astype(np.float32), device, requires_grad=True)
    y = T(np.abs(rnd(N, C, seed=2)).astype(np.float32), device)
    loss = fn(x, y, reduction="sum")
    loss.backward()
    assert loss.dtype == x.grad.dtype == np.float32 and loss.device == device
    with pytest.raises(ValueError, match=r"input shape \(6, 5\) and target shape \(5,\) differ"):
        fn(x, T(np.ones(5, dtype=np.float32), device))
    with pytest.raises(TypeError, match="floating point"):
        fn(x, T(np.ones((N, C), dtype=np.int64), device))


def test_smooth_l1_negative_beta_raises():
    with pytest.raises(ValueError, match="beta must be >= 0, got -1"):
        F.smooth_l1_loss(T(rnd(3)), T(rnd(3)), beta=-1)
    with pytest.raises(ValueError, match="beta must be >= 0"):
        nn.SmoothL1Loss(beta=-0.5)
    assert repr(nn.SmoothL1Loss(beta=0.5)) == "SmoothL1Loss(beta=0.5)"


@pytest.mark.parametrize("kw", [dict(), dict(weight=True), dict(label_smoothing=0.2), dict(weight=True, label_smoothing=0.2)],
                         ids=["ignore", "weight", "smoothing", "weight+smoothing"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_options_double_backward(kw, reduction):
    """backward(create_graph=True) through the option paths (the fused node's composed twin
    for ignored labels; the composed graph otherwise), against finite differences."""
    from minigrad.testing import gradgradcheck
    kw = dict(kw, weight=T(W)) if kw.get("weight") else kw
    x = T(rnd(N, C, seed=7), requires_grad=True)
    assert gradgradcheck(lambda v: F.cross_entropy(v, T(LABELS_IGN), reduction=reduction, **kw), x)


# ***** cross-entropy's other forms: (N, C, d1, ...) inputs and class-probability targets *****

KDIM_OPTIONS = [{}, {"weight": True}, {"label_smoothing": 0.2}, {"weight": True, "label_smoothing": 0.1}]


def _kw(opts, lib, w):
    return {k: (lib.tensor(w) if k == "weight" else v) for k, v in opts.items()}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("opts", KDIM_OPTIONS, ids=["plain", "weight", "smooth", "weight+smooth"])
@pytest.mark.parametrize("form", ["labels (N, d1, d2)", "probs (N, C)", "probs (N, C, d1)"])
def test_cross_entropy_other_forms_match_torch(form, opts, reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    w = rng.random(5)
    if form.startswith("labels"):
        x, t = rng.standard_normal((3, 5, 4, 2)), rng.integers(0, 5, (3, 4, 2))
        t[0, 1, 0] = -100  # ignored, as in PyTorch
    else:
        x = rng.standard_normal((3, 5) if form == "probs (N, C)" else (3, 5, 4))
        t = rng.random(x.shape)
        t /= t.sum(1, keepdims=True)
    X, tX = T(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    tgt_grad = t.dtype.kind == "f"
    Y, tY = T(t, requires_grad=tgt_grad), torch.tensor(t, requires_grad=tgt_grad)
    mine = F.cross_entropy(X, Y, reduction=reduction, **_kw(opts, minigrad, w))
    theirs = torch.nn.functional.cross_entropy(tX, tY, reduction=reduction, **_kw(opts, torch, w))
    assert mine.shape == tuple(theirs.shape)
    g = rng.standard_normal(mine.shape)
    mine.backward(T(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(mine.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(X.grad.numpy(), tX.grad.numpy(), rtol=1e-10, atol=1e-12)
    if tgt_grad:
        np.testing.assert_allclose(Y.grad.numpy(), tY.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_nll_loss_with_extra_dims_matches_torch(reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, t, w = rng.standard_normal((2, 4, 3, 5)), rng.integers(0, 4, (2, 3, 5)), rng.random(4)
    X, tX = T(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    mine = F.nll_loss(X, T(t), weight=T(w), reduction=reduction)
    theirs = torch.nn.functional.nll_loss(tX, torch.tensor(t), weight=torch.tensor(w), reduction=reduction)
    g = rng.standard_normal(mine.shape)
    mine.backward(T(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(mine.numpy(), theirs.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(X.grad.numpy(), tX.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_cross_entropy_other_forms_gradcheck_and_equal_the_flattened_2d_loss(device):
    rng = np.random.default_rng(4)
    x, t = rng.standard_normal((2, 3, 4)), rng.integers(0, 3, (2, 4))
    per_pos = F.cross_entropy(T(x, device), T(t, device), reduction="none").numpy()
    flat = F.cross_entropy(T(x.transpose(0, 2, 1).reshape(-1, 3), device), T(t.reshape(-1), device),
                           reduction="none").numpy().reshape(2, 4)
    np.testing.assert_allclose(per_pos, flat, rtol=1e-12)
    if device == "cpu":
        gradcheck(lambda a: F.cross_entropy(a, T(t), label_smoothing=0.1), T(x, requires_grad=True))
        p = rng.random((2, 3, 4))
        gradcheck(lambda a, q: F.cross_entropy(a, q, weight=T(np.array([1.0, 2.0, 0.5]))),
                  T(x, requires_grad=True), T(p / p.sum(1, keepdims=True), requires_grad=True))


def test_cross_entropy_other_forms_raise_clearly():
    with pytest.raises(ValueError, match=r"target has shape \(2, 5\), expected \(2, 4\)"):
        F.cross_entropy(T(rnd(2, 3, 4)), T(np.zeros((2, 5), dtype=np.int64)))
    with pytest.raises(TypeError, match="integer class indices, got dtype float64 .class probabilities must"):
        F.cross_entropy(T(rnd(2, 3)), T(rnd(2, 4)))
    with pytest.raises(TypeError, match="target is float32, input is float64"):
        F.cross_entropy(T(rnd(2, 3)), T(rnd(2, 3).astype(np.float32)))
