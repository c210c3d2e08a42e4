"""MNIST and a small DataLoader: an IDX reader, a checksummed downloader, the classic split.

    read_idx(path)                 an IDX file (raw or .gz) as a NumPy array, validated
    download_file(name, folder, ...) one file from a list of mirrors, checksummed, written atomically
    load_mnist(root=None)          the classic split: 55,000 train / 5,000 validation / 10,000 test
    load_mnist_sample()            the bundled sample (20,000 training + 10,000 test images), offline
    DataLoader(arrays, ...)        batches of Tensors, shuffled with a minigrad Generator

Where MNIST is looked for, in order: the `root` argument, the environment variable
MINIGRAD_DATA, then the cache folder (`$XDG_CACHE_HOME/minigrad/mnist`, by default
`~/.cache/minigrad/mnist`). Example:

    >>> import numpy as np
    >>> from minigrad.datasets import DataLoader
    >>> x, y = np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5)
    >>> [tuple(yb.shape) for xb, yb in DataLoader((x, y), batch_size=2)]
    [(2,), (2,), (1,)]
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
import tempfile
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import backend
from .tensor import Generator, Tensor, default_generator

# ***** the IDX format *****
# Header: two zero bytes, a type code, the number of dimensions; then one big-endian uint32 per
# dimension; then the values, big-endian, in C order.

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class IDXError(ValueError):
    """An IDX file that is truncated, corrupted or not IDX at all."""


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b":  # not gzip: a raw IDX file
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as e:  # EOFError: the .gz was cut short
        raise IDXError(f"{path}: the gzip stream is truncated or corrupted ({e}); delete the file "
                       "and download it again") from None


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file; raises IDXError with the reason."""
    if len(raw) < 4:
        raise IDXError(f"{name}: {len(raw)} bytes is too short for an IDX header")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise IDXError(f"{name}: bad magic number {raw[:4].hex()} (expected 0000TTNN with type "
                       f"TT in {sorted(hex(t) for t in _IDX_TYPES)}): not an IDX file")
    dtype, ndim = np.dtype(_IDX_TYPES[raw[2]]), raw[3]
    if ndim == 0 or len(raw) < 4 + 4 * ndim:
        raise IDXError(f"{name}: header announces {ndim} dimensions but the file is only {len(raw)} bytes")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = 4 + 4 * ndim + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has trailing bytes"
        raise IDXError(f"{name}: shape {shape} of {dtype.name} needs {expected} bytes, the file has "
                       f"{len(raw)} ({what})")
    data = np.frombuffer(raw, dtype, offset=4 + 4 * ndim).reshape(shape)
    return data.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy


def read_idx(path) -> np.ndarray:
    """Read an IDX file, raw or gzip-compressed, into a NumPy array.

    Magic number, dimensions and size are checked: a truncated or corrupted file raises
    `IDXError` naming the file and what is wrong.
    """
    path = Path(path)
    return parse_idx(_read_bytes(path), str(path))


# ***** where MNIST comes from *****

MNIST_FILES = {  # key -> (file name, MD5 of the decompressed file)
    "train_images": ("train-images-idx3-ubyte", "6bbc9ace898e44ae57da46a324031adb"),
    "train_labels": ("train-labels-idx1-ubyte", "a25bea736e30d166cdddb491f175f624"),
    "test_images": ("t10k-images-idx3-ubyte", "2646ac647ad5339dbf082846283269ea"),
    "test_labels": ("t10k-labels-idx1-ubyte", "27ae3e4e09519cfbb04c329615203637"),
}

# Public mirrors of the four .gz files, tried in order.
MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]

ENV_VAR = "MINIGRAD_DATA"
SAMPLE_DIR = Path(__file__).parent / "data"


