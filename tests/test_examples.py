"""Smoke tests of the examples on the bundled MNIST sample (--quick / few steps), and checks of
the comparison's protocol: same initial weights, zero biases, BN placement, eval-mode scoring."""

import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad
import minigrad.datasets
from minigrad import nn

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def run_example(name, *args, timeout=300):
    """Run an example as a user would, in a fresh interpreter (so it picks its own BLAS threads)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(EXAMPLES.parent), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), *args], env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc


@pytest.fixture(scope="module")
def mb():
    return load("mnist_batchnorm")


# ***** the protocol of examples/mnist_batchnorm.py *****


def linears(net):
    return [m for m in net.modules() if isinstance(m, nn.Linear)]


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_both_nets_start_from_the_same_weights(mb, activation):
    weights = mb.initial_weights(0.1)
    vanilla = mb.build_net(weights, activation, bn=False, momentum=0.01, eps=1e-3)
    bn = mb.build_net(weights, activation, bn=True, momentum=0.01, eps=1e-3)
    sizes = [(m.in_features, m.out_features) for m in linears(vanilla)]
    assert sizes == [(784, 100)] + [(100, 100)] * 8 + [(100, 10)]  # 784-100x9-10
    for a, b, w in zip(linears(vanilla), linears(bn), weights):
        np.testing.assert_array_equal(a.weight.numpy(), w.numpy())
        np.testing.assert_array_equal(b.weight.numpy(), w.numpy())
        assert not a.weight.array is b.weight.array  # copies: training one leaves the other alone
        np.testing.assert_array_equal(a.bias.numpy(), 0)
        assert b.bias is None  # no bias before BN (R1.15)
    kinds = [type(m).__name__ for m in bn]
    assert kinds[-2:] == ["Linear", "BatchNorm1d"]  # BN on the output layer too, then logits
    assert kinds.count("BatchNorm1d") == 10 and kinds.count(activation.capitalize() if activation == "tanh" else "ReLU") == 9
    bns = [m for m in bn if isinstance(m, nn.BatchNorm1d)]
    assert all(m.momentum == 0.01 and m.eps == 1e-3 for m in bns)


@pytest.mark.parametrize("position, order", [
    ("pre_act", ["Linear", "BatchNorm1d", "Tanh"] * 9 + ["Linear", "BatchNorm1d"]),
    ("post_act", ["Linear", "Tanh", "BatchNorm1d"] * 9 + ["Linear", "BatchNorm1d"]),
])
def test_R1_15_bn_position_sets_layer_order_and_bias(mb, position, order):
    net = mb.build_net(mb.initial_weights(0.1), "tanh", bn=True, momentum=0.01, eps=1e-3, bn_position=position)
    assert [type(m).__name__ for m in net] == order
    # a bias is redundant (and absent) exactly where BatchNorm follows the Linear directly
    layers = list(net)
    for i, m in enumerate(layers):
        if isinstance(m, nn.Linear):
            assert (m.bias is None) == isinstance(layers[i + 1], nn.BatchNorm1d)
    with pytest.raises(ValueError, match="bn_position"):
        mb.build_net(mb.initial_weights(0.1), "tanh", bn=True, momentum=0.01, eps=1e-3, bn_position="after")


@pytest.mark.parametrize("scale", [0.1, 1.0])
def test_initial_weights_seeded_normal(mb, scale):
    a, b = mb.initial_weights(scale), mb.initial_weights(scale)
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa.numpy(), wb.numpy())  # seed 42 every time
    first = a[0].numpy()
    assert first.dtype == np.float32
    assert abs(first.std() - scale) < 0.01 * scale * 10 and abs(first.mean()) < 0.01 * scale * 10


def test_accuracy_uses_eval_mode_and_changes_nothing(mb):
    net = mb.build_net(mb.initial_weights(0.1), "tanh", bn=True, momentum=0.01, eps=1e-3)
    x = minigrad.randn(30, 784)
    y = np.arange(30) % 10
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    acc = mb.accuracy(net, x, y, chunk=7)  # chunks must not matter in eval mode
    net.eval()
    with minigrad.no_grad():
        expected = float((net(x).numpy().argmax(1) == y).mean())
    net.train()
    assert acc == expected and net.training
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])  # running stats untouched


# ***** smoke runs on the bundled sample *****


def test_mnist_batchnorm_quick(tmp_path):
    run_example("mnist_batchnorm", "--quick", "--sample", "--out", str(tmp_path), "--no-progress")
    if importlib.util.find_spec("matplotlib"):  # without it (the `examples` extra) no figures
        for k in range(1, 6):
            assert (tmp_path / f"run{k}.png").stat().st_size > 10_000
        assert (tmp_path / "all_runs.png").stat().st_size > 10_000
    with open(tmp_path / "curves.csv") as f:
        rows = list(csv.DictReader(f))
    # 121 steps numbered 0..120: validation after steps 0, 60 and 120 (the last)
    assert [int(r["step"]) for r in rows if r["run"] == "1"] == [0, 60, 120]
    assert sorted({r["run"] for r in rows}) == ["1", "2", "3", "4", "5"] and len(rows) == 15
    for r in rows:
        assert 0 <= float(r["vanilla_val_acc"]) <= 1 and 0 <= float(r["bn_val_acc"]) <= 1
    table = (tmp_path / "results.md").read_text()
    assert "bundled sample" in table and table.count("\n| ") == 6  # header + 5 runs
    run3 = [r for r in rows if r["run"] == "3"][-1]
    assert float(run3["bn_val_acc"]) > 0.5  # BN with lr 1 learns even from a bad init in 121 steps


def test_mnist_batchnorm_one_run_flags(mb, tmp_path):
    """--runs, --steps, --momentum, --eps reach the nets (in-process, a few steps)."""
    data = minigrad.datasets.load_mnist_sample()
    res = mb.train_pair(mb.Run(0.01, 3, "relu", "good"), data, momentum=0.5, eps=0.1, progress=False)
    bns = [m for m in res["nets"][True] if isinstance(m, nn.BatchNorm1d)]
    assert all(m.momentum == 0.5 and m.eps == 0.1 for m in bns)
    assert all(int(m.num_batches_tracked.item()) == 3 for m in bns)  # 3 training steps, evals excluded
    assert res["curves"]["step"] == [0, 2]


def test_activation_stats_math():
    """Without BN a small init kills the signal; BN keeps every layer's spread."""
    ex = load("activation_stats")
    minigrad.manual_seed(0)
    x = minigrad.randn(500, 200)
    small, xavier, bn = (ex.record_activations(ex.build(s), x) for s in ex.SETUPS)
    assert len(small) == len(xavier) == len(bn) == 10 and small[0].shape == (500, 200)
    assert small[-1].std() < 1e-4
    assert 0.1 < xavier[-1].std() < 0.9
    assert all(0.5 < a.std() < 0.8 for a in bn)


