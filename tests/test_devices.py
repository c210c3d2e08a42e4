"""Cross-device behaviour (issue 6, R4.2, R4.3, R4.7, R4.8, R4.9): moving tensors and modules,
device mixing errors, the same random numbers everywhere, and a representative slice of ops,
layers and losses that must give the CPU's values on every device.

Every test takes the `device` fixture ("cpu", "strict", "cuda" when present). "strict" is the
CPU stand-in for CuPy (minigrad/testing/strict.py); on a GPU machine the same tests run on "cuda".
"""

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import backend, nn, optim
from minigrad.datasets import DataLoader
from minigrad.testing import strict as S

# float32 results may differ in the last bits between NumPy and cuBLAS/CUDA kernels
TOL = dict(rtol=1e-5, atol=1e-6)


def host(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def other_device(device):
    """A device different from `device`, to mix with it."""
    return "strict" if device == "cpu" else "cpu"


# ***** moving tensors *****


def test_to_and_back_keeps_values_and_dtype(device):
    """R4.7: moving keeps float32 float32 (and float64 float64)."""
    for dtype in (np.float32, np.float64, np.int64):
        h = host((3, 4), dtype=dtype)
        t = minigrad.tensor(h).to(device)
        assert t.device == device and t.dtype == dtype
        back = t.cpu()
        assert back.device == "cpu" and isinstance(back.array, np.ndarray)
        np.testing.assert_array_equal(back.numpy(), h)


def test_to_same_device_returns_self(device):
    t = minigrad.randn(2, 3, device=device)
    assert t.to(device) is t


def test_to_is_differentiable(device):
    """Gradients flow back across a device move, to the leaf's own device."""
    h = host((3, 4))
    x = minigrad.tensor(h, requires_grad=True)  # a CPU leaf
    gy = host((3, 4), seed=1)
    x.to(device).exp().backward(minigrad.tensor(gy, device=device))
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), gy * np.exp(h), **TOL)


def test_numpy_returns_a_host_copy_on_devices(device):
    t = minigrad.ones(3, device=device)
    a = t.numpy()
    assert type(a) is np.ndarray
    if device != "cpu":  # a transfer is a copy; on the CPU numpy() shares memory like torch
        a[0] = 5.0
        assert t.numpy()[0] == 1.0


@pytest.mark.skipif(backend.cuda_available, reason="CuPy with a GPU is present")
def test_cuda_unavailable_explains_why():
    with pytest.raises(RuntimeError, match="cuda.*not available"):
        minigrad.ones(2).to("cuda")
    with pytest.raises(RuntimeError, match="cuda"):
        minigrad.ones(2).cuda()


def test_unknown_device_is_rejected():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        minigrad.ones(2).to("tpu")


# ***** device mixing (R4.2) *****

MIXED = [
    ("Add", lambda a, b: a + b),
    ("Mul", lambda a, b: b * a),
    ("MatMul", lambda a, b: a @ b.T),
    ("Maximum", lambda a, b: a.maximum(b)),
    ("Cat", lambda a, b: minigrad.cat([a, b])),
    ("Stack", lambda a, b: minigrad.stack([b, a])),
    ("less", lambda a, b: a < b),
    ("Linear", lambda a, b: F.linear(a, b)),
]


@pytest.mark.parametrize("op, fn", MIXED, ids=[m[0] for m in MIXED])
def test_mixing_devices_names_op_and_both_devices(device, op, fn):
    """R4.2: an op on tensors from two devices raises TypeError naming the op and both devices,
    and leaves the inputs untouched."""
    a = minigrad.tensor(host((3, 4)), device=device, requires_grad=True)
    b = minigrad.tensor(host((3, 4), seed=1), device=other_device(device), requires_grad=True)
    with pytest.raises(TypeError) as err:
        fn(a, b)
    msg = str(err.value)
    assert op.lower() in msg.lower() and repr(device) in msg and repr(other_device(device)) in msg
    np.testing.assert_array_equal(a.numpy(), host((3, 4)))


