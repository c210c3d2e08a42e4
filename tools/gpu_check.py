"""Prove minigrad on a GPU in one go: tests, examples, timings and GPU-only measurements.

GPU time is scarce (one window of ~15 minutes, no network), so this script is prepared and
exercised on the CPU, with the "strict" stand-in device in place of "cuda" (CI runs
`--device strict`), and does everything in one call on a GPU machine:

    env          GPU name, driver and CUDA runtime, CuPy, NumPy, PyTorch versions (nvidia-smi too)
    first_use    first training step vs the steady state, in fresh processes with an empty CuPy
                 kernel cache (cold: compiles kernels) and then the filled one (warm)
    tests        the test suite's cases for the device (`pytest -k cuda`), JUnit XML
    syncs        host<->device transfers in one training step (must be none), with a control
    memory       bytes held by CuPy's memory pool after N and 2N steps, beside PyTorch's (cuda only)
    mnist_batchnorm_quick, mnist_cnn   the examples on the device (the CNN: one epoch, fewer
                 steps when time is short)
    bench        ms/step of the MLP (vanilla, BN) and the CNN, beside PyTorch on the same device
                 (benchmarks/bench.py: same contenders, interleaved, synchronised, medians)
    mnist_batchnorm_full   optional: the example's five runs in full, or run 1, if time allows

Each part runs in its own process with a timeout taken from --budget; one part failing never
stops the others. Everything lands in --out: gpu_check.json (all results, rewritten after every
part), summary.md (the tables for docs/benchmarks.md), logs/*.log, junit_<device>.xml, and the
examples' figures. The exit status is 1 if any part failed or a required one had no time left.

Usage:

    bash tools/gpu_check.sh --device strict --out /tmp/gpu_strict       # CPU rehearsal (CI)
    bash tools/gpu_check.sh --device cuda --data ~/data/mnist --out gpu_out

On the lent GPU machine (no network; the repo's working tree is copied there, ignored folders
only if carried). First, here, put MNIST and a pure-Python pytest into the ignored .gpu_data/:

    python3 tools/gpu_check.py --prepare .gpu_data --data /work/shared/data/mnist

then one call of the `run` tool, with carry [".gpu_data"] and timeout_s 540 (results in $OUT):

    bash tools/gpu_check.sh --device cuda --data .gpu_data/mnist --budget 420

Nothing is installed: the repository root goes on PYTHONPATH; .gpu_data/pylib is appended to it
for pytest only if `import pytest` fails there.

`PYTHONPATH=tools/fake_cupy` swaps in a fake CuPy made of the strict device, so that the cuda-only
code of this script runs without a GPU (tests/test_gpu_check.py does); its numbers are made up.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MNIST_FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def strict_device():
    """Register the CPU stand-in device "strict" and return its module. The one place this
    script names that module (it is moving into minigrad.testing: both homes are tried)."""
    import importlib

    for name in ("minigrad.testing.strict", "minigrad.strict"):
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as e:
            if not name.startswith(str(e.name)):  # a missing dependency, not a missing home
                raise
    raise ModuleNotFoundError("the strict device module was found neither in minigrad.testing nor minigrad")


def use_device(device: str):
    """Make `device` usable in this process: registers "strict"; returns the strict module or None."""
    return strict_device() if device == "strict" else None


# ===================================================================================================
# The parts that run in child processes: `gpu_check.py --part NAME --device D --out DIR`.
# Each writes DIR/parts/NAME.json; the orchestrator reads it back.
# ===================================================================================================


def _bench():
    """benchmarks/bench.py as a module: the single home of the training-step functions."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench

    return bench


def _sync(device):
    from minigrad import backend

    return lambda: backend.synchronize(device)


def _cuda_version(v: int) -> str:
    return f"{v // 1000}.{v % 1000 // 10}"


def part_env(device: str, args) -> dict:
    import numpy as np

    import minigrad

    info = dict(python=sys.version.split()[0], numpy=np.__version__, minigrad=minigrad.__version__,
                minigrad_file=minigrad.__file__, device=device, cpu_count=os.cpu_count(),
                cupy_cache_dir=os.environ.get("CUPY_CACHE_DIR"))
    for mod in ("pytest", "matplotlib", "tqdm"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception as e:  # noqa: BLE001  (recorded, not fatal)
            info[mod] = f"missing ({type(e).__name__})"
    if device != "cuda":
        use_device(device)
        x = minigrad.ones(3, device=device)
        info["smoke_sum"] = x.sum().item()
        return _torch_info(info, device)
    from minigrad import backend

    info["cuda_available"] = backend.cuda_available
    try:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,pci.bus_id",
                              "--format=csv,noheader"], capture_output=True, text=True, timeout=30)
        info["nvidia_smi"] = smi.stdout.strip() or smi.stderr.strip()
        print(subprocess.run(["nvidia-smi"], capture_output=True, text=True, timeout=30).stdout)
    except (OSError, subprocess.SubprocessError) as e:
        info["nvidia_smi"] = f"unavailable: {e!r}"
    if not backend.cuda_available:
        info["cupy_error"] = repr(backend._cupy_error)
        raise RuntimeError(f"CuPy cannot use a GPU: {info['cupy_error']}\n{json.dumps(info, indent=1)}")
    cp = backend.cp
    rt = cp.cuda.runtime
    props = rt.getDeviceProperties(0)
    name = props["name"]
    info.update(cupy=cp.__version__, cuda_runtime=_cuda_version(rt.runtimeGetVersion()),
                cuda_driver=_cuda_version(rt.driverGetVersion()), device_count=rt.getDeviceCount(),
                gpu=name.decode() if isinstance(name, bytes) else str(name),
                compute_capability=f"{props['major']}.{props['minor']}",
                gpu_memory_gib=round(props["totalGlobalMem"] / 2**30, 1))
    cp.show_config()  # into the log: CUDA paths, cuBLAS/NVRTC versions
    x = minigrad.ones(3, device="cuda")
    info["smoke_sum"] = x.sum().item()
    if info["smoke_sum"] != 3.0:
        raise RuntimeError(f"ones(3).sum() on cuda gave {info['smoke_sum']}")
    return _torch_info(info, device)


