"""Large work arrays reused from one training step to the next (NumPy only).

WHY: a training step allocates tens of MiB of large temporaries (im2col columns, padded inputs,
gradient buffers, BatchNorm and pooling results). glibc serves each from fresh pages and hands
them back to the OS when they are freed, so every step page-faults the same memory in again:
on the MNIST CNN that was about a third of the step. Keeping the arrays here instead makes the
second step find them already resident.

Safety: an array is handed out again only when nothing but this cache refers to it. A NumPy view
keeps its base array alive, so `sys.getrefcount` counts every Tensor, view, gradient or saved
array that still uses the memory; the check below is therefore a proof that the buffer is free,
whatever the user kept (an output, a retained graph, a `.numpy()` view). Under the GIL two
threads cannot both see a buffer as free: each one's own reference is counted by the other.

Lifetime: the layers (Conv2d, BatchNorm, pooling and ReLU Modules) all hold the one `shared()`
Cache and make it active while their forward runs; a Function picks up the active cache in
forward and keeps it for backward. This file keeps only a weak reference, so the memory goes
away with the last layer. Buffers are kept by size in bytes, not by shape, so that one layer's temporaries can
serve another's of the same size: what the cache holds stays close to the peak a step needs
anyway. `F.*` functions called outside a layer allocate as usual. CuPy has its own memory pool,
so on a GPU `empty` is just `xp.empty`.
"""

from __future__ import annotations

import sys
import threading
import weakref

import numpy as np

_MIN_BYTES = 1 << 17  # smaller arrays come from malloc's free lists, which do not fault
_PER_SIZE = 32  # at most this many buffers of one size are kept
_active = threading.local()
_shared = None  # a weak reference to the Cache that live layers share


class Cache:
    """Reusable byte buffers, by size."""

    def __init__(self):
        self.bufs: dict[int, list] = {}

    def __reduce__(self):
        # pickling or deep-copying a model must not carry tens of MiB of scratch memory: the
        # copy's layers get the shared cache, as layers made anew do
        return shared, ()

    def active(self):
        """`with cache.active():` makes this cache the one Functions created inside the block
        allocate from."""
        return _Activate(self)

    def empty(self, shape: tuple, dtype):
        nbytes = dtype.itemsize * int(np.prod(shape))
        bufs = self.bufs.setdefault(nbytes, [])
        for buf in bufs:
            if sys.getrefcount(buf) == 3:  # only the list, `buf` and getrefcount's own argument
                break
        else:
            buf = np.empty(nbytes, np.uint8)
            if len(bufs) < _PER_SIZE:
                bufs.append(buf)
        return buf.view(dtype).reshape(shape)  # a view: its .base is `buf`, which counts it


def shared() -> Cache:
    """The Cache that every layer holds (made anew when the last one that held it has gone)."""
    global _shared
    cache = _shared() if _shared is not None else None
    if cache is None:
        cache = Cache()
        _shared = weakref.ref(cache)
    return cache


class _Activate:
    """The context manager of Cache.active (a class: a generator-based one costs microseconds
    per layer call, which small layers notice)."""

    def __init__(self, cache):
        self.cache = cache

    def __enter__(self):
        self.prev, _active.cache = getattr(_active, "cache", None), self.cache
        return self.cache

    def __exit__(self, *exc):
        _active.cache = self.prev


def current() -> Cache | None:
    """The cache of the layer whose forward is running (a Function keeps it for its backward)."""
    return getattr(_active, "cache", None)


def empty(cache: Cache | None, xp, shape: tuple, dtype):
    """Like xp.empty(shape, dtype), reused from `cache` when it holds an array of that shape and
    dtype that nothing else refers to any more."""
    dtype = np.dtype(dtype)
    if cache is None or xp is not np or dtype.itemsize * int(np.prod(shape)) < _MIN_BYTES:
        return xp.empty(shape, dtype)
    return cache.empty(shape, dtype)


def empty_like(cache: Cache | None, xp, a, dtype=None):
    """Like xp.empty_like(a, dtype): a's shape in a's memory order (a convolution's output,
    stored (C, H, W, N), gets a buffer stored the same way, so passes over both run in memory
    order)."""
    order = sorted(range(a.ndim), key=lambda i: -abs(a.strides[i]))  # outermost axis first
    buf = empty(cache, xp, tuple(a.shape[i] for i in order), a.dtype if dtype is None else dtype)
    return buf.transpose(tuple(int(i) for i in np.argsort(order)))


def matmul(cache: Cache | None, xp, a, b):
    """a @ b (batched over leading dims), written into a cached buffer when `cache` is given."""
    if cache is None or xp is not np:
        return a @ b
    return xp.matmul(a, b, out=empty(cache, xp, (*a.shape[:-1], b.shape[-1]), xp.result_type(a, b)))


def ufunc(cache: Cache | None, xp, fn, a, b):
    """fn(a, b) for a NumPy ufunc fn, written into a cached buffer when `cache` is given and the
    result (of a's shape and dtype) is large; small ones skip the cache, whose `out=` costs more
    than their arithmetic."""
    if cache is None or xp is not np or a.nbytes < _MIN_BYTES:
        return fn(a, b)
    return fn(a, b, out=cache.empty(a.shape, a.dtype))
