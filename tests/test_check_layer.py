"""minigrad.testing.check_layer: passes on every built-in layer, and fails, naming the problem,
on layers with planted bugs (issue 8)."""

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.autograd import Function
from minigrad.testing import LayerCheckError, check_layer

r = minigrad.randn


def _builtin_cases():
    """(layer, inputs) for every layer in minigrad.nn, with small inputs."""
    cases = [
        (nn.Linear(3, 2), (r(4, 3),)),
        (nn.Linear(3, 2, bias=False), (r(4, 3),)),
        (nn.ReLU(), (r(4, 3),)),
        (nn.LeakyReLU(0.1), (r(4, 3),)),
        (nn.Tanh(), (r(4, 3),)),
        (nn.Sigmoid(), (r(4, 3),)),
        (nn.Softmax(dim=1), (r(4, 3),)),
        (nn.LogSoftmax(dim=1), (r(4, 3),)),
        (nn.Identity(), (r(4, 3),)),
        (nn.BatchNorm1d(3), (r(5, 3),)),
        (nn.BatchNorm1d(3, affine=False), (r(5, 3),)),
        (nn.BatchNorm1d(3, track_running_stats=False), (r(5, 3),)),
        (nn.BatchNorm2d(2), (r(3, 2, 3, 3),)),
        (nn.Dropout(0.3), (r(4, 3),)),
        (nn.Dropout2d(0.3), (r(2, 3, 4, 4),)),
        (nn.Flatten(), (r(2, 3, 2),)),
        (nn.CrossEntropyLoss(), (r(4, 3), minigrad.tensor([0, 2, 1, 1]))),
        (nn.NLLLoss(), (r(4, 3).log_softmax(dim=1), minigrad.tensor([0, 2, 1, 1]))),
        (nn.MSELoss(), (r(4, 3), r(4, 3))),
        (nn.BCELoss(), (minigrad.rand(4) * 0.8 + 0.1, minigrad.rand(4) * 0.8 + 0.1)),
        (nn.BCEWithLogitsLoss(), (r(4), minigrad.rand(4))),
        (nn.L1Loss(), (r(4, 3), r(4, 3))),
        (nn.SmoothL1Loss(beta=0.5), (r(4, 3), r(4, 3))),
        (nn.HuberLoss(delta=0.5), (r(4, 3), r(4, 3))),
        (nn.BCEWithLogitsLoss(weight=r(4).abs(), pos_weight=r(4).abs() + 0.5), (r(4), minigrad.rand(4))),
        (nn.KLDivLoss(reduction="batchmean"), (r(4, 3).log_softmax(dim=1), minigrad.rand(4, 3))),
        (nn.CrossEntropyLoss(weight=minigrad.rand(3) + 0.5, ignore_index=1, label_smoothing=0.1),
         (r(4, 3), minigrad.tensor([0, 2, 1, 1]))),
        (nn.Conv2d(2, 3, 3, padding=1), (r(2, 2, 4, 4),)),
        (nn.Conv2d(8, 3, 3, padding=1), (r(2, 8, 5, 6),)),  # Winograd (8+ input channels)
        (nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), (r(2, 3, 3, 4),)),
        (nn.AdaptiveMaxPool2d((2, 1)), (r(2, 3, 4, 5),)),
        (nn.Upsample(scale_factor=2), (r(2, 3, 3, 4),)),
        (nn.Conv1d(3, 4, 3, padding=1), (r(2, 3, 7),)),
        (nn.MaxPool1d(2), (r(2, 3, 8),)),
        (nn.AvgPool1d(3, stride=2), (r(2, 3, 9),)),
        (nn.Conv2d(2, 2, 2, stride=2, bias=False), (r(1, 2, 5, 5),)),
        (nn.MaxPool2d(2), (r(2, 2, 4, 4),)),
        (nn.AvgPool2d(2), (r(2, 2, 4, 4),)),
        (nn.AdaptiveAvgPool2d(1), (r(2, 2, 4, 4),)),
        (nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)), (r(5, 3),)),
        # the remedies for BatchNorm's failure modes (issue 17); Batch Renorm where r and d are
        # clipped (large, shifted input), since finite differences see them move otherwise
        (nn.GroupNorm(2, 4), (r(3, 4, 2),)),
        (nn.InstanceNorm1d(3, affine=True, track_running_stats=True), (r(2, 3, 4),)),
        (nn.InstanceNorm2d(2), (r(2, 2, 3, 3),)),
        (nn.BatchRenorm1d(3, rmax=1.5, dmax=0.5), (r(6, 3) * 5 + 10,)),
        (nn.BatchRenorm2d(2, warmup_steps=10), (r(3, 2, 2, 2),)),
        (nn.Embedding(5, 3), (minigrad.tensor([[0, 4], [2, 2]]),)),
        (nn.ReLU6(), (r(4, 3) * 4,)),
        (nn.Hardtanh(-0.5, 0.5), (r(4, 3),)),
        (nn.ELU(0.5), (r(4, 3),)),
        (nn.SiLU(), (r(4, 3),)),
        (nn.Softplus(beta=2.0, threshold=3.0), (r(4, 3),)),
        (nn.ZeroPad1d(2), (r(2, 3, 4),)),
        (nn.ZeroPad2d((1, 0, 2, 1)), (r(2, 2, 3, 3),)),
        (nn.ConstantPad1d((1, 2), 0.5), (r(2, 3, 4),)),
        (nn.ConstantPad2d(1, -1.0), (r(2, 2, 3, 3),)),
        (nn.ReflectionPad1d(2), (r(2, 3, 4),)),
        (nn.ReflectionPad2d((2, 1, 1, 2)), (r(2, 2, 3, 3),)),
        (nn.ReplicationPad1d(3), (r(2, 3, 4),)),
        (nn.ReplicationPad2d(2), (r(2, 2, 3, 3),)),
        (nn.CircularPad1d(4), (r(2, 3, 4),)),
        (nn.CircularPad2d((1, 2, 3, 0)), (r(2, 2, 3, 3),)),
        (nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), (r(2, 2, 4, 4),)),
        # recurrent layers return tuples, (output, h_n) or (output, (h_n, c_n)): checked joined
        (nn.RNN(2, 2, nonlinearity="relu", bidirectional=True), (r(3, 2, 2),)),
        (nn.LSTM(2, 2, batch_first=True), (r(2, 3, 2),)),
        (nn.GRU(2, 2, num_layers=2, dropout=0.5), (r(3, 2),)),
        (nn.RNNCell(2, 3), (r(2, 2), r(2, 3))),
        (nn.LSTMCell(2, 3), (r(2, 2),)),
        (nn.GRUCell(2, 3, bias=False), (r(2, 2),)),
        # the remaining everyday layers (tests/test_layers2.py)
        (nn.Unflatten(1, (2, 3)), (r(2, 6),)),
        (nn.Bilinear(2, 3, 2), (r(4, 2), r(4, 3))),
        (nn.Softmax2d(), (r(2, 3, 2, 2),)),
        (nn.AdaptiveAvgPool1d(3), (r(2, 3, 7),)),
        (nn.AdaptiveMaxPool1d(3), (r(2, 3, 7),)),
        (nn.MaxUnpool2d(2), (r(1, 2, 2, 2), nn.MaxPool2d(2, return_indices=True)(r(1, 2, 4, 4))[1]), (0,)),
        (nn.LPPool2d(2, 2), (r(1, 2, 4, 4),)),
        (nn.LPPool1d(2, 3, stride=2), (r(2, 2, 7),)),
        (nn.Unfold(2, padding=1), (r(2, 2, 3, 3),)),
        (nn.Fold((3, 4), 2), (r(2, 8, 6),)),
        (nn.PixelShuffle(2), (r(1, 8, 2, 3),)),
        (nn.PixelUnshuffle(2), (r(1, 2, 4, 2),)),
        (nn.UpsamplingNearest2d(scale_factor=2), (r(1, 2, 2, 3),)),
        (nn.UpsamplingBilinear2d(size=(3, 4)), (r(1, 2, 2, 3),)),
        (nn.ConvTranspose1d(3, 2, 3, stride=2), (r(2, 3, 4),)),
        (nn.RMSNorm(3), (r(4, 3),)),
        (nn.LocalResponseNorm(3), (r(2, 4, 3),)),
        (nn.Dropout1d(0.3), (r(2, 3, 4),)),
        (nn.AlphaDropout(0.3), (r(4, 3),)),
        # the rest of torch.nn's activations and losses (tests/test_activations2.py, test_losses2.py)
        (nn.SELU(), (r(4, 3),)),
        (nn.CELU(0.5), (r(4, 3),)),
        (nn.Mish(), (r(4, 3),)),
        (nn.Hardswish(), (r(4, 3) * 3,)),
        (nn.Hardsigmoid(), (r(4, 3) * 3,)),
        (nn.LogSigmoid(), (r(4, 3),)),
        (nn.Softsign(), (r(4, 3),)),
        (nn.Softmin(dim=1), (r(4, 3),)),
        (nn.Tanhshrink(), (r(4, 3),)),
        (nn.Softshrink(0.3), (r(4, 3),)),
        (nn.Hardshrink(0.3), (r(4, 3),)),
        (nn.Threshold(0.1, -1.0), (r(4, 3),)),
        (nn.GLU(dim=1), (r(4, 6),)),
        (nn.PReLU(3), (r(4, 3, 2),)),
        (nn.RReLU(), (r(4, 3),)),
        (nn.MarginRankingLoss(0.2), (r(5), r(5), minigrad.tensor([1.0, -1.0, 1.0, 1.0, -1.0]))),
        (nn.HingeEmbeddingLoss(), (r(4, 3).abs(), minigrad.tensor([[1.0, -1.0, 1.0]] * 4)), (0,)),
        (nn.CosineEmbeddingLoss(0.1), (r(4, 3), r(4, 3), minigrad.tensor([1.0, -1.0, 1.0, -1.0])), (0, 1)),
        (nn.TripletMarginLoss(swap=True), (r(4, 3), r(4, 3), r(4, 3))),
        (nn.SoftMarginLoss(), (r(4, 3), minigrad.tensor([[1.0, -1.0, 1.0]] * 4)), (0,)),
        (nn.MultiLabelSoftMarginLoss(weight=minigrad.rand(3)), (r(4, 3), minigrad.tensor([[1.0, 0.0, 1.0]] * 4)), (0,)),
        (nn.MultiMarginLoss(p=2, weight=minigrad.rand(3)), (r(4, 3), minigrad.tensor([0, 2, 1, 1]))),
        (nn.PoissonNLLLoss(full=True), (r(4, 3), minigrad.rand(4, 3) * 4)),
        (nn.GaussianNLLLoss(), (r(4, 3), r(4, 3), minigrad.rand(4) + 0.5)),
        (nn.PairwiseDistance(), (r(4, 3), r(4, 3))),
        (nn.CosineSimilarity(), (r(4, 3), r(4, 3))),
        # attention returns (output, weights): checked joined; the Transformer layers, with dropout
        (nn.MultiheadAttention(4, 2), (r(3, 2, 4), r(2, 2, 4), r(2, 2, 4))),
        (nn.MultiheadAttention(4, 2, kdim=3, add_bias_kv=True, add_zero_attn=True, batch_first=True),
         (r(2, 3, 4), r(2, 2, 3), r(2, 2, 4))),
        (nn.TransformerEncoderLayer(4, 2, 4), (r(3, 2, 4),)),
        (nn.TransformerDecoderLayer(4, 2, 4, norm_first=True), (r(2, 2, 4), r(3, 2, 4))),
        (nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 4, activation="gelu"), 2), (r(3, 2, 4),)),
        (nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 4), 1, norm=nn.LayerNorm(4)), (r(2, 2, 4), r(3, 2, 4))),
        (nn.Transformer(4, 2, 1, 1, 4), (r(3, 2, 4), r(2, 2, 4))),
        # EmbeddingBag and the 3-d layers (tests/test_layers3.py)
        (nn.EmbeddingBag(6, 3, mode="max", padding_idx=1), (minigrad.tensor([[0, 4, 1], [2, 2, 5]]),)),
        (nn.EmbeddingBag(6, 3, mode="sum"), (minigrad.tensor([0, 4, 1, 2, 2]), minigrad.tensor([0, 2, 2]))),
        (nn.BatchNorm3d(2), (r(3, 2, 2, 2, 2),)),
        (nn.InstanceNorm3d(2, affine=True), (r(2, 2, 2, 3, 2),)),
        (nn.Dropout3d(0.3), (r(2, 3, 2, 2, 2),)),
        (nn.ZeroPad3d((1, 0, 2, 1, 0, 1)), (r(1, 2, 2, 3, 3),)),
        (nn.ConstantPad3d(1, 0.5), (r(1, 2, 2, 2, 2),)),
        (nn.ReflectionPad3d((2, 1, 1, 0, 1, 1)), (r(1, 2, 2, 3, 3),)),
        (nn.ReplicationPad3d(2), (r(1, 2, 2, 2, 2),)),
        (nn.CircularPad3d((1, 2, 0, 1, 1, 0)), (r(1, 2, 2, 3, 3),)),
        (nn.MaxPool3d(2, stride=1), (r(1, 2, 3, 3, 3),)),
        (nn.AvgPool3d(2, padding=1), (r(1, 2, 2, 3, 3),)),
        (nn.AdaptiveAvgPool3d((1, 2, 2)), (r(1, 2, 2, 3, 3),)),
    ]
    for extra in ("GELU", "LayerNorm"):  # added by issue 8's extending guide
        if hasattr(nn, extra):
            layer = nn.GELU() if extra == "GELU" else nn.LayerNorm(3)
            cases.append((layer, (r(4, 3),)))
    return [c if len(c) == 3 else (*c, None) for c in cases]