def _torch_info(info: dict, device: str) -> dict:
    """PyTorch's versions, read last: CuPy's are recorded even if loading torch's CUDA fails."""
    try:
        import torch

        info.update(torch=torch.__version__, torch_cuda=torch.version.cuda,
                    torch_cuda_available=torch.cuda.is_available())
        if device == "cuda" and torch.cuda.is_available():
            info["torch_gpu"] = torch.cuda.get_device_name(0)
    except Exception as e:  # noqa: BLE001  (no torch, or a torch whose CUDA does not load)
        info["torch"] = f"unavailable ({type(e).__name__}: {e})"[:200]
    return info


def _workloads(device, bench, with_torch=False):
    """Name -> a function that builds a fresh training-step function (minigrad only)."""
    return {
        "MLP step, vanilla": lambda: bench.mlp_contenders(False, device, with_torch)["minigrad"],
        "MLP step, BN": lambda: bench.mlp_contenders(True, device, with_torch)["minigrad"],
        "CNN step": lambda: bench.cnn_contenders(device, with_torch)["minigrad"],
    }


def part_first_use(device: str, args) -> dict:
    """Time of the first training steps in a fresh process against the steady state. On a GPU the
    first step creates the CUDA context and compiles (or loads from CUPY_CACHE_DIR) each kernel."""
    t0 = time.perf_counter()
    import minigrad
    from minigrad import backend  # noqa: F401  (imports CuPy when it is there)

    use_device(device)
    import_s = time.perf_counter() - t0
    sync = _sync(device)
    t0 = time.perf_counter()
    minigrad.zeros(1, device=device).sum()
    sync()
    context_s = time.perf_counter() - t0
    bench = _bench()
    n = {"MLP step, BN": 25, "CNN step": 10} if device == "cuda" else {"MLP step, BN": 6, "CNN step": 4}
    out = dict(tag=args.tag, import_s=import_s, first_op_s=context_s, steps={})
    for name, make in _workloads(device, bench).items():
        if name not in n:
            continue
        step = make()
        times = []
        for _ in range(n[name]):
            sync()
            t = time.perf_counter()
            step()
            sync()
            times.append((time.perf_counter() - t) * 1e3)
        out["steps"][name] = dict(first_ms=times[0], second_ms=times[1],
                                  steady_ms=statistics.median(times[2:]), n=len(times))
    cache = os.environ.get("CUPY_CACHE_DIR")
    if device == "cuda" and cache and os.path.isdir(cache):
        out["kernel_cache_files"] = sum(len(f) for _, _, f in os.walk(cache))
    return out


class SyncCounter:
    """Counts, while active, the calls through which minigrad hands data to the host or takes it
    from there: backend.to_numpy (Tensor.numpy and friends), Tensor.item (float(), int()),
    Tensor.__bool__, and backend.to_device from the host to a device. On the strict device it
    also reads the stand-in's own count of every raw device->host conversion."""

    def __init__(self, device, strict_module=None):
        self.device, self.strict = device, strict_module
        self.counts = {}

    def _wrap(self, owner, name, key, when=lambda *a, **k: True):
        orig = getattr(owner, name)

        def counted(*a, **k):
            if when(*a, **k):
                self.counts[key] += 1
            return orig(*a, **k)

        setattr(owner, name, counted)
        self._undo.append((owner, name, orig))

    def __enter__(self):
        from minigrad import Tensor, backend

        self._undo = []
        self.counts = dict(to_numpy=0, item=0, bool=0, host_to_device=0)
        def on(a):  # the device of an array; numbers and lists are on the host
            try:
                return backend.device_of(a)
            except TypeError:
                return "cpu"

        self._wrap(backend, "to_numpy", "to_numpy", lambda a, *r, **k: on(a) != "cpu")
        self._wrap(Tensor, "item", "item")
        self._wrap(Tensor, "__bool__", "bool")
        self._wrap(backend, "to_device", "host_to_device",
                   lambda a, *r, **k: on(a) == "cpu" and str(k.get("device", r[0] if r else "cpu")) != "cpu")
        self._strict0 = self.strict.host_transfers if self.strict else None
        return self

    def __exit__(self, *exc):
        for owner, name, orig in reversed(self._undo):
            setattr(owner, name, orig)
        if self.strict:
            self.counts["strict_host_transfers"] = self.strict.host_transfers - self._strict0
        return False

    @property
    def device_to_host(self) -> int:
        c = self.counts
        return c["to_numpy"] + c["item"] + c["bool"] + c.get("strict_host_transfers", 0)


