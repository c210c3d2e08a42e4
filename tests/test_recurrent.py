"""nn.RNN / nn.LSTM / nn.GRU and their cells: PyTorch parity (float64, outputs, final states and
every gradient under random upstream gradients) over the options grid, finite differences, double
backward, dropout between layers, float32 and devices, torch's names/repr/state_dict, errors at
the API boundary, and a short training run whose losses equal torch's step for step.
(check_layer runs on all six layers in tests/test_check_layer.py.)"""

import itertools
import re
import warnings

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn, optim
from minigrad.dtypes import DtypeError, ShapeError
from minigrad.nn import recurrent
from minigrad.testing import gradcheck, gradgradcheck

f64 = minigrad.float64
TOL = {"rtol": 1e-10, "atol": 1e-12}
IN, HID, L, N = 3, 4, 5, 2


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def T(a, requires_grad=False, device="cpu"):
    return minigrad.tensor(a, dtype=f64, requires_grad=requires_grad, device=device)


# the layers and their torch twins: (name, minigrad constructor, torch constructor name, extra kwargs)
LAYERS = [("RNN_tanh", "RNN", {}), ("RNN_relu", "RNN", {"nonlinearity": "relu"}), ("LSTM", "LSTM", {}),
          ("GRU", "GRU", {})]
CELLS = [("RNNCell_tanh", "RNNCell", {}), ("RNNCell_relu", "RNNCell", {"nonlinearity": "relu"}),
         ("LSTMCell", "LSTMCell", {}), ("GRUCell", "GRUCell", {})]


def make_pair(cls_name, kwargs):
    """A float64 minigrad module with its own init, and the torch module with the same weights."""
    torch = pytest.importorskip("torch")
    ours = getattr(nn, cls_name)(dtype=f64, **kwargs)
    theirs = getattr(torch.nn, cls_name)(dtype=torch.float64, **kwargs)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    return ours, theirs


def run_both(ours, theirs, x, hx, seed):
    """Forward both on x (and hx: an array, a tuple of arrays or None), backpropagate a random
    upstream gradient from the output and from every final state, compare everything."""
    import torch

    is_lstm = isinstance(ours, (nn.LSTM, nn.LSTMCell))
    xo, xt = T(x, True), torch.tensor(x, requires_grad=True)
    hs = () if hx is None else (hx if isinstance(hx, tuple) else (hx,))
    ho = [T(h, True) for h in hs]
    ht = [torch.tensor(h, requires_grad=True) for h in hs]
    pack = (lambda hs: None if not hs else (tuple(hs) if is_lstm else hs[0]))
    yo, yt = ours(xo, pack(ho)), theirs(xt, pack(ht))
    # flatten (output, h_n) / (output, (h_n, c_n)) / h' / (h', c') into a list of tensors
    flat = lambda y: [y] if not isinstance(y, tuple) else [u for v in y for u in flat(v)]
    yo, yt = flat(yo), flat(yt)
    assert len(yo) == len(yt)
    lo, lt = 0, 0
    for k, (a, b) in enumerate(zip(yo, yt)):
        assert a.shape == tuple(b.shape), f"output {k}: {a.shape} vs {tuple(b.shape)}"
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), **TOL, err_msg=f"output {k}")
        G = rnd(*a.shape, seed=seed + 1 + k)
        lo, lt = lo + (a * T(G)).sum(), lt + (b * torch.tensor(G)).sum()
    lo.backward()
    lt.backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), **TOL, err_msg="input grad")
    for k, (a, b) in enumerate(zip(ho, ht)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **TOL, err_msg=f"hx[{k}] grad")
    tp = dict(theirs.named_parameters())
    assert list(dict(ours.named_parameters())) == list(tp)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), **TOL, err_msg=f"{name}.grad")


# ***** PyTorch parity over the grid *****

GRID = [(layers, bidir, bias, with_hx, layout)
        for layers, bidir, bias, with_hx in itertools.product((1, 2), (False, True), (True, False), (False, True))
        for layout in ("seq_first", "batch_first", "unbatched", "unbatched_batch_first")]