def test_activation_stats_figures(tmp_path):
    run_example("activation_stats", "--out", str(tmp_path))
    assert (tmp_path / "activation_stats.png").is_file() and (tmp_path / "activation_hist.png").is_file()


def test_paper_mnist_few_steps(tmp_path):
    run_example("paper_mnist", "--sample", "--steps", "120", "--eval-every", "60", "--out", str(tmp_path),
                "--no-progress")
    assert (tmp_path / "paper_mnist.png").stat().st_size > 10_000


def test_mnist_cnn_no_progress(tmp_path):
    proc = run_example("mnist_cnn", "--sample", "--steps", "3", "--epochs", "1", "--no-progress")
    assert "epoch 1" in proc.stdout and "\r" not in proc.stderr  # no bar, no counter


def test_progress_bar_fallback_is_shared(monkeypatch, capsys):
    """Without tqdm the examples' one helper prints a bare counter, and nothing when disabled."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        import _progress
    finally:
        sys.path.remove(str(EXAMPLES))
    monkeypatch.setitem(sys.modules, "tqdm", None)  # `from tqdm import tqdm` now raises ImportError
    bar = _progress.progress_bar(200, "run 1", enabled=True)
    for _ in range(200):
        bar.update(1)
    bar.set_postfix(loss="1.0")
    bar.close()
    assert "run 1: 200/200" in capsys.readouterr().err
    quiet = _progress.progress_bar(200, "run 1", enabled=False)
    quiet.update(200)
    quiet.close()
    assert capsys.readouterr().err == ""
    for name in ("mnist_batchnorm", "mnist_cnn", "paper_mnist"):  # one helper, no private copies
        source = (EXAMPLES / f"{name}.py").read_text()
        assert "from _progress import progress_bar" in source and "tqdm" not in source


# ***** --seeds, the report and the five claims *****


def fake_result(val_curve_vanilla, val_curve_bn, steps=None, nonfinite=(None, None)):
    steps = steps or [60 * i for i in range(len(val_curve_vanilla))]
    return {"curves": {"step": steps, False: list(val_curve_vanilla), True: list(val_curve_bn)},
            "val": {False: val_curve_vanilla[-1], True: val_curve_bn[-1]},
            "test": {False: val_curve_vanilla[-1], True: val_curve_bn[-1]},
            "nonfinite": {False: nonfinite[0], True: nonfinite[1]}}


def textbook_seed():
    """One seed's results on which all five claims hold."""
    return {
        1: fake_result([0.1, 0.85, 0.91, 0.92], [0.1, 0.91, 0.93, 0.93]),
        2: fake_result([0.1, 0.1, 0.2], [0.1, 0.4, 0.66]),
        3: fake_result([0.1, 0.1, 0.098], [0.1, 0.9, 0.96]),
        4: fake_result([0.1, 0.7, 0.86], [0.1, 0.9, 0.94]),
        5: fake_result([0.1, 0.096, 0.096], [0.1, 0.3, 0.52], nonfinite=(1, None)),
    }


