"""Run 3 of the batch-normalization comparison (tanh, N(0, 1) "bad" init, lr 1.0) on the real
MNIST, shortened to 600 steps: BN trains, the plain net does not (R1.2: BN's running statistics
are updated and used in eval, else the BN net scores ~10 %). Skipped without the data."""

import importlib.util
import os
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


@pytest.mark.slow
def test_offline_default_shows_the_five_claims(tmp_path, monkeypatch):
    """The offline default (bundled sample, all five runs, full length, seed 0) tells the story of
    batch normalization. The final accuracies are scored here, independently of the example; the
    thresholds are the claims' own (about 60 s of CPU)."""
    from minigrad.datasets import load_mnist_sample

    mb = load_example()
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    with np.errstate(over="ignore", invalid="ignore"):
        results = mb.main(["--sample", "--out", str(tmp_path), "--no-progress"])
    data = load_mnist_sample()
    val = {k: {b: val_accuracy(res["nets"][b], data) for b in (False, True)} for k, res in results.items()}
    for k, res in results.items():
        assert res["curves"]["step"][-1] == mb.RUNS[k].steps - 1
        assert [res["curves"][b][-1] for b in (False, True)] == [val[k][False], val[k][True]]
    # 1: both learn, BN reaches 90 % first
    assert val[1][False] >= 0.9 and val[1][True] >= 0.9 and reaches_first(results[1])
    # 2: both end worse than in run 1, BN better
    assert val[2][False] < val[1][False] and val[2][True] < val[1][True] and val[2][True] > val[2][False]
    # 3: the plain net near chance, BN >= 0.9
    assert val[3][False] <= 0.2 and val[3][True] >= 0.9
    # 4: BN faster
    assert reaches_first(results[4])
    # 5: the plain net stuck, BN learns
    assert val[5][False] <= 0.2 and val[5][True] >= 0.4
    # the example's own verdicts agree, and its banner and report name the sample
    report = (tmp_path / "report.md").read_text()
    assert report.count("| **yes** |") == 5 and "bundled sample" in report