def default_data_dir() -> Path:
    """The cache folder: $XDG_CACHE_HOME/minigrad/mnist, else ~/.cache/minigrad/mnist."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "minigrad" / "mnist"


def data_dir(root=None) -> Path:
    """The folder MNIST is read from: `root`, else $MINIGRAD_DATA, else the cache folder."""
    if root is not None:
        return Path(root).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    return default_data_dir()


class MNISTNotFoundError(FileNotFoundError):
    """MNIST is neither in the data folder nor downloadable; the message says what to do."""


class DownloadError(OSError):
    """Every mirror failed; the message lists each URL and why."""


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / (name + ".gz"), folder / name):
        if candidate.is_file():
            return candidate
    return None


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


# ***** the downloader *****


class _Progress:
    """tqdm when it is installed (the `examples` extra), else a plain percentage on stderr."""

    def __init__(self, total, desc, enabled):
        self.bar, self.total, self.done, self.desc, self.enabled = None, total, 0, desc, enabled
        if enabled:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True, leave=False)
            except ImportError:
                pass

    def update(self, n):
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.enabled and self.total:
            print(f"\r{self.desc}: {100 * self.done // self.total:3d}%", end="", file=sys.stderr)

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif self.enabled and self.total:
            print(file=sys.stderr)


def _fetch(url: str, out, timeout: float, progress: bool) -> None:
    """Stream `url` into the open file `out`; a transfer shorter than announced raises."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0)
        bar = _Progress(total, url.rsplit("/", 1)[-1], progress)
        try:
            received = 0
            while chunk := response.read(1 << 16):
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
        finally:
            bar.close()
    if total and received != total:
        raise DownloadError(f"transfer cut short: got {received} of {total} bytes")


def download_file(name: str, folder, md5: str, mirrors=MNIST_MIRRORS, timeout: float = 30.0,
             progress: bool = True) -> Path:
    """Download `name + ".gz"` from the first mirror that serves it intact into `folder`.

    The decompressed content must have MD5 `md5` (the public mirrors' .gz wrappers differ
    byte-wise, their contents do not). The file is written under a temporary name in `folder`
    and renamed into place only once verified, so no partial file is ever left behind.
    Raises `DownloadError` listing each URL and why it failed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    dest, errors = folder / (name + ".gz"), []
    for mirror in mirrors:
        url = mirror + name + ".gz"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                _fetch(url, out, timeout, progress)
            got = _md5(_read_bytes(Path(tmp)))
            if got != md5:
                raise DownloadError(f"checksum mismatch: MD5 {got}, expected {md5}")
            os.replace(tmp, dest)  # atomic: dest is either absent or complete
            return dest
        except Exception as e:  # try the next mirror
            errors.append(f"  {url}: {e}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise DownloadError(f"could not download {name}.gz:\n" + "\n".join(errors))


# ***** MNIST *****


@dataclass
class MNIST:
    """MNIST split into train / val / test: images float32 in [0, 1] of shape (N, 28, 28),
    labels int64. `source` says where they came from; `is_sample` is True for the bundled
    sample (see `load_mnist_sample`)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str
    is_sample: bool = False

    def __repr__(self):
        sizes = ", ".join(f"{s}={len(getattr(self, s + '_labels'))}" for s in ("train", "val", "test"))
        return f"MNIST({sizes}, source={self.source!r})"


def _not_found_message(folder: Path, missing, why: str = "") -> str:
    names = ", ".join(f + ".gz" for f in missing)
    return (
        f"MNIST not found: {folder} lacks {names}.{why}\n"
        f"Put the four MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        f"t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; compressed or not) in {folder}, "
        f"or name a folder that holds them with root=... (--data in the examples) or the "
        f"environment variable {ENV_VAR}."
    )


def _images(raw: np.ndarray, name: str) -> np.ndarray:
    if raw.ndim != 3 or raw.shape[1:] != (28, 28) or raw.dtype != np.uint8:
        raise IDXError(f"{name}: expected uint8 images of shape (N, 28, 28), got {raw.dtype} {raw.shape}")
    return raw.astype(np.float32) / np.float32(255)  # float32 stays float32