def count_syncs(step, device, strict_module=None) -> dict:
    """Counts of `SyncCounter` during one call of step() (after one uncounted warm-up call)."""
    step()
    with SyncCounter(device, strict_module) as counter:
        step()
    return counter.counts


def _cupyx_sync_check(step) -> str:
    """CuPy's own detector: run step() with synchronisation forbidden (it is deprecated, and can
    miss syncs outside CuPy; a bonus check beside the counts)."""
    try:
        import cupyx

        if not hasattr(cupyx, "allow_synchronize"):
            return "not available in this CuPy"
        with cupyx.allow_synchronize(False):
            step()
        return "none detected"
    except Exception as e:  # noqa: BLE001  (DeviceSynchronized, or the API is gone)
        return f"{type(e).__name__}: {e}"[:300]


def part_syncs(device: str, args) -> dict:
    import numpy as np

    import minigrad
    import minigrad.nn.functional as F
    from minigrad import optim
    from minigrad.datasets import DataLoader

    strict = use_device(device)
    bench = _bench()
    steps = _workloads(device, bench)
    model = bench.build_minigrad_mlp(True, device)  # the BN MLP again, with Adam this time
    adam = optim.Adam(model.parameters(), lr=1e-3)
    xa, ya = bench._batch()
    x, y = minigrad.tensor(xa, device=device), minigrad.tensor(ya, device=device)

    def adam_step():
        adam.zero_grad()
        F.cross_entropy(model(x), y).backward()
        adam.step()

    def logged_step():  # the control: a step that logs its loss with .item() (one sync)
        adam.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        adam.step()
        loss.item()

    steps["MLP step, BN, Adam"] = lambda: adam_step
    loader = DataLoader((np.zeros((120, 784), np.float32), np.arange(120) % 10), batch_size=60, shuffle=True,
                        generator=minigrad.Generator(0), device=device)
    batches = iter(loader.stream(10**6))
    out = {}
    for name, make in steps.items():
        step = make()
        out[name] = count_syncs(step, device, strict)
        if device == "cuda":
            out[name]["cupyx_check"] = _cupyx_sync_check(step)
    bad = {k: v for k, v in out.items()
           if v["to_numpy"] + v["item"] + v["bool"] + v.get("strict_host_transfers", 0)}
    out["DataLoader: next batch"] = count_syncs(lambda: next(batches), device, strict)
    control = count_syncs(logged_step, device, strict)
    out["control: Adam step + loss.item()"] = control
    if control["item"] != 1 or (strict is not None and control["strict_host_transfers"] != 1):
        raise RuntimeError(f"the sync counter missed the control's .item(): {control}")
    if bad:
        raise RuntimeError(f"training steps synchronise with the host: {bad}")
    return out


def part_memory(device: str, args) -> dict:
    """Bytes held by CuPy's memory pool after N and 2N training steps (growth between them would
    be a leak), beside what PyTorch's caching allocator holds for the same step."""
    import gc

    from minigrad import backend

    bench = _bench()
    cp, torch = backend.cp, bench.torch
    pool = cp.get_default_memory_pool()
    n, mib = 10, 2**20
    out = {}
    for name in ("MLP step, BN", "CNN step"):
        gc.collect()
        pool.free_all_blocks()
        row = dict(used_mib_before=pool.used_bytes() / mib)
        contenders = (bench.mlp_contenders(True, device) if name.startswith("MLP")
                      else bench.cnn_contenders(device))
        step = contenders["minigrad"]
        for k in range(2):
            for _ in range(n):
                step()
            backend.synchronize(device)
            row[f"used_mib_after_{(k + 1) * n}"] = pool.used_bytes() / mib
            row[f"total_mib_after_{(k + 1) * n}"] = pool.total_bytes() / mib
        if "torch" in contenders:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            for _ in range(n):
                contenders["torch"]()
            torch.cuda.synchronize()
            row.update(torch_allocated_mib=torch.cuda.memory_allocated() / mib,
                       torch_peak_allocated_mib=torch.cuda.max_memory_allocated() / mib,
                       torch_reserved_mib=torch.cuda.memory_reserved() / mib)
        out[name] = row
        del contenders, step
    return out


