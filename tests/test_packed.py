"""nn.utils.rnn (pad_sequence, pack_padded_sequence, pad_packed_sequence, pack_sequence,
unpad_sequence, unpack_sequence, PackedSequence) and PackedSequence input to nn.RNN/LSTM/GRU:
PyTorch parity in float64 of packed and padded outputs, final states and every gradient under a
random upstream gradient over the options grid (sorted and unsorted lengths); without torch, the
packed run must equal running each sequence alone; finite differences through the masked steps;
padding on both sides; round trips; errors as torch's and the documented differences; float32
and the strict device; a variable-length sequence classifier whose losses equal torch's."""

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn, optim
from minigrad.dtypes import DtypeError, ShapeError
from minigrad.nn.utils import rnn
from minigrad.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)
from minigrad.testing import gradcheck

f64 = minigrad.float64
TOL = {"rtol": 1e-10, "atol": 1e-12}
IN, HID = 3, 4
SORTED, UNSORTED = [5, 4, 4, 2], [2, 5, 1, 3]  # UNSORTED has its longest in the middle and a length 1


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def T(a, requires_grad=False, device="cpu"):
    return minigrad.tensor(a, dtype=f64, requires_grad=requires_grad, device=device)


def padded_input(lengths, batch_first, seed=0):
    """A padded batch whose padding is garbage (not zeros): nothing may read it."""
    x = rnd(max(lengths), len(lengths), IN, seed=seed)
    return np.ascontiguousarray(x.transpose(1, 0, 2)) if batch_first else x


def make_pair(cls_name, kwargs):
    torch = pytest.importorskip("torch")
    ours = getattr(nn, cls_name)(IN, HID, dtype=f64, **kwargs)
    theirs = getattr(torch.nn, cls_name)(IN, HID, dtype=torch.float64, **kwargs)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    return ours, theirs


def as_list(state):
    return list(state) if isinstance(state, tuple) else [state]


# ***** PackedSequence into the recurrent layers: torch parity over the grid *****

LAYERS = [("RNN_tanh", "RNN", {}), ("RNN_relu", "RNN", {"nonlinearity": "relu"}), ("LSTM", "LSTM", {}),
          ("GRU", "GRU", {})]


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bidir", [False, True])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("name,cls_name,extra", LAYERS, ids=[n for n, _, _ in LAYERS])
def test_packed_layer_matches_torch(name, cls_name, extra, layers, bidir, batch_first, enforce_sorted):
    torch = pytest.importorskip("torch")
    import torch.nn.utils.rnn as trnn

    ours, theirs = make_pair(cls_name, dict(extra, num_layers=layers, bidirectional=bidir, batch_first=batch_first))
    lengths = SORTED if enforce_sorted else UNSORTED
    x = padded_input(lengths, batch_first)
    n_state = 2 if cls_name == "LSTM" else 1
    h0 = [rnd(layers * (1 + bidir), len(lengths), HID, seed=10 + k) for k in range(n_state)]
    xo, xt = T(x, True), torch.tensor(x, requires_grad=True)
    ho, ht = [T(h, True) for h in h0], [torch.tensor(h, requires_grad=True) for h in h0]
    po = pack_padded_sequence(xo, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    pt = trnn.pack_padded_sequence(xt, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    out_o, st_o = ours(po, tuple(ho) if n_state == 2 else ho[0])
    out_t, st_t = theirs(pt, tuple(ht) if n_state == 2 else ht[0])

    assert isinstance(out_o, PackedSequence)
    np.testing.assert_allclose(out_o.data.numpy(), out_t.data.detach().numpy(), **TOL, err_msg="packed data")
    np.testing.assert_array_equal(out_o.batch_sizes.numpy(), out_t.batch_sizes.numpy())
    for a, b in ((out_o.sorted_indices, out_t.sorted_indices), (out_o.unsorted_indices, out_t.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    # the padded view of the output, with a total_length beyond the longest and a visible padding value
    pad_o, len_o = pad_packed_sequence(out_o, batch_first=batch_first, padding_value=-3.0, total_length=7)
    pad_t, len_t = trnn.pad_packed_sequence(out_t, batch_first=batch_first, padding_value=-3.0, total_length=7)
    np.testing.assert_allclose(pad_o.numpy(), pad_t.detach().numpy(), **TOL, err_msg="padded output")
    np.testing.assert_array_equal(len_o.numpy(), len_t.numpy())
    outs_o, outs_t = [pad_o] + as_list(st_o), [pad_t] + as_list(st_t)
    loss_o, loss_t = 0, 0
    for k, (a, b) in enumerate(zip(outs_o, outs_t)):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), **TOL, err_msg=f"output {k}")
        G = rnd(*a.shape, seed=100 + k)  # random upstream gradients: a sum would hide a permutation
        loss_o, loss_t = loss_o + (a * T(G)).sum(), loss_t + (b * torch.tensor(G)).sum()
    loss_o.backward()
    loss_t.backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), **TOL, err_msg="input grad")
    for k, (a, b) in enumerate(zip(ho, ht)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **TOL, err_msg=f"hx[{k}] grad")
    tp = dict(theirs.named_parameters())
    for pname, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[pname].grad.numpy(), **TOL, err_msg=f"{pname}.grad")


