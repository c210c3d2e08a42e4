"""Model-level helpers, shaped like torch.nn.utils (the BatchNorm ones: docs/batchnorm.md, "When
BatchNorm goes wrong"):

    clip_grad.py   clip_grad_norm_, clip_grad_value_
    convert_parameters.py  parameters_to_vector, vector_to_parameters
    fusion.py      fuse_conv_bn_eval, fuse_linear_bn_eval (as torch.nn.utils.fusion), fold_bn
    rnn.py         pad_sequence, pack_padded_sequence, PackedSequence... (as torch.nn.utils.rnn)
    recalibrate.py recalibrate_bn: "precise BN" population statistics (Wu & Johnson 2021)
"""

from . import rnn  # noqa: F401  (nn.utils.rnn.pack_padded_sequence, as in torch)
from .clip_grad import clip_grad_norm_, clip_grad_value_  # noqa: F401
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from .fusion import fold_bn, fuse_conv_bn_eval, fuse_linear_bn_eval  # noqa: F401
from .recalibrate import recalibrate_bn  # noqa: F401
