"""What initialisation and BatchNorm do to the activations of a deep tanh network.

Ten layers of 200 tanh units see 500 random inputs, under three set-ups:

    small init     weights from N(0, 0.01): the signal shrinks layer after layer towards 0
    Xavier init    weights from U(-a, a), a = sqrt(6 / (fan_in + fan_out)): the spread survives
    small + BN     N(0, 0.01) weights, then BatchNorm1d before each tanh: every layer's input is
                   renormalised, whatever the weights' scale

The activations are collected with Module forward hooks, so the layers know nothing about it.
Prints each layer's std and its shares of saturated (|y| > 0.9) and near-zero (|y| < 0.1) units,
and writes activation_stats.png (those per layer) and activation_hist.png (a histogram per layer)
into --out. (The mean is not shown: tanh is odd and the inputs symmetric, so it stays near 0.)

Usage:
    python examples/activation_stats.py --out docs/figures
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import minigrad
from minigrad import nn
from minigrad.nn import init

LAYERS, WIDTH, SAMPLES = 10, 200, 500
SETUPS = ["small init N(0, 0.01)", "Xavier init", "small init + BatchNorm"]


def build(setup: str) -> nn.Sequential:
    layers = []
    for _ in range(LAYERS):
        bn = setup.endswith("BatchNorm")
        linear = nn.Linear(WIDTH, WIDTH, bias=not bn)
        if setup.startswith("Xavier"):
            init.xavier_uniform_(linear.weight)
        else:
            init.normal_(linear.weight, 0.0, 0.01)
        if linear.bias is not None:
            init.zeros_(linear.bias)
        layers += [linear, nn.BatchNorm1d(WIDTH)] if bn else [linear]
        layers.append(nn.Tanh())
    return nn.Sequential(*layers)


def record_activations(net: nn.Module, x: minigrad.Tensor) -> list:
    """The output of every Tanh in `net`, in order, caught by forward hooks."""
    outputs = []
    handles = [m.register_forward_hook(lambda module, inputs, out: outputs.append(out.numpy()))
               for m in net.modules() if isinstance(m, nn.Tanh)]
    with minigrad.no_grad():
        net(x)  # training mode: BatchNorm normalises with this batch's statistics
    for h in handles:
        h.remove()
    return outputs


SATURATED, NEAR_ZERO = 0.9, 0.1


def saturated_share(v: np.ndarray) -> float:
    """Share of tanh outputs with |y| > SATURATED: there tanh' = 1 - y^2 < 0.19, the gradient fades."""
    return float((np.abs(v) > SATURATED).mean())


def near_zero_share(v: np.ndarray) -> float:
    """Share of tanh outputs with |y| < NEAR_ZERO: the unit carries (almost) no signal."""
    return float((np.abs(v) < NEAR_ZERO).mean())


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="runs/activation_stats", help="folder for the PNGs")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    minigrad.manual_seed(args.seed)
    x = minigrad.randn(SAMPLES, WIDTH)
    acts = {setup: record_activations(build(setup), x) for setup in SETUPS}

    print("layer | " + " | ".join(f"{s}: std, saturated, near 0" for s in SETUPS))
    for i in range(LAYERS):
        cells = [f"{a[i].std():.5f}, {saturated_share(a[i]):.3f}, {near_zero_share(a[i]):.3f}"
                 for a in acts.values()]
        print(f"{i + 1:5d} | " + " | ".join(cells))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    depth = np.arange(1, LAYERS + 1)
    fig, (ax_share, ax_std) = plt.subplots(1, 2, figsize=(11, 4.2))
    for (setup, a), color in zip(acts.items(), ["tab:red", "tab:green", "tab:blue"]):
        ax_share.plot(depth, [saturated_share(v) for v in a], marker="o", color=color, label=setup)
        ax_share.plot(depth, [near_zero_share(v) for v in a], marker="o", color=color, ls="--", mfc="white")
        ax_std.plot(depth, [v.std() for v in a], marker="o", color=color, label=setup)
    ax_share.set(title=f"share of units: saturated, |tanh| > {SATURATED:g} (solid);\n"
                       f"near zero, |tanh| < {NEAR_ZERO:g} (dashed)", xlabel="layer", ylabel="share of units",
                 ylim=(-0.03, 1.03))
    ax_std.set(title="std of tanh outputs (log scale)", xlabel="layer", ylabel="std", yscale="log")
    for ax in (ax_share, ax_std):
        ax.grid(alpha=0.3)
        ax.set_xticks(depth)
    ax_share.title.set_fontsize(10)
    ax_std.title.set_fontsize(10)
    handles, labels = ax_std.get_legend_handles_labels()
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=9, frameon=False)  # below: hides nothing
    fig.savefig(out / "activation_stats.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(len(SETUPS), LAYERS, figsize=(2 * LAYERS, 2.1 * len(SETUPS)), sharex=True)
    for row, (setup, a) in zip(axes, acts.items()):
        for i, (ax, v) in enumerate(zip(row, a)):
            ax.hist(v.ravel(), bins=40, range=(-1, 1), color="tab:blue")
            ax.set_yticks([])
            ax.set_title(f"layer {i + 1}", fontsize=8)
        row[0].set_ylabel(setup, fontsize=8)
    fig.suptitle("tanh outputs, 500 random inputs (x axis from -1 to 1)")
    fig.tight_layout()
    fig.savefig(out / "activation_hist.png", dpi=80)
    plt.close(fig)
    print(f"wrote {out}/activation_stats.png and {out}/activation_hist.png")
    return acts


if __name__ == "__main__":
    main()
