"""Embedding: a lookup table of vectors; EmbeddingBag: the sum, mean or max of bags of them;
and F.one_hot."""

from __future__ import annotations

import numpy as np

from .. import backend, dtypes
from ..autograd import Function
from ..grad_mode import no_grad
from ..creation import zeros
from ..ops import where
from ..ops.reduce import amax
from ..tensor import Tensor
from . import init
from .module import Module, Parameter


class EmbeddingFunction(Function):
    """y = weight[idx]; gweight = gy scatter-added into the rows of idx (a row picked twice gets
    both gradients), except the padding row, which never learns"""

    def __init__(self, idx, padding_idx):
        self.idx, self.padding_idx = idx, padding_idx
        # linear in weight; with a padding row backward is not forward's transpose, so the
        # recorded backward is that of the composed twin (the padding row detached)
        self.double_backward = "linear" if padding_idx is None else "composed"

    def composed(self, weight):
        xp = self.xp
        learns = xp.arange(weight.shape[0]) != self.padding_idx
        return where(learns[:, None], weight, weight.detach())[self.idx]

    def forward(self, weight):
        self.w_shape = weight.shape
        return weight[self.idx]

    def backward(self, gy):
        gw = self.xp.zeros(self.w_shape, dtype=gy.dtype)
        backend.scatter_add(gw, self.idx, gy)
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """The rows of `weight` at the integer indices `input`: shape input.shape + (dim,)."""
    if input.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor, got {input.dtype}")
    if input.device != weight.device:
        raise TypeError(f"embedding: indices on {input.device!r}, weight on {weight.device!r}")
    n = weight.shape[0]
    if input.numel() and (int(input.array.min()) < 0 or int(input.array.max()) >= n):
        raise IndexError(f"embedding: an index is out of range for a table of {n} rows")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    return EmbeddingFunction(input.array, padding_idx)(weight)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot vectors: shape tensor.shape + (num_classes,) (max + 1 classes if -1)."""
    if tensor.dtype.kind not in "iu":
        raise TypeError(f"one_hot: needs an integer tensor, got {tensor.dtype}")
    a = tensor.array
    if num_classes == -1:
        num_classes = int(a.max()) + 1 if a.size else 0
    if a.size and (int(a.min()) < 0 or int(a.max()) >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes})")
    xp = backend.get_array_module(a)
    return Tensor._from_data((a[..., None] == xp.arange(num_classes)).astype(dtypes.int64))


def _table(layer, _weight, device, dtype) -> None:
    """An embedding layer's weight (num_embeddings, embedding_dim): `_weight` as given, else
    PyTorch's init (reset_parameters)."""
    if _weight is not None:
        layer.weight = Parameter(_weight)
        return
    shape = (layer.num_embeddings, layer.embedding_dim)
    layer.weight = Parameter(zeros(*shape, dtype=dtypes.float_or_default(dtype), device=device))
    layer.reset_parameters()


