"""Training-step time of the MNIST CNN: minigrad vs PyTorch CPU, measured in one process.

    python benchmarks/bench_cnn.py                 # batch 64, float32, 30 repeats
    python benchmarks/bench_cnn.py --repeats 50 --threads 1   # both libraries on one thread

The model is the one in examples/mnist_cnn.py:
conv(1->32, 3x3, pad 1, no bias)-BN2d-ReLU-maxpool2 -> conv(32->64, 3x3, pad 1, no bias)-BN2d-ReLU-
maxpool2 -> flatten -> linear(3136->10), trained with SGD (momentum 0.9) on cross-entropy.
Both models start from the same weights and see the same batch. The two contenders alternate
(A B A B ...) so that machine noise hits them alike; we print medians and the ratio. Target
(issue 5): minigrad / torch <= 2.0. Also prints the split into forward / backward / step.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def _threads_from_argv(argv) -> int | None:
    """--threads N, read before NumPy is imported: OpenBLAS fixes its thread count at import."""
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if a.startswith("--threads="):
            return int(a.split("=", 1)[1])
    return None


if __name__ == "__main__" and _threads_from_argv(sys.argv) is not None:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = str(_threads_from_argv(sys.argv))

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import minigrad  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import nn, optim  # noqa: E402

TARGET = 2.0


def minigrad_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 10),
    )


def torch_cnn(torch, model: nn.Module):
    """The same network in PyTorch, with model's weights copied in."""
    tnn = torch.nn
    net = tnn.Sequential(
        tnn.Conv2d(1, 32, 3, padding=1, bias=False), tnn.BatchNorm2d(32), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(32, 64, 3, padding=1, bias=False), tnn.BatchNorm2d(64), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(64 * 7 * 7, 10),
    )
    state = {k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()}
    net.load_state_dict(state)
    return net


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


def main(argv=None) -> float | None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for NumPy's BLAS and for torch (default: $OPENBLAS_NUM_THREADS, else "
                         "the number of CPUs, which is what OpenBLAS uses)")
    args = ap.parse_args(argv)

    rng = np.random.default_rng(0)
    x_np = rng.random((args.batch, 1, 28, 28), dtype=np.float32)
    y_np = rng.integers(0, 10, args.batch)
    minigrad.manual_seed(0)
    model = minigrad_cnn()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = minigrad.tensor(x_np), minigrad.tensor(y_np)
    contenders = {"minigrad": lambda: timed_step(F.cross_entropy, model, opt, x, y)}

    try:
        import torch
    except ImportError:
        torch = None
        print("torch is not installed: timing minigrad only")
    threads = args.threads or int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count()))
    if torch is not None:
        torch.set_num_threads(threads)
        tmodel = torch_cnn(torch, model)
        topt = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9)
        tx, ty = torch.tensor(x_np), torch.tensor(y_np)
        contenders["torch"] = lambda: timed_step(torch.nn.functional.cross_entropy, tmodel, topt, tx, ty)

    times = {name: [] for name in contenders}
    for i in range(args.warmup + args.repeats):
        for name, step in contenders.items():  # interleaved: A B A B ...
            parts = step()
            if i >= args.warmup:
                times[name].append(parts)

    print(f"CNN training step, batch {args.batch}, float32, medians of {args.repeats} "
          f"(numpy {np.__version__}, {os.cpu_count()} cpus" +
          f", BLAS threads {os.environ.get('OPENBLAS_NUM_THREADS', 'default')}" +
          (f", torch {torch.__version__} with {torch.get_num_threads()} threads)" if torch else ")"))
    print(f"{'':10s} {'step ms':>9s} {'fwd ms':>8s} {'bwd ms':>8s} {'optim ms':>9s}")
    med = {}
    for name, rows in times.items():
        cols = [statistics.median(sum(r) for r in rows)]
        cols += [statistics.median(r[k] for r in rows) for k in range(3)]
        med[name] = cols[0]
        print(f"{name:10s} " + " ".join(f"{1e3 * c:{w}.2f}" for c, w in zip(cols, (9, 8, 8, 9))))
    if "torch" not in med:
        return None
    ratio = med["minigrad"] / med["torch"]
    print(f"ratio minigrad / torch = {ratio:.2f}x (target <= {TARGET:.1f}x): "
          + ("OK" if ratio <= TARGET else "MISSED"))
    return ratio


if __name__ == "__main__":
    main()