def _labels(raw: np.ndarray, name: str, n: int) -> np.ndarray:
    if raw.shape != (n,):
        raise IDXError(f"{name}: expected {n} labels to match the images, got shape {raw.shape}")
    return raw.astype(np.int64)


def load_mnist(root=None, download: bool = True, n_val: int = 5000, mirrors=MNIST_MIRRORS,
               files=MNIST_FILES, progress: bool = True) -> MNIST:
    """MNIST with the classic split: the first `n_val` (5,000) training images are the
    validation set, the other 55,000 the training set, plus the 10,000 test images.

    Args:
        root: a folder holding the four IDX files (.gz or not); default $MINIGRAD_DATA, else
            the cache folder (see `data_dir`).
        download: fetch missing files from `mirrors` into that folder (checksums verified).

    Raises `MNISTNotFoundError` saying which files to put where when they are missing and
    cannot be downloaded.

    Example (needs the data, so not run as a doctest)::

        mnist = load_mnist()                        # or load_mnist("~/data/mnist")
        mnist.train_images.shape                    # (55000, 28, 28), float32 in [0, 1]
    """
    folder = data_dir(root)
    paths = {key: _find(folder, name) for key, (name, _) in files.items()}
    missing = [files[key][0] for key, p in paths.items() if p is None]
    if missing and download:
        try:
            for key, (name, md5) in files.items():
                if paths[key] is None:
                    paths[key] = download_file(name, folder, md5, mirrors=mirrors, progress=progress)
        except (DownloadError, OSError) as e:
            raise MNISTNotFoundError(_not_found_message(folder, missing, f"\nDownload failed: {e}")) from None
    elif missing:
        raise MNISTNotFoundError(_not_found_message(folder, missing))
    train = _images(read_idx(paths["train_images"]), str(paths["train_images"]))
    train_y = _labels(read_idx(paths["train_labels"]), str(paths["train_labels"]), len(train))
    test = _images(read_idx(paths["test_images"]), str(paths["test_images"]))
    test_y = _labels(read_idx(paths["test_labels"]), str(paths["test_labels"]), len(test))
    return MNIST(train[n_val:], train_y[n_val:], train[:n_val], train_y[:n_val], test, test_y,
                 source=str(folder))


# The sample's training files: the first 20,000 images of the MNIST training set (IDX, gzip).
SAMPLE_TRAIN_FILES = {
    "train_images": ("train-images-first20000-idx3-ubyte", "d73432216241cd20c54e8173c3ac00ca"),
    "train_labels": ("train-labels-first20000-idx1-ubyte", "ddfb6eb9283c10c8a0182f23d1df9f2e"),
}
SAMPLE_DESCRIPTION = ("bundled MNIST sample: 15,000 train (MNIST training images 5,000-19,999) / 5,000 val "
                      "(training images 0-4,999, as in the full split) / 10,000 test (the MNIST test set)")


def load_mnist_sample() -> MNIST:
    """The bundled sample, for running offline: the first 20,000 MNIST training images and the
    10,000 test images. Split as the full data set is: training images 0-4,999 are the validation
    set (the same 5,000 as `load_mnist`'s), 5,000-19,999 the training set, and the test set is
    the whole MNIST test set; so only the training set is smaller (15,000 instead of 55,000).

    >>> from minigrad.datasets import load_mnist_sample
    >>> load_mnist_sample().train_images.shape
    (15000, 28, 28)
    """
    (name_x, _), (name_y, _) = SAMPLE_TRAIN_FILES["train_images"], SAMPLE_TRAIN_FILES["train_labels"]
    x = _images(read_idx(SAMPLE_DIR / (name_x + ".gz")), name_x)
    y = _labels(read_idx(SAMPLE_DIR / (name_y + ".gz")), name_y, len(x))
    name_tx, name_ty = MNIST_FILES["test_images"][0], MNIST_FILES["test_labels"][0]
    tx = _images(read_idx(SAMPLE_DIR / (name_tx + ".gz")), name_tx)
    ty = _labels(read_idx(SAMPLE_DIR / (name_ty + ".gz")), name_ty, len(tx))
    return MNIST(x[5000:], y[5000:], x[:5000], y[:5000], tx, ty, source=SAMPLE_DESCRIPTION, is_sample=True)


