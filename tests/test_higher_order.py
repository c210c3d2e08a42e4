"""Higher-order gradients: backward(create_graph=True), autograd.grad, gradgradcheck.

Every op-table case (tests/test_ops.py) is checked twice: gradgradcheck against float64 finite
differences of the gradient, on every device, and double-backward parity with PyTorch's
torch.autograd.grad(create_graph=True) in float64 to 1e-8."""

import gc
import weakref

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import grad
from minigrad.testing import gradgradcheck
from test_ops import CASES, IDS

try:
    import torch
except ImportError:  # the parity tests skip; everything else runs
    torch = None

# ops whose backward is not yet written so that it can be recorded: they must raise clearly
UNSUPPORTED = ()  # (none left in the table; see test_unsupported_einsum_raises)


def _supported(case):
    return not case.id.startswith(UNSUPPORTED)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradgradcheck_every_op(case, device):
    xs = [mg.tensor(a, device=device, requires_grad=True) for a in case.inputs()]
    if not _supported(case):
        with pytest.raises(NotImplementedError, match="has no double backward"):
            gradgradcheck(case.fn, *xs)
        return
    assert gradgradcheck(case.fn, *xs)


def _second_order(fn, xs, v, ws, lib_grad, wrap):
    """sum_i <d/dx_i <fn(x), v>, w_i>, differentiated again: the vector of H-products."""
    y = fn(*xs)
    gs = lib_grad(y, xs, wrap(v), create_graph=True, allow_unused=True)
    terms = [(g * wrap(w)).sum() for g, w in zip(gs, ws) if g is not None and g.requires_grad]
    if not terms:
        return [None] * len(xs)
    s = terms[0]
    for t in terms[1:]:
        s = s + t
    return lib_grad(s, xs, allow_unused=True)


@pytest.mark.parametrize("case", [c for c in CASES if _supported(c)], ids=[c.id for c in CASES if _supported(c)])
def test_double_backward_matches_torch(case):
    pytest.importorskip("torch")
    arrays = case.inputs()
    rng = np.random.default_rng(1)
    xs = [mg.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    v = rng.standard_normal(case.fn(*xs).shape)
    ws = [rng.standard_normal(a.shape) for a in arrays]
    hs = _second_order(case.fn, xs, v, ws, grad, mg.tensor)
    ths = _second_order(case.torch_fn or case.fn, ts, v, ws, torch.autograd.grad, torch.tensor)
    for i, (h, th) in enumerate(zip(hs, ths)):
        a = np.zeros(arrays[i].shape) if h is None else h.numpy()
        b = np.zeros(arrays[i].shape) if th is None else th.detach().numpy(force=True)
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-8, err_msg=f"input {i}")


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "exp", "sin", "log"])
def test_third_derivatives_match_torch(name):
    pytest.importorskip("torch")
    a = np.random.default_rng(0).uniform(0.5, 2.0, 5)
    res = []
    for lib, g, x in [(mg, grad, mg.tensor(a, requires_grad=True)),
                      (torch, torch.autograd.grad, torch.tensor(a, requires_grad=True))]:
        y = getattr(x, name)().sum()
        (d1,) = g(y, x, create_graph=True)
        (d2,) = g(d1.sum(), x, create_graph=True)
        (d3,) = g(d2.sum(), x)
        res.append(d3.detach().numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-10, atol=1e-12)


def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = mg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    (gx,) = grad((x * w).sum(), x)
    np.testing.assert_array_equal(gx.numpy(), w.numpy())
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad  # create_graph=False: a plain constant


def test_grad_unused_input_raises_unless_allowed():
    x = mg.tensor([1.0], requires_grad=True)
    u = mg.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not used"):
        grad((x * 2).sum(), [x, u])
    gx, gu = grad((x * 2).sum(), [x, u], allow_unused=True)
    assert gu is None and gx.item() == 2.0


def test_grad_retain_graph_defaults_to_create_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    grad(y, x)  # frees the graph
    with pytest.raises(RuntimeError, match="second time"):
        grad(y, x)
    y = (x * x).sum()
    grad(y, x, create_graph=True)
    (g,) = grad(y, x)  # still there
    np.testing.assert_array_equal(g.numpy(), [2.0, 4.0])


