"""IDX reader, checksummed downloader (against a local HTTP server), MNIST loading and the
bundled sample."""

import gzip
import hashlib
import os
import socket
import struct
import threading
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from minigrad import datasets
from minigrad.datasets import (
    MNIST, ChecksumError, DownloadError, IDXData, IDXError, MNISTNotFoundError, default_n_val, download_file,
    load_idx, load_mnist, load_mnist_or_sample, load_mnist_sample, parse_idx, read_idx,
)

REAL = os.environ.get("MINIGRAD_DATA") or str(Path(__file__).resolve().parents[2] / "shared/data/mnist")
HAVE_REAL = all((Path(REAL) / f"{n}.gz").is_file() or (Path(REAL) / n).is_file()
                for n, _ in datasets.MNIST_FILES.values())


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory, monkeypatch):
    """Never read or write the real cache folder (where verified checksums are remembered)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


# ***** helpers: an IDX writer written independently of the reader *****

_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(a: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, _CODES[a.dtype.type], a.ndim)
    header += struct.pack(f">{a.ndim}I", *a.shape)
    return header + a.astype(a.dtype.newbyteorder(">")).tobytes()


def md5(b: bytes) -> str:
    return hashlib.md5(b).hexdigest()


# ***** IDX reader *****


@pytest.mark.parametrize("dtype,shape", [
    (np.uint8, (5, 28, 28)), (np.uint8, (7,)), (np.int8, (3, 2)), (np.int16, (4, 3)),
    (np.int32, (2, 2, 2)), (np.float32, (6,)), (np.float64, (2, 3, 1, 2)),
])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip(tmp_path, dtype, shape, compress):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(shape) * 50).astype(dtype)
    raw = idx_bytes(a)
    path = tmp_path / ("x.idx.gz" if compress else "x.idx")
    path.write_bytes(gzip.compress(raw) if compress else raw)
    got = read_idx(path)
    assert got.dtype == np.dtype(dtype) and got.shape == shape
    np.testing.assert_array_equal(got, a)
    got[...] = 0  # the result is a writable copy, native byte order
    assert got.dtype.isnative


_good = idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))


@pytest.mark.parametrize("raw,message", [
    (b"", "too short"),
    (b"\x00\x00", "too short"),
    (b"\x01\x00\x08\x01" + _good[4:], "magic"),          # first byte must be zero
    (b"\x00\x00\x07\x03" + _good[4:], "magic"),          # unknown type code
    (b"\x00\x00\x08\x03\x00\x00", "dimensions"),          # header cut inside the dims
    (_good[:-1], "truncated"),                            # one value missing
    (_good + b"\x00", "trailing"),                        # one byte too many
    (b"\x00\x00\x08\x00", "dimensions"),                  # zero dimensions
])
def test_parse_idx_rejects_bad_files(raw, message):
    with pytest.raises(IDXError, match=message):
        parse_idx(raw, "f.idx")


def test_truncated_gzip_is_a_clear_error(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(_good)[:-10])
    with pytest.raises(IDXError, match=r"x\.gz.*truncated or corrupted"):
        read_idx(path)


def test_corrupted_gzip_is_a_clear_error(tmp_path):
    data = bytearray(gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32))))
    data[len(data) // 2] ^= 0xFF
    path = tmp_path / "x.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(IDXError, match="truncated or corrupted"):
        read_idx(path)


def test_header_whose_size_overflows_int64_is_a_clear_error(tmp_path):
    """65536**4 bytes wraps to 0 in int64 arithmetic: the reader must not believe a 20-byte file
    holds that array (it used to fail inside NumPy's reshape)."""
    path = tmp_path / "x.idx"
    path.write_bytes(struct.pack(">BBBB4I", 0, 0, 0x08, 4, *[65536] * 4))
    with pytest.raises(IDXError, match=r"x\.idx: shape \(65536, 65536, 65536, 65536\) of uint8 needs "
                                       r"\d+ bytes, the file has 20"):
        read_idx(path)


# A gzip bomb: the header announces ten bytes, the stream inflates to 200 MB of zeros (~200 KB).
BOMB_MB = 200


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    path = tmp_path_factory.mktemp("bomb") / "bomb-idx1-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(struct.pack(">BBBBI", 0, 0, 0x08, 1, 10))
        zeros = bytes(1 << 20)
        for _ in range(BOMB_MB):
            f.write(zeros)
    return path


def peak_mb(fn):
    """Run fn() and return the peak Python memory it allocated, in MB."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_gzip_bomb_is_refused_without_inflating_it(bomb):
    def read():
        with pytest.raises(IDXError, match=r"bomb-idx1-ubyte\.gz: .*more data than its header announces"):
            read_idx(bomb)

    assert peak_mb(read) < 16  # the bomb inflates to 200 MB


# ***** a local HTTP server that serves generated files *****


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut = self.path in self.server.truncate
        self.wfile.write(body[: len(body) // 2] if cut else body)  # then HTTP/1.0 closes

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1 in a thread; it stops at teardown, and after 60 s at the
    latest even if teardown never runs."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.files, httpd.truncate = {}, set()
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    guard = threading.Timer(60, httpd.shutdown)
    guard.daemon = True
    guard.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    yield httpd
    guard.cancel()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def dead_url() -> str:
    """A URL on a port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def serve(server, name, array, prefix="/"):
    raw = idx_bytes(array)
    server.files[prefix + name + ".gz"] = gzip.compress(raw)
    return md5(raw)


def leftovers(folder: Path):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ***** downloader *****


def test_download_good_file(server, tmp_path):
    a = np.arange(60, dtype=np.uint8).reshape(3, 4, 5)
    checksum = serve(server, "good-idx3-ubyte", a)
    path = download_file("good-idx3-ubyte", tmp_path / "cache", checksum, mirrors=[server.url],
                         timeout=5, progress=False)
    assert path == tmp_path / "cache" / "good-idx3-ubyte.gz"
    np.testing.assert_array_equal(read_idx(path), a)
    assert leftovers(tmp_path / "cache") == ["good-idx3-ubyte.gz"]  # no temporary file left


def test_download_wrong_checksum_leaves_nothing(server, tmp_path):
    serve(server, "f-idx1-ubyte", np.arange(10, dtype=np.uint8))
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download_file("f-idx1-ubyte", tmp_path, "0" * 32, mirrors=[server.url], timeout=5, progress=False)
    assert leftovers(tmp_path) == []


def test_download_truncated_transfer_leaves_nothing(server, tmp_path):
    checksum = serve(server, "f-idx1-ubyte", np.arange(5000, dtype=np.int32))
    server.truncate.add("/f-idx1-ubyte.gz")
    with pytest.raises(DownloadError, match="f-idx1-ubyte"):
        download_file("f-idx1-ubyte", tmp_path, checksum, mirrors=[server.url], timeout=5, progress=False)
    assert leftovers(tmp_path) == []


def test_download_server_down(tmp_path):
    url = dead_url()
    with pytest.raises(DownloadError) as info:
        download_file("f-idx1-ubyte", tmp_path, "0" * 32, mirrors=[url], timeout=5, progress=False)
    assert url + "f-idx1-ubyte.gz" in str(info.value)  # the message names the URL that failed
    assert leftovers(tmp_path) == []


def test_download_tries_mirrors_in_order(server, tmp_path):
    """A dead mirror, one with a bad copy, one with a cut transfer, then a good one."""
    a = np.arange(100, dtype=np.uint8)
    checksum = serve(server, "f-idx1-ubyte", a, prefix="/good/")
    serve(server, "f-idx1-ubyte", a[::-1].copy(), prefix="/bad/")
    serve(server, "f-idx1-ubyte", a, prefix="/cut/")
    server.truncate.add("/cut/f-idx1-ubyte.gz")
    mirrors = [dead_url(), server.url + "bad/", server.url + "cut/", server.url + "good/"]
    path = download_file("f-idx1-ubyte", tmp_path, checksum, mirrors=mirrors, timeout=5, progress=False)
    np.testing.assert_array_equal(read_idx(path), a)
    assert leftovers(tmp_path) == ["f-idx1-ubyte.gz"]


def test_failed_download_keeps_existing_file(server, tmp_path):
    """A failed re-download never clobbers what the cache already had."""
    (tmp_path / "f-idx1-ubyte.gz").write_bytes(b"old")
    serve(server, "f-idx1-ubyte", np.arange(10, dtype=np.uint8))
    with pytest.raises(DownloadError):
        download_file("f-idx1-ubyte", tmp_path, "0" * 32, mirrors=[server.url], timeout=5, progress=False)
    assert (tmp_path / "f-idx1-ubyte.gz").read_bytes() == b"old"
    assert leftovers(tmp_path) == ["f-idx1-ubyte.gz"]


def test_download_checksum_streams_a_gzip_bomb(server, tmp_path, bomb):
    server.files["/bomb-idx1-ubyte.gz"] = bomb.read_bytes()

    def download():
        with pytest.raises(DownloadError, match="checksum mismatch"):
            download_file("bomb-idx1-ubyte", tmp_path, "0" * 32, mirrors=[server.url], timeout=5,
                          progress=False)

    assert peak_mb(download) < 16
    assert leftovers(tmp_path) == []


def test_broken_cache_symlink_is_named(server, tmp_path):
    """The cache folder is a symlink whose target is gone: say so (mkdir said only "File exists")."""
    arrays, files = fake_mnist()
    for key, (name, _) in files.items():
        serve(server, name, arrays[key])
    link = tmp_path / "mnist"
    link.symlink_to(tmp_path / "gone")
    with pytest.raises(MNISTNotFoundError, match=rf"{link} is a symbolic link to {tmp_path / 'gone'}, "
                                                 "which does not exist"):
        load_mnist(link, mirrors=[server.url], files=files, progress=False)
    (tmp_path / "gone").mkdir()  # what the message suggests: then it works
    check_split(load_mnist(link, n_val=10, mirrors=[server.url], files=files, progress=False), arrays, 10)


# ***** MNIST loading *****


def fake_mnist(n_train=30, n_test=12, seed=0):
    """Small MNIST-shaped arrays and the FILES table that describes them."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    return arrays, checksums(arrays)


def checksums(arrays):
    """A FILES table (name, MD5 of the IDX content) for these arrays."""
    return {k: (name, md5(idx_bytes(arrays[k]))) for k, (name, _) in datasets.MNIST_FILES.items()}


def write_mnist(folder: Path, arrays, files, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    for key, (name, _) in files.items():
        raw = idx_bytes(arrays[key])
        (folder / (name + ".gz" if compress else name)).write_bytes(gzip.compress(raw) if compress else raw)


def check_split(m, arrays, n_val):
    img = arrays["train_images"].astype(np.float32) / 255
    np.testing.assert_array_equal(m.val_images, img[:n_val])
    np.testing.assert_array_equal(m.train_images, img[n_val:])
    np.testing.assert_array_equal(m.val_labels, arrays["train_labels"][:n_val])
    np.testing.assert_array_equal(m.train_labels, arrays["train_labels"][n_val:])
    np.testing.assert_array_equal(m.test_labels, arrays["test_labels"])
    for x, y in [(m.train_images, m.train_labels), (m.val_images, m.val_labels), (m.test_images, m.test_labels)]:
        assert x.dtype == np.float32 and y.dtype == np.int64
        assert 0 <= x.min() and x.max() <= 1


@pytest.mark.parametrize("compress", [True, False])
def test_load_mnist_from_folder_classic_split(tmp_path, compress):
    arrays, files = fake_mnist()
    write_mnist(tmp_path, arrays, files, compress)
    m = load_mnist(tmp_path, download=False, n_val=10, files=files)
    check_split(m, arrays, n_val=10)
    assert not m.is_sample and m.source == str(tmp_path)


def test_load_mnist_downloads_into_cache_then_works_offline(server, tmp_path):
    arrays, files = fake_mnist()
    for key, (name, _) in files.items():
        serve(server, name, arrays[key])
    cache = tmp_path / "cache"
    m = load_mnist(cache, n_val=10, mirrors=[server.url], files=files, progress=False)
    check_split(m, arrays, n_val=10)
    assert leftovers(cache) == sorted(name + ".gz" for name, _ in files.values())
    m2 = load_mnist(cache, n_val=10, mirrors=[dead_url()], files=files)  # now cached: no network
    np.testing.assert_array_equal(m2.train_images, m.train_images)


def test_load_mnist_offline_message_says_what_to_put_where(tmp_path):
    with pytest.raises(MNISTNotFoundError) as info:
        load_mnist(tmp_path / "empty", mirrors=[dead_url()])
    msg = str(info.value)
    assert str(tmp_path / "empty") in msg and "MINIGRAD_DATA" in msg
    for name, _ in datasets.MNIST_FILES.values():
        assert name + ".gz" in msg
    assert leftovers(tmp_path / "empty") == []


def test_load_mnist_no_download(tmp_path):
    with pytest.raises(MNISTNotFoundError, match="train-images-idx3-ubyte.gz"):
        load_mnist(tmp_path, download=False)


def test_load_mnist_partial_download_failure_is_reported(server, tmp_path):
    """Three files served, the fourth has a bad copy: an error, and only verified files kept."""
    arrays, files = fake_mnist()
    for key, (name, _) in files.items():
        serve(server, name, arrays[key] if key != "test_labels" else arrays[key][::-1].copy())
    with pytest.raises(MNISTNotFoundError, match="checksum mismatch"):
        load_mnist(tmp_path, n_val=10, mirrors=[server.url], files=files, progress=False)
    assert "t10k-labels-idx1-ubyte.gz" not in leftovers(tmp_path)
    assert not [f for f in leftovers(tmp_path) if f.endswith(".part")]


def test_load_mnist_rejects_wrong_shapes(tmp_path):
    arrays, _ = fake_mnist()
    arrays["train_labels"] = arrays["train_labels"][:-1]
    files = checksums(arrays)  # the right checksums: only the shapes are wrong
    write_mnist(tmp_path, arrays, files)
    with pytest.raises(IDXError, match="labels"):
        load_mnist(tmp_path, download=False, n_val=10, files=files)
    arrays, _ = fake_mnist()
    arrays["test_images"] = arrays["test_images"][:, :27]
    files = checksums(arrays)
    write_mnist(tmp_path, arrays, files)
    with pytest.raises(IDXError, match=r"\(N, 28, 28\)"):
        load_mnist(tmp_path, download=False, n_val=10, files=files)


@pytest.mark.parametrize("compress", [True, False])
def test_cached_file_with_wrong_checksum_is_refused(tmp_path, compress):
    """A valid IDX file that is not the expected one (here: the test labels reversed) is caught
    every time it is loaded, not only when it was downloaded; the message says how to fix it."""
    arrays, files = fake_mnist()
    good = arrays["test_labels"]
    arrays["test_labels"] = good[::-1].copy()
    write_mnist(tmp_path, arrays, files, compress)
    name = files["test_labels"][0] + (".gz" if compress else "")
    with pytest.raises(IDXError) as info:
        load_mnist(tmp_path, download=False, n_val=10, files=files)
    msg = str(info.value)
    assert str(tmp_path / name) in msg
    assert files["test_labels"][1] in msg and md5(idx_bytes(arrays["test_labels"])) in msg
    assert "delete" in msg.lower()


def age(folder: Path, seconds=60):
    """Set the files' modification times in the past (files written just now are not remembered)."""
    for p in folder.iterdir():
        t = p.stat().st_mtime - seconds
        os.utime(p, (t, t))


def count_hashes(monkeypatch):
    calls = []
    real = hashlib.md5
    monkeypatch.setattr(hashlib, "md5", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def test_verified_checksums_are_remembered_while_size_and_mtime_match(tmp_path, monkeypatch):
    arrays, files = fake_mnist()
    write_mnist(tmp_path, arrays, files)
    age(tmp_path)
    hashed = count_hashes(monkeypatch)
    load_mnist(tmp_path, download=False, n_val=10, files=files)
    assert len(hashed) == 4
    check_split(load_mnist(tmp_path, download=False, n_val=10, files=files), arrays, 10)
    assert len(hashed) == 4  # remembered: not hashed again
    assert leftovers(tmp_path) == sorted(name + ".gz" for name, _ in files.values())  # nothing written here
    # another file in its place (same size, new mtime) is hashed again, and refused
    path = tmp_path / (files["test_labels"][0] + ".gz")
    path.write_bytes(gzip.compress(idx_bytes(arrays["test_labels"][::-1].copy())))
    with pytest.raises(IDXError, match=files["test_labels"][1]):
        load_mnist(tmp_path, download=False, n_val=10, files=files)
    assert len(hashed) == 5


@pytest.mark.parametrize("what", ["data", "cache"])
def test_checksums_are_verified_when_nothing_can_be_written(tmp_path, monkeypatch, what):
    """The real data folder is read-only; a cache folder that cannot be written must not break
    loading either (a cache path under a plain file fails even for root, unlike chmod)."""
    arrays, files = fake_mnist()
    write_mnist(tmp_path / "ro", arrays, files)
    age(tmp_path / "ro")
    if what == "cache":
        (tmp_path / "file").write_bytes(b"")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file" / "cache"))
    os.chmod(tmp_path / "ro", 0o555)
    try:
        for _ in range(2):
            check_split(load_mnist(tmp_path / "ro", download=False, n_val=10, files=files), arrays, 10)
        files["train_images"] = (files["train_images"][0], "0" * 32)
        with pytest.raises(IDXError, match="0" * 32):
            load_mnist(tmp_path / "ro", download=False, n_val=10, files=files)
        assert leftovers(tmp_path / "ro") == sorted(name + ".gz" for name, _ in files.values())
    finally:
        os.chmod(tmp_path / "ro", 0o755)


def test_data_folder_order(tmp_path, monkeypatch):
    """root argument, then MINIGRAD_DATA, then $XDG_CACHE_HOME/minigrad/mnist."""
    monkeypatch.delenv("MINIGRAD_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.data_dir() == tmp_path / "xdg" / "minigrad" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert datasets.data_dir() == tmp_path / "home" / ".cache" / "minigrad" / "mnist"
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "env"))
    assert datasets.data_dir() == tmp_path / "env"
    assert datasets.data_dir(tmp_path / "arg") == tmp_path / "arg"


def test_load_mnist_reads_env_folder(tmp_path, monkeypatch):
    arrays, files = fake_mnist(seed=3)
    write_mnist(tmp_path / "env", arrays, files)
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "env"))
    check_split(load_mnist(download=False, n_val=10, files=files), arrays, n_val=10)