def test_mixing_devices_in_cross_entropy_and_backward(device):
    logits = minigrad.tensor(host((4, 3)), device=device, requires_grad=True)
    target = minigrad.tensor([0, 2, 1, 1], device=other_device(device))
    with pytest.raises(TypeError, match="cross_entropy"):
        F.cross_entropy(logits, target)
    y = logits * 2
    with pytest.raises(TypeError, match=repr(other_device(device))):
        y.backward(minigrad.ones(4, 3, device=other_device(device)))


SCALARS = [2.0, 2, np.float32(2), np.float64(0.5), np.int64(3), True]


@pytest.mark.parametrize("s", SCALARS, ids=[repr(s) for s in SCALARS])
def test_scalars_stay_on_device_and_float32(device, s):
    """R4.2/R2.7: Python and NumPy scalars, on either side, keep device and float32."""
    t = minigrad.tensor(host((2, 3)), device=device)
    for out in (t * s, s * t, t + s, s - t, t / s if s else t):
        assert out.device == device and out.dtype == np.float32
    np.testing.assert_allclose((s * t).numpy(), np.float32(s) * host((2, 3)), **TOL)


def test_reductions_are_0d_tensors_and_item_is_python(device):
    """R4.3: `t.sum()` is a 0-d tensor on the device; `.item()` returns a Python float."""
    t = minigrad.tensor(host((3, 4)), device=device)
    s = t.sum()
    assert s.shape == () and s.device == device
    v = s.item()
    assert type(v) is float
    assert v == pytest.approx(float(host((3, 4)).sum()), rel=1e-5)
    assert type(t.argmax().item()) is int


# ***** creation and random numbers (R4.8) *****

CREATORS = [
    ("zeros", lambda d: minigrad.zeros(2, 3, device=d)),
    ("ones", lambda d: minigrad.ones((2, 3), device=d)),
    ("full", lambda d: minigrad.full((2, 3), 1.5, device=d)),
    ("arange", lambda d: minigrad.arange(0, 3, 0.5, device=d)),
    ("tensor", lambda d: minigrad.tensor([[1.0, 2.0]], device=d)),
    ("rand", lambda d: minigrad.rand(2, 3, device=d)),
    ("randn", lambda d: minigrad.randn(2, 3, device=d)),
    ("zeros_like", lambda d: minigrad.zeros_like(minigrad.ones(2, device=d))),
    ("full_like", lambda d: minigrad.full_like(minigrad.ones(2, device=d), 3.0)),
    ("randn_like", lambda d: minigrad.randn_like(minigrad.ones(2, device=d))),
]


@pytest.mark.parametrize("name, make", CREATORS, ids=[c[0] for c in CREATORS])
def test_creation_on_device_matches_cpu_bit_for_bit(device, name, make):
    """R4.8: `device=` creates there, with the same values as on the CPU for the same seed
    (random numbers are drawn on the host by minigrad's generator, then moved)."""
    minigrad.manual_seed(7)
    on_cpu = make("cpu")
    minigrad.manual_seed(7)
    t = make(device)
    assert t.device == device and t.dtype == on_cpu.dtype == np.float32
    np.testing.assert_array_equal(t.numpy(), on_cpu.numpy())


MODELS = [
    ("Linear", lambda d: nn.Linear(5, 3, device=d)),
    ("BatchNorm1d", lambda d: nn.BatchNorm1d(4, device=d)),
    ("Sequential", lambda d: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).to(d)),
    ("Conv2d", lambda d: nn.Conv2d(2, 3, 3).to(d)),
]


@pytest.mark.parametrize("name, make", MODELS, ids=[m[0] for m in MODELS])
def test_same_seed_same_initial_weights_on_every_device(device, name, make):
    """R4.8: the same seed gives bit-identical initial weights on every device."""
    minigrad.manual_seed(3)
    ref = make("cpu").state_dict()
    minigrad.manual_seed(3)
    model = make(device)
    for key, value in model.state_dict().items():
        v = value if isinstance(value, minigrad.Tensor) else minigrad.tensor(value)
        assert v.device == device, key
        np.testing.assert_array_equal(v.numpy(), minigrad.tensor(ref[key]).numpy(), err_msg=key)


