"""Variable-length sequences, shaped like torch.nn.utils.rnn: `pad_sequence` and
`unpad_sequence`, `pack_padded_sequence` and `pad_packed_sequence`, `pack_sequence` and
`unpack_sequence`, and `PackedSequence`, which nn.RNN, nn.LSTM and nn.GRU accept as input.

A PackedSequence stores a batch of sequences time step by time step, without the padding: the
rows of `data` are every sequence's step 0, then every sequence still running at step 1, and so
on; `batch_sizes[t]` says how many sequences are still running at step t. For that, the batch is
sorted by decreasing length (`sorted_indices` says which original sequence is at each sorted
place, `unsorted_indices` undoes it; both None when the batch came sorted).

    lengths 3, 1, 2 (unsorted)  ->  sorted order 0, 2, 1   (sorted_indices  [0, 2, 1])
    step:        0  1  2
    seq 0:       a0 a1 a2            data        = [a0 c0 b0 | a1 c1 | a2]
    seq 1:       b0                  batch_sizes = [3, 2, 1]
    seq 2:       c0 c1

Every conversion here is one gather (integer-array indexing, whose backward is a scatter-add), so
gradients flow from packed data to the padded input and back. The indices are computed on the
host from `lengths`/`batch_sizes`, which live on the CPU as in torch.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ... import backend
from ...creation import full, tensor
from ...dtypes import DtypeError, ShapeError
from ...ops import cat, stack
from ...tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation q with q[p[i]] = i (None stays None), as torch's.

    >>> import minigrad
    >>> invert_permutation(minigrad.tensor([2, 0, 1]))
    tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    p = backend.to_numpy(permutation.array)
    inverse = np.empty_like(p)
    inverse[p] = np.arange(len(p), dtype=p.dtype)
    return tensor(inverse, device=permutation.device)


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A batch of variable-length sequences without their padding (see the module docstring).
    Same fields as torch's: `data` (sum of lengths, *), `batch_sizes` (a CPU int64 tensor, one
    entry per time step), `sorted_indices` and `unsorted_indices` (int64 tensors on data's
    device, or None). Build one with `pack_padded_sequence` or `pack_sequence`, not by hand.

    Example:
        >>> import minigrad
        >>> from minigrad.nn.utils.rnn import pack_sequence
        >>> p = pack_sequence([minigrad.tensor([1., 2., 3.]), minigrad.tensor([4.])])
        >>> p.data, p.batch_sizes
        (tensor([1., 4., 2., 3.]), tensor([2, 1, 1]))
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """`data.to(...)` (a device and/or dtype, as Tensor.to), the indices following data's
        device; `batch_sizes` stays on the CPU, as in torch."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = (lambda i: None if i is None else i.to(data.device))
        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