@pytest.mark.parametrize("cls_name", ["LSTM", "GRU"])
def test_packed_without_hx_matches_torch(cls_name):
    torch = pytest.importorskip("torch")
    import torch.nn.utils.rnn as trnn

    ours, theirs = make_pair(cls_name, {"bidirectional": True})
    seqs = [rnd(n, IN, seed=n) for n in (3, 6, 2)]
    out_o, st_o = ours(pack_sequence([T(s) for s in seqs], enforce_sorted=False))
    out_t, st_t = theirs(trnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False))
    for a, b in zip([out_o.data] + as_list(st_o), [out_t.data] + as_list(st_t)):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), **TOL)


# ***** what a packed run means, checked without torch *****


@pytest.mark.parametrize("cls_name", ["RNN", "LSTM", "GRU"])
def test_packed_run_equals_each_sequence_run_alone(cls_name):
    """Every sequence of a packed batch gets exactly what it would get alone, unpadded: its
    outputs, and h_n at its own last step (the reverse direction starting at its own end)."""
    m = getattr(nn, cls_name)(IN, HID, num_layers=2, bidirectional=True, dtype=f64)
    seqs = [T(rnd(n, IN, seed=n)) for n in UNSORTED]
    out, state = m(pack_sequence(seqs, enforce_sorted=False))
    padded, lengths = pad_packed_sequence(out, batch_first=True)
    assert lengths.tolist() == UNSORTED
    for i, s in enumerate(seqs):
        alone_out, alone_state = m(s.unsqueeze(1))
        np.testing.assert_allclose(padded[i, :len(s)].numpy(), alone_out[:, 0].numpy(), **TOL)
        assert np.all(padded[i, len(s):].numpy() == 0)
        for a, b in zip(as_list(state), as_list(alone_state)):
            np.testing.assert_allclose(a[:, i].numpy(), b[:, 0].numpy(), **TOL)


def test_the_reverse_direction_starts_at_each_sequences_own_end():
    """With hx zero, a one-step-longer padding must not change anything: the reverse direction
    of a sequence of length 2 sees its steps 1 then 0, never the padding after them."""
    m = nn.GRU(IN, HID, bidirectional=True, dtype=f64)
    x = rnd(4, 2, IN)
    _, h = m(pack_padded_sequence(T(x), [4, 2]))
    _, h_short = m(T(x[:2, 1:2]))
    np.testing.assert_allclose(h[:, 1].numpy(), h_short[:, 0].numpy(), **TOL)
    x[2:, 1] = 1e3  # garbage in the padding changes nothing
    _, h_garbage = m(pack_padded_sequence(T(x), [4, 2]))
    np.testing.assert_allclose(h_garbage.numpy(), h.numpy(), **TOL)


@pytest.mark.parametrize("cls_name", ["LSTM", "GRU"])
def test_packed_gradcheck(cls_name):
    """Finite differences through the masked steps, the sorting and the hx permutation."""
    m = getattr(nn, cls_name)(2, 3, bidirectional=True, dtype=f64)
    x = T(rnd(4, 3, 2), True)
    h0 = T(rnd(2, 3, 3, seed=1), True)

    def fn(x, h0):
        hx = (h0, h0 * 0.5) if cls_name == "LSTM" else h0
        out, st = m(pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False), hx)
        padded, _ = pad_packed_sequence(out)
        return minigrad.cat([padded.reshape(-1)] + [s.reshape(-1) for s in as_list(st)])

    assert gradcheck(fn, x, h0)