def part_bench(device: str, args) -> dict:
    use_device(device)
    bench = _bench()
    if args.no_torch:
        bench.torch = None
    if bench.torch is not None:
        bench.torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    if device == "cuda":
        mlp = dict(repeats=15, steps=30, warmup=20)
        cnn = dict(repeats=15, steps=10, warmup=5)
    else:  # the rehearsal: exercise the code path, quickly
        mlp = dict(repeats=3, steps=5, warmup=2)
        cnn = dict(repeats=2, steps=1, warmup=1)
    rows = bench.bench_mlp(device=device, **mlp) + bench.bench_cnn(device=device, **cnn)
    bench.print_table(rows)
    return dict(rows=rows, settings=dict(mlp=mlp, cnn=cnn), missed_targets=bench.missed_targets(rows, device),
                torch=bench.torch.__version__ if bench.torch is not None else None)


PART_FUNCTIONS = {"env": part_env, "first_use": part_first_use, "syncs": part_syncs, "memory": part_memory,
                  "bench": part_bench}


def run_part(args) -> int:
    out = Path(args.out) / "parts"
    out.mkdir(parents=True, exist_ok=True)
    name = args.part + (f"_{args.tag}" if args.tag else "")
    try:
        result = PART_FUNCTIONS[args.part](args.device, args)
        status = 0
    except Exception as e:  # noqa: BLE001  (recorded for the orchestrator, then re-raised for the log)
        result, status = dict(error=f"{type(e).__name__}: {e}"), 1
        (out / f"{name}.json").write_text(json.dumps(result, indent=1, default=str))
        raise
    (out / f"{name}.json").write_text(json.dumps(result, indent=1, default=str))
    print(json.dumps(result, indent=1, default=str))
    return status


def run_example(argv) -> None:
    """`gpu_check.py --run-example PATH DEVICE ARGS...`: run an example as its own __main__ in
    this process, after making DEVICE usable (the examples do not know the strict device)."""
    import runpy

    path, device, rest = argv[0], argv[1], argv[2:]
    use_device(device)
    sys.argv = [path] + rest
    runpy.run_path(path, run_name="__main__")


# ===================================================================================================
# The orchestrator
# ===================================================================================================


