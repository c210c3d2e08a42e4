"""Device idioms of PyTorch code: minigrad.device objects wherever a device string goes,
minigrad.cuda / minigrad.accelerator queries, device= on creation functions and layers."""

import pickle

import numpy as np
import pytest

import minigrad
from minigrad import backend, nn


def test_device_objects():
    d = minigrad.device("cuda:0")
    assert (d.type, d.index, str(d), repr(d)) == ("cuda", 0, "cuda:0", "device(type='cuda', index=0)")
    assert minigrad.device("cuda", 0) == d and minigrad.device(d) is d
    cpu = minigrad.device("cpu")
    assert (cpu.type, cpu.index, repr(cpu)) == ("cpu", None, "device(type='cpu')")
    assert cpu == "cpu" and isinstance(cpu, str) and hash(cpu) == hash(minigrad.device("cpu"))
    assert {cpu: 1}["cpu"] == 1
    assert minigrad.device("cuda") != minigrad.device("cuda:0")  # as torch: index or not
    assert pickle.loads(pickle.dumps(d)) == d and pickle.loads(pickle.dumps(d)).index == 0
    for bad, match in [("tpu", "unknown device 'tpu'"), ("cuda:1", "one GPU"), ("cpu:0", "one GPU"),
                       ("cuda:x", "index")]:
        with pytest.raises(ValueError, match=match):
            minigrad.device(bad)
    with pytest.raises(ValueError, match="already has an index"):
        minigrad.device("cuda:0", 0)


def test_device_matches_torch_where_a_user_could_notice():
    torch = pytest.importorskip("torch")
    for name in ["cpu", "cuda", "cuda:0"]:
        ours, theirs = minigrad.device(name), torch.device(name)
        assert (ours.type, ours.index, str(ours), repr(ours)) == (theirs.type, theirs.index, str(theirs), repr(theirs))
    assert (minigrad.device("cuda") == minigrad.device("cuda:0")) == (torch.device("cuda") == torch.device("cuda:0"))


def test_tensor_device_is_a_device(device):
    t = minigrad.zeros(2, device=device)
    assert isinstance(t.device, minigrad.device) and t.device == device and t.device.type == device
    assert t.device is minigrad.ones(1, device=device).device  # cached: nothing is built per call


@pytest.mark.parametrize("make", [
    lambda d: minigrad.tensor([1.0, 2.0], device=d),
    lambda d: minigrad.zeros(2, 3, device=d),
    lambda d: minigrad.ones(2, device=d),
    lambda d: minigrad.full((2,), 3.0, device=d),
    lambda d: minigrad.arange(4, device=d),
    lambda d: minigrad.rand(2, device=d),
    lambda d: minigrad.randn(2, device=d),
    lambda d: minigrad.zeros_like(minigrad.zeros(2), device=d),
    lambda d: minigrad.Tensor(np.zeros(2), device=d),
    lambda d: minigrad.zeros(2).to(d),
    lambda d: minigrad.zeros(2).to(d, minigrad.float64),
])
def test_creation_accepts_device_objects(device, make):
    t = make(minigrad.device(device))
    assert t.device == device


@pytest.mark.parametrize("make", [
    lambda d: nn.Linear(3, 2, device=d, dtype=minigrad.float64),
    lambda d: nn.Conv2d(1, 2, 3, device=d, dtype=minigrad.float64),
    lambda d: nn.BatchNorm1d(3, device=d, dtype=minigrad.float64),
    lambda d: nn.BatchNorm2d(3, device=d, dtype=minigrad.float64),
    lambda d: nn.LayerNorm(3, device=d, dtype=minigrad.float64),
    lambda d: nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).to(d, minigrad.float64),
])
def test_layers_made_on_a_device(device, make):
    layer = make(minigrad.device(device))
    tensors = list(layer.parameters()) + [b for b in layer.buffers() if b is not None]
    assert tensors and all(t.device == device for t in tensors)
    assert all(t.dtype == minigrad.float64 for t in layer.parameters())


def test_cuda_and_accelerator_queries():
    assert minigrad.cuda.is_available() is backend.cuda_available
    assert minigrad.accelerator.is_available() is backend.cuda_available
    assert minigrad.cuda.device_count() == minigrad.accelerator.device_count()
    assert (minigrad.cuda.device_count() > 0) == backend.cuda_available
    acc = minigrad.accelerator.current_accelerator()
    if backend.cuda_available:
        assert acc == minigrad.device("cuda") and acc.type == "cuda"
    else:
        assert acc is None
    minigrad.accelerator.synchronize()  # a wait on the GPU, nothing to wait for without one
    if backend.cuda_available:
        minigrad.cuda.synchronize()
    else:  # as torch.cuda.synchronize() without CUDA
        with pytest.raises(RuntimeError, match="cuda.*not available"):
            minigrad.cuda.synchronize()
    minigrad.cuda.manual_seed(3)
    a = minigrad.randn(3)
    minigrad.manual_seed(3)
    np.testing.assert_array_equal(a.numpy(), minigrad.randn(3).numpy())


def test_official_example_device_idiom_runs():
    device = minigrad.accelerator.current_accelerator().type if minigrad.accelerator.is_available() else "cpu"
    model = nn.Linear(4, 2).to(device)
    assert model(minigrad.randn(3, 4).to(device)).device == device


def test_unavailable_cuda_is_explained():
    if backend.cuda_available:
        pytest.skip("a GPU is available here")
    with pytest.raises(RuntimeError, match="cuda.*not available"):
        minigrad.zeros(2, device=minigrad.device("cuda:0"))
    with pytest.raises(RuntimeError, match="cuda.*not available"):
        nn.Linear(2, 2).to(minigrad.device("cuda"))
