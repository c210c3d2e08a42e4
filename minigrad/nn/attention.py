"""Attention: `F.scaled_dot_product_attention`, `nn.MultiheadAttention` and the Transformer
layers (`nn.TransformerEncoderLayer`, `nn.TransformerEncoder`, the Decoder pair, `nn.Transformer`).

Composed from primitive ops (matmul, masked_fill, softmax, dropout) and existing layers (Linear,
LayerNorm, Dropout), so autograd gives every gradient, of any order; there is no Function here.
A transformer's cost is in the two matrix products of attention, which this does once each, as a
fused kernel would.

The layers follow torch.nn: arguments, parameter names, shapes and initialisation, so a
state_dict copied from torch gives the same outputs. Two mask conventions meet here, as in torch:
in F.scaled_dot_product_attention a bool mask is True where a query MAY attend; in
MultiheadAttention and the Transformer layers a bool mask is True where it may NOT (a padding
position). A float mask is added to the scores in both.

Sections: the attention function / nn.MultiheadAttention / the Transformer layers.
"""

from __future__ import annotations

import copy
import math
import numbers

from .. import dtypes
from ..creation import full, ones, zeros
from ..ops import cat
from ..tensor import Tensor
from . import init
from .activation import gelu, relu, softmax
from .dropout import Dropout, dropout
from .linear import Linear, linear
from .module import Module, ModuleList, Parameter
from .normalization import LayerNorm

# ***** the attention function *****


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


# ***** nn.MultiheadAttention *****


class NonDynamicallyQuantizableLinear(Linear):
    """A plain Linear. torch gives MultiheadAttention's `out_proj` this class name (for its
    quantisation tools); minigrad uses the same name so that a printed model reads as torch's."""


