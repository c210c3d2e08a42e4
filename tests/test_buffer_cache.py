"""The per-layer buffer caches (minigrad/_scratch.py): a buffer is reused only when nothing else
refers to it, so outputs, gradients and retained graphs the user still holds are never
overwritten; a training step in steady state allocates no new cached buffers."""

import numpy as np

import minigrad
import minigrad.nn.functional as F
from minigrad import nn, optim
from minigrad import _scratch

BIG = (64, 1024)  # 256 KiB of float32: above the cache's size threshold


def test_free_buffer_is_reused_and_a_referenced_one_never():
    cache = _scratch.Cache()
    a = _scratch.empty(cache, np, BIG, np.float32)
    b = _scratch.empty(cache, np, BIG, np.float32)
    assert a is not b  # `a` is still referenced
    view = a[3:]
    del a
    c = _scratch.empty(cache, np, BIG, np.float32)
    assert c is not b and not np.shares_memory(c, view)  # a view keeps its base busy
    del view
    d = _scratch.empty(cache, np, BIG, np.float32)
    assert not np.shares_memory(d, b) and not np.shares_memory(d, c)
    freed_id = id(d.base)
    del d
    assert id(_scratch.empty(cache, np, BIG, np.float32).base) == freed_id  # now free: reused
    # kept by size: a free buffer serves another shape and dtype of the same byte count
    del b
    e = _scratch.empty(cache, np, (BIG[1], BIG[0] // 2), np.float64)
    assert e.shape == (BIG[1], BIG[0] // 2) and e.dtype == np.float64 and len(cache.bufs) == 1


def test_layers_share_one_cache_that_goes_with_the_last_layer(monkeypatch):
    import gc
    import weakref

    monkeypatch.setattr(_scratch, "_shared", None)  # layers made by other tests keep theirs
    a, b = nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)
    assert a._buffer_cache is b._buffer_cache is _scratch.shared()
    ref = weakref.ref(a._buffer_cache)
    del a, b
    gc.collect()
    assert ref() is None


def test_small_arrays_and_no_cache_allocate_fresh():
    cache = _scratch.Cache()
    _scratch.empty(cache, np, (4, 4), np.float32)
    _scratch.empty(None, np, BIG, np.float32)
    assert cache.bufs == {}


def _model_and_batch(seed=0):
    minigrad.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 8 * 8, 10))
    rng = np.random.default_rng(seed)
    x = minigrad.tensor(rng.standard_normal((16, 3, 32, 32)).astype(np.float32), requires_grad=True)
    y = minigrad.tensor(rng.integers(0, 10, 16))
    return model, x, y


def _grads(model, x):
    return [p.grad.numpy().copy() for p in model.parameters()] + [x.grad.numpy().copy()]


def test_outputs_and_grads_held_by_the_user_survive_later_steps():
    model, x, y = _model_and_batch()
    h1 = model[:4](x)
    kept = h1.numpy().copy()
    loss = F.cross_entropy(model[4:](h1), y)
    loss.backward()
    g_kept = [g.copy() for g in _grads(model, x)]
    held_grads = [p.grad for p in model.parameters()] + [x.grad]
    for _ in range(3):  # more steps on other data: they must not write into what we hold
        model.zero_grad()
        x2 = minigrad.tensor(np.random.default_rng(5).standard_normal((16, 3, 32, 32)).astype(np.float32))
        F.cross_entropy(model(x2), y).backward()
    np.testing.assert_array_equal(h1.numpy(), kept)
    for g, before in zip(held_grads, g_kept):
        np.testing.assert_array_equal(g.numpy(), before)


def test_retained_graph_is_not_overwritten_by_another_forward():
    """A graph kept alive (retain_graph) holds its column buffers: a second forward through the
    same layers must not reuse them, so backward through the first graph stays exact."""
    model, x, y = _model_and_batch()
    loss1 = F.cross_entropy(model(x), y)
    loss1.backward(retain_graph=True)
    expected = _grads(model, x)
    model.zero_grad()
    x.grad = None
    other = minigrad.tensor(np.random.default_rng(7).standard_normal((16, 3, 32, 32)).astype(np.float32))
    F.cross_entropy(model(other), y).backward()  # same shapes: would reuse the buffers if it could
    model.zero_grad()
    x.grad = None
    loss1.backward()
    for got, want in zip(_grads(model, x), expected):
        np.testing.assert_array_equal(got, want)


def test_steady_state_step_allocates_no_new_cached_buffers_and_matches_uncached():
    model, x, y = _model_and_batch()
    ref, _, _ = _model_and_batch()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    caches = list({id(m._buffer_cache): m._buffer_cache for m in model.modules()
                   if hasattr(m, "_buffer_cache")}.values())
    counts = []
    for step in range(3):
        for m in ref.modules():  # the reference gets empty caches every step: all fresh arrays
            if hasattr(m, "_buffer_cache"):
                m._buffer_cache = _scratch.Cache()
        for m, o in ((model, opt), (ref, ref_opt)):
            o.zero_grad()
            x.grad = None
            F.cross_entropy(m(x), y).backward()
            o.step()
        counts.append(sum(len(v) for c in caches for v in c.bufs.values()))
    assert counts[0] > 0 and counts[1] == counts[2]  # filled by step 1, no growth after step 2
    # same arithmetic, so the same weights to the bit
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_pickling_or_deep_copying_a_model_leaves_the_scratch_memory_behind():
    """`torch.save(model)`-style pickling and `copy.deepcopy(model)` (an EMA or best-so-far copy)
    must not carry the MiB of work arrays the layers' cache holds after a step."""
    import copy
    import pickle

    model, x, y = _model_and_batch()
    F.cross_entropy(model(x), y).backward()
    cache = next(m._buffer_cache for m in model.modules() if hasattr(m, "_buffer_cache"))
    held = sum(b.nbytes for bufs in cache.bufs.values() for b in bufs)
    params = sum(p.numpy().nbytes for p in model.parameters())
    assert held > 4 * params  # the cache is large next to the model itself
    blob = pickle.dumps(model)
    assert len(blob) < 2 * params + 200_000
    for clone in (pickle.loads(blob), copy.deepcopy(model)):
        clone.eval()
        model.eval()
        np.testing.assert_array_equal(clone(x).numpy(), model(x).numpy())
        model.train()
        clone.train()
        F.cross_entropy(clone(x), y).backward()  # the copy trains, with the shared cache
        assert all(p.grad is not None for p in clone.parameters())