# ***** the bundled sample and the real data *****


def test_sample_is_the_real_mnist_test_set():
    """The bundled files are byte-identical (decompressed) to the published MNIST test set."""
    for key in ("test_images", "test_labels"):
        name, checksum = datasets.MNIST_FILES[key]
        assert md5(gzip.decompress((datasets.SAMPLE_DIR / (name + ".gz")).read_bytes())) == checksum
    assert (datasets.SAMPLE_DIR / "README.md").is_file()


def test_sample_training_files_are_intact():
    """The bundled training files decompress to the MD5s recorded in datasets.py and data/README.md."""
    readme = (datasets.SAMPLE_DIR / "README.md").read_text()
    for name, checksum in datasets.SAMPLE_TRAIN_FILES.values():
        assert md5(gzip.decompress((datasets.SAMPLE_DIR / (name + ".gz")).read_bytes())) == checksum
        assert any(f"`{name}.gz`" in line and f"`{checksum}`" in line for line in readme.splitlines())


def test_sample_split():
    """Validation and test as in the full split; training images 5,000-19,999; no overlap."""
    m = load_mnist_sample()
    assert m.is_sample and "sample" in m.source
    assert (len(m.train_labels), len(m.val_labels), len(m.test_labels)) == (15000, 5000, 10000)
    name = datasets.SAMPLE_TRAIN_FILES["train_images"][0]
    first = read_idx(datasets.SAMPLE_DIR / (name + ".gz")).astype(np.float32) / 255
    assert first.shape == (20000, 28, 28)
    np.testing.assert_array_equal(np.concatenate([m.val_images, m.train_images]), first)
    test = read_idx(datasets.SAMPLE_DIR / "t10k-images-idx3-ubyte.gz").astype(np.float32) / 255
    np.testing.assert_array_equal(m.test_images, test)
    assert m.train_images.dtype == np.float32 and m.train_labels.dtype == np.int64
    # no image is both trained on and validated or tested on
    seen = {x.tobytes() for x in (m.train_images * 255).astype(np.uint8)}
    held_out = np.concatenate([m.val_images, m.test_images])
    assert not any(x.tobytes() in seen for x in (held_out * 255).astype(np.uint8))


