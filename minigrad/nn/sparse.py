"""Embedding: a lookup table of vectors, and F.one_hot."""

from __future__ import annotations

from .. import backend, dtypes
from ..autograd import Function
from ..grad_mode import no_grad
from ..creation import zeros
from ..ops import where
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
        if _weight is not None:
            self.weight = Parameter(_weight)
        else:
            shape = (self.num_embeddings, self.embedding_dim)
            self.weight = Parameter(zeros(*shape, dtype=dtypes.float_or_default(dtype), device=device))
            self.reset_parameters()

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
