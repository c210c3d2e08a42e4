"""minigrad.utils.data: datasets, collate, samplers, the DataLoader's fast path against its slow
path, and torch.utils.data's behaviour where a user could notice (parity tests skip without torch)."""

import collections

import numpy as np
import pytest

import minigrad
from minigrad.utils import data
from minigrad.utils.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split


def columns(n=23):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 2, 3)).astype(np.float32), np.arange(n) * 10


class Pairs(Dataset):
    """The same samples as TensorDataset(*columns()), read one by one (the slow path)."""

    def __init__(self, x, y):
        self.x, self.y, self.reads = x, y, 0

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        self.reads += 1
        return minigrad.tensor(self.x[i]), minigrad.tensor(self.y[i])


def test_tensor_dataset_items_and_errors():
    x, y = columns(5)
    ds = TensorDataset(minigrad.tensor(x), minigrad.tensor(y))
    assert len(ds) == 5
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi.numpy(), x[3])
    assert yi.item() == 30
    with pytest.raises(ValueError, match=r"Size mismatch.*\(5, 2, 3\).*\(4,\)"):
        TensorDataset(minigrad.tensor(x), minigrad.tensor(y[:4]))
    with pytest.raises(TypeError, match="first"):
        TensorDataset(minigrad.tensor(1.0))


@pytest.mark.parametrize("shuffle,drop_last,batch_size", [(False, False, 4), (True, False, 5), (True, True, 6),
                                                           (False, True, 23), (True, False, 30)])
def test_fast_path_gives_the_slow_paths_batches(shuffle, drop_last, batch_size):
    x, y = columns()
    slow_ds = Pairs(x, y)
    fast = DataLoader(TensorDataset(x, y), batch_size, shuffle, drop_last=drop_last, generator=minigrad.Generator(3))
    slow = DataLoader(slow_ds, batch_size, shuffle, drop_last=drop_last, generator=minigrad.Generator(3))
    assert len(fast) == len(slow)
    for _ in range(2):  # two epochs: each a fresh order, the same in both
        a, b = list(fast), list(slow)
        assert len(a) == len(b) == len(fast)
        for (xa, ya), (xb, yb) in zip(a, b):
            np.testing.assert_array_equal(xa.numpy(), xb.numpy())
            np.testing.assert_array_equal(ya.numpy(), yb.numpy())
            assert xa.dtype == xb.dtype == minigrad.float32 and ya.dtype == yb.dtype == minigrad.int64
    assert slow_ds.reads == 2 * sum(len(b[1]) for b in b)


def test_fast_path_reads_no_sample_one_by_one(monkeypatch):
    """TensorDataset (and Subsets of it) are sliced batch by batch: neither __getitem__ nor the
    collate function runs per sample. A subclass with its own __getitem__ is read through it."""
    def boom(*args):
        raise AssertionError("read sample by sample")

    x, y = columns()
    monkeypatch.setattr(data, "default_collate", boom)

    class Counting(TensorDataset):
        calls = 0

        def __getitem__(self, i):
            Counting.calls += 1
            return super().__getitem__(i)

    monkeypatch.setattr(data, "default_collate", boom)
    ds = TensorDataset(x, y)
    nested = Subset(Subset(ds, range(3, 20)), [5, 0, 7, 7, 2])
    batches = list(DataLoader(nested, batch_size=2))
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), y[3:20][[5, 0, 7, 7, 2]])
    with pytest.raises(AssertionError, match="sample by sample"):
        list(DataLoader(Counting(x, y), batch_size=4))
    assert Counting.calls == 4


def test_subset_and_random_split():
    x, y = columns(10)
    ds = TensorDataset(x, y)
    parts = random_split(ds, [3, 3, 4], generator=minigrad.Generator(1))
    assert [len(p) for p in parts] == [3, 3, 4]
    got = sorted(int(p[i][1].item()) for p in parts for i in range(len(p)))
    assert got == list(y)  # every sample once
    again = random_split(ds, [3, 3, 4], generator=minigrad.Generator(1))
    assert [p.indices for p in parts] == [p.indices for p in again]
    assert [len(p) for p in random_split(ds, [0.5, 0.5])] == [5, 5]
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(ds, [3, 3])


@pytest.mark.filterwarnings("ignore:Length of split:UserWarning")  # torch warns of an empty split on purpose
@pytest.mark.parametrize("n,fractions", [(10, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (7, [0.1, 0.2, 0.7]),
                                         (100, [0.33, 0.33, 0.34]), (5, [1.0, 0.0])])
def test_random_split_fraction_sizes_match_torch(n, fractions):
    torch = pytest.importorskip("torch")
    ours = [len(p) for p in random_split(TensorDataset(np.zeros((n, 1))), fractions)]
    theirs = [len(p) for p in torch.utils.data.random_split(torch.utils.data.TensorDataset(torch.zeros(n, 1)),
                                                             fractions)]
    assert ours == theirs


Point = collections.namedtuple("Point", "x y")


def collate_cases(lib):
    t = lib.tensor
    return [
        [t([1.0, 2.0]), t([3.0, 4.0])],
        [(t([1.0]), 3), (t([2.0]), 4)],
        [{"a": 0.5, "b": t([1, 2])}, {"a": 1.5, "b": t([3, 4])}],
        [Point(1.0, True), Point(2.0, False)],
        [np.zeros((2, 2), np.float32), np.ones((2, 2), np.float32)],
        [np.float32(1.5), np.float32(2.5)],
        [[1, 2.5], [3, 4.5]],
        [("a", 1), ("b", 2)],
    ]


def flatten(out):
    """(kind, dtype name, values) leaves of a collated batch, in order."""
    if isinstance(out, dict):
        return [("dict", k, None) for k in out] + [leaf for v in out.values() for leaf in flatten(v)]
    if isinstance(out, (list, tuple)) and not isinstance(out, str):
        return [(type(out).__name__, len(out), None)] + [leaf for v in out for leaf in flatten(v)]
    if hasattr(out, "numpy"):
        return [("tensor", str(out.dtype).replace("torch.", "").replace("minigrad.", ""), out.numpy().tolist())]
    return [("other", repr(out), None)]


@pytest.mark.parametrize("case", range(8))
def test_default_collate_matches_torch(case):
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    ours, theirs = default_collate(collate_cases(minigrad)[case]), torch_collate(collate_cases(torch)[case])
    assert flatten(ours) == flatten(theirs)


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])