def test_grad_of_a_non_leaf_input():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    (gh,) = grad((h * h).sum(), h)
    np.testing.assert_array_equal(gh.numpy(), 2 * h.detach().numpy())


def test_backward_inputs_restricts_which_leaves_get_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0])


def test_backward_create_graph_gives_a_differentiable_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


def test_first_order_backward_keeps_no_graph():
    """create_graph=False: the gradients are plain constants and the graph is freed."""
    x = mg.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    y = (x.tanh() @ x.T).softmax(-1)
    fn = weakref.ref(y._ctx)
    y.backward(mg.tensor(np.ones((4, 4))))
    assert x.grad._ctx is None and not x.grad.requires_grad
    assert y._ctx.__dict__ == {}  # saved arrays and inputs released
    del y
    gc.collect()
    assert fn() is None


def test_create_graph_keeps_a_graph_behind_grad():
    x = mg.tensor([0.5, 1.0], requires_grad=True)
    (g,) = grad(x.tanh().sum(), x, create_graph=True)
    assert g._ctx is not None and g.requires_grad


def test_hooks_see_tensors_in_create_graph_mode():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    seen = []
    h.register_hook(lambda g: seen.append(g.requires_grad))
    (g,) = grad((h * x).sum(), x, create_graph=True)
    assert seen == [True]
    (gg,) = grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * x.detach().numpy())


# ***** layers and losses: gradgradcheck on every device, parity with torch *****

import minigrad.nn.functional as F  # noqa: E402


def _rng_tensor(rng, shape, device="cpu", scale=1.0):
    return mg.tensor(rng.standard_normal(shape) * scale, device=device, requires_grad=True)


