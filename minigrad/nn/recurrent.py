"""Recurrent layers: `nn.RNN`, `nn.LSTM`, `nn.GRU` and their one-step cells `nn.RNNCell`,
`nn.LSTMCell`, `nn.GRUCell`, shaped like torch.nn (arguments, parameter names and shapes, gate
order, initialisation, input/output shapes), so a state_dict copied from torch gives the same
outputs.

There is no Function here: every layer is composed from ops that already have a backward
(`F.linear`, `sigmoid`, `tanh`, slicing, `stack`, `cat`), so autograd derives every gradient
through time, double backward included. The gate equations are written out once, in the
"one time step" section below; the layers only loop them over time, directions and layers.
A PackedSequence (nn.utils.rnn) runs as its padded batch, each sequence's state carried unchanged
past its end by `where` (`RNNBase._run_packed`), so no step reads the padding.

Sections: one time step (the equations) / checks / the cells / the multi-layer layers.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import backend
from ..creation import zeros
from ..dtypes import DtypeError, ShapeError, float_or_default
from ..ops import cat, relu, stack, tanh, where
from ..tensor import Tensor
from . import init
from .dropout import dropout as _dropout
from .linear import linear
from .module import Module, Parameter
from .utils import rnn as rnn_utils
from .utils.rnn import PackedSequence

# ***** one time step: the gate equations *****
#
# Every step function gets `gi = x @ W_ih^T + b_ih`, the input's contribution to the gates,
# already computed: a layer computes it for all time steps in one matmul before its loop, since
# it does not depend on the hidden state. The state is a tuple: (h,) or, for the LSTM, (h, c).
# W_hh stacks the gates' weights along its rows, in torch's order; `chunk` cuts them apart.


def rnn_tanh_step(gi: Tensor, state: tuple, w_hh: Tensor, b_hh: Tensor | None) -> tuple:
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh)"""
    (h,) = state
    return (tanh(gi + linear(h, w_hh, b_hh)),)


def rnn_relu_step(gi: Tensor, state: tuple, w_hh: Tensor, b_hh: Tensor | None) -> tuple:
    """h' = relu(W_ih x + b_ih + W_hh h + b_hh)"""
    (h,) = state
    return (relu(gi + linear(h, w_hh, b_hh)),)


