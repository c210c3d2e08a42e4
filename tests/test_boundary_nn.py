"""PyTorch code ported with `import minigrad as torch`: the nn containers, Module's registry,
state_dict, hooks and the optimizer's argument checks, compared with torch where it is installed.

Each container test guards a case where ported code ran silently wrong before: an OrderedDict
given to Sequential built an empty model (forward returned its input), and a non-Module given to
a container became a plain attribute that no optimizer or state_dict ever saw.
"""

import copy
from collections import OrderedDict

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim

try:
    import torch
except ImportError:  # the parity halves skip; the rest runs
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _names(mod):
    return list(mod._modules)


# ***** Sequential *****


def test_sequential_from_an_ordered_dict_runs_its_layers_under_their_names():
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU()), ("out", nn.Linear(3, 1))]))
    assert len(seq) == 3 and seq.fc is seq[0] and seq.out is seq[-1]
    assert list(seq.state_dict()) == ["fc.weight", "fc.bias", "out.weight", "out.bias"]
    x = minigrad.randn(4, 2)
    expected = seq.out(seq.act(seq.fc(x)))
    np.testing.assert_array_equal(seq(x).numpy(), expected.numpy())
    assert seq(x).shape == (4, 1)  # not the input handed back
    assert _names(seq[1:]) == ["act", "out"] and isinstance(seq[1:], nn.Sequential)
    assert "(fc): Linear(in_features=2, out_features=3, bias=True)" in repr(seq)


@needs_torch
def test_sequential_from_an_ordered_dict_matches_torch():
    ours = nn.Sequential(OrderedDict([("fc", nn.Linear(3, 4)), ("act", nn.Tanh()), ("head", nn.Linear(4, 2))]))
    theirs = torch.nn.Sequential(OrderedDict([("fc", torch.nn.Linear(3, 4)), ("act", torch.nn.Tanh()),
                                              ("head", torch.nn.Linear(4, 2))]))
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(minigrad.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)
    assert list(ours.state_dict()) == list(theirs.state_dict())


NOT_A_MODULE = [
    ("Sequential(3)", lambda: nn.Sequential(nn.ReLU(), 3)),
    ("Sequential(OrderedDict)", lambda: nn.Sequential(OrderedDict([("a", 3)]))),
    ("Sequential.append", lambda: nn.Sequential().append(3)),
    ("Sequential.insert", lambda: nn.Sequential(nn.ReLU()).insert(0, 3)),
    ("Sequential.extend", lambda: nn.Sequential().extend([nn.ReLU(), 3])),
    ("Sequential[0] =", lambda: nn.Sequential(nn.ReLU()).__setitem__(0, 3)),
    ("ModuleList([3])", lambda: nn.ModuleList([3])),
    ("ModuleList.append", lambda: nn.ModuleList().append("relu")),
    ("ModuleList.insert", lambda: nn.ModuleList([nn.ReLU()]).insert(0, 3)),
    ("ModuleList.extend", lambda: nn.ModuleList().extend([3])),
    ("ModuleList[0] =", lambda: nn.ModuleList([nn.ReLU()]).__setitem__(0, 3)),
    ("ModuleList +=", lambda: nn.ModuleList().__iadd__([3])),
    ("ModuleDict({})", lambda: nn.ModuleDict({"a": 3})),
    ("ModuleDict.update", lambda: nn.ModuleDict().update({"a": 3})),
    ("ModuleDict[k] =", lambda: nn.ModuleDict().__setitem__("a", 3)),
    ("add_module", lambda: nn.Module().add_module("a", 3)),
    ("register_module", lambda: nn.Module().register_module("a", 3)),
]


@pytest.mark.parametrize("what, make", NOT_A_MODULE, ids=[n for n, _ in NOT_A_MODULE])
def test_every_container_refuses_a_non_module_naming_its_type(what, make):
    with pytest.raises(TypeError, match="(int|str) is not a Module subclass"):
        make()


def test_a_refused_module_leaves_the_container_as_it_was():
    seq = nn.Sequential(nn.ReLU(), nn.Tanh())
    with pytest.raises(TypeError):
        seq.insert(1, 3)
    with pytest.raises(TypeError):
        seq[0] = "relu"
    assert [type(m).__name__ for m in seq] == ["ReLU", "Tanh"] and _names(seq) == ["0", "1"]