def load_mnist_or_sample(root=None, download: bool = True, progress: bool = True) -> MNIST:
    """`load_mnist`, falling back to `load_mnist_sample` (with a notice on stderr) when the
    full data set cannot be found or downloaded. The examples use this."""
    try:
        return load_mnist(root, download=download, progress=progress)
    except MNISTNotFoundError as e:
        print(f"{e}\n\n*** Using the {SAMPLE_DESCRIPTION}. Only the "
              "training set is smaller than the full one (15,000 images instead of 55,000). ***\n",
              file=sys.stderr)
        return load_mnist_sample()


# ***** DataLoader *****


class DataLoader:
    """Batches of Tensors from arrays that share their first dimension.

    Args:
        arrays: a tuple of arrays (or Tensors), e.g. `(images, labels)`.
        batch_size: samples per batch.
        shuffle: a fresh random order every epoch, drawn from `generator`.
        drop_last: skip the last batch of an epoch when it is short (a batch of one breaks
            BatchNorm in training, R1.6).
        generator: a `minigrad.Generator`; default minigrad's global one (`manual_seed`).
        device: where the batches live; the arrays are copied there once.

    Example:
        >>> import numpy as np, minigrad
        >>> from minigrad.datasets import DataLoader
        >>> x, y = np.zeros((7, 3), np.float32), np.arange(7)
        >>> loader = DataLoader((x, y), batch_size=3, shuffle=True, drop_last=True,
        ...                     generator=minigrad.Generator(0))
        >>> len(loader), [tuple(xb.shape) for xb, yb in loader]
        (2, [(3, 3), (3, 3)])
    """

    def __init__(self, arrays, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 generator: Generator | None = None, device: str = "cpu"):
        arrays = tuple(a.data if isinstance(a, Tensor) else a for a in arrays)
        if not arrays or any(not hasattr(a, "shape") or a.ndim == 0 for a in arrays):
            raise TypeError("DataLoader needs a tuple of arrays with a first (sample) dimension")
        lengths = {a.shape[0] for a in arrays}
        if len(lengths) != 1:
            raise ValueError(f"arrays have different lengths: {[tuple(a.shape) for a in arrays]}")
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if 0 in lengths:
            raise ValueError("DataLoader needs at least one sample")
        self.device = backend.check_device(device)
        self.arrays = tuple(backend.to_device(a, self.device) for a in arrays)
        self.n, self.batch_size = lengths.pop(), int(batch_size)
        self.shuffle, self.drop_last, self.generator = shuffle, drop_last, generator

    def __len__(self) -> int:
        full, rest = divmod(self.n, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def _order(self) -> np.ndarray:
        rng = (self.generator or default_generator).rng
        return rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def _batch(self, idx: np.ndarray) -> tuple:
        idx = backend.to_device(idx, self.device)
        return tuple(Tensor(a[idx]) for a in self.arrays)

    def __iter__(self):
        order = self._order()
        stop = self.n - self.n % self.batch_size if self.drop_last else self.n
        for start in range(0, stop, self.batch_size):
            yield self._batch(order[start : start + self.batch_size])

    def stream(self, steps: int):
        """Exactly `steps` full batches, epoch after epoch: a batch that reaches the end of an
        epoch is completed from the start of the next one, in a fresh order (the way the
        original TensorFlow MNIST tutorial's `next_batch` worked)."""
        order, pos = self._order(), 0
        for _ in range(steps):
            parts, need = [], self.batch_size
            while need:
                if pos == self.n:
                    order, pos = self._order(), 0
                take = order[pos : pos + need]
                parts.append(take)
                pos, need = pos + len(take), need - len(take)
            yield self._batch(parts[0] if len(parts) == 1 else np.concatenate(parts))

    def __repr__(self):
        return (f"DataLoader(n={self.n}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, device={self.device!r})")