def test_claims_yes_partly_no(mb):
    good = textbook_seed()
    assert [v for _, _, v, _ in mb.check_claims({0: good, 1: good})] == ["yes"] * 5
    bad = textbook_seed()
    bad[1] = fake_result([0.1, 0.91, 0.92, 0.92], [0.1, 0.85, 0.91, 0.93])  # vanilla at 90 % first
    bad[2] = fake_result([0.1, 0.1, 0.2], [0.1, 0.1, 0.15])  # BN not better
    bad[3] = fake_result([0.1, 0.1, 0.3], [0.1, 0.9, 0.96])  # vanilla above chance
    bad[4] = fake_result([0.1, 0.9, 0.9], [0.1, 0.9, 0.94])  # same step: not faster
    bad[5] = fake_result([0.1, 0.1, 0.1], [0.1, 0.2, 0.3])  # BN below LEARNS
    verdicts = {k: v for k, _, v, _ in mb.check_claims({0: good, 1: bad})}
    assert verdicts == {1: "partly", 2: "partly", 3: "partly", 4: "partly", 5: "partly"}
    assert [v for _, _, v, _ in mb.check_claims({7: bad})] == ["no"] * 5
    # claim 2 compares with run 1: without it, it is not judged
    only2 = {0: {2: good[2]}}
    assert mb.check_claims(only2)[0][2].startswith("not checked")
    # the numbers quoted are the final accuracies and the steps at 90 %
    numbers = {k: n for k, _, _, n in mb.check_claims({0: good})}
    assert "0.920 / 0.930, 90% at step 120 / 60" in numbers[1]
    assert "never / 60" in numbers[4]


def test_data_label_never_a_folder(mb):
    data = minigrad.datasets.MNIST(*(np.zeros((n, 1)) for n in (55000, 55000, 5000, 5000, 10000, 10000)),
                                   source="/home/someone/data/mnist")
    assert mb.data_label(data) == "MNIST, 55,000 train / 5,000 val / 10,000 test"
    assert "bundled sample" in mb.data_label(minigrad.datasets.load_mnist_sample())


