"""Layers and the module system, shaped like torch.nn. `import minigrad.nn.functional as F`.

Laid out by op family; each file holds a family's Function(s), its `F` functions, the composed
`*_simple` twin of each fused op (the test oracle), and its Modules:

    linear.py         Linear, Identity, Flatten                   F.linear, F.flatten
    activation.py     ReLU, LeakyReLU, Tanh, Sigmoid, Softmax, LogSoftmax, GELU,    F.relu, F.gelu...
                      ReLU6, Hardtanh, ELU, SiLU, Softplus
    normalization.py  BatchNorm1d, BatchNorm2d, LayerNorm         F.batch_norm, F.layer_norm
                      GroupNorm, InstanceNorm1d/2d, BatchRenorm1d/2d  F.group_norm, F.instance_norm, F.batch_renorm
    loss.py           CrossEntropyLoss, NLLLoss, MSELoss, BCELoss, BCEWithLogitsLoss  F.cross_entropy...
                      L1Loss, SmoothL1Loss, HuberLoss, KLDivLoss  F.l1_loss, F.smooth_l1_loss, F.huber_loss, F.kl_div
    distance.py                                                   F.normalize
    conv.py           Conv2d, ConvTranspose2d, Conv1d             F.conv2d (im2col; winograd.py), F.conv_transpose2d, F.conv1d
    padding.py        ZeroPad1d/2d, ConstantPad1d/2d, ReflectionPad1d/2d, ReplicationPad1d/2d, CircularPad1d/2d  F.pad
    pooling.py        MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, MaxPool1d, AvgPool1d  F.max_pool2d...
    upsampling.py     Upsample                                    F.interpolate (nearest, bilinear)
    dropout.py        Dropout, Dropout2d                          F.dropout, F.dropout2d
    sparse.py         Embedding                                   F.embedding, F.one_hot
    attention.py      MultiheadAttention, Transformer, TransformerEncoder(Layer),  F.scaled_dot_product_attention
                      TransformerDecoder(Layer)
    recurrent.py      RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell  (composed: the gate equations, no Function)
    lazy.py           LazyLinear, LazyConv2d, LazyBatchNorm1d/2d (become their eager class)
    module.py         Module, Parameter, Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
    utils.py          clip_grad_norm_, clip_grad_value_
    init.py           weight initialisation (`nn.init`)
    utils/            fuse_conv_bn_eval, fuse_linear_bn_eval, fold_bn, recalibrate_bn (`nn.utils`)

Naming rule: a differentiable op (a `Function` subclass) is named after its op with the suffix
`Function`: `LinearFunction`, `Conv2dFunction`, `MaxPool2dFunction`, `BatchNormFunction` (and
`BatchNormEvalFunction`), `SoftmaxCrossEntropyFunction`. A Module never ends in `Function`, so
`nn.Linear` is the layer and `LinearFunction` its graph node.
"""

from . import functional, init, utils
from .attention import (MultiheadAttention, Transformer, TransformerDecoder, TransformerDecoderLayer,
                        TransformerEncoder, TransformerEncoderLayer)
from .activation import (ELU, GELU, Hardtanh, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softplus,
                         Tanh)
from .conv import Conv1d, Conv2d, ConvTranspose2d
from .dropout import Dropout, Dropout2d
from .linear import Flatten, Identity, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
                   SmoothL1Loss)
from .lazy import LazyBatchNorm1d, LazyBatchNorm2d, LazyConv2d, LazyLinear
from .module import (Module, ModuleDict, ModuleList, Parameter, ParameterDict, ParameterList,
                     RemovableHandle, Sequential)
from .normalization import (BatchNorm1d, BatchNorm2d, BatchRenorm1d, BatchRenorm2d, GroupNorm, InstanceNorm1d,
                            InstanceNorm2d, LayerNorm)
from .padding import (CircularPad1d, CircularPad2d, ConstantPad1d, ConstantPad2d, ReflectionPad1d, ReflectionPad2d,
                      ReplicationPad1d, ReplicationPad2d, ZeroPad1d, ZeroPad2d)
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from .upsampling import Upsample
from .sparse import Embedding