@pytest.mark.parametrize("layers,bidir,bias,with_hx,layout", GRID)
@pytest.mark.parametrize("name,cls_name,extra", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(name, cls_name, extra, layers, bidir, bias, with_hx, layout):
    batch_first = layout.endswith("batch_first")  # torch ignores it for unbatched input
    ours, theirs = make_pair(cls_name, {"input_size": IN, "hidden_size": HID, "num_layers": layers, "bias": bias,
                                        "batch_first": batch_first, "bidirectional": bidir, **extra})
    D = 2 if bidir else 1
    unbatched = layout.startswith("unbatched")
    x = rnd(L, IN) if unbatched else rnd(N, L, IN) if batch_first else rnd(L, N, IN)
    h_shape = (layers * D, HID) if unbatched else (layers * D, N, HID)
    hx = None
    if with_hx:
        hx = (rnd(*h_shape, seed=7), rnd(*h_shape, seed=8)) if cls_name == "LSTM" else rnd(*h_shape, seed=7)
    run_both(ours, theirs, x, hx, seed=10)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("name,cls_name,extra", CELLS, ids=[c[0] for c in CELLS])
def test_cell_matches_torch(name, cls_name, extra, bias, with_hx, batched):
    ours, theirs = make_pair(cls_name, {"input_size": IN, "hidden_size": HID, "bias": bias, **extra})
    x = rnd(N, IN) if batched else rnd(IN)
    h_shape = (N, HID) if batched else (HID,)
    hx = None
    if with_hx:
        hx = (rnd(*h_shape, seed=7), rnd(*h_shape, seed=8)) if cls_name == "LSTMCell" else rnd(*h_shape, seed=7)
    run_both(ours, theirs, x, hx, seed=20)


def test_a_cell_stepped_by_hand_equals_the_layer():
    """The layer is its cell looped over time: the same weights give the same states (no torch needed)."""
    lstm = nn.LSTM(IN, HID, dtype=f64)
    cell = nn.LSTMCell(IN, HID, dtype=f64)
    cell.load_state_dict({k[:-3]: v for k, v in lstm.state_dict().items()})  # weight_ih_l0 -> weight_ih
    x = T(rnd(L, N, IN))
    out, (h_n, c_n) = lstm(x)
    h = c = T(np.zeros((N, HID)))
    for t in range(L):
        h, c = cell(x[t], (h, c))
        np.testing.assert_allclose(out[t].numpy(), h.numpy(), **TOL)
    np.testing.assert_allclose(h_n[0].numpy(), h.numpy(), **TOL)
    np.testing.assert_allclose(c_n[0].numpy(), c.numpy(), **TOL)


def test_the_reverse_direction_reads_the_sequence_backwards():
    """Without torch: a bidirectional layer's reverse half equals a one-way layer with the
    reverse weights run on the flipped sequence, flipped back."""
    bi = nn.GRU(IN, HID, bidirectional=True, dtype=f64)
    one = nn.GRU(IN, HID, dtype=f64)
    one.load_state_dict({k.replace("_reverse", ""): v for k, v in bi.state_dict().items() if "_reverse" in k})
    x = T(rnd(L, N, IN))
    out, h_n = bi(x)
    out1, h1 = one(x.flip(0))
    np.testing.assert_allclose(out[:, :, HID:].numpy(), out1.flip(0).numpy(), **TOL)
    np.testing.assert_allclose(h_n[1].numpy(), h1[0].numpy(), **TOL)


# ***** finite differences *****


@pytest.mark.parametrize("cls_name,extra", [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}),
                                            ("GRU", {})])
def test_layer_gradcheck(cls_name, extra):
    m = getattr(nn, cls_name)(2, 3, num_layers=2, bidirectional=True, dtype=f64, **extra)
    x = T(rnd(3, 2, 2), True)
    h0 = T(rnd(4, 2, 3, seed=1) * 0.5, True)
    c0 = T(rnd(4, 2, 3, seed=2) * 0.5, True)

    def fn(x, h0, c0):
        out, h = m(x, (h0, c0) if cls_name == "LSTM" else h0)
        states = h if isinstance(h, tuple) else (h,)
        return minigrad.cat([out.flatten()] + [s.flatten() for s in states])

    assert gradcheck(fn, x, h0, c0)


@pytest.mark.parametrize("step,n_gates,n_state", [(recurrent.rnn_tanh_step, 1, 1), (recurrent.rnn_relu_step, 1, 1),
                                                  (recurrent.lstm_step, 4, 2), (recurrent.gru_step, 3, 1)])
def test_step_gradcheck_over_the_weights(step, n_gates, n_state):
    """The gate equations, differentiated by finite differences in every argument, weights included."""
    G = n_gates * 3
    gi, w_hh, b_hh = T(rnd(2, G, seed=5), True), T(rnd(G, 3, seed=1), True), T(rnd(G, seed=2), True)
    state = [T(rnd(2, 3, seed=3 + k), True) for k in range(n_state)]
    pre = (gi + state[0] @ w_hh.T + b_hh).numpy()
    assert (pre > 0).any() and (pre < 0).any()  # relu's both sides are checked
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a vacuous (all-zero) check fails
        assert gradcheck(lambda gi, w, b, *s: minigrad.cat([u.flatten() for u in step(gi, tuple(s), w, b)]),
                         gi, w_hh, b_hh, *state)


