"""BatchNorm's failure modes on MNIST, shown and fixed (docs/batchnorm.md, "When BatchNorm goes wrong").

Four parts, each a few minutes at most on a 2-core CPU, all on the network of run 1 of
examples/mnist_batchnorm.py (784-100x9-10 MLP, tanh, N(0, 0.1) init, plain SGD at lr 0.01, BN
momentum 0.01, eps 1e-3; its functions are imported, not copied) except the last:

  1. batch size: batch 2, 4, 8, 16 and 60, each seeing the same number of examples (same lr per
     step), for vanilla, BatchNorm, GroupNorm (1 group: LayerNorm over the 100 units) and Batch
     Renormalization; test accuracy against batch size;
  2. train/test discrepancy: one BN net, tested with its running statistics, with batch
     statistics at several test batch sizes, with stale running statistics (momentum too small
     for the number of steps), and after recalibration (`nn.utils.recalibrate_bn`);
  3. fine-tuning: a BN net trained on digits 0-4, fine-tuned on 5-9 with BN in train mode, frozen
     (`freeze()`), and frozen then recalibrated on 5-9;
  4. folding: the CNN of examples/mnist_cnn.py, briefly trained, folded with `nn.utils.fold_bn`:
     accuracy and inference time before and after.

Usage:
    MINIGRAD_DATA=/path/to/mnist python examples/bn_failure_modes.py       # all four parts
    python examples/bn_failure_modes.py --parts batch folding --out runs/bn
    python examples/bn_failure_modes.py --quick --sample                  # a smoke run (seconds)
    python examples/bn_failure_modes.py --data ~/data/fashion --any-idx   # another data set in MNIST's layout

With --any-idx (files not checksummed) the networks are sized from the data (H*W inputs, one output
per class, the largest label + 1) and fine-tuning splits the classes in two halves instead of digits
0-4 and 5-9.

Writes batch_size.png, discrepancy.png, finetune.png, results.json and report.md into --out.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # tiny matrices: see
    os.environ.setdefault(_var, "1")  # examples/mnist_batchnorm.py
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling examples reused below
import mnist_batchnorm as mb  # noqa: E402
from _data import add_data_args, load_data  # noqa: E402
from mnist_cnn import make_cnn  # noqa: E402

import minigrad  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import nn, optim  # noqa: E402
from minigrad.datasets import DataLoader  # noqa: E402

RUN = mb.RUNS[1]  # lr 0.01, tanh, good init
MOMENTUM, EPS = 0.01, 1e-3  # run 1's BatchNorm settings (mnist_batchnorm.py's defaults)
KINDS = {"vanilla": "no normalization", "bn": "BatchNorm", "gn": "GroupNorm (1 group)",
         "brn": "Batch Renorm"}
COLORS = {"vanilla": "tab:red", "bn": "tab:blue", "gn": "tab:green", "brn": "tab:purple"}


# ***** networks and training *****


def make_net(kind: str, steps: int, seed: int = 42, sizes: list = mb.SIZES) -> nn.Sequential:
    """Run 1's network (layer widths `sizes`, MNIST's by default) with its BatchNorm layers (or
    none, for "vanilla") and, for "gn" and "brn", each BatchNorm1d swapped for the remedy, in the
    same place. Batch Renorm gets the paper's schedule scaled to the run: BatchNorm for the first
    10% of steps, then rmax 1 -> 3 and dmax 0 -> 5 over the next 40%."""
    net = mb.build_net(mb.initial_weights(mb.INIT_SCALE[RUN.init], seed, sizes), RUN.activation,
                       kind != "vanilla", MOMENTUM, EPS)
    if kind in ("gn", "brn"):
        for name, m in list(net._modules.items()):
            if isinstance(m, nn.BatchNorm1d):
                new = (nn.GroupNorm(1, m.num_features, eps=EPS) if kind == "gn" else
                       nn.BatchRenorm1d(m.num_features, eps=EPS, momentum=MOMENTUM, rmax=3.0, dmax=5.0,
                                        warmup_steps=steps // 10, ramp_steps=4 * steps // 10))
                setattr(net, name, new)
    return net


def train(net: nn.Module, x: np.ndarray, y: np.ndarray, batch: int, steps: int, seed: int = 0,
          lr: float = RUN.lr) -> nn.Module:
    opt = optim.SGD([p for p in net.parameters() if p.requires_grad], lr=lr)
    loader = DataLoader((x, y), batch_size=batch, shuffle=True, generator=minigrad.Generator(seed))
    net.train()
    for xb, yb in loader.stream(steps):
        loss = F.cross_entropy(net(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net


def accuracy(net: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Eval-mode accuracy (running statistics), as examples/mnist_batchnorm.py measures it."""
    return mb.accuracy(net, minigrad.tensor(x), y)