def test_mnist_batchnorm_seeds_report(tmp_path):
    run_example("mnist_batchnorm", "--quick", "--sample", "--seeds", "0", "1", "--runs", "1", "5",
                "--out", str(tmp_path), "--no-progress")
    with open(tmp_path / "curves.csv") as f:
        rows = list(csv.DictReader(f))
    assert sorted({(r["seed"], r["run"]) for r in rows}) == [("0", "1"), ("0", "5"), ("1", "1"), ("1", "5")]
    report = (tmp_path / "report.md").read_text()
    assert "shuffle seeds 0, 1" in report and "bundled sample" in report
    for run in ("1", "5"):  # mean ± sd (min-max) of the last validation point, computed here from the CSV
        for col in ("vanilla_val_acc", "bn_val_acc"):
            finals = np.array([float([r for r in rows if r["run"] == run and r["seed"] == s][-1][col])
                               for s in ("0", "1")])
            expected = f"{finals.mean():.4f} ± {finals.std(ddof=1):.4f} ({finals.min():.4f}-{finals.max():.4f})"
            assert expected in report, (run, col, expected)
    # run 5's plain net overflows at once: the report says where
    assert "seed 0 run 5 without BN from step 1" in report
    assert "| run 1: both nets learn" in report and "| run 5: the plain net is stuck" in report
    assert (tmp_path / "run1.png").stat().st_size > 10_000 and (tmp_path / "all_runs.png").stat().st_size > 10_000
    assert (tmp_path / "results.md").read_text().count("\n| ") == 5  # header + 2 seeds x 2 runs


# ***** the examples on a data set they never saw (--data DIR --any-idx) *****


def write_idx_folder(folder: Path, n_train: int, n_test: int, shape: tuple, classes: int, seed: int = 0):
    """A learnable data set in MNIST's file layout that is not MNIST: each class a fixed random
    pattern plus noise, at `shape` pixels. Written with its own IDX writer (header: 0, 0, type,
    dims; big-endian sizes; the bytes)."""
    import gzip
    import struct

    rng = np.random.default_rng(seed)
    patterns = rng.integers(0, 256, (classes, *shape))

    def draw(n):
        y = rng.permutation(np.arange(n) % classes).astype(np.uint8)  # every class occurs
        x = np.clip(0.6 * patterns[y] + rng.integers(0, 100, (n, *shape)), 0, 255).astype(np.uint8)
        return x, y

    folder.mkdir(parents=True, exist_ok=True)
    (x, y), (tx, ty) = draw(n_train), draw(n_test)
    for name, a in [("train-images-idx3-ubyte", x), ("train-labels-idx1-ubyte", y),
                    ("t10k-images-idx3-ubyte", tx), ("t10k-labels-idx1-ubyte", ty)]:
        raw = struct.pack(">BBBB", 0, 0, 0x08, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape) + a.tobytes()
        (folder / f"{name}.gz").write_bytes(gzip.compress(raw, compresslevel=1))
    return folder


@pytest.fixture(scope="module")
def letters(tmp_path_factory):
    """32x32 images of 26 classes (EMNIST-letters-sized), 1,200 training images."""
    return write_idx_folder(tmp_path_factory.mktemp("idx") / "letters", 1200, 300, (32, 32), 26)


@pytest.fixture(scope="module")
def odd_size(tmp_path_factory):
    """20x24 images of 47 classes (EMNIST-balanced's class count)."""
    return write_idx_folder(tmp_path_factory.mktemp("idx") / "odd", 600, 94, (20, 24), 47, seed=1)


