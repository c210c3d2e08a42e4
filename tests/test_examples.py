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
