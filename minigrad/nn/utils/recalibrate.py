"""Recalibrating BatchNorm's running statistics: "precise BN" (Wu & Johnson 2021).

The running statistics are an exponential moving average over training steps whose weights
kept changing: they describe a mix of old models, and with a small momentum they lag far
behind (see docs/batchnorm.md). With the weights fixed, we instead measure the statistics each
BatchNorm layer sees over N batches and store their population values.
"""

from __future__ import annotations

import itertools

import numpy as np

from ...grad_mode import no_grad
from ...creation import tensor
from ..module import Module
from ..normalization import _BatchNorm


class _Moments:
    """Count, mean and sum of squared deviations of each channel over every batch so far,
    merged batch by batch (Chan et al.'s pairwise update, in float64 on the host): exact
    whatever the batch sizes, and never E[x^2] - E[x]^2."""

    def __init__(self):
        self.n, self.mean, self.m2 = 0, 0.0, 0.0

    def add(self, a: np.ndarray) -> None:
        axes = (0,) + tuple(range(2, a.ndim))
        n_b = a.size // a.shape[1]
        mean_b = a.mean(axis=axes)
        m2_b = ((a - mean_b.reshape((-1,) + (1,) * (a.ndim - 2))) ** 2).sum(axis=axes)
        n = self.n + n_b
        delta = mean_b - self.mean
        self.mean = self.mean + delta * (n_b / n)
        self.m2 = self.m2 + m2_b + delta * delta * (self.n * n_b / n)
        self.n = n


def recalibrate_bn(model: Module, batches, num_batches: int | None = None, include_frozen: bool = False) -> Module:
    """Recompute the running mean and variance of every BatchNorm layer of `model` (those that
    track running statistics, BatchRenorm included) from `num_batches` batches of `batches`
    (default: all), with the weights fixed, and return `model`.

    Frozen layers (`freeze()`) are left alone unless include_frozen=True: a network fine-tuned
    with frozen BatchNorm learned its weights against those statistics, and replacing them
    changes what it computes (docs/batchnorm.md, "Fine-tuning", measures the damage).

    Each layer gets the population statistics of the inputs it saw over all those batches:
    mean = the average of the batch means, and variance = the pooled variance over every value
    seen, i.e. E[var_B] + Var[mean_B] with equal batches (Wu & Johnson 2021 write it
    E[mu_B^2 + sigma_B^2] - E[mu_B]^2), stored unbiased (count - 1) like BatchNorm's running_var.
    NOTE: averaging the batch variances alone, E[var_B], as some precise-BN code does, misses
    Var[mean_B], the spread of the batch means, which is what a small batch makes large; that
    spread is part of the variance of a single sample at test time, so we keep it.

    The model runs in training mode under no_grad: every layer being recalibrated normalises
    with its batch statistics (and frozen ones left alone with their running statistics), so
    each layer sees the inputs it sees in training; as in precise BN, Dropout is active too. Afterwards every module's train/eval mode, each BN
    layer's momentum, frozen flag and num_batches_tracked are as they were.

    batches: an iterable of input Tensors, or of tuples whose first item is the input (a
    DataLoader). The model is called as model(x).

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).eval()
        >>> data = [minigrad.randn(8, 3) + 2 for _ in range(5)]
        >>> model = nn.utils.recalibrate_bn(model, data)
        >>> model.training, model[1].running_mean.shape
        (False, (4,))
    """
    layers = [m for m in model.modules() if isinstance(m, _BatchNorm) and m.running_mean is not None
              and (include_frozen or not m.frozen)]
    if not layers:
        return model
    if num_batches is not None and num_batches < 1:
        raise ValueError(f"recalibrate_bn: num_batches must be >= 1, got {num_batches}")
    modes = [(m, m.training) for m in model.modules()]
    saved = [(bn, bn.momentum, bn.frozen, int(bn.num_batches_tracked.item())) for bn in layers]
    moments = {id(bn): _Moments() for bn in layers}

    def record(bn, inputs, output):
        moments[id(bn)].add(np.asarray(inputs[0].numpy(), dtype=np.float64))

    handles = [bn.register_forward_hook(record) for bn in layers]
    try:
        model.train()
        for bn in layers:
            bn.momentum, bn.frozen = 0.0, False  # batch statistics, running ones left alone
        seen = 0
        with no_grad():
            for batch in itertools.islice(batches, num_batches):
                model(batch[0] if isinstance(batch, (tuple, list)) else batch)
                seen += 1
        if seen == 0:
            raise ValueError("recalibrate_bn: `batches` gave no batch")
        with no_grad():
            for bn in layers:
                mo = moments[id(bn)]
                if mo.n < 2:
                    raise ValueError(f"recalibrate_bn: {type(bn).__name__} saw {mo.n} value(s) per channel; "
                                     f"an unbiased variance needs at least 2")
                rm, rv = bn.running_mean, bn.running_var
                rm.copy_(tensor(mo.mean, dtype=rm.dtype, device=rm.device))  # copy_ moves host -> device
                rv.copy_(tensor(mo.m2 / (mo.n - 1), dtype=rv.dtype, device=rv.device))
    finally:
        for h in handles:
            h.remove()
        for bn, momentum, frozen, count in saved:
            bn.momentum, bn.frozen = momentum, frozen
            bn.num_batches_tracked.fill_(count)
        for m, training in modes:
            m.training = training
    return model