def accuracy_with_batch_stats(net: nn.Module, x: np.ndarray, y: np.ndarray, batch: int) -> float:
    """Accuracy with every BatchNorm in train mode, i.e. normalising each test batch of `batch`
    images with that batch's own statistics (on a copy: the running statistics are not touched)."""
    net = copy.deepcopy(net).train()
    n = len(y) - len(y) % batch
    with minigrad.no_grad():
        pred = np.concatenate([net(minigrad.tensor(x[i:i + batch])).argmax(dim=1).numpy()
                               for i in range(0, n, batch)])
    return float((pred == y[:n]).mean())


def batches(x: np.ndarray, batch: int, count: int, seed: int = 1):
    """`count` random training batches (inputs only) for recalibrate_bn."""
    loader = DataLoader((x,), batch_size=batch, shuffle=True, generator=minigrad.Generator(seed))
    return (xb for (xb,) in loader.stream(count))


def bn_layers(net: nn.Module) -> list:
    return [m for m in net.modules() if isinstance(m, nn.BatchNorm1d)]


def flat(data, split: str) -> tuple:
    """A split's images as rows of H*W pixels (784 for MNIST), and its labels."""
    y = getattr(data, split + "_labels")
    return getattr(data, split + "_images").reshape(len(y), -1), y


# ***** the four parts *****


def part_batch_size(data, sizes, examples: int, log) -> dict:
    (x, y), (tx, ty), sizes = flat(data, "train"), flat(data, "test"), mb.layer_sizes(data)
    acc = {k: [] for k in KINDS}
    for b in sizes:
        steps = examples // b
        for kind in KINDS:
            start = time.perf_counter()
            net = train(make_net(kind, steps, sizes=sizes), x, y, b, steps)
            acc[kind].append(accuracy(net, tx, ty))
            log(f"  batch {b:>3}, {steps:>6} steps, {KINDS[kind]:<20} test accuracy {acc[kind][-1]:.4f} "
                f"({time.perf_counter() - start:.1f} s)")
    return {"sizes": list(sizes), "examples": examples, "accuracy": acc}


def part_discrepancy(data, steps: int, test_batches, recal_batches: int, log) -> dict:
    """Running statistics never feed back into training (train mode normalises with batch
    statistics), so two nets that differ only in BN momentum end with the same weights: one
    with fresh running statistics, one with stale ones."""
    (x, y), (tx, ty), sizes = flat(data, "train"), flat(data, "test"), mb.layer_sizes(data)
    fresh, stale = make_net("bn", steps, sizes=sizes), make_net("bn", steps, sizes=sizes)
    for m in bn_layers(fresh):
        m.momentum = 0.1
    for m in bn_layers(stale):
        m.momentum = 0.1 / steps  # a window of ~10x the run: the statistics barely leave 0 and 1
    train(fresh, x, y, 60, steps)
    train(stale, x, y, 60, steps)
    same = all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(fresh.parameters(), stale.parameters()))
    running = {"running statistics, momentum 0.1": accuracy(fresh, tx, ty),
               f"stale running statistics, momentum {0.1 / steps:.1e}": accuracy(stale, tx, ty)}
    nn.utils.recalibrate_bn(stale, batches(x, 60, recal_batches))
    running[f"stale ones recalibrated ({recal_batches} batches of 60)"] = accuracy(stale, tx, ty)
    res = {"steps": steps, "same_weights": same, "running_stats": running}
    res["batch_stats"] = {b: accuracy_with_batch_stats(fresh, tx, ty, b) for b in test_batches}
    for k, v in res.items():
        log(f"  {k}: {v}")
    return res