# ***** padding: a list of tensors <-> one padded tensor *****


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes (L_i, *) into one (L_max, N, *) tensor (batch_first: (N, L_max, *)),
    filling the missing steps with `padding_value`, after each sequence (`padding_side="right"`)
    or before it ("left"). Same as torch's; the tensors must share dtype and device.

    Example:
        >>> import minigrad
        >>> a, b = minigrad.tensor([1., 2., 3.]), minigrad.tensor([4.])
        >>> pad_sequence([a, b], batch_first=True)
        tensor([[1., 2., 3.],
                [4., 0., 0.]])
        >>> pad_sequence([a, b], batch_first=True, padding_side="left")
        tensor([[1., 2., 3.],
                [0., 0., 4.]])
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):  # torch accepts a tensor: its rows are the sequences
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    first = sequences[0]
    for s in sequences:
        if not isinstance(s, Tensor):
            raise TypeError(f"pad_sequence: expected a list of Tensors, got a {type(s).__name__}")
        if s.ndim == 0 or s.shape[1:] != first.shape[1:]:
            raise ShapeError(f"pad_sequence: every sequence must be (length, *) with the same trailing dims, "
                             f"got shapes {[t.shape for t in sequences]}")
        if s.dtype != first.dtype:
            raise DtypeError(f"pad_sequence: the sequences mix dtypes {sorted({str(t.dtype) for t in sequences})}; "
                             "convert them to one with .to(dtype)")
        if s.device != first.device:
            raise TypeError(f"pad_sequence: the sequences are on different devices "
                            f"{sorted({str(t.device) for t in sequences})}; move them to one with .to(device)")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            fill = full((missing, *s.shape[1:]), padding_value, dtype=s.dtype, device=s.device)
            s = cat([s, fill] if padding_side == "right" else [fill, s])
        padded.append(s)
    return stack(padded, dim=0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """The inverse of `pad_sequence` (right padding): a list of N tensors (lengths[i], *).

    Example:
        >>> import minigrad
        >>> x = minigrad.tensor([[1., 2., 3.], [4., 0., 0.]])
        >>> unpad_sequence(x, [3, 1], batch_first=True)
        [tensor([1., 2., 3.]), tensor([4.])]
    """
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths = _lengths_array(lengths, "unpad_sequence")
    N, L = padded_sequences.shape[0], padded_sequences.shape[1]
    if len(lengths) != N or (lengths > L).any() or (lengths < 0).any():
        raise ShapeError(f"unpad_sequence: lengths {lengths.tolist()} do not fit a padded batch of {N} sequences "
                         f"of {L} steps (input shape {padded_sequences.shape}, batch_first={batch_first})")
    return [padded_sequences[i, :int(n)] for i, n in enumerate(lengths)]


# ***** packing: a padded tensor <-> a PackedSequence *****


def _lengths_array(lengths, name: str) -> np.ndarray:
    """`lengths` (a list, a NumPy array or a tensor) as a 1-d int64 host array."""
    arr = backend.to_numpy(lengths.array) if isinstance(lengths, Tensor) else np.asarray(lengths)
    if arr.ndim != 1:
        raise ShapeError(f"{name}: 'lengths' must be 1-d, got shape {arr.shape}")
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and np.all(arr == np.round(arr))):
        raise TypeError(f"{name}: 'lengths' must hold whole numbers, got {arr.tolist()}")
    return arr.astype(np.int64)


def _packed_rows(batch_sizes: np.ndarray, columns: np.ndarray, stride_t: int, stride_b: int) -> np.ndarray:
    """For each row of packed data (time-major, the first batch_sizes[t] sorted sequences at step
    t), its flat position in a padded tensor: t * stride_t + columns[b] * stride_b."""
    T, B = len(batch_sizes), len(columns)
    running = np.arange(B)[None, :] < batch_sizes[:, None]  # (T, B): is sorted sequence b still running at t
    flat = np.arange(T)[:, None] * stride_t + columns[None, :] * stride_b
    return flat[running]  # a boolean mask reads (T, B) row by row: time-major, as packed data