@pytest.mark.skipif(not HAVE_REAL, reason="real MNIST not found (set MINIGRAD_DATA)")
def test_sample_is_the_start_of_the_real_training_set():
    """The sample is the first 20,000 training images of the real MNIST: its validation set is the
    full split's, its training set the start of the full training set."""
    m, full = load_mnist_sample(), load_mnist(REAL, download=False)
    np.testing.assert_array_equal(m.val_images, full.val_images)
    np.testing.assert_array_equal(m.val_labels, full.val_labels)
    np.testing.assert_array_equal(m.train_images, full.train_images[:15000])
    np.testing.assert_array_equal(m.train_labels, full.train_labels[:15000])
    np.testing.assert_array_equal(m.test_labels, full.test_labels)


def test_fallback_to_sample_says_so(tmp_path, capsys):
    m = load_mnist_or_sample(tmp_path, download=False)
    assert m.is_sample
    err = capsys.readouterr().err
    assert "bundled MNIST sample" in err and str(tmp_path) in err


@pytest.mark.skipif(not HAVE_REAL, reason="real MNIST not found (set MINIGRAD_DATA)")
def test_real_mnist_classic_split():
    """Sizes, label counts and mean pixel from the data folder's README."""
    m = load_mnist(REAL, download=False)
    assert m.train_images.shape == (55000, 28, 28) and m.val_images.shape == (5000, 28, 28)
    assert m.test_images.shape == (10000, 28, 28)
    counts = np.bincount(np.concatenate([m.val_labels, m.train_labels]), minlength=10)
    assert counts.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(m.test_labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    mean = np.concatenate([m.val_images, m.train_images]).mean(dtype=np.float64) * 255
    assert abs(mean - 33.318) < 1e-3


# ***** other data sets in MNIST's file layout (load_idx) *****


def other_data(n_train=1200, n_test=300, shape=(28, 28), classes=10, first_label=0, seed=1):
    """Arrays of a data set that is not MNIST (random pixels), in MNIST's four-file layout."""
    rng = np.random.default_rng(seed)
    return {
        "train_images": rng.integers(0, 256, (n_train, *shape), dtype=np.uint8),
        "train_labels": rng.integers(first_label, classes, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, *shape), dtype=np.uint8),
        "test_labels": rng.integers(first_label, classes, n_test, dtype=np.uint8),
    }


