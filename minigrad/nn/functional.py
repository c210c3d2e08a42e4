"""The stateless neural-network API, imported as `F` (`import minigrad.nn.functional as F`).

This file only re-exports: each function lives with its Function(s), its `*_simple` twin (the
composed test oracle of a fused op) and its Module, in the file of its family.
"""

from .activation import (celu, elu, gelu, glu, hardshrink, hardsigmoid, hardswish, hardtanh,  # noqa: F401
                         leaky_relu, log_softmax, logsigmoid, mish, prelu, relu, relu6, rrelu, selu, sigmoid, silu,
                         softmax, softmin, softplus, softshrink, softsign, tanh, tanhshrink, threshold)
from .attention import scaled_dot_product_attention  # noqa: F401
from .conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d, fold, unfold  # noqa: F401
from .distance import cosine_similarity, normalize, pairwise_distance  # noqa: F401
from .dropout import alpha_dropout, dropout, dropout1d, dropout2d, dropout3d  # noqa: F401
from .linear import bilinear, flatten, linear, linear_simple  # noqa: F401
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,  # noqa: F401
                   cosine_embedding_loss, cross_entropy_simple, gaussian_nll_loss, hinge_embedding_loss, huber_loss,
                   kl_div, l1_loss, margin_ranking_loss, mse_loss, multi_margin_loss, multilabel_soft_margin_loss,
                   nll_loss, poisson_nll_loss, smooth_l1_loss, soft_margin_loss, triplet_margin_loss)
from .normalization import (batch_norm, batch_norm_simple, batch_renorm, group_norm, group_norm_simple,  # noqa: F401
                            instance_norm, instance_norm_simple, layer_norm, layer_norm_simple, local_response_norm,
                            rms_norm)
from .pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d,  # noqa: F401
                      adaptive_max_pool1d, adaptive_max_pool2d, avg_pool1d, avg_pool2d, avg_pool3d, lp_pool1d,
                      lp_pool2d, max_pool1d, max_pool2d, max_pool3d, max_unpool2d)
from .upsampling import interpolate, pixel_shuffle, pixel_unshuffle  # noqa: F401
from .sparse import embedding, embedding_bag, one_hot  # noqa: F401
from ..ops.shape import pad  # noqa: F401  (torch's F.pad: constant, reflect, replicate, circular)