class Embedding(Module):
    """A table of `num_embeddings` vectors of size `embedding_dim`, looked up by index; weights
    from N(0, 1) as in torch (the `padding_idx` row zero and not trained).

    `sparse=True` is accepted: the weight's gradient is then still a dense tensor, holding the
    values of torch's sparse one (zero rows for the indices not looked up). SGD updates the same
    weights from it; minigrad has no SparseAdam (use Adam, whose update differs from SparseAdam's
    for the rows a batch does not touch).

    >>> import minigrad
    >>> from minigrad import nn
    >>> emb = nn.Embedding(10, 3)
    >>> emb(minigrad.tensor([[1, 2], [4, 9]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 device=None, dtype=None, _weight=None, sparse: bool = False):
        super().__init__()
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if padding_idx is not None and padding_idx < 0:
            padding_idx += self.num_embeddings
        self.padding_idx = padding_idx
        self.sparse = bool(sparse)
        _table(self, _weight, device, dtype)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        pad = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        sparse = ", sparse=True" if self.sparse else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}{sparse}"

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, padding_idx=None,
                        sparse: bool = False) -> Embedding:
        emb = cls(*embeddings.shape, padding_idx=padding_idx, _weight=embeddings.detach().clone(), sparse=sparse)
        emb.weight.requires_grad = not freeze
        return emb


_BAG_MODES = ("sum", "mean", "max")


def _bag_layout(input, offsets, include_last_offset: bool):
    """The flat indices and a (bags, longest bag) table of positions into them, with a mask of
    the positions that hold an element; a 2-d input is already that table."""
    a = backend.to_numpy(input.array)
    if a.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: if input is 2D, offsets has to be None (each row is a bag), "
                             f"got offsets of shape {offsets.shape}")
        B, L = a.shape
        return a.reshape(-1), np.arange(B * L).reshape(B, L), np.ones((B, L), bool)
    if a.ndim != 1:
        raise ValueError(f"embedding_bag: input has to be 1D or 2D, got shape {input.shape}")
    if offsets is None or offsets.ndim != 1:
        raise ValueError("embedding_bag: with a 1D input, offsets has to be a 1D tensor, got "
                         f"{None if offsets is None else offsets.shape}")
    if offsets.dtype.kind not in "iu":
        raise TypeError(f"embedding_bag: offsets must be an integer tensor, got {offsets.dtype}")
    o = backend.to_numpy(offsets.array).astype(np.int64)
    n = a.shape[0]
    if o.size and o[0] != 0:
        raise ValueError(f"embedding_bag: offsets[0] has to be 0 (the first bag starts at position 0), got {o[0]}")
    if o.size and (o[-1] > n or np.any(np.diff(o) < 0)):
        raise ValueError(f"embedding_bag: offsets must be non-decreasing and at most the input's length {n}, "
                         f"got {o.tolist()}")
    if include_last_offset:  # the last offset closes the last bag
        starts, ends = o[:-1], o[1:]
    else:
        starts, ends = o, np.append(o[1:], n)
    lengths = ends - starts
    L = int(lengths.max()) if lengths.size else 0
    pos = starts[:, None] + np.arange(L)
    mask = np.arange(L) < lengths[:, None]
    return a, np.where(mask, pos, 0), mask


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Reduce bags of embedding vectors, without building the (bags, length, dim) lookup the
    user would: the sum, mean or max of the rows of `weight` in each bag. Same as
    torch.nn.functional.embedding_bag:

    - a 2-d input (B, L) is B bags of L indices; a 1-d input holds the bags one after another,
      `offsets` giving where each starts (`include_last_offset=True`: its last entry is where the
      last bag ends, so there are len(offsets) - 1 bags);
    - `per_sample_weights` (input's shape, mode "sum" only) scales each row before the sum;
    - entries equal to `padding_idx` are left out of their bag (not counted by "mean"); an empty
      bag gives zeros.

    `max_norm` and `scale_grad_by_freq=True` raise NotImplementedError; `sparse=True` gives a dense
    gradient, as `nn.Embedding(sparse=True)`.

    >>> import minigrad
    >>> import minigrad.nn.functional as F
    >>> w = minigrad.tensor([[1.0, 0.0], [0.0, 2.0], [4.0, 4.0]])
    >>> F.embedding_bag(minigrad.tensor([0, 1, 2]), w, minigrad.tensor([0, 2]), mode="sum")
    tensor([[1., 2.],
            [4., 4.]])
    """
    if mode not in _BAG_MODES:
        raise ValueError(f"embedding_bag: mode has to be one of {_BAG_MODES}, got {mode!r}")
    if max_norm is not None or scale_grad_by_freq:
        raise NotImplementedError("embedding_bag: max_norm and scale_grad_by_freq are not supported")
    if input.dtype.kind not in "iu":
        raise TypeError(f"embedding_bag: indices must be an integer tensor, got {input.dtype}")
    for name, t in (("offsets", offsets), ("per_sample_weights", per_sample_weights)):
        if t is not None and t.device != weight.device:
            raise TypeError(f"embedding_bag: {name} on {t.device!r}, weight on {weight.device!r}")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding_bag: padding_idx must be in [{-n}, {n}), got {padding_idx}")
        padding_idx %= n
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights is for mode='sum' only, got mode={mode!r}")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: per_sample_weights of shape {per_sample_weights.shape} must have "
                             f"the input's shape {input.shape}")
        if per_sample_weights.dtype != weight.dtype:
            raise TypeError(f"embedding_bag: per_sample_weights is {per_sample_weights.dtype}, weight is {weight.dtype}")
    flat, pos, mask = _bag_layout(input, offsets, include_last_offset)
    if flat.size and padding_idx is not None:
        mask = mask & (flat[pos] != padding_idx)  # padding entries belong to no bag
    xp = backend.get_array_module(weight.array)
    # the rows of each bag, padded to the longest bag: (B, L, dim); the positions past a bag's
    # end point at element 0 and are masked out below
    rows = embedding(Tensor._from_data(backend.to_device(flat, weight.device)), weight)
    if rows.shape[0] == 0 or pos.shape[1] == 0:  # no element at all: every bag is empty, zeros
        # (the sum over no rows, so the result stays in weight's graph, as torch's does)
        return rows.sum(dim=0, keepdim=True).expand(pos.shape[0], weight.shape[1])
    bags = rows[backend.to_device(pos, weight.device)]
    m = backend.to_device(mask, weight.device)[..., None]
    if mode == "max":
        filled = where(m, bags, Tensor._from_data(xp.full((), -xp.inf, weight.dtype)))
        return where(m.any(axis=1), amax(filled, dim=1), Tensor._from_data(xp.zeros((), weight.dtype)))
    scale = mask[..., None].astype(weight.dtype)
    if mode == "mean":  # divided by the bag's count of non-padding entries (an empty bag: by 1)
        scale = scale / np.maximum(mask.sum(axis=1), 1)[:, None, None].astype(weight.dtype)
    scale = Tensor._from_data(backend.to_device(scale, weight.device))
    if per_sample_weights is not None:
        psw = per_sample_weights.reshape(-1)[backend.to_device(pos, weight.device)]
        scale = scale * psw.reshape(*pos.shape, 1)
    return (bags * scale).sum(dim=1)


