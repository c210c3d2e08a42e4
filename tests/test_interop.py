"""NumPy conversion, formatting, DLPack and safetensors."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

try:
    import torch
except ImportError:
    torch = None


def test_np_asarray_gives_the_values_not_an_object_array():
    t = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.shape == (2, 2) and a.tolist() == t.tolist()
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.array(t).tolist() == t.tolist()
    assert np.asarray(mg.tensor([1, 2])).dtype == np.int64
    assert float(np.mean(np.asarray(t))) == 2.5


def test_np_asarray_on_another_device_names_it(strict_device=None):
    from minigrad.testing import strict  # noqa: F401  (registers the "strict" device)

    t = mg.ones(2, device="strict")
    with pytest.raises(TypeError, match="'strict'.*cpu\\(\\)"):
        np.asarray(t)
    assert np.asarray(t.cpu()).tolist() == [1.0, 1.0]


def test_format_one_element_tensors():
    assert f"{mg.tensor(3.14159):.2f}" == "3.14"
    assert f"{mg.tensor([2.5]):>6.1f}" == "   2.5"
    assert f"{mg.tensor(7):d}" == "7"
    assert f"{mg.tensor([1.0, 2.0])}" == str(mg.tensor([1.0, 2.0]))  # no spec: str()
    with pytest.raises(TypeError, match="one-element"):
        f"{mg.tensor([1.0, 2.0]):.2f}"
    if torch is not None:
        assert f"{torch.tensor(3.14159):.2f}" == f"{mg.tensor(3.14159):.2f}"
        with pytest.raises(TypeError):
            f"{torch.tensor([1.0, 2.0]):.2f}"


def test_from_numpy_shares_memory():
    a = np.arange(3.0)
    t = mg.from_numpy(a)
    a[0] = 7
    assert t.tolist() == [7.0, 1.0, 2.0] and t.dtype == mg.float64
    with pytest.raises(TypeError, match="numpy.ndarray"):
        mg.from_numpy([1, 2])


def test_dlpack_with_numpy_zero_copy():
    t = mg.tensor([1.0, 2.0, 3.0])
    a = np.from_dlpack(t)
    a[0] = 10  # the same memory
    assert t.tolist() == [10.0, 2.0, 3.0]
    s = mg.tensor([1.0, 2.0], dtype=mg.float64).sum()  # a 0-d result
    assert float(np.from_dlpack(s)) == 3.0
    b = np.arange(4.0)
    u = mg.from_dlpack(b)
    b[1] = -1
    assert u.tolist() == [0.0, -1.0, 2.0, 3.0]


def test_dlpack_with_torch_both_ways():
    pytest.importorskip("torch")
    t = mg.tensor([1.0, 2.0, 3.0])
    tt = torch.from_dlpack(t)
    tt[1] = 20
    assert t.tolist() == [1.0, 20.0, 3.0] and tt.dtype == torch.float32
    src = torch.arange(4, dtype=torch.float64)
    u = mg.from_dlpack(src)
    src[2] = -5
    assert u.tolist() == [0.0, 1.0, -5.0, 3.0] and u.dtype == mg.float64


def _model():
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def test_safetensors_round_trip(tmp_path):
    pytest.importorskip("safetensors")
    m = _model()
    m(mg.randn(5, 3))  # running statistics move
    path = tmp_path / "m.safetensors"
    mg.save(m.state_dict(), str(path))
    assert path.read_bytes()[8:9] == b"{"  # an 8-byte header size, then the JSON header
    loaded = mg.load(str(path))
    m2 = _model()
    m2.load_state_dict(loaded)
    for (k, a), (k2, b) in zip(m.state_dict().items(), m2.state_dict().items()):
        assert k == k2 and a.dtype == b.dtype
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_safetensors_both_ways_with_torch(tmp_path):
    pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    m = _model()
    mg.save(m.state_dict(), str(tmp_path / "ours.safetensors"))
    sd = st.load_file(str(tmp_path / "ours.safetensors"))
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    tm.load_state_dict(sd)  # every name and shape PyTorch expects
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    m.eval()
    tm.eval()
    np.testing.assert_allclose(m(mg.tensor(x)).numpy(), tm(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    st.save_file(tm.state_dict(), str(tmp_path / "theirs.safetensors"))
    m2 = _model()
    m2.load_state_dict(mg.load(str(tmp_path / "theirs.safetensors")))
    for k, v in tm.state_dict().items():
        np.testing.assert_array_equal(m2.state_dict()[k].numpy(), v.numpy())


def test_safetensors_corrupt_file_names_it(tmp_path):
    pytest.importorskip("safetensors")
    p = tmp_path / "bad.safetensors"
    p.write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{not")
    with pytest.raises(ValueError, match="bad.safetensors"):
        mg.load(str(p))