def _padded_from_packed(data: Tensor, batch_sizes: np.ndarray, padding_value, total_length: int) -> Tensor:
    """(total_length, B, *) in the sorted order, built by one gather from data with one extra row
    of padding_value appended: every padded place reads that row."""
    T, B = len(batch_sizes), int(batch_sizes[0])
    starts = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
    b = np.arange(B)[None, :]
    rows = np.where(b < batch_sizes[:, None], starts[:, None] + b, data.shape[0])  # (T, B)
    rows = np.concatenate([rows, np.full((total_length - T, B), data.shape[0])])
    fill = full((1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    return cat([data, fill])[backend.to_device(rows, data.device)]


def _packed_from_padded(padded: Tensor, batch_sizes: np.ndarray) -> Tensor:
    """The inverse of `_padded_from_packed`: padded (T, B, *) in the sorted order -> packed data."""
    T, B = padded.shape[0], padded.shape[1]
    rows = _packed_rows(batch_sizes, np.arange(B), B, 1)
    return padded.reshape(T * B, *padded.shape[2:])[backend.to_device(rows, padded.device)]


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (L, N, *) (batch_first: (N, L, *)) whose sequence i has lengths[i]
    real steps. With `enforce_sorted=True` the lengths must decrease (the form ONNX export
    needs); `enforce_sorted=False` sorts them and records the permutation. Same as torch's,
    except that lengths longer than the input raise here.

    Example:
        >>> import minigrad
        >>> x = minigrad.tensor([[1., 2., 3.], [4., 5., 0.]])   # 2 sequences, batch_first
        >>> p = pack_padded_sequence(x, [3, 2], batch_first=True)
        >>> p.data, p.batch_sizes
        (tensor([1., 4., 2., 5., 3.]), tensor([2, 2, 1]))
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pack_padded_sequence: input must be a Tensor, got {type(input).__name__}")
    lengths = _lengths_array(lengths, "pack_padded_sequence")
    if input.ndim < 2:
        raise ShapeError(f"pack_padded_sequence: input must be at least 2-D (steps and batch), got shape {input.shape}")
    L, N = (input.shape[1], input.shape[0]) if batch_first else (input.shape[0], input.shape[1])
    if N == 0:
        raise RuntimeError(f"Cannot pack empty tensors. The input of shape {input.shape} holds no sequence.")
    if len(lengths) != N:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                           f"(batch_size={N})")
    if (lengths <= 0).any():
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if (lengths > L).any():  # torch reads past the end of its input here
        raise ShapeError(f"pack_padded_sequence: lengths {lengths.tolist()} exceed the {L} steps of the input "
                         f"(shape {input.shape}, batch_first={batch_first})")
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                               "to sidestep this requirement if you do not need ONNX exportability.")
        order, sorted_indices = np.arange(N), None
    else:
        order = np.argsort(-lengths, kind="stable")  # ties keep their order, as torch.sort does here
        sorted_indices = tensor(order, device=input.device)
    batch_sizes = (lengths[order][None, :] > np.arange(lengths.max())[:, None]).sum(1)
    stride_t, stride_b = (1, L) if batch_first else (N, 1)
    rows = _packed_rows(batch_sizes, order, stride_t, stride_b)
    data = input.reshape(L * N, *input.shape[2:])[backend.to_device(rows, input.device)]
    return PackedSequence(data, tensor(batch_sizes), sorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple:
    """The inverse of `pack_padded_sequence`: (padded, lengths), padded (T, N, *) (batch_first:
    (N, T, *)) in the original batch order with `padding_value` after each sequence, T the longest
    length or `total_length`; lengths a CPU int64 tensor. Same as torch's.

    Example:
        >>> import minigrad
        >>> p = pack_sequence([minigrad.tensor([1., 2., 3.]), minigrad.tensor([4.])])
        >>> pad_packed_sequence(p, batch_first=True, padding_value=-1.0)
        (tensor([[ 1.,  2.,  3.],
                [ 4., -1., -1.]]), tensor([3, 1]))
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, got {type(sequence).__name__}")
    batch_sizes = backend.to_numpy(sequence.batch_sizes.array).astype(np.int64)
    T = len(batch_sizes)
    if total_length is None:
        total_length = T
    elif total_length < T:
        raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                         f"but got total_length={total_length} and max sequence length being {T}")
    padded = _padded_from_packed(sequence.data, batch_sizes, padding_value, total_length)
    lengths = (batch_sizes[None, :] > np.arange(batch_sizes[0])[:, None]).sum(1)  # sorted, decreasing
    if sequence.unsorted_indices is not None:
        padded = padded[:, sequence.unsorted_indices]
        lengths = lengths[backend.to_numpy(sequence.unsorted_indices.array)]
    return (padded.transpose(0, 1) if batch_first else padded), tensor(lengths)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors (L_i, *): `pack_padded_sequence(pad_sequence(sequences), lengths)`.

    Example:
        >>> import minigrad
        >>> p = pack_sequence([minigrad.tensor([4.]), minigrad.tensor([1., 2.])], enforce_sorted=False)
        >>> p.data, p.batch_sizes, p.sorted_indices
        (tensor([1., 4., 2.]), tensor([2, 1]), tensor([1, 0]))
    """
    sequences = list(sequences)
    lengths = [s.shape[0] if isinstance(s, Tensor) and s.ndim else 0 for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The inverse of `pack_sequence`: the list of tensors (L_i, *), in the original order.

    Example:
        >>> import minigrad
        >>> p = pack_sequence([minigrad.tensor([4.]), minigrad.tensor([1., 2.])], enforce_sorted=False)
        >>> unpack_sequence(p)
        [tensor([4.]), tensor([1., 2.])]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