class Check:
    def __init__(self, args):
        self.args, self.device = args, args.device
        self.out = Path(args.out).resolve()
        self.logs = self.out / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.start = time.monotonic()
        self.deadline = self.start + args.budget
        self.report = dict(device=self.device, budget_s=args.budget, parts={},
                           started=datetime.datetime.now(datetime.timezone.utc).isoformat(),
                           command=shlex.join([sys.executable] + sys.argv))
        self.env = dict(os.environ)
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), self.env.get("PYTHONPATH")]))
        self.env.setdefault("MPLBACKEND", "Agg")
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        # Small matrices on the CPU side: BLAS threads only add contention (the examples and
        # bench.py set this too, but too late when this script has loaded NumPy first).
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            self.env.setdefault(var, "1")
        # One fresh kernel cache for the whole run: first_use measures a cold start, and every
        # later part reuses what it compiled.
        self.cache = Path(tempfile.mkdtemp(prefix="minigrad_cupy_cache_"))
        self.env["CUPY_CACHE_DIR"] = str(self.cache)
        self.data = self._data()

    # ----- helpers -----

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def _data(self) -> dict:
        d = self.args.data
        if d and all((Path(d) / f).exists() or (Path(d) / f[:-3]).exists() for f in MNIST_FILES):
            return dict(flags=["--data", str(Path(d).resolve())], source=str(Path(d).resolve()), full=True)
        why = f"{d} lacks the four MNIST files" if d else "no --data given"
        return dict(flags=["--sample"], source=f"bundled sample ({why})", full=False)

    def save(self) -> None:
        self.report["wall_s"] = time.monotonic() - self.start
        (self.out / "gpu_check.json").write_text(json.dumps(self.report, indent=1, default=str))

    def log(self, msg: str) -> None:
        print(f"[{time.monotonic() - self.start:6.1f}s] {msg}", flush=True)

    def run(self, name, cmd, timeout, env=None) -> dict:
        """Run cmd with its output in logs/<name>.log; on timeout interrupt it (pytest still
        writes its report), then kill its process group."""
        log_path = self.logs / f"{name}.log"
        t0 = time.monotonic()
        with open(log_path, "w") as log:
            log.write(f"$ {shlex.join(cmd)}\n\n")
            log.flush()
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env or self.env,
                                    start_new_session=True)
            timed_out = False
            try:
                proc.wait(timeout=max(timeout, 1))
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(proc.pid, signal.SIGINT)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        text = log_path.read_text(errors="replace")
        return dict(rc=proc.returncode, timed_out=timed_out, seconds=time.monotonic() - t0,
                    log=str(log_path.relative_to(self.out)), tail=text[-1500:], text=text)

    def child(self, part, timeout, extra=()) -> dict:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--part", part, "--device", self.device,
               "--out", str(self.out), *extra]
        tag = extra[extra.index("--tag") + 1] if "--tag" in extra else None
        r = self.run(part + (f"_{tag}" if tag else ""), cmd, timeout)
        path = self.out / "parts" / (part + (f"_{tag}" if tag else "") + ".json")
        r["result"] = json.loads(path.read_text()) if path.exists() else None
        return r

    def example(self, name, script, args, timeout) -> dict:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--run-example", script, self.device,
               "--device", self.device, *args]
        return self.run(name, cmd, timeout)

    # ----- the parts -----

    def p_env(self, timeout):
        r = self.child("env", timeout)
        self.report["env"] = r["result"]
        return r

    def p_first_use(self, timeout):
        cold = self.child("first_use", timeout * 0.6, ["--tag", "cold"])
        if cold["rc"] != 0 or cold["timed_out"]:
            return cold
        left = max(self._part_start + timeout - time.monotonic(), 5)
        warm = self.child("first_use", left, ["--tag", "warm"])
        warm["seconds"] += cold["seconds"]
        warm["result"] = dict(cold=cold["result"], warm=warm["result"])
        return warm

    def p_tests(self, timeout):
        junit = self.out / f"junit_{self.device}.xml"
        env = dict(self.env)
        probe = subprocess.run([sys.executable, "-c", "import pytest"], env=env, capture_output=True)
        if probe.returncode != 0 and self.args.pylib and Path(self.args.pylib).is_dir():
            # appended: whatever the machine has installed comes first
            env["PYTHONPATH"] += os.pathsep + str(Path(self.args.pylib).resolve())
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", self.device, "-rfEs",
               "--durations=15", f"--junitxml={junit}", "-o", "junit_family=xunit2"]
        r = self.run("tests", cmd, timeout, env)
        r["result"] = counts = self.junit_counts(junit)
        if counts and (counts["failed"] or counts["errors"]):
            r["failed_reason"] = f"{counts['failed']} failed, {counts['errors']} errors"
        if counts and counts["passed"] == 0:
            r["failed_reason"] = f"no {self.device} case passed"
        return r

    @staticmethod
    def junit_counts(path) -> dict | None:
        if not Path(path).exists():
            return None
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        c = dict(tests=0, failed=0, errors=0, skipped=0)
        for s in suites:
            c["tests"] += int(s.get("tests", 0))
            c["failed"] += int(s.get("failures", 0))
            c["errors"] += int(s.get("errors", 0))
            c["skipped"] += int(s.get("skipped", 0))
        c["passed"] = c["tests"] - c["failed"] - c["errors"] - c["skipped"]
        c["seconds"] = sum(float(s.get("time", 0)) for s in suites)
        failing = [f"{tc.get('classname')}::{tc.get('name')}" for tc in root.iter("testcase")
                   if tc.find("failure") is not None or tc.find("error") is not None]
        c["failing"] = failing[:30]
        return c

    def p_syncs(self, timeout):
        return self.child("syncs", timeout)

    def p_memory(self, timeout):
        return self.child("memory", timeout)

    def p_bench(self, timeout):
        r = self.child("bench", timeout)
        if (r["rc"] != 0 or r["timed_out"]) and self.left() > 60 and not self.args.no_torch:
            self.log("bench: failed with torch; once more without it")
            r2 = self.child("bench", min(timeout, self.left() - 30), ["--no-torch"])
            r2["first_attempt"] = dict(rc=r["rc"], timed_out=r["timed_out"], tail=r["tail"])
            r2["seconds"] += r["seconds"]
            return r2
        return r

    def p_mnist_batchnorm_quick(self, timeout):
        out = self.out / "mnist_batchnorm_quick"
        r = self.example("mnist_batchnorm_quick", "examples/mnist_batchnorm.py",
                         ["--runs", "1", "--quick", "--no-progress", "--out", str(out), *self.data["flags"]],
                         timeout)
        r["result"] = self.batchnorm_results(out)
        if r["rc"] == 0 and "ms_per_step" not in r["result"].get("1", {}):
            r["failed_reason"] = "results.md not understood (did the example's table change?)"
        return r

    def p_mnist_batchnorm_full(self, timeout):
        quick = (self.report["parts"].get("mnist_batchnorm_quick") or {}).get("result") or {}
        per_step = sum(quick.get("1", {}).get("ms_per_step", [])) / 1e3  # both nets, seconds
        if not per_step:
            return dict(skipped="the quick run gave no ms/step to plan with")
        run_steps = {1: 2000, 2: 5000, 3: 5000, 4: 2000, 5: 5000}
        # A step of both nets, plus a validation of both every 60 steps (about 10 steps' worth),
        # plus start-up; a margin of 1.5 for a slower machine.
        estimate = lambda steps: 1.5 * steps * per_step * 1.2 + 30  # noqa: E731
        runs = [1, 2, 3, 4, 5] if estimate(sum(run_steps.values())) < timeout else [1]
        if estimate(sum(run_steps[k] for k in runs)) >= timeout:
            return dict(skipped=f"no time: run 1 needs ~{estimate(2000):.0f} s, {timeout:.0f} s left")
        out = self.out / "mnist_batchnorm_full"
        r = self.example("mnist_batchnorm_full", "examples/mnist_batchnorm.py",
                         ["--runs", *map(str, runs), "--no-progress", "--out", str(out), *self.data["flags"]],
                         timeout)
        r["result"] = self.batchnorm_results(out)
        return r

    @staticmethod
    def batchnorm_results(out: Path) -> dict:
        """The table the example writes (results.md), parsed: run -> values."""
        rows = {}
        path = out / "results.md"
        if not path.exists():
            return rows
        for line in path.read_text().splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 11 and cells[0].isdigit():
                try:
                    rows[cells[0]] = dict(steps=int(cells[2]), val=[float(cells[5]), float(cells[6])],
                                          test=[float(cells[7]), float(cells[8])],
                                          ms_per_step=[float(cells[9]), float(cells[10])])
                except ValueError:
                    rows[cells[0]] = dict(raw=line)
        return rows

    def p_mnist_cnn(self, timeout):
        n_train = 55000 if self.data["full"] else 7000
        full_steps = n_train // 32
        steps = full_steps
        if self.device != "cuda" and not self.args.full:
            steps = 20  # the rehearsal: the code path, not the accuracy
        else:  # plan with the steady CNN step measured by first_use (batch 64: an upper bound)
            fu = ((self.report["parts"].get("first_use") or {}).get("result") or {}).get("warm") or {}
            ms = fu.get("steps", {}).get("CNN step", {}).get("steady_ms") or 50.0
            fit = int((timeout - 40) / (1.5 * ms / 1e3))
            steps = max(min(full_steps, fit), 10)
        args = ["--epochs", "1", *self.data["flags"]]
        if steps < full_steps:
            args += ["--steps", str(steps)]
        r = self.example("mnist_cnn", "examples/mnist_cnn.py", args, timeout)
        res = dict(steps_requested=steps, full_epoch_steps=full_steps)
        m = re.search(r"epoch 1: ([\d.]+) s \(([\d.]+) ms/step, (\d+) steps\), validation accuracy ([\d.]+)",
                      r["text"])
        if m:
            res.update(epoch_s=float(m[1]), ms_per_step=float(m[2]), steps=int(m[3]), val=float(m[4]))
        m = re.search(r"test accuracy ([\d.]+)", r["text"])
        if m:
            res["test"] = float(m[1])
        r["result"] = res
        if r["rc"] == 0 and not ("ms_per_step" in res and "test" in res):
            r["failed_reason"] = "output not understood (did the example's epoch/test lines change?)"
        return r

    # ----- the plan -----

    def plan(self):
        """(name, required, seconds it needs at least, seconds it may take at most)."""
        cuda = self.device == "cuda"
        return [
            ("env", True, 10, 60),
            ("first_use", True, 15, 120 if cuda else 40),
            ("tests", True, 20, 200),
            ("syncs", True, 10, 60),
            ("memory", cuda, 10, 60),
            ("mnist_batchnorm_quick", True, 15, 90),
            ("mnist_cnn", True, 20, 150),
            ("bench", True, 20, 150),
            ("mnist_batchnorm_full", False, 60, 10**6),
        ]

    def main(self) -> int:
        self.log(f"minigrad GPU check on {self.device!r}, budget {self.args.budget:.0f} s, out {self.out}, "
                 f"data: {self.data['source']}")
        self.report["data"] = self.data["source"]
        plan = [p for p in self.plan() if not self.args.only or p[0] in self.args.only]
        for i, (name, required, least, most) in enumerate(plan):
            reserve = sum(p[2] for p in plan[i + 1 :] if p[1])
            timeout = min(most, self.left() - reserve - 5)
            entry = dict(required=required)
            if name == "memory" and self.device != "cuda":
                entry.update(status="skipped", reason="the strict device has no memory pool")
            elif name == "mnist_batchnorm_full" and self.device != "cuda" and not self.args.full:
                entry.update(status="skipped", reason="off the GPU only with --full")
            elif name == "mnist_batchnorm_full" and self.args.no_full:
                entry.update(status="skipped", reason="--no-full")
            elif timeout < least:
                entry.update(status="skipped", reason=f"no time ({max(timeout, 0):.0f} s left for it)")
            else:
                self._part_start = time.monotonic()
                try:
                    r = getattr(self, f"p_{name}")(timeout)
                except Exception as e:  # noqa: BLE001  (a bug here must not lose the other parts)
                    r = dict(rc=None, timed_out=False, error=f"{type(e).__name__}: {e}")
                entry.update({k: v for k, v in r.items() if k != "text"})
                if "skipped" in r:
                    entry.update(status="skipped", reason=r["skipped"])
                elif r.get("timed_out"):
                    entry.update(status="timeout", reason=f"stopped after {timeout:.0f} s")
                elif r.get("error") or r.get("rc") != 0:
                    entry.update(status="failed", reason=r.get("error") or f"exit status {r.get('rc')}")
                elif r.get("failed_reason"):
                    entry.update(status="failed", reason=r["failed_reason"])
                else:
                    entry["status"] = "ok"
            self.report["parts"][name] = entry
            self.save()
            self.log(f"{name}: {entry['status']}" + (f" ({entry['reason']})" if entry.get("reason") else "")
                     + (f", {entry['seconds']:.1f} s" if "seconds" in entry else ""))
        bad = [n for n, e in self.report["parts"].items()
               if e["status"] in ("failed", "timeout") or (e["status"] == "skipped" and e["required"])]
        self.report["exit_code"] = 1 if bad else 0
        self.report["not_ok"] = bad
        self.save()
        try:
            summary = render_summary(self.report)
        except Exception as e:  # noqa: BLE001  (gpu_check.json already holds everything)
            summary = f"summary.md could not be written ({type(e).__name__}: {e}); see gpu_check.json\n"
            self.report["exit_code"] = 1
        (self.out / "summary.md").write_text(summary)
        shutil.rmtree(self.cache, ignore_errors=True)
        print("\n" + summary, flush=True)
        for n in bad:
            e = self.report["parts"][n]
            print(f"--- {n}: {e['status']} ({e.get('reason')}); log {e.get('log')}")
            print(e.get("tail", "")[-800:])
        self.log(f"done: {'FAILED: ' + ', '.join(bad) if bad else 'all parts ok'}; results in {self.out}")
        return self.report["exit_code"]


