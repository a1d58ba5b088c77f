"""Recurrent layers: ``RNN`` (tanh or ReLU), ``LSTM`` and ``GRU`` over whole sequences, and the
one-step ``RNNCell``, ``LSTMCell`` and ``GRUCell``, with torch's arguments, shapes, parameter
names, registration order and default initialisation (every weight and bias
~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))), so torch state_dicts load as they are.

Gate orders are torch's: LSTM (i, f, g, o), GRU (r, z, n) with
n = tanh(W_in x + b_in + r (W_hn h + b_hn)). The work is done by ``chainrule.ops.rnn``
(``lstm``, ``gru``, ``rnn_tanh``, ``rnn_relu`` and the ``*_cell`` functions).
"""
from __future__ import annotations

import math
import numbers
import warnings

from ..backend import np
from ..creation import empty, tensor as make_tensor, zeros
from ..ops import cat, rnn as _rnn
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter
from .utils import rnn as _urnn
from .utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_FUNCTIONS = {"LSTM": _rnn.lstm, "GRU": _rnn.gru, "RNN_TANH": _rnn.rnn_tanh,
              "RNN_RELU": _rnn.rnn_relu}


def _shape(t) -> tuple:
    return tuple(t.shape)


class RNNBase(Module):
    """What RNN, LSTM and GRU share: arguments, parameters (per layer and direction:
    ``weight_ih_l{k}`` (gates*H, in), ``weight_hh_l{k}`` (gates*H, H), ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (gates*H,), with ``_reverse`` for the second direction), checks, repr.

    Input (L, N, H_in), or (N, L, H_in) with ``batch_first``, or unbatched (L, H_in); the
    initial state (layers * directions, N, H) (unbatched: without N) defaults to zeros. A
    ``PackedSequence`` input gives a ``PackedSequence`` output (see ``_forward_packed``).
    ``dropout`` applies to the outputs of every layer but the last, in training mode only."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        name = type(self).__name__
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or \
                not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing "
                             f"the probability of an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, so "
                          f"non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size),
                           ("num_layers", num_layers), ("proj_size", proj_size)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name}: {arg} should be of type int, got: "
                                f"{type(value).__name__}")
        if hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be greater than zero, got {hidden_size}")
        if num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be greater than zero, got {num_layers}")
        if input_size < 0:
            raise ValueError(f"{name}: input_size must be non-negative, got {input_size}")
        if proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to "
                             f"disable projections, got {proj_size}")
        if proj_size > 0 and mode != "LSTM":
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN "
                             f"or GRU (got proj_size={proj_size})")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size (got "
                             f"proj_size={proj_size}, hidden_size={hidden_size})")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size      # h's size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for pname, shape in shapes:
                    full = f"{pname}_l{layer}{suffix}"
                    setattr(self, full, Parameter(empty(shape, device=device, dtype=dtype)))
                    names.append(full)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's default: every parameter ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """The parameters per layer and direction: [[w_ih, w_hh, b_ih, b_hh(, w_hr)], ...]."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op (torch packs the weights for cuDNN here; chainrule has nothing to pack)."""

    # ------------------------------------------------------------------ checks
    def _check_input(self, input) -> bool:
        """Check the input; True when batched (3-D)."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected input to be a Tensor, got "
                            f"{type(input).__name__}")
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D input "
                             f"of shape {_shape(input)} instead")
        self._check_features(input, "input")
        return input.dim() == 3

    def _check_features(self, x, what: str) -> None:
        """x's dtype is the weights' and its last dim is ``input_size`` (``what`` names x in
        the message)."""
        name, w = type(self).__name__, self.weight_ih_l0
        if x.dtype != w.dtype:
            raise ValueError(f"{name}: input must have the type {w.dtype}, got type "
                             f"{x.dtype} ({what} of shape {_shape(x)})")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]} ({what} of shape "
                               f"{_shape(x)})")

    def _check_state(self, state, label: str, batched: bool, batch: int,
                     size: int | None = None) -> Tensor:
        """Check one initial state of ``size`` features (default hidden_size); returns it as
        3-D (layers * dirs, N, size)."""
        name = type(self).__name__
        if not isinstance(state, Tensor):
            raise TypeError(f"{name}: expected {label} to be a Tensor, got "
                            f"{type(state).__name__}")
        count = self.num_layers * (2 if self.bidirectional else 1)
        size = self.hidden_size if size is None else size
        if batched:
            expected = (count, batch, size)
        else:
            expected = (count, size)
        if state.dim() != len(expected):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(f"{name}: For {kind} input, {label} should also be "
                               f"{len(expected)}-D but got a {state.dim()}-D tensor of shape "
                               f"{_shape(state)}")
        if _shape(state) != expected:
            raise RuntimeError(f"{name}: Expected {label} size {list(expected)}, got "
                               f"{list(state.shape)}")
        if state.dtype != self.weight_ih_l0.dtype:
            raise ValueError(f"{name}: {label} must have the type {self.weight_ih_l0.dtype}, "
                             f"got type {state.dtype}")
        return state if batched else state.unsqueeze(1)

    def _check_packed(self, input: PackedSequence) -> int:
        """Check a packed input; returns its batch size (batch_sizes[0])."""
        name = type(self).__name__
        data = input.data
        if not isinstance(data, Tensor):
            raise TypeError(f"{name}: expected the PackedSequence's data to be a Tensor, got "
                            f"{type(data).__name__}")
        if data.dim() != 2:
            raise ValueError(f"{name}: a PackedSequence's data must be 2-D (sum of lengths, "
                             f"input_size), got {data.dim()}D data of shape {_shape(data)}")
        self._check_features(data, "PackedSequence data")
        return int(input.batch_sizes[0].item())

    def _check_hx(self, hx, batched: bool, batch: int):
        if hx is None:
            return None
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"LSTM: expected hx to be a tuple (h_0, c_0) of two "
                                f"Tensors, got {type(hx).__name__}")
            return (self._check_state(hx[0], "hx[0]", batched, batch,
                                      self.proj_size or self.hidden_size),
                    self._check_state(hx[1], "hx[1]", batched, batch))
        return self._check_state(hx, "hx", batched, batch)

    # ------------------------------------------------------------------ forward
    def forward(self, input, hx=None):
        """input (L, N, H_in) / (N, L, H_in) / (L, H_in), or a ``PackedSequence`` (see
        ``_forward_packed``); hx as in the class docstring, in the caller's batch order."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        batched = self._check_input(input)
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(batch_dim)
        batch = input.shape[batch_dim]
        lstm = self.mode == "LSTM"
        hx = self._check_hx(hx, batched, batch)
        result = _FUNCTIONS[self.mode](input, hx, self._flat_weights, self.bias,
                                       self.num_layers, self.dropout, self.training,
                                       self.bidirectional, self.batch_first)
        output, hidden = result[0], result[1:]
        if not batched:
            output = output.squeeze(batch_dim)
            hidden = tuple(h.squeeze(1) for h in hidden)
        return output, (hidden if lstm else hidden[0])

    def _forward_packed(self, input: PackedSequence, hx=None):
        """A packed batch: returns (PackedSequence output with the input's batch_sizes,
        sorted_indices and unsorted_indices, h_n or (h_n, c_n) in the caller's batch order),
        each sequence's final state taken at its own last step (the reverse direction starts
        there). ``batch_first`` does not apply (packed data is time-major); hx is
        (layers * directions, batch_sizes[0], H) in the caller's order.

        The batch is unpacked, grouped by length, and the padded recurrence runs once per
        distinct length n on that group's first n steps, so the number of forward passes is
        the number of distinct lengths (one pass when all lengths are equal). With dropout in
        training mode each group draws its own masks."""
        batch = self._check_packed(input)
        hx = self._check_hx(hx, True, batch)
        lstm = self.mode == "LSTM"
        states = () if hx is None else (hx if lstm else (hx,))
        padded, lengths = _urnn.pad_packed_sequence(input)          # (T, B, in), caller's order
        lengths = lengths.numpy()
        steps = padded.shape[0]
        fn = _FUNCTIONS[self.mode]
        distinct = sorted(set(lengths.tolist()), reverse=True)
        outs, finals, order = [], [], []
        for n in distinct:
            idx = np.nonzero(lengths == n)[0]
            x, group_hx = padded[:n], states
            if len(distinct) > 1:
                sel = make_tensor(idx)
                x = x.index_select(1, sel)
                group_hx = tuple(s.index_select(1, sel) for s in states)
            group_hx = (group_hx if lstm else group_hx[0]) if group_hx else None
            result = fn(x, group_hx, self._flat_weights, self.bias, self.num_layers,
                        self.dropout, self.training, self.bidirectional, False)
            out = result[0]
            if n < steps:
                out = cat([out, zeros((steps - n, *out.shape[1:]), dtype=out.dtype)], 0)
            outs.append(out)
            finals.append(result[1:])
            order.append(idx)
        if len(distinct) == 1:
            output, hidden = outs[0], finals[0]
        else:
            back = make_tensor(np.argsort(np.concatenate(order)))
            output = cat(outs, 1).index_select(1, back)
            hidden = tuple(cat([f[k] for f in finals], 1).index_select(1, back)
                           for k in range(len(finals[0])))
        packed = _urnn._pack_padded_like(output, input)
        return packed, (hidden if lstm else hidden[0])

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
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act = tanh or relu,
    stacked ``num_layers`` deep. forward(input, h_0=None) -> (output, h_n): output
    (L, N, D*H) (or (N, L, D*H) with ``batch_first``), h_n (num_layers*D, N, H)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' "
                             f"or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """LSTM, gates (i, f, g, o):
        i, f, o = sigma(x W_i* + h W_h* + b), g = tanh(...), c' = f c + i g, h' = o tanh(c').
    forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n)) with torch's shapes (see RNN).
    ``proj_size`` P > 0 (LSTM with projections, Sak et al. 2014): h' = (o tanh(c')) W_hr^T
    with a parameter ``weight_hr_l{k}`` (P, H); h_0, h_n and the output have P features, c_0
    and c_n H. That recurrence runs in Tensor ops, a graph node per step (the fused layer
    serves proj_size 0)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """GRU, gates (r, z, n):
        r, z = sigma(x W_i* + b_i* + h W_h* + b_h*), n = tanh(x W_in + b_in + r (h W_hn + b_hn)),
        h' = (1 - z) n + z h.
    forward(input, h_0=None) -> (output, h_n) with torch's shapes (see RNN)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)


# ======================================================================== cells
class RNNCellBase(Module):
    """One step: ``weight_ih`` (chunks*H, in), ``weight_hh`` (chunks*H, H), ``bias_ih``,
    ``bias_hh`` (chunks*H,), all ~ U(-1/sqrt(H), 1/sqrt(H)). Input (N, in) or unbatched (in,);
    hidden (N, H) or (H,), zeros when not given."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        name = type(self).__name__
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name}: {arg} should be of type int, got: "
                                f"{type(value).__name__}")
        if hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be greater than zero, got {hidden_size}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate_size = num_chunks * hidden_size
        self.weight_ih = Parameter(empty((gate_size, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(empty((gate_size, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(gate_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(gate_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's default: every parameter ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _check(self, input, states: list) -> bool:
        """Check the input and the given states; True when batched (2-D)."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected input to be a Tensor, got "
                            f"{type(input).__name__}")
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             f"input of shape {_shape(input)} instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got "
                               f"{input.shape[-1]}, expected {self.input_size} (input of shape "
                               f"{_shape(input)})")
        if input.dtype != self.weight_ih.dtype:
            raise ValueError(f"{name}: input must have the type {self.weight_ih.dtype}, got "
                             f"type {input.dtype}")
        batched = input.dim() == 2
        expected = (input.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        for label, h in states:
            if not isinstance(h, Tensor):
                raise TypeError(f"{name}: expected {label} to be a Tensor, got "
                                f"{type(h).__name__}")
            if h.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {h.dim()}D "
                                 f"instead (shape {_shape(h)})")
            if _shape(h) != expected:
                raise RuntimeError(f"{name}: {label} has inconsistent shape: got {_shape(h)}, "
                                   f"expected {expected} for input of shape {_shape(input)}")
            if h.dtype != self.weight_ih.dtype:
                raise ValueError(f"{name}: {label} must have the type {self.weight_ih.dtype}, "
                                 f"got type {h.dtype}")
        return batched


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: Unknown nonlinearity '{nonlinearity}'. Select from "
                             f"'tanh' or 'relu'.")
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        self._check(input, [] if hx is None else [("hx", hx)])
        fn = _rnn.rnn_tanh_cell if self.nonlinearity == "tanh" else _rnn.rnn_relu_cell
        return fn(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class LSTMCell(RNNCellBase):
    """c' = f c + i g, h' = o tanh(c') with gates (i, f, g, o) as in LSTM; forward(input,
    (h, c)=None) -> (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"LSTMCell: expected hx to be a tuple (h, c) of two Tensors, got "
                            f"{type(hx).__name__}")
        self._check(input, [] if hx is None else [("hx[0]", hx[0]), ("hx[1]", hx[1])])
        return _rnn.lstm_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih,
                              self.bias_hh)


class GRUCell(RNNCellBase):
    """h' = (1 - z) n + z h with gates (r, z, n) as in GRU."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        self._check(input, [] if hx is None else [("hx", hx)])
        return _rnn.gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih,
                             self.bias_hh)
