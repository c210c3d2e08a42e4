"""DataLoader: batching, seeded shuffling, drop_last, the endless stream, device placement."""

import numpy as np
import pytest

import minigrad
from minigrad.datasets import DataLoader


def data(n, features=3):
    x = np.arange(n * features, dtype=np.float32).reshape(n, features)
    return x, np.arange(n)  # label i belongs to row i


def epoch_indices(loader):
    return np.concatenate([yb.numpy() for _, yb in loader])


def test_batches_in_order_without_shuffle():
    x, y = data(10)
    batches = list(DataLoader((x, y), batch_size=4))
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), x)


@pytest.mark.parametrize("n,batch_size", [(10, 3), (60, 60), (61, 60), (7, 10)])
def test_shuffled_epoch_is_a_permutation_and_rows_stay_paired(n, batch_size):
    x, y = data(n)
    loader = DataLoader((x, y), batch_size=batch_size, shuffle=True, generator=minigrad.Generator(1))
    for xb, yb in loader:
        np.testing.assert_array_equal(xb.numpy(), x[yb.numpy()])  # image i with label i
        assert xb.dtype == minigrad.float32 and yb.dtype == minigrad.int64
    assert sorted(epoch_indices(loader)) == list(range(n))


def test_fresh_shuffle_each_epoch_reproducible_by_seed():
    x, y = data(50)
    a = DataLoader((x, y), batch_size=8, shuffle=True, generator=minigrad.Generator(7))
    b = DataLoader((x, y), batch_size=8, shuffle=True, generator=minigrad.Generator(7))
    first, second = epoch_indices(a), epoch_indices(a)
    assert not np.array_equal(first, second)  # a new order every epoch
    assert not np.array_equal(first, np.arange(50))
    np.testing.assert_array_equal(epoch_indices(b), first)  # same seed, same orders
    np.testing.assert_array_equal(epoch_indices(b), second)


def test_default_generator_follows_manual_seed():
    x, y = data(30)
    minigrad.manual_seed(3)
    first = epoch_indices(DataLoader((x, y), batch_size=5, shuffle=True))
    minigrad.manual_seed(3)
    np.testing.assert_array_equal(epoch_indices(DataLoader((x, y), batch_size=5, shuffle=True)), first)


@pytest.mark.parametrize("shuffle", [False, True])
def test_drop_last_never_yields_a_short_batch(shuffle):
    """R1.6: 60,001 samples in batches of 60 would end with a batch of one, which breaks
    BatchNorm in training; drop_last skips it."""
    x, y = np.zeros((60001, 1), np.float32), np.arange(60001)
    loader = DataLoader((x, y), batch_size=60, shuffle=shuffle, drop_last=True)
    sizes = [len(yb) for _, yb in loader]
    assert len(loader) == len(sizes) == 1000 and set(sizes) == {60}
    keep = DataLoader((x, y), batch_size=60, shuffle=shuffle)
    assert len(keep) == 1001 and [len(yb) for _, yb in keep][-1] == 1


def test_stream_runs_across_epoch_ends():
    """Batches are always full; each epoch's samples are used exactly once, in a fresh order,
    and the batch that straddles an epoch end takes the rest from the next epoch."""
    x, y = data(10)
    loader = DataLoader((x, y), batch_size=4, shuffle=True, generator=minigrad.Generator(0))
    batches = [yb.numpy() for _, yb in loader.stream(15)]  # 60 samples = 6 epochs
    assert all(len(b) == 4 for b in batches)
    flat = np.concatenate(batches)
    epochs = flat.reshape(6, 10)
    for e in epochs:
        assert sorted(e) == list(range(10))
    assert len({tuple(e) for e in epochs}) > 1
    assert batches[2][:2].tolist() == epochs[0][8:].tolist()  # the straddling batch


def test_stream_same_orders_as_epochs():
    x, y = data(12)
    a = DataLoader((x, y), batch_size=4, shuffle=True, generator=minigrad.Generator(5))
    b = DataLoader((x, y), batch_size=4, shuffle=True, generator=minigrad.Generator(5))
    streamed = np.concatenate([yb.numpy() for _, yb in a.stream(6)])
    np.testing.assert_array_equal(streamed, np.concatenate([epoch_indices(b), epoch_indices(b)]))


def test_batches_live_on_the_device(device):
    x, y = data(9)
    loader = DataLoader((x, y), batch_size=4, shuffle=True, device=device)
    for xb, yb in loader:
        assert xb.device == device and yb.device == device
        np.testing.assert_array_equal(xb.numpy(), x[yb.numpy()])
    _, yb = next(iter(loader.stream(5)))
    assert yb.device == device


def test_accepts_tensors():
    x, y = data(6)
    (xb, yb), = DataLoader((minigrad.tensor(x), minigrad.tensor(y)), batch_size=6)
    np.testing.assert_array_equal(xb.numpy(), x)


@pytest.mark.parametrize("arrays,kwargs,error,match", [
    ((np.zeros((5, 2)), np.zeros(4)), {}, ValueError, r"different lengths.*\(5, 2\).*\(4,\)"),
    ((np.zeros((5, 2)),), {"batch_size": 0}, ValueError, "batch_size"),
    ((np.zeros((0, 2)),), {}, ValueError, "at least one sample"),
    ((np.float32(3),), {}, TypeError, "first"),
    ((np.zeros(3),), {"device": "tpu"}, ValueError, "tpu"),
])
def test_bad_arguments(arrays, kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(arrays, **kwargs)
