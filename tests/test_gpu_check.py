"""tools/gpu_check.py: the pieces a GPU run relies on, checked on the strict device.

The whole script runs in CI (`.ci/run`: `tools/gpu_check.sh --device strict`); these tests pin
the parts whose failure would make a GPU run report something false: the host-transfer counter
(it must see a sync planted inside a layer, not only the ones the caller makes), the JUnit
counts, and the example it runs without matplotlib (the GPU machine may not have it).
"""

import importlib.util
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn, optim

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def gc():
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "tools" / "gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _step_fn(model, log_loss=False):
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((8, 5)).astype(np.float32), device="strict")
    y = minigrad.tensor(np.arange(8) % 3, device="strict")
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if log_loss:
            loss.item()

    return step


def _model():
    return nn.Sequential(nn.Linear(5, 6), nn.BatchNorm1d(6), nn.Tanh(), nn.Linear(6, 3)).to("strict")


def test_strict_device_helper_registers_the_device(gc):
    module = gc.strict_device()
    assert hasattr(module, "host_transfers")
    assert minigrad.ones(2, device="strict").device == "strict"


def test_training_step_counts_no_sync_and_item_counts_one(gc):
    strict = gc.strict_device()
    assert gc.count_syncs(_step_fn(_model()), "strict", strict) == dict(
        to_numpy=0, item=0, bool=0, host_to_device=0, strict_host_transfers=0)
    logged = gc.count_syncs(_step_fn(_model(), log_loss=True), "strict", strict)
    assert (logged["item"], logged["strict_host_transfers"]) == (1, 1)


class _SyncingTanh(nn.Tanh):
    """A layer with a host sync hidden inside its forward (a data-dependent Python branch)."""

    def forward(self, x):
        if x.abs().max() > 1e9:  # Tensor.__bool__: a device->host transfer on a GPU
            raise ValueError("huge activations")
        return super().forward(x)


def test_counter_sees_a_sync_planted_inside_a_layer(gc):
    strict = gc.strict_device()
    model = nn.Sequential(nn.Linear(5, 6), _SyncingTanh(), nn.Linear(6, 3)).to("strict")
    counts = gc.count_syncs(_step_fn(model), "strict", strict)
    assert counts["bool"] == 1 and counts["strict_host_transfers"] == 1


def test_counter_counts_numpy_on_the_device_not_on_the_host(gc):
    strict = gc.strict_device()
    t, h = minigrad.ones(3, device="strict"), minigrad.ones(3)
    with gc.SyncCounter("strict", strict) as c:
        t.numpy()
        h.numpy()
        minigrad.tensor(np.zeros(2, np.float32), device="strict")
    assert (c.counts["to_numpy"], c.counts["strict_host_transfers"], c.counts["host_to_device"]) == (1, 1, 1)
    assert c.device_to_host == 2


def test_counter_restores_what_it_wrapped(gc):
    from minigrad import Tensor, backend

    before = (backend.to_numpy, backend.to_device, Tensor.item, Tensor.__bool__)
    with gc.SyncCounter("strict", gc.strict_device()):
        assert backend.to_numpy is not before[0]
    assert (backend.to_numpy, backend.to_device, Tensor.item, Tensor.__bool__) == before


def test_junit_counts(gc, tmp_path):
    xml = tmp_path / "j.xml"
    xml.write_text(
        '<testsuites><testsuite name="pytest" tests="5" failures="1" errors="1" skipped="1" time="2.5">'
        '<testcase classname="tests.test_a" name="test_ok[cuda]"/>'
        '<testcase classname="tests.test_a" name="test_bad[cuda]"><failure message="x"/></testcase>'
        "</testsuite></testsuites>")
    c = gc.Check.junit_counts(xml)
    assert (c["passed"], c["failed"], c["errors"], c["skipped"]) == (2, 1, 1, 1)
    assert c["failing"] == ["tests.test_a::test_bad[cuda]"]
    assert gc.Check.junit_counts(tmp_path / "missing.xml") is None