# (id, shapes, minigrad fn, torch fn); every input is float64 and requires grad
LAYERS = [
    ("linear", ((4, 3), (5, 3), (5,)), lambda x, w, b: F.linear(x, w, b),
     lambda x, w, b: torch.nn.functional.linear(x, w, b)),
    ("linear_no_bias_3d", ((2, 4, 3), (5, 3)), lambda x, w: F.linear(x, w),
     lambda x, w: torch.nn.functional.linear(x, w)),
    ("batch_norm_train_2d", ((6, 3), (3,), (3,)),
     lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True),
     lambda x, g, b: torch.nn.functional.batch_norm(x, None, None, g, b, training=True)),
    ("batch_norm_train_4d", ((3, 2, 2, 2), (2,), (2,)),
     lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True),
     lambda x, g, b: torch.nn.functional.batch_norm(x, None, None, g, b, training=True)),
    ("batch_norm_eval", ((4, 3), (3,), (3,)),
     lambda x, g, b: F.batch_norm(x, _stat(x, 0.2), _stat(x, 1.5), g, b, training=False),
     lambda x, g, b: torch.nn.functional.batch_norm(x, _tstat(0.2), _tstat(1.5), g, b, training=False)),
    ("layer_norm", ((3, 4), (4,), (4,)), lambda x, w, b: F.layer_norm(x, (4,), w, b),
     lambda x, w, b: torch.nn.functional.layer_norm(x, (4,), w, b)),
    ("layer_norm_no_affine", ((2, 3, 4),), lambda x: F.layer_norm(x, (3, 4)),
     lambda x: torch.nn.functional.layer_norm(x, (3, 4))),
    ("cross_entropy_mean", ((4, 5),), lambda x: F.cross_entropy(x, _labels(x)),
     lambda x: torch.nn.functional.cross_entropy(x, torch.tensor([0, 3, 1, 3]))),
    ("cross_entropy_sum", ((4, 5),), lambda x: F.cross_entropy(x, _labels(x), reduction="sum"),
     lambda x: torch.nn.functional.cross_entropy(x, torch.tensor([0, 3, 1, 3]), reduction="sum")),
    ("cross_entropy_none", ((4, 5),), lambda x: F.cross_entropy(x, _labels(x), reduction="none"),
     lambda x: torch.nn.functional.cross_entropy(x, torch.tensor([0, 3, 1, 3]), reduction="none")),
    ("gelu_tanh", ((3, 4),), lambda x: F.gelu(x, approximate="tanh"),
     lambda x: torch.nn.functional.gelu(x, approximate="tanh")),
    ("conv2d", ((2, 2, 5, 5), (3, 2, 3, 3), (3,)), lambda x, w, b: F.conv2d(x, w, b),
     lambda x, w, b: torch.nn.functional.conv2d(x, w, b)),
    ("conv2d_stride_pad_dilation", ((1, 2, 6, 5), (2, 2, 2, 3)),
     lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=(2, 1)),
     lambda x, w: torch.nn.functional.conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=(2, 1))),
    ("conv2d_groups_same", ((1, 4, 4, 4), (6, 2, 3, 3), (6,)),
     lambda x, w, b: F.conv2d(x, w, b, padding="same", groups=2),
     lambda x, w, b: torch.nn.functional.conv2d(x, w, b, padding="same", groups=2)),
    ("conv2d_unbatched", ((2, 4, 4), (1, 2, 3, 3)), lambda x, w: F.conv2d(x, w, padding=1),
     lambda x, w: torch.nn.functional.conv2d(x, w, padding=1)),
    ("max_pool2d", ((1, 2, 4, 4),), lambda x: F.max_pool2d(x, 2),
     lambda x: torch.nn.functional.max_pool2d(x, 2)),
    ("max_pool2d_overlap_pad", ((1, 2, 5, 5),), lambda x: F.max_pool2d(x, 3, stride=2, padding=1),
     lambda x: torch.nn.functional.max_pool2d(x, 3, stride=2, padding=1)),
    ("avg_pool2d", ((1, 2, 5, 5),), lambda x: F.avg_pool2d(x, 3, stride=2, padding=1),
     lambda x: torch.nn.functional.avg_pool2d(x, 3, stride=2, padding=1)),
    ("adaptive_avg_pool2d", ((1, 2, 5, 7),), lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
     lambda x: torch.nn.functional.adaptive_avg_pool2d(x, (2, 3))),
    ("cnn_pool_square", ((2, 1, 6, 6), (2, 1, 3, 3)),
     lambda x, w: F.max_pool2d(F.conv2d(x, w, padding=1).tanh(), 2) ** 2,
     lambda x, w: torch.nn.functional.max_pool2d(torch.nn.functional.conv2d(x, w, padding=1).tanh(), 2) ** 2),
    ("dropout", ((3, 4),), lambda x: _seeded_dropout(x) * x, None),
    ("bce", ((3, 4), (3, 4)), lambda p, y: F.binary_cross_entropy(p.sigmoid(), y.sigmoid()),
     lambda p, y: torch.nn.functional.binary_cross_entropy(p.sigmoid(), y.sigmoid())),
    ("bce_with_logits", ((3, 4), (3, 4)), lambda x, y: F.binary_cross_entropy_with_logits(x, y.sigmoid()),
     lambda x, y: torch.nn.functional.binary_cross_entropy_with_logits(x, y.sigmoid())),
    ("embedding", ((5, 3),), lambda w: F.embedding(mg.tensor([[0, 2], [2, 4]], device=w.device), w) ** 2,
     lambda w: torch.nn.functional.embedding(torch.tensor([[0, 2], [2, 4]]), w) ** 2),
    ("embedding_padding_idx", ((5, 3),),
     lambda w: F.embedding(mg.tensor([[0, 2], [2, 4]], device=w.device), w, padding_idx=2) ** 2,
     lambda w: torch.nn.functional.embedding(torch.tensor([[0, 2], [2, 4]]), w, padding_idx=2) ** 2),
    ("gelu_erf", ((3, 4),), lambda x: F.gelu(x) * x, lambda x: torch.nn.functional.gelu(x) * x),
    ("mlp_bn_tanh_sigmoid", ((6, 3), (4, 3), (4,), (4,)),
     lambda x, w, g, b: F.batch_norm(F.linear(x, w), None, None, g, b, training=True).tanh().sigmoid(),
     lambda x, w, g, b: torch.nn.functional.batch_norm(torch.nn.functional.linear(x, w), None, None, g, b,
                                                       training=True).tanh().sigmoid()),
]


def _seeded_dropout(x):  # the same mask at every call, so finite differences see one function
    mg.manual_seed(0)
    return F.dropout(x, 0.5)


def _stat(x, v):
    return mg.tensor(np.linspace(v, v + 0.5, x.shape[1]), device=x.device)


def _tstat(v):
    return torch.tensor(np.linspace(v, v + 0.5, 3))