def test_module_to_moves_parameters_buffers_and_grads_in_place(device):
    """Module.to returns self and moves parameters, buffers and grads, keeping the Parameter
    objects (an optimizer made before the move still holds the right ones)."""
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    params = list(model.parameters())
    before = [p.numpy().copy() for p in params]
    model(minigrad.randn(5, 4)).sum().backward()
    assert model.to(device) is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    for t in list(model.parameters()) + list(model.buffers()):
        assert t.device == device
    for p, b in zip(params, before):
        assert p.grad.device == device and p.dtype == np.float32
        np.testing.assert_array_equal(p.numpy(), b)
    model.cpu()
    assert all(t.device == "cpu" for t in model.parameters())


# ***** a representative slice of ops, layers and losses: same values as the CPU (R4.9) *****

OPS = [
    ("add-broadcast", lambda a, b: a + b[0]),
    ("div", lambda a, b: a / (b.abs() + 1)),
    ("pow", lambda a, b: (a.abs() + 1) ** b),
    ("exp-log-sqrt", lambda a, b: (a.exp() + 1).log().sqrt()),
    ("tanh-sigmoid", lambda a, b: a.tanh() * b.sigmoid()),
    ("relu-leaky", lambda a, b: a.relu() + b.leaky_relu(0.1)),
    ("clip-where", lambda a, b: minigrad.where(a > 0, a.clip(-0.5, 0.5), b)),
    ("sum-mean", lambda a, b: a.sum(1, keepdim=True) * b.mean(0)),
    ("max-min", lambda a, b: a.max(1).values + b.min(0).values.sum() + a.amax(0).sum()),
    ("var-std", lambda a, b: a.var(1) + b.std(0).sum()),
    ("movement", lambda a, b: a.reshape(2, 6).T.permute(1, 0).flatten() * b.flatten()),
    ("index", lambda a, b: a[[0, 2, 2], 1:] * b[:, :3]),
    ("index-tensor", lambda a, b: a[minigrad.tensor([1, 1, 0], device=a.device)]),
    ("cat-stack-pad",
     lambda a, b: minigrad.pad(minigrad.cat([a, b], 1), (1, 0)) + minigrad.stack([a, b]).sum(0)[:, :1]),
    ("matmul", lambda a, b: a @ b.T),
    ("softmax", lambda a, b: a.softmax(1) * b.log_softmax(0)),
    ("logsumexp", lambda a, b: a.logsumexp(1)),
]


@pytest.mark.parametrize("name, fn", OPS, ids=[o[0] for o in OPS])
def test_ops_match_cpu(device, name, fn):
    """R4.9: outputs and gradients on `device` equal the CPU's."""
    results = {}
    for d in ("cpu", device):
        a = minigrad.tensor(host((3, 4)), device=d, requires_grad=True)
        b = minigrad.tensor(host((3, 4), seed=1), device=d, requires_grad=True)
        y = fn(a, b)
        assert y.device == d
        y.backward(minigrad.tensor(host(y.shape, seed=2), device=d))
        assert a.grad.device == d
        results[d] = (y.numpy(), a.grad.numpy(), b.grad.numpy() if b.grad is not None else None)
    for got, want in zip(results[device], results["cpu"]):
        if want is not None:
            np.testing.assert_allclose(got, want, **TOL)