def lstm_step(gi: Tensor, state: tuple, w_hh: Tensor, b_hh: Tensor | None) -> tuple:
    """The LSTM (Hochreiter & Schmidhuber 1997; the forget gate from Gers et al. 2000), gates in
    torch's order i, f, g, o:

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)    input gate: how much of g to write
        f = sigmoid(W_if x + b_if + W_hf h + b_hf)    forget gate: how much of c to keep
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)       the candidate cell values
        o = sigmoid(W_io x + b_io + W_ho h + b_ho)    output gate: how much of c to show
        c' = f * c + i * g
        h' = o * tanh(c')
    """
    h, c = state
    i, f, g, o = (gi + linear(h, w_hh, b_hh)).chunk(4, dim=-1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c = f * c + i * g
    h = o * c.tanh()
    return h, c


def gru_step(gi: Tensor, state: tuple, w_hh: Tensor, b_hh: Tensor | None) -> tuple:
    """The GRU (Cho et al. 2014), gates in torch's order r, z, n:

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)        reset gate
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)        update gate
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))     the candidate state
        h' = (1 - z) * n + z * h

    NOTE: r multiplies (W_hn h + b_hn), bias included, as in torch and cuDNN (the paper puts it
    inside: W_hn (r * h)); that is why the GRU needs the two products apart, not their sum.
    """
    (h,) = state
    gh = linear(h, w_hh, b_hh)
    i_r, i_z, i_n = gi.chunk(3, dim=-1)
    h_r, h_z, h_n = gh.chunk(3, dim=-1)
    r = (i_r + h_r).sigmoid()
    z = (i_z + h_z).sigmoid()
    n = (i_n + r * h_n).tanh()
    return ((1 - z) * n + z * h,)


# ***** checks at the API boundary *****


def _check_config(input_size, hidden_size, bias) -> None:
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise TypeError(f"{name} should be of type int, got: {type(v).__name__}")
        if v <= 0:
            raise ValueError(f"{name} must be greater than zero, got {v}")
    if not isinstance(bias, bool):
        raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")


def _check_state(name: str, x: Tensor, hx: Tensor, expected: tuple, batched: bool) -> None:
    if not isinstance(hx, Tensor):
        raise TypeError(f"{name}: the initial state must be a Tensor, got {type(hx).__name__}")
    if hx.shape != expected:
        kind = "batched" if batched else "unbatched"
        raise ShapeError(f"{name}: expected an initial state of shape {expected} for {kind} input of "
                         f"shape {x.shape}, got {hx.shape}")
    if hx.dtype != x.dtype:
        raise DtypeError(f"{name}: input is {x.dtype} but the initial state is {hx.dtype}; convert one "
                         "with .to(dtype=...)")
    if hx.device != x.device:
        raise TypeError(f"{name}: input is on {x.device!r} but the initial state on {hx.device!r}; move "
                        "one with .to(device)")


def _check_input(name: str, x: Tensor, input_size: int, weight: Tensor, dims: tuple) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim not in dims:
        raise ShapeError(f"{name}: expected input to be {dims[0]}-D (unbatched) or {dims[1]}-D (batched), "
                         f"got shape {x.shape}")
    if x.shape[-1] != input_size:
        raise ShapeError(f"{name}: input of shape {x.shape} has {x.shape[-1]} features in its last dim, "
                         f"expected input_size={input_size}")
    if x.dtype != weight.dtype:
        raise DtypeError(f"{name}: input is {x.dtype} but the weights are {weight.dtype}; convert the input "
                         f"with .to({weight.dtype}) or the model with .to({x.dtype})")
    if x.device != weight.device:
        raise TypeError(f"{name}: input is on {x.device!r} but the weights on {weight.device!r}; move one "
                        "with .to(device)")


def _time_steps(seq: Tensor) -> list:
    """[seq[0], ..., seq[L-1]], cut by halving. NOTE: the backward of a slice is a zero array of
    the sliced tensor's full shape with the slice's gradient written in, so L slices of the
    whole sequence cost O(L^2) in backward; halving costs O(L log L) (forward+backward 3.5x faster at L = 256)."""
    if seq.shape[0] == 1:
        return [seq[0]]
    mid = seq.shape[0] // 2
    return _time_steps(seq[:mid]) + _time_steps(seq[mid:])


def _init_uniform(module: Module) -> None:
    # torch's default for every recurrent weight and bias: U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))
    bound = 1.0 / math.sqrt(module.hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


# ***** cells: one time step as a Module *****


class RNNCellBase(Module):
    """What RNNCell, LSTMCell and GRUCell share (for `isinstance` checks, as torch.nn.RNNCellBase)."""

    n_gates = 1
    n_state = 1  # tensors in the state: h, or h and c

    def __init__(self, input_size: int, hidden_size: int, bias: bool, device, dtype):
        super().__init__()
        _check_config(input_size, hidden_size, bias)
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bias
        dtype, G = float_or_default(dtype), self.n_gates * hidden_size
        self.weight_ih = Parameter(zeros(G, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(zeros(G, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(zeros(G, dtype=dtype, device=device))
            self.bias_hh = Parameter(zeros(G, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _init_uniform(self)

    def _run(self, input: Tensor, hx: tuple | None, step) -> tuple:
        name = type(self).__name__
        _check_input(name, input, self.input_size, self.weight_ih, dims=(1, 2))
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        if hx is None:
            state = tuple(zeros(*expected, dtype=x.dtype, device=x.device) for _ in range(self.n_state))
        else:
            state = hx
        for s in state:
            _check_state(name, input, s, expected, batched)
        if not batched:
            state = tuple(s.unsqueeze(0) for s in state)
        state = step(linear(x, self.weight_ih, self.bias_ih), state, self.weight_hh, self.bias_hh)
        return state if batched else tuple(s.squeeze(0) for s in state)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu). Same as
    torch.nn.RNNCell: parameters weight_ih (hidden, input), weight_hh (hidden, hidden), bias_ih,
    bias_hh (hidden,), all from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

    Shape: input (N, input_size) or (input_size,); hx the same with hidden_size (zeros if None)
    -> h' (N, hidden_size) or (hidden_size,).

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> cell = nn.RNNCell(3, 5)
        >>> h = None
        >>> for x in minigrad.randn(4, 2, 3):   # 4 time steps of a batch of 2
        ...     h = cell(x, h)
        >>> h.shape
        (2, 5)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity!r}. Select from 'tanh' or 'relu'.")
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        step = rnn_tanh_step if self.nonlinearity == "tanh" else rnn_relu_step
        return self._run(input, None if hx is None else (hx,), step)[0]


class LSTMCell(RNNCellBase):
    """One LSTM step (the equations in `lstm_step`). Same as torch.nn.LSTMCell: weight_ih
    (4 hidden, input), weight_hh (4 hidden, hidden), bias_ih, bias_hh (4 hidden,), gates stacked
    in the order i, f, g, o.

    Shape: input (N, input_size) or (input_size,); hx a tuple (h, c), each (N, hidden_size) or
    (hidden_size,) (zeros if None) -> (h', c').

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> cell = nn.LSTMCell(3, 5)
        >>> h, c = cell(minigrad.randn(2, 3))
        >>> h.shape, c.shape, cell.weight_hh.shape
        ((2, 5), (2, 5), (20, 5))
    """

    n_gates, n_state = 4, 2

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"LSTMCell: hx must be a tuple (h, c), got {type(hx).__name__}")
        return self._run(input, None if hx is None else tuple(hx), lstm_step)


class GRUCell(RNNCellBase):
    """One GRU step (the equations in `gru_step`). Same as torch.nn.GRUCell: weight_ih
    (3 hidden, input), weight_hh (3 hidden, hidden), bias_ih, bias_hh (3 hidden,), gates stacked
    in the order r, z, n.

    Shape: input (N, input_size) or (input_size,); hx (N, hidden_size) or (hidden_size,) (zeros
    if None) -> h' of hx's shape.

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> nn.GRUCell(3, 5)(minigrad.randn(3)).shape
        (5,)
    """

    n_gates = 3

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._run(input, None if hx is None else (hx,), gru_step)[0]


# ***** multi-layer, optionally bidirectional layers over a whole sequence *****


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters, the checks and the loop over layers,
    directions and time. Subclasses set `n_gates`, `n_state` and `_step`."""

    n_gates = 1
    n_state = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None):
        super().__init__()
        _check_config(input_size, hidden_size, bias)
        if not isinstance(num_layers, numbers.Integral) or isinstance(num_layers, bool) or num_layers <= 0:
            raise ValueError(f"num_layers must be an int greater than zero, got {num_layers!r}")
        if not isinstance(dropout, numbers.Real) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"dropout should be a number in range [0, 1] (the probability of an element "
                             f"being zeroed), got {dropout!r}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout is applied between recurrent layers, so dropout={dropout} does nothing "
                          f"with num_layers=1", stacklevel=2)
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bool(bidirectional), 0
        dtype, G = float_or_default(dtype), self.n_gates * hidden_size
        # registered in torch's order, so named_parameters() and state_dict() list the same keys
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size * self.num_directions
            for suffix in ("", "_reverse")[:self.num_directions]:
                shapes = {"weight_ih": (G, layer_input), "weight_hh": (G, self.hidden_size)}
                if bias:
                    shapes.update(bias_ih=(G,), bias_hh=(G,))
                for name, shape in shapes.items():
                    setattr(self, f"{name}_l{layer}{suffix}", Parameter(zeros(*shape, dtype=dtype, device=device)))
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def reset_parameters(self) -> None:
        _init_uniform(self)

    def flatten_parameters(self) -> None:
        """Does nothing: torch packs the weights into one buffer for cuDNN; minigrad has no cuDNN."""

    def _weights(self, layer: int, direction: int) -> tuple:
        suffix = "_reverse" if direction else ""
        return tuple(getattr(self, f"{n}_l{layer}{suffix}") if self.bias or n.startswith("weight") else None
                     for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    @property
    def all_weights(self) -> list:
        """The parameters of each layer and direction, as torch's `all_weights`."""
        return [[p for p in self._weights(layer, d) if p is not None]
                for layer in range(self.num_layers) for d in range(self.num_directions)]

    def _run(self, input, hx: tuple | None) -> tuple:
        """The loop: (output, final state as a tuple of (num_layers * num_directions, N, H) tensors)."""
        name = type(self).__name__
        if isinstance(input, PackedSequence):
            return self._run_packed(input, hx)
        _check_input(name, input, self.input_size, self.weight_ih_l0, dims=(2, 3))
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)  # from here on (L, N, input_size)
        if self.batch_first and batched:
            x = x.transpose(0, 1)
        if x.shape[0] == 0:
            raise ShapeError(f"{name}: input of shape {input.shape} has a sequence length of 0")
        hx = self._initial_state(input, hx, x.shape[1], batched)
        if not batched:
            hx = tuple(s.unsqueeze(1) for s in hx)
        x, h_n = self._layers(x, hx, running=None)
        if not batched:
            return x.squeeze(1), tuple(s.squeeze(1) for s in h_n)
        return (x.transpose(0, 1) if self.batch_first else x), h_n

    def _run_packed(self, input: PackedSequence, hx: tuple | None) -> tuple:
        """The same loop over the padded batch, in the packed (sorted) order: at a step past a
        sequence's end its state is kept (`where`), so h_n holds each sequence's own last step,
        the reverse direction starts at each sequence's own end, and the gradients stay exact."""
        name = type(self).__name__
        data, batch_sizes = input.data, backend.to_numpy(input.batch_sizes.array).astype(np.int64)
        if not isinstance(data, Tensor) or data.ndim != 2:
            raise ShapeError(f"{name}: a PackedSequence's data must be 2-D (the steps of all sequences, "
                             f"input_size), got {getattr(data, 'shape', type(data).__name__)}")
        _check_input(name, data, self.input_size, self.weight_ih_l0, dims=(1, 2))
        N = int(batch_sizes[0])
        hx = self._initial_state(data, hx, N, batched=True)  # hx comes in the original batch order
        if input.sorted_indices is not None:
            hx = tuple(s.index_select(1, input.sorted_indices) for s in hx)
        x = rnn_utils._padded_from_packed(data, batch_sizes, 0.0, len(batch_sizes))  # (L, N, input_size)
        real = backend.to_device(np.arange(N)[None, :, None] < batch_sizes[:, None, None], data.device)
        running = [None if n == N else real[t] for t, n in enumerate(batch_sizes)]  # None: all N still run
        x, h_n = self._layers(x, hx, running)
        if input.unsorted_indices is not None:
            h_n = tuple(s.index_select(1, input.unsorted_indices) for s in h_n)
        output = rnn_utils._packed_from_padded(x, batch_sizes)
        return PackedSequence(output, input.batch_sizes, input.sorted_indices, input.unsorted_indices), h_n

    def _initial_state(self, input: Tensor, hx: tuple | None, N: int, batched: bool) -> tuple:
        D = self.num_directions
        expected = (self.num_layers * D, N, self.hidden_size) if batched else (self.num_layers * D, self.hidden_size)
        if hx is None:
            return tuple(zeros(*expected, dtype=input.dtype, device=input.device) for _ in range(self.n_state))
        for s in hx:
            _check_state(type(self).__name__, input, s, expected, batched)
        return hx

    def _layers(self, x: Tensor, hx: tuple, running) -> tuple:
        """x (L, N, input_size), hx a tuple of (num_layers * D, N, H) -> the last layer's output
        (L, N, D * H) and the final states. `running[t]`, an (N, 1) bool array (None when all N
        sequences run at step t; `running` None when all run at every step), says which sequences
        step t updates; the others carry their state unchanged."""
        L, D = x.shape[0], self.num_directions
        finals = []  # the last state of each layer and direction, in torch's order
        for layer in range(self.num_layers):
            outputs = []
            for d in range(D):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, d)
                gi = _time_steps(linear(x, w_ih, b_ih))  # the input's part of the gates, all steps at once
                state = tuple(s[layer * D + d] for s in hx)
                hs = [None] * L
                for t in (reversed(range(L)) if d == 1 else range(L)):  # the reverse direction reads back to front
                    new = self._step(gi[t], state, w_hh, b_hh)
                    if running is not None and running[t] is not None:  # past its end, a sequence keeps its state
                        new = tuple(where(running[t], n, s) for n, s in zip(new, state))
                    state = new
                    hs[t] = state[0]
                outputs.append(stack(hs))
                finals.append(state)
            x = outputs[0] if D == 1 else cat(outputs, dim=-1)  # (L, N, D * hidden_size)
            if self.dropout and self.training and layer < self.num_layers - 1:  # between layers only
                x = _dropout(x, self.dropout)
        return x, tuple(stack([f[k] for f in finals]) for k in range(self.n_state))

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """A multi-layer Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh) (or relu).
    Same as torch.nn.RNN: arguments (`nonlinearity` is the fourth positional one, as in torch),
    parameters weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (and `_reverse` ones
    when bidirectional), U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) initialisation; `dropout`
    acts on the outputs of every layer but the last, in training only. `input` may be a
    PackedSequence (nn.utils.rnn): the output is then one too, and h_n holds each sequence's
    state at its own last step.

    Shape (L the sequence length, N the batch, D = 2 if bidirectional else 1):
        input (L, N, input_size), or (N, L, input_size) with batch_first, or unbatched (L, input_size);
        output (L, N, D * hidden_size) (batch_first: (N, L, ...); unbatched: (L, D * hidden_size)),
        the last layer's h at every step; h_n (D * num_layers, N, hidden_size) (never batch-first;
        unbatched: (D * num_layers, hidden_size)), the last step's h of every layer and direction,
        in the order layer 0, layer 0 reverse, layer 1, ...

    forward(input, hx=None) -> (output, h_n); hx has h_n's shape (zeros if None).

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> rnn = nn.RNN(3, 5, num_layers=2, batch_first=True)
        >>> output, h_n = rnn(minigrad.randn(4, 7, 3))       # 4 sequences of 7 steps
        >>> output.shape, h_n.shape
        ((4, 7, 5), (2, 4, 5))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device, dtype)
        self.nonlinearity = nonlinearity

    def _step(self, gi, state, w_hh, b_hh):
        return (rnn_tanh_step if self.nonlinearity == "tanh" else rnn_relu_step)(gi, state, w_hh, b_hh)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple:
        output, (h_n,) = self._run(input, None if hx is None else (hx,))
        return output, h_n


class LSTM(RNNBase):
    """A multi-layer LSTM (the equations in `lstm_step`). Same as torch.nn.LSTM: arguments,
    parameters weight_ih_l{k} (4 hidden, in), weight_hh_l{k} (4 hidden, hidden), bias_ih_l{k},
    bias_hh_l{k} (and `_reverse` ones), gates stacked i, f, g, o, U(-1/sqrt(hidden_size),
    1/sqrt(hidden_size)) initialisation; `dropout` between layers, in training only.
    `proj_size` other than 0 raises NotImplementedError. `input` may be a PackedSequence
    (nn.utils.rnn): the output is then one too, and h_n holds each sequence's state at its own
    last step.

    Shape (L the sequence length, N the batch, D = 2 if bidirectional else 1):
        input (L, N, input_size), or (N, L, input_size) with batch_first, or unbatched (L, input_size);
        output (L, N, D * hidden_size) (batch_first: (N, L, ...); unbatched: (L, D * hidden_size)),
        the last layer's h at every step; h_n (D * num_layers, N, hidden_size) (never batch-first;
        unbatched: (D * num_layers, hidden_size)), the last step's h of every layer and direction,
        in the order layer 0, layer 0 reverse, layer 1, ...

    forward(input, hx=None) -> (output, (h_n, c_n)); hx is a tuple (h_0, c_0) of h_n's shape
    (zeros if None).

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> lstm = nn.LSTM(3, 5, bidirectional=True)
        >>> output, (h_n, c_n) = lstm(minigrad.randn(7, 4, 3))  # 7 steps of a batch of 4
        >>> output.shape, h_n.shape, c_n.shape
        ((7, 4, 10), (2, 4, 5), (2, 4, 5))
    """

    n_gates, n_state = 4, 2
    _step = staticmethod(lstm_step)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None):
        if proj_size != 0:
            raise NotImplementedError(f"LSTM: proj_size={proj_size} (an LSTM with projections) is not supported "
                                      "in minigrad; use proj_size=0, or an nn.Linear on the output")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"LSTM: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
        output, (h_n, c_n) = self._run(input, None if hx is None else tuple(hx))
        return output, (h_n, c_n)


class GRU(RNNBase):
    """A multi-layer GRU (the equations in `gru_step`). Same as torch.nn.GRU: arguments,
    parameters weight_ih_l{k} (3 hidden, in), weight_hh_l{k} (3 hidden, hidden), bias_ih_l{k},
    bias_hh_l{k} (and `_reverse` ones), gates stacked r, z, n, U(-1/sqrt(hidden_size),
    1/sqrt(hidden_size)) initialisation; `dropout` between layers, in training only. `input` may
    be a PackedSequence (nn.utils.rnn): the output is then one too, and h_n holds each sequence's
    state at its own last step.

    Shape (L the sequence length, N the batch, D = 2 if bidirectional else 1):
        input (L, N, input_size), or (N, L, input_size) with batch_first, or unbatched (L, input_size);
        output (L, N, D * hidden_size) (batch_first: (N, L, ...); unbatched: (L, D * hidden_size)),
        the last layer's h at every step; h_n (D * num_layers, N, hidden_size) (never batch-first;
        unbatched: (D * num_layers, hidden_size)), the last step's h of every layer and direction,
        in the order layer 0, layer 0 reverse, layer 1, ...

    forward(input, hx=None) -> (output, h_n); hx has h_n's shape (zeros if None).

    Example:
        >>> import minigrad
        >>> from minigrad import nn
        >>> gru = nn.GRU(3, 5, num_layers=2)
        >>> output, h_n = gru(minigrad.randn(7, 3))           # one unbatched sequence
        >>> output.shape, h_n.shape
        ((7, 5), (2, 5))
    """

    n_gates = 3
    _step = staticmethod(gru_step)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple:
        output, (h_n,) = self._run(input, None if hx is None else (hx,))
        return output, h_n