# ***** pad_sequence, pack/pad round trips *****


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    torch = pytest.importorskip("torch")
    seqs = [rnd(n, 2, 3, seed=n) for n in (3, 1, 4)]
    so, st = [T(s, True) for s in seqs], [torch.tensor(s, requires_grad=True) for s in seqs]
    yo = pad_sequence(so, batch_first=batch_first, padding_value=-1.5, padding_side=padding_side)
    yt = torch.nn.utils.rnn.pad_sequence(st, batch_first=batch_first, padding_value=-1.5, padding_side=padding_side)
    np.testing.assert_array_equal(yo.numpy(), yt.detach().numpy())
    G = rnd(*yo.shape, seed=7)
    (yo * T(G)).sum().backward()
    (yt * torch.tensor(G)).sum().backward()
    for a, b in zip(so, st):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_pad_sequence_by_hand():
    a, b = T([1.0, 2.0, 3.0]), T([4.0])
    np.testing.assert_array_equal(pad_sequence([a, b]).numpy(), [[1, 4], [2, 0], [3, 0]])
    np.testing.assert_array_equal(pad_sequence([a, b], True, 9.0, "left").numpy(), [[1, 2, 3], [9, 9, 4]])
    ids = pad_sequence([minigrad.tensor([5, 6]), minigrad.tensor([7])], batch_first=True)  # token ids stay ints
    assert ids.dtype == minigrad.int64 and ids.tolist() == [[5, 6], [7, 0]]
    rows = pad_sequence(minigrad.tensor([[1.0, 2.0], [3.0, 4.0]]))  # a tensor: its rows are the sequences
    np.testing.assert_array_equal(rows.numpy(), [[1, 3], [2, 4]])
    assert gradcheck(lambda a, b: pad_sequence([a, b], padding_side="left"), T(rnd(3, 2), True), T(rnd(1, 2), True))


def test_pack_padded_by_hand_and_unsorted_indices():
    x = T([[1.0, 2.0, 3.0], [4.0, 0.0, 0.0], [6.0, 7.0, 0.0]])  # batch_first, lengths 3, 1, 2
    p = pack_padded_sequence(x, [3, 1, 2], batch_first=True, enforce_sorted=False)
    assert p.data.tolist() == [1, 6, 4, 2, 7, 3]
    assert p.batch_sizes.tolist() == [3, 2, 1] and p.batch_sizes.device == "cpu"
    assert p.sorted_indices.tolist() == [0, 2, 1] and p.unsorted_indices.tolist() == [0, 2, 1]
    assert pack_padded_sequence(x, minigrad.tensor([3, 2, 1]), batch_first=True).sorted_indices is None
    assert isinstance(p, tuple) and p._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")


def test_ties_sort_as_torch():
    torch = pytest.importorskip("torch")
    lengths = [2, 3, 2, 3, 1, 2, 3]
    x = rnd(3, len(lengths), 2)
    po = pack_padded_sequence(T(x), lengths, enforce_sorted=False)
    pt = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), lengths, enforce_sorted=False)
    np.testing.assert_array_equal(po.sorted_indices.numpy(), pt.sorted_indices.numpy())
    np.testing.assert_array_equal(po.data.numpy(), pt.data.numpy())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths", [SORTED, UNSORTED])
def test_round_trips(lengths, batch_first):
    x = padded_input(lengths, batch_first)
    xo = T(x, True)
    padded, back = pad_packed_sequence(pack_padded_sequence(xo, lengths, batch_first, enforce_sorted=False), batch_first)
    assert back.tolist() == lengths and back.dtype == minigrad.int64
    real = np.arange(max(lengths))[:, None] < np.array(lengths)[None, :]  # (L, N)
    real = (real.T if batch_first else real)[..., None]
    np.testing.assert_array_equal(padded.numpy(), np.where(real, x, 0.0))
    G = rnd(*x.shape, seed=3)
    (padded * T(G)).sum().backward()
    np.testing.assert_array_equal(xo.grad.numpy(), np.where(real, G, 0.0))  # the padding gets no gradient

    seqs = [T(rnd(n, 2, seed=n)) for n in lengths]
    for a, b in zip(unpack_sequence(pack_sequence(seqs, enforce_sorted=False)), seqs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(unpad_sequence(pad_sequence(seqs, batch_first), minigrad.tensor(lengths), batch_first), seqs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_unpad_and_unpack_match_torch():
    torch = pytest.importorskip("torch")
    seqs = [rnd(n, 2, seed=n) for n in UNSORTED]
    ours = unpack_sequence(pack_sequence([T(s) for s in seqs], enforce_sorted=False))
    theirs = torch.nn.utils.rnn.unpack_sequence(torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs],
                                                                               enforce_sorted=False))
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# ***** errors *****


