"""MNIST and a small DataLoader: an IDX reader, a checksummed downloader, the classic split.

    read_idx(path)                 an IDX file (raw or .gz) as a NumPy array, validated
    download_file(name, folder, ...) one file from a list of mirrors, checksummed, written atomically
    load_mnist(root=None)          the classic split: 55,000 train / 5,000 validation / 10,000 test
    load_mnist_sample()            the bundled sample (20,000 training + 10,000 test images), offline
    load_idx(root)                 any other data set in MNIST's file layout (Fashion-MNIST, KMNIST,
                                   your own), any image size and number of classes, not checksummed
    MNIST.dataset(split)           a split as a TensorDataset, for minigrad.utils.data.DataLoader

Where the data is looked for, in order: the `root` argument, the environment variable
MINIGRAD_DATA, then the cache folder (`$XDG_CACHE_HOME/minigrad/mnist`, by default
`~/.cache/minigrad/mnist`). Example:

    >>> import numpy as np
    >>> from minigrad.datasets import load_mnist_sample
    >>> from minigrad.utils.data import DataLoader
    >>> loader = DataLoader(load_mnist_sample().dataset("test"), batch_size=500)
    >>> len(loader), [tuple(t.shape) for t in next(iter(loader))]
    (20, [(500, 28, 28), (500,)])
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import math
import os
import struct
import sys
import tempfile
import time
import urllib.request
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The loader is minigrad.utils.data's (PyTorch's place for it); it is also importable from here,
# where the examples have always found it. DataLoader((images, labels), ...) still works.
from .utils.data import DataLoader, TensorDataset  # noqa: F401  (DataLoader: re-exported)

# ***** the IDX format *****
# Header: two zero bytes, a type code, the number of dimensions; then one big-endian uint32 per
# dimension; then the values, big-endian, in C order.

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class IDXError(ValueError):
    """An IDX file that is truncated, corrupted or not IDX at all, or not what was expected."""


class ChecksumError(IDXError):
    """A valid IDX file whose content is not the expected one (its MD5 differs)."""


_CHUNK = 1 << 20  # files are read in 1 MB pieces, so memory follows what a file really holds


@contextlib.contextmanager
def _open_decompressed(path: Path):
    """The content of `path` as a stream, decompressed on the fly if it is gzip (recognised by
    its magic bytes, not its name); a broken gzip stream raises IDXError naming the file."""
    with open(path, "rb") as f:
        try:
            yield gzip.GzipFile(fileobj=f) if f.peek(2)[:2] == b"\x1f\x8b" else f
        except (EOFError, zlib.error, gzip.BadGzipFile) as e:  # EOFError: the .gz was cut short
            raise IDXError(f"{path}: the gzip stream is truncated or corrupted ({e}); delete the "
                           "file and download it again") from None


def _read_idx(f, name: str, md5: str | None = None) -> np.ndarray:
    """Read one IDX file from the stream `f`: the header first, then exactly the bytes it
    announces. Nothing past that is decompressed, so a small .gz that inflates to gigabytes (a
    "gzip bomb") costs no memory, and a header that lies about the size costs nothing either."""
    digest = hashlib.md5(usedforsecurity=False) if md5 is not None else None

    def take(n):  # up to n bytes, grown chunk by chunk (never allocated up front from the header)
        buf = bytearray()
        while len(buf) < n and (chunk := f.read(min(_CHUNK, n - len(buf)))):
            buf += chunk
        if digest is not None:
            digest.update(buf)
        return buf

    head = take(4)
    if len(head) < 4:
        raise IDXError(f"{name}: {len(head)} bytes is too short for an IDX header")
    if head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES:
        raise IDXError(f"{name}: bad magic number {head.hex()} (expected 0000TTNN with type "
                       f"TT in {sorted(hex(t) for t in _IDX_TYPES)}): not an IDX file")
    dtype, ndim = np.dtype(_IDX_TYPES[head[2]]), head[3]
    dims = take(4 * ndim)
    if ndim == 0 or len(dims) < 4 * ndim:
        raise IDXError(f"{name}: header announces {ndim} dimensions but the file is only "
                       f"{4 + len(dims)} bytes")
    shape = struct.unpack(f">{ndim}I", dims)
    size = math.prod(shape) * dtype.itemsize  # Python ints: a huge shape cannot wrap around as in int64
    data = take(size)
    if len(data) < size:
        raise IDXError(f"{name}: shape {shape} of {dtype.name} needs {4 + 4 * ndim + size} bytes, the "
                       f"file has {4 + 4 * ndim + len(data)} (truncated)")
    if f.read(1):
        raise IDXError(f"{name}: the file holds more data than its header announces (shape {shape} of "
                       f"{dtype.name}, {4 + 4 * ndim + size} bytes): trailing bytes, or not an IDX file; "
                       "reading stopped there")
    if digest is not None and digest.hexdigest() != md5:
        raise ChecksumError(f"{name}: checksum mismatch: the content has MD5 {digest.hexdigest()}, expected "
                       f"{md5}. It is not the expected file (another version, or modified): delete it "
                       "and download it again, or put the original file there.")
    # the bytearray is writable, so only a byte swap (not uint8) copies
    return np.frombuffer(data, dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file; raises IDXError with the reason."""
    return _read_idx(io.BytesIO(raw), name)


