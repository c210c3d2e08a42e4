"""Datasets and the DataLoader, as torch.utils.data.

    Dataset                      the base class: __getitem__(i) returns one sample, __len__ the count
    TensorDataset(*tensors)      sample i is (t[i] for each tensor); the loader slices whole batches
    Subset(dataset, indices)     a view of some samples; random_split makes several
    ConcatDataset(datasets)      several data sets one after the other (also `ds1 + ds2`)
    IterableDataset              a stream: subclasses implement __iter__ (no indices, no shuffle)
    default_collate(samples)     a list of samples -> one batch (tensors stacked, numbers -> tensor)
    DataLoader(dataset, ...)     batches, shuffled with a minigrad Generator (a fresh order every epoch)
    SequentialSampler, RandomSampler   the orders DataLoader uses for shuffle=False / True
    SubsetRandomSampler, WeightedRandomSampler   other orders, for DataLoader(sampler=...)
    BatchSampler                 groups a sampler's indices into batches (DataLoader(batch_sampler=...))

A learner's loop reads as in PyTorch:

    >>> import minigrad
    >>> from minigrad.utils.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(minigrad.randn(10, 3), minigrad.arange(10))
    >>> loader = DataLoader(ds, batch_size=4, shuffle=True, generator=minigrad.Generator(0))
    >>> len(loader), len(loader.dataset)
    (3, 10)
    >>> [tuple(x.shape) for x, y in loader]
    [(4, 3), (4, 3), (2, 3)]

The fast path: a TensorDataset (or a Subset of one) with the default collate function is not
read sample by sample. Each batch is one fancy-index `array[indices]` per tensor, so an epoch
of MNIST costs a few hundred NumPy calls rather than 55,000 `__getitem__` calls and a stack.
The result is the same as the slow path's (a test compares them).
"""

from __future__ import annotations

import bisect
import collections.abc
import itertools
import math
import numbers

import numpy as np

from .. import backend
from ..creation import tensor
from ..dtypes import float64
from ..ops import stack
from ..random import Generator, default_generator
from ..tensor import Tensor


class Dataset:
    """A map-style data set: subclasses implement `__getitem__(index)` (one sample: a Tensor,
    a number, or a tuple/dict of them) and `__len__()`.

    >>> import minigrad
    >>> from minigrad.utils.data import Dataset
    >>> class Squares(Dataset):
    ...     def __len__(self): return 5
    ...     def __getitem__(self, i): return minigrad.tensor([float(i)]), i * i
    >>> Squares()[3]
    (tensor([3.]), 9)
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __add__(self, other) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A data set read as a stream: subclasses implement `__iter__` (yielding samples). A
    DataLoader batches the samples in the order they come; it cannot shuffle or sample them.
    Loading runs in the calling process, so `get_worker_info()` is None and the stream is
    read once per epoch (no per-worker splitting is needed).

    >>> from minigrad.utils.data import DataLoader, IterableDataset
    >>> class Count(IterableDataset):
    ...     def __iter__(self): return iter(range(5))
    >>> [b.tolist() for b in DataLoader(Count(), batch_size=2)]
    [[0, 1], [2, 3], [4]]
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} is an IterableDataset: it is iterated, not indexed")

    def __len__(self) -> int:  # a subclass may know its length; a stream has none, as in PyTorch
        raise TypeError(f"object of type '{type(self).__name__}' has no len()")

    def __add__(self, other):
        raise TypeError("ConcatDataset does not support IterableDataset; chain the iterators instead")


def get_worker_info():
    """None: minigrad loads data in the calling process, as PyTorch does with num_workers=0."""
    return None


class ConcatDataset(Dataset):
    """The samples of several map-style data sets, one data set after the other.

    >>> import minigrad
    >>> from minigrad.utils.data import ConcatDataset, TensorDataset
    >>> ds = ConcatDataset([TensorDataset(minigrad.arange(3)), TensorDataset(minigrad.arange(10, 12))])
    >>> len(ds), ds[3], ds[-1]
    (5, (tensor(10),), (tensor(11),))
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if index < 0:
            if -index > n:
                raise ValueError("absolute value of index should not exceed dataset length")
            index += n
        if index >= n:  # a for loop over the data set stops on this IndexError
            raise IndexError(f"index {index} is out of range for a ConcatDataset of {n} samples")
        k = bisect.bisect_right(self.cumulative_sizes, index)
        return self.datasets[k][index - (self.cumulative_sizes[k - 1] if k else 0)]


