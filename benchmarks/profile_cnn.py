"""Where a CNN training step's time goes, per Function type (forward and backward separately).

    python benchmarks/profile_cnn.py                 # MNIST CNN, batch 64, 1 thread
    python benchmarks/profile_cnn.py --net cifar --batch 32

Each Function subclass's forward and backward are wrapped with a timer; the table shows the mean
ms per step over --steps steps (after 3 warm-up steps) and the share of the step. "other" is what
no Function accounts for: the engine's walk, the Modules' Python, the optimizer. Page faults
and RSS are counted here too, with no torch in the process (importing torch changes how glibc's
malloc behaves, so bench_cnn.py's fault column is not what a minigrad-only user sees).
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))

import bench_cnn  # noqa: E402

from minigrad.autograd import Function  # noqa: E402


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def instrument(totals: dict) -> None:
    """Wrap forward/backward of every Function subclass defined so far with a timer."""
    for cls in set(_subclasses(Function)):
        for phase in ("forward", "backward"):
            orig = cls.__dict__.get(phase)
            if orig is None:
                continue

            def timed(self, *args, _orig=orig, _key=(cls.__name__, phase)):
                t0 = time.perf_counter()
                try:
                    return _orig(self, *args)
                finally:
                    totals[_key] += time.perf_counter() - t0

            setattr(cls, phase, timed)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--net", default="mnist", choices=sorted(bench_cnn.NETS))
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args(argv)
    step = bench_cnn.contenders(args.net, args.batch)["minigrad"]
    totals = collections.defaultdict(float)
    instrument(totals)
    for _ in range(3):
        step()
    totals.clear()
    f0, t0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter()
    for _ in range(args.steps):
        step()
    wall = (time.perf_counter() - t0) / args.steps
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / args.steps
    rows = sorted(((v / args.steps, k) for k, v in totals.items()), reverse=True)
    print(f"{args.net} CNN, batch {args.batch}, {os.environ['OPENBLAS_NUM_THREADS']} BLAS thread(s): "
          f"{1e3 * wall:.1f} ms per step (mean of {args.steps}), {faults:.0f} page faults per step, "
          f"RSS {bench_cnn._rss_mib():.0f} MiB (no torch in this process)\n")
    print("| Function | phase | ms per step | share |\n|---|---|---|---|")
    for sec, (name, phase) in rows:
        print(f"| {name} | {phase} | {1e3 * sec:.2f} | {100 * sec / wall:.0f}% |")
    other = wall - sum(totals.values()) / args.steps
    print(f"| other (engine, Modules, optimizer) | | {1e3 * other:.2f} | {100 * other / wall:.0f}% |")


if __name__ == "__main__":
    main()
