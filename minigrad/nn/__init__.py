"""Layers and the module system, shaped like torch.nn. `import minigrad.nn.functional as F`.

Laid out by op family; each file holds a family's Function(s), its `F` functions, the composed
`*_simple` twin of each fused op (the test oracle), and its Modules:

    linear.py         Linear, Identity, Flatten, Unflatten, Bilinear  F.linear, F.flatten, F.bilinear
    activation.py     ReLU, LeakyReLU, Tanh, Sigmoid, Softmax, LogSoftmax, GELU,    F.relu, F.gelu...
                      ReLU6, Hardtanh, ELU, SiLU, Softplus, SELU, CELU, Mish,   F.selu, F.logsigmoid...
                      Hardswish, Hardsigmoid, LogSigmoid, Softsign, Softmin,
                      Tanhshrink, Softshrink, Hardshrink, Threshold, GLU, PReLU, RReLU, Softmax2d
    normalization.py  BatchNorm1d/2d/3d, LayerNorm                F.batch_norm, F.layer_norm
                      GroupNorm, InstanceNorm1d/2d/3d, BatchRenorm1d/2d  F.group_norm, F.instance_norm, F.batch_renorm
                      RMSNorm, LocalResponseNorm                  F.rms_norm, F.local_response_norm
    loss.py           CrossEntropyLoss, NLLLoss, MSELoss, BCELoss, BCEWithLogitsLoss  F.cross_entropy...
                      L1Loss, SmoothL1Loss, HuberLoss, KLDivLoss  F.l1_loss, F.smooth_l1_loss, F.huber_loss, F.kl_div
                      MarginRankingLoss, HingeEmbeddingLoss,      F.margin_ranking_loss, F.triplet_margin_loss...
                      CosineEmbeddingLoss, TripletMarginLoss, SoftMarginLoss, MultiLabelSoftMarginLoss,
                      MultiMarginLoss, PoissonNLLLoss, GaussianNLLLoss
    distance.py       PairwiseDistance, CosineSimilarity          F.normalize, F.cosine_similarity, F.pairwise_distance
    conv.py           Conv2d, ConvTranspose2d, Conv1d             F.conv2d (im2col; winograd.py), F.conv_transpose2d, F.conv1d
                      ConvTranspose1d, Unfold, Fold               F.conv_transpose1d, F.unfold, F.fold
    padding.py        ZeroPad1d/2d/3d, ConstantPad1d/2d/3d, ReflectionPad1d/2d/3d,  F.pad
                      ReplicationPad1d/2d/3d, CircularPad1d/2d/3d
    pooling.py        MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, MaxPool1d, AvgPool1d  F.max_pool2d...
                      AdaptiveAvgPool1d, AdaptiveMaxPool1d, MaxUnpool2d, LPPool1d/2d  F.max_unpool2d, F.lp_pool2d...
                      MaxPool3d, AvgPool3d, AdaptiveAvgPool3d (composed)  F.max_pool3d, F.avg_pool3d...
    upsampling.py     Upsample, UpsamplingNearest2d, UpsamplingBilinear2d  F.interpolate (nearest, bilinear)
                      PixelShuffle, PixelUnshuffle                F.pixel_shuffle, F.pixel_unshuffle
    dropout.py        Dropout, Dropout1d/2d/3d, AlphaDropout      F.dropout, F.dropout1d/2d/3d, F.alpha_dropout
    sparse.py         Embedding, EmbeddingBag                     F.embedding, F.embedding_bag, F.one_hot
    attention.py      MultiheadAttention, Transformer, TransformerEncoder(Layer),  F.scaled_dot_product_attention
                      TransformerDecoder(Layer)
    recurrent.py      RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell  (composed: the gate equations, no Function)
    lazy.py           LazyLinear, LazyConv1d/2d, LazyConvTranspose2d, LazyBatchNorm1d/2d/3d,
                      LazyInstanceNorm1d/2d/3d (become their eager class)
    module.py         Module, Parameter, Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
    utils.py          clip_grad_norm_, clip_grad_value_
    init.py           weight initialisation (`nn.init`)
    utils/            fuse_conv_bn_eval, fuse_linear_bn_eval, fold_bn, recalibrate_bn (`nn.utils`),
                      pad_sequence, pack_padded_sequence, PackedSequence... (`nn.utils.rnn`)

Naming rule: a differentiable op (a `Function` subclass) is named after its op with the suffix
`Function`: `LinearFunction`, `Conv2dFunction`, `MaxPool2dFunction`, `BatchNormFunction` (and
`BatchNormEvalFunction`), `SoftmaxCrossEntropyFunction`. A Module never ends in `Function`, so
`nn.Linear` is the layer and `LinearFunction` its graph node.
"""

from . import functional, init, utils
from .attention import (MultiheadAttention, Transformer, TransformerDecoder, TransformerDecoderLayer,
                        TransformerEncoder, TransformerEncoderLayer)
from .activation import (CELU, ELU, GELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU,
                         LogSigmoid, LogSoftmax, Mish, PReLU, ReLU, ReLU6, RReLU, Sigmoid, SiLU, Softmax, Softmax2d,
                         Softmin, Softplus, Softshrink, Softsign, Tanh, Tanhshrink, Threshold)
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, Fold, Unfold
from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d
from .linear import Bilinear, Flatten, Identity, Linear, Unflatten
from .distance import CosineSimilarity, PairwiseDistance
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, GaussianNLLLoss,
                   HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss, MSELoss, MultiLabelSoftMarginLoss,
                   MultiMarginLoss, NLLLoss, PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss, TripletMarginLoss)
from .lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d, LazyConvTranspose2d,
                   LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d, LazyLinear)
from .module import (Module, ModuleDict, ModuleList, Parameter, ParameterDict, ParameterList,
                     RemovableHandle, Sequential)
from .normalization import (BatchNorm1d, BatchNorm2d, BatchNorm3d, BatchRenorm1d, BatchRenorm2d, GroupNorm,
                            InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LayerNorm, LocalResponseNorm, RMSNorm)
from .padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d,
                      ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
                      ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d)
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool2d,
                      AvgPool1d, AvgPool2d, AvgPool3d, LPPool1d, LPPool2d, MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool2d)
from .upsampling import PixelShuffle, PixelUnshuffle, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from .sparse import Embedding, EmbeddingBag
