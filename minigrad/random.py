"""Random numbers: minigrad's `Generator`, the `default_generator` that `manual_seed` seeds, and
the random tensors (`rand`, `randn`, `randint`, `randperm`, `normal`, `multinomial`, `bernoulli`,
`rand_like`, `randn_like`, `randint_like`). As `torch.random`; every name is re-exported as
`minigrad.<name>`. NOTE: the streams are NumPy's, not PyTorch's: one seed gives other numbers
than in torch (the same distributions).

Samples are drawn on the host and then moved, so that one seed gives the same numbers on every
device. `init`, `Dropout`, `DataLoader` and `Tensor.normal_`/`uniform_` draw from the same stream.
"""

from __future__ import annotations

import numpy as np

from . import dtypes
from .creation import host_tensor, like
from .dtypes import as_dtype, int64
from .tensor import Tensor, shape_tuple


class Generator:
    """minigrad's own random stream (NumPy's PCG64), drawn on the host so that the same seed
    gives the same numbers on every device."""

    def __init__(self, seed: int | None = None):
        self.manual_seed(seed)

    def manual_seed(self, seed: int | None) -> Generator:
        self.rng = np.random.default_rng(seed)
        return self


default_generator = Generator(0)


def manual_seed(seed: int) -> Generator:
    """Seed minigrad's default generator (used by rand, randn, init, Dropout, DataLoader).

    >>> import minigrad
    >>> _ = minigrad.manual_seed(0); a = minigrad.randn(3)
    >>> _ = minigrad.manual_seed(0); b = minigrad.randn(3)
    >>> bool((a == b).numpy().all())
    True
    """
    return default_generator.manual_seed(seed)


def rand(*shape, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Uniform samples in [0, 1)."""
    dtype = as_dtype(dtype) or dtypes.default_float
    host = (generator or default_generator).rng.random(shape_tuple(shape), dtype=dtype)
    return host_tensor(host, dtype, device, requires_grad)


def randn(*shape, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    """Standard normal samples."""
    dtype = as_dtype(dtype) or dtypes.default_float
    host = (generator or default_generator).rng.standard_normal(shape_tuple(shape), dtype=dtype)
    return host_tensor(host, dtype, device, requires_grad)


def rand_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return like(rand, t, dtype, device, requires_grad)


def randn_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return like(randn, t, dtype, device, requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None, generator=None) -> Tensor:
    """Random integers in [low, high) (`randint(high, size)` starts at 0), int64 by default."""
    if high is None or isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, size if high is None else high
    size = (size,) if isinstance(size, int) else tuple(size)
    host = (generator or default_generator).rng.integers(low, high, size)
    return host_tensor(host.astype(as_dtype(dtype) or int64), None, device, False)


def randint_like(input, low=0, high=None, dtype=None, device=None, generator=None) -> Tensor:
    """Random integers in [low, high) with `input`'s shape, dtype and device unless given;
    `randint_like(x, high)` starts at 0. Same as torch.randint_like.

    >>> import minigrad
    >>> minigrad.randint_like(minigrad.zeros(2, 3), 10).shape
    (2, 3)
    """
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=device or input.device,
                   generator=generator)


def bernoulli(input, p=None, generator=None) -> Tensor:
    """0 or 1 in `input`'s shape and dtype, 1 with probability `input` (elementwise), or `p` when
    given (a number). No gradient. Same as torch.bernoulli; the stream differs from torch's.

    >>> import minigrad
    >>> minigrad.bernoulli(minigrad.tensor([0.0, 1.0]))
    tensor([0., 1.])
    """
    probs = input.numpy() if p is None else (p.numpy() if isinstance(p, Tensor) else np.asarray(p))
    if not ((probs >= 0) & (probs <= 1)).all():  # also NaN
        raise RuntimeError("bernoulli: expects p to be in [0, 1]")
    host = (generator or default_generator).rng.random(input.shape) < probs
    return host_tensor(host.astype(input.dtype), None, input.device, False)


def randperm(n, dtype=None, device=None, generator=None) -> Tensor:
    """A random permutation of 0..n-1."""
    host = (generator or default_generator).rng.permutation(n).astype(as_dtype(dtype) or int64)
    return host_tensor(host, None, device, False)


def normal(mean, std, size=None, generator=None, dtype=None, device=None) -> Tensor:
    """Samples of N(mean, std^2): `mean`/`std` numbers with `size`, or tensors (broadcast)."""
    m = mean.numpy() if isinstance(mean, Tensor) else mean
    s = std.numpy() if isinstance(std, Tensor) else std
    shape = shape_tuple((size,)) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    ref = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    dtype = as_dtype(dtype) or (ref.dtype if ref is not None else dtypes.default_float)
    host = (generator or default_generator).rng.normal(m, s, shape).astype(dtype)
    return host_tensor(host, None, device or (ref.device if ref is not None else None), False)


def multinomial(input, num_samples: int, replacement: bool = False, generator=None) -> Tensor:
    """Indices drawn from the rows of `input` (non-negative weights, 1-d or 2-d), as torch."""
    w = input.numpy().astype(np.float64)
    rows = w[None] if w.ndim == 1 else w
    if (rows < 0).any() or not np.isfinite(rows).all() or (rows.sum(1) <= 0).any():
        raise RuntimeError("multinomial: weights must be finite, non-negative, with a positive sum per row")
    if not replacement and num_samples > (rows > 0).sum(1).min():
        raise RuntimeError(f"multinomial: cannot draw {num_samples} samples without replacement from fewer non-zero weights")
    rng = (generator or default_generator).rng
    out = np.stack([rng.choice(len(r), num_samples, replace=replacement, p=r / r.sum()) for r in rows])
    return host_tensor(out[0] if w.ndim == 1 else out, int64, input.device, False)