LAYERS = [
    ("Linear", lambda: nn.Linear(4, 3), (5, 4)),
    ("Linear-3d-no-bias", lambda: nn.Linear(4, 3, bias=False), (2, 5, 4)),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(4), (6, 4)),
    ("BatchNorm1d-NCL", lambda: nn.BatchNorm1d(3), (4, 3, 5)),
    ("BatchNorm1d-momentum-None", lambda: nn.BatchNorm1d(4, momentum=None), (6, 4)),
    ("BatchNorm1d-no-affine", lambda: nn.BatchNorm1d(4, affine=False), (6, 4)),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(2), (3, 2, 4, 4)),
    ("BatchNorm2d-eval", lambda: nn.BatchNorm2d(2).eval(), (3, 2, 4, 4)),
    ("LayerNorm", lambda: nn.LayerNorm(4), (3, 4)),
    ("Conv2d", lambda: nn.Conv2d(2, 3, 3, padding=1, stride=2), (2, 2, 5, 5)),
    ("Conv2d-dilation-groups",
     lambda: nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2, bias=False), (2, 4, 6, 5)),
    ("Conv2d-1x1", lambda: nn.Conv2d(3, 2, 1), (2, 3, 4, 4)),
    ("MaxPool2d", lambda: nn.MaxPool2d(2), (2, 2, 4, 4)),
    ("MaxPool2d-overlapping", lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 2, 7, 7)),
    ("AvgPool2d", lambda: nn.AvgPool2d(2, stride=1, padding=1), (2, 2, 5, 5)),
    ("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 2, 5, 7)),
    ("Dropout", lambda: nn.Dropout(0.3), (4, 5)),
    ("activations",
     lambda: nn.Sequential(nn.LeakyReLU(0.2), nn.GELU(), nn.Identity(), nn.Softmax(1)), (3, 4)),
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=0), (3, 4)),
    ("MLP", lambda: nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2), nn.Sigmoid()), (3, 4)),
    ("CNN", lambda: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(),
                                  nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3)), (2, 1, 4, 4)),
]


@pytest.mark.parametrize("name, make, shape", LAYERS, ids=[layer[0] for layer in LAYERS])
def test_layers_match_cpu(device, name, make, shape):
    """R4.9: a layer moved to `device` gives the CPU's outputs, input and parameter gradients
    and running statistics."""
    results = {}
    for d in ("cpu", device):
        minigrad.manual_seed(0)
        layer = make().to(d)
        x = minigrad.tensor(host(shape), device=d, requires_grad=True)
        y = layer(x)
        assert y.device == d
        y.backward(minigrad.tensor(host(y.shape, seed=1), device=d))
        results[d] = [y.numpy(), x.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()] + [
            b.numpy() for b in layer.buffers()]
    for got, want in zip(results[device], results["cpu"]):
        np.testing.assert_allclose(got, want, **TOL)


LOSSES = [
    ("cross_entropy", lambda x, t: F.cross_entropy(x, t)),
    ("cross_entropy-sum", lambda x, t: F.cross_entropy(x, t, reduction="sum")),
    ("cross_entropy-none", lambda x, t: F.cross_entropy(x, t, reduction="none")),
    ("CrossEntropyLoss", lambda x, t: nn.CrossEntropyLoss()(x, t)),
    ("nll_loss", lambda x, t: F.nll_loss(x.log_softmax(1), t)),
    ("NLLLoss-none", lambda x, t: nn.NLLLoss(reduction="none")(x.log_softmax(1), t)),
    ("mse_loss", lambda x, t: F.mse_loss(x, x.detach() * 0.5 + 1)),
    ("MSELoss-sum", lambda x, t: nn.MSELoss(reduction="sum")(x, x.detach() * 0.5 + 1)),
    ("bce_with_logits", lambda x, t: F.binary_cross_entropy_with_logits(x, (x.detach() > 0) * 1.0)),
    ("bce", lambda x, t: F.binary_cross_entropy(x.sigmoid(), (x.detach() > 0) * 1.0)),
    ("BCELoss-none", lambda x, t: nn.BCELoss(reduction="none")(x.sigmoid(), (x.detach() > 0) * 1.0)),
]


@pytest.mark.parametrize("name, loss", LOSSES, ids=[loss[0] for loss in LOSSES])
def test_losses_match_cpu(device, name, loss):
    results = {}
    for d in ("cpu", device):
        x = minigrad.tensor(host((5, 4)), device=d, requires_grad=True)
        t = minigrad.tensor([0, 3, 1, 1, 2], device=d)
        y = loss(x, t)
        assert y.device == d
        y.backward(minigrad.tensor(host(y.shape, seed=3), device=d))
        results[d] = (y.numpy(), x.grad.numpy())
    for got, want in zip(results[device], results["cpu"]):
        np.testing.assert_allclose(got, want, **TOL)


