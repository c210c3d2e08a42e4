"""Batch normalization on MNIST: the classic 10-layer comparison.

Two copies of a 784-100x9-10 MLP start from the same weights and see the same batches:

    vanilla:  Linear (zero bias) -> activation             (x 9, then Linear -> logits)
    BN:       Linear (no bias) -> BatchNorm1d -> activation  (x 9, then Linear -> BatchNorm1d)

Softmax cross-entropy, plain SGD, batches of 60 drawn epoch after epoch (a fresh shuffle each
epoch; the batch that straddles an epoch end takes the rest from the next one). Validation
accuracy is measured after step i (counting from 0) whenever i % 60 == 0 and after the last step,
with the BN net in eval mode (running statistics). The five runs:

    run  lr    steps  activation  init
    1    0.01  2000   tanh        good  N(0, 0.1)
    2    0.01  5000   tanh        bad   N(0, 1)
    3    1.0   5000   tanh        bad
    4    0.01  2000   relu        good
    5    0.01  5000   relu        bad

Usage:
    python examples/mnist_batchnorm.py                  # all five runs, a few minutes on a CPU
    python examples/mnist_batchnorm.py --runs 1 3 --device cuda
    python examples/mnist_batchnorm.py --quick          # a short smoke run

Writes run<k>.png, all_runs.png, curves.csv and results.md into --out.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time

# NOTE: the matrices here are tiny (60 x 100): BLAS threads cost more than they save, and on a
# busy machine they can make a step 50x slower. Set the variable yourself to override.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
from dataclasses import dataclass
from pathlib import Path

import numpy as np  # noqa: E402  (after the thread settings)

import minigrad  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import nn, optim  # noqa: E402
from minigrad.datasets import DataLoader, load_mnist_or_sample, load_mnist_sample  # noqa: E402


@dataclass
class Run:
    lr: float
    steps: int
    activation: str  # "tanh" or "relu"
    init: str  # "good": N(0, 0.1); "bad": N(0, 1)

    def label(self) -> str:
        return f"lr {self.lr:g}, {self.activation}, {self.init} init, {self.steps} steps"


RUNS = {
    1: Run(0.01, 2000, "tanh", "good"),
    2: Run(0.01, 5000, "tanh", "bad"),
    3: Run(1.0, 5000, "tanh", "bad"),
    4: Run(0.01, 2000, "relu", "good"),
    5: Run(0.01, 5000, "relu", "bad"),
}
INIT_SCALE = {"good": 0.1, "bad": 1.0}
SIZES = [784] + [100] * 9 + [10]
EVAL_EVERY = 60


# ***** the two networks *****


def initial_weights(scale: float, seed: int = 42) -> list:
    """One weight matrix per Linear layer, drawn from N(0, scale) the way the original TensorFlow
    experiment did: one NumPy RandomState(seed) through the layers in order, each matrix drawn in
    TF's (in, out) layout, then transposed to PyTorch's (out, in).

    NOTE: the BN-with-bad-init and ReLU-without-BN runs depend on the particular draw more than on
    the shuffle; this draw reproduces the reference numbers (docs/batchnorm.md). It is a local
    generator, drawn on the host: the same weights on every device, whatever else seeds NumPy."""
    rng = np.random.RandomState(seed)
    return [minigrad.tensor(rng.normal(0.0, scale, (n_in, n_out)).astype(np.float32).T)
            for n_in, n_out in zip(SIZES, SIZES[1:])]


def build_net(weights: list, activation: str, bn: bool, momentum: float, eps: float,
              bn_position: str = "pre_act") -> nn.Sequential:
    """Linear -> [BatchNorm1d] -> activation per hidden layer, Linear -> [BatchNorm1d] at the end.
    bn_position="post_act" puts BatchNorm after the activation instead (the paper puts it before;
    both are in use, R1.15). A Linear directly followed by BatchNorm has no bias: BN's mean
    subtraction would cancel it."""
    if bn_position not in ("pre_act", "post_act"):
        raise ValueError(f"bn_position must be 'pre_act' or 'post_act', got {bn_position!r}")
    act = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}[activation]
    layers = []
    for i, w in enumerate(weights):
        n_out, n_in = w.shape
        last = i == len(weights) - 1
        bn_next = bn and (bn_position == "pre_act" or last)  # BN right after this Linear
        linear = nn.Linear(n_in, n_out, bias=not bn_next)
        linear.weight.array[...] = w.array
        if linear.bias is not None:
            linear.bias.array[...] = 0
        layers.append(linear)
        if bn_next:
            layers.append(nn.BatchNorm1d(n_out, eps=eps, momentum=momentum))
        if not last:
            layers.append(act())
            if bn and bn_position == "post_act":
                layers.append(nn.BatchNorm1d(n_out, eps=eps, momentum=momentum))
    return nn.Sequential(*layers)


def accuracy(net: nn.Module, x: minigrad.Tensor, y: np.ndarray, chunk: int = 5000) -> float:
    """Accuracy in eval mode (BN uses its running statistics), without recording a graph."""
    net.eval()
    with minigrad.no_grad():
        pred = np.concatenate([net(x[i : i + chunk]).argmax(dim=1).numpy() for i in range(0, len(y), chunk)])
    net.train()
    return float((pred == y).mean())


# ***** one run *****


def train_pair(run: Run, data, device: str = "cpu", seed: int = 0, momentum: float = 0.01,
               eps: float = 1e-3, progress: bool = True, name: str = "") -> dict:
    """Train the vanilla and the BN net of `run` side by side; return their curves, final
    accuracies, timings and the trained nets."""
    weights = initial_weights(INIT_SCALE[run.init])
    nets = {bn: build_net(weights, run.activation, bn, momentum, eps).to(device) for bn in (False, True)}
    opts = {bn: optim.SGD(net.parameters(), lr=run.lr) for bn, net in nets.items()}
    loader = DataLoader((data.train_images.reshape(-1, 784), data.train_labels), batch_size=60,
                        shuffle=True, generator=minigrad.Generator(seed), device=device)
    val_x = minigrad.tensor(data.val_images.reshape(-1, 784), device=device)
    test_x = minigrad.tensor(data.test_images.reshape(-1, 784), device=device)
    curves = {"step": [], False: [], True: []}
    seconds = {False: 0.0, True: 0.0}
    bar = _progress(run.steps, name, progress)
    for i, (xb, yb) in enumerate(loader.stream(run.steps)):
        for bn, net in nets.items():
            start = time.perf_counter()
            loss = F.cross_entropy(net(xb), yb)
            opts[bn].zero_grad()
            loss.backward()
            opts[bn].step()
            loss.item()  # waits for the GPU, so the time is the step's time
            seconds[bn] += time.perf_counter() - start
        if i % EVAL_EVERY == 0 or i == run.steps - 1:
            curves["step"].append(i)
            for bn, net in nets.items():
                curves[bn].append(accuracy(net, val_x, data.val_labels))
            bar.set_postfix(vanilla=f"{curves[False][-1]:.3f}", bn=f"{curves[True][-1]:.3f}")
        bar.update(1)
    bar.close()
    return {
        "curves": curves,
        "val": {bn: curves[bn][-1] for bn in nets},
        "test": {bn: accuracy(net, test_x, data.test_labels) for bn, net in nets.items()},
        "ms_per_step": {bn: 1000 * s / run.steps for bn, s in seconds.items()},
        "nets": nets,
    }


def _progress(total: int, desc: str, enabled: bool):
    try:
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, disable=not enabled, file=sys.stderr, dynamic_ncols=True)
    except ImportError:  # tqdm comes with the `examples` extra; run without a bar otherwise
        class _NoBar:
            update = set_postfix = close = lambda self, *a, **k: None

        return _NoBar()


# ***** outputs *****


def plot_run(ax, k: int, run: Run, result: dict) -> None:
    steps = result["curves"]["step"]
    ax.plot(steps, result["curves"][False], label="without BN", color="tab:red")
    ax.plot(steps, result["curves"][True], label="with BN", color="tab:blue")
    ax.set(title=f"run {k}: {run.label()}", xlabel="training step", ylabel="validation accuracy", ylim=(0, 1))
    ax.title.set_fontsize(9)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)


def save_outputs(out: Path, runs: dict, results: dict, header: str) -> str:
    out.mkdir(parents=True, exist_ok=True)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # it comes with the `examples` extra; without it, the CSV and table only
        print("matplotlib is not installed: no figures", file=sys.stderr)
        plt = None
    for k, result in results.items() if plt else ():
        fig, ax = plt.subplots(figsize=(6, 4))
        plot_run(ax, k, runs[k], result)
        fig.tight_layout()
        fig.savefig(out / f"run{k}.png", dpi=110)
        plt.close(fig)
    if plt:
        fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.6), squeeze=False)
        for ax, (k, result) in zip(axes[0], results.items()):
            plot_run(ax, k, runs[k], result)
        fig.suptitle(header, fontsize=10)
        fig.tight_layout()
        fig.savefig(out / "all_runs.png", dpi=110)
        plt.close(fig)

    with open(out / "curves.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["run", "lr", "steps", "activation", "init", "step", "vanilla_val_acc", "bn_val_acc"])
        for k, result in results.items():
            r, c = runs[k], result["curves"]
            for s, a, b in zip(c["step"], c[False], c[True]):
                w.writerow([k, r.lr, r.steps, r.activation, r.init, s, f"{a:.4f}", f"{b:.4f}"])

    rows = ["| run | lr | steps | act | init | val vanilla | val BN | test vanilla | test BN "
            "| ms/step vanilla | ms/step BN |", "|---" * 11 + "|"]
    for k, res in results.items():
        r = runs[k]
        rows.append(f"| {k} | {r.lr:g} | {r.steps} | {r.activation} | {r.init} | {res['val'][False]:.4f} "
                    f"| {res['val'][True]:.4f} | {res['test'][False]:.4f} | {res['test'][True]:.4f} "
                    f"| {res['ms_per_step'][False]:.2f} | {res['ms_per_step'][True]:.2f} |")
    table = header + "\n\n" + "\n".join(rows) + "\n"
    (out / "results.md").write_text(table)
    return table


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, nargs="+", default=list(RUNS), choices=list(RUNS),
                   help="which runs (default: all five)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--data", default=None, help="folder with the MNIST IDX files (default: "
                   "$MINIGRAD_DATA, else the cache folder; downloaded if missing)")
    p.add_argument("--sample", action="store_true", help="use the bundled 10,000-image sample")
    p.add_argument("--out", default="runs/mnist_batchnorm", help="folder for PNGs, CSV and table")
    p.add_argument("--seed", type=int, default=0, help="shuffling seed (weights always use seed 42)")
    p.add_argument("--steps", type=int, default=None, help="override every run's number of steps")
    p.add_argument("--momentum", type=float, default=0.01,
                   help="BatchNorm momentum, PyTorch convention (TensorFlow decay = 1 - momentum)")
    p.add_argument("--eps", type=float, default=1e-3, help="BatchNorm epsilon")
    p.add_argument("--quick", action="store_true", help="smoke run: 121 steps per run")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)

    data = load_mnist_sample() if args.sample else load_mnist_or_sample(args.data)
    runs = {k: RUNS[k] for k in args.runs}
    if args.steps or args.quick:
        steps = args.steps or 2 * EVAL_EVERY + 1
        runs = {k: Run(r.lr, steps, r.activation, r.init) for k, r in runs.items()}
    header = (f"MNIST from {data.source}: {len(data.train_labels)} train / {len(data.val_labels)} val / "
              f"{len(data.test_labels)} test; device {args.device}, shuffle seed {args.seed}, "
              f"BN momentum {args.momentum:g} (TF decay {1 - args.momentum:g}), eps {args.eps:g}")
    print(header, flush=True)
    results = {}
    for k, run in runs.items():
        with np.errstate(over="ignore", invalid="ignore"):  # bad-init vanilla nets overflow: their
            results[k] = train_pair(run, data, args.device, args.seed,  # curves show it
                                    args.momentum, args.eps, progress=not args.no_progress, name=f"run {k}")
        res = results[k]
        print(f"run {k} ({run.label()}): val vanilla {res['val'][False]:.4f}, BN {res['val'][True]:.4f}",
              flush=True)
    table = save_outputs(Path(args.out), runs, results, header)
    print("\n" + table + f"\nFigures, curves.csv and results.md are in {args.out}/")
    return results


if __name__ == "__main__":
    main()
