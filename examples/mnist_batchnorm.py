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
    python examples/mnist_batchnorm.py                  # all five runs, about a minute on a CPU
    python examples/mnist_batchnorm.py --seeds 0 1 2    # three shuffles: spread and the five claims
    python examples/mnist_batchnorm.py --runs 1 3 --device cuda
    python examples/mnist_batchnorm.py --quick          # a short smoke run

Without the full MNIST (and no network) it trains on the bundled sample: the full split's 5,000
validation images and 10,000 test images, but 15,000 training images instead of 55,000.

Another data set in MNIST's file layout (Fashion-MNIST, KMNIST, your own): `--data DIR --any-idx`.
Its files are not checksummed; the input layer takes H*W pixels, the output layer has as many units
as classes (the largest label + 1), the validation set is the first twelfth of the training file
(at most 5,000 images), and the tables and figures carry the folder's name, not "MNIST". The five
claims' levels below were set for MNIST.

Writes into --out: run<k>.png (one per run; with several seeds a thin line per seed and a thick
mean), all_runs.png, curves.csv, results.md (one row per seed and run) and report.md (mean ± sd
and min-max over seeds, the first step at 90 % per seed, and the five claims checked:

    1. run 1: both nets learn, BN reaches 90 % first
    2. run 2: both end worse than in run 1, BN better than the plain net
    3. run 3: the plain net stays near chance, BN reaches 90 %
    4. run 4: BN learns faster
    5. run 5: the plain net is stuck, BN learns)
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
from minigrad.datasets import DataLoader  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the examples' shared helpers, also when imported
from _data import add_data_args, load_data  # noqa: E402
from _progress import progress_bar  # noqa: E402


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
SIZES = [784] + [100] * 9 + [10]  # MNIST's; layer_sizes(data) for other data
EVAL_EVERY = 60


def layer_sizes(data) -> list:
    """The MLP's layer widths for `data`: H*W inputs, 9 hidden layers of 100, one output per class
    (MNIST: SIZES)."""
    h, w = data.image_shape
    return [h * w] + [100] * 9 + [data.num_classes]


# ***** the two networks *****


def initial_weights(scale: float, seed: int = 42, sizes: list = SIZES) -> list:
    """One weight matrix per Linear layer, drawn from N(0, scale) the way the original TensorFlow
    experiment did: one NumPy RandomState(seed) through the layers in order, each matrix drawn in
    TF's (in, out) layout, then transposed to PyTorch's (out, in).

    NOTE: the BN-with-bad-init and ReLU-without-BN runs depend on the particular draw more than on
    the shuffle; this draw reproduces the reference numbers (docs/batchnorm.md). It is a local
    generator, drawn on the host: the same weights on every device, whatever else seeds NumPy."""
    rng = np.random.RandomState(seed)
    return [minigrad.tensor(rng.normal(0.0, scale, (n_in, n_out)).astype(np.float32).T)
            for n_in, n_out in zip(sizes, sizes[1:])]