def class_halves(data) -> tuple:
    """Fine-tuning's two halves of the classes: (first class of the second half, names of both
    halves, what the classes are called). MNIST: digits 0-4 and 5-9."""
    half, k = data.num_classes // 2, data.num_classes
    return half, (f"0-{half - 1}", f"{half}-{k - 1}"), "digits" if data.checksummed else "classes"


def part_finetune(data, pre_steps: int, ft_steps: int, recal_batches: int, log) -> dict:
    (x, y), (tx, ty), sizes = flat(data, "train"), flat(data, "test"), mb.layer_sizes(data)
    half, (a, b), what = class_halves(data)
    old, new = y < half, y >= half
    told, tnew = ty < half, ty >= half
    base = train(make_net("bn", pre_steps, sizes=sizes), x[old], y[old], 60, pre_steps)
    res = {"pretrained": {a: accuracy(base, tx[told], ty[told]), b: accuracy(base, tx[tnew], ty[tnew])}}
    variants = {}
    variants["BN in train mode"] = train(copy.deepcopy(base), x[new], y[new], 60, ft_steps, seed=1)
    variants[f"BN in train mode, then recalibrated on {b}"] = nn.utils.recalibrate_bn(
        copy.deepcopy(variants["BN in train mode"]), batches(x[new], 60, recal_batches))
    frozen = copy.deepcopy(base)
    for m in bn_layers(frozen):
        m.freeze()
    variants["BN frozen"] = train(frozen, x[new], y[new], 60, ft_steps, seed=1)
    # what recalibrate_bn's default (include_frozen=False) protects against
    variants[f"BN frozen, then recalibrated on {b}"] = nn.utils.recalibrate_bn(
        copy.deepcopy(variants["BN frozen"]), batches(x[new], 60, recal_batches), include_frozen=True)
    for name, net in variants.items():
        res[name] = {a: accuracy(net, tx[told], ty[told]), b: accuracy(net, tx[tnew], ty[tnew])}
    # what training in train mode optimised: each batch normalised with its own statistics
    # (test batches of 60 drawn from one digit range, as the fine-tuning batches were)
    net = variants["BN in train mode"]
    res["BN in train mode, tested with batch statistics"] = {
        a: accuracy_with_batch_stats(net, tx[told], ty[told], 60),
        b: accuracy_with_batch_stats(net, tx[tnew], ty[tnew], 60)}
    for name, v in res.items():
        log(f"  {name}: test {what} {a} {v[a]:.4f}, {b} {v[b]:.4f}")
    return res


def _time_inference(model, x: np.ndarray, repeats: int) -> float:
    """Best of `repeats` passes over x in chunks of 500, in ms per 1000 images."""
    best = float("inf")
    with minigrad.no_grad():
        for _ in range(repeats):
            start = time.perf_counter()
            for i in range(0, len(x), 500):
                model(minigrad.tensor(x[i:i + 500, None]))
            best = min(best, time.perf_counter() - start)
    return 1000 * best * 1000 / len(x)


def part_folding(data, steps: int, timed: int, repeats: int, log) -> dict:
    minigrad.manual_seed(0)
    model = make_cnn(data.image_shape, data.num_classes)
    head = list(model[-1].parameters())  # mnist_cnn.py's two learning rates
    body = [p for p in model.parameters() if all(p is not q for q in head)]
    opt = optim.SGD([{"params": body, "lr": 0.05}, {"params": head, "lr": 0.002}], momentum=0.9)
    loader = DataLoader((data.train_images[:, None], data.train_labels), batch_size=32, shuffle=True,
                        generator=minigrad.Generator(0))
    for xb, yb in loader.stream(steps):
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    folded = nn.utils.fold_bn(model)
    tx, ty = data.test_images, data.test_labels
    logits = {}
    with minigrad.no_grad():
        for name, m in (("unfused", model), ("folded", folded)):
            logits[name] = np.concatenate([m(minigrad.tensor(tx[i:i + 500, None])).numpy()
                                           for i in range(0, len(ty), 500)])
    res = {"train_steps": steps,
           "accuracy": {k: float((v.argmax(1) == ty).mean()) for k, v in logits.items()},
           "max_abs_logit_diff": float(np.abs(logits["folded"] - logits["unfused"]).max()),
           "predictions_that_differ": int((logits["folded"].argmax(1) != logits["unfused"].argmax(1)).sum()),
           "ms_per_1000": {"unfused": _time_inference(model, tx[:timed], repeats),
                           "folded": _time_inference(folded, tx[:timed], repeats)}}
    res["speedup"] = res["ms_per_1000"]["unfused"] / res["ms_per_1000"]["folded"]
    for k, v in res.items():
        log(f"  {k}: {v}")
    return res