def _error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 (the test compares what each library raises)
        return e
    raise AssertionError("no error raised")


ERRORS = {  # name: the call, in minigrad and in torch (`m` is the module holding the functions)
    "not sorted": lambda m, t: m.pack_padded_sequence(t.zeros(3, 2, 1), [2, 3]),
    "zero length": lambda m, t: m.pack_padded_sequence(t.zeros(3, 2, 1), [3, 0], enforce_sorted=False),
    "negative length": lambda m, t: m.pack_padded_sequence(t.zeros(3, 2, 1), [3, -1]),
    "lengths count": lambda m, t: m.pack_padded_sequence(t.zeros(3, 2, 1), [3, 2, 1]),
    "empty list": lambda m, t: m.pad_sequence([]),
    "empty batch": lambda m, t: m.pack_padded_sequence(t.zeros(3, 0, 1), []),
    "padding side": lambda m, t: m.pad_sequence([t.zeros(2, 3)], padding_side="middle"),
    "total_length": lambda m, t: m.pad_packed_sequence(m.pack_padded_sequence(t.zeros(3, 2, 1), [3, 2]), total_length=2),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_as_torch(case):
    torch = pytest.importorskip("torch")
    ours = _error_of(lambda: ERRORS[case](rnn, minigrad))
    theirs = _error_of(lambda: ERRORS[case](torch.nn.utils.rnn, torch))
    assert isinstance(ours, type(theirs)), (ours, theirs)
    assert str(theirs) in str(ours)


def test_errors_without_torch():
    with pytest.raises(RuntimeError, match="sorted in decreasing order.*enforce_sorted=False"):
        pack_padded_sequence(minigrad.zeros(3, 2, 1), [2, 3])
    with pytest.raises(RuntimeError, match="greater than 0"):
        pack_sequence([minigrad.zeros(2, 1), minigrad.zeros(0, 1)], enforce_sorted=False)
    with pytest.raises(ShapeError, match=r"\(2, 3, 1\)"):
        pad_sequence([minigrad.zeros(2, 1), minigrad.zeros(2, 3, 1)])
    with pytest.raises(ShapeError, match="2-D"):
        pack_padded_sequence(minigrad.zeros(3), [3])
    with pytest.raises(TypeError, match="PackedSequence"):
        pad_packed_sequence(minigrad.zeros(3, 2))
    with pytest.raises(ShapeError, match=r"LSTM.*input_size=3"):
        nn.LSTM(3, 4)(pack_sequence([minigrad.zeros(2, 5)]))
    with pytest.raises(ShapeError, match=r"expected an initial state of shape \(1, 2, 4\)"):
        nn.GRU(3, 4)(pack_sequence([minigrad.zeros(2, 3), minigrad.zeros(1, 3)]), minigrad.zeros(1, 3, 4))
    with pytest.raises(DtypeError, match="float64"):
        nn.GRU(3, 4)(pack_sequence([minigrad.zeros(2, 3, dtype=f64)]))
    with pytest.raises(ShapeError, match="do not fit"):
        unpad_sequence(minigrad.zeros(3, 2), [4, 1])


def test_deliberate_differences_raise_where_torch_is_silent():
    """Documented in docs/porting.md: torch packs lengths beyond the input's steps (reading past
    its end), truncates fractional lengths and casts mixed dtypes in pad_sequence."""
    with pytest.raises(ShapeError, match=r"lengths \[4, 2\] exceed the 3 steps.*\(3, 2, 1\)"):
        pack_padded_sequence(minigrad.zeros(3, 2, 1), [4, 2])
    with pytest.raises(ShapeError, match="exceed the 2 steps"):
        pack_padded_sequence(minigrad.zeros(2, 2, 1), [3, 2], batch_first=True)
    with pytest.raises(TypeError, match="whole numbers"):
        pack_padded_sequence(minigrad.zeros(3, 2, 1), [3, 2.5])
    assert pack_padded_sequence(minigrad.zeros(3, 2, 1), np.array([3.0, 2.0])).batch_sizes.tolist() == [2, 2, 1]
    with pytest.raises(DtypeError, match="float32.*float64"):
        pad_sequence([minigrad.zeros(2), minigrad.zeros(2, dtype=f64)])


# ***** dtype and devices *****


@pytest.mark.parametrize("cls_name", ["RNN", "LSTM", "GRU"])
def test_float32_stays_float32_on_every_device(cls_name, device):
    m = getattr(nn, cls_name)(IN, HID, num_layers=2, bidirectional=True).to(device)
    seqs = [minigrad.randn(n, IN, device=device, requires_grad=True) for n in UNSORTED]
    packed = pack_sequence(seqs, enforce_sorted=False)
    assert packed.sorted_indices.device == packed.data.device == device and packed.batch_sizes.device == "cpu"
    h0 = minigrad.randn(4, len(seqs), HID, device=device)
    out, st = m(packed, (h0, h0) if cls_name == "LSTM" else h0)
    padded, lengths = pad_packed_sequence(out, batch_first=True)
    h_n = as_list(st)[0]
    (padded * minigrad.randn(*padded.shape, device=device)).sum().backward()
    assert out.data.dtype == padded.dtype == h_n.dtype == minigrad.float32
    assert out.data.device == padded.device == h_n.device == device and lengths.device == "cpu"
    for s in seqs:
        assert s.grad.dtype == minigrad.float32 and s.grad.device == device
    for name, p in m.named_parameters():
        assert p.grad.dtype == minigrad.float32 and p.grad.device == device, name
    assert pad_sequence(seqs, padding_value=np.float64(1.0)).dtype == minigrad.float32


def test_packed_sequence_to_moves_data_and_indices(device):
    p = pack_sequence([minigrad.randn(1, 2), minigrad.randn(3, 2)], enforce_sorted=False)
    q = p.to(device)
    assert q.data.device == q.sorted_indices.device == q.unsorted_indices.device == device
    assert q.batch_sizes.device == "cpu" and q.to(device) is q
    assert p.to(f64).data.dtype == f64


# ***** a variable-length sequence classifier trains as torch's *****


def toy_batches(steps, batch=6, seed=0):
    """Sequences of 2..7 random steps; the class is whether the first feature's sum is positive
    (a reverse direction that read the padding would get it wrong more often)."""
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        lengths = rng.integers(2, 8, size=batch)
        seqs = [rng.standard_normal((n, IN)) for n in lengths]
        yield seqs, np.array([int(s[:, 0].sum() > 0) for s in seqs])


def build_classifier(nn_mod, dtype):
    class Classifier(nn_mod.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn_mod.LSTM(IN, 6, bidirectional=True, batch_first=True, dtype=dtype)
            self.head = nn_mod.Linear(12, 2, dtype=dtype)

        def forward(self, packed):
            _, (h_n, _) = self.lstm(packed)
            return self.head(nn_mod.functional.relu(h_n.transpose(0, 1).reshape(h_n.shape[1], -1)))

    return Classifier()


def test_sequence_classifier_trains_as_torch():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.rnn as trnn

    ours, theirs = build_classifier(nn, f64), build_classifier(torch.nn, torch.float64)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    opt_o, opt_t = optim.Adam(ours.parameters(), lr=0.03), torch.optim.Adam(theirs.parameters(), lr=0.03)
    losses = []
    for seqs, y in toy_batches(40):
        lengths = [len(s) for s in seqs]
        xo = pad_sequence([T(s) for s in seqs], batch_first=True)
        xt = trnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first=True)
        lo = F.cross_entropy(ours(pack_padded_sequence(xo, lengths, batch_first=True, enforce_sorted=False)),
                             minigrad.tensor(y))
        lt = torch.nn.functional.cross_entropy(
            theirs(trnn.pack_padded_sequence(xt, lengths, batch_first=True, enforce_sorted=False)), torch.tensor(y))
        opt_o.zero_grad(), opt_t.zero_grad()
        lo.backward(), lt.backward()
        opt_o.step(), opt_t.step()
        np.testing.assert_allclose(lo.item(), lt.item(), rtol=1e-9)
        losses.append(lo.item())
    assert np.mean(losses[-8:]) < 0.7 * np.mean(losses[:8])
    for (k, p), q in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-8, atol=1e-10, err_msg=k)