def test_mnist_batchnorm_without_matplotlib_writes_table_and_csv(gc, tmp_path, monkeypatch):
    """The GPU machine may lack matplotlib: the example still writes results.md and curves.csv,
    and gpu_check can read the table."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises ImportError
    monkeypatch.setattr(sys, "argv", ["mnist_batchnorm.py", "--runs", "1", "--steps", "2", "--sample",
                                      "--no-progress", "--out", str(tmp_path)])
    runpy.run_path(str(ROOT / "examples" / "mnist_batchnorm.py"), run_name="__main__")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.csv", "report.md", "results.md"]
    row = gc.Check.batchnorm_results(tmp_path)["1"]
    assert row["steps"] == 2 and all(ms > 0 for ms in row["ms_per_step"])
    assert all(0 <= a <= 1 for a in row["val"] + row["test"])


def test_dataloader_moves_the_order_to_the_device_once_per_epoch(gc):
    """A copy from the host can wait for the GPU: one per epoch, not one per batch; the batches
    are the CPU's."""
    from minigrad.datasets import DataLoader

    x, y = np.arange(50, dtype=np.float32).reshape(25, 2), np.arange(25)

    def loader(device):
        return DataLoader((x, y), batch_size=5, shuffle=True, generator=minigrad.Generator(3), device=device)

    epoch, stream = loader("strict"), loader("strict")  # each copies the data to the device once
    with gc.SyncCounter("strict", gc.strict_device()) as c:
        batches = list(epoch)  # 5 batches, one epoch
        streamed = list(stream.stream(8))  # 40 samples: two epochs, one straddling batch
    assert c.counts["host_to_device"] == 1 + 2
    for got, want in zip(batches + streamed, list(loader("cpu")) + list(loader("cpu").stream(8))):
        np.testing.assert_array_equal(got[0].numpy(), want[0].numpy())
        np.testing.assert_array_equal(got[1].numpy(), want[1].numpy())


def test_summary_of_a_gpu_report(gc):
    """The parts only a GPU fills (card, memory pool, CuPy's sync check) render: a GPU run must
    not lose its summary to a formatting slip no CPU run could show."""
    steps = {"MLP step, BN": dict(first_ms=900.0, second_ms=3.1, steady_ms=2.5, n=25)}
    report = dict(device="cuda", budget_s=420, wall_s=400, data="/data/mnist", parts={
        "env": dict(status="ok", required=True, seconds=3.0),
        "first_use": dict(status="ok", required=True, seconds=30.0, result=dict(
            cold=dict(import_s=1.0, first_op_s=0.3, steps=steps, kernel_cache_files=87),
            warm=dict(import_s=1.0, first_op_s=0.3, steps=steps))),
        "syncs": dict(status="ok", required=True, result={"MLP step, BN": dict(
            to_numpy=0, item=0, bool=0, host_to_device=0, cupyx_check="none detected")}),
        "memory": dict(status="ok", required=True, result={"CNN step": dict(
            used_mib_after_10=40.0, total_mib_after_10=90.0, used_mib_after_20=40.0, total_mib_after_20=90.0,
            torch_allocated_mib=20.0, torch_peak_allocated_mib=60.0, torch_reserved_mib=80.0)}),
        "mnist_cnn": dict(status="ok", required=True, result=dict(
            steps=1718, full_epoch_steps=1718, epoch_s=9.5, ms_per_step=5.5, val=0.98, test=0.985)),
        "bench": dict(status="ok", required=True, result=dict(torch="2.9.0", missed_targets=[], rows=[
            dict(name="CNN step", ms=dict(minigrad=3.0, torch=1.5), ratio_torch=2.0, torch_device="cuda")])),
    }, env=dict(gpu="NVIDIA H100 80GB HBM3", compute_capability="9.0", cuda_driver="13.0", cupy="13.6.0"))
    text = gc.render_summary(report)
    for expected in ("NVIDIA H100 80GB HBM3", "none detected", "| CNN step | 40.0 / 40.0 | 90.0 | 20.0 / 60.0 / 80.0 |",
                     "| mnist_cnn --epochs 1 | 1718 of 1718 | 0.9800 | 0.9850 | 5.50 | 9.5 s (1718 steps, measured) |",
                     "kernel cache files after the cold run: 87", "| CNN step | 3.000 | 1.500 | 2.00 |"):
        assert expected in text, expected


def test_gpu_only_parts_run_against_a_fake_cupy(tmp_path):
    """(Named without "cuda": `pytest -k cuda` on a real GPU must not select it.)
    The cuda-only code of the check (versions, memory pool, CuPy's sync detector, the cuda
    case selection) runs before the one real GPU window: here against tools/fake_cupy, a CuPy
    made of the strict device. Its numbers are made up; only that the parts run is checked."""
    import json
    import os
    import subprocess

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "tools" / "fake_cupy"), str(ROOT)]))
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "gpu_check.py"), "--device", "cuda", "--only", "env",
                           "--only", "syncs", "--only", "memory", "--budget", "120", "--out", str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert report["env"]["gpu"] == "Fake GPU" and report["env"]["cuda_runtime"] == "13.0"
    assert {n: p["status"] for n, p in report["parts"].items()} == dict(env="ok", syncs="ok", memory="ok")
    memory = report["parts"]["memory"]["result"]["CNN step"]
    assert memory["used_mib_after_20"] == 1.0 and memory["total_mib_after_20"] == 2.0
    assert "Card: Fake GPU" in (tmp_path / "summary.md").read_text()
