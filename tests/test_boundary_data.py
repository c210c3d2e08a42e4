"""PyTorch data-loading code ported with `import minigrad as torch`: map-style datasets returning
mixed samples, ConcatDataset, IterableDataset, the samplers and batch_size=None, compared with
torch.utils.data where torch is installed (orders drawn at random are minigrad's own)."""

from collections import namedtuple

import numpy as np
import pytest

import minigrad
from minigrad.utils import data as D

try:
    import torch
    from torch.utils import data as TD
except ImportError:
    torch = TD = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _describe(batch):
    """A library-neutral picture of a batch: containers, shapes, dtypes and values."""
    if hasattr(batch, "shape") and hasattr(batch, "dtype"):
        return ("T", tuple(batch.shape), str(batch.dtype).replace("torch.", ""), np.asarray(batch.tolist()).tolist())
    if isinstance(batch, dict):
        return {k: _describe(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return (type(batch).__name__, [_describe(v) for v in batch])
    return batch


def _datasets(lib, Dmod):
    class Pairs(Dmod.Dataset):  # (tensor, int)
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return lib.ones(3) * i, i

    class Arrays(Dmod.Dataset):  # (ndarray, 0-d ndarray)
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.full((2,), i, np.float32), np.array(i)

    class Dicts(Dmod.Dataset):  # a dict of mixed types, a nested tuple and a string
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": lib.ones(2) * i, "y": float(i), "name": f"s{i}", "t": (i, [i, i + 1])}

    return Pairs(), Arrays(), Dicts()


def _loader_pictures(lib, Dmod):
    out = []
    for ds in _datasets(lib, Dmod):
        for kw in (dict(batch_size=2), dict(batch_size=2, drop_last=True), dict(batch_size=None),
                   dict(batch_size=2, sampler=[4, 0, 2]), dict(batch_sampler=[[0, 1], [4]])):
            loader = Dmod.DataLoader(ds, **kw)
            out.append((len(loader), [_describe(b) for b in loader]))
    data = [(np.float32(i), i) for i in range(5)]
    out.append([_describe(b) for b in Dmod.DataLoader(data, batch_size=2)])
    cat = Dmod.ConcatDataset([Dmod.TensorDataset(lib.arange(3)), Dmod.TensorDataset(lib.arange(3, 5))])
    out.append((len(cat), _describe(cat[3]), _describe(cat[-1]), [_describe(b) for b in Dmod.DataLoader(cat, batch_size=2)]))
    pairs = _datasets(lib, Dmod)[0]
    out.append((len(pairs + pairs), _describe((pairs + pairs)[7])))
    return out


@needs_torch
def test_map_style_datasets_batch_as_torch():
    assert _loader_pictures(minigrad, D) == _loader_pictures(torch, TD)


def test_dict_and_tuple_samples_collate_field_by_field():
    _, _, dicts = _datasets(minigrad, D)
    batch = next(iter(D.DataLoader(dicts, batch_size=3)))
    assert batch["x"].shape == (3, 2) and batch["y"].dtype == minigrad.float64 and batch["name"] == ["s0", "s1", "s2"]
    assert batch["t"][0].tolist() == [0, 1, 2] and [t.tolist() for t in batch["t"][1]] == [[0, 1, 2], [1, 2, 3]]
    P = namedtuple("P", "a b")
    collated = D.default_collate([P(1, 2.0), P(3, 4.0)])
    assert isinstance(collated, P) and collated.a.tolist() == [1, 3]


def test_concat_dataset_and_its_errors():
    a, b = D.TensorDataset(minigrad.arange(3)), D.TensorDataset(minigrad.arange(10, 12))
    cat = a + b
    assert isinstance(cat, D.ConcatDataset) and len(cat) == 5 and cat.cumulative_sizes == [3, 5]
    assert [cat[i][0].item() for i in range(5)] == [0, 1, 2, 10, 11] and cat[-2][0].item() == 10
    with pytest.raises(IndexError):
        cat[5]
    with pytest.raises(ValueError, match="exceed"):
        cat[-6]
    with pytest.raises(ValueError, match="empty"):
        D.ConcatDataset([])


class Count(D.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


def test_iterable_dataset_batches_in_stream_order():
    assert [b.tolist() for b in D.DataLoader(Count(5), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert [b.tolist() for b in D.DataLoader(Count(5), batch_size=2, drop_last=True)] == [[0, 1], [2, 3]]
    assert [b for b in D.DataLoader(Count(3), batch_size=None)] == [0, 1, 2]
    loader = D.DataLoader(Count(5), batch_size=2, num_workers=2)
    assert [b.tolist() for b in loader] == [b.tolist() for b in loader]  # read afresh each epoch
    with pytest.raises(TypeError, match="no len"):
        len(loader)
    with pytest.raises(ValueError, match="shuffle"):
        D.DataLoader(Count(5), batch_size=2, shuffle=True)
    with pytest.raises(ValueError, match="sampler"):
        D.DataLoader(Count(5), sampler=[0, 1])
    with pytest.raises(TypeError, match="IterableDataset"):
        D.ConcatDataset([Count(2)])
    assert D.get_worker_info() is None

    class Sized(Count):
        def __len__(self):
            return self.n

    assert len(D.DataLoader(Sized(5), batch_size=2)) == 3


@needs_torch
def test_iterable_dataset_matches_torch():
    class TCount(TD.IterableDataset):
        def __iter__(self):
            return iter(range(7))

    for kw in (dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)):
        ours = [_describe(b) for b in D.DataLoader(Count(7), **kw)]
        assert ours == [_describe(b) for b in TD.DataLoader(TCount(), **kw)]


def test_batch_size_none_converts_arrays_and_keeps_the_rest():
    _, arrays, _ = _datasets(minigrad, D)
    loader = D.DataLoader(arrays, batch_size=None)
    first = next(iter(loader))
    assert isinstance(first, list) and isinstance(first[0], minigrad.Tensor) and first[0].shape == (2,)
    assert len(loader) == 5
    with pytest.raises(ValueError, match="drop_last"):
        D.DataLoader(arrays, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="positive integer"):
        D.DataLoader(arrays, batch_size=0)


def test_samplers():
    g = minigrad.Generator(0)
    assert sorted(D.RandomSampler(range(5), generator=g)) == [0, 1, 2, 3, 4]
    eight = list(D.RandomSampler(range(5), num_samples=8, generator=g))
    assert len(eight) == 8 and sorted(eight[:5]) == [0, 1, 2, 3, 4] and len(set(eight[5:])) == 3
    drawn = list(D.RandomSampler(range(3), replacement=True, num_samples=50, generator=g))
    assert len(drawn) == 50 and set(drawn) == {0, 1, 2}
    assert len(D.RandomSampler(range(5), replacement=True, num_samples=8)) == 8
    with pytest.raises(ValueError, match="num_samples"):
        D.RandomSampler(range(5), num_samples=0)
    with pytest.raises(TypeError, match="replacement"):
        D.RandomSampler(range(5), replacement=1)
    assert sorted(D.SubsetRandomSampler([7, 2, 5], generator=g)) == [2, 5, 7]
    w = list(D.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200, generator=g))
    assert set(w) == {1, 3} and 100 < w.count(3) < 190
    assert sorted(D.WeightedRandomSampler([1, 1, 1], 3, replacement=False, generator=g)) == [0, 1, 2]
    with pytest.raises(ValueError, match="without replacement"):
        D.WeightedRandomSampler([1, 0, 1], 3, replacement=False)
    with pytest.raises(ValueError, match="1d"):
        D.WeightedRandomSampler([[1, 1]], 2)
    loader = D.DataLoader(D.TensorDataset(minigrad.arange(10)), batch_size=4,
                          sampler=D.SubsetRandomSampler([1, 3, 5, 7, 9], generator=g))
    assert len(loader) == 2 and sorted(sum((b[0].tolist() for b in loader), [])) == [1, 3, 5, 7, 9]


@needs_torch
def test_sampler_lengths_match_torch():
    for make in (lambda M: M.RandomSampler(range(5), num_samples=8), lambda M: M.RandomSampler(range(5)),
                 lambda M: M.SubsetRandomSampler([1, 4]), lambda M: M.WeightedRandomSampler([1.0, 2.0], 7)):
        assert len(make(D)) == len(make(TD)) and len(list(make(D))) == len(list(make(TD)))