class TensorDataset(Dataset):
    """Tensors that share their first dimension; sample i is `(t[i] for t in tensors)`.
    NumPy arrays are accepted too and wrapped (without a copy) as Tensors.

    >>> import minigrad
    >>> from minigrad.utils.data import TensorDataset
    >>> ds = TensorDataset(minigrad.zeros(4, 2), minigrad.tensor([0, 1, 2, 3]))
    >>> len(ds), ds[2]
    (4, (tensor([0., 0.]), tensor(2)))
    """

    def __init__(self, *tensors):
        tensors = tuple(t if isinstance(t, Tensor) else Tensor._from_data(t) for t in tensors)
        if not tensors or any(t.ndim == 0 for t in tensors):
            raise TypeError("TensorDataset needs tensors with a first (sample) dimension, got shapes "
                            f"{[t.shape for t in tensors]}")
        if len({t.shape[0] for t in tensors}) != 1:
            raise ValueError(f"Size mismatch between tensors: shapes {[t.shape for t in tensors]} have "
                             "different lengths")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order.

    >>> import minigrad
    >>> from minigrad.utils.data import Subset, TensorDataset
    >>> ds = Subset(TensorDataset(minigrad.arange(10)), [7, 2])
    >>> len(ds), ds[0]
    (2, (tensor(7),))
    """

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, [int(i) for i in indices]

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset, lengths, generator: Generator | None = None) -> list[Subset]:
    """Split `dataset` at random into non-overlapping Subsets of the given lengths, as
    torch.utils.data.random_split. `lengths` are counts summing to len(dataset), or fractions
    summing to 1 (each gets floor(fraction * n); what is left is handed out one by one from
    the first). The order is drawn from `generator` (default: minigrad's, see manual_seed);
    the same seed gives the same split in minigrad, not the split torch's generator gives.

    >>> import minigrad
    >>> from minigrad.utils.data import TensorDataset, random_split
    >>> train, val = random_split(TensorDataset(minigrad.zeros(10, 1)), [0.8, 0.2],
    ...                           generator=minigrad.Generator(0))
    >>> len(train), len(val), sorted(train.indices + val.indices) == list(range(10))
    (8, 2, True)
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        if any(not 0 <= f <= 1 for f in lengths):
            raise ValueError(f"Fraction at index {[i for i, f in enumerate(lengths) if not 0 <= f <= 1][0]} "
                             "is not between 0 and 1")
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths ({sum(lengths)}) does not equal the length of the input "
                         f"dataset ({n})!")
    order = (generator or default_generator).rng.permutation(n).tolist()
    ends = list(itertools.accumulate(lengths))
    return [Subset(dataset, order[end - k:end]) for k, end in zip(lengths, ends)]


# ***** collating samples into a batch *****


