"""F.scaled_dot_product_attention: float64 finite differences always, torch parity when installed."""

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.testing import gradcheck

rng = np.random.default_rng(0)
Q, K, V = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((2, 3, 6, 7))
BOOL_MASK = rng.random((4, 6)) > 0.4
BOOL_MASK[1] = False  # a query that may see no key: zeros, as torch
FLOAT_MASK = rng.standard_normal((2, 1, 4, 6))
FLOAT_MASK[0, 0, 2] = -np.inf

CASES = {
    "plain": {},
    "causal": dict(is_causal=True),
    "bool-mask": dict(attn_mask=BOOL_MASK),
    "float-mask": dict(attn_mask=FLOAT_MASK),
    "scale": dict(scale=0.3),
    "dropout-0": dict(dropout_p=0.0),
}


def _attend(lib, q, k, v, **kw):
    kw = {n: lib.tensor(a) if isinstance(a, np.ndarray) else a for n, a in kw.items()}
    return lib.nn.functional.scaled_dot_product_attention(q, k, v, **kw)


@pytest.mark.parametrize("case", CASES)
def test_sdpa_gradient_is_finite_differences(case):
    q, k, v = (minigrad.tensor(a[:1, :2], requires_grad=True) for a in (Q, K, V))
    kw = {n: (a[..., :1, :2, :, :] if a.ndim == 4 else a) if isinstance(a, np.ndarray) else a
          for n, a in CASES[case].items()}
    gradcheck(lambda q, k, v: _attend(minigrad, q, k, v, **kw), q, k, v)


@pytest.mark.parametrize("case", CASES)
def test_sdpa_matches_torch(case):
    torch = pytest.importorskip("torch")
    g = rng.standard_normal((2, 3, 4, 7))
    results = []
    for lib in (minigrad, torch):
        q, k, v = (lib.tensor(a, requires_grad=True) for a in (Q, K, V))
        y = _attend(lib, q, k, v, **CASES[case])
        (y * lib.tensor(g)).sum().backward()
        results.append([t.detach().numpy() for t in (y, q.grad, k.grad, v.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_sdpa_causal_with_more_queries_than_keys_and_gqa_match_torch():
    torch = pytest.importorskip("torch")
    q, kv = rng.standard_normal((1, 4, 6, 3)), rng.standard_normal((1, 2, 4, 3))
    for kw in (dict(is_causal=True), dict(enable_gqa=True), dict(enable_gqa=True, is_causal=True)):
        qq = q if kw.get("enable_gqa") else q[:, :2]
        ours = _attend(minigrad, minigrad.tensor(qq), minigrad.tensor(kv), minigrad.tensor(kv), **kw)
        theirs = _attend(torch, torch.tensor(qq), torch.tensor(kv), torch.tensor(kv), **kw)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_sdpa_causal_is_causal_and_float32_stays_float32():
    q = minigrad.randn(1, 5, 4, requires_grad=True)
    y = F.scaled_dot_product_attention(q, q, q, is_causal=True, attn_mask=None)
    assert y.dtype == minigrad.float32 and y.shape == (1, 5, 4)
    y[0, 2].sum().backward()  # the third output sees positions 0..2 only
    assert (q.grad[0, 3:] == 0).all() and (q.grad[0, :3] != 0).any()
    mask64 = minigrad.zeros(5, 5, dtype=minigrad.float64)
    assert F.scaled_dot_product_attention(q, q, q, attn_mask=mask64).dtype == minigrad.float32


def test_sdpa_dropout_applies_whenever_p_is_positive():
    q = minigrad.zeros(1, 64, 8)  # uniform attention: every weight is 1/64
    v = minigrad.ones(1, 64, 8)
    minigrad.manual_seed(0)
    y = F.scaled_dot_product_attention(q, q, v, dropout_p=0.5)
    assert 0.6 < y.mean().item() < 1.4 and y.std().item() > 0.05  # dropped weights, rescaled by 2
    assert F.scaled_dot_product_attention(q, q, v, dropout_p=0.0).allclose(minigrad.ones(1, 64, 8))


def test_sdpa_errors_name_the_problem():
    q, k = minigrad.randn(2, 4, 5), minigrad.randn(2, 6, 5)
    with pytest.raises(RuntimeError, match="not both"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=minigrad.ones(4, 6, dtype=minigrad.bool),
                                       is_causal=True)
    with pytest.raises(TypeError, match="float32, float64"):
        F.scaled_dot_product_attention(q, k.double(), k)
    with pytest.raises(ValueError, match=r"\(2, 4, 5\).*\(2, 6, 5\).*\(2, 5, 5\)"):
        F.scaled_dot_product_attention(q, k, minigrad.randn(2, 5, 5))  # torch gives a result here
    with pytest.raises(TypeError, match="bool or float"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=minigrad.zeros(4, 6, dtype=minigrad.int64))
    with pytest.raises(ValueError, match="query heads"):
        F.scaled_dot_product_attention(minigrad.randn(1, 3, 4, 5), minigrad.randn(1, 2, 6, 5),
                                       minigrad.randn(1, 2, 6, 5), enable_gqa=True)