@pytest.mark.parametrize("cls_name", ["LSTM", "GRU"])
def test_double_backward(cls_name):
    """Composed from differentiable ops, so backward(create_graph=True) works through time."""
    m = getattr(nn, cls_name)(2, 2, dtype=f64)
    x = T(rnd(2, 1, 2), True)
    assert gradgradcheck(lambda x: m(x)[0], x)


# ***** dropout between layers *****


def test_dropout_acts_between_layers_in_training_only():
    lstm = nn.LSTM(IN, HID, num_layers=2, dropout=0.5, dtype=f64)
    x = T(rnd(L, N, IN))
    eval_out = lstm.eval()(x)[0].numpy()
    np.testing.assert_array_equal(lstm(x)[0].numpy(), eval_out)  # eval: deterministic
    lstm.train()
    a, (h_a, c_a) = lstm(x)
    b = lstm(x)[0]
    assert a.shape == (L, N, HID) and h_a.shape == c_a.shape == (2, N, HID)
    assert not np.allclose(a.numpy(), b.numpy())  # a fresh mask each forward
    assert not np.allclose(a.numpy(), eval_out)
    # the first layer sees no dropout: its final state is the same in training and in eval
    np.testing.assert_allclose(h_a[0].numpy(), lstm.eval()(x)[1][0][0].numpy(), **TOL)