@needs_torch
@pytest.mark.parametrize("lib_name", ["minigrad", "torch"])
def test_sequential_and_modulelist_editing_as_torch(lib_name):
    """insert / extend / pop / del / + / += and the names left behind, the same in both."""
    lib = minigrad if lib_name == "minigrad" else torch
    N = lib.nn
    log = []
    s = N.Sequential(OrderedDict([("fc", N.Linear(2, 2)), ("act", N.ReLU()), ("out", N.Linear(2, 1))]))
    del s[1]
    log.append((_names(s), hasattr(s, "fc")))
    s.insert(1, N.Tanh())
    s.append(N.Sigmoid())
    log.append([type(m).__name__ for m in s])
    log.append((type(s.pop(0)).__name__, _names(s)))
    s.extend(N.Sequential(N.ReLU()))
    s += N.Sequential(N.Tanh())
    log.append((len(s + N.Sequential(N.ReLU())), len(s), _names(s)))
    s[-1] = N.ELU()
    log.append(type(s[4]).__name__)
    with pytest.raises(IndexError, match="out of range"):
        s[10]
    with pytest.raises(ValueError, match="Sequential class"):
        s += [N.ReLU()]
    ml = N.ModuleList([N.ReLU(), N.Tanh(), N.Sigmoid()])
    del ml[0]
    ml.insert(1, N.ELU())
    log.append([type(m).__name__ for m in ml])
    log.append((type(ml.pop(1)).__name__, _names(ml)))
    ml += [N.ReLU()]
    ml[-1] = N.Tanh()
    log.append((len(ml + N.ModuleList([N.ReLU()])), _names(ml[1:]), type(ml[1:]).__name__))
    del ml[0:2]
    log.append(_names(ml))
    with pytest.raises(IndexError, match="out of range"):
        ml[5]
    with pytest.raises(TypeError, match="iterable"):
        ml.extend(N.ReLU())
    if lib_name == "minigrad":
        test_sequential_and_modulelist_editing_as_torch.ours = log
    else:
        assert log == test_sequential_and_modulelist_editing_as_torch.ours


def test_sequential_and_modulelist_editing_without_torch():
    s = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU()), ("out", nn.Linear(2, 1))]))
    del s[1]  # PyTorch renumbers what is left
    assert _names(s) == ["0", "1"] and not hasattr(s, "fc") and list(s.state_dict())[0] == "0.weight"
    s.insert(1, nn.Tanh())
    assert [type(m).__name__ for m in s] == ["Linear", "Tanh", "Linear"] and s[1] is getattr(s, "1")
    assert isinstance(s.pop(1), nn.Tanh) and len(s) == 2 and len(list(s.parameters())) == 4
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    ml.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in ml] == ["Sigmoid", "ReLU", "Tanh"]
    del ml[1]
    assert _names(ml) == ["0", "1"] and isinstance(ml[1], nn.Tanh) and isinstance(getattr(ml, "1"), nn.Tanh)


def test_module_dict_pop_del_clear_update_and_names():
    md = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Tanh()})
    assert isinstance(md.pop("a"), nn.Linear) and list(md) == ["b"] and not hasattr(md, "a")
    assert list(md.parameters()) == []
    del md["b"]
    assert len(md) == 0 and not hasattr(md, "b")
    md.update([("x", nn.ReLU())])
    md.update(nn.ModuleDict({"y": nn.Linear(1, 1)}))
    assert list(md) == ["x", "y"] and len(list(md.parameters())) == 2
    md.clear()
    assert len(md) == 0 and not hasattr(md, "y")
    with pytest.raises(KeyError, match="already exists"):
        md["train"] = nn.ReLU()  # would hide the method
    with pytest.raises(KeyError, match="contain"):
        md["a.b"] = nn.ReLU()
    with pytest.raises(ValueError, match="length 3"):
        md.update([("a", nn.ReLU(), 3)])
    with pytest.raises(TypeError, match="key/value pairs"):
        md.update(3)
    with pytest.raises(TypeError, match="should be a string"):
        nn.Module().add_module(1, nn.ReLU())


# ***** ParameterList / ParameterDict *****


