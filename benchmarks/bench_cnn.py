"""Training-step time of CNNs: minigrad vs PyTorch CPU, interleaved in one process per thread count.

    python benchmarks/bench_cnn.py              # MNIST CNN b64 + CIFAR-like b32/b64, 1 and 2 threads
    python benchmarks/bench_cnn.py --nets mnist --threads 1 --repeats 15
    python benchmarks/bench_cnn.py --only main            # examples/mnist_batchnorm.py end to end vs PyTorch

The nets:
- mnist: the network of examples/mnist_cnn.py, conv(1->32, 3x3, pad 1, no bias)-BN2d-ReLU-maxpool2 ->
  conv(32->64)-BN2d-ReLU-maxpool2 -> flatten -> linear(3136->10), on 1x28x28 images.
- cifar: 3x32x32 images, conv 64-64-pool-128-128-pool (3x3, pad 1, no bias, each followed by
  BN2d and ReLU) -> flatten -> linear(8192->10).
Both libraries start from the same weights, see the same batch, use SGD (momentum 0.9) on
cross-entropy.

How it measures (so that the numbers mean something on a shared machine):
- Each thread count runs in its own child process: OpenBLAS fixes its thread count at import.
  torch.set_num_threads gets the same count.
- The contenders alternate in BLOCKS of steps (minigrad x B, pause, torch x B, pause, ...), with a
  settle pause between blocks: OpenBLAS's and torch's worker threads spin for a while after a
  call, and alternating single steps made each slow the other down.
- Every step is timed on its own; the table shows the median step and its forward/backward/optimizer
  split. `flt/step` is the median count of minor page faults per step (resource.getrusage), `RSS`
  the resident memory after the last step and how much it grew over the timed steps.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

import blas  # benchmarks/blas.py


def _threads_from_argv(argv) -> int | None:
    """--child-threads N, read before NumPy is imported: OpenBLAS fixes its thread count at import."""
    for i, a in enumerate(argv):
        if a == "--child-threads" and i + 1 < len(argv):
            return int(argv[i + 1])
    return None


if __name__ == "__main__" and _threads_from_argv(sys.argv) is not None:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = str(_threads_from_argv(sys.argv))

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import minigrad  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import nn, optim  # noqa: E402

NETS = {"mnist": ((1, 28, 28), (64,)), "cifar": ((3, 32, 32), (32, 64))}


def _layers(lib, net: str) -> list:
    """The layers of `net`, built from `lib` (minigrad.nn or torch.nn): the same code for both."""
    def block(c_in, c_out):
        return [lib.Conv2d(c_in, c_out, 3, padding=1, bias=False), lib.BatchNorm2d(c_out), lib.ReLU()]

    if net == "mnist":
        return [*block(1, 32), lib.MaxPool2d(2), *block(32, 64), lib.MaxPool2d(2),
                lib.Flatten(), lib.Linear(64 * 7 * 7, 10)]
    return [*block(3, 64), *block(64, 64), lib.MaxPool2d(2), *block(64, 128), *block(128, 128),
            lib.MaxPool2d(2), lib.Flatten(), lib.Linear(128 * 8 * 8, 10)]


def minigrad_cnn(net: str = "mnist") -> nn.Module:
    return nn.Sequential(*_layers(nn, net))


def torch_cnn(torch, model: nn.Module, net: str = "mnist"):
    """The same network in PyTorch, with model's weights copied in."""
    tnet = torch.nn.Sequential(*_layers(torch.nn, net))
    tnet.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    return tnet