def test_dropout_one_zeroes_the_second_layers_input():
    """dropout=1 drops every input of layer 2 in training: the output is then layer 2 run on
    zeros, the same in torch (deterministic, so comparable)."""
    ours, theirs = make_pair("GRU", {"input_size": IN, "hidden_size": HID, "num_layers": 2, "dropout": 1.0})
    ours.train(), theirs.train()
    run_both(ours, theirs, rnd(L, N, IN), None, seed=30)
    second = nn.GRU(HID, HID, dtype=f64)
    second.load_state_dict({k.replace("l1", "l0"): v for k, v in ours.state_dict().items() if "_l1" in k})
    np.testing.assert_allclose(ours(T(rnd(L, N, IN)))[0].numpy(), second(T(np.zeros((L, N, HID))))[0].numpy(), **TOL)


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.GRU(IN, HID, dropout=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.GRU(IN, HID, num_layers=2, dropout=0.2)


# ***** dtype and devices *****


@pytest.mark.parametrize("cls_name", ["RNN", "LSTM", "GRU"])
def test_float32_stays_float32_on_every_device(cls_name, device):
    m = getattr(nn, cls_name)(IN, HID, num_layers=2, bidirectional=True).to(device)
    x = minigrad.randn(L, N, IN, device=device, requires_grad=True)
    out, h = m(x)
    h_n = h[0] if cls_name == "LSTM" else h
    (out.sum() + (h_n * 2).sum()).backward()
    assert out.dtype == h_n.dtype == x.grad.dtype == minigrad.float32
    assert out.device == h_n.device == x.grad.device == device
    for name, p in m.named_parameters():
        assert p.grad.dtype == minigrad.float32 and p.grad.device == device, name


@pytest.mark.parametrize("cls_name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_float32_on_every_device(cls_name, device):
    cell = getattr(nn, cls_name)(IN, HID).to(device)
    x = minigrad.randn(N, IN, device=device, requires_grad=True)
    y = cell(x)
    h = y[0] if isinstance(y, tuple) else y
    h.sum().backward()
    assert h.dtype == x.grad.dtype == cell.weight_hh.grad.dtype == minigrad.float32
    assert h.device == x.grad.device == device


def test_the_device_and_dtype_arguments(device):
    m = nn.LSTM(IN, HID, device=device, dtype=f64)
    assert all(p.device == device and p.dtype == f64 for p in m.parameters())


# ***** names, shapes, init, repr as torch *****


@pytest.mark.parametrize("kwargs", [{}, {"num_layers": 2, "bidirectional": True}, {"bias": False, "num_layers": 3}])
@pytest.mark.parametrize("cls_name", ["RNN", "LSTM", "GRU"])
def test_state_dict_keys_and_shapes_as_torch(cls_name, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, cls_name)(IN, HID, **kwargs), getattr(torch.nn, cls_name)(IN, HID, **kwargs)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert [[tuple(p.shape) for p in w] for w in ours.all_weights] == \
           [[tuple(p.shape) for p in w] for w in theirs.all_weights]


def test_parameter_names_and_gate_shapes():
    """Literal torch names and shapes (checked without torch): gates stacked along the rows."""
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    shapes = {k: p.shape for k, p in lstm.named_parameters()}
    assert shapes["weight_ih_l0"] == (20, 3) and shapes["weight_hh_l0_reverse"] == (20, 5)
    assert shapes["weight_ih_l1"] == (20, 10) and shapes["bias_hh_l1_reverse"] == (20,)
    assert len(shapes) == 16
    assert [k for k, _ in nn.GRUCell(3, 5).named_parameters()] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert nn.GRUCell(3, 5, bias=False).bias_ih is None
    assert nn.RNN(3, 5, bias=False).all_weights[0][1].shape == (5, 5)


@pytest.mark.parametrize("cls_name", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_default_init_is_uniform_1_over_sqrt_hidden(cls_name):
    m = getattr(nn, cls_name)(30, 100)
    bound = 1 / np.sqrt(100)
    values = np.concatenate([p.numpy().ravel() for p in m.parameters()])
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.99 * bound  # spread over the whole interval, not a smaller one
    assert abs(values.mean()) < 0.01 * bound * 10 and abs(values.std() - bound / np.sqrt(3)) < 0.01 * bound


@pytest.mark.parametrize("cls_name,args,kwargs", [
    ("RNN", (3, 4), {}), ("RNN", (3, 4, 2, "relu"), {}),
    ("LSTM", (3, 4), {"num_layers": 2, "bias": False, "batch_first": True, "dropout": 0.5, "bidirectional": True}),
    ("GRU", (3, 4), {"dropout": 0.0}), ("RNNCell", (3, 4), {"bias": False, "nonlinearity": "relu"}),
    ("LSTMCell", (3, 4), {}), ("GRUCell", (3, 4), {"bias": False})])
def test_repr_as_torch(cls_name, args, kwargs):
    torch = pytest.importorskip("torch")
    assert repr(getattr(nn, cls_name)(*args, **kwargs)) == repr(getattr(torch.nn, cls_name)(*args, **kwargs))


def test_repr_literal():
    assert repr(nn.LSTM(3, 4, 2, batch_first=True)) == "LSTM(3, 4, num_layers=2, batch_first=True)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"


def test_positional_arguments_as_torch():
    rnn = nn.RNN(3, 4, 2, "relu", False, True)  # torch: input, hidden, num_layers, nonlinearity, bias, batch_first
    assert (rnn.num_layers, rnn.nonlinearity, rnn.bias, rnn.batch_first) == (2, "relu", False, True)
    lstm = nn.LSTM(3, 4, 2, False, True, 0.0, True)
    assert (lstm.bias, lstm.batch_first, lstm.bidirectional) == (False, True, True)
    assert isinstance(lstm, nn.RNNBase) and isinstance(nn.GRUCell(3, 4), nn.RNNCellBase)


def test_flatten_parameters_is_accepted():
    lstm = nn.LSTM(3, 4)
    before = [p.numpy().copy() for p in lstm.parameters()]
    assert lstm.flatten_parameters() is None
    assert all(np.array_equal(a, p.numpy()) for a, p in zip(before, lstm.parameters()))


# ***** errors at the API boundary *****


def test_wrong_input_size_names_the_shapes():
    with pytest.raises(ShapeError, match=r"\(5, 2, 7\).*input_size=3"):
        nn.LSTM(3, 4)(minigrad.randn(5, 2, 7))
    with pytest.raises(RuntimeError, match="input_size=3"):  # torch raises RuntimeError: ported excepts work
        nn.GRUCell(3, 4)(minigrad.randn(2, 7))


@pytest.mark.parametrize("cls_name,bad", [("RNN", (1, 3, 4)), ("GRU", (2, 2, 4)), ("RNN", (1, 2, 5)), ("GRU", (2, 4))])
def test_wrong_hx_shape_names_expected_and_actual(cls_name, bad):
    m = getattr(nn, cls_name)(3, 4)
    with pytest.raises(ShapeError, match=re.escape("(1, 2, 4)") + ".*" + re.escape(str(bad))):
        m(minigrad.randn(5, 2, 3), minigrad.randn(*bad))


def test_lstm_hx_errors():
    lstm = nn.LSTM(3, 4)
    x = minigrad.randn(5, 2, 3)
    with pytest.raises(TypeError, match="tuple"):
        lstm(x, minigrad.zeros(1, 2, 4))
    with pytest.raises(ShapeError, match=r"\(1, 2, 4\)"):
        lstm(x, (minigrad.zeros(1, 2, 4), minigrad.zeros(1, 3, 4)))
    with pytest.raises(ShapeError, match="unbatched"):  # unbatched input wants 2-D states
        lstm(minigrad.randn(5, 3), (minigrad.zeros(1, 2, 4), minigrad.zeros(1, 2, 4)))


def test_input_dims_dtype_device_and_length():
    gru = nn.GRU(3, 4)
    with pytest.raises(ShapeError, match=r"2-D \(unbatched\) or 3-D.*\(1, 5, 2, 3\)"):
        gru(minigrad.randn(1, 5, 2, 3))
    with pytest.raises(DtypeError, match="float64.*float32"):
        gru(minigrad.randn(5, 2, 3, dtype=f64))
    with pytest.raises(DtypeError, match="initial state is float64"):
        gru(minigrad.randn(5, 2, 3), minigrad.zeros(1, 2, 4, dtype=f64))
    with pytest.raises(TypeError, match="strict"):
        gru(minigrad.randn(5, 2, 3, device="strict"))
    with pytest.raises(TypeError, match="strict"):
        gru(minigrad.randn(5, 2, 3), minigrad.zeros(1, 2, 4, device="strict"))
    with pytest.raises(ShapeError, match="sequence length of 0"):
        gru(minigrad.randn(0, 2, 3))
    with pytest.raises(TypeError, match="Tensor"):
        gru(np.zeros((5, 2, 3), dtype=np.float32))


def test_constructor_errors():
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="gelu")
    for bad in (-0.1, 1.5, True):
        with pytest.raises(ValueError, match="dropout"):
            nn.GRU(3, 4, num_layers=2, dropout=bad)
    with pytest.raises(ValueError, match="hidden_size"):
        nn.LSTM(3, 0)
    with pytest.raises(ValueError, match="num_layers"):
        nn.LSTM(3, 4, num_layers=0)
    with pytest.raises(TypeError, match="input_size"):
        nn.GRUCell(3.0, 4)


def test_a_failed_call_leaves_the_state_untouched():
    lstm = nn.LSTM(3, 4)
    h0, c0 = minigrad.randn(1, 2, 4), minigrad.randn(1, 2, 4)
    before = [t.numpy().copy() for t in (h0, c0, *lstm.parameters())]
    with pytest.raises(ShapeError):
        lstm(minigrad.randn(5, 3, 3), (h0, c0))
    assert all(np.array_equal(a, t.numpy()) for a, t in zip(before, (h0, c0, *lstm.parameters())))
    assert all(p.grad is None for p in lstm.parameters())


# ***** training: a tiny char-level model, step for step as torch *****

TEXT = "hello minigrad, hello torch. "


def build_char_model(nn, dtype):
    class CharLSTM(nn.Module):
        def __init__(self, vocab):
            super().__init__()
            self.emb = nn.Embedding(vocab, 6, dtype=dtype)
            self.lstm = nn.LSTM(6, 12, num_layers=2, batch_first=True, dtype=dtype)
            self.head = nn.Linear(12, vocab, dtype=dtype)

        def forward(self, idx):
            out, _ = self.lstm(self.emb(idx))
            return self.head(out)

    return CharLSTM


def char_batches(steps, batch=4, seq=10, seed=0):
    vocab = sorted(set(TEXT))
    ids = np.array([vocab.index(c) for c in TEXT * 3])
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        starts = rng.integers(0, len(TEXT), size=batch)
        chunk = np.stack([ids[s:s + seq + 1] for s in starts])
        yield chunk[:, :-1], chunk[:, 1:]


def test_char_lstm_trains_as_torch():
    torch = pytest.importorskip("torch")
    vocab = len(set(TEXT))
    ours = build_char_model(nn, f64)(vocab)
    theirs = build_char_model(torch.nn, torch.float64)(vocab)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    opt_o = optim.Adam(ours.parameters(), lr=0.02)
    opt_t = torch.optim.Adam(theirs.parameters(), lr=0.02)
    losses = []
    for x, y in char_batches(40):
        lo = F.cross_entropy(ours(minigrad.tensor(x)).reshape(-1, vocab), minigrad.tensor(y.reshape(-1)))
        lt = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)).reshape(-1, vocab), torch.tensor(y.reshape(-1)))
        opt_o.zero_grad(), opt_t.zero_grad()
        lo.backward(), lt.backward()
        opt_o.step(), opt_t.step()
        np.testing.assert_allclose(lo.item(), lt.item(), rtol=1e-9)
        losses.append(lo.item())
    assert np.mean(losses[-5:]) < 0.6 * np.mean(losses[:5])
    for (k, p), q in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-8, atol=1e-10, err_msg=k)