def test_parameter_list_registers_wraps_and_prints_its_parameters():
    base = minigrad.zeros(3, 2)
    pl = nn.ParameterList([nn.Parameter(minigrad.zeros(2)), base])
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(list(pl.parameters())) == 2
    with minigrad.no_grad():
        pl[1].fill_(1.0)
    assert base.numpy().sum() == 6  # wraps without a copy, as torch
    assert repr(pl) == ("ParameterList(\n    (0): Parameter containing: [minigrad.float32 of size 2]\n"
                        "    (1): Parameter containing: [minigrad.float32 of size 3x2]\n)")
    assert repr(nn.ParameterList()) == "ParameterList()"
    pl.extend([minigrad.ones(1)])
    pl += [minigrad.ones(4)]
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2", "3"]
    assert isinstance(pl[1:], nn.ParameterList) and len(pl[1:]) == 3
    pl[-1] = minigrad.ones(5)
    assert pl[3].shape == (5,) and isinstance(pl[3], nn.Parameter)
    with pytest.raises(IndexError, match="out of range"):
        pl[7] = minigrad.ones(1)  # used to wrap around and overwrite pl[3]
    assert pl[3].shape == (5,)
    with pytest.raises(TypeError, match="got int"):
        pl.append(3)


def test_parameter_dict():
    pd = nn.ParameterDict(OrderedDict([("w", minigrad.zeros(2)), ("v", nn.Parameter(minigrad.ones(1)))]))
    assert list(nn.ParameterDict({"w": minigrad.zeros(2), "v": minigrad.ones(1)})) == ["v", "w"]  # as torch
    assert list(pd.keys()) == ["w", "v"] and isinstance(pd["w"], nn.Parameter) and pd["w"].requires_grad
    holder = nn.ModuleDict({"p": pd})
    assert [n for n, _ in holder.named_parameters()] == ["p.w", "p.v"]
    assert list(holder.state_dict()) == ["p.w", "p.v"]
    assert isinstance(pd.pop("w"), nn.Parameter) and list(pd) == ["v"] and "w" not in pd
    assert pd.get("zz") is None and pd.setdefault("r", minigrad.zeros(3)).shape == (3,)
    pd.update([("q", minigrad.zeros(1))])
    assert list(pd) == ["v", "r", "q"]
    del pd["r"]
    assert list(pd) == ["v", "q"] and len(list(pd.parameters())) == 2
    with pytest.raises(KeyError):
        pd["zz"]
    with pytest.raises(TypeError, match="got float"):
        pd["bad"] = 1.0
    assert "(v): Parameter containing: [minigrad.float32 of size 1]" in repr(pd)
    w = nn.Parameter(minigrad.ones(2))
    opt = optim.SGD(nn.ParameterDict({"w": w}).parameters(), lr=0.5)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.numpy(), [0.0, 0.0])


@needs_torch
def test_parameter_containers_match_torch_names_and_types():
    t = torch.nn.ParameterDict({"w": torch.zeros(2), "v": torch.nn.Parameter(torch.ones(1))})
    o = nn.ParameterDict({"w": minigrad.zeros(2), "v": nn.Parameter(minigrad.ones(1))})
    assert [n for n, _ in t.named_parameters()] == [n for n, _ in o.named_parameters()]
    assert repr(torch.nn.ParameterList([torch.zeros(3, 2)])).replace("torch.", "minigrad.") == \
        repr(nn.ParameterList([minigrad.zeros(3, 2)]))


# ***** Module: registry, traversal, state_dict *****


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 3)
        self.bn = nn.BatchNorm1d(3)
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(3, 1))
        self.register_buffer("scratch", minigrad.zeros(2), persistent=False)

    def forward(self, x, scale=1.0):
        return self.head(self.bn(self.fc(x))) * scale


def test_register_parameter_refuses_a_plain_tensor():
    m = nn.Module()
    with pytest.raises(TypeError, match="'Tensor' object to parameter 'w'"):
        m.register_parameter("w", minigrad.zeros(2))  # was kept as an untrained plain attribute
    with pytest.raises(TypeError, match="'int' object to buffer"):
        m.register_buffer("b", 3)
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("train", minigrad.ones(1))
    m.register_buffer("b", None)
    m.b = minigrad.ones(2)
    assert list(m.state_dict()) == ["b"]


def test_state_dict_prefix_keep_vars_and_non_persistent_buffers():
    net = Net()
    keys = list(net.state_dict())
    assert "scratch" not in keys and "scratch" in dict(net.named_buffers())
    assert list(net.state_dict(prefix="model.")) == ["model." + k for k in keys]
    kept = net.state_dict(keep_vars=True)
    assert kept["fc.weight"] is net.fc.weight and net.state_dict()["fc.weight"] is not net.fc.weight
    assert [n for n, _ in net.named_parameters(prefix="m")][0] == "m.fc.weight"
    assert [n for n, _ in net.named_parameters(recurse=False)] == []
    assert [n for n, _ in net.fc.named_parameters(recurse=False)] == ["weight", "bias"]
    net.load_state_dict(net.state_dict())  # the non-persistent buffer is neither missing nor expected