def render_summary(report: dict) -> str:
    """The results as Markdown, ready for docs/benchmarks.md."""
    P = report["parts"]
    res = lambda name: (P.get(name) or {}).get("result") or {}  # noqa: E731
    f = lambda v, d=2: "-" if v is None else f"{v:.{d}f}"  # noqa: E731
    env = report.get("env") or {}
    lines = [f"# minigrad GPU check: device {report['device']}", ""]
    if report["device"] == "cuda":
        lines.append(f"Card: {env.get('gpu')} (compute {env.get('compute_capability')}, "
                     f"{env.get('gpu_memory_gib')} GiB); driver CUDA {env.get('cuda_driver')}, runtime "
                     f"{env.get('cuda_runtime')}; nvidia-smi: {env.get('nvidia_smi')}; CuPy {env.get('cupy')}, "
                     f"NumPy {env.get('numpy')}, PyTorch {env.get('torch')} (CUDA {env.get('torch_cuda')}), "
                     f"Python {env.get('python')}.")
    else:
        lines.append(f"The CPU rehearsal on the strict stand-in device (Python {env.get('python')}, NumPy "
                     f"{env.get('numpy')}): timings here are not GPU numbers.")
    lines += ["", f"Data: {report.get('data')}. Budget {report['budget_s']:.0f} s, "
                  f"wall {report.get('wall_s', 0):.0f} s.",
              "", "| part | status | seconds | note |", "|---|---|---|---|"]
    for name, e in P.items():
        lines.append(f"| {name} | {e['status']} | {f(e.get('seconds'), 1)} | {e.get('reason', '')} |")
    t = res("tests")
    if t:
        lines += ["", f"Test suite, `-k {report['device']}`: {t['passed']} passed, {t['failed']} failed, "
                      f"{t['errors']} errors, {t['skipped']} skipped ({t['seconds']:.0f} s)."]
        if t.get("failing"):
            lines.append("Failing: " + ", ".join(t["failing"][:10]))
    q, full, cnn = res("mnist_batchnorm_quick"), res("mnist_batchnorm_full"), res("mnist_cnn")
    if q or full or cnn:
        lines += ["", "| example | steps | val (vanilla / BN or CNN) | test | ms/step | time per epoch |",
                  "|---|---|---|---|---|---|"]
        for label, rows in (("mnist_batchnorm --quick", q), ("mnist_batchnorm full", full)):
            for k, r in rows.items():
                if "ms_per_step" in r:
                    epoch = sum(r["ms_per_step"]) * (55000 // 60) / 1e3
                    lines.append(f"| {label}, run {k} | {r['steps']} | {r['val'][0]:.4f} / {r['val'][1]:.4f} "
                                 f"| {r['test'][0]:.4f} / {r['test'][1]:.4f} | {r['ms_per_step'][0]:.2f} / "
                                 f"{r['ms_per_step'][1]:.2f} | {epoch:.1f} s (917 steps, both nets, "
                                 "no validation) |")
        if "ms_per_step" in cnn:
            full = cnn["steps"] == cnn["full_epoch_steps"]
            epoch = cnn["epoch_s"] if full else cnn["ms_per_step"] * cnn["full_epoch_steps"] / 1e3
            lines.append(f"| mnist_cnn --epochs 1 | {cnn['steps']} of {cnn['full_epoch_steps']} "
                         f"| {cnn['val']:.4f} | {f(cnn.get('test'), 4)} | {cnn['ms_per_step']:.2f} "
                         f"| {epoch:.1f} s ({cnn['full_epoch_steps']} steps{', measured' if full else ', from ms/step'}) |")
    b = res("bench")
    if b.get("rows"):
        tdev = b["rows"][0].get("torch_device")
        lines += ["", "ms per training step (medians; " + (f"PyTorch {b.get('torch')} on {tdev}" if tdev else
                                                           "PyTorch not available") + "):", "",
                  "| benchmark | minigrad ms | torch ms | minigrad / torch |", "|---|---|---|---|"]
        for r in b["rows"]:
            lines.append(f"| {r['name']} | {f(r['ms'].get('minigrad'), 3)} | {f(r['ms'].get('torch'), 3)} | "
                         f"{f(r.get('ratio_torch'))} |")
        if b.get("missed_targets"):
            lines.append("Missed targets: " + "; ".join(b["missed_targets"]))
    fu = res("first_use")
    if fu.get("cold"):
        lines += ["", "First use (fresh process; cold: empty CuPy kernel cache, warm: the filled one):", "",
                  "| step | cold first ms | warm first ms | second ms | steady ms |", "|---|---|---|---|---|"]
        for name, c in fu["cold"]["steps"].items():
            w = (fu.get("warm") or {}).get("steps", {}).get(name, {})
            lines.append(f"| {name} | {c['first_ms']:.0f} | {f(w.get('first_ms'), 0)} "
                         f"| {f(w.get('second_ms'))} | {f(w.get('steady_ms'))} |")
        lines.append(f"Import {fu['cold']['import_s']:.2f} s; first op (context) "
                     f"{fu['cold']['first_op_s']:.2f} s; kernel cache files after the cold run: {fu['cold'].get('kernel_cache_files', '-')}.")
    s = res("syncs")
    if s:
        lines += ["", "Host transfers in one call (to_numpy / item / bool / host->device"
                      + (" / strict count" if report["device"] == "strict" else "") + "):", ""]
        for name, c in s.items():
            extra = f" / {c['strict_host_transfers']}" if "strict_host_transfers" in c else ""
            check = f"; CuPy sync check: {c['cupyx_check']}" if "cupyx_check" in c else ""
            if not isinstance(c, dict):
                continue
            lines.append(f"- {name}: {c['to_numpy']} / {c['item']} / {c['bool']} / {c['host_to_device']}"
                         f"{extra}{check}")
    m = res("memory")
    if m:
        lines += ["", "| memory (MiB) | CuPy pool used after 10 / 20 steps | pool total after 20 "
                      "| torch allocated / peak / reserved |", "|---|---|---|---|"]
        for name, r in m.items():
            lines.append(f"| {name} | {f(r.get('used_mib_after_10'), 1)} / {f(r.get('used_mib_after_20'), 1)} "
                         f"| {f(r.get('total_mib_after_20'), 1)} | {f(r.get('torch_allocated_mib'), 1)} / "
                         f"{f(r.get('torch_peak_allocated_mib'), 1)} / {f(r.get('torch_reserved_mib'), 1)} |")
    return "\n".join(lines) + "\n"


# ===================================================================================================
# --prepare: build the folder to carry to the GPU machine
# ===================================================================================================

PURE_PYTHON_TEST_DEPS = ["pytest", "_pytest", "py", "pluggy", "iniconfig", "packaging", "pygments",
                         "exceptiongroup", "tomli"]


def prepare(dest: Path, data: str | None) -> int:
    """Copy MNIST and a pure-Python pytest (with its dependencies) into `dest`, which must be
    ignored by git (the `run` tool carries ignored folders only when named)."""
    import importlib.util

    dest.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["git", "check-ignore", "-q", str(dest)], cwd=ROOT).returncode != 0:
        print(f"warning: {dest} is not ignored by git; add it to .gitignore")
    if data:
        (dest / "mnist").mkdir(exist_ok=True)
        for f in MNIST_FILES:
            shutil.copy2(Path(data) / f, dest / "mnist" / f)
    lib = dest / "pylib"
    shutil.rmtree(lib, ignore_errors=True)
    lib.mkdir()
    for name in PURE_PYTHON_TEST_DEPS:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(origin.parent, lib / name, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
        else:
            shutil.copy2(origin, lib / origin.name)
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    print(f"{dest}: {size / 2**20:.1f} MiB ({', '.join(sorted(p.name for p in lib.iterdir()))})")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--run-example"]:
        run_example(argv[1:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", choices=["cuda", "strict"])
    ap.add_argument("--out", default=os.environ.get("OUT") or "gpu_out",
                    help="results folder (default $OUT, else ./gpu_out)")
    ap.add_argument("--data", default=None,
                    help="folder with the four MNIST IDX .gz files (default: the bundled sample)")
    ap.add_argument("--budget", type=float, default=420, help="seconds for everything (default 420)")
    ap.add_argument("--pylib", default=str(ROOT / ".gpu_data" / "pylib"),
                    help="pure-Python pytest to use when none is installed (made by --prepare)")
    ap.add_argument("--full", action="store_true",
                    help="off the GPU too: the full CNN epoch and mnist_batchnorm runs")
    ap.add_argument("--no-full", action="store_true", help="never the full mnist_batchnorm runs")
    ap.add_argument("--no-torch", action="store_true", help="time minigrad alone")
    ap.add_argument("--only", action="append", help="run only this part (repeatable)",
                    choices=["env", "first_use", "tests", "syncs", "memory", "mnist_batchnorm_quick", "mnist_cnn",
                             "bench", "mnist_batchnorm_full"])
    ap.add_argument("--prepare", metavar="DIR",
                    help="copy MNIST (--data) and pytest into DIR for the GPU machine")
    ap.add_argument("--part", help=argparse.SUPPRESS)
    ap.add_argument("--tag", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.prepare:
        return prepare(Path(args.prepare), args.data)
    if args.part:
        return run_part(args)
    return Check(args).main()


if __name__ == "__main__":
    sys.exit(main())
