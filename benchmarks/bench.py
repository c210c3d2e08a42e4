"""minigrad benchmark suite: prints a table, writes JSON, and checks ratios against targets.

    python benchmarks/bench.py                 # everything (a few minutes)
    python benchmarks/bench.py --only mlp      # just the MLP steps
    python benchmarks/bench.py --check         # exit 1 if a ratio misses its target
    python benchmarks/bench.py --device cuda --only mlp --only cnn   # the same steps on a GPU,
                                               # beside PyTorch CUDA (tools/gpu_check.py runs this)

Every contender runs in this one process and the contenders are interleaved (A B C A B C ...)
so that machine noise hits them alike; we report medians over repeats. Targets are ratios to a
reference measured in the same run, never absolute times. On a GPU every timed block starts and
ends with a device synchronisation (kernels run asynchronously) and warm-up calls (CUDA context,
kernel compilation, memory-pool growth) are not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc

# One BLAS thread for every contender (set before NumPy loads): these matrices are small, and
# OpenBLAS's threads only add contention. Override with OMP_NUM_THREADS=N.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, os.environ.get("OMP_NUM_THREADS", "1"))

import numpy as np  # noqa: E402

import blas  # noqa: E402  (benchmarks/blas.py)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import minigrad  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import backend, nn, optim  # noqa: E402

try:
    import torch
except ImportError:  # the suite runs without torch; its columns are then empty
    torch = None

SIZES = [784] + [100] * 9 + [10]
BATCH, LR = 60, 0.01


# ***** the 10-layer MLP in three implementations *****


def _weights(seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((o, i)) * 0.1).astype(np.float32) for i, o in zip(SIZES[:-1], SIZES[1:])]


def _batch(seed=1, n=BATCH):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)


def numpy_mlp(bn: bool):
    """The floor: a hand-written NumPy forward/backward of the same network and SGD step."""
    Ws = _weights()
    bs = [np.zeros(W.shape[0], np.float32) for W in Ws]
    gammas = [np.ones(W.shape[0], np.float32) for W in Ws]
    betas = [np.zeros(W.shape[0], np.float32) for W in Ws]
    rmeans = [np.zeros(W.shape[0], np.float32) for W in Ws]
    rvars = [np.ones(W.shape[0], np.float32) for W in Ws]
    x, y = _batch()
    n, L, lr, eps, m = len(x), len(Ws), np.float32(LR), np.float32(1e-5), np.float32(0.1)
    rows = np.arange(n)

    def step():
        hs, cache = [x], []
        h = x
        for i in range(L):
            z = h @ Ws[i].T
            if bn:
                mu = z.mean(0)
                d = z - mu
                var = (d * d).mean(0)
                inv = 1 / np.sqrt(var + eps)
                xhat = d * inv
                cache.append((xhat, inv))
                rmeans[i] *= 1 - m
                rmeans[i] += m * mu
                rvars[i] *= 1 - m
                rvars[i] += m * var * np.float32(n / (n - 1))
                z = xhat * gammas[i] + betas[i]
            else:
                z += bs[i]
            h = np.tanh(z) if i < L - 1 else z
            hs.append(h)
        s = h - h.max(1, keepdims=True)  # softmax cross-entropy: the loss value, then its gradient
        e = np.exp(s)
        se = e.sum(1, keepdims=True)
        loss = (np.log(se[:, 0]) - s[rows, y]).mean()
        g = e / se
        g[rows, y] -= 1
        g /= n
        for i in range(L - 1, -1, -1):
            if i < L - 1:
                g = g * (1 - hs[i + 1] * hs[i + 1])
            if bn:
                xhat, inv = cache[i]
                ggamma, gbeta = (g * xhat).sum(0), g.sum(0)
                gx = g * gammas[i]
                g = inv * (gx - gx.mean(0) - xhat * (gx * xhat).mean(0))
                gammas[i] -= lr * ggamma
                betas[i] -= lr * gbeta
            else:
                bs[i] -= lr * g.sum(0)
            gW = g.T @ hs[i]
            if i > 0:
                g = g @ Ws[i]
            Ws[i] -= lr * gW
        return loss

    return step


def build_minigrad_mlp(bn: bool, device="cpu"):
    layers = []
    for i, (fi, fo) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(nn.Linear(fi, fo, bias=not bn))
        if bn:
            layers.append(nn.BatchNorm1d(fo))
        if i < len(SIZES) - 2:
            layers.append(nn.Tanh())
    model = nn.Sequential(*layers)
    for lin, W in zip([m for m in model if isinstance(m, nn.Linear)], _weights()):
        lin.weight.array[...] = W
        if lin.bias is not None:
            lin.bias.array[...] = 0
    return model.to(device)


def minigrad_mlp(bn: bool, device="cpu"):
    model = build_minigrad_mlp(bn, device)
    opt = optim.SGD(model.parameters(), lr=LR)
    xa, ya = _batch()
    x, y = minigrad.tensor(xa, device=device), minigrad.tensor(ya, device=device)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return step


def torch_mlp(bn: bool, device="cpu"):
    layers = []
    for i, (fi, fo) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(torch.nn.Linear(fi, fo, bias=not bn))
        if bn:
            layers.append(torch.nn.BatchNorm1d(fo))
        if i < len(SIZES) - 2:
            layers.append(torch.nn.Tanh())
    model = torch.nn.Sequential(*layers)
    with torch.no_grad():
        for lin, W in zip([m for m in model if isinstance(m, torch.nn.Linear)], _weights()):
            lin.weight.copy_(torch.from_numpy(W))
            if lin.bias is not None:
                lin.bias.zero_()
    model.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    xa, ya = _batch()
    x, y = torch.from_numpy(xa).to(device), torch.from_numpy(ya).to(device)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return step


# ***** timing *****


def torch_device(device: str) -> str | None:
    """Where the PyTorch contender runs beside minigrad on `device`: the same device when torch
    has it ("cuda" needs a CUDA build of torch), else None (no torch column). On the strict
    stand-in device torch runs on the CPU: that only keeps its code path exercised, the ratio
    means nothing there."""
    if torch is None:
        return None
    if device == "cuda":
        return "cuda" if torch.cuda.is_available() else None
    return "cpu"


def device_sync(device: str):
    """A function that waits for all queued work of minigrad on `device` and of torch on its
    device (the same GPU: both libraries' kernels must be done before the clock is read)."""
    tdev = torch_device(device)

    def sync():
        backend.synchronize(device)
        if tdev == "cuda":
            torch.cuda.synchronize()

    return sync


def interleaved(contenders: dict, steps: int, repeats: int, warmup: int = 20, sync=lambda: None) -> dict:
    """Median ms per call of each contender; contenders alternate within every repeat.
    `sync()` waits for the device: it runs before the clock starts and before it is read."""
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            sync()
            t0 = time.perf_counter()
            for _ in range(steps):
                fn()
            sync()
            times[name].append((time.perf_counter() - t0) / steps * 1e3)
    return {name: statistics.median(v) for name, v in times.items()}


def mlp_contenders(bn: bool, device="cpu", with_torch=True) -> dict:
    """Name -> training-step function of the MLP: minigrad on `device`, PyTorch on the same
    device (when it has it) and, on the CPU, the hand-written NumPy floor."""
    contenders = {"numpy": numpy_mlp(bn)} if device == "cpu" else {}
    contenders["minigrad"] = minigrad_mlp(bn, device)
    if with_torch and torch_device(device) is not None:
        contenders["torch"] = torch_mlp(bn, torch_device(device))
    return contenders


def bench_mlp(repeats, device="cpu", steps=50, warmup=20):
    """The MLP step (vanilla and BN), contenders as in `mlp_contenders`."""
    rows = []
    tdev = torch_device(device)
    for bn in (False, True):
        contenders = mlp_contenders(bn, device)
        ms = interleaved(contenders, steps=steps, repeats=repeats, warmup=warmup, sync=device_sync(device))
        name = "MLP step, BN" if bn else "MLP step, vanilla"
        rows.append(dict(name=name, ms=ms,
                         ratio_floor=ms["minigrad"] / ms["numpy"] if "numpy" in ms else None,
                         ratio_torch=ms["minigrad"] / ms["torch"] if "torch" in ms else None,
                         device=device, torch_device=tdev))
    return rows


# ***** the CNN of examples/mnist_cnn.py (models shared with benchmarks/bench_cnn.py) *****


def cnn_contenders(device="cpu", with_torch=True) -> dict:
    """Name -> training-step function of the CNN (batch 64): minigrad on `device`, PyTorch on the
    same device when it has it, both from the same weights."""
    from bench_cnn import minigrad_cnn, timed_step, torch_cnn

    rng = np.random.default_rng(0)
    xa, ya = rng.random((64, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 64)
    minigrad.manual_seed(0)
    model = minigrad_cnn().to(device)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = minigrad.tensor(xa, device=device), minigrad.tensor(ya, device=device)
    contenders = {"minigrad": lambda: timed_step(F.cross_entropy, model, opt, x, y)}
    tdev = torch_device(device)
    if with_torch and tdev is not None:
        tmodel = torch_cnn(torch, model).to(tdev)
        topt = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9)
        tx, ty = torch.from_numpy(xa).to(tdev), torch.from_numpy(ya).to(tdev)
        contenders["torch"] = lambda: timed_step(torch.nn.functional.cross_entropy, tmodel, topt, tx, ty)
    return contenders


def bench_cnn(repeats, device="cpu", steps=3, warmup=3):
    tdev = torch_device(device)
    ms = interleaved(cnn_contenders(device), steps=steps, repeats=repeats, warmup=warmup,
                     sync=device_sync(device))
    return [dict(name="CNN step", ms=ms, ratio_torch=ms["minigrad"] / ms["torch"] if "torch" in ms else None,
                 device=device, torch_device=tdev)]


def bench_memory():
    """Peak traced memory of one CNN training step against the largest im2col buffer."""
    from bench_cnn import minigrad_cnn, timed_step

    minigrad.manual_seed(0)
    model = minigrad_cnn()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = minigrad.tensor(rng.random((64, 1, 28, 28), dtype=np.float32))
    y = minigrad.tensor(rng.integers(0, 10, 64))
    timed_step(F.cross_entropy, model, opt, x, y)  # momentum buffers exist from here on
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    timed_step(F.cross_entropy, model, opt, x, y)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    col = 64 * 32 * 3 * 3 * 14 * 14 * 4  # conv2: N * C_in * kh * kw * OH * OW float32
    # the layers' buffer caches were filled by the first step, so the traced peak above is what a
    # step allocates on top of them; report what they hold too
    caches = {id(m._buffer_cache): m._buffer_cache for m in model.modules() if hasattr(m, "_buffer_cache")}
    cached = sum(b.nbytes for c in caches.values() for bufs in c.bufs.values() for b in bufs)
    return [dict(name="CNN step peak memory", mb=peak / 2**20, col_mb=col / 2**20, ratio_col=peak / col,
                 cached_mb=cached / 2**20)]


def bench_epochs():
    """Wall time of one epoch (55,000 images) of each MNIST example, run as the user runs it
    (start-up, data loading and evaluation included). Set MINIGRAD_DATA to the full MNIST."""
    import subprocess

    root = os.path.join(os.path.dirname(__file__), "..")
    steps = 55_000 // 60
    cmds = {
        "epoch: mnist_batchnorm run 1 (both nets)": ["examples/mnist_batchnorm.py", "--runs", "1", "--steps",
                                                    str(steps), "--no-progress", "--out", "/tmp/minigrad_bench"],
        "epoch: paper_mnist (both nets)": ["examples/paper_mnist.py", "--steps", str(steps), "--no-progress",
                                           "--out", "/tmp/minigrad_bench"],
        "epoch: mnist_cnn": ["examples/mnist_cnn.py", "--epochs", "1"],
    }
    rows = []
    if not os.environ.get("MINIGRAD_DATA"):
        print("note: MINIGRAD_DATA is not set; the examples may fall back to the 10,000-image sample, "
              "so mnist_cnn's epoch is not a full one")
    for name, cmd in cmds.items():
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable] + cmd, cwd=root, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if done.returncode != 0:
            print(f"{name} failed:\n{done.stderr[-2000:]}")
            continue
        rows.append(dict(name=name, seconds=seconds))
    return rows


