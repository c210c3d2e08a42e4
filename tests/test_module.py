"""Module system: registration, traversal, modes, devices, dtypes, state_dict, hooks, containers."""

import numpy as np
import pytest

import minigrad
from minigrad import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3)
        self.head = nn.Sequential(nn.Tanh(), nn.Linear(3, 2, bias=False))
        self.scale = nn.Parameter(minigrad.ones(1))
        self.register_buffer("steps", minigrad.zeros(()))
        self.note = "plain attribute"

    def forward(self, x):
        return self.head(self.bn(self.fc1(x))) * self.scale


def test_registration_and_traversal_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "head.1.weight"]
    assert [n for n, _ in net.named_buffers()] == [
        "steps", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert [type(m).__name__ for m in net.children()] == ["Linear", "BatchNorm1d", "Sequential"]
    assert [type(m).__name__ for m in net.modules()] == [
        "Net", "Linear", "BatchNorm1d", "Sequential", "Tanh", "Linear"]
    assert list(net.state_dict()) == [n for n, _ in net.named_parameters()][:1] + [
        "steps", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
        "bn.num_batches_tracked", "head.1.weight"]
    assert net.note == "plain attribute"


def test_reassignment_and_deletion_update_the_registry():
    net = Net()
    net.fc1 = nn.Linear(4, 3, bias=False)
    assert "fc1.bias" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="cannot assign float as parameter 'scale'"):
        net.scale = 3.0  # as PyTorch: it would silently stop being trained and saved
    assert "scale" in dict(net.named_parameters())
    net.scale = None  # None is allowed: an absent parameter
    assert "scale" not in dict(net.named_parameters()) and net.scale is None
    with pytest.raises(TypeError, match="child module 'fc1'"):
        net.fc1 = minigrad.ones(3)
    with pytest.raises(TypeError, match="buffer"):
        net.bn.running_mean = 0.0
    del net.bn
    assert "bn" not in dict(net.named_children())
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'bn'"):
        net.bn


def test_unknown_attribute_raises():
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        Net().missing


def test_setattr_before_super_init_is_explained():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="super"):
        Bad()


def test_shared_parameters_are_listed_once():
    fc = nn.Linear(3, 3)
    model = nn.Sequential(fc, nn.Tanh(), fc)
    assert len(list(model.parameters())) == 2


def test_train_eval_return_self_and_reach_all():
    net = Net()
    assert net.eval() is net and not any(m.training for m in net.modules())
    assert net.train() is net and all(m.training for m in net.modules())
    assert net.train(False) is net and not net.head[1].training


def test_zero_grad():
    net = Net()
    net(minigrad.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_to_device_moves_everything_and_keeps_objects(device):
    net = Net()
    params = list(net.parameters())
    assert net.to(device) is net
    assert all(t.device == device for t in list(net.parameters()) + list(net.buffers()))
    assert all(a is b for a, b in zip(params, net.parameters()))
    y = net(minigrad.randn(5, 4, device=device))
    assert y.device == device and y.dtype == np.float32


def test_dtype_casts_floats_only():
    net = Net()
    w = net.fc1.weight.numpy().copy()
    assert net.double() is net
    assert net.fc1.weight.dtype == np.float64 and net.bn.running_var.dtype == np.float64
    assert net.bn.num_batches_tracked.dtype == np.int64
    np.testing.assert_array_equal(net.fc1.weight.numpy(), w)
    assert net(minigrad.randn(5, 4, dtype=minigrad.float64)).dtype == np.float64
    assert net.to(minigrad.float32).fc1.weight.dtype == np.float32


def test_apply_and_requires_grad():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen[-1] == "Net" and seen.count("Linear") == 2
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_state_dict_is_detached_and_shares_nothing_with_graphs():
    net = Net()
    sd = net.state_dict()
    assert all(not t.requires_grad for t in sd.values())
    np.testing.assert_array_equal(sd["fc1.weight"].numpy(), net.fc1.weight.numpy())


def test_load_state_dict_round_trip():
    a, b = Net(), Net()
    a(minigrad.randn(6, 4))  # move a's running stats
    missing, unexpected = b.load_state_dict(a.state_dict())
    assert missing == [] and unexpected == []
    for (k, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=k)
    b.eval(), a.eval()
    x = minigrad.randn(3, 4)
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    # b got copies: changing a does not change b
    with minigrad.no_grad():
        a.fc1.weight.add_(1.0)
    assert not np.array_equal(a.fc1.weight.numpy(), b.fc1.weight.numpy())


def _snapshot(m):
    return {k: v.numpy().copy() for k, v in m.state_dict().items()}


@pytest.mark.parametrize("edit,match", [
    (lambda sd: sd.pop("bn.running_var"), r"missing keys \['bn.running_var'\]"),
    (lambda sd: sd.__setitem__("extra.w", minigrad.zeros(2)), r"unexpected keys \['extra.w'\]"),
    (lambda sd: sd.__setitem__("fc1.weight", minigrad.zeros(4, 3)),
     r"fc1.weight: shape \(4, 3\) in the state dict, \(3, 4\) in the model"),
])
def test_load_state_dict_errors_name_keys_and_change_nothing(edit, match):
    net, other = Net(), Net()
    sd = other.state_dict()
    edit(sd)
    before = _snapshot(net)
    with pytest.raises(RuntimeError, match=match):
        net.load_state_dict(sd)
    for k, v in _snapshot(net).items():
        np.testing.assert_array_equal(before[k], v, err_msg=k)


def test_load_state_dict_non_strict():
    net = Net()
    sd = Net().state_dict()
    sd.pop("scale")
    sd["junk"] = minigrad.zeros(1)
    missing, unexpected = net.load_state_dict(sd, strict=False)
    assert missing == ["scale"] and unexpected == ["junk"]
    np.testing.assert_array_equal(net.fc1.weight.numpy(), sd["fc1.weight"].numpy())


def test_forward_hook_sees_and_replaces_output_and_is_removable():
    net = Net()
    seen = []
    h = net.bn.register_forward_hook(lambda m, inp, out: seen.append((m, inp[0].shape, out.shape)))
    net(minigrad.randn(5, 4))
    assert seen == [(net.bn, (5, 3), (5, 3))]
    h.remove()
    net(minigrad.randn(5, 4))
    assert len(seen) == 1
    h2 = net.head.register_forward_hook(lambda m, inp, out: out * 0)
    assert not net(minigrad.randn(5, 4)).numpy().any()
    h2.remove()
    assert net(minigrad.randn(5, 4)).numpy().any()


def test_repr_is_readable():
    text = repr(Net())
    assert text.splitlines()[0] == "Net("
    assert "(fc1): Linear(in_features=4, out_features=3, bias=True)" in text
    assert "(1): Linear(in_features=3, out_features=2, bias=False)" in text
    assert "(bn): BatchNorm1d(3, eps=1e-05" in text


def test_sequential_and_modulelist():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and isinstance(seq[-1], nn.Linear)
    sub = seq[:2]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[0] is seq[0]
    assert seq(minigrad.randn(4, 2)).shape == (4, 1)
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and [type(m).__name__ for m in seq][-1] == "Sigmoid"
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.Linear(2, 1))
    assert len(ml) == 4 and len(list(ml.parameters())) == 8
    with pytest.raises(NotImplementedError):
        ml(minigrad.randn(1, 2))


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(minigrad.zeros(3))
    assert isinstance(p, minigrad.Tensor) and p.requires_grad
    assert repr(p).startswith("Parameter containing:")