def test_loader_arguments_as_torch():
    x, y = columns(10)
    ds = TensorDataset(x, y)
    loader = DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True)  # accepted, runs in-process
    assert len(loader) == 3 and len(loader.dataset) == 10 and loader.dataset is ds
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, shuffle=True, sampler=[0, 1])
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=0)


def test_sampler_list_and_custom_collate():
    x, y = columns(10)
    order = [9, 0, 4, 4, 1]
    loader = DataLoader(TensorDataset(x, y), batch_size=2, sampler=order)
    assert len(loader) == 3
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in loader]), y[order])
    sums = DataLoader(TensorDataset(x, y), batch_size=5, collate_fn=lambda s: sum(int(b.item()) for _, b in s))
    assert list(sums) == [100, 350]


def test_dict_samples_and_plain_lists():
    class Dicts(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": minigrad.full((2,), float(i)), "label": i}

    (first, second, last) = DataLoader(Dicts(), batch_size=2)
    assert first["label"].tolist() == [0, 1] and last["x"].shape == (1, 2)
    batches = list(DataLoader([(1.0, 2), (3.0, 4), (5.0, 6)], batch_size=2))  # a list is a dataset too
    assert batches[0][0].dtype == minigrad.float64 and batches[0][1].tolist() == [2, 4]


def test_empty_dataset():
    empty = TensorDataset(np.zeros((0, 2)))
    assert list(DataLoader(empty, batch_size=2)) == [] and len(DataLoader(empty)) == 0
    with pytest.raises(ValueError, match="num_samples"):
        DataLoader(empty, shuffle=True)


def test_fresh_order_each_epoch_and_seeded():
    x, y = columns(40)
    a = DataLoader(TensorDataset(x, y), batch_size=40, shuffle=True, generator=minigrad.Generator(0))
    b = DataLoader(TensorDataset(x, y), batch_size=40, shuffle=True, generator=minigrad.Generator(0))
    (_, e1), = a
    (_, e2), = a
    assert not np.array_equal(e1.numpy(), e2.numpy())
    assert [t.tolist() for _, t in b] == [e1.tolist()] and [t.tolist() for _, t in b] == [e2.tolist()]


def test_generator_with_torch_style_manual_seed():
    g = minigrad.Generator()
    g.manual_seed(42)
    x, y = columns(8)
    first = [t.tolist() for _, t in DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, generator=g)]
    g.manual_seed(42)
    assert first == [t.tolist() for _, t in DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, generator=g)]


def test_batches_on_the_loaders_device(device):
    x, y = columns(9)
    for ds in (TensorDataset(x, y), Pairs(x, y)):
        loader = DataLoader(ds, batch_size=4, shuffle=True, device=minigrad.device(device))
        for xb, yb in loader:
            assert xb.device == device and yb.device == device
            np.testing.assert_array_equal(xb.numpy(), x[yb.numpy() // 10])


def test_mnist_dataset_is_a_tensor_dataset_without_a_copy():
    from minigrad.datasets import load_mnist_sample

    mnist = load_mnist_sample()
    val = mnist.dataset("val", flatten=True)
    assert isinstance(val, TensorDataset) and len(val) == len(mnist.val_labels) and val.tensors[0].shape == (len(val), 784)
    assert np.shares_memory(val.tensors[0].array, mnist.val_images)
    xb, yb = next(iter(DataLoader(mnist.dataset("train"), batch_size=64, shuffle=True)))
    assert xb.shape == (64, 28, 28) and yb.dtype == minigrad.int64
    with pytest.raises(ValueError, match="split"):
        mnist.dataset("training")


def test_batch_sampler_and_worker_options():
    x, y = columns(10)
    ds = TensorDataset(x, y)
    batches = [[9, 1, 1], [0], [4, 5]]
    loader = DataLoader(ds, batch_sampler=batches)
    assert len(loader) == 3 and [b[1].tolist() for b in loader] == [[90, 10, 10], [0], [40, 50]]
    slow = DataLoader(Pairs(x, y), batch_sampler=data.BatchSampler(data.SequentialSampler(ds), 4, drop_last=True))
    assert len(slow) == 2 and [b[1].tolist() for b in slow] == [[0, 10, 20, 30], [40, 50, 60, 70]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, batch_sampler=batches, batch_size=4)
    with pytest.raises(ValueError, match="batch_sampler"):
        next(loader.stream(1))
    loader = DataLoader(ds, batch_size=5, num_workers=2, persistent_workers=True, prefetch_factor=2, timeout=5,
                        worker_init_fn=lambda i: None, pin_memory=True)  # worker options: accepted, unused
    assert [len(b[1]) for b in loader] == [5, 5]


def test_batch_sampler_matches_torch():
    torch = pytest.importorskip("torch")
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)]:
        ours = data.BatchSampler(range(n), bs, drop)
        theirs = torch.utils.data.BatchSampler(range(n), bs, drop)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