TARGETS = {  # device -> name -> (ratio key, upper bound)
    "cpu": {
        "MLP step, vanilla": [("ratio_floor", 1.25), ("ratio_torch", 1.0)],
        "MLP step, BN": [("ratio_floor", 1.25), ("ratio_torch", 1.0)],
        "CNN step": [("ratio_torch", 2.0)],
    },
    # The MLP is overhead-bound on a GPU (kernel launches): its ratio is reported, not targeted.
    "cuda": {"CNN step": [("ratio_torch", 2.0)]},
}


def missed_targets(rows, device="cpu") -> list:
    """Messages for the ratios in `rows` that miss their target on `device`."""
    failed = []
    for r in rows:
        for key, bound in TARGETS.get(device, {}).get(r["name"], []):
            if r.get(key) is not None and r[key] > bound:
                failed.append(f"{r['name']}: {key} {r[key]:.2f} > {bound}")
    return failed


def print_table(rows) -> None:
    f = lambda v, d=3: "-" if v is None else f"{v:.{d}f}"  # noqa: E731
    print(f"| {'benchmark':<22} | {'minigrad ms':>11} | {'numpy ms':>9} | {'torch ms':>9} | {'vs numpy':>8} | {'vs torch':>8} |")
    print(f"|{'-' * 24}|{'-' * 13}|{'-' * 11}|{'-' * 11}|{'-' * 10}|{'-' * 10}|")
    for r in rows:
        if "ms" in r:
            ms = r["ms"]
            print(f"| {r['name']:<22} | {f(ms.get('minigrad')):>11} | {f(ms.get('numpy')):>9} | "
                  f"{f(ms.get('torch')):>9} | {f(r.get('ratio_floor'), 2):>8} | {f(r.get('ratio_torch'), 2):>8} |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["mlp", "cnn", "epoch", "memory"], action="append")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--json", default=None,
                    help="where to write the rows (default benchmarks/results.json; "
                         "results_<device>.json off the CPU)")
    ap.add_argument("--check", action="store_true", help="exit 1 if a ratio misses its target")
    ap.add_argument("--device", default="cpu",
                    help="where minigrad (and torch, when it has the device) runs: cpu or cuda; the mlp "
                         "and cnn steps only off the CPU (the strict device: tools/gpu_check.py)")
    args = ap.parse_args(argv)
    device = backend.check_device(args.device)
    only = set(args.only or (["mlp", "cnn", "epoch", "memory"] if device == "cpu" else ["mlp", "cnn"]))
    if device != "cpu" and only - {"mlp", "cnn"}:
        ap.error(f"--only {' '.join(sorted(only - {'mlp', 'cnn'}))}: CPU only")

    threads = os.environ.get("OMP_NUM_THREADS")
    if torch is not None:
        torch.set_num_threads(int(threads) if threads else 1)
    rows = []
    if "mlp" in only:
        rows += bench_mlp(args.repeats, device)
    if "cnn" in only:
        rows += bench_cnn(args.repeats, device)
    if "memory" in only:
        rows += bench_memory()
    if "epoch" in only:
        rows += bench_epochs()

    print(f"\nminigrad {minigrad.__version__}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else '-'} ({torch.get_num_threads() if torch else '-'} threads), "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, device {device}\n"
          f"{blas.describe()}\n")
    print_table(rows)
    extra = [r for r in rows if "ms" not in r]
    if extra:
        print()
    for r in extra:
        if "mb" in r:
            print(f"{r['name']}: {r['mb']:.1f} MiB traced, {r['ratio_col']:.2f}x the largest column buffer "
                  f"({r['col_mb']:.1f} MiB); the layers' buffer caches hold {r['cached_mb']:.1f} MiB "
                  f"({r['cached_mb'] / r['col_mb']:.2f}x), allocated by the first step")
        else:
            print(f"{r['name']}: {r['seconds']:.1f} s")
    failed = missed_targets(rows, device)
    path = args.json or ("benchmarks/results.json" if device == "cpu"
                         else f"benchmarks/results_{device}.json")
    with open(path, "w") as fh:
        json.dump(dict(rows=rows, device=device, numpy=np.__version__, torch=torch.__version__ if torch else None), fh, indent=2)
    for msg in failed:
        print("MISSED TARGET:", msg)
    if args.check and failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