def _additive_mask(mask: Tensor, name: str, dtype, device) -> Tensor:
    """A MultiheadAttention mask as one to add to the scores: a bool mask (True = may not attend)
    becomes 0 / -inf; a float mask is kept, in the scores' dtype (float32 stays float32)."""
    if not isinstance(mask, Tensor):
        raise TypeError(f"MultiheadAttention: {name} must be a Tensor, got {type(mask).__name__}")
    if mask.device != device:
        raise TypeError(f"MultiheadAttention: {name} is on {mask.device!r} but the query on {device!r}; move it "
                        "with .to(device)")
    if mask.dtype == dtypes.bool_:
        return zeros(*mask.shape, dtype=dtype, device=device).masked_fill(mask, float("-inf"))
    if dtypes.is_float(mask.dtype):
        return mask.to(dtype)
    raise dtypes.DtypeError(f"MultiheadAttention: {name} must be bool (True = may not attend) or float (added to "
                            f"the scores), got {mask.dtype}")


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al. 2017), as torch.nn.MultiheadAttention:

        head_i = softmax(Q W_q,i^T (K W_k,i^T)^T / sqrt(head_dim) + mask) V W_v,i^T
        output = cat(head_1, ..., head_h) @ out_proj.weight^T + out_proj.bias

    Shapes (L target length, S source length, N batch, E embed_dim): query (L, N, E), key
    (S, N, kdim), value (S, N, vdim), or (N, L, E)... with `batch_first=True`, or (L, E)... unbatched.
    `forward` returns (output, weights): output shaped as query, weights (N, L, S) averaged
    over the heads, (N, num_heads, L, S) with `average_attn_weights=False`, or None with
    `need_weights=False` (which is what the Transformer layers ask for).

    Masks, as torch: `key_padding_mask` (N, S) and `attn_mask` (L, S) or (N * num_heads, L, S),
    bool (True = may NOT attend: the opposite of F.scaled_dot_product_attention's bool mask) or
    float (added to the scores). `is_causal=True` is only a hint that `attn_mask` is causal: the
    mask must still be given (`nn.Transformer.generate_square_subsequent_mask(L)`).

    Parameters as torch's: `in_proj_weight` (3E, E) and `in_proj_bias` (3E,), or `q_proj_weight`,
    `k_proj_weight`, `v_proj_weight` when kdim or vdim differ from E; `out_proj` (a Linear);
    `bias_k`, `bias_v` (1, 1, E) with `add_bias_kv=True`. Init as torch: xavier_uniform_ on the
    input projections, zero biases.

    NOTE: a query that no key may see gives NaN weights and output with `need_weights=True`
    and zeros (plus out_proj's bias) with `need_weights=False`, as torch gives in each case.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> mha = nn.MultiheadAttention(8, 2, batch_first=True)
        >>> x = minigrad.randn(3, 5, 8)                        # (batch, time, embed_dim)
        >>> out, w = mha(x, x, x)
        >>> out.shape, w.shape
        ((3, 5, 8), (3, 5, 5))
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None, dtype=None):
        super().__init__()
        for name, v in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if not isinstance(v, numbers.Integral) or isinstance(v, bool):
                raise TypeError(f"MultiheadAttention: {name} should be an int, got {type(v).__name__}")
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim={embed_dim} must be divisible by num_heads={num_heads} "
                             "(each head gets embed_dim // num_heads features)")
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.kdim = self.embed_dim if kdim is None else int(kdim)
        self.vdim = self.embed_dim if vdim is None else int(vdim)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        self.dropout, self.batch_first = dropout, batch_first
        self.head_dim = self.embed_dim // self.num_heads
        E, dtype = self.embed_dim, dtypes.float_or_default(dtype)

        def param(*shape):
            return Parameter(zeros(*shape, dtype=dtype, device=device))

        # registered in torch's order, so state_dict keys come in torch's order
        if self._qkv_same_embed_dim:
            self.in_proj_weight = param(3 * E, E)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight, self.k_proj_weight, self.v_proj_weight = param(E, E), param(E, self.kdim), param(E, self.vdim)
        if bias:
            self.in_proj_bias = param(3 * E)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(E, E, bias=bias, device=device, dtype=dtype)
        if add_bias_kv:
            self.bias_k, self.bias_v = param(1, 1, E), param(1, 1, E)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        # torch's init; out_proj.weight keeps Linear's default
        for w in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
            if w is not None:
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                init.xavier_normal_(b)

    def _check(self, query, key, value, key_padding_mask, attn_mask) -> bool:
        """The checks torch makes, with the shapes named; returns whether the input is batched."""
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor):
                raise TypeError(f"MultiheadAttention: {name} must be a Tensor, got {type(t).__name__}")
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise dtypes.ShapeError(f"MultiheadAttention: query, key and value must all be 3-D (batched) or all 2-D "
                                    f"(unbatched), got shapes {query.shape}, {key.shape} and {value.shape}")
        for name, t, size in (("query", query, self.embed_dim), ("key", key, self.kdim), ("value", value, self.vdim)):
            if t.shape[-1] != size:
                raise dtypes.ShapeError(f"MultiheadAttention: {name} of shape {t.shape} has {t.shape[-1]} features in "
                                        f"its last dim, expected {size}")
        if key.shape[:-1] != value.shape[:-1]:
            raise dtypes.ShapeError(f"MultiheadAttention: key {key.shape} and value {value.shape} must agree in all "
                                    "but their last dim")
        batched = query.ndim == 3
        b = 0 if self.batch_first else 1
        if batched and query.shape[b] != key.shape[b]:
            raise dtypes.ShapeError(f"MultiheadAttention: query {query.shape} and key {key.shape} have different "
                                    f"batch sizes (dim {b}, batch_first={self.batch_first})")
        weight = self.in_proj_weight if self._qkv_same_embed_dim else self.q_proj_weight
        if not query.dtype == key.dtype == value.dtype == weight.dtype:
            raise dtypes.DtypeError(f"MultiheadAttention: query, key, value and the weights must have one dtype, got "
                                    f"{query.dtype}, {key.dtype}, {value.dtype} and {weight.dtype}; convert with "
                                    ".to(dtype)")
        if not query.device == key.device == value.device == weight.device:
            raise TypeError(f"MultiheadAttention: query, key, value and the weights must be on one device, got "
                            f"{query.device!r}, {key.device!r}, {value.device!r} and {weight.device!r}; move them "
                            "with .to(device)")
        t = int(self.batch_first) if batched else 0  # the time dim
        N, L, S = query.shape[b] if batched else None, query.shape[t], key.shape[t]
        if key_padding_mask is not None:
            expected = (N, S) if batched else (S,)
            if tuple(key_padding_mask.shape) != expected:
                raise dtypes.ShapeError(f"MultiheadAttention: key_padding_mask of shape {key_padding_mask.shape} does "
                                        f"not fit key of shape {key.shape}: expected {expected} (batch, source length)")
        if attn_mask is not None:
            heads = (N if batched else 1) * self.num_heads
            if tuple(attn_mask.shape) not in ((L, S), (heads, L, S)):
                what = "batch * num_heads" if batched else "num_heads"
                raise dtypes.ShapeError(f"MultiheadAttention: attn_mask of shape {attn_mask.shape} does not fit query "
                                        f"{query.shape} and key {key.shape}: expected {(L, S)} or {(heads, L, S)} "
                                        f"({what}, target length, source length)")
        return batched

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple:
        batched = self._check(query, key, value, key_padding_mask, attn_mask)
        if is_causal and attn_mask is None:
            raise RuntimeError("MultiheadAttention: is_causal=True is a hint that attn_mask is causal; it needs the "
                               "attn_mask as well: nn.Transformer.generate_square_subsequent_mask(L)")
        self_attention = query is key and key is value
        # work batch first: (N, L, E)
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        (N, L, E), S, H = query.shape, key.shape[1], self.num_heads

        # the masks, merged into one to add to the scores, broadcasting to (N, H, L, S)
        mask = None
        if attn_mask is not None:
            mask = _additive_mask(attn_mask, "attn_mask", query.dtype, query.device)
            if mask.ndim == 3:
                mask = mask.reshape(N, H, L, S)
        if key_padding_mask is not None:
            pad = _additive_mask(key_padding_mask, "key_padding_mask", query.dtype, query.device).reshape(N, 1, 1, S)
            mask = pad if mask is None else mask + pad

        # the input projections, one matmul for self-attention
        if self_attention and self._qkv_same_embed_dim:
            q, k, v = linear(query, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        else:
            w = self.in_proj_weight.chunk(3) if self._qkv_same_embed_dim else \
                (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
            b = (None,) * 3 if self.in_proj_bias is None else self.in_proj_bias.chunk(3)
            q, k, v = linear(query, w[0], b[0]), linear(key, w[1], b[1]), linear(value, w[2], b[2])
        extra = 0  # key positions added below, which every query may see
        if self.bias_k is not None:
            k, v = cat([k, self.bias_k.expand(N, 1, E)], dim=1), cat([v, self.bias_v.expand(N, 1, E)], dim=1)
            extra += 1

        # split the heads: (N, time, E) -> (N, H, time, head_dim)
        q, k, v = (t.reshape(N, t.shape[1], H, self.head_dim).transpose(1, 2) for t in (q, k, v))
        if self.add_zero_attn:
            z = zeros(N, H, 1, self.head_dim, dtype=k.dtype, device=k.device)
            k, v = cat([k, z], dim=2), cat([v, z], dim=2)
            extra += 1
        if mask is not None and extra:
            mask = cat([mask, zeros(*mask.shape[:-1], extra, dtype=mask.dtype, device=mask.device)], dim=-1)

        p = self.dropout if self.training else 0.0
        weights = None
        if need_weights:  # written out, to keep the weights (torch returns them after dropout)
            scores = (q * math.sqrt(1.0 / self.head_dim)) @ k.transpose(-2, -1)
            weights = softmax(scores if mask is None else scores + mask, dim=-1)
            if p > 0.0:
                weights = dropout(weights, p, training=True)
            heads = weights @ v
        else:
            heads = scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        out = self.out_proj(heads.transpose(1, 2).reshape(N, L, E))

        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if weights is not None:
            if average_attn_weights:
                weights = weights.mean(1)
            if not batched:
                weights = weights.squeeze(0)
        return out, weights


# ***** the Transformer layers *****


def _activation(activation):
    """The feed-forward activation: "relu" / "gelu" (F.relu, F.gelu) or any callable, as torch."""
    if isinstance(activation, str):
        if activation not in ("relu", "gelu"):
            raise RuntimeError(f"activation should be relu/gelu, not {activation}")
        return relu if activation == "relu" else gelu
    if not callable(activation):
        raise TypeError(f"activation should be relu/gelu or a callable, got {type(activation).__name__}")
    return activation


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block, each with a residual connection, dropout and
    LayerNorm (Vaswani et al. 2017), as torch.nn.TransformerEncoderLayer:

        norm_first=False (post-norm, the paper):   x = norm1(x + sa(x));  x = norm2(x + ff(x))
        norm_first=True (pre-norm, as in GPT-2):   x = x + sa(norm1(x));  x = x + ff(norm2(x))

    where sa is `self_attn` (a MultiheadAttention) followed by dropout1, and
    ff(x) = dropout2(linear2(dropout(activation(linear1(x))))). `activation` is "relu", "gelu" or
    a callable (a Module given here becomes a submodule, as in torch).

    forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False): src is (S, N, E),
    (N, S, E) with `batch_first=True`, or (S, E); the masks are MultiheadAttention's
    (True = may not attend).

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, batch_first=True)
        >>> layer(minigrad.randn(3, 5, 8)).shape
        (3, 5, 8)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw)
        _add_feed_forward(self, d_model, dim_feedforward, dropout, bias, kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1, self.dropout2 = Dropout(dropout), Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self, src: Tensor, src_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool = False) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _add_feed_forward(layer: Module, d_model, dim_feedforward, dropout, bias, kw) -> None:
    # linear1, dropout, linear2: registered here, between the attention and the norms, as torch does
    layer.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
    layer.dropout = Dropout(dropout)
    layer.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's output (`memory`), then a feed-forward block,
    each with a residual connection, dropout and LayerNorm, as torch.nn.TransformerDecoderLayer:

        norm_first=False:  x = norm1(x + sa(x));  x = norm2(x + mha(x, memory));  x = norm3(x + ff(x))
        norm_first=True:   x = x + sa(norm1(x));  x = x + mha(norm2(x), memory);  x = x + ff(norm3(x))

    with `self_attn` and `multihead_attn` (MultiheadAttention), dropout1/2/3 after each block.
    forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask,
    tgt_is_causal, memory_is_causal): tgt is (T, N, E), memory (S, N, E) (batch first with
    `batch_first=True`); tgt_mask is (T, T), memory_mask (T, S).

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> layer = nn.TransformerDecoderLayer(d_model=8, nhead=2, dim_feedforward=16)
        >>> tgt, memory = minigrad.randn(4, 3, 8), minigrad.randn(6, 3, 8)
        >>> layer(tgt, memory, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4)).shape
        (4, 3, 8)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, **kw)
        _add_feed_forward(self, d_model, dim_feedforward, dropout, bias, kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1, self.dropout2, self.dropout3 = Dropout(dropout), Dropout(dropout), Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None, memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _clones(layer: Module, num_layers: int) -> ModuleList:
    if not isinstance(num_layers, numbers.Integral) or isinstance(num_layers, bool) or num_layers < 0:
        raise ValueError(f"num_layers must be a non-negative int, got {num_layers!r}")
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoder(Module):
    """`num_layers` deep copies of `encoder_layer` (`layers.0`, `layers.1`, ...: independent
    weights), applied in turn, then `norm` if given, as torch.nn.TransformerEncoder.

    forward(src, mask=None, src_key_padding_mask=None, is_causal=None): the masks go to every
    layer. `enable_nested_tensor` and `mask_check` (torch's speed path for padded batches) are
    accepted and change nothing: the result is the same.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, batch_first=True)
        >>> encoder = nn.TransformerEncoder(layer, num_layers=2)
        >>> encoder(minigrad.randn(3, 5, 8)).shape, len(encoder.layers)
        ((3, 5, 8), 2)
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(self, src: Tensor, mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """`num_layers` deep copies of `decoder_layer`, applied in turn to the target (each attending
    to the same `memory`), then `norm` if given, as torch.nn.TransformerDecoder.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), num_layers=2)
        >>> decoder(minigrad.randn(4, 3, 8), minigrad.randn(6, 3, 8)).shape
        (4, 3, 8)
    """

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None, memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask, tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=bool(tgt_is_causal),
                      memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """The encoder-decoder Transformer (Vaswani et al. 2017), as torch.nn.Transformer: a
    TransformerEncoder of `num_encoder_layers` layers and a TransformerDecoder of
    `num_decoder_layers`, each ending in a LayerNorm (or `custom_encoder` / `custom_decoder`).
    Every parameter with 2 or more dims is then re-drawn with xavier_uniform_, as torch does.

    forward(src, tgt, src_mask, tgt_mask, memory_mask, src_key_padding_mask,
    tgt_key_padding_mask, memory_key_padding_mask, ...): src (S, N, E), tgt (T, N, E) (batch
    first with `batch_first=True`) -> (T, N, E). It embeds nothing: give it embedded sequences.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
        ...                        dim_feedforward=16, batch_first=True)
        >>> src, tgt = minigrad.randn(3, 6, 8), minigrad.randn(3, 4, 8)
        >>> model(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4)).shape
        (3, 4, 8)
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6, num_decoder_layers: int = 6,
                 dim_feedforward: int = 2048, dropout: float = 0.1, activation="relu", custom_encoder=None,
                 custom_decoder=None, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        layer_kw = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                        layer_norm_eps=layer_norm_eps, batch_first=batch_first, norm_first=norm_first, bias=bias, **kw)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(d_model, nhead, **layer_kw), num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(d_model, nhead, **layer_kw), num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None, memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        b = 0 if self.batch_first else 1
        if src.ndim == 3 and tgt.ndim == 3 and src.shape[b] != tgt.shape[b]:
            raise dtypes.ShapeError(f"Transformer: src {src.shape} and tgt {tgt.shape} have different batch sizes "
                                    f"(dim {b}, batch_first={self.batch_first})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise dtypes.ShapeError(f"Transformer: src {src.shape} and tgt {tgt.shape} must have d_model={self.d_model} "
                                    "features in their last dim")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """The causal mask for a sequence of `sz`: a float (sz, sz) mask, 0 on and below the
        diagonal and -inf above it (position i may attend to 0..i), as torch.

        >>> from minigrad import nn
        >>> nn.Transformer.generate_square_subsequent_mask(3)
        tensor([[  0., -inf, -inf],
                [  0.,   0., -inf],
                [  0.,   0.,   0.]])
        """
        return full((sz, sz), float("-inf"), dtype=dtypes.float_or_default(dtype), device=device).triu(1)