def test_mnist_batchnorm_quick_on_other_data(mb, letters, tmp_path):
    """--quick end to end on 32x32 images of 26 classes: the nets are sized from the data, the
    tables name it (not MNIST), the validation rule is said, and the nets learn its labels."""
    proc = run_example("mnist_batchnorm", "--quick", "--data", str(letters), "--any-idx", "--out", str(tmp_path),
                       "--no-progress")
    assert "letters: the validation set is the first 100 of the 1,200 training images (a twelfth" in proc.stdout
    data = minigrad.datasets.load_idx(letters)
    assert mb.layer_sizes(data) == [1024] + [100] * 9 + [26]
    assert mb.layer_sizes(minigrad.datasets.load_mnist_sample()) == mb.SIZES  # MNIST's stays
    table = (tmp_path / "results.md").read_text()
    assert table.startswith("letters (32x32 images, 26 classes; not checksummed), 1,100 train / 100 val / 300 test")
    assert "MNIST," not in table and table.count("\n| ") == 6
    report = (tmp_path / "report.md").read_text()
    assert "letters is not MNIST: the network is 1024-100-100-100-100-100-100-100-100-100-26" in report
    with open(tmp_path / "curves.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 15
    run1 = [r for r in rows if r["run"] == "1"][-1]
    assert float(run1["bn_val_acc"]) > 0.5  # chance is 1/26: the labels reach the right outputs


def test_mnist_cnn_few_steps_on_other_data(odd_size):
    """20x24 images, 47 classes: the flatten size comes from H and W (64 * 5 * 6)."""
    proc = run_example("mnist_cnn", "--data", str(odd_size), "--any-idx", "--steps", "4", "--epochs", "1",
                       "--no-progress")
    assert "name='odd', train=550, val=50, test=94, images 20x24, 47 classes, not checksummed" in proc.stdout
    assert "test accuracy" in proc.stdout and "(odd (20x24 images, 47 classes; not checksummed))" in proc.stdout


def test_make_cnn_sizes_from_the_images():
    cnn = load("mnist_cnn")
    default = cnn.make_cnn()
    assert (default[-1].in_features, default[-1].out_features) == (3136, 10)  # MNIST's, unchanged
    for shape, classes, flat in [((20, 24), 47, 64 * 5 * 6), ((32, 32), 26, 64 * 8 * 8), ((30, 31), 3, 64 * 7 * 7)]:
        net = cnn.make_cnn(shape, classes)
        assert net[-1].in_features == flat
        with minigrad.no_grad():
            assert net(minigrad.zeros(2, 1, *shape)).shape == (2, classes)
    with pytest.raises(ValueError, match="3x8 are too small"):
        cnn.make_cnn((3, 8), 10)


@pytest.mark.parametrize("name,args,produced", [
    ("paper_mnist", ["--steps", "60", "--eval-every", "30"], "paper_mnist.png"),
    ("gradient_flow", ["--quick"], "gradient_flow.csv"),
    ("bn_failure_modes", ["--quick", "--parts", "finetune", "folding"], "report.md"),
])
def test_other_examples_on_other_data(letters, tmp_path, name, args, produced):
    extra = [] if name == "bn_failure_modes" else ["--no-progress"]
    proc = run_example(name, "--data", str(letters), "--any-idx", "--out", str(tmp_path), *args, *extra)
    assert (tmp_path / produced).stat().st_size > 0
    assert "letters: the validation set is the first 100" in proc.stdout
    if name == "paper_mnist":
        assert "letters (32x32 images, 26 classes; not checksummed) from" in proc.stdout
        assert "1024-100-100-100-26 net" in proc.stdout
    if name == "bn_failure_modes":
        report = (tmp_path / "report.md").read_text()
        assert report.startswith("# BatchNorm's failure modes on letters\n")
        assert "on classes 0-12, then 5 on 13-25" in report and "digits" not in report


def test_examples_refuse_other_data_without_the_flag_and_say_which(letters):
    """Without --any-idx, MNIST's checksums refuse the folder: no traceback, the way out named."""
    env = dict(os.environ, PYTHONPATH=str(EXAMPLES.parent))
    proc = subprocess.run([sys.executable, str(EXAMPLES / "mnist_cnn.py"), "--data", str(letters), "--steps", "1"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "checksum mismatch" in proc.stderr and f"--data {letters} --any-idx" in proc.stderr
    proc = subprocess.run([sys.executable, str(EXAMPLES / "mnist_cnn.py"), "--any-idx", "--sample"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "choose one" in proc.stderr


def test_data_label_names_other_data(mb, letters):
    label = mb.data_label(minigrad.datasets.load_idx(letters))
    assert label == "letters (32x32 images, 26 classes; not checksummed), 1,100 train / 100 val / 300 test"