def test_fashion_like_data_is_refused_by_load_mnist_with_the_way_out(tmp_path):
    """A valid IDX folder that is not MNIST (Fashion-MNIST, say) fails MNIST's checksums, and the
    message names the file, how to read another data set in this layout (the function and the
    examples' flags) and how to get MNIST back."""
    folder = tmp_path / "fashion"
    write_mnist(folder, other_data(), datasets.MNIST_FILES)
    with pytest.raises(ChecksumError) as info:
        load_mnist(folder, download=False)
    msg = str(info.value)
    assert str(folder / "train-images-idx3-ubyte.gz") in msg and "checksum mismatch" in msg
    assert f"load_idx({str(folder)!r})" in msg and "verify=False" in msg
    assert f"--data {folder} --any-idx" in msg
    assert "download it again" in msg
    assert isinstance(info.value, IDXError)  # what callers caught before


def test_fashion_like_data_loads_with_load_idx(tmp_path):
    folder = tmp_path / "fashion"
    arrays = other_data()
    write_mnist(folder, arrays, datasets.MNIST_FILES, compress=False)
    d = load_idx(folder)
    assert type(d) is IDXData and not isinstance(d, MNIST) and not d.checksummed and not d.is_sample
    check_split(d, arrays, n_val=100)  # a twelfth of 1,200
    assert d.image_shape == (28, 28) and d.num_classes == 10
    assert d.source == str(folder) and d.name == "fashion"
    assert repr(d) == (f"IDXData(name='fashion', train=1100, val=100, test=300, images 28x28, 10 classes, "
                       f"not checksummed, source={str(folder)!r})")
    assert d.title == "fashion (28x28 images, 10 classes; not checksummed)" and "MNIST" not in d.title
    # the same through load_mnist's switch, and under a name of one's choosing
    same = load_mnist(folder, verify=False)
    np.testing.assert_array_equal(same.train_images, d.train_images)
    assert type(same) is IDXData and not same.checksummed
    assert load_idx(folder, name="Fashion-MNIST").title.startswith("Fashion-MNIST (")