def read_idx(path, md5: str | None = None) -> np.ndarray:
    """Read an IDX file, raw or gzip-compressed, into a NumPy array.

    Magic number, dimensions and size are checked, and with `md5` the checksum of the
    (decompressed) content: a truncated, corrupted or unexpected file raises `IDXError` naming
    the file and what is wrong. Only as many bytes as the header announces are decompressed.
    """
    path = Path(path)
    with _open_decompressed(path) as f:
        return _read_idx(f, str(path), md5)


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


# Hashing all of MNIST takes about 0.1 s, a third of loading it. So a file whose checksum matched
# is remembered in _VERIFIED under the cache folder, by path, with its size and modification time,
# and trusted without hashing only while both are unchanged. Nothing is written next to the data
# (a --data folder may be read-only, or someone else's); where the record cannot be written,
# files are simply hashed on every load.
_VERIFIED = "verified.json"


def _verified_files() -> dict:
    try:
        return json.loads((default_data_dir().parent / _VERIFIED).read_text())
    except (OSError, ValueError):  # none yet, unreadable, or half-written by a killed process
        return {}


def _remember_verified(stamps: dict) -> None:
    record = {k: v for k, v in (_verified_files() | stamps).items() if os.path.exists(k)}
    path = default_data_dir().parent / _VERIFIED
    tmp = path.with_name(f".{_VERIFIED}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(record, indent=1))
        os.replace(tmp, path)  # whole or not at all; with two writers, the last one wins
    except OSError:  # a read-only home: verify again next time
        with contextlib.suppress(OSError):
            tmp.unlink()


def _md5_of(path: Path) -> str:
    """MD5 of the decompressed content, computed chunk by chunk (memory stays flat)."""
    digest = hashlib.md5(usedforsecurity=False)
    with _open_decompressed(path) as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # mkdir only says "File exists": find what is in the way
        for p in (folder, *folder.parents):
            if p.is_symlink() and not p.exists():
                raise DownloadError(f"cannot create {folder}: {p} is a symbolic link to {os.readlink(p)}, "
                                    "which does not exist; create that folder or remove the link") from None
            if p.exists() and not p.is_dir():
                raise DownloadError(f"cannot create {folder}: {p} is a file, not a folder") from None
        raise


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
    _make_folder(folder)
    dest, errors = folder / (name + ".gz"), []
    for mirror in mirrors:
        url = mirror + name + ".gz"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                _fetch(url, out, timeout, progress)
            got = _md5_of(Path(tmp))
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


# ***** the loaded splits *****

# The validation set is the start of the training file. MNIST's classic split takes 5,000 of its
# 60,000 images, a twelfth; a smaller data set keeps that share, so that most images still train.
VAL_RULE = "a twelfth of the training file, at least 1 and at most 5,000 images; MNIST: 5,000 of 60,000"


def default_n_val(n_train_file: int) -> int:
    """How many images of a training file of `n_train_file` images go to the validation set:
    a twelfth, at least 1, at most 5,000 (MNIST's 60,000 give its classic 5,000; 1,200 give 100).

    >>> from minigrad.datasets import default_n_val
    >>> default_n_val(60000), default_n_val(1200), default_n_val(5)
    (5000, 100, 1)
    """
    return min(5000, max(1, n_train_file // 12))


@dataclass
class IDXData:
    """Labelled images split into train / val / test: images float32 in [0, 1] of shape
    (N, H, W), labels int64 >= 0. `name` says what they are, `source` where they came from,
    `checksummed` whether every file matched a known checksum (MNIST's); `is_sample` is True for
    the bundled MNIST sample. `load_idx` returns one, `load_mnist` its subclass `MNIST`.

    >>> from minigrad.datasets import load_mnist_sample
    >>> data = load_mnist_sample()
    >>> data.image_shape, data.num_classes, data.title
    ((28, 28), 10, 'MNIST bundled sample')
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str
    is_sample: bool = False
    name: str = "IDX data"
    checksummed: bool = False

    @property
    def image_shape(self) -> tuple:
        """(H, W) of every image, e.g. (28, 28)."""
        return tuple(self.train_images.shape[1:])

    @property
    def num_classes(self) -> int:
        """The largest label in any split, plus one: what a classifier's output layer needs."""
        return 1 + max(int(y.max()) for y in (self.train_labels, self.val_labels, self.test_labels) if len(y))

    @property
    def title(self) -> str:
        """What tables and figures call the data: its name, and for other data than MNIST also
        the image size, the number of classes and that it was not checksummed (never a folder)."""
        if self.checksummed:
            return self.name
        h, w = self.image_shape
        return f"{self.name} ({h}x{w} images, {self.num_classes} classes; not checksummed)"

    def dataset(self, split: str = "train", flatten: bool = False) -> TensorDataset:
        """One split ("train", "val" or "test") as a TensorDataset of (images, labels), without
        a copy; `flatten=True` gives images of shape (N, H * W), (N, 784) for MNIST. A DataLoader
        slices whole batches out of it (one fancy index per batch, no per-image Python call)."""
        if split not in ("train", "val", "test"):
            raise ValueError(f"split must be 'train', 'val' or 'test', got {split!r}")
        images, labels = getattr(self, split + "_images"), getattr(self, split + "_labels")
        return TensorDataset(images.reshape(len(images), -1) if flatten else images, labels)

    def __repr__(self):
        sizes = ", ".join(f"{s}={len(getattr(self, s + '_labels'))}" for s in ("train", "val", "test"))
        if self.checksummed:
            return f"{type(self).__name__}({sizes}, source={self.source!r})"
        h, w = self.image_shape
        return (f"{type(self).__name__}(name={self.name!r}, {sizes}, images {h}x{w}, "
                f"{self.num_classes} classes, not checksummed, source={self.source!r})")


@dataclass(repr=False)
class MNIST(IDXData):
    """MNIST split into train / val / test: images float32 in [0, 1] of shape (N, 28, 28),
    labels int64, every file checksummed. `source` says where they came from; `is_sample` is
    True for the bundled sample (see `load_mnist_sample`)."""

    name: str = "MNIST"
    checksummed: bool = True

    @property
    def title(self) -> str:
        return "MNIST bundled sample" if self.is_sample else "MNIST"


# The type code of each dtype read_idx returns, to name a file's magic number in a message.
_IDX_CODES = {t[1:]: code for code, t in _IDX_TYPES.items()}


def _magic(raw: np.ndarray) -> str:
    return f"0x0000{_IDX_CODES.get(raw.dtype.str[1:], 0):02X}{raw.ndim:02X}"


def _images(raw: np.ndarray, name: str, shape: tuple | None = (28, 28)) -> np.ndarray:
    """uint8 images (N, H, W) as float32 in [0, 1]; `shape` fixes (H, W) (MNIST's 28x28)."""
    if raw.ndim != 3 or raw.dtype != np.uint8 or (shape is not None and raw.shape[1:] != shape):
        want = f"(N, {shape[0]}, {shape[1]})" if shape is not None else "(N, H, W)"
        why = (" (a labels file?)" if raw.ndim == 1 else
               " (more than 3 dimensions: colour channels are not this layout)" if raw.ndim > 3 else
               " (not bytes 0-255)" if raw.dtype != np.uint8 and raw.ndim == 3 else "")
        raise IDXError(f"{name}: expected uint8 images of shape {want} (IDX magic number 0x00000803), "
                       f"got {raw.dtype} {raw.shape} (magic number {_magic(raw)}){why}")
    return raw.astype(np.float32) / np.float32(255)  # float32 stays float32


def _labels(raw: np.ndarray, name: str, n: int, images: str = "the images file") -> np.ndarray:
    """Integer class labels >= 0, one per image of the `images` file (which holds n)."""
    if raw.ndim != 1 or raw.dtype.kind not in "iu":
        why = " (an images file?)" if raw.ndim == 3 else ""
        raise IDXError(f"{name}: expected one integer label per image (a 1-d IDX file, magic number "
                       f"0x00000801), got {raw.dtype} {raw.shape} (magic number {_magic(raw)}){why}")
    if len(raw) != n:
        raise IDXError(f"{name}: expected {n} labels to match the images of {images}, got shape {raw.shape}")
    if n and raw.min() < 0:
        raise IDXError(f"{name}: label {raw.min()} is negative; labels must be class indices 0, 1, 2, ...")
    return raw.astype(np.int64)


def _split(raw: dict, n_val, shape) -> tuple:
    """The six arrays of a split from the four files {key: (array, file name)}, each checked,
    the images of both files of one size, the first n_val training images the validation set."""
    (x, x_name), (tx, tx_name) = raw["train_images"], raw["test_images"]
    train, test = _images(x, x_name, shape), _images(tx, tx_name, shape)
    if test.shape[1:] != train.shape[1:]:
        raise IDXError(f"{tx_name}: images of {test.shape[1]}x{test.shape[2]}, but {x_name} holds "
                       f"{train.shape[1]}x{train.shape[2]}: both files must hold images of one size")
    if len(test) == 0:
        raise IDXError(f"{tx_name}: holds no images (shape {test.shape}): there is nothing to test on")
    train_y = _labels(*raw["train_labels"], len(train), x_name)
    test_y = _labels(*raw["test_labels"], len(test), tx_name)
    n_val = default_n_val(len(train)) if n_val is None else n_val
    if not 0 <= n_val < len(train):
        raise ValueError(f"n_val={n_val}: {x_name} holds {len(train)} images; the validation set is the first "
                         "n_val of them, and at least one must be left to train on")
    return train[n_val:], train_y[n_val:], train[:n_val], train_y[:n_val], test, test_y


# ***** MNIST *****


def _not_found_message(folder: Path, missing, why: str = "") -> str:
    names = ", ".join(f + ".gz" for f in missing)
    return (
        f"MNIST not found: {folder} lacks {names}.{why}\n"
        f"Put the four MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        f"t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; compressed or not) in {folder}, "
        f"or name a folder that holds them with root=... (--data in the examples) or the "
        f"environment variable {ENV_VAR}."
    )


def _other_data_hint(folder: Path) -> str:
    return (f"If {folder} holds another data set in MNIST's file layout (Fashion-MNIST, KMNIST, your "
            f"own), read it without MNIST's checksums: load_idx({str(folder)!r}) (or load_mnist(..., "
            f"verify=False)); in the examples, --data {folder} --any-idx. To use MNIST, delete the file: "
            "load_mnist (and the examples) download what is missing.")


def load_mnist(root=None, download: bool = True, n_val: int | None = None, mirrors=MNIST_MIRRORS,
               files=MNIST_FILES, progress: bool = True, verify: bool = True) -> MNIST:
    """MNIST with the classic split: the first 5,000 training images are the validation set,
    the other 55,000 the training set, plus the 10,000 test images.

    Args:
        root: a folder holding the four IDX files (.gz or not); default $MINIGRAD_DATA, else
            the cache folder (see `data_dir`).
        download: fetch missing files from `mirrors` into that folder (checksums verified).
        n_val: how many of the first training images are the validation set; default
            `default_n_val`, which is 5,000 for MNIST.
        verify: False reads the folder as any data set in MNIST's file layout, without
            checksums or downloads: the same as `load_idx(root, n_val)` (`download`, `mirrors`
            and `files` are then unused).

    Every file is checksummed: a file that is not MNIST's raises `ChecksumError` (an `IDXError`)
    naming it and the way to read another data set in this layout (`load_idx`). Raises
    `MNISTNotFoundError` saying which files to put where when they are missing and cannot be
    downloaded.

    Example (needs the data, so not run as a doctest)::

        mnist = load_mnist()                        # or load_mnist("~/data/mnist")
        mnist.train_images.shape                    # (55000, 28, 28), float32 in [0, 1]
    """
    if not verify:
        return load_idx(root, n_val)
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
    # Every file is checksummed, not only after a download: a different file in the folder must
    # not be used silently. A file that passed is remembered (see _VERIFIED) and not hashed again.
    record, passed = _verified_files(), {}

    def read(key):
        path, md5 = paths[key], files[key][1]
        st, where = path.stat(), str(path.resolve())  # stat first: a change while reading shows next time
        stamp = [st.st_size, st.st_mtime_ns, md5]
        try:
            raw = read_idx(path, None if record.get(where) == stamp else md5)
        except ChecksumError as e:  # maybe not a broken MNIST but another data set: say how to read it
            raise ChecksumError(f"{e}\n{_other_data_hint(folder)}") from None
        if time.time_ns() - st.st_mtime_ns > 2 * 10**9:  # a file written just now could change
            passed[where] = stamp  # again within the same mtime tick: remember only settled files
        return raw, str(path)

    arrays = _split({key: read(key) for key in files}, n_val, shape=(28, 28))
    if any(record.get(k) != v for k, v in passed.items()):
        _remember_verified(passed)
    return MNIST(*arrays, source=str(folder))


# ***** any data set in MNIST's file layout *****


def load_idx(root=None, n_val: int | None = None, name: str | None = None) -> IDXData:
    """A data set in MNIST's file layout that is not MNIST: Fashion-MNIST, KMNIST, or your own.
    The files are not checksummed (nothing is downloaded), but they must parse and agree.

    The folder holds the four files under MNIST's names (`train-images-idx3-ubyte`,
    `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`; `.gz` or
    not): uint8 images (N, H, W) of any one size, integer labels >= 0, as many as images. The
    number of classes is the largest label + 1 (`num_classes`); labels that never include 0
    (EMNIST letters run 1-26) give a warning. The validation set is the first `n_val` training
    images, by default a twelfth of them, at least 1 and at most 5,000 (`default_n_val`).

    Args:
        root: the folder; default $MINIGRAD_DATA, else the cache folder (see `data_dir`).
        name: what tables call the data; default the folder's name.

    Example (Fashion-MNIST in ~/data/fashion; needs the data, so not run as a doctest)::

        data = load_idx("~/data/fashion")
        data                  # IDXData(name='fashion', train=55000, val=5000, test=10000, images
                              #         28x28, 10 classes, not checksummed, source='/home/...')
    """
    folder = data_dir(root)
    names = {key: file for key, (file, _) in MNIST_FILES.items()}
    paths = {key: _find(folder, file) for key, file in names.items()}
    missing = [names[key] for key, p in paths.items() if p is None]
    if missing:
        raise FileNotFoundError(
            f"{folder} lacks {', '.join(missing)} (.gz or not). load_idx reads the four files of "
            f"MNIST's layout under MNIST's names ({', '.join(names.values())}): rename or link a "
            "data set's files to these names.")
    arrays = _split({key: (read_idx(p), str(p)) for key, p in paths.items()}, n_val, shape=None)
    data = IDXData(*arrays, source=str(folder), name=name or folder.absolute().name or str(folder))
    low = min(int(y.min()) for y in arrays[1::2] if len(y))
    if low > 0:
        warnings.warn(f"{folder}: label 0 never occurs (the labels start at {low}); the number of classes "
                      f"is counted as the largest label + 1 = {data.num_classes}, so the outputs for labels "
                      f"below {low} never see a target. Subtract {low} from the labels if they should start at 0.",
                      stacklevel=2)
    return data


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
    (name_x, md5_x), (name_y, md5_y) = SAMPLE_TRAIN_FILES["train_images"], SAMPLE_TRAIN_FILES["train_labels"]
    x = _images(read_idx(SAMPLE_DIR / (name_x + ".gz"), md5_x), name_x)
    y = _labels(read_idx(SAMPLE_DIR / (name_y + ".gz"), md5_y), name_y, len(x))
    (name_tx, md5_tx), (name_ty, md5_ty) = MNIST_FILES["test_images"], MNIST_FILES["test_labels"]
    tx = _images(read_idx(SAMPLE_DIR / (name_tx + ".gz"), md5_tx), name_tx)
    ty = _labels(read_idx(SAMPLE_DIR / (name_ty + ".gz"), md5_ty), name_ty, len(tx))
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