def timed_step(cross_entropy, model, opt, x, y):
    """One training step of either framework (pass its cross_entropy); returns the times of
    forward, backward and the optimizer step."""
    t0 = time.perf_counter()
    loss = cross_entropy(model(x), y)
    t1 = time.perf_counter()
    opt.zero_grad()
    loss.backward()
    t2 = time.perf_counter()
    opt.step()
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def contenders(net: str, batch: int, torch=None) -> dict:
    """name -> one training step (returns its fwd/bwd/optim times), for minigrad and torch."""
    shape, _ = NETS[net]
    rng = np.random.default_rng(0)
    x_np, y_np = rng.random((batch, *shape), dtype=np.float32), rng.integers(0, 10, batch)
    minigrad.manual_seed(0)
    model = minigrad_cnn(net)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = minigrad.tensor(x_np), minigrad.tensor(y_np)
    out = {"minigrad": lambda: timed_step(F.cross_entropy, model, opt, x, y)}
    if torch is not None:
        tmodel = torch_cnn(torch, model, net)
        topt = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9)
        tx, ty = torch.tensor(x_np), torch.tensor(y_np)
        out["torch"] = lambda: timed_step(torch.nn.functional.cross_entropy, tmodel, topt, tx, ty)
    return out


def measure(steps: dict, repeats: int, block: int, warmup: int, settle: float) -> dict:
    """Per contender: medians of step / fwd / bwd / optim seconds, page faults per step, RSS."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    rows = {name: dict(t=[], flt=[], rss0=_rss_mib()) for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            time.sleep(settle)  # let the other contender's worker threads go idle
            for _ in range(block):
                f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                parts = step()
                rows[name]["flt"].append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
                rows[name]["t"].append(parts)
            rows[name]["rss"] = _rss_mib()
    out = {}
    for name, r in rows.items():
        out[name] = dict(step=statistics.median(sum(p) for p in r["t"]),
                         parts=[statistics.median(p[k] for p in r["t"]) for k in range(3)],
                         flt=statistics.median(r["flt"]), rss=r["rss"], rss_grow=r["rss"] - r["rss0"])
    return out


def child(args) -> None:
    try:
        import torch
        torch.set_num_threads(args.child_threads)
    except ImportError:
        torch = None
    for net in args.nets:
        for batch in (args.batch,) if args.batch else NETS[net][1]:
            res = measure(contenders(net, batch, torch), args.repeats, args.block, args.warmup, args.settle)
            ratio = res["minigrad"]["step"] / res["torch"]["step"] if "torch" in res else float("nan")
            for name, r in res.items():
                ms = [1e3 * r["step"]] + [1e3 * p for p in r["parts"]]
                cells = " | ".join(f"{v:.1f}" for v in ms)
                print(f"| {net} b{batch} | {args.child_threads} | {name} | {cells}"
                      + f" | {r['flt']:.0f} | {r['rss']:.0f} (+{r['rss_grow']:.0f}) | "
                      + (f"{ratio:.2f}" if name == "minigrad" else "") + " |", flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nets", nargs="+", default=["mnist", "cifar"], choices=sorted(NETS))
    ap.add_argument("--batch", type=int, default=None, help="one batch size for every net (default: 64 for "
                    "mnist, 32 and 64 for cifar)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=7, help="blocks per contender")
    ap.add_argument("--block", type=int, default=5, help="steps per block")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--settle", type=float, default=0.2, help="seconds of pause between blocks")
    ap.add_argument("--only", choices=["steps", "main"], default="steps")
    ap.add_argument("--steps", type=int, default=None,
                    help="--only main: steps per run (default: each run's own)")
    ap.add_argument("--child-threads", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_threads is not None:
        return child(args)
    if args.only == "main":
        return main_job(args.steps)
    print(f"CNN training step, float32, medians of {args.repeats} blocks x {args.block} steps per contender "
          f"(numpy {np.__version__}, {os.cpu_count()} cpus)\n{blas.describe()}\n")
    print("| net, batch | threads | contender | step ms | fwd ms | bwd ms | optim ms | faults/step "
          "| RSS MiB (growth) "
          "| minigrad / torch |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    passthrough = [a for a in (argv if argv is not None else sys.argv[1:])]
    for t in args.threads:
        subprocess.run([sys.executable, __file__, *passthrough, "--child-threads", str(t)], check=True)


# ***** the main job end to end: the five runs of examples/mnist_batchnorm.py *****


def torch_train_pair(torch, run, data, seed: int = 0, momentum: float = 0.01, eps: float = 1e-3) -> dict:
    """examples/mnist_batchnorm.py's train_pair in PyTorch: the same weights, the same batches
    (minigrad's DataLoader, converted), the same validation schedule; returns the final accuracies."""
    import mnist_batchnorm as mb

    tnn = torch.nn
    weights = [torch.tensor(w.numpy()) for w in mb.initial_weights(mb.INIT_SCALE[run.init])]
    act = {"tanh": tnn.Tanh, "relu": tnn.ReLU}[run.activation]

    def build(bn):
        layers = []
        for i, w in enumerate(weights):
            last = i == len(weights) - 1
            linear = tnn.Linear(w.shape[1], w.shape[0], bias=not bn)
            with torch.no_grad():
                linear.weight.copy_(w)
                if linear.bias is not None:
                    linear.bias.zero_()
            layers += [linear] + ([tnn.BatchNorm1d(w.shape[0], eps=eps, momentum=momentum)] if bn else [])
            layers += [] if last else [act()]
        return tnn.Sequential(*layers)

    def accuracy(net, x, y):
        net.eval()
        with torch.no_grad():
            pred = net(x).argmax(1).numpy()
        net.train()
        return float((pred == y).mean())

    nets = {bn: build(bn) for bn in (False, True)}
    opts = {bn: torch.optim.SGD(net.parameters(), lr=run.lr) for bn, net in nets.items()}
    loader = mb.DataLoader((data.train_images.reshape(-1, 784), data.train_labels), batch_size=60,
                           shuffle=True, generator=minigrad.Generator(seed))
    val_x = torch.from_numpy(np.ascontiguousarray(data.val_images.reshape(-1, 784)))
    for i, (xb, yb) in enumerate(loader.stream(run.steps)):
        xb, yb = torch.from_numpy(xb.numpy()), torch.from_numpy(yb.numpy())
        for bn, net in nets.items():
            loss = torch.nn.functional.cross_entropy(net(xb), yb)
            opts[bn].zero_grad()
            loss.backward()
            opts[bn].step()
            loss.item()
        if i % mb.EVAL_EVERY == 0 or i == run.steps - 1:
            val = {bn: accuracy(net, val_x, data.val_labels) for bn, net in nets.items()}
    return val


def main_job(steps: int | None) -> None:
    """Wall time of the five runs of examples/mnist_batchnorm.py (training and validation; no
    plots), minigrad vs the PyTorch version above, one thread each, one after the other."""
    import torch

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
    import mnist_batchnorm as mb

    torch.set_num_threads(1)
    data = mb.load_mnist_or_sample(None)
    print(f"data: {data}\n\n| run | steps | minigrad s | torch s | minigrad / torch "
          "| val acc vanilla, BN (minigrad / torch) |")
    print("|---|---|---|---|---|---|")
    totals = [0.0, 0.0]
    for k, run in mb.RUNS.items():
        if steps is not None:
            run = mb.Run(run.lr, steps, run.activation, run.init)
        t0 = time.perf_counter()
        res = mb.train_pair(run, data, progress=False)
        t1 = time.perf_counter()
        tval = torch_train_pair(torch, run, data)
        t2 = time.perf_counter()
        totals[0] += t1 - t0
        totals[1] += t2 - t1
        print(f"| {k} | {run.steps} | {t1 - t0:.1f} | {t2 - t1:.1f} | {(t1 - t0) / (t2 - t1):.2f} | "
              f"{res['val'][False]:.4f}, {res['val'][True]:.4f} / {tval[False]:.4f}, {tval[True]:.4f} |",
              flush=True)
    print(f"| all | | {totals[0]:.1f} | {totals[1]:.1f} | {totals[0] / totals[1]:.2f} | |")


if __name__ == "__main__":
    main()