def test_real_mnist_says_it_is_checksummed():
    m = load_mnist_sample()
    assert m.checksummed and m.name == "MNIST" and m.image_shape == (28, 28) and m.num_classes == 10
    assert m.title == "MNIST bundled sample" and repr(m).startswith("MNIST(train=15000, val=5000, test=10000, ")


@pytest.mark.parametrize("shape,classes", [((32, 32), 26), ((20, 24), 47), ((28, 28), 2)])
def test_load_idx_any_image_size_and_number_of_classes(tmp_path, shape, classes):
    arrays = other_data(n_train=240, n_test=30, shape=shape, classes=classes)
    arrays["train_labels"][:2] = classes - 1, 0  # the largest label occurs, and 0
    write_mnist(tmp_path, arrays, datasets.MNIST_FILES)
    d = load_idx(tmp_path)
    check_split(d, arrays, n_val=20)
    assert d.image_shape == shape and d.num_classes == classes
    assert d.test_images.shape == (30, *shape)
    x, y = d.dataset("val", flatten=True).tensors
    assert x.shape == (20, shape[0] * shape[1]) and y.shape == (20,)


def test_default_validation_split_shrinks_with_the_training_file():
    assert default_n_val(60000) == 5000  # MNIST's classic split
    assert default_n_val(100_000) == 5000  # never more
    assert default_n_val(1200) == 100
    assert default_n_val(13) == 1 and default_n_val(2) == 1  # never none


