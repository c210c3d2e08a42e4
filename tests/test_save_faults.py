"""Fault test: a process killed with SIGKILL in the middle of `minigrad.save` leaves the old file
intact and loadable, and the next save into the folder removes the temporary file it left."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import minigrad

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and pids are POSIX")

# 64 MB in 16 arrays: writing it takes long enough to be caught in the middle
WRITER = """
import sys
import numpy as np
import minigrad
sd = {f"w{i}": np.full(1 << 20, i, np.float32) for i in range(16)}
print("ready", flush=True)
minigrad.save(sd, sys.argv[1])
"""


def kill_during_save(folder, path, tries=20):
    """Start a writer, SIGKILL it as soon as its temporary file appears; return the name of the
    temporary file it left, retrying when the save finished first."""
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(minigrad.__file__)))
    for _ in range(tries):
        before = path.read_bytes()
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, env=env)
        try:
            assert writer.stdout.readline() == b"ready\n"
            deadline = time.monotonic() + 30
            while writer.poll() is None and time.monotonic() < deadline:
                temp = [n for n in os.listdir(folder) if n != path.name]
                if temp:
                    os.kill(writer.pid, signal.SIGKILL)
                    writer.wait()
                    left = [n for n in os.listdir(folder) if n != path.name]
                    if left:  # killed inside the write window
                        return left
                    break
        finally:
            if writer.poll() is None:
                writer.kill()
            writer.wait()
            writer.stdout.close()
        path.write_bytes(before)  # the save won the race: put the old file back and try again
    pytest.fail(f"never caught the writer inside save() in {tries} tries")


def test_sigkill_during_save_keeps_the_old_file_and_leaves_no_litter(tmp_path):
    path = tmp_path / "model.npz"
    old = {"w": minigrad.tensor(np.arange(5, dtype=np.float32))}
    minigrad.save(old, path)
    old_bytes = path.read_bytes()

    litter = kill_during_save(tmp_path, path)
    assert litter and all(n.startswith(".model.npz.") for n in litter), litter
    assert path.read_bytes() == old_bytes  # the old file survived, whole
    np.testing.assert_array_equal(minigrad.load(path)["w"].numpy(), np.arange(5, dtype=np.float32))

    minigrad.save({"v": minigrad.ones(2)}, tmp_path / "other.npz")  # any save into the folder cleans up
    assert sorted(os.listdir(tmp_path)) == ["model.npz", "other.npz"]
    assert path.read_bytes() == old_bytes
