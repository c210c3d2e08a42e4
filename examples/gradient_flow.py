"""Gradient flow per layer in the 10-layer MNIST comparison, with and without BatchNorm.

The companion of examples/mnist_batchnorm.py (its nets, weights and training loop are imported,
not copied). For runs 1 and 2 (tanh; good and bad init) and 4 and 5 (ReLU) it takes both nets
twice: at initialisation ("early", step 0) and after --steps steps of the example's own training
("late"), and on one fixed batch of the first --batch training images (BN in train mode, no
optimizer step on that batch) it measures, for every Linear layer 1-10:

    dL/dW   the std of the layer's weight gradient, read from linear.weight.grad
    dL/dh   the std of the gradient of the loss with respect to the layer's output h = W x (+ b),
            caught by a forward hook that calls h.retain_grad(): public hooks, nothing inside a layer

Writes gradient_flow.png (rows: dL/dW, dL/dh; columns: the runs; red without BN, blue with BN,
solid early, dashed late; a cross at the top where the value is NaN or inf) and gradient_flow.csv.

Usage:
    python examples/gradient_flow.py --out docs/figures    # about half a minute on a CPU
    python examples/gradient_flow.py --quick               # a smoke run: 60 images, 20 steps
    python examples/gradient_flow.py --data ~/data/fashion --any-idx   # another data set in MNIST's layout
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mnist_batchnorm as mb  # noqa: E402  (first: it sets the BLAS threads before NumPy loads)
import numpy as np  # noqa: E402
from _data import add_data_args, load_data  # noqa: E402

import minigrad  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import nn  # noqa: E402

RUN_IDS = (1, 2, 4, 5)
PHASES = ("early", "late")


def gradient_stats(net: nn.Module, x: minigrad.Tensor, y: minigrad.Tensor) -> dict:
    """One forward and backward pass of `net` (in train mode) on (x, y), no update. Returns
    {"dW": [std per Linear], "dh": [std per Linear], "h": [the caught outputs, gradients kept]}."""
    outputs = []

    def keep(module, inputs, out):
        out.retain_grad()  # a non-leaf: without this its gradient is freed during backward
        outputs.append(out)

    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    handles = [m.register_forward_hook(keep) for m in linears]
    net.train()
    net.zero_grad()
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    for h in handles:
        h.remove()
    return {"dW": [float(m.weight.grad.numpy().std()) for m in linears],
            "dh": [float(h.grad.numpy().std()) for h in outputs], "h": outputs}


def measure(data, batch: int, steps: int, seed: int = 0, progress: bool = True) -> dict:
    """{(run, bn, phase): gradient_stats} for the four runs, early (step 0) and late (after `steps`)."""
    x = minigrad.tensor(data.train_images[:batch].reshape(len(data.train_images[:batch]), -1))
    y = minigrad.tensor(data.train_labels[:batch])
    stats = {}
    for k in RUN_IDS:
        run = mb.RUNS[k]
        weights = mb.initial_weights(mb.INIT_SCALE[run.init], sizes=mb.layer_sizes(data))
        for bn in (False, True):  # the nets train_pair builds, before their first step
            net = mb.build_net(weights, run.activation, bn, momentum=0.01, eps=1e-3)
            stats[k, bn, "early"] = gradient_stats(net, x, y)
        short = mb.Run(run.lr, steps, run.activation, run.init)
        res = mb.train_pair(short, data, seed=seed, progress=progress, name=f"run {k}")
        for bn in (False, True):
            stats[k, bn, "late"] = gradient_stats(res["nets"][bn], x, y)
            stats[k, bn, "late"]["nonfinite"] = res["nonfinite"][bn]  # first step with a NaN/inf loss
    return stats


def plot(stats: dict, steps: int, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    when = {"early": "step 0", "late": f"after {steps} steps"}
    fig, axes = plt.subplots(2, len(RUN_IDS), figsize=(4 * len(RUN_IDS), 7), sharex=True)
    for col, k in enumerate(RUN_IDS):
        for row, (key, name) in enumerate([("dW", "std of dL/dW"), ("dh", "std of dL/dh")]):
            ax = axes[row, col]
            marks = []
            for bn in (False, True):
                for phase, ls in zip(PHASES, ("-", "--")):
                    v = np.array(stats[k, bn, phase][key])
                    layer = np.arange(1, len(v) + 1)
                    ok = np.isfinite(v) & (v > 0)
                    ax.plot(layer, np.where(ok, v, np.nan), color=mb.COLORS[bn], ls=ls, marker="o", ms=3)
                    if not ok.all():  # NaN, inf or exactly 0: no point on a log axis, so say so
                        marks.append((bn, phase, layer[~ok]))
            ax.set_yscale("log")
            if marks:  # headroom above the curves for the crosses and their note
                lo, hi = ax.get_ylim()
                ax.set_ylim(lo, hi * (hi / lo) ** 0.4)
            for i, (bn, phase, where) in enumerate(marks):
                ax.plot(where, np.full(len(where), 0.94), "x", color=mb.COLORS[bn], ms=7,
                        transform=ax.get_xaxis_transform())
                first = stats[k, bn, phase].get("nonfinite")
                since = "" if first is None else f"\n(its loss non-finite from step {first})"
                ax.text(0.5, 0.88 - 0.1 * i, f"{mb.NAMES[bn]}, {when[phase]}: NaN or inf{since}",
                        transform=ax.transAxes, ha="center", va="top", fontsize=7, color=mb.COLORS[bn])
            ax.grid(alpha=0.3)
            ax.set_xticks(range(1, 11))
            if col == 0:
                ax.set_ylabel(name + " (log)")
            if row == 0:
                r = mb.RUNS[k]
                ax.set_title(f"run {k}: {r.activation}, {r.init} init, lr {r.lr:g}", fontsize=9)
            else:
                ax.set_xlabel("layer (Linear 1-10)")
    handles = [plt.Line2D([], [], color=mb.COLORS[bn], ls=ls, marker="o", ms=3,
                          label=f"{mb.NAMES[bn]}, {when[phase]}")
               for bn in (False, True) for phase, ls in zip(PHASES, ("-", "--"))]
    handles.append(plt.Line2D([], [], color="0.3", ls="", marker="x", label="NaN or inf (off the axis)"))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=8, frameon=False)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_args(p)
    p.add_argument("--out", default="runs/gradient_flow", help="folder for the PNG and the CSV")
    p.add_argument("--batch", type=int, default=600, help="the fixed batch: the first N training images")
    p.add_argument("--steps", type=int, default=1000, help="training steps before the late measurement")
    p.add_argument("--seed", type=int, default=0, help="shuffling seed of the training")
    p.add_argument("--quick", action="store_true", help="smoke run: 60 images, 20 steps")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.quick:
        args.batch, args.steps = 60, 20

    data = load_data(args)
    args.batch = min(args.batch, len(data.train_labels))  # a small training set: all of it
    with np.errstate(over="ignore", invalid="ignore"):  # run 5's plain net overflows on purpose
        stats = measure(data, args.batch, args.steps, args.seed, progress=not args.no_progress)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "gradient_flow.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["run", "bn", "phase", "layer", "std_dL_dW", "std_dL_dh"])
        for (k, bn, phase), s in stats.items():
            for i, (dw, dh) in enumerate(zip(s["dW"], s["dh"]), 1):
                w.writerow([k, int(bn), phase, i, f"{dw:.4g}", f"{dh:.4g}"])
    print("run  BN  phase  std dL/dW layers 1, 5, 10      std dL/dh layers 1, 5, 10")
    for (k, bn, phase), s in stats.items():
        pick = lambda v: "  ".join(f"{v[i]:9.3g}" for i in (0, 4, 9))  # noqa: E731
        print(f"{k:3d}  {'yes' if bn else 'no':3s} {phase:6s} {pick(s['dW'])}   {pick(s['dh'])}")
    title = (f"Gradient std per layer on {args.batch} training images ({mb.data_label(data)}), "
             f"BN in train mode; early = step 0, late = after {args.steps} SGD steps of batch 60")
    plot(stats, args.steps, title, out / "gradient_flow.png")
    print(f"wrote {out}/gradient_flow.png and {out}/gradient_flow.csv")
    return stats


if __name__ == "__main__":
    main()