def test_load_idx_validation_size(tmp_path):
    write_mnist(tmp_path, other_data(n_train=50, n_test=5), datasets.MNIST_FILES)
    assert len(load_idx(tmp_path).val_labels) == 4
    assert len(load_idx(tmp_path, n_val=0).val_labels) == 0  # asked for: no validation set
    with pytest.raises(ValueError, match=r"n_val=50: .*train-images-idx3-ubyte\.gz holds 50 images"):
        load_idx(tmp_path, n_val=50)  # nothing left to train on


def test_labels_without_a_zero_warn_and_count_max_plus_one(tmp_path):
    """EMNIST letters label a-z as 1-26: that is the user's business, but said, not silent."""
    arrays = other_data(n_train=240, n_test=30, classes=27, first_label=1)
    arrays["test_labels"][0] = 26
    write_mnist(tmp_path, arrays, datasets.MNIST_FILES)
    with pytest.warns(UserWarning, match="label 0 never occurs .*start at 1.* = 27.* Subtract 1"):
        d = load_idx(tmp_path)
    assert d.num_classes == 27


def test_labels_with_a_zero_do_not_warn(tmp_path, recwarn):
    write_mnist(tmp_path, other_data(n_train=240, n_test=30), datasets.MNIST_FILES)
    load_idx(tmp_path)
    assert not [w for w in recwarn if "label 0" in str(w.message)]