OPTIMIZERS = [
    ("SGD", lambda ps: optim.SGD(ps, lr=0.1)),
    ("SGD-nesterov-wd", lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    ("SGD-dampening", lambda ps: optim.SGD(ps, lr=0.05, momentum=0.5, dampening=0.3)),
    ("Adam", lambda ps: optim.Adam(ps, lr=1e-2)),
    ("Adam-amsgrad-wd", lambda ps: optim.Adam(ps, lr=1e-2, weight_decay=1e-2, amsgrad=True)),
    ("AdamW", lambda ps: optim.AdamW(ps, lr=1e-2, weight_decay=0.1)),
]


@pytest.mark.parametrize("name, make", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizers_match_cpu(device, name, make):
    """R4.8/R4.9: five training steps of a small model give the CPU's parameters on every device,
    and the optimizer state stays on the device (and float32)."""
    results = {}
    for d in ("cpu", device):
        minigrad.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3)).to(d)
        opt = make(model.parameters())
        x = minigrad.tensor(host((6, 4)), device=d)
        target = minigrad.tensor([0, 1, 2, 0, 1, 2], device=d)
        for _ in range(5):
            opt.zero_grad()
            F.cross_entropy(model(x), target).backward()
            opt.step()
        for state in opt.state.values():
            for v in state.values():
                if hasattr(v, "shape"):
                    assert backend.device_of(v.array if isinstance(v, minigrad.Tensor) else v) == d
        for p in model.parameters():
            assert p.device == d and p.dtype == np.float32
        results[d] = [p.numpy() for p in model.parameters()]
    for got, want in zip(results[device], results["cpu"]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_dataloader_batches_on_device_in_the_cpu_order(device):
    """The DataLoader puts batches on its device; the shuffle is drawn on the host, so the order
    is the same on every device for the same generator seed (R4.8)."""
    x, y = host((10, 3)), np.arange(10)
    batches = {}
    for d in ("cpu", device):
        loader = DataLoader((x, y), batch_size=4, shuffle=True, generator=minigrad.Generator(5), device=d)
        batches[d] = [(xb, yb) for xb, yb in loader]
        assert all(xb.device == d and yb.device == d for xb, yb in batches[d])
    for (xc, yc), (xd, yd) in zip(batches["cpu"], batches[device]):
        np.testing.assert_array_equal(xd.numpy(), xc.numpy())
        np.testing.assert_array_equal(yd.numpy(), yc.numpy())


def test_state_dict_round_trip_across_devices(device, tmp_path):
    """A model trained on `device` saves host arrays and loads into a CPU model (and back)."""
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).to(device)
    model(minigrad.randn(5, 3, device=device))  # updates the running stats
    minigrad.save(model.state_dict(), tmp_path / "m.npz")
    cpu_model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    cpu_model.load_state_dict(minigrad.load(tmp_path / "m.npz"))
    back = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).to(device)
    back.load_state_dict(cpu_model.state_dict())
    states = zip(model.state_dict().items(), cpu_model.state_dict().values(), back.state_dict().values())
    for (k, a), b, c in states:
        assert minigrad.tensor(c).device == device, k
        np.testing.assert_array_equal(minigrad.tensor(b).numpy(), minigrad.tensor(a).numpy(), err_msg=k)
        np.testing.assert_array_equal(minigrad.tensor(c).numpy(), minigrad.tensor(a).numpy(), err_msg=k)


# ***** host transfers: only .item() and .numpy() (issue 6) *****


def test_training_step_makes_no_host_transfer():
    """On the strict device every device->host transfer is counted: a whole training step
    (forward, loss, backward, update) must make none; `.item()` and `.numpy()` make one each."""
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3)).to("strict")
    x = minigrad.tensor(host((10, 6)), device="strict")
    target = minigrad.tensor(np.arange(10) % 3, device="strict")
    opts = [optim.SGD(model.parameters(), lr=0.1, momentum=0.9), optim.Adam(model.parameters(), lr=1e-3)]
    before = S.host_transfers
    for opt in opts:
        for _ in range(2):
            loss = F.cross_entropy(model(x), target)
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert S.host_transfers == before, "something synchronised inside the training step"
    loss.item()
    model[0].weight.numpy()
    assert S.host_transfers == before + 2
