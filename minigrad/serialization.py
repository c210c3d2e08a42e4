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

import os
import tempfile
import zipfile
from collections import OrderedDict

import numpy as np

from . import backend
from .tensor import Tensor


def save(state_dict, path) -> None:
    """Write a mapping of names to Tensors (or arrays, or numbers) to `path` as .npz.

    The values are copied to the host; the model they came from is not changed. The file is
    written to a temporary name and then renamed, so an interrupted save never leaves a
    half-written file under `path`.
    """
    arrays = {}
    for k, v in state_dict.items():
        if not isinstance(k, str):
            raise TypeError(f"save: keys must be strings, got {k!r}")
        data = v.data if isinstance(v, Tensor) else v
        if not (hasattr(data, "shape") or isinstance(data, (int, float, bool, np.generic))):
            raise TypeError(f"save: value of {k!r} is a {type(v).__name__}; expected a Tensor, array or number")
        arrays[k] = np.asarray(backend.to_numpy(data) if hasattr(data, "shape") else data)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:  # a file object: NumPy does not append ".npz" to the name
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path) -> OrderedDict:
    """Read a file written by `save` into an OrderedDict of CPU Tensors (in the saved order).
    `model.load_state_dict(...)` moves them to the model's device.

    Raises ValueError naming the file if it is truncated, corrupt or not an .npz archive.
    """
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            if not isinstance(z, np.lib.npyio.NpzFile):
                raise ValueError("it holds a single array, not a state dict")
            return OrderedDict((k, Tensor(z[k])) for k in z.files)  # reads (and CRC-checks) every array
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise ValueError(
            f"load: {path!r} is not a readable minigrad state dict (.npz); it may be truncated or "
            f"corrupt ({type(e).__name__}: {e})"
        ) from None
