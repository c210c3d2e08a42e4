"""save / load a state dict as a NumPy .npz file.

The file holds host (NumPy) arrays only, so a model saved from the GPU loads on a CPU-only
machine, and it is read with `allow_pickle=False`, so loading a file never runs code.

    >>> import os, tempfile
    >>> import minigrad
    >>> from minigrad import nn
    >>> model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> minigrad.save(model.state_dict(), path)
    >>> fresh = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    >>> _ = fresh.load_state_dict(minigrad.load(path))
    >>> bool((fresh[0].weight.numpy() == model[0].weight.numpy()).all())
    True
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import stat
import time
import zipfile
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from . import backend
from .tensor import Tensor

# ***** temporary files *****
# save() writes `.<name>.<host>.<pid>.<random>.minigrad-tmp` next to the target and renames it
# into place. A killed save leaves that file behind; the next save into the same folder removes
# such files when their writer is certainly gone: a process of this machine that no longer exists,
# or any writer at all after a day (a pid from another machine sharing the folder means nothing
# here, and no save takes a day). Files of any other name are never touched.

_HOST = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"  # no dots: the name parses
_TEMP = re.compile(r"\..+\.(?P<host>[\w-]+)\.(?P<pid>\d+)\.\w+\.minigrad-tmp")
_STALE_AFTER_S = 24 * 3600


def _temp_name(target: str, pid: int, tag: str, host: str = _HOST) -> str:
    return f".{target[:100]}.{host}.{pid}.{tag}.minigrad-tmp"  # [:100]: stay under NAME_MAX


def _process_exists(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would send Ctrl-C there: trust only the age
        return True
    try:
        os.kill(pid, 0)  # signal 0: checks that the process exists, sends nothing
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        pass
    return True


def _remove_stale_temp_files(folder: str) -> None:
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        m = _TEMP.fullmatch(name)
        if m is None:
            continue
        path = os.path.join(folder, name)
        try:
            dead = m["host"] == _HOST and not _process_exists(int(m["pid"]))
            if dead or time.time() - os.lstat(path).st_mtime > _STALE_AFTER_S:
                os.remove(path)
        except OSError:  # removed meanwhile, or not ours to remove: leave it
            pass


# ***** save / load *****


def _safetensors():
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(
            "reading and writing .safetensors files needs the optional package safetensors: "
            "pip install safetensors (or minigrad[safetensors])"
        ) from None
    return safetensors.numpy


def save(state_dict, path) -> None:
    """Write a mapping of names to Tensors (or arrays, or numbers) to `path`: as .npz, or as
    safetensors when the name ends in `.safetensors` (needs the optional package safetensors;
    the file loads in PyTorch with safetensors.torch.load_file).

    A checkpoint holding state dicts, such as `{"epoch": 5, "model": model.state_dict(),
    "optimizer": opt.state_dict(), "loss": loss}`, is stored too (.npz only): its tensors as
    arrays, the dicts, lists, tuples, strings, numbers and None around them as a JSON
    description (see `_encode`). `load` gives it back as it was, with Tensors for the tensors.

    The values are copied to the host; the model they came from is not changed. The file is
    written to a temporary name and then renamed, so an interrupted save never leaves a
    half-written file under `path` (the old file, if any, stays whole). A new file gets the
    usual permissions (0o666 less the umask), an overwritten file keeps its own. Temporary files
    that killed saves left in the folder are removed (see `_remove_stale_temp_files`).
    """
    path = os.fspath(path)
    if _is_flat(state_dict):
        arrays = {k: np.asarray(backend.to_numpy(_raw(v)) if hasattr(_raw(v), "shape") else v)
                  for k, v in state_dict.items()}
    elif path.endswith(".safetensors"):
        raise TypeError("save: a .safetensors file holds a flat mapping of names to tensors; save a "
                        "checkpoint with nested dicts, lists or strings to an .npz (or other) name")
    else:
        arrays = {}
        tree = json.dumps(_encode(state_dict, arrays, "save: the checkpoint"))
        arrays[_TREE] = np.array(tree)  # a unicode array: read back without pickle
    folder = os.path.dirname(os.path.abspath(path))
    _remove_stale_temp_files(folder)  # first: a killed save's file may be what fills the disk
    tmp = os.path.join(folder, _temp_name(os.path.basename(path), os.getpid(), secrets.token_hex(4)))
    # os.open applies the umask to 0o666 as for any new file (tempfile.mkstemp would give 0o600)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:  # a file object: NumPy does not append ".npz" to the name
            try:
                os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))  # rewriting a file keeps its mode
            except FileNotFoundError:
                pass
            if path.endswith(".safetensors"):
                f.write(_safetensors().save({k: np.require(a, requirements="C") for k, a in arrays.items()}))  # NOTE: not ascontiguousarray, which makes 0-d 1-d
            else:
                np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# ***** checkpoints: state dicts inside other Python values *****
# Without pickle, a checkpoint is stored as its arrays (members a0, a1, ...) plus the member _TREE:
# JSON that describes the values around them. A node is a JSON string, number, bool or null, or
# an object with one key: {"tensor": member}, {"ndarray": member}, {"list": [...]},
# {"tuple": [...]}, {"dict": [[key, node], ...]} or {"odict": ...} (keys may be ints: an
# optimizer's state is keyed by parameter index).

_TREE = "__minigrad_checkpoint__"
_NUMBER = (bool, int, float, np.generic)


def _raw(v):
    return v.array if isinstance(v, Tensor) else v


def _is_flat(obj) -> bool:
    """A state dict: string keys, each value a Tensor, an array or a number."""
    return isinstance(obj, Mapping) and all(
        isinstance(k, str) and (hasattr(_raw(v), "shape") or isinstance(v, _NUMBER)) for k, v in obj.items())


def _encode(obj, arrays: dict, where: str):
    if hasattr(_raw(obj), "shape") and not isinstance(obj, np.generic):
        name = f"a{len(arrays)}"
        arrays[name] = np.asarray(backend.to_numpy(_raw(obj)))
        return {"tensor" if isinstance(obj, Tensor) else "ndarray": name}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, Mapping):
        for k in obj:
            if not (k is None or isinstance(k, (bool, int, float, str))):
                raise TypeError(f"{where}: key {k!r} is a {type(k).__name__}; keys must be strings or numbers")
        kind = "odict" if isinstance(obj, OrderedDict) else "dict"
        return {kind: [[k, _encode(v, arrays, f"{where}[{k!r}]")] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {kind: [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    hint = ("; save its state_dict() instead (minigrad files hold no pickled objects)"
            if hasattr(obj, "state_dict") else "")
    raise TypeError(f"{where} holds a {type(obj).__name__}; expected a Tensor, array or number, or a "
                    f"dict, list or tuple of them, str or None{hint}")


def _decode(node, z):
    if not isinstance(node, dict):
        return node
    (kind, body), = node.items()
    if kind == "tensor":
        return Tensor._from_data(z[body])
    if kind == "ndarray":
        return z[body]
    if kind in ("list", "tuple"):
        items = [_decode(v, z) for v in body]
        return items if kind == "list" else tuple(items)
    return (OrderedDict if kind == "odict" else dict)((k, _decode(v, z)) for k, v in body)


_CONVERT = ("Convert it where PyTorch is installed: sd = torch.load(path, map_location='cpu'); "
            "minigrad.save({k: v.numpy() for k, v in sd.items()}, 'model.npz')")


def _foreign(head: bytes, names=()) -> str | None:
    """What a file that is not a minigrad state dict is, and what to do with it; None if it
    looks like one. `head`: its first bytes; `names`: the members if it is a zip archive."""
    if head.startswith(b"\x93NUMPY"):
        return ("holds a single NumPy array (.npy), not a state dict: read it with numpy.load, "
                "and write state dicts with minigrad.save(model.state_dict(), path)")
    if head.startswith(b"\x80"):  # the PROTO opcode that starts every pickle of protocol 2 or later
        return ("is a Python pickle (for example a PyTorch checkpoint from before PyTorch 1.6); "
                "minigrad never unpickles files, since unpickling can run any code. " + _CONVERT)
    if any(n.rsplit("/", 1)[-1] == "data.pkl" for n in names):  # torch.save's zip layout
        return "is a PyTorch checkpoint (written by torch.save), not a minigrad .npz file. " + _CONVERT
    return None


def load(path, map_location=None, weights_only=None):
    """Read a file written by `save` into an OrderedDict of CPU Tensors (in the saved order), or
    the checkpoint that was saved. `model.load_state_dict(...)` moves them to the model's device.

    `map_location` (a device or its name) moves the tensors there; PyTorch's other forms (a
    function, a dict) load onto the CPU. `weights_only` is accepted: minigrad files hold arrays
    and a JSON description only, so loading never runs code either way.

    Raises ValueError naming the file if it is truncated, corrupt or not an .npz archive, and
    saying what it is instead when it is a .npy array, a pickle or a PyTorch checkpoint.
    """
    path = os.fspath(path)
    if path.endswith(".safetensors"):
        st = _safetensors()
        with open(path, "rb") as f:
            blob = f.read()
        try:
            arrays = st.load(blob)
        except Exception as e:  # the library raises its own SafetensorError
            raise ValueError(f"load: {path!r} is not a readable safetensors file ({e})") from None
        return _moved(OrderedDict((k, Tensor._from_data(a)) for k, a in arrays.items()), map_location)
    try:
        with open(path, "rb") as f:  # our own handle: NumPy leaks its own when the zip is broken
            head = f.read(8)
            what = _foreign(head)
            if what is None:
                f.seek(0)
                with np.load(f, allow_pickle=False) as z:  # a zip (.npz) here: .npy and pickles were caught
                    what = _foreign(head, z.files)
                    if what is None:  # reading each array also checks its CRC
                        if _TREE in z.files:
                            out = _decode(json.loads(str(z[_TREE])), z)
                        else:
                            out = OrderedDict((k, Tensor._from_data(z[k])) for k in z.files)
                        return _moved(out, map_location)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise ValueError(
            f"load: {path!r} is not a readable minigrad state dict (.npz); it may be truncated or "
            f"corrupt ({type(e).__name__}: {e})"
        ) from None
    raise ValueError(f"load: {path!r} {what}")


def _moved(obj, map_location):
    """`obj` with its Tensors on `map_location` when that names a device."""
    if not isinstance(map_location, str) or map_location == "cpu":
        return obj
    if isinstance(obj, Tensor):
        return obj.to(map_location)
    if isinstance(obj, Mapping):
        return type(obj)((k, _moved(v, map_location)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_moved(v, map_location) for v in obj)
    return obj
