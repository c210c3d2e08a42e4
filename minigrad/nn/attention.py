"""Attention: `F.scaled_dot_product_attention`.

Composed from primitive ops (matmul, masked_fill, softmax, dropout), so autograd gives its
gradient of any order; a transformer's cost is in the two matrix products, which this does once
each, as a fused kernel would.
"""

from __future__ import annotations

import math

from .. import dtypes
from ..creation import ones
from ..tensor import Tensor
from .activation import softmax
from .dropout import dropout


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value, as torch.nn.functional.scaled_dot_product_attention.

    query is (..., L, E), key (..., S, E), value (..., S, Ev); the result is (..., L, Ev).
    `scale` defaults to 1 / sqrt(E). `is_causal=True` lets query i see keys 0..i (the top-left
    lower triangle of the L x S scores). `attn_mask` broadcasts to (..., L, S): a bool mask keeps
    the True places, a float mask is added to the scores; it cannot be given with `is_causal`.
    A query row that no key may see gives zeros (and a zero gradient), not NaN. `dropout_p`
    applies whenever it is > 0, as in torch: modules pass `dropout_p if self.training else 0`.
    `enable_gqa=True` lets key and value have fewer heads (dim -3) than query, each shared by a
    group of query heads.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> q = k = v = minigrad.randn(2, 4, 5, 8)          # (batch, heads, time, head size)
    >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
    (2, 4, 5, 8)
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if t.ndim < 2:
            raise dtypes.ShapeError(f"scaled_dot_product_attention: {name} needs at least 2 dims, got shape {t.shape}")
    if not query.dtype == key.dtype == value.dtype or not dtypes.is_float(query.dtype):
        raise dtypes.DtypeError(f"scaled_dot_product_attention: query, key and value need the same float dtype, got "
                                f"{query.dtype}, {key.dtype} and {value.dtype}")
    if is_causal and attn_mask is not None:  # as torch documents (and raises once grad is on)
        raise RuntimeError("scaled_dot_product_attention: give attn_mask or is_causal=True, not both "
                           "(fold the causal mask into attn_mask)")
    L, E, S = query.shape[-2], query.shape[-1], key.shape[-2]
    if key.shape[-1] != E or value.shape[-2] != S:
        raise dtypes.ShapeError(f"scaled_dot_product_attention: query {query.shape}, key {key.shape} and value "
                                f"{value.shape} do not fit: key needs query's last size, value key's time size")
    if enable_gqa:
        key, value = _share_heads(key, query.shape[-3]), _share_heads(value, query.shape[-3])
    scores = query @ key.transpose(-2, -1) * (1.0 / math.sqrt(E) if scale is None else scale)

    if is_causal:
        scores = scores.masked_fill(~ones(L, S, dtype=dtypes.bool_, device=query.device).tril(), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == dtypes.bool_:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        elif dtypes.is_float(attn_mask.dtype):
            scores = scores + attn_mask.to(scores.dtype)  # the query's dtype decides: float32 stays float32
        else:
            raise dtypes.DtypeError(f"scaled_dot_product_attention: attn_mask must be bool or float, got {attn_mask.dtype}")
        # A row with every key masked: softmax of all -inf is NaN. Give it zeros, as torch does, by
        # softmaxing zeros there and zeroing the result (so no NaN reaches the backward either).
        blind = (scores == float("-inf")).all(-1, keepdim=True)
        attn = softmax(scores.masked_fill(blind, 0.0), dim=-1).masked_fill(blind, 0.0)
    else:
        attn = softmax(scores, dim=-1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, training=True)
    return attn @ value


def _share_heads(t: Tensor, heads: int) -> Tensor:
    """(..., h, S, E) -> (..., heads, S, E), each of the h heads repeated heads // h times in a row
    (torch's repeat_interleave on dim -3)."""
    if t.ndim < 3 or heads % t.shape[-3]:
        raise dtypes.ShapeError(f"scaled_dot_product_attention(enable_gqa=True): {heads} query heads cannot share "
                                f"the heads of a key/value of shape {t.shape}")
    *batch, h, S, E = t.shape
    return t.unsqueeze(-3).expand(*batch, h, heads // h, S, E).reshape(*batch, heads, S, E)
