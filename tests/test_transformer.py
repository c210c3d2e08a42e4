"""nn.MultiheadAttention and the Transformer layers: PyTorch parity (float64, outputs, attention
weights and every gradient under random upstream gradients, with torch's state_dict copied in)
over the options grid, finite differences, dropout in train vs eval, float32 and devices, torch's
names/repr/state_dict/init, errors at the API boundary, and a short training run of a sequence
classifier whose losses equal torch's step for step.
(check_layer runs on every new layer in tests/test_check_layer.py.)"""

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.dtypes import DtypeError, ShapeError
from minigrad.testing import gradcheck

f64 = minigrad.float64
# torch's own deprecation and speed-path notices, about torch
pytestmark = [pytest.mark.filterwarnings("ignore:Support for mismatched"),
              pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")]

TOL = {"rtol": 1e-10, "atol": 1e-12}
E, H, N, L, S = 8, 2, 3, 4, 5  # embed dim, heads, batch, target length, source length


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def pair(cls_name, *args, **kwargs):
    """A float64 minigrad module and its torch twin holding the same weights (torch's, copied in,
    so our init is not what is tested here)."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = getattr(torch.nn, cls_name)(*args, dtype=torch.float64, **kwargs)
    ours = getattr(nn, cls_name)(*args, dtype=f64, **kwargs)
    ours.load_state_dict({k: minigrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def run_both(ours, theirs, arrays, masks, seed=1, **kw):
    """Call both modules on the float64 `arrays` (positional; the same array object is passed as
    the same tensor, for self-attention) and `masks` (keyword, numpy bool or float arrays), then
    backpropagate a random upstream gradient from every output Tensor; compare outputs and the
    gradients of every input and parameter."""
    import torch

    results = []
    for lib, module in ((minigrad, ours), (torch, theirs)):
        made = {}
        inputs = []
        for a in arrays:
            if id(a) not in made:
                made[id(a)] = lib.tensor(a, requires_grad=True)
            inputs.append(made[id(a)])
        out = module(*inputs, **{k: lib.tensor(m) for k, m in masks.items()}, **kw)
        outs = [o for o in (out if isinstance(out, tuple) else (out,)) if o is not None]
        loss = sum((o * lib.tensor(rnd(*o.shape, seed=seed + i))).sum() for i, o in enumerate(outs))
        loss.backward()
        grads = {f"input {i}": t.grad for i, t in enumerate(made.values())}
        grads.update({n: p.grad for n, p in module.named_parameters()})
        results.append(([o.detach().numpy() for o in outs], {n: g.numpy() for n, g in grads.items()}))
    (o_ours, g_ours), (o_theirs, g_theirs) = results
    assert len(o_ours) == len(o_theirs)
    for a, b in zip(o_ours, o_theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, **TOL)
    assert g_ours.keys() == g_theirs.keys()
    for name in g_theirs:
        np.testing.assert_allclose(g_ours[name], g_theirs[name], **TOL, err_msg=name)
    return o_ours


def causal(n, m=None):
    return np.triu(np.full((n, m or n), -np.inf), 1)


def padding(n, s, seed=0):
    """A (n, s) key padding mask, True = padding; every row keeps its first position."""
    m = np.random.default_rng(seed).random((n, s)) < 0.4
    m[:, 0] = False
    return m


# ***** MultiheadAttention *****

def _mha_masks(kind, Lq, Sk):
    if kind == "none":
        return {}, {}
    if kind == "causal":
        return {"attn_mask": causal(Lq, Sk)}, {"is_causal": True}
    if kind == "causal-bool":
        return {"attn_mask": np.isinf(causal(Lq, Sk))}, {}
    if kind == "padding":
        return {"key_padding_mask": padding(N, Sk)}, {}
    if kind == "padding+causal":
        return {"key_padding_mask": padding(N, Sk), "attn_mask": causal(Lq, Sk)}, {}
    if kind == "float":
        return {"attn_mask": rnd(Lq, Sk, seed=7)}, {}
    if kind == "float-padding":  # a float key padding mask with a bool 3-d attn_mask
        bool3 = np.random.default_rng(3).random((N * H, Lq, Sk)) < 0.3
        bool3[..., 0] = False
        return {"key_padding_mask": rnd(N, Sk, seed=8), "attn_mask": bool3}, {}
    raise ValueError(kind)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("mask", ["none", "causal", "causal-bool", "padding", "padding+causal", "float",
                                  "float-padding"])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("dims", ["self", "cross-kdim-vdim"])
def test_mha_matches_torch(batch_first, mask, need_weights, dims):
    if dims == "self":
        ours, theirs = pair("MultiheadAttention", E, H, batch_first=batch_first)
        x = rnd(N, L, E) if batch_first else rnd(L, N, E)
        arrays, Sk = (x, x, x), L
    else:
        ours, theirs = pair("MultiheadAttention", E, H, kdim=3, vdim=6, batch_first=batch_first)
        shape = (lambda t, e: (N, t, e)) if batch_first else (lambda t, e: (t, N, e))
        arrays, Sk = (rnd(*shape(L, E)), rnd(*shape(S, 3), seed=1), rnd(*shape(S, 6), seed=2)), S
    masks, kw = _mha_masks(mask, L, Sk)
    outs = run_both(ours, theirs, arrays, masks, need_weights=need_weights, **kw)
    assert len(outs) == (2 if need_weights else 1)
    assert outs[0].shape == arrays[0].shape
    if need_weights:
        assert outs[1].shape == (N, L, Sk)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_per_head_weights_bias_kv_zero_attn_and_no_bias_match_torch(need_weights):
    ours, theirs = pair("MultiheadAttention", E, H, bias=False, add_bias_kv=True, add_zero_attn=True)
    q, k = rnd(L, N, E), rnd(S, N, E, seed=1)
    masks = {"key_padding_mask": padding(N, S), "attn_mask": rnd(L, S, seed=2)}
    outs = run_both(ours, theirs, (q, k, k), masks, need_weights=need_weights, average_attn_weights=False)
    if need_weights:
        assert outs[1].shape == (N, H, L, S + 2)  # bias_k and the zero key are attended to as well


@pytest.mark.parametrize("average", [True, False])
def test_mha_unbatched_matches_torch(average):
    ours, theirs = pair("MultiheadAttention", E, H, kdim=3, vdim=3)
    q, k = rnd(L, E), rnd(S, 3, seed=1)
    bool3 = np.random.default_rng(3).random((H, L, S)) < 0.3
    bool3[..., 0] = False
    masks = {"key_padding_mask": padding(1, S)[0], "attn_mask": bool3}
    out, w = run_both(ours, theirs, (q, k, k), masks, average_attn_weights=average)
    assert out.shape == (L, E) and w.shape == ((L, S) if average else (H, L, S))


def test_mha_query_seeing_no_key_gives_torchs_nan_or_zeros():
    """A query whose keys are all padding: torch gives NaN with need_weights=True and zeros
    (then out_proj) with need_weights=False; so do we (documented in the docstring)."""
    torch = pytest.importorskip("torch")
    ours, theirs = pair("MultiheadAttention", E, H)
    x, kpm = rnd(L, N, E), padding(N, L)
    kpm[1] = True
    for need_weights in (True, False):
        with np.errstate(invalid="ignore"):
            o = ours(*[minigrad.tensor(x)] * 3, key_padding_mask=minigrad.tensor(kpm), need_weights=need_weights)
        t = theirs(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(kpm), need_weights=need_weights)
        np.testing.assert_allclose(o[0].numpy(), t[0].detach().numpy(), **TOL)
        assert np.isnan(o[0].numpy()[:, 1]).all() == need_weights
        if need_weights:
            np.testing.assert_allclose(o[1].numpy(), t[1].detach().numpy(), **TOL)


def test_mha_gradient_is_finite_differences():
    m = nn.MultiheadAttention(4, 2, kdim=3, dtype=f64)
    q = minigrad.tensor(rnd(2, 1, 4), requires_grad=True)
    k = minigrad.tensor(rnd(3, 1, 3, seed=1), requires_grad=True)
    v = minigrad.tensor(rnd(3, 1, 4, seed=2), requires_grad=True)
    mask = minigrad.tensor(rnd(2, 3, seed=3))
    gradcheck(lambda q, k, v: m(q, k, v, attn_mask=mask)[0], q, k, v)
    gradcheck(lambda q, k, v: m(q, k, v, attn_mask=mask, average_attn_weights=False)[1], q, k, v)
    gradcheck(lambda q, k, v: m(q, k, v, attn_mask=mask, need_weights=False)[0], q, k, v)


def test_mha_init_is_torchs():
    m = nn.MultiheadAttention(64, 4)
    bound = np.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ on the (3E, E) in_proj_weight
    w = m.in_proj_weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.97 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert not m.in_proj_bias.numpy().any() and not m.out_proj.bias.numpy().any()
    ow = m.out_proj.weight.numpy()  # Linear's default: U(-1/sqrt(E), 1/sqrt(E))
    assert np.abs(ow).max() <= 1 / 8 and np.abs(ow).max() > 0.97 / 8
    kv = nn.MultiheadAttention(64, 4, kdim=16, vdim=32, add_bias_kv=True)
    assert kv.in_proj_weight is None and kv.k_proj_weight.shape == (64, 16) and kv.v_proj_weight.shape == (64, 32)
    assert np.abs(kv.k_proj_weight.numpy()).max() <= np.sqrt(6 / 80)
    assert kv.bias_k.shape == (1, 1, 64) and 0 < kv.bias_k.numpy().std()  # xavier_normal_


# ***** the Transformer layers *****

def _layer_masks(kind, n):
    if kind == "none":
        return {}, {}
    if kind == "causal":
        return {"src_mask": causal(n)}, {"is_causal": True}
    if kind == "padding":
        return {"src_key_padding_mask": padding(N, n)}, {}
    if kind == "float":
        return {"src_mask": rnd(n, n, seed=5)}, {}
    raise ValueError(kind)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("mask", ["none", "causal", "padding", "float"])
def test_encoder_layer_matches_torch(batch_first, norm_first, activation, mask):
    ours, theirs = pair("TransformerEncoderLayer", E, H, dim_feedforward=16, dropout=0.0, activation=activation,
                        batch_first=batch_first, norm_first=norm_first)
    masks, kw = _layer_masks(mask, L)
    run_both(ours, theirs, (rnd(N, L, E) if batch_first else rnd(L, N, E),), masks, **kw)


def test_encoder_layer_callable_activation_and_no_bias_match_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.TransformerEncoderLayer(E, H, 16, dropout=0.0, activation=torch.nn.GELU("tanh"), bias=False,
                                              dtype=torch.float64)
    ours = nn.TransformerEncoderLayer(E, H, 16, dropout=0.0, activation=nn.GELU("tanh"), bias=False, dtype=f64)
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    ours.load_state_dict({k: minigrad.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    run_both(ours, theirs, (rnd(L, N, E),), {"src_key_padding_mask": padding(N, L)})
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]  # activation last


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_layer_matches_torch(norm_first, batch_first):
    ours, theirs = pair("TransformerDecoderLayer", E, H, dim_feedforward=16, dropout=0.0, norm_first=norm_first,
                        batch_first=batch_first, activation="gelu")
    tgt, mem = (rnd(N, L, E), rnd(N, S, E, seed=1)) if batch_first else (rnd(L, N, E), rnd(S, N, E, seed=1))
    masks = {"tgt_mask": causal(L), "memory_key_padding_mask": padding(N, S), "tgt_key_padding_mask": padding(N, L, 1),
             "memory_mask": rnd(L, S, seed=4)}
    run_both(ours, theirs, (tgt, mem), masks, tgt_is_causal=True)


@pytest.mark.parametrize("with_norm", [False, True])
def test_encoder_and_decoder_stacks_match_torch(with_norm):
    torch = pytest.importorskip("torch")
    for ours_cls, theirs_cls, args in ((nn.TransformerEncoderLayer, torch.nn.TransformerEncoderLayer, ()),
                                       (nn.TransformerDecoderLayer, torch.nn.TransformerDecoderLayer, ())):
        kw = dict(dim_feedforward=16, dropout=0.0, batch_first=True)
        is_enc = ours_cls is nn.TransformerEncoderLayer
        stack_t = (torch.nn.TransformerEncoder if is_enc else torch.nn.TransformerDecoder)(
            theirs_cls(E, H, dtype=torch.float64, **kw), 2,
            torch.nn.LayerNorm(E, dtype=torch.float64) if with_norm else None, **({"enable_nested_tensor": False}
                                                                                   if is_enc else {}))
        stack_o = (nn.TransformerEncoder if is_enc else nn.TransformerDecoder)(
            ours_cls(E, H, dtype=f64, **kw), 2, nn.LayerNorm(E, dtype=f64) if with_norm else None)
        assert list(stack_o.state_dict()) == list(stack_t.state_dict())
        stack_o.load_state_dict({k: minigrad.tensor(v.numpy()) for k, v in stack_t.state_dict().items()})
        x = rnd(N, L, E)
        if is_enc:
            run_both(stack_o, stack_t, (x,), {"mask": causal(L), "src_key_padding_mask": padding(N, L)})
        else:
            run_both(stack_o, stack_t, (x, rnd(N, S, E, seed=1)), {"tgt_mask": causal(L)})


def test_encoder_layers_are_independent_copies():
    layer = nn.TransformerEncoderLayer(E, H, 16)
    enc = nn.TransformerEncoder(layer, 3)
    w = [m.linear1.weight for m in enc.layers] + [layer.linear1.weight]
    assert len({id(t) for t in w}) == 4
    assert all(np.array_equal(t.numpy(), layer.linear1.weight.numpy()) for t in w)  # copies, not re-drawn
    enc.layers[0].linear1.weight.data.fill_(0.0)
    assert enc.layers[1].linear1.weight.numpy().any() and layer.linear1.weight.numpy().any()


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(batch_first):
    ours, theirs = pair("Transformer", d_model=E, nhead=H, num_encoder_layers=2, num_decoder_layers=1,
                        dim_feedforward=16, dropout=0.0, batch_first=batch_first, norm_first=batch_first)
    src, tgt = (rnd(N, S, E), rnd(N, L, E, seed=1)) if batch_first else (rnd(S, N, E), rnd(L, N, E, seed=1))
    masks = {"tgt_mask": causal(L), "src_key_padding_mask": padding(N, S), "memory_key_padding_mask": padding(N, S)}
    out, = run_both(ours, theirs, (src, tgt), masks)
    assert out.shape == tgt.shape


def test_transformer_init_and_custom_parts():
    t = nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=48)
    w = t.encoder.layers[0].linear1.weight.numpy()  # xavier_uniform_ on every matrix, as torch
    bound = np.sqrt(6 / (16 + 48))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    ow = t.decoder.layers[0].multihead_attn.out_proj.weight.numpy()
    assert np.abs(ow).max() <= np.sqrt(6 / 32) and np.abs(ow).max() > 1 / 4  # beyond Linear's 1/sqrt(16)
    assert t.encoder.norm.weight.numpy().tolist() == [1.0] * 16  # 1-d parameters keep their init
    custom = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32), 1)
    t2 = nn.Transformer(d_model=16, nhead=2, custom_encoder=custom, num_decoder_layers=1, dim_feedforward=32)
    assert t2.encoder is custom and len(t2.decoder.layers) == 1


def test_generate_square_subsequent_mask_is_torchs():
    torch = pytest.importorskip("torch")
    m = nn.Transformer.generate_square_subsequent_mask(5)
    assert m.dtype == minigrad.float32 and m.shape == (5, 5)
    np.testing.assert_array_equal(m.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(5).numpy())
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=f64).dtype == f64


# ***** dropout, dtypes, devices *****

def test_dropout_applies_in_train_only():
    layer = nn.TransformerEncoderLayer(E, H, 16, dropout=0.3, dtype=f64)
    twin = nn.TransformerEncoderLayer(E, H, 16, dropout=0.0, dtype=f64)
    twin.load_state_dict(layer.state_dict())
    x = minigrad.tensor(rnd(L, N, E))
    a, b = layer(x), layer(x)
    assert not np.allclose(a.numpy(), b.numpy())  # fresh masks
    assert not np.allclose(a.numpy(), twin(x).numpy())
    layer.eval()
    np.testing.assert_allclose(layer(x).numpy(), twin(x).numpy(), **TOL)
    np.testing.assert_array_equal(layer(x).numpy(), layer(x).numpy())

    mha = nn.MultiheadAttention(E, H, dropout=0.5, dtype=f64)
    _, w = mha(x, x, x)  # torch returns the weights after dropout: rows no longer sum to 1
    assert not np.allclose(w.numpy().sum(-1), 1.0)
    assert (w.numpy() == 0).any()
    _, w = mha.eval()(x, x, x)
    np.testing.assert_allclose(w.numpy().sum(-1), 1.0, **TOL)
    minigrad.manual_seed(3)
    o1 = mha.train()(x, x, x, need_weights=False)[0]
    minigrad.manual_seed(3)
    np.testing.assert_array_equal(o1.numpy(), mha(x, x, x, need_weights=False)[0].numpy())


def test_float32_stays_float32():
    t = nn.Transformer(d_model=E, nhead=H, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)
    src, tgt = minigrad.randn(S, N, E, requires_grad=True), minigrad.randn(L, N, E, requires_grad=True)
    mask64 = minigrad.tensor(causal(L))  # a float64 mask does not promote the float32 scores
    pad = minigrad.tensor(rnd(N, S))
    out = t(src, tgt, tgt_mask=mask64, memory_key_padding_mask=pad, src_key_padding_mask=pad)
    assert out.dtype == minigrad.float32
    out.sum().backward()
    assert src.grad.dtype == tgt.grad.dtype == minigrad.float32
    assert all(p.grad.dtype == minigrad.float32 for p in t.parameters())
    mha = nn.MultiheadAttention(E, H)
    o, w = mha(tgt, src, src, attn_mask=minigrad.tensor(rnd(L, S)))
    assert o.dtype == w.dtype == minigrad.float32


def test_runs_on_every_device(device):
    model = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, 16, dropout=0.0, batch_first=True), 2)
    mha = nn.MultiheadAttention(E, H, kdim=3, vdim=5, add_bias_kv=True, add_zero_attn=True)
    x, k, v = minigrad.randn(N, L, E), minigrad.randn(S, N, 3), minigrad.randn(S, N, 5)
    mask, pad = nn.Transformer.generate_square_subsequent_mask(L), minigrad.tensor(padding(N, L))
    cpu_out = model(x, mask=mask, src_key_padding_mask=pad)
    cpu_mha = mha(x.transpose(0, 1), k, v, key_padding_mask=minigrad.tensor(padding(N, S)))
    model.to(device), mha.to(device)
    xd = x.to(device).requires_grad_()
    out = model(xd, mask=mask.to(device), src_key_padding_mask=pad.to(device))
    out.sum().backward()
    assert out.device == xd.grad.device == device and out.dtype == xd.grad.dtype == minigrad.float32
    assert all(p.grad.device == device for p in model.parameters())
    np.testing.assert_allclose(out.cpu().numpy(), cpu_out.numpy(), rtol=1e-5, atol=1e-6)
    o, w = mha(xd.transpose(0, 1), k.to(device), v.to(device), key_padding_mask=minigrad.tensor(padding(N, S)).to(device))
    np.testing.assert_allclose(o.cpu().numpy(), cpu_mha[0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w.cpu().numpy(), cpu_mha[1].numpy(), rtol=1e-5, atol=1e-6)
    if device != "cpu":  # a mask or an input left on the CPU is named at the boundary
        with pytest.raises(TypeError, match="key_padding_mask is on .*cpu.* move it"):
            mha(xd.transpose(0, 1), k.to(device), v.to(device), key_padding_mask=minigrad.tensor(padding(N, S)))
        with pytest.raises(TypeError, match="one device"):
            mha(x.transpose(0, 1), k, v)


# ***** names, repr, state_dict *****

@pytest.mark.parametrize("kw", [{}, {"kdim": 3, "vdim": 5}, {"bias": False, "add_bias_kv": True}])
def test_mha_repr_and_state_dict_are_torchs(kw):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.MultiheadAttention(E, H, **kw), torch.nn.MultiheadAttention(E, H, **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
           {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    for name in ("embed_dim", "kdim", "vdim", "num_heads", "head_dim", "dropout", "batch_first", "_qkv_same_embed_dim"):
        assert getattr(ours, name) == getattr(theirs, name), name


def test_transformer_names_and_state_dict_are_torchs():
    torch = pytest.importorskip("torch")
    kw = dict(d_model=E, nhead=H, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16)
    ours, theirs = nn.Transformer(**kw), torch.nn.Transformer(**kw)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
           {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(theirs.state_dict())
    # every submodule under torch's name and class name (the lines of the repr; LayerNorm's and
    # Dropout's own extra_repr belong to those layers)
    assert [(n, type(m).__name__) for n, m in ours.named_modules()] == \
           [(n, type(m).__name__) for n, m in theirs.named_modules()]
    assert (ours.d_model, ours.nhead, ours.batch_first) == (theirs.d_model, theirs.nhead, theirs.batch_first)
    assert ours.encoder.num_layers == 2 and ours.encoder.layers[1].norm_first is False


# ***** errors *****

def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"embed_dim=10 must be divisible by num_heads=4"):
        nn.MultiheadAttention(10, 4)
    with pytest.raises(ValueError, match="greater than 0"):
        nn.MultiheadAttention(8, 0)
    with pytest.raises(RuntimeError, match="relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    m = nn.MultiheadAttention(E, H)
    x = minigrad.randn(L, N, E)
    with pytest.raises(ShapeError, match=r"key_padding_mask of shape \(4, 4\).*expected \(3, 4\)"):
        m(x, x, x, key_padding_mask=minigrad.zeros(L, L, dtype=minigrad.bool))
    with pytest.raises(ShapeError, match=r"attn_mask of shape \(4, 5\).*expected \(4, 4\) or \(6, 4, 4\)"):
        m(x, x, x, attn_mask=minigrad.zeros(4, 5))
    with pytest.raises(ShapeError, match=r"attn_mask of shape \(2, 4, 4\).*\(6, 4, 4\)"):
        m(x, x, x, attn_mask=minigrad.zeros(2, 4, 4))
    with pytest.raises(DtypeError, match="attn_mask must be bool .* or float .*int64"):
        m(x, x, x, attn_mask=minigrad.zeros(4, 4, dtype=minigrad.int64))
    with pytest.raises(RuntimeError, match="is_causal=True .* needs the attn_mask"):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="needs the attn_mask"):
        nn.TransformerEncoderLayer(E, H, 16)(x, is_causal=True)
    with pytest.raises(ShapeError, match=r"query of shape \(4, 3, 6\) has 6 features .* expected 8"):
        m(minigrad.randn(L, N, 6), x, x)
    with pytest.raises(ShapeError, match=r"all be 3-D .*or all 2-D"):
        m(x, x[0], x[0])
    with pytest.raises(ShapeError, match=r"different batch sizes"):
        m(x, x[:, :2], x[:, :2])
    with pytest.raises(DtypeError, match="float32.*float64"):
        m(x, x.double(), x)
    t = nn.Transformer(E, H, 1, 1, 16)
    with pytest.raises(ShapeError, match=r"src \(5, 3, 8\) and tgt \(4, 2, 8\) have different batch sizes"):
        t(minigrad.randn(S, N, E), minigrad.randn(L, 2, E))
    with pytest.raises(ShapeError, match="d_model=8"):
        t(minigrad.randn(S, N, 6), minigrad.randn(L, N, 6))


# ***** end to end *****

def test_sequence_classifier_trains_like_torch():
    """A 2-layer TransformerEncoder sequence classifier (embedding, padding mask, mean over the
    sequence, linear head), a few Adam steps from torch's weights: the same losses step for step."""
    torch = pytest.importorskip("torch")
    vocab, n_cls, seq = 11, 3, 6
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, vocab, (8, seq))
    tokens[:4, 4:] = 0  # padding
    labels = rng.integers(0, n_cls, 8)

    def build(lib, dtype):
        class Classifier(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = lib.nn.Embedding(vocab, E, dtype=dtype)
                layer = lib.nn.TransformerEncoderLayer(E, H, 16, dropout=0.0, batch_first=True, dtype=dtype)
                self.encoder = lib.nn.TransformerEncoder(layer, 2, **({"enable_nested_tensor": False}
                                                                      if lib is torch else {}))
                self.head = lib.nn.Linear(E, n_cls, dtype=dtype)

            def forward(self, tok):
                pad = tok == 0
                h = self.encoder(self.embed(tok), src_key_padding_mask=pad)
                return self.head(h.mean(1))
        return Classifier()

    torch.manual_seed(0)
    theirs, ours = build(torch, torch.float64), build(minigrad, f64)
    ours.load_state_dict({k: minigrad.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    losses = []
    for lib, model in ((minigrad, ours), (torch, theirs)):
        opt = lib.optim.Adam(model.parameters(), lr=1e-2)
        tok, y = lib.tensor(tokens), lib.tensor(labels)
        run = []
        for _ in range(5):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(tok), y)
            loss.backward()
            opt.step()
            run.append(loss.item())
        losses.append(run)
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-9)
    assert losses[0][-1] < losses[0][0]