def build_net(weights: list, activation: str, bn: bool, momentum: float, eps: float,
              bn_position: str = "pre_act") -> nn.Sequential:
    """Linear -> [BatchNorm1d] -> activation per hidden layer, Linear -> [BatchNorm1d] at the end.
    bn_position="post_act" puts BatchNorm after the activation instead (the paper puts it before;
    both are in use). A Linear directly followed by BatchNorm has no bias: BN's mean
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
               eps: float = 1e-3, progress: bool = True, name: str = "", weight_seed: int = 42) -> dict:
    """Train the vanilla and the BN net of `run` side by side; return their curves, final
    accuracies, timings, the first step whose loss was not finite, and the trained nets."""
    weights = initial_weights(INIT_SCALE[run.init], weight_seed, layer_sizes(data))
    nets = {bn: build_net(weights, run.activation, bn, momentum, eps).to(device) for bn in (False, True)}
    opts = {bn: optim.SGD(net.parameters(), lr=run.lr) for bn, net in nets.items()}
    flat = {split: getattr(data, split + "_images").reshape(len(getattr(data, split + "_labels")), -1)
            for split in ("train", "val", "test")}  # (N, H*W): (N, 784) for MNIST
    loader = DataLoader((flat["train"], data.train_labels), batch_size=60,
                        shuffle=True, generator=minigrad.Generator(seed), device=device)
    val_x = minigrad.tensor(flat["val"], device=device)
    test_x = minigrad.tensor(flat["test"], device=device)
    curves = {"step": [], False: [], True: []}
    seconds = {False: 0.0, True: 0.0}
    nonfinite = {False: None, True: None}  # first step whose training loss was inf or NaN
    bar = progress_bar(run.steps, name, progress)
    for i, (xb, yb) in enumerate(loader.stream(run.steps)):
        for bn, net in nets.items():
            start = time.perf_counter()
            loss = F.cross_entropy(net(xb), yb)
            opts[bn].zero_grad()
            loss.backward()
            opts[bn].step()
            value = loss.item()  # waits for the GPU, so the time is the step's time
            seconds[bn] += time.perf_counter() - start
            if nonfinite[bn] is None and not np.isfinite(value):
                nonfinite[bn] = i
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
        "nonfinite": nonfinite,
        "nets": nets,
    }


# ***** the five claims *****

LEVEL = 0.9  # "reaches 90 %": the first evaluated step with validation accuracy >= LEVEL
CHANCE = 0.2  # at most this: "near chance" / "stuck" (ten classes: chance is about 0.1)
LEARNS = 0.4  # at least this: "learns" from a bad initialisation (four times chance)


def first_step_at(steps: list, accs: list, level: float = LEVEL):
    """The first evaluated step whose validation accuracy is >= level, or None."""
    return next((s for s, a in zip(steps, accs) if a >= level), None)


def _first(res: dict, bn: bool):
    return first_step_at(res["curves"]["step"], res["curves"][bn])


def _reaches_first(res: dict) -> bool:
    """The BN net reaches LEVEL at an earlier step than the plain net (or the plain net never does)."""
    bn, vanilla = _first(res, True), _first(res, False)
    return bn is not None and (vanilla is None or bn < vanilla)


def _fmt_first(step) -> str:
    return "never" if step is None else str(step)


CLAIMS = {  # run -> (the claim, in words; its check on one seed's results, None when not checkable)
    1: (f"run 1: both nets learn (final validation >= {LEVEL:g}), BN reaches {LEVEL:.0%} first",
        lambda r: r[1]["val"][False] >= LEVEL and r[1]["val"][True] >= LEVEL and _reaches_first(r[1])),
    2: ("run 2: both nets end worse than in run 1, BN better than the plain net",
        lambda r: None if 1 not in r else (r[2]["val"][False] < r[1]["val"][False]
                                           and r[2]["val"][True] < r[1]["val"][True]
                                           and r[2]["val"][True] > r[2]["val"][False])),
    3: (f"run 3: the plain net stays near chance (<= {CHANCE:g}), BN reaches >= {LEVEL:g}",
        lambda r: r[3]["val"][False] <= CHANCE and r[3]["val"][True] >= LEVEL),
    4: (f"run 4: BN learns faster (reaches {LEVEL:.0%} at an earlier step)",
        lambda r: _reaches_first(r[4])),
    5: (f"run 5: the plain net is stuck (<= {CHANCE:g}), BN learns (>= {LEARNS:g})",
        lambda r: r[5]["val"][False] <= CHANCE and r[5]["val"][True] >= LEARNS),
}


def _claim_numbers(k: int, per_seed: dict) -> str:
    """The numbers a claim is judged on, one group per seed: final validation accuracy (plain / BN)
    and, where it matters, the first step at LEVEL."""
    parts = []
    for seed, r in per_seed.items():
        res = r[k]
        text = f"{res['val'][False]:.3f} / {res['val'][True]:.3f}"
        if k in (1, 4):
            at = f"{_fmt_first(_first(res, False))} / {_fmt_first(_first(res, True))}"
            text += f", {LEVEL:.0%} at step {at}"
        if k == 2 and 1 in r:
            text += f" (run 1: {r[1]['val'][False]:.3f} / {r[1]['val'][True]:.3f})"
        parts.append(f"seed {seed}: {text}")
    return "; ".join(parts)


def check_claims(per_seed: dict) -> list:
    """Check the five claims on {seed: {run: result}}: [(run, claim, verdict, numbers)], verdict
    "yes" (every seed), "partly" (some seeds), "no" (none) or "not checked" (a run missing)."""
    rows = []
    for k, (claim, check) in CLAIMS.items():
        if any(k not in r for r in per_seed.values()):
            continue
        outcomes = [check(r) for r in per_seed.values()]
        if any(o is None for o in outcomes):
            rows.append((k, claim, "not checked (needs run 1)", _claim_numbers(k, per_seed)))
            continue
        verdict = "yes" if all(outcomes) else "partly" if any(outcomes) else "no"
        rows.append((k, claim, verdict, _claim_numbers(k, per_seed)))
    return rows


# ***** outputs *****


def data_label(data) -> str:
    """What the figures and tables say about the data: which data and its sizes, never a local folder
    (the banner prints the folder, or the sample's full description)."""
    return (f"{data.title}, {len(data.train_labels):,} train / "
            f"{len(data.val_labels):,} val / {len(data.test_labels):,} test")


COLORS = {False: "tab:red", True: "tab:blue"}
NAMES = {False: "without BN", True: "with BN"}


def plot_run(ax, k: int, run: Run, per_seed: dict) -> None:
    """Validation accuracy of both nets: one thin line per seed and a thick mean (one seed: one
    line), the LEVEL line, and a mark where a net's training loss first became non-finite."""
    steps = next(iter(per_seed.values()))["curves"]["step"]
    many = len(per_seed) > 1
    for bn in (False, True):
        curves = np.array([res["curves"][bn] for res in per_seed.values()])
        if many:
            for c in curves:
                ax.plot(steps, c, color=COLORS[bn], lw=0.7, alpha=0.45)
        ax.plot(steps, curves.mean(axis=0), color=COLORS[bn], lw=2.2 if many else 1.5,
                label=NAMES[bn] + (f" (mean of {len(per_seed)} seeds)" if many else ""))
        bad = [res["nonfinite"][bn] for res in per_seed.values() if res["nonfinite"][bn] is not None]
        if bad:
            first = min(bad)
            ax.axvline(first, color=COLORS[bn], ls=":", lw=1)
            when = f"step {first}" if len(set(bad)) == 1 else f"steps {min(bad)}-{max(bad)}"
            seeds = "" if len(bad) == len(per_seed) else f" ({len(bad)} of {len(per_seed)} seeds)"
            ax.annotate(f"{NAMES[bn]}: loss non-finite\nfrom {when}{seeds}", xy=(first, 0.5),
                        xytext=(0.03 * steps[-1] + first, 0.5), fontsize=7, color=COLORS[bn], va="center")
    if many:
        ax.plot([], [], color="0.4", lw=0.7, label="thin lines: one per seed")  # a legend entry only
    ax.axhline(LEVEL, color="0.5", lw=0.6, ls="--", label=f"{LEVEL:.0%} (the claims' level)")
    ax.set(title=f"run {k}: {run.label()}", xlabel="training step", ylabel="validation accuracy",
           ylim=(0, 1), xlim=(0, steps[-1]))
    ax.title.set_fontsize(9)
    ax.grid(alpha=0.3)


def _legend_below(fig, ax, ncol=4):
    """The legend under the axes, where it cannot hide a curve."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=8, frameon=False)


def _seed_text(seeds: list) -> str:
    return f"shuffle seed {seeds[0]}" if len(seeds) == 1 else f"shuffle seeds {', '.join(map(str, seeds))}"


def save_outputs(out: Path, runs: dict, per_seed: dict, label: str, settings: str, note: str = "") -> str:
    """Figures (run<k>.png, all_runs.png), curves.csv, results.md (one row per seed and run) and
    report.md (spread over seeds, first step at LEVEL, the five claims, then `note`). Returns the
    report."""
    out.mkdir(parents=True, exist_ok=True)
    seeds = list(per_seed)
    by_run = {k: {s: per_seed[s][k] for s in seeds} for k in runs}
    caption = f"{label}; {_seed_text(seeds)}"
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # it comes with the `examples` extra; without it, the tables and CSV only
        print("matplotlib is not installed: no figures", file=sys.stderr)
        plt = None
    for k in runs if plt else ():
        fig, ax = plt.subplots(figsize=(7, 4.8))
        plot_run(ax, k, runs[k], by_run[k])
        fig.suptitle(caption, fontsize=8, y=0.99)
        fig.tight_layout(rect=(0, 0.11, 1, 0.99))
        _legend_below(fig, ax, ncol=2)
        fig.savefig(out / f"run{k}.png", dpi=110)
        plt.close(fig)
    if plt:
        fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 3.9), squeeze=False)
        for ax, k in zip(axes[0], runs):
            plot_run(ax, k, runs[k], by_run[k])
        fig.suptitle(caption + "\n" + settings, fontsize=9)
        fig.tight_layout(rect=(0, 0.07, 1, 1))
        _legend_below(fig, axes[0][0])
        fig.savefig(out / "all_runs.png", dpi=110)
        plt.close(fig)

    with open(out / "curves.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["seed", "run", "lr", "steps", "activation", "init", "step", "vanilla_val_acc",
                    "bn_val_acc"])
        for seed in seeds:
            for k in runs:
                r, c = runs[k], per_seed[seed][k]["curves"]
                for s, a, b in zip(c["step"], c[False], c[True]):
                    w.writerow([seed, k, r.lr, r.steps, r.activation, r.init, s, f"{a:.4f}", f"{b:.4f}"])

    seed_col = len(seeds) > 1
    rows = [("| seed " if seed_col else "") + "| run | lr | steps | act | init | val vanilla | val BN "
            "| test vanilla | test BN | ms/step vanilla | ms/step BN |", "|---" * (11 + seed_col) + "|"]
    for seed in seeds:
        for k in runs:
            r, res = runs[k], per_seed[seed][k]
            rows.append((f"| {seed} " if seed_col else "")
                        + f"| {k} | {r.lr:g} | {r.steps} | {r.activation} | {r.init} "
                        f"| {res['val'][False]:.4f} | {res['val'][True]:.4f} "
                        f"| {res['test'][False]:.4f} | {res['test'][True]:.4f} "
                        f"| {res['ms_per_step'][False]:.2f} | {res['ms_per_step'][True]:.2f} |")
    header = f"{caption}; {settings}"
    (out / "results.md").write_text(header + "\n\n" + "\n".join(rows) + "\n")

    report = header + "\n\n" + report_tables(runs, per_seed) + (f"\n{note}\n" if note else "")
    (out / "report.md").write_text(report)
    return report


def _spread(values: list) -> str:
    v = np.array(values)
    sd = v.std(ddof=1) if len(v) > 1 else 0.0
    return f"{v.mean():.4f} ± {sd:.4f} ({v.min():.4f}-{v.max():.4f})"


def report_tables(runs: dict, per_seed: dict) -> str:
    """Markdown: final accuracies as mean ± sd (min-max) over seeds, the first step at LEVEL per
    seed, and the five claims with their verdicts and numbers."""
    seeds = list(per_seed)
    n = len(seeds)
    lines = [f"Final accuracy over {n} seed{'s' * (n > 1)}: mean ± sd (min-max); sd with n - 1.", "",
             "| run | lr | steps | act | init | val vanilla | val BN | test vanilla | test BN |",
             "|---" * 9 + "|"]
    for k, r in runs.items():
        cells = [_spread([per_seed[s][k][part][bn] for s in seeds])
                 for part in ("val", "test") for bn in (False, True)]
        lines.append(f"| {k} | {r.lr:g} | {r.steps} | {r.activation} | {r.init} | {' | '.join(cells)} |")
    lines += ["", f"First evaluated step with validation accuracy >= {LEVEL:g} (vanilla / BN; "
              f"evaluated every {EVAL_EVERY} steps):", "",
              "| run | " + " | ".join(f"seed {s}" for s in seeds) + " |", "|---" * (n + 1) + "|"]
    for k in runs:
        firsts = [f"{_fmt_first(_first(per_seed[s][k], False))} / {_fmt_first(_first(per_seed[s][k], True))}"
                  for s in seeds]
        lines.append(f"| {k} | " + " | ".join(firsts) + " |")
    bad = [(s, k, bn, per_seed[s][k]["nonfinite"][bn]) for s in seeds for k in runs for bn in (False, True)
           if per_seed[s][k]["nonfinite"][bn] is not None]
    if bad:
        lines += ["", "Non-finite training loss (the net's weights are NaN from then on): "
                  + "; ".join(f"seed {s} run {k} {NAMES[bn]} from step {i}" for s, k, bn, i in bad) + "."]
    claims = check_claims(per_seed)
    if claims:
        lines += ["", "The five claims (yes: every seed; partly: some; no: none). Numbers: final validation "
                  "accuracy vanilla / BN per seed.", "", "| claim | holds | numbers |", "|---|---|---|"]
        lines += [f"| {claim} | **{verdict}** | {numbers} |" for _, claim, verdict, numbers in claims]
        if any(runs[k].steps != RUNS[k].steps for k in runs):
            lines += ["", "NOTE: these runs were shortened (--steps or --quick); the claims are about the "
                      "full-length runs."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, nargs="+", default=list(RUNS), choices=list(RUNS),
                   help="which runs (default: all five)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    add_data_args(p)
    p.add_argument("--out", default="runs/mnist_batchnorm", help="folder for PNGs, CSV and tables")
    p.add_argument("--seed", type=int, default=0, help="shuffling seed")
    p.add_argument("--seeds", type=int, nargs="+", default=None,
                   help="several shuffling seeds (e.g. 0 1 2): spread over seeds and report.md")
    p.add_argument("--weight-seed", type=int, default=42,
                   help="seed of the NumPy RandomState that draws the initial weights "
                   "(the same for every shuffle seed)")
    p.add_argument("--steps", type=int, default=None, help="override every run's number of steps")
    p.add_argument("--momentum", type=float, default=0.01,
                   help="BatchNorm momentum, PyTorch convention (TensorFlow decay = 1 - momentum)")
    p.add_argument("--eps", type=float, default=1e-3, help="BatchNorm epsilon")
    p.add_argument("--quick", action="store_true", help="smoke run: 121 steps per run")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)

    data = load_data(args)
    runs = {k: RUNS[k] for k in args.runs}
    if args.steps or args.quick:
        steps = args.steps or 2 * EVAL_EVERY + 1
        runs = {k: Run(r.lr, steps, r.activation, r.init) for k, r in runs.items()}
    seeds = args.seeds if args.seeds is not None else [args.seed]
    label = data_label(data)
    settings = (f"weights NumPy RandomState({args.weight_seed}), BN momentum {args.momentum:g} "
                f"(TF decay {1 - args.momentum:g}), eps {args.eps:g}")
    print(f"data: {data.source if data.is_sample else label + ' read from ' + data.source}\n"
          f"{_seed_text(seeds)}; {settings}; device {args.device}", flush=True)
    per_seed = {}
    for seed in seeds:
        per_seed[seed] = {}
        for k, run in runs.items():
            with np.errstate(over="ignore", invalid="ignore"):  # bad-init vanilla nets overflow: the
                res = train_pair(run, data, args.device, seed, args.momentum, args.eps,  # curves show it
                                 progress=not args.no_progress, name=f"seed {seed} run {k}",
                                 weight_seed=args.weight_seed)
            per_seed[seed][k] = res
            print(f"seed {seed} run {k} ({run.label()}): val vanilla {res['val'][False]:.4f}, "
                  f"BN {res['val'][True]:.4f}", flush=True)
    note = "" if data.checksummed else (
        f"NOTE: {data.name} is not MNIST: the network is {'-'.join(map(str, layer_sizes(data)))}, and the "
        f"claims' levels ({LEVEL:g}, {CHANCE:g}, {LEARNS:g}) were set for MNIST's ten digits.")
    report = save_outputs(Path(args.out), runs, per_seed, label, settings, note)
    print("\n" + report + f"\nFigures, curves.csv, results.md and report.md are in {args.out}/")
    return per_seed if args.seeds is not None else per_seed[seeds[0]]


if __name__ == "__main__":
    main()
