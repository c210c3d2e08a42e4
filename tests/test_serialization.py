"""save / load: a trained 10-layer BN network round-trips bit-identically; bad files raise
clearly and leave the model untouched; saving has no side effect; files are device-neutral."""

import os
import pickle
import stat
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn, optim


def deep_bn_net(device="cpu"):
    layers, width = [], 12
    for i in range(10):
        layers += [nn.Linear(8 if i == 0 else width, width, bias=False), nn.BatchNorm1d(width), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(width, 3)).to(device)


def trained(device="cpu", steps=20):
    model = deep_bn_net(device)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        x = minigrad.tensor(rng.standard_normal((16, 8)).astype(np.float32), device=device)
        y = minigrad.tensor(rng.integers(0, 3, 16), device=device)
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return model


def snapshot(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def assert_same(a: dict, b: dict):
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype, k
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


X = np.random.default_rng(1).standard_normal((7, 8)).astype(np.float32)


def test_trained_deep_bn_net_round_trips_bit_identically(tmp_path, device):
    model = trained(device)
    path = tmp_path / "m.npz"
    before = snapshot(model)
    minigrad.save(model.state_dict(), path)
    assert_same(before, snapshot(model))  # saving changed nothing
    assert model.training  # ... not even the mode
    fresh = deep_bn_net(device)
    fresh.load_state_dict(minigrad.load(path))
    assert_same(before, snapshot(fresh))
    model.eval(), fresh.eval()
    x = minigrad.tensor(X, device=device)
    np.testing.assert_array_equal(model(x).numpy(), fresh(x).numpy())
    # the running statistics really moved: eval output differs from an untrained-stats model
    assert not np.allclose(before["1.running_mean"], 0)


def test_file_is_device_neutral(tmp_path):
    """Saved from another device ("strict" stands in for the GPU), loaded on the CPU."""
    model = trained("strict", steps=3)
    minigrad.save(model.state_dict(), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as z:
        assert set(z.files) == set(model.state_dict())
    cpu = deep_bn_net("cpu")
    cpu.load_state_dict(minigrad.load(tmp_path / "m.npz"))
    assert all(t.device == "cpu" for t in cpu.state_dict().values())
    np.testing.assert_array_equal(cpu.eval()(minigrad.tensor(X)).numpy(),
                                  model.eval()(minigrad.tensor(X, device="strict")).numpy())


def test_load_returns_cpu_tensors_in_order_with_dtypes(tmp_path):
    sd = {"b": minigrad.ones(2), "a": minigrad.tensor([1, 2]), "c": np.float64(3.5)}
    minigrad.save(sd, tmp_path / "x.npz")
    out = minigrad.load(tmp_path / "x.npz")
    assert list(out) == ["b", "a", "c"]
    assert [v.dtype for v in out.values()] == [np.float32, np.int64, np.float64]


def test_other_extension_is_kept_and_no_temp_file_left(tmp_path):
    minigrad.save(nn.Linear(2, 2).state_dict(), tmp_path / "weights.bin")
    assert sorted(os.listdir(tmp_path)) == ["weights.bin"]
    assert set(minigrad.load(tmp_path / "weights.bin")) == {"weight", "bias"}


def _bad_file(tmp_path, kind):
    src = deep_bn_net()
    sd = src.state_dict()
    path = tmp_path / f"{kind}.npz"
    if kind == "missing_key":
        del sd["4.running_var"]
        minigrad.save(sd, path)
        return path, RuntimeError, r"missing keys \['4.running_var'\]"
    if kind == "wrong_shape":
        sd["0.weight"] = minigrad.zeros(12, 9)
        minigrad.save(sd, path)
        return path, RuntimeError, r"0.weight: shape \(12, 9\) in the state dict, \(12, 8\) in the model"
    if kind == "unexpected_key":
        sd["extra"] = minigrad.zeros(1)
        minigrad.save(sd, path)
        return path, RuntimeError, r"unexpected keys \['extra'\]"
    minigrad.save(sd, path)
    data = path.read_bytes()
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "corrupt":  # flip bytes in the middle of the first array's data
        mid = len(data) // 4
        path.write_bytes(data[:mid] + bytes(b ^ 0xFF for b in data[mid:mid + 64]) + data[mid + 64:])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "not_npz":
        path.write_bytes(b"hello, this is not a zip file" * 10)
    elif kind == "pickled":
        np.savez(path, obj=np.array([{"a": 1}], dtype=object))
    return path, ValueError, "not a readable minigrad state dict"


@pytest.mark.parametrize("kind", ["missing_key", "wrong_shape", "unexpected_key", "truncated", "corrupt",
                                  "empty", "not_npz", "pickled"])
def test_bad_file_raises_clearly_and_changes_nothing(tmp_path, kind):
    path, exc, match = _bad_file(tmp_path, kind)
    model = trained(steps=2)
    before = snapshot(model)
    with pytest.raises(exc, match=match):
        model.load_state_dict(minigrad.load(path))
    assert_same(before, snapshot(model))


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        minigrad.load(tmp_path / "nope.npz")


def test_save_rejects_what_it_cannot_store(tmp_path):
    with pytest.raises(TypeError, match="expected a Tensor, array or number"):
        minigrad.save({"w": [1, 2, 3], "o": object()}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    minigrad.save({"w": minigrad.ones(3)}, path)
    old = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        minigrad.save({"w": minigrad.zeros(3)}, path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["m.npz"]


def test_saved_file_is_a_plain_npz(tmp_path):
    minigrad.save(nn.BatchNorm1d(3).state_dict(), tmp_path / "bn.npz")
    with zipfile.ZipFile(tmp_path / "bn.npz") as z:
        assert sorted(z.namelist()) == ["bias.npy", "num_batches_tracked.npy", "running_mean.npy",
                                        "running_var.npy", "weight.npy"]


# ***** files that are not minigrad state dicts say what they are *****


def test_load_of_a_npy_file_says_what_to_do(tmp_path):
    np.save(tmp_path / "w.npy", np.ones(3))
    with pytest.raises(ValueError, match=r"w\.npy.*a single NumPy array \(\.npy\).*numpy\.load"):
        minigrad.load(tmp_path / "w.npy")


def test_load_of_a_pytorch_checkpoint_says_what_to_do(tmp_path):
    """torch.save writes a zip holding <name>/data.pkl (built here by hand: no torch needed)."""
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("model/data.pkl", b"\x80\x02}q\x00.")
        z.writestr("model/data/0", b"\x00" * 8)
        z.writestr("model/version", b"3\n")
    with pytest.raises(ValueError, match=r"model\.pt.*PyTorch checkpoint.*torch\.load.*minigrad\.save"):
        minigrad.load(path)


def test_load_of_a_pickle_says_what_to_do(tmp_path):
    """A legacy (pre-1.6) torch.save file, or any pickle: minigrad never unpickles."""
    path = tmp_path / "old.pt"
    path.write_bytes(pickle.dumps({"w": [1.0, 2.0]}, protocol=2))
    with pytest.raises(ValueError, match=r"old\.pt.*pickle.*never unpickles.*torch\.load"):
        minigrad.load(path)


def test_load_of_a_real_pytorch_checkpoint(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(2)}, tmp_path / "new.pt")
    torch.save({"w": torch.ones(2)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="PyTorch checkpoint"):
        minigrad.load(tmp_path / "new.pt")
    with pytest.raises(ValueError, match="pickle"):
        minigrad.load(tmp_path / "old.pt")


# ***** file modes and temporary files *****


@pytest.fixture
def umask():
    def set_umask(mask):
        os.umask(mask)

    old = os.umask(0o022)
    os.umask(old)
    yield set_umask
    os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_new_file_respects_the_umask(tmp_path, umask, mask):
    umask(mask)
    minigrad.save({"w": minigrad.ones(2)}, tmp_path / "m.npz")
    assert stat.S_IMODE(os.stat(tmp_path / "m.npz").st_mode) == 0o666 & ~mask


def test_overwritten_file_keeps_its_mode(tmp_path, umask):
    umask(0o077)  # the existing file's mode wins over the umask, as when a file is rewritten in place
    path = tmp_path / "m.npz"
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    minigrad.save({"w": minigrad.ones(2)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    os.chmod(path, 0o640)
    minigrad.save({"w": minigrad.ones(2)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_temp_files_of_dead_writers_are_removed(tmp_path):
    """The next save into a folder removes temporary files that an interrupted save of this
    machine left behind (its process is gone), and nothing else."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        temp = minigrad.serialization._temp_name
        stale = tmp_path / temp("a.npz", int(dead), "x1")
        live = tmp_path / temp("b.npz", alive.pid, "x2")
        other_host = tmp_path / temp("c.npz", int(dead), "x3", host="elsewhere")
        old_other_host = tmp_path / temp("d.npz", int(dead), "x4", host="elsewhere")
        mine = ["a.npz", ".a.npz.tmp", ".hidden"]  # not of save's naming: never touched
        for p in [stale, live, other_host, old_other_host] + [tmp_path / m for m in mine]:
            p.write_bytes(b"x")
        two_days_ago = time.time() - 2 * 86400
        os.utime(old_other_host, (two_days_ago, two_days_ago))
        minigrad.save({"w": minigrad.ones(2)}, tmp_path / "m.npz")
        assert sorted(os.listdir(tmp_path)) == sorted(mine + ["m.npz", live.name, other_host.name])
    finally:
        alive.kill()
        alive.wait()


# ***** checkpoints: state dicts inside dicts, lists and numbers *****


def test_checkpoint_with_nested_values_round_trips(tmp_path):
    from collections import OrderedDict
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    F.mse_loss(model(minigrad.randn(4, 3)), minigrad.zeros(4, 2)).backward()
    opt.step()
    ckpt = {"epoch": 7, "acc": 91.25, "loss": minigrad.tensor(0.5), "best": None, "flag": True,
            "model": model.state_dict(), "optimizer": opt.state_dict(), "arr": np.arange(3),
            "tags": ("a", ["b", 2]), "int_keys": {0: "zero", 1: 1.5}, "np_scalar": np.float32(2.5)}
    minigrad.save(ckpt, tmp_path / "ckpt.pt")
    back = minigrad.load(tmp_path / "ckpt.pt")
    assert list(back) == list(ckpt)
    assert back["epoch"] == 7 and type(back["epoch"]) is int and back["acc"] == 91.25
    assert back["best"] is None and back["flag"] is True and back["np_scalar"] == 2.5
    assert back["tags"] == ("a", ["b", 2]) and back["int_keys"] == {0: "zero", 1: 1.5}
    assert isinstance(back["loss"], minigrad.Tensor) and back["loss"].item() == 0.5
    assert isinstance(back["arr"], np.ndarray) and back["arr"].tolist() == [0, 1, 2]
    assert isinstance(back["model"], OrderedDict) and list(back["model"]) == ["weight", "bias"]
    assert np.array_equal(back["model"]["weight"].numpy(), model.weight.numpy())
    fresh = optim.Adam(nn.Linear(3, 2).parameters(), lr=1.0)
    fresh.load_state_dict(back["optimizer"])
    assert fresh.param_groups[0]["lr"] == 1e-3 and fresh.param_groups[0]["betas"] == (0.9, 0.999)
    st, st0 = fresh.state_dict()["state"][0], opt.state_dict()["state"][0]
    assert sorted(st) == sorted(st0)
    assert all(np.array_equal(np.asarray(minigrad.tensor(st[k]).numpy()), np.asarray(minigrad.tensor(st0[k]).numpy()))
               for k in st)
    # a flat state dict keeps the plain layout: one .npy member per name
    minigrad.save(model.state_dict(), tmp_path / "flat.npz")
    with zipfile.ZipFile(tmp_path / "flat.npz") as z:
        assert sorted(z.namelist()) == ["bias.npy", "weight.npy"]


def test_checkpoint_errors_and_load_options(tmp_path):
    model = nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"\['model'\] holds a Linear.*state_dict\(\)"):
        minigrad.save({"model": model}, tmp_path / "x.pt")
    with pytest.raises(TypeError, match="save its state_dict"):
        minigrad.save(model, tmp_path / "x.pt")
    with pytest.raises(TypeError, match="keys must be strings or numbers"):
        minigrad.save({"m": {("a", 1): 1}}, tmp_path / "x.pt")
    with pytest.raises(TypeError, match="flat mapping"):
        minigrad.save({"m": model.state_dict()}, tmp_path / "x.safetensors")
    assert not os.listdir(tmp_path)  # nothing written
    minigrad.save({"m": model.state_dict(), "e": 1}, tmp_path / "x.pt")
    for kw in ({"map_location": "cpu"}, {"map_location": lambda s, loc: s}, {"weights_only": True}):
        back = minigrad.load(tmp_path / "x.pt", **kw)
        assert back["e"] == 1 and back["m"]["bias"].device == "cpu"