def test_load_state_dict_returns_the_named_tuple_and_names_problems():
    net = Net()
    sd = net.state_dict()
    result = net.load_state_dict({k: v for k, v in sd.items() if k != "fc.bias"}, strict=False)
    assert result.missing_keys == ["fc.bias"] and result.unexpected_keys == []
    missing, unexpected = net.load_state_dict({**sd, "extra": minigrad.zeros(1)}, strict=False)
    assert (missing, unexpected) == ([], ["extra"])
    assert repr(net.load_state_dict(sd)) == "<All keys matched successfully>"
    with pytest.raises(RuntimeError, match="unexpected keys \\['extra'\\]"):
        net.load_state_dict({**sd, "extra": minigrad.zeros(1)})
    with pytest.raises(RuntimeError, match=r"size mismatch for fc.weight: shape \(2, 2\).*\(3, 2\)"):
        net.load_state_dict({**sd, "fc.weight": minigrad.zeros(2, 2)}, strict=False)
    with pytest.raises(TypeError, match="dict-like"):
        net.load_state_dict([1, 2])


def test_load_state_dict_assign_takes_the_state_dicts_arrays():
    fc = nn.Linear(2, 2)
    src = {"weight": minigrad.ones(2, 2, dtype=minigrad.float64), "bias": minigrad.zeros(2, dtype=minigrad.float64)}
    fc.load_state_dict(src, assign=True)
    assert fc.weight.dtype == minigrad.float64 and fc.weight.requires_grad
    fc2 = nn.Linear(2, 2)
    fc2.load_state_dict(src)
    assert fc2.weight.dtype == minigrad.float32


def test_a_layer_used_twice_is_one_module_with_its_state_under_both_names():
    fc = nn.Linear(2, 2)
    model = nn.Sequential(fc, nn.ReLU(), fc)
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in model.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert len(list(model.modules())) == 3 and len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_parameters(remove_duplicate=False)] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    calls = []
    model.apply(lambda m: calls.append(type(m).__name__))
    if torch is not None:
        tfc = torch.nn.Linear(2, 2)
        tmodel = torch.nn.Sequential(tfc, torch.nn.ReLU(), tfc)
        assert [n for n, _ in tmodel.named_modules()] == [n for n, _ in model.named_modules()]
        assert list(tmodel.state_dict()) == list(model.state_dict())
        tcalls = []
        tmodel.apply(lambda m: tcalls.append(type(m).__name__))
        assert tcalls == calls


def test_get_submodule_parameter_buffer():
    net = Net()
    assert net.get_submodule("head.1") is net.head[1] and net.get_submodule("") is net
    assert net.get_parameter("head.1.weight") is net.head[1].weight
    assert net.get_buffer("bn.running_mean") is net.bn.running_mean
    with pytest.raises(AttributeError, match="no attribute `5`"):
        net.get_submodule("head.5")
    with pytest.raises(AttributeError, match="no parameter"):
        net.get_parameter("fc.nope")


def test_train_takes_a_bool_only():
    net = Net()
    assert net.train(False) is net and not net.bn.training
    with pytest.raises(ValueError, match="boolean"):
        net.train("eval")  # a non-empty string used to mean True


def test_to_accepts_a_tensor_and_non_blocking():
    net = Net()
    net.to(minigrad.zeros(1, dtype=minigrad.float64), non_blocking=True)
    assert net.fc.weight.dtype == minigrad.float64 and net.bn.num_batches_tracked.dtype == minigrad.int64
    net.to("cpu", non_blocking=True)
    assert net.float().fc.weight.dtype == minigrad.float32


def test_deepcopy_gives_independent_equal_parameters():
    net = Net()
    twin = copy.deepcopy(net)
    assert twin.fc.weight is not net.fc.weight
    np.testing.assert_array_equal(twin.fc.weight.numpy(), net.fc.weight.numpy())
    with minigrad.no_grad():
        twin.fc.weight.fill_(0.0)
    assert net.fc.weight.numpy().any()


# ***** hooks and calling *****