def _labels(x):
    return mg.tensor([0, 3, 1, 3], device=x.device)


@pytest.mark.parametrize("layer", LAYERS, ids=[c[0] for c in LAYERS])
def test_gradgradcheck_layers(layer, device):
    _, shapes, fn, _ = layer
    rng = np.random.default_rng(0)
    xs = [_rng_tensor(rng, s, device) for s in shapes]
    assert gradgradcheck(fn, *xs)


@pytest.mark.parametrize("layer", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_double_backward_matches_torch(layer):
    pytest.importorskip("torch")
    _, shapes, fn, tfn = layer
    if tfn is None:
        pytest.skip("random: no torch counterpart with the same mask")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    xs = [mg.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    v = rng.standard_normal(fn(*xs).shape)
    ws = [rng.standard_normal(a.shape) for a in arrays]
    hs = _second_order(fn, xs, v, ws, grad, mg.tensor)
    ths = _second_order(tfn, ts, v, ws, torch.autograd.grad, torch.tensor)
    for i, (h, th) in enumerate(zip(hs, ths)):
        a = np.zeros(arrays[i].shape) if h is None else h.numpy()
        b = np.zeros(arrays[i].shape) if th is None else th.detach().numpy(force=True)
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-8, err_msg=f"input {i}")


def test_batchnorm_second_derivative_is_not_that_of_constant_statistics():
    """The double backward of BatchNorm in training mode differs from the one that treats the
    batch mean and variance as constants (what a saved-constant shortcut would give)."""
    rng = np.random.default_rng(3)
    x = mg.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    v = mg.tensor(rng.standard_normal((5, 2)))
    (g,) = grad(F.batch_norm(x, None, None, training=True), x, v, create_graph=True)
    (h,) = grad((g * g).sum(), x)
    mean, var = x.detach().mean(0), x.detach().var(0, correction=0)
    (g0,) = grad((x - mean) / (var + 1e-5).sqrt(), x, v, create_graph=True)
    assert not g0.requires_grad  # the shortcut has no second-order term at all
    assert np.abs(h.numpy()).max() > 1e-3


# ***** minigrad.autograd.functional against torch.autograd.functional *****

from minigrad.autograd import functional as AF  # noqa: E402


def _f_single(lib):
    return lambda x: (x.tanh() * x.sin()).sum() + (x * x).sum() ** 2 / 7


def _f_pair(lib):
    return lambda x, w: ((x @ w).sigmoid() ** 2).sum() + (w * w * x.sum()).sum()


def _as_np(t):
    if isinstance(t, tuple):
        return tuple(_as_np(u) for u in t)
    return t.detach().numpy() if hasattr(t, "detach") else t.numpy()


def _close(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for u, w in zip(a, b):
            _close(u, w)
        return
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def _args(lib, arrays):
    return tuple(lib.tensor(a) for a in arrays)


SINGLE = [np.random.default_rng(5).standard_normal(4)]
PAIR = [np.random.default_rng(6).standard_normal((2, 3)), np.random.default_rng(7).standard_normal((3,))]


@pytest.mark.parametrize("what", ["jacobian", "hessian", "vhp", "hvp"])
@pytest.mark.parametrize("arity", ["single", "pair"])
def test_functional_matches_torch(what, arity):
    pytest.importorskip("torch")
    arrays, make = (SINGLE, _f_single) if arity == "single" else (PAIR, _f_pair)
    res = []
    for lib, mod in ((mg, AF), (torch, torch.autograd.functional)):
        xs = _args(lib, arrays)
        inputs = xs[0] if arity == "single" else xs
        f = make(lib)
        if what == "jacobian":  # of the gradient-free vector map x -> tanh(x) * s
            out = mod.jacobian(lambda *a: tuple(t.tanh() * 1.5 + t.sum() for t in a), inputs)
        elif what == "hessian":
            out = mod.hessian(f, inputs)
        else:
            vs = _args(lib, [np.linspace(-1, 1, a.size).reshape(a.shape) for a in arrays])
            out = getattr(mod, what)(f, inputs, vs[0] if arity == "single" else vs)
        res.append(_as_np(out))
    _close(res[0], res[1])


def test_jacobian_of_a_single_map_has_output_then_input_shape():
    x = mg.tensor(np.arange(6.0).reshape(2, 3))
    J = AF.jacobian(lambda x: x.sum(0) * x[0], x)
    assert J.shape == (3, 2, 3)
    assert not J.requires_grad and x.grad is None


def test_higher_order_example_smoke():
    """examples/higher_order.py --quick: the critic trains through its gradient penalty (BN
    included) and Newton-CG beats gradient descent in fewer steps."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "higher_order.py"
    spec = importlib.util.spec_from_file_location("example_higher_order", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    history, gd, nt = module.main(["--quick"])
    assert all(np.isfinite(h[2]) for h in history)
    assert len(nt) < len(gd) and nt[-1] < gd[-1] < gd[0]


@pytest.mark.parametrize("kind", ["group_norm", "instance_norm"])
def test_group_and_instance_norm_double_backward(kind, device):
    rng = np.random.default_rng(2)
    if kind == "group_norm":
        fn, tfn = (lambda x, w, b: F.group_norm(x, 2, w, b)), (lambda x, w, b: torch.nn.functional.group_norm(x, 2, w, b))
        shapes = ((2, 4, 3), (4,), (4,))
    else:
        fn, tfn = (lambda x, w, b: F.instance_norm(x, weight=w, bias=b)), \
            (lambda x, w, b: torch.nn.functional.instance_norm(x, weight=w, bias=b))
        shapes = ((2, 3, 2, 2), (3,), (3,))
    xs = [_rng_tensor(rng, s, device) for s in shapes]
    assert gradgradcheck(fn, *xs)
    if torch is not None and device == "cpu":
        test_layer_double_backward_matches_torch((kind, shapes, fn, tfn))


def test_batchnorm_module_with_running_stats_trains_through_a_gradient_penalty():
    """nn.BatchNorm1d in training mode inside a create_graph path: the running statistics are
    updated once per forward (not by the recorded backward), and the double backward matches
    torch's module."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    a = rng.standard_normal((8, 3))
    nets = []
    for lib in (mg, torch):
        lin = lib.nn.Linear(3, 4).double()
        with (mg.no_grad() if lib is mg else torch.no_grad()):
            lin.weight.copy_(lib.tensor(np.linspace(-1, 1, 12).reshape(4, 3)))
            lin.bias.copy_(lib.tensor(np.linspace(0.2, -0.3, 4)))
        nets.append(lib.nn.Sequential(lin, lib.nn.BatchNorm1d(4).double(), lib.nn.Tanh(), lib.nn.Linear(4, 1).double()))
        with (mg.no_grad() if lib is mg else torch.no_grad()):
            nets[-1][3].weight.copy_(lib.tensor(np.array([[0.5, -1.0, 0.25, 2.0]])))
            nets[-1][3].bias.zero_()
    out = []
    for lib, net, g in ((mg, nets[0], grad), (torch, nets[1], torch.autograd.grad)):
        x = lib.tensor(a, requires_grad=True)
        (gx,) = g(net(x).sum(), x, create_graph=True)
        penalty = ((((gx * gx).sum(1)) ** 0.5 - 1) ** 2).mean()
        w = net[0].weight
        (gw,) = g(penalty, w)
        out.append((gw.detach().numpy(), net[1].running_mean.detach().numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-10, atol=1e-12)


def test_module_backward_hooks_see_create_graph_gradients():
    lin = mg.nn.Linear(2, 2).double()
    seen = []
    lin.register_full_backward_hook(lambda m, gi, go: seen.append(go[0].requires_grad))
    x = mg.tensor([[0.5, -1.0]], dtype=mg.float64, requires_grad=True)
    (g,) = grad((lin(x).tanh()).sum(), x, create_graph=True)
    assert seen == [True] and g.requires_grad


def test_pytorch_style_function_double_backward():
    class Cube(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, gy):
            (x,) = ctx.saved_tensors
            return gy * 3 * x * x

    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    (g,) = grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [6.0, 12.0])
    assert gradgradcheck(lambda t: Cube.apply(t), x)


def test_unsupported_einsum_raises():
    """Two operands, one with a repeated letter: no double backward yet, and a clear error."""
    a = mg.tensor(np.eye(3), requires_grad=True)
    b = mg.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(NotImplementedError, match="Einsum has no double backward"):
        grad(mg.einsum("ii,i->i", a, b).sum(), [a, b], create_graph=True)