def _exported_layers():
    return {name for name in dir(nn) if isinstance(getattr(nn, name), type)
            and issubclass(getattr(nn, name), nn.Module)
            and name not in ("Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
                             "RNNBase", "RNNCellBase")  # base classes, for isinstance
            and not name.startswith("Lazy")}  # a Lazy layer becomes its eager class (covered) on its first forward


def test_every_builtin_layer_is_covered():
    """A new layer exported from minigrad.nn must be added to the table below."""
    covered = {type(layer).__name__ for layer, _, _ in _builtin_cases()}
    assert _exported_layers() - covered == set()


@pytest.mark.parametrize("layer, inputs, grad_inputs", _builtin_cases(),
                         ids=lambda c: type(c).__name__ if isinstance(c, nn.Module) else "")
def test_builtin_layer_passes(layer, inputs, grad_inputs):
    assert check_layer(layer, *inputs, grad_inputs=grad_inputs) is True


def test_layer_and_random_state_are_left_alone():
    bn = nn.BatchNorm1d(3)
    check_layer(bn, r(5, 3))
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(3))  # the check used copies
    assert int(bn.num_batches_tracked.item()) == 0
    x = r(4, 3)
    minigrad.manual_seed(5)
    check_layer(nn.Dropout(0.5), x)
    after = r(3).numpy()
    minigrad.manual_seed(5)
    np.testing.assert_array_equal(after, r(3).numpy())