def test_forward_pre_hook_and_forward_hook_with_kwargs_and_removal():
    net = Net().eval()
    x = minigrad.randn(4, 2)
    calls = []
    h1 = net.register_forward_pre_hook(lambda m, args: calls.append(("pre", len(args))))
    h2 = net.register_forward_hook(lambda m, args, out: calls.append(("post", out.shape)))
    net(x, scale=2.0)
    assert calls == [("pre", 1), ("post", (4, 1))]
    h1.remove()
    h2.remove()
    net(x)
    assert len(calls) == 2
    h = net.register_forward_pre_hook(lambda m, args, kwargs: (args, {**kwargs, "scale": 0.0}), with_kwargs=True)
    assert not net(x, scale=3.0).numpy().any()
    h.remove()
    h = net.register_forward_hook(lambda m, args, kwargs, out: out * 0 + kwargs["scale"], with_kwargs=True)
    np.testing.assert_array_equal(net(x, scale=3.0).numpy(), np.full((4, 1), 3.0, np.float32))
    h.remove()
    h = net.register_forward_pre_hook(lambda m, args: args[0] * 0)  # a single value: the only argument
    expected = net.head(net.bn(net.fc(minigrad.zeros(4, 2))))
    np.testing.assert_allclose(net(x).numpy(), expected.numpy())
    h.remove()
    order = []
    net.register_forward_hook(lambda *a: order.append("a"))
    net.register_forward_hook(lambda *a: order.append("b"), prepend=True)
    net(x)
    assert order == ["b", "a"]


@needs_torch
def test_forward_pre_hook_replacing_the_input_matches_torch():
    ours = nn.Linear(3, 2)
    theirs = torch.nn.Linear(3, 2)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    ours.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    theirs.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(minigrad.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)


def test_pre_hook_survives_a_lazy_layers_first_forward():
    lazy = nn.LazyLinear(2)
    seen = []
    lazy.register_forward_pre_hook(lambda m, args: seen.append(args[0].shape))
    lazy(minigrad.randn(3, 4))
    lazy(minigrad.randn(3, 4))
    assert seen == [(3, 4), (3, 4)]


def test_module_repr_puts_a_multi_line_extra_repr_on_its_own_lines_as_torch():
    class E(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(1, 1)

        def extra_repr(self):
            return "a=1"

    assert repr(E()) == "E(\n  a=1\n  (fc): Linear(in_features=1, out_features=1, bias=True)\n)"


# ***** optimizer arguments *****


def test_optimizer_refuses_a_single_tensor_and_duplicates():
    w = nn.Parameter(minigrad.ones(2, 2))
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(w, lr=0.1)  # list(w) would have iterated its rows
    with pytest.raises(ValueError, match="positions 0 and 1 would be updated twice"):
        optim.SGD([w, w], lr=0.1)  # torch warns, then applies the step twice
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})


@needs_torch
def test_param_groups_add_param_group_and_resume_match_torch():
    rng = np.random.default_rng(0)
    W1, W2, X, Y = (rng.standard_normal(s) for s in [(4, 3), (1, 4), (8, 3), (8, 1)])

    def run(lib, resume):
        N = lib.nn
        m = N.Sequential(N.Linear(3, 4, bias=False), N.Tanh(), N.Linear(4, 1, bias=False)).double()
        with lib.no_grad():
            m[0].weight.copy_(lib.tensor(W1))
            m[2].weight.copy_(lib.tensor(W2))
        opt = lib.optim.Adam([{"params": m[0].parameters()}], lr=0.01, amsgrad=True)
        opt.add_param_group({"params": (p for p in m[2].parameters()), "lr": 0.1, "betas": (0.8, 0.99)})

        def steps(model, o, n):
            for _ in range(n):
                o.zero_grad()
                ((model(lib.tensor(X)) - lib.tensor(Y)) ** 2).mean().backward()
                o.step()

        steps(m, opt, 3)
        if resume:  # a fresh model and optimizer from the two state dicts, then continue
            sd, osd = copy.deepcopy(m.state_dict()), copy.deepcopy(opt.state_dict())
            m = N.Sequential(N.Linear(3, 4, bias=False), N.Tanh(), N.Linear(4, 1, bias=False)).double()
            m.load_state_dict(sd)
            opt = lib.optim.Adam([{"params": m[0].parameters()}], lr=0.01, amsgrad=True)
            opt.add_param_group({"params": list(m[2].parameters()), "lr": 0.1, "betas": (0.8, 0.99)})
            opt.load_state_dict(osd)
        steps(m, opt, 3)
        return np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])

    theirs = run(torch, False)
    np.testing.assert_allclose(run(minigrad, False), theirs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(run(minigrad, True), theirs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(run(torch, True), theirs, rtol=1e-10, atol=1e-12)
