"""The MNIST experiment of the batch-normalization paper (Ioffe and Szegedy 2015, section 4.1).

Three hidden layers of 100 sigmoid units, trained with and without BatchNorm before each
nonlinearity (Linear without bias -> BatchNorm1d -> sigmoid), batches of 60, 50,000 steps, softmax
cross-entropy and plain SGD. Both nets start from the same weights and see the same batches.
Measured every --eval-every steps, on the 10,000 test images:
  - test accuracy of both nets (the paper's figure 1a);
  - the 15th, 50th and 85th percentiles of the input to one sigmoid of the last hidden layer
    (figure 1b without BN, 1c with BN), caught by a forward hook on that Sigmoid module.

The paper says only that the weights were "small random Gaussian values" and gives no learning
rate; here they are N(0, --init-std) and --lr (defaults 0.1 and 0.5, which bring both nets near
the paper's accuracies). The numbers will not match the paper's exactly; the shape of the curves
should.

Usage:
    python examples/paper_mnist.py                     # 50,000 steps: about 3 minutes on a CPU
    python examples/paper_mnist.py --steps 10000 --out docs/figures
    python examples/paper_mnist.py --data ~/data/fashion --any-idx   # another data set in MNIST's layout

With --any-idx the files are not checksummed, the net is (H*W)-100-100-100-(classes), classes
being the largest label + 1, and the figure is titled with the folder's name, not "MNIST".
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # tiny matrices:
    os.environ.setdefault(_var, "1")  # BLAS threads cost more than they save

import numpy as np  # noqa: E402

import minigrad  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import nn, optim  # noqa: E402
from minigrad.datasets import DataLoader  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the examples' shared helpers, also when imported
from _data import add_data_args, load_data  # noqa: E402
from _progress import progress_bar  # noqa: E402

HIDDEN = [100, 100, 100]  # MNIST: 784-100-100-100-10
UNIT = 0  # the sigmoid (of the last hidden layer) whose input distribution is tracked


def build_net(weights: list, bn: bool) -> nn.Sequential:
    layers = []
    for i, w in enumerate(weights):
        linear = nn.Linear(w.shape[1], w.shape[0], bias=not bn)
        linear.weight.array[...] = w.array
        if not bn:
            linear.bias.array[...] = 0
        layers.append(linear)
        if i < len(weights) - 1:
            layers += [nn.BatchNorm1d(w.shape[0]), nn.Sigmoid()] if bn else [nn.Sigmoid()]
    return nn.Sequential(*layers)


def evaluate(net: nn.Sequential, x: minigrad.Tensor, y: np.ndarray) -> tuple:
    """Test accuracy (eval mode) and the 15/50/85th percentiles of the tracked sigmoid's input."""
    last_sigmoid = [m for m in net if isinstance(m, nn.Sigmoid)][-1]
    seen = []
    handle = last_sigmoid.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0][:, UNIT].numpy()))
    net.eval()
    with minigrad.no_grad():
        pred = net(x).argmax(dim=1).numpy()
    net.train()
    handle.remove()
    return float((pred == y).mean()), np.percentile(seen[0], [15, 50, 85])


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=50_000)
    p.add_argument("--lr", type=float, default=0.5)
    p.add_argument("--init-std", type=float, default=0.1, help="weights from N(0, init_std), seed 42")
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--seed", type=int, default=0, help="shuffling seed")
    p.add_argument("--device", default="cpu")
    add_data_args(p)
    p.add_argument("--out", default="runs/paper_mnist")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)

    data = load_data(args)
    sizes = [int(np.prod(data.image_shape))] + HIDDEN + [data.num_classes]
    gen = minigrad.Generator(42)
    weights = [minigrad.randn(o, i, generator=gen) * args.init_std for i, o in zip(sizes, sizes[1:])]
    nets = {bn: build_net(weights, bn).to(args.device) for bn in (False, True)}
    opts = {bn: optim.SGD(net.parameters(), lr=args.lr) for bn, net in nets.items()}
    loader = DataLoader((data.train_images.reshape(len(data.train_labels), -1), data.train_labels), batch_size=60,
                        shuffle=True, generator=minigrad.Generator(args.seed), device=args.device)
    test_x = minigrad.tensor(data.test_images.reshape(len(data.test_labels), -1), device=args.device)
    hist = {"step": [], False: [], True: []}
    bar = progress_bar(args.steps, "steps", not args.no_progress)
    start = time.perf_counter()
    for step, (xb, yb) in enumerate(loader.stream(args.steps), start=1):
        for bn, net in nets.items():
            loss = F.cross_entropy(net(xb), yb)
            opts[bn].zero_grad()
            loss.backward()
            opts[bn].step()
        if step % args.eval_every == 0 or step == args.steps:
            hist["step"].append(step)
            for bn, net in nets.items():
                hist[bn].append(evaluate(net, test_x, data.test_labels))
            bar.set_postfix(vanilla=f"{hist[False][-1][0]:.4f}", bn=f"{hist[True][-1][0]:.4f}")
        bar.update(1)
    bar.close()
    seconds = time.perf_counter() - start

    where = data.source if data.is_sample else f"{data.title} from {data.source}"
    print(f"{where}; {'-'.join(map(str, sizes))} net; {args.steps} steps, lr {args.lr:g}, "
          f"init N(0, {args.init_std:g}), {seconds:.0f} s")
    print("step | test acc without BN | with BN | sigmoid input p15/p50/p85 without BN | with BN")
    for i, step in enumerate(hist["step"]):
        (a0, q0), (a1, q1) = hist[False][i], hist[True][i]
        if i % max(1, len(hist["step"]) // 10) == 0 or step == args.steps:
            print(f"{step:6d} | {a0:.4f} | {a1:.4f} | {q0[0]:+.2f} {q0[1]:+.2f} {q0[2]:+.2f} "
                  f"| {q1[0]:+.2f} {q1[1]:+.2f} {q1[2]:+.2f}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    steps = hist["step"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    for bn, name, color in [(False, "without BN", "tab:red"), (True, "with BN", "tab:blue")]:
        axes[0].plot(steps, [a for a, _ in hist[bn]], label=name, color=color)
    low = min(a for bn in (False, True) for a, _ in hist[bn])  # the paper's axis, unless a curve is below it
    axes[0].set(title="(a) test accuracy", xlabel="training step", ylabel="test accuracy",
                ylim=(0.8 if low >= 0.8 else np.floor(10 * low) / 10, 1.0))
    axes[0].title.set_fontsize(10)
    axes[0].legend(loc="lower right", fontsize=8)  # the curves rise to the top: the corner stays free
    # (b) and (c) share one y-scale: the drift without BN against the steadiness with BN is the point
    quantiles = {bn: np.array([qs for _, qs in hist[bn]]) for bn in (False, True)}
    lo = min(q.min() for q in quantiles.values())
    hi = max(q.max() for q in quantiles.values())
    pad = 0.05 * (hi - lo or 1)
    for ax, bn, title in [(axes[1], False, "(b) without BN"), (axes[2], True, "(c) with BN")]:
        for j, pct in enumerate([15, 50, 85]):
            ax.plot(steps, quantiles[bn][:, j], color="k", lw=1.6 if pct == 50 else 0.8,
                    ls={15: ":", 50: "-", 85: "--"}[pct], label=f"{pct}th percentile")
        ax.set(title=f"{title}: input to one last-layer sigmoid", xlabel="training step",
               ylabel="sigmoid input (15th, 50th, 85th percentile)", ylim=(lo - pad, hi + pad))
        ax.title.set_fontsize(10)
    for ax in axes:
        ax.grid(alpha=0.3)
    handles, labels = axes[1].get_legend_handles_labels()
    fig.suptitle(f"{data.title}, {len(data.train_labels):,} train / {len(data.test_labels):,} test; "
                 f"{args.steps:,} steps, lr {args.lr:g}, init N(0, {args.init_std:g}), shuffle seed {args.seed}", fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)  # below (b) and (c)
    fig.savefig(out / "paper_mnist.png", dpi=110)
    plt.close(fig)
    print(f"wrote {out}/paper_mnist.png")
    return hist


if __name__ == "__main__":
    main()