def default_collate(batch):
    """Turn a list of samples into a batch, as torch's default_collate: Tensors and NumPy arrays
    are stacked along a new first dim, Python floats become a float64 tensor, ints an int64 one
    (bools a bool one), NumPy scalars a tensor of their dtype, strings stay a list; tuples,
    lists and dicts are collated field by field (a tuple or list gives a list, a named tuple
    the same named tuple, a dict a dict).

    >>> import minigrad
    >>> from minigrad.utils.data import default_collate
    >>> default_collate([(minigrad.zeros(2), 1), (minigrad.ones(2), 0)])
    [tensor([[0., 0.],
            [1., 1.]]), tensor([1, 0])]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch)
    if isinstance(elem, np.ndarray):
        return stack([Tensor._from_data(np.asarray(b)) for b in batch])
    if isinstance(elem, np.generic):
        return Tensor._from_data(np.asarray(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, (bool, numbers.Integral)):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(s) != len(elem) for s in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(s) for s in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem).__name__}")


def default_convert(data):
    """What DataLoader(batch_size=None) does to each sample: NumPy arrays and scalars become
    Tensors (inside tuples, lists and dicts too; a tuple becomes a list, as in PyTorch); the
    rest is left as it is."""
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return Tensor._from_data(data)
    if isinstance(data, np.generic) and data.dtype.kind in "biuf":
        return Tensor._from_data(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):
        return [default_convert(d) for d in data]
    return data


# ***** the order of the samples *****


class Sampler:
    """An iterable of sample indices with a length; pass one as DataLoader(sampler=...)."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of `batch_size` (the last one shorter unless
    `drop_last`); pass one as DataLoader(batch_sampler=...).

    >>> from minigrad.utils.data import BatchSampler
    >>> list(BatchSampler(range(5), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        if int(batch_size) < 1:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), bool(drop_last)

    def __iter__(self):
        it = iter(self.sampler)
        while batch := list(itertools.islice(it, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield batch

    def __len__(self) -> int:
        full, rest = divmod(len(self.sampler), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def order(self) -> np.ndarray:
        return np.arange(len(self.data_source))

    def __iter__(self):
        return iter(self.order().tolist())

    def __len__(self) -> int:
        return len(self.data_source)


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")
    return int(value)


class RandomSampler(Sampler):
    """A fresh random order at each iteration (each epoch), drawn from `generator` (default:
    minigrad's global one, so `minigrad.manual_seed` makes it reproducible). `num_samples`
    indices (default len(data_source)): without replacement, whole permutations one after
    the other; with `replacement=True`, independent draws."""

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator: Generator | None = None):
        if isinstance(replacement, Generator):  # minigrad's older RandomSampler(data, generator)
            replacement, generator = False, replacement
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        self.data_source, self.replacement, self.generator = data_source, replacement, generator
        self._num_samples = num_samples
        _positive_int(self.num_samples, "num_samples")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def order(self) -> np.ndarray:
        rng, n, k = (self.generator or default_generator).rng, len(self.data_source), self.num_samples
        if self.replacement:
            return rng.integers(0, n, size=k)
        parts = [rng.permutation(n) for _ in range(k // n)] + ([rng.permutation(n)[: k % n]] if k % n else [])
        return np.concatenate(parts)

    def __iter__(self):
        return iter(self.order().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a fresh random order at each iteration.

    >>> import minigrad
    >>> from minigrad.utils.data import SubsetRandomSampler
    >>> sorted(SubsetRandomSampler([7, 2, 5], generator=minigrad.Generator(0)))
    [2, 5, 7]
    """

    def __init__(self, indices, generator: Generator | None = None):
        self.indices, self.generator = list(indices), generator

    def order(self) -> np.ndarray:
        perm = (self.generator or default_generator).rng.permutation(len(self.indices))
        return np.asarray(self.indices, dtype=np.int64)[perm]

    def __iter__(self):
        return iter(self.order().tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with probabilities proportional to `weights` (with
    replacement by default), e.g. to balance classes.

    >>> import minigrad
    >>> from minigrad.utils.data import WeightedRandomSampler
    >>> list(WeightedRandomSampler([0.0, 1.0, 0.0], 4, generator=minigrad.Generator(0)))
    [1, 1, 1, 1]
    """

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator: Generator | None = None):
        self.num_samples = _positive_int(num_samples, "num_samples")
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        w = np.asarray(weights.numpy() if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(f"cannot draw {num_samples} samples without replacement from "
                             f"{np.count_nonzero(w)} non-zero weights")
        self.weights, self.replacement, self.generator = w, replacement, generator

    def order(self) -> np.ndarray:
        rng = (self.generator or default_generator).rng
        return rng.choice(len(self.weights), size=self.num_samples, replace=self.replacement,
                          p=self.weights / self.weights.sum())

    def __iter__(self):
        return iter(self.order().tolist())

    def __len__(self) -> int:
        return self.num_samples


def _tensor_columns(dataset):
    """(tensors, index map or None) when batches of `dataset` can be sliced out of whole
    tensors: a TensorDataset, or Subsets of one; else None."""
    # only where __getitem__ is ours: a subclass that overrides it must be read through it
    if isinstance(dataset, TensorDataset) and type(dataset).__getitem__ is TensorDataset.__getitem__:
        return dataset.tensors, None
    if isinstance(dataset, Subset) and type(dataset).__getitem__ is Subset.__getitem__:
        inner = _tensor_columns(dataset.dataset)
        if inner is not None:
            tensors, index = inner
            mine = np.asarray(dataset.indices, dtype=np.int64)
            return tensors, (mine if index is None else index[mine])
    return None


def _to(batch, device):
    """The batch (a Tensor, or lists/tuples/dicts of them) moved to `device`."""
    if isinstance(batch, Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: _to(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)) and not hasattr(batch, "_fields"):
        return type(batch)(_to(v, device) for v in batch)
    return batch


class DataLoader:
    """Batches from a dataset, as torch.utils.data.DataLoader.

    Args:
        dataset: a Dataset (anything with __getitem__ and __len__), or an IterableDataset. A tuple of arrays or
            Tensors, `DataLoader((images, labels))`, is read as TensorDataset(images, labels)
            (minigrad's older spelling; torch would treat the tuple as a list of 2 samples).
        batch_size: samples per batch; None turns batching off (each sample passes through
            `collate_fn`, default `default_convert`).
        shuffle: a fresh random order every epoch, drawn from `generator`.
        sampler: the order of the samples instead (an iterable of indices; not with shuffle).
        drop_last: skip the last batch of an epoch when it is short (a batch of one breaks
            BatchNorm in training).
        collate_fn: turns a list of samples into a batch; default `default_collate`.
        generator: a `minigrad.Generator`; default minigrad's global one (`manual_seed`).
        batch_sampler: yields the index lists of whole batches instead (not with batch_size,
            shuffle, sampler or drop_last).
        num_workers, pin_memory: accepted for PyTorch code; loading always runs in the calling
            process (NumPy slicing of a TensorDataset is faster than worker processes would be)
            and pinning has no meaning for NumPy arrays. The options of worker processes
            (timeout, worker_init_fn, prefetch_factor, persistent_workers, ...) are accepted
            and unused, as in PyTorch with num_workers=0.
        device: where the batches go (a minigrad extra; torch code moves them with `.to`).
            For a TensorDataset the tensors are copied there once, not every batch.

    Example:
        >>> import numpy as np, minigrad
        >>> from minigrad.utils.data import DataLoader, TensorDataset
        >>> ds = TensorDataset(np.zeros((7, 3), np.float32), np.arange(7))
        >>> loader = DataLoader(ds, batch_size=3, shuffle=True, drop_last=True,
        ...                     generator=minigrad.Generator(0))
        >>> len(loader), [tuple(xb.shape) for xb, yb in loader]
        (2, [(3, 3), (3, 3)])
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None, multiprocessing_context=None,
                 generator: Generator | None = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True, device=None):
        if isinstance(dataset, tuple):  # DataLoader((images, labels)): the arrays are the columns
            if not dataset or any(not hasattr(a, "shape") or len(a.shape) == 0 for a in dataset):
                raise TypeError("DataLoader needs a Dataset, or a tuple of arrays with a first (sample) "
                                "dimension")
            if len({a.shape[0] for a in dataset}) != 1:
                raise ValueError(f"arrays have different lengths: {[tuple(a.shape) for a in dataset]}")
            if dataset[0].shape[0] == 0:
                raise ValueError("DataLoader needs at least one sample")
            dataset = TensorDataset(*dataset)
        if batch_size is not None and int(batch_size) < 1:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        if int(num_workers) < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError("DataLoader with IterableDataset: the stream's own order is used; shuffle, "
                             f"sampler and batch_sampler must be left unset (got shuffle={shuffle}, "
                             f"sampler={sampler}, batch_sampler={batch_sampler})")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                             "and drop_last")
        # timeout, worker_init_fn, multiprocessing_context, prefetch_factor, persistent_workers,
        # pin_memory_device, in_order: options of worker processes, which minigrad does not start
        # batch_size=None: no batching; each sample goes through collate_fn (default_convert)
        self.dataset, self.drop_last = dataset, bool(drop_last)
        self.batch_size = None if batch_size is None else int(batch_size)
        self.num_workers, self.pin_memory, self.generator = int(num_workers), bool(pin_memory), generator
        self.collate_fn = collate_fn or (default_convert if batch_size is None and batch_sampler is None
                                         else default_collate)
        self.device = backend.check_device(device) if device is not None else None
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.shuffle = isinstance(sampler, RandomSampler)
        self._columns = _tensor_columns(dataset) if collate_fn is None and batch_size is not None else None
        self._arrays = None  # the fast path's arrays, on the loader's device
        if self._columns is not None and self.device is not None:
            self._fast_arrays()  # copy the data to the device once, now rather than mid-epoch

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.dataset) if self._iterable else len(self.sampler)  # TypeError for a stream without len
        if self.batch_size is None:
            return n
        full, rest = divmod(n, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def _order(self) -> np.ndarray:
        order = getattr(self.sampler, "order", None)
        return order() if order is not None else np.fromiter(iter(self.sampler), dtype=np.int64)

    def _fast_arrays(self):
        """The fast path's arrays, on the loader's device (copied there once), the subset
        index into them (or None) and whether they are on the host."""
        if self._arrays is None:
            tensors, index = self._columns
            arrays = [t.array if self.device is None else backend.to_device(t.array, self.device) for t in tensors]
            self._arrays = (arrays, index, all(backend.device_of(a) == "cpu" for a in arrays))
        return self._arrays

    def _epoch_order(self):
        """This epoch's sample order. For tensor datasets it is mapped through the subset index
        and moved to the arrays' device once: a host->device copy per batch could wait for the
        GPU every time."""
        order = self._order()
        if self._columns is not None:
            arrays, index, on_host = self._fast_arrays()
            if index is not None:
                order = index[order]
            if not on_host:
                order = backend.to_device(order, backend.device_of(arrays[0]))
        return order

    def _batch(self, idx, mapped: bool = False):
        """The batch of samples `idx` (already mapped and on the device when `mapped`)."""
        if self._columns is None:  # the general path: sample by sample, then collate
            batch = self.collate_fn([self.dataset[i] for i in idx.tolist()])
            return _to(batch, self.device) if self.device is not None else batch
        arrays, index, on_host = self._fast_arrays()
        if not mapped:
            idx = idx if index is None else index[idx]
            idx = idx if on_host else backend.to_device(idx, backend.device_of(arrays[0]))
        return [Tensor._from_data(a[idx]) for a in arrays]  # one fancy index per tensor

    def __iter__(self):
        if self._iterable:
            yield from self._iter_stream()
            return
        if self.batch_size is None:
            for i in iter(self.sampler):
                batch = self.collate_fn(self.dataset[i])
                yield _to(batch, self.device) if self.device is not None else batch
            return
        if self.batch_sampler is not None:
            for indices in self.batch_sampler:
                yield self._batch(np.asarray(indices, dtype=np.int64))
            return
        order = self._epoch_order()
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            yield self._batch(order[start : start + self.batch_size], mapped=True)

    def _iter_stream(self):
        """An IterableDataset's samples, batched in the order they come."""
        it = iter(self.dataset)
        if self.batch_size is None:
            batches = ((sample,) for sample in it)
        else:
            batches = iter(lambda: list(itertools.islice(it, self.batch_size)), [])
        for samples in batches:
            if self.batch_size is None:
                batch = self.collate_fn(samples[0])
            elif len(samples) < self.batch_size and self.drop_last:
                return
            else:
                batch = self.collate_fn(samples)
            yield _to(batch, self.device) if self.device is not None else batch

    def stream(self, steps: int):
        """Exactly `steps` full batches, epoch after epoch: a batch that reaches the end of an
        epoch is completed from the start of the next one, in a fresh order (the way the
        original TensorFlow MNIST tutorial's `next_batch` worked). A minigrad extra."""
        if self.batch_sampler is not None or self.batch_size is None or self._iterable:
            raise ValueError("stream() draws batches of batch_size from the sampler; this loader has a "
                             "batch_sampler, batch_size=None or an IterableDataset instead")
        order, pos = self._epoch_order(), 0
        for _ in range(steps):
            parts, need = [], self.batch_size
            while need:
                if pos == len(order):
                    order, pos = self._epoch_order(), 0
                take = order[pos : pos + need]
                parts.append(take)
                pos, need = pos + len(take), need - len(take)
            idx = parts[0] if len(parts) == 1 else backend.get_array_module(order).concatenate(parts)
            yield self._batch(idx, mapped=True)

    def __repr__(self):
        n = len(self.dataset) if hasattr(self.dataset, "__len__") and not self._iterable else "?"
        return (f"DataLoader(len(dataset)={n}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, device={self.device!r})")


__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
           "default_collate", "default_convert", "get_worker_info", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DataLoader"]
