"""examples/gradient_flow.py: the per-layer gradients it reads through public hooks are the true
dL/dh and dL/dW, the BN nets' statistics stay finite, and a short run writes its figure and CSV."""

import csv

import numpy as np
import pytest

import minigrad
import minigrad.datasets
from test_examples import load, run_example


@pytest.fixture(scope="module")
def gf():
    return load("gradient_flow")


def random_batch(n=600, seed=0):
    rng = np.random.default_rng(seed)
    return (minigrad.tensor(rng.random((n, 784), dtype=np.float32)),
            minigrad.tensor(rng.integers(0, 10, n)))


def plain_net(gf, run=1, bn=False):
    r = gf.mb.RUNS[run]
    return gf.mb.build_net(gf.mb.initial_weights(gf.mb.INIT_SCALE[r.init]), r.activation, bn, 0.01, 1e-3)


@pytest.mark.parametrize("bn", [False, True])
def test_hooks_catch_every_layers_output_gradient(gf, bn):
    x, y = random_batch()
    net = plain_net(gf, 1, bn)
    s = gf.gradient_stats(net, x, y)
    assert [tuple(h.grad.shape) for h in s["h"]] == [(600, 100)] * 9 + [(600, 10)]
    assert len(s["dW"]) == len(s["dh"]) == 10
    # h1 = x W1^T, so dL/dW1 = (dL/dh1)^T x: ties the caught gradient to the weight's own
    first = [m for m in net.modules() if isinstance(m, minigrad.nn.Linear)][0]
    expected = s["h"][0].grad.numpy().astype(np.float64).T @ x.numpy().astype(np.float64)
    np.testing.assert_allclose(first.weight.grad.numpy(), expected, rtol=1e-4,
                               atol=1e-5 * np.abs(expected).max())
    assert s["dW"][0] == pytest.approx(float(first.weight.grad.numpy().std()))
    assert not any(m._forward_hooks for m in net.modules())  # the hooks are removed again


def test_last_gradient_of_the_plain_net_is_softmax_minus_one_hot(gf):
    x, y = random_batch(seed=1)
    s = gf.gradient_stats(plain_net(gf, 4), x, y)
    logits = s["h"][-1].numpy().astype(np.float64)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    expected = (p - np.eye(10)[y.numpy()]) / len(p)
    np.testing.assert_allclose(s["h"][-1].grad.numpy(), expected, rtol=1e-4, atol=1e-8)


def test_bn_nets_stay_finite_and_run_5_plain_goes_nan(gf):
    with np.errstate(over="ignore", invalid="ignore"):
        stats = gf.measure(minigrad.datasets.load_mnist_sample(), batch=60, steps=3, progress=False)
    assert set(stats) == {(k, bn, phase) for k in (1, 2, 4, 5) for bn in (False, True)
                          for phase in ("early", "late")}
    for (k, bn, phase), s in stats.items():
        values = np.array(s["dW"] + s["dh"])
        if bn or phase == "early":
            assert np.isfinite(values).all() and (values > 0).all(), (k, bn, phase)
    assert np.isnan(stats[5, False, "late"]["dW"]).all() and stats[5, False, "late"]["nonfinite"] == 1
    assert stats[5, True, "late"]["nonfinite"] is None


def test_gradient_flow_quick(tmp_path):
    pytest.importorskip("matplotlib")
    proc = run_example("gradient_flow", "--quick", "--sample", "--no-progress", "--out", str(tmp_path))
    assert (tmp_path / "gradient_flow.png").stat().st_size > 10_000
    with open(tmp_path / "gradient_flow.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 * 2 * 2 * 10
    assert {r["run"] for r in rows} == {"1", "2", "4", "5"}
    assert "nan" in proc.stdout  # run 5's plain net, after training
