"""Run 3 of the batch-normalization comparison (tanh, N(0, 1) "bad" init, lr 1.0) on the real
MNIST, shortened to 600 steps: BN trains, the plain net does not (R1.2: BN's running statistics
are updated and used in eval, else the BN net scores ~10 %). Skipped without the data."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad.datasets import MNIST_FILES, load_mnist

ROOT = Path(__file__).resolve().parents[1]
DATA = os.environ.get("MINIGRAD_DATA") or str(ROOT.parent / "shared" / "data" / "mnist")
HAVE_DATA = all(any((Path(DATA) / (n + ext)).is_file() for ext in (".gz", "")) for n, _ in MNIST_FILES.values())


def load_example():
    spec = importlib.util.spec_from_file_location("example_mnist_batchnorm", ROOT / "examples" / "mnist_batchnorm.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def val_accuracy(net, data):
    """Scored here, not by the example: eval mode, one forward over the 5,000 validation images."""
    net.eval()
    with minigrad.no_grad():
        logits = net(minigrad.tensor(data.val_images.reshape(-1, 784))).numpy()
    return float((logits.argmax(axis=1) == data.val_labels).mean())


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_DATA, reason="real MNIST not found (set MINIGRAD_DATA)")
def test_run3_600_steps_bn_trains_vanilla_does_not():
    mb = load_example()
    data = load_mnist(DATA, download=False)
    run = mb.RUNS[3]
    assert (run.lr, run.activation, run.init) == (1.0, "tanh", "bad")
    with np.errstate(over="ignore", invalid="ignore"):
        result = mb.train_pair(mb.Run(run.lr, 600, run.activation, run.init), data, seed=0, progress=False)
    vanilla, bn = (val_accuracy(result["nets"][b], data) for b in (False, True))
    assert bn >= 0.85, f"BN net reached only {bn:.4f}"
    assert vanilla <= 0.2, f"vanilla net reached {vanilla:.4f}"
    assert result["curves"]["step"] == list(range(0, 600, 60)) + [599]
    assert result["val"][True] == bn  # the example's own scoring agrees


def first_at(steps, accs, level=0.9):
    return next((s for s, a in zip(steps, accs) if a >= level), None)


def reaches_first(res):
    """BN's curve reaches 0.9 at an earlier evaluated step than the plain net's (or only BN does)."""
    bn, vanilla = (first_at(res["curves"]["step"], res["curves"][b]) for b in (True, False))
    return bn is not None and (vanilla is None or bn < vanilla)


# Runs in a fresh interpreter (BLAS threads must be set before NumPy loads: in a busy process
# two BLAS threads can make these tiny steps many times slower) with no data and no network: the
# example's own fallback picks the bundled sample. The nets are scored here, not by the example.
OFFLINE_DRIVER = """
import importlib.util, json, sys, urllib.request
import numpy as np

def no_network(*args, **kwargs):
    raise OSError("no network in this test")

urllib.request.urlopen = no_network
import minigrad
from minigrad.datasets import load_mnist_sample

spec = importlib.util.spec_from_file_location("example_mnist_batchnorm", sys.argv[1])
mb = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = mb
spec.loader.exec_module(mb)
results = mb.main(["--out", sys.argv[2], "--no-progress"])
data = load_mnist_sample()
x = minigrad.tensor(data.val_images.reshape(-1, 784))
out = {}
for k, res in results.items():
    val = {}
    for b, net in res["nets"].items():
        net.eval()
        with minigrad.no_grad():
            val[str(b)] = float((net(x).numpy().argmax(axis=1) == data.val_labels).mean())
    out[k] = {"val": val, "steps": res["curves"]["step"],
              "curves": {str(b): res["curves"][b] for b in (False, True)}}
print("RESULTS " + json.dumps(out))
"""


def first_at(steps, accs, level=0.9):
    return next((s for s, a in zip(steps, accs) if a >= level), None)


def reaches_first(res):
    """BN's curve reaches 0.9 at an earlier evaluated step than the plain net's (or only BN does)."""
    bn, vanilla = (first_at(res["steps"], res["curves"][b]) for b in ("True", "False"))
    return bn is not None and (vanilla is None or bn < vanilla)


@pytest.mark.slow
def test_offline_default_shows_the_five_claims(tmp_path):
    """`python examples/mnist_batchnorm.py` with no data anywhere and no network: it says it uses
    the bundled sample, and the five runs (full length, seed 0) tell the story of batch
    normalization. About a minute of CPU."""
    env = {k: v for k, v in os.environ.items() if k != "MINIGRAD_DATA"}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", XDG_CACHE_HOME=str(tmp_path / "empty-cache"),
               PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", OFFLINE_DRIVER, str(ROOT / "examples" / "mnist_batchnorm.py"),
                           str(tmp_path / "out")], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "Using the bundled MNIST sample: 15,000 train" in proc.stderr  # the banner says which data
    line = next(l for l in proc.stdout.splitlines() if l.startswith("RESULTS "))
    res = {int(k): v for k, v in json.loads(line[len("RESULTS "):]).items()}
    val = {k: (r["val"]["False"], r["val"]["True"]) for k, r in res.items()}
    for k, r in res.items():
        assert r["steps"][-1] == load_example().RUNS[k].steps - 1  # full length
        assert (r["curves"]["False"][-1], r["curves"]["True"][-1]) == val[k]  # the example scored alike
    # 1: both learn, BN reaches 90 % first
    assert min(val[1]) >= 0.9 and reaches_first(res[1]), (val[1], res[1]["steps"])
    # 2: both end worse than in run 1, BN better than the plain net
    assert val[2][0] < val[1][0] and val[2][1] < val[1][1] and val[2][1] > val[2][0], val[2]
    # 3: the plain net near chance, BN >= 0.9
    assert val[3][0] <= 0.2 and val[3][1] >= 0.9, val[3]
    # 4: BN faster
    assert reaches_first(res[4])
    # 5: the plain net stuck, BN learns
    assert val[5][0] <= 0.2 and val[5][1] >= 0.4, val[5]
    # the example's report reaches the same verdicts
    report = (tmp_path / "out" / "report.md").read_text()
    assert report.count("| **yes** |") == 5 and "bundled sample" in report