# ***** outputs *****


def _batch_size_axes(ax, sizes, **labels) -> None:
    """Accuracy against batch size: a log x axis labelled at exactly `sizes`, a light grid."""
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(b) for b in sizes])
    ax.minorticks_off()
    ax.set(**labels)
    ax.grid(alpha=0.3)


def _finish(fig, ax, path: Path, **legend) -> None:
    """What every figure ends with: a small title and legend, tight layout, written, closed."""
    import matplotlib.pyplot as plt

    ax.title.set_fontsize(10)
    ax.legend(fontsize=8, **legend)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_all(out: Path, results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if "batch" in results:
        r = results["batch"]
        fig, ax = plt.subplots(figsize=(6, 4))
        for kind, label in KINDS.items():
            ax.plot(r["sizes"], r["accuracy"][kind], "o-", label=label, color=COLORS[kind])
        _batch_size_axes(ax, r["sizes"], xlabel="batch size (same number of examples seen)",
                         ylabel="test accuracy (eval mode)",
                         title=f"10-layer MLP, {r['examples']:,} training examples, lr {RUN.lr:g} per step")
        _finish(fig, ax, out / "batch_size.png", loc="lower right")
    if "discrepancy" in results:
        r = results["discrepancy"]
        fig, ax = plt.subplots(figsize=(6.5, 4))
        bs = list(r["batch_stats"])
        ax.plot(bs, [r["batch_stats"][b] for b in bs], "o-", color="tab:blue",
                label="batch statistics of each test batch")
        styles = iter([("tab:green", "-"), ("tab:red", "--"), ("tab:purple", ":")])
        for k, v in r["running_stats"].items():
            color, ls = next(styles)
            ax.axhline(v, color=color, ls=ls, label=f"{k}: {v:.3f}")
        _batch_size_axes(ax, bs, xlabel="test batch size", ylabel="test accuracy",
                         title=f"One BN net ({r['steps']} steps at batch 60): which statistics at test time")
        _finish(fig, ax, out / "discrepancy.png", loc="lower right")
    if "finetune" in results:
        r = results["finetune"]
        names = list(r)
        fig, ax = plt.subplots(figsize=(9.5, 4.2))
        pos = np.arange(len(names))
        (a, b), what = results["finetune_groups"], results["finetune_what"]
        for j, (group, color) in enumerate(((a, "tab:gray"), (b, "tab:blue"))):
            vals = [r[n][group] for n in names]
            bars = ax.bar(pos + (j - 0.5) * 0.38, vals, 0.38, color=color, label=f"test {what} {group}")
            ax.bar_label(bars, [f"{v:.2f}" for v in vals], fontsize=7)
        ax.set_xticks(pos, [n.replace(", ", ",\n").replace(" in train", "\nin train") for n in names],
                      fontsize=7)
        steps = results["finetune_steps"]
        ax.set(ylabel="test accuracy", ylim=(0, 1.2),
               title=f"Trained on {what} {a} ({steps[0]} steps), fine-tuned on {b} ({steps[1]} steps)")
        _finish(fig, ax, out / "finetune.png", loc="upper center", ncol=2)


def report(results: dict, header: str, command: str, name: str = "MNIST") -> str:
    lines = [f"# BatchNorm's failure modes on {name}", "", header, "", f"Command: `{command}`", ""]
    if "batch" in results:
        r = results["batch"]
        lines += ["## Batch size", "", f"Test accuracy after {r['examples']:,} training examples "
                  f"(run 1: lr {RUN.lr:g}, tanh, BN momentum {MOMENTUM:g}); figure batch_size.png.", "",
                  "| batch | " + " | ".join(KINDS.values()) + " |", "|---" * (len(KINDS) + 1) + "|"]
        for i, b in enumerate(r["sizes"]):
            lines.append(f"| {b} | " + " | ".join(f"{r['accuracy'][k][i]:.4f}" for k in KINDS) + " |")
        lines.append("")
    if "discrepancy" in results:
        r = results["discrepancy"]
        lines += ["## Train/test discrepancy", "", f"One BN net, {r['steps']} steps at batch 60 "
                  f"(the fresh and the stale copy ended with identical weights: {r['same_weights']}); "
                  "figure discrepancy.png.", "", "| tested with | test accuracy |", "|---|---|"]
        lines += [f"| {k} | {v:.4f} |" for k, v in r["running_stats"].items()]
        lines += [f"| batch statistics, test batches of {b} | {v:.4f} |" for b, v in r["batch_stats"].items()]
        lines.append("")
    if "finetune" in results:
        r = results["finetune"]
        (a, b), what = results["finetune_groups"], results["finetune_what"]
        lines += ["## Fine-tuning", "", "{} steps on {} {}, then {} on {}; figure finetune.png.".format(
            results["finetune_steps"][0], what, a, results["finetune_steps"][1], b), "",
            f"| model | test {a} | test {b} |", "|---|---|---|"]
        lines += [f"| {k} | {v[a]:.4f} | {v[b]:.4f} |" for k, v in r.items()]
        lines.append("")
    if "folding" in results:
        r = results["folding"]
        lines += ["## Folding", "", f"The CNN of examples/mnist_cnn.py after {r['train_steps']} steps; eval mode.", "",
                  "| model | test accuracy | ms per 1000 images |", "|---|---|---|"]
        lines += [f"| {k} | {r['accuracy'][k]:.4f} | {r['ms_per_1000'][k]:.1f} |" for k in ("unfused", "folded")]
        lines += ["", f"Largest logit difference {r['max_abs_logit_diff']:.2e}; predictions that differ: "
                  f"{r['predictions_that_differ']}; speed-up {r['speedup']:.2f}x.", ""]
    return "\n".join(lines)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    parts = ["batch", "discrepancy", "finetune", "folding"]
    p.add_argument("--parts", nargs="+", default=parts, choices=parts, help="which parts (default: all)")
    add_data_args(p)
    p.add_argument("--out", default="runs/bn_failure_modes", help="folder for the figures and report.md")
    p.add_argument("--quick", action="store_true", help="a smoke run: tiny budgets, seconds")
    args = p.parse_args(argv)

    data = load_data(args, progress=False)
    q = args.quick
    source = data.source if data.is_sample else "the full data set"  # no local paths in the report
    what = f"MNIST from {source}" if data.checksummed else data.title
    header = (f"{what}: {len(data.train_labels)} train / {len(data.test_labels)} test"
              + (" (--quick: smoke-run budgets, the numbers mean nothing)" if q else ""))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def log(msg):
        print(msg, flush=True)

    log(header)
    results, seconds = {}, {}
    for part in args.parts:
        log(f"part: {part}")
        start = time.perf_counter()
        if part == "batch":
            results[part] = part_batch_size(data, [4, 60] if q else [2, 4, 8, 16, 60], 240 if q else 30_000, log)
        elif part == "discrepancy":
            results[part] = part_discrepancy(data, 10 if q else 500, [2, 60] if q else [2, 4, 8, 16, 60, 500],
                                             3 if q else 100, log)
        elif part == "finetune":
            if data.num_classes < 2:
                log("  skipped: fine-tuning needs at least two classes")
                continue
            _, results["finetune_groups"], results["finetune_what"] = class_halves(data)
            results["finetune_steps"] = (10, 5) if q else (1000, 300)
            results[part] = part_finetune(data, *results["finetune_steps"], 3 if q else 100, log)
        else:
            results[part] = part_folding(data, 3 if q else 150, 200 if q else 2000, 1 if q else 3, log)
        seconds[part] = time.perf_counter() - start
        log(f"  ({seconds[part]:.0f} s)")
    plot_all(out, results)
    command = "python examples/bn_failure_modes.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report(results, header, command.strip(), data.name)
    text += "\nSeconds per part: " + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items()) + "\n"
    (out / "report.md").write_text(text)
    (out / "results.json").write_text(json.dumps({"header": header, "results": results, "seconds": seconds},
                                                 indent=1, default=str))
    log(f"\nFigures, report.md and results.json are in {out}/")
    return results


if __name__ == "__main__":
    main()