class EmbeddingBag(Module):
    """A table of `num_embeddings` vectors of size `embedding_dim`, looked up by bags of indices
    and reduced per bag by `mode` ("sum", "mean" or "max"); see `F.embedding_bag` for the input
    forms (a (B, L) tensor, or a 1-d tensor with `offsets`) and `padding_idx`. Weights from
    N(0, 1) as in torch (the padding row zero). Same as torch.nn.EmbeddingBag.

    >>> import minigrad
    >>> from minigrad import nn
    >>> bag = nn.EmbeddingBag(10, 3)
    >>> bag(minigrad.tensor([1, 2, 4, 5, 4]), minigrad.tensor([0, 2])).shape
    (2, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                 _weight=None, include_last_offset: bool = False, padding_idx: int | None = None,
                 device=None, dtype=None):
        super().__init__()
        if mode not in _BAG_MODES:
            raise ValueError(f"EmbeddingBag: mode has to be one of {_BAG_MODES}, got {mode!r}")
        if max_norm is not None or scale_grad_by_freq:
            raise NotImplementedError("EmbeddingBag: max_norm and scale_grad_by_freq are not supported")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"EmbeddingBag: padding_idx must be within num_embeddings, got {padding_idx}")
            padding_idx %= self.num_embeddings
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.mode, self.sparse, self.include_last_offset = mode, bool(sparse), bool(include_last_offset)
        self.padding_idx = padding_idx
        _table(self, _weight, device, dtype)

    reset_parameters = Embedding.reset_parameters  # N(0, 1), the padding row 0

    def forward(self, input: Tensor, offsets: Tensor | None = None,
                per_sample_weights: Tensor | None = None) -> Tensor:
        return embedding_bag(input, self.weight, offsets, mode=self.mode, sparse=self.sparse,
                             per_sample_weights=per_sample_weights, include_last_offset=self.include_last_offset,
                             padding_idx=self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}"  # torch's repr
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, max_norm=None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                        include_last_offset: bool = False, padding_idx=None) -> EmbeddingBag:
        bag = cls(*embeddings.shape, max_norm=max_norm, norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq,
                  mode=mode, sparse=sparse, _weight=embeddings.detach().clone(),
                  include_last_offset=include_last_offset, padding_idx=padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