def _broken(tmp_path, key, array):
    arrays = other_data(n_train=120, n_test=24)
    arrays[key] = array
    write_mnist(tmp_path, arrays, datasets.MNIST_FILES)
    return tmp_path / (datasets.MNIST_FILES[key][0] + ".gz")


@pytest.mark.parametrize("key,array,message", [
    ("train_labels", np.zeros(119, np.uint8), r"expected 120 labels to match the images of .*train-images"),
    ("test_labels", np.zeros(25, np.uint8), r"expected 24 labels to match the images of .*t10k-images"),
    ("train_labels", np.zeros((120, 28, 28), np.uint8), r"magic number 0x00000803\) \(an images file\?\)"),
    ("train_labels", np.zeros(120, np.float32), r"integer label.*float32"),
    ("test_labels", np.full(24, -1, np.int8), r"label -1 is negative"),
    ("train_images", np.zeros((120, 28, 28, 3), np.uint8), r"shape \(N, H, W\).*4\).*colour"),
    ("train_images", np.zeros((120, 28, 28), np.float32), r"expected uint8 .*got float32 .*not bytes 0-255"),
    ("test_images", np.zeros(24, np.uint8), r"\(a labels file\?\)"),
    ("test_images", np.zeros((24, 32, 32), np.uint8), r"images of 32x32, but .*train-images.* holds 28x28"),
    ("test_images", np.zeros((0, 28, 28), np.uint8), r"holds no images"),
])
def test_load_idx_bad_files_are_clear_errors_naming_the_file(tmp_path, key, array, message):
    path = _broken(tmp_path, key, array)
    with pytest.raises(IDXError, match=message) as info:
        load_idx(tmp_path)
    assert str(info.value).startswith(str(path) + ": ")


def test_load_idx_missing_files_are_named(tmp_path):
    arrays = other_data(n_train=24, n_test=6)
    write_mnist(tmp_path, arrays, datasets.MNIST_FILES)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match=rf"{tmp_path} lacks t10k-labels-idx1-ubyte \(\.gz or not\)"):
        load_idx(tmp_path)


def test_load_mnist_keeps_its_28x28_check(tmp_path):
    """With the right checksums for 32x32 images (a custom table), MNIST's loader still refuses them."""
    arrays = other_data(n_train=24, n_test=6, shape=(32, 32))
    files = checksums(arrays)
    write_mnist(tmp_path, arrays, files)
    with pytest.raises(IDXError, match=r"\(N, 28, 28\)"):
        load_mnist(tmp_path, download=False, n_val=2, files=files)
    assert load_idx(tmp_path).image_shape == (32, 32)  # the same folder, as any data in this layout