# ***** planted bugs *****


class _SquareWrongBackward(Function):
    """y = x^2, with the factor 2 forgotten in backward"""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return gy * self.x  # wrong: should be 2 x gy


class _ScaleWrongWeightGrad(Function):
    """y = x * w (w of shape (C,)), with x forgotten in w's gradient"""

    def forward(self, x, w):
        self.x, self.w = x, w
        return x * w

    def backward(self, gy):
        return gy * self.w, gy  # wrong: dy/dw = x, so gw = gy * x


class _CastToFloat64(Function):
    def forward(self, x):
        return x

    def backward(self, gy):
        return gy.astype(self.xp.float64)  # wrong: the gradient changes dtype


class BadSquare(nn.Module):
    def forward(self, x):
        return _SquareWrongBackward()(x)


class BadScale(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(minigrad.randn(3))

    def forward(self, x):
        return _ScaleWrongWeightGrad()(x, self.weight)


class Float64Output(nn.Module):
    def forward(self, x):
        return x * minigrad.tensor(np.full(x.shape, 0.5))  # a float64 array mixed into the math


class Float64Grad(nn.Module):
    def forward(self, x):
        return _CastToFloat64()(x)


class Float64Parameter(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(np.ones(3))  # NumPy's default dtype: float64

    def forward(self, x):
        return x * self.weight


class CountsInPlainAttribute(nn.Module):
    """Keeps a running mean in a Python float, which state_dict does not see."""

    def __init__(self):
        super().__init__()
        self.mean = 0.0

    def forward(self, x):
        if self.training:
            self.mean = 0.9 * self.mean + 0.1 * float(x.mean().item())
        return x - self.mean


class UnregisteredTensor(nn.Module):
    def __init__(self):
        super().__init__()
        self.shift = minigrad.zeros(3)  # a Tensor, but not a buffer

    def forward(self, x):
        return x + self.shift


class UpdatesInEval(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("running", minigrad.zeros(3))

    def forward(self, x):
        with minigrad.no_grad():  # forgot `if self.training:`
            self.running.array[...] = 0.9 * self.running.array + 0.1 * x.array.mean(axis=0)
        return x - self.running


class DropoutAlways(nn.Module):
    def forward(self, x):
        return nn.functional.dropout(x, 0.5, training=True)  # ignores self.training


class _NumPyExp(Function):
    def forward(self, x):
        self.y = np.exp(x)  # wrong: np.* on device data (fails on CuPy); use self.xp.exp
        return self.y

    def backward(self, gy):
        return gy * self.y


class HostNumPyCall(nn.Module):
    def forward(self, x):
        return _NumPyExp()(x)


@pytest.mark.parametrize("layer, inputs, expected", [
    (BadSquare(), (r(4, 3),), r"gradient of input 0 is wrong"),
    (BadScale(), (r(4, 3),), r"gradient of parameter 'weight' is wrong"),
    (Float64Output(), (r(4, 3),), r"float32 input gave a float64 output"),
    (Float64Grad(), (r(4, 3),), r"gradient of input 0 is float64"),
    (Float64Parameter(), (r(4, 3),), r"parameter 'weight' is float64"),
    (CountsInPlainAttribute(), (r(4, 3),), r"state does not round-trip"),
    (UnregisteredTensor(), (r(4, 3),), r"'shift' holds a Tensor that is neither a Parameter nor a"),
    (UpdatesInEval(), (r(4, 3),), r"in eval mode the forward changed 'running'"),
    (DropoutAlways(), (r(4, 3),), r"in eval mode two calls .* gave different outputs"),
    (HostNumPyCall(), (r(4, 3),), r"on the 'strict' device forward/backward raised TypeError"),
], ids=lambda c: type(c).__name__ if isinstance(c, nn.Module) else "")
def test_planted_bug_is_named(layer, inputs, expected):
    with pytest.raises(LayerCheckError, match=expected) as info:
        check_layer(layer, *inputs)
    assert type(layer).__name__ in str(info.value)


def test_bad_arguments_raise_type_error():
    with pytest.raises(TypeError, match="nn.Module"):
        check_layer(lambda x: x, r(2))
    with pytest.raises(TypeError, match="example input"):
        check_layer(nn.ReLU())


@pytest.mark.parametrize("layer", [nn.GELU(), nn.GELU("tanh"), nn.LayerNorm(3),
                                   nn.LayerNorm(3, elementwise_affine=False)])
def test_new_layers_pass_check_layer(layer):
    assert check_layer(layer, minigrad.randn(4, 3))
