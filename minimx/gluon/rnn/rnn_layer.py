"""Recurrent layers ``RNN``, ``LSTM`` and ``GRU``: whole sequences through the fused ``RNN`` op.

A layer keeps one Parameter per (layer, direction, kind), named as MXNet names them
(``lstm0_l0_i2h_weight``, ``lstm0_r1_h2h_bias``; ``l`` runs left-to-right, ``r`` right-to-left),
and on each call concatenates them, flattened, into the one vector the ``RNN`` op takes (all weights,
then all biases; see ``ops/rnn.py``). The gates are stacked in MXNet's order (LSTM: i, f, c, o;
GRU: r, z, n), so parameters trained in MXNet load and give the same numbers.

``save_parameters`` writes MXNet's structural names for these layers, ``_unfused.0.i2h_weight``
(``_unfused.0.l_cell.i2h_weight`` when bidirectional): the names of the equivalent stack of cells.
"""
import re

from ... import ndarray as nd
from ... import symbol
from ...base import MXNetError
from ...ndarray import NDArray
from ..hybrid_block import HybridBlock
from . import rnn_cell, rnn_cell_wrappers

__all__ = ["RNN", "LSTM", "GRU"]

_PARAM_NAME = re.compile(r"(l|r)(\d+)_(i2h|h2h|h2r)_(weight|bias)\Z")


class _RNNLayer(HybridBlock):
    """What RNN, LSTM and GRU share: Parameters, begin states, the call of the fused op."""

    def __init__(self, hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                 i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                 h2h_bias_initializer, mode, projection_size, h2r_weight_initializer,
                 lstm_state_clip_min, lstm_state_clip_max, lstm_state_clip_nan, dtype,
                 use_sequence_length=False, **kwargs):
        super().__init__(**kwargs)
        assert layout in ("TNC", "NTC"), \
            "Invalid layout %s; must be one of ['TNC' or 'NTC']" % layout
        if use_sequence_length:
            raise MXNetError(f"{self.__class__.__name__}: use_sequence_length=True is not supported "
                             "(MXNet supports it only with cuDNN); mask the output with "
                             "mx.nd.SequenceMask instead")
        self._hidden_size = hidden_size
        self._projection_size = projection_size if projection_size else None
        self._num_layers = num_layers
        self._mode = mode
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._lstm_state_clip_min = lstm_state_clip_min
        self._lstm_state_clip_max = lstm_state_clip_max
        self._lstm_state_clip_nan = lstm_state_clip_nan
        self._dtype = dtype
        self._initializers = {"i2h_weight_initializer": i2h_weight_initializer,
                              "h2h_weight_initializer": h2h_weight_initializer,
                              "i2h_bias_initializer": i2h_bias_initializer,
                              "h2h_bias_initializer": h2h_bias_initializer}
        self.skip_states = None
        self._gates = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}[mode]

        ng, ni, nh = self._gates, input_size, hidden_size
        nr = self._projection_size or nh     # the size of h fed back (the projection's, if any)
        for i in range(num_layers):
            for j in ["l", "r"][:self._dir]:
                self._register_param(f"{j}{i}_i2h_weight", (ng * nh, ni), i2h_weight_initializer,
                                     dtype)
                self._register_param(f"{j}{i}_h2h_weight", (ng * nh, nr), h2h_weight_initializer,
                                     dtype)
                self._register_param(f"{j}{i}_i2h_bias", (ng * nh,), i2h_bias_initializer, dtype)
                self._register_param(f"{j}{i}_h2h_bias", (ng * nh,), h2h_bias_initializer, dtype)
                if self._projection_size:
                    self._register_param(f"{j}{i}_h2r_weight", (nr, nh), h2r_weight_initializer,
                                         dtype)
            ni = nr * self._dir

    def _register_param(self, name, shape, init, dtype):
        p = self.params.get(name, shape=shape, init=init, allow_deferred_init=True, dtype=dtype)
        setattr(self, name, p)
        return p

    def __repr__(self):
        s = "{name}({mapping}, {layout}"
        if self._num_layers != 1:
            s += ", num_layers={num_layers}"
        if self._dropout != 0:
            s += ", dropout={dropout}"
        if self._dir == 2:
            s += ", bidirectional"
        s += ")"
        shape = self.l0_i2h_weight.shape
        mapping = "{0} -> {1}".format(shape[1] if shape[1] else None, shape[0] // self._gates)
        return s.format(name=self.__class__.__name__, mapping=mapping, layout=self._layout,
                        num_layers=self._num_layers, dropout=self._dropout)

    def _collect_params_with_prefix(self, prefix=""):
        # MXNet 1.x files name these Parameters after the stack of cells the layer replaced.
        if prefix:
            prefix += "."
        bidirectional = self._dir == 2
        ret = {}
        for key, val in self._reg_params.items():
            d, layer, kind, what = _PARAM_NAME.match(key).groups()
            cell = f"{d}_cell." if bidirectional else ""
            ret[f"{prefix}_unfused.{layer}.{cell}{kind}_{what}"] = val
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def state_info(self, batch_size=0):
        raise NotImplementedError

    def _unfuse(self):
        """The same network as a stack of cells sharing this layer's Parameters."""
        assert not self._projection_size, "_unfuse does not support projection layer yet!"
        assert not self._lstm_state_clip_min and not self._lstm_state_clip_max, \
            "_unfuse does not support state clipping yet!"
        mode = self._mode

        def make(**kwargs):
            if mode.startswith("rnn_"):
                return rnn_cell.RNNCell(self._hidden_size, activation=mode[4:], **kwargs)
            klass = rnn_cell.LSTMCell if mode == "lstm" else rnn_cell.GRUCell
            return klass(self._hidden_size, **kwargs)

        stack = rnn_cell_wrappers.HybridSequentialRNNCell(prefix=self.prefix, params=self.params)
        with stack.name_scope():
            ni, inits = self._input_size, self._initializers
            for i in range(self._num_layers):
                if self._dir == 2:
                    stack.add(rnn_cell_wrappers.BidirectionalCell(
                        make(prefix="l%d_" % i, input_size=ni, **inits),
                        make(prefix="r%d_" % i, input_size=ni, **inits)))
                else:
                    stack.add(make(prefix="l%d_" % i, input_size=ni, **inits))
                if self._dropout > 0 and i != self._num_layers - 1:
                    stack.add(rnn_cell_wrappers.DropoutCell(self._dropout))
                ni = self._hidden_size * self._dir
        return stack

    def cast(self, dtype):
        super().cast(dtype)
        self._dtype = dtype

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        """Initial states: a list of arrays made by ``func(name=..., shape=..., **kwargs)``.

        Parameters
        ----------
        batch_size : int
            The batch size ('N' in the layout).
        func : callable, default mx.nd.zeros
            Makes each state (``mx.nd.ones``, ``mx.nd.random.uniform``, ``mx.sym.var`` ...).
        **kwargs
            Passed on to ``func`` (``ctx``, ``dtype`` ...).
        """
        states = []
        for i, info in enumerate(self.state_info(batch_size)):
            if info is not None:
                info.update(kwargs)
            else:
                info = kwargs
            states.append(func(name="%sh0_%d" % (self.prefix, i), **info))
        return states

    def _symbolic_begin_state(self, inputs):
        """Zero states built from the input, for tracing (the batch size is unknown there)."""
        t, c = self._layout.find("T"), self._layout.find("C")
        one = symbol.slice_axis(symbol.slice_axis(inputs, axis=t, begin=0, end=1), axis=c,
                                begin=0, end=1)
        if self._layout == "NTC":
            one = symbol.swapaxes(one, dim1=0, dim2=1)
        zero = symbol.zeros_like(one)                                    # (1, N, 1)
        return [symbol.broadcast_axis(zero, axis=(0, 2), size=(info["shape"][0], info["shape"][2]))
                for info in self.state_info(0)]

    def __call__(self, inputs, states=None, sequence_length=None, **kwargs):
        skip = states is None
        if skip != self.skip_states:
            self._clear_cached_op()          # the graph's outputs depend on it
        self.skip_states = skip
        if states is None:
            if isinstance(inputs, NDArray):
                batch_size = inputs.shape[self._layout.find("N")]
                states = self.begin_state(batch_size, ctx=inputs.context, dtype=inputs.dtype)
            else:
                states = self._symbolic_begin_state(inputs)
        if isinstance(states, (NDArray, symbol.Symbol)):
            states = [states]
        return super().__call__(inputs, states, **kwargs)

    def infer_shape(self, inputs, states, *args):
        in_size = inputs.shape[self._layout.find("C")]
        for j in ["l", "r"][:self._dir]:
            p = getattr(self, f"{j}0_i2h_weight")
            p.shape = (p.shape[0], in_size)

    def hybrid_forward(self, F, inputs, states, **kwargs):
        if F is nd:
            batch_size = inputs.shape[self._layout.find("N")]
            for state, info in zip(states, self.state_info(batch_size)):
                if state.shape != info["shape"]:
                    raise ValueError("Invalid recurrent state shape. Expecting %s, got %s." % (
                        str(info["shape"]), str(state.shape)))
        out = self._forward_kernel(F, inputs, states, **kwargs)
        return out[0] if self.skip_states else out

    def _forward_kernel(self, F, inputs, states, **kwargs):
        if self._layout == "NTC":
            inputs = F.swapaxes(inputs, dim1=0, dim2=1)
        kinds = ["i2h", "h2h", "h2r"] if self._projection_size else ["i2h", "h2h"]
        # MXNet's order: every weight (layer by layer, direction by direction), then every bias.
        flat = [F.reshape(kwargs[f"{d}{layer}_{g}_{t}"], shape=(-1,))
                for t in ["weight", "bias"]
                for layer in range(self._num_layers)
                for d in ["l", "r"][:self._dir]
                for g in kinds if g != "h2r" or t != "bias"]
        params = F.concat(*flat, dim=0)
        rnn = F.RNN(inputs, params, *states, state_size=self._hidden_size,
                    projection_size=self._projection_size, num_layers=self._num_layers,
                    bidirectional=self._dir == 2, p=self._dropout, state_outputs=True,
                    mode=self._mode, lstm_state_clip_min=self._lstm_state_clip_min,
                    lstm_state_clip_max=self._lstm_state_clip_max,
                    lstm_state_clip_nan=self._lstm_state_clip_nan)
        if self._mode == "lstm":
            outputs, states = rnn[0], [rnn[1], rnn[2]]
        else:
            outputs, states = rnn[0], [rnn[1]]
        if self._layout == "NTC":
            outputs = F.swapaxes(outputs, dim1=0, dim2=1)
        return outputs, states


_SHAPES_DOC = """
    Inputs:
        - **data**: (sequence_length, batch_size, input_size) with layout 'TNC'; (batch_size,
          sequence_length, input_size) with 'NTC'.
        - **states**: {states}, each (num_layers, batch_size, {hidden}) (2*num_layers with
          bidirectional=True). None: zeros, and only the output is returned.

    Outputs:
        - **out**: (sequence_length, batch_size, {out}) with 'TNC' (2*{out} with bidirectional),
          the axes permuted likewise for 'NTC'.
        - **out_states**: the final states, shaped as ``states``; returned, as ``(out,
          out_states)``, only when ``states`` was given.
"""

_PARAMS_DOC = """
    hidden_size : int
        Size of the hidden state h.
    num_layers : int, default 1
        Number of stacked recurrent layers.
    layout : {'TNC', 'NTC'}, default 'TNC'
        The order of the (time, batch, channel) axes of the input and output.
    dropout : float, default 0
        Dropout on the outputs of each layer but the last (training only).
    bidirectional : bool, default False
        Also run each layer right-to-left and concatenate the two outputs.
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer
        Initializers of the input and recurrent weights (default: the global initializer).
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer, default 'zeros'
    input_size : int, default 0
        Input size; 0 infers it from the first input.
    dtype : str, default 'float32'
    prefix : str, optional
    params : ParameterDict, optional
"""


class RNN(_RNNLayer):
    r"""A multi-layer Elman RNN: ``h_t = act(W_i x_t + b_i + W_h h_{t-1} + b_h)``.

    Parameters
    ----------
    activation : {'relu', 'tanh'}, default 'relu'
    """

    def __init__(self, hidden_size, num_layers=1, activation="relu", layout="TNC", dropout=0,
                 bidirectional=False, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer="zeros", h2h_bias_initializer="zeros", input_size=0,
                 dtype="float32", **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, "rnn_" + activation, None, None, None, None, False,
                         dtype, **kwargs)

    def state_info(self, batch_size=0):
        return [{"shape": (self._num_layers * self._dir, batch_size, self._hidden_size),
                 "__layout__": "LNC", "dtype": self._dtype}]


class LSTM(_RNNLayer):
    r"""A multi-layer LSTM; gates stacked i, f, c, o as in MXNet.

    ``i, f, o = sigmoid(...)``, ``g = tanh(...)`` of ``W_i x_t + b_i + W_h h_{t-1} + b_h``;
    ``c_t = f c_{t-1} + i g``, ``h_t = o tanh(c_t)`` (then ``h_t = W_r h_t`` with a projection).

    Parameters
    ----------
    projection_size : int, optional
        Project h to this size (LSTMP); adds ``h2r_weight`` (projection_size, hidden_size).
    h2r_weight_initializer : str or Initializer, optional
    state_clip_min, state_clip_max : float, optional
        Clip the cell state c to this range (both or neither).
    state_clip_nan : bool, default False
    """

    def __init__(self, hidden_size, num_layers=1, layout="TNC", dropout=0, bidirectional=False,
                 input_size=0, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer="zeros", h2h_bias_initializer="zeros", projection_size=None,
                 h2r_weight_initializer=None, state_clip_min=None, state_clip_max=None,
                 state_clip_nan=False, dtype="float32", **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, "lstm", projection_size, h2r_weight_initializer,
                         state_clip_min, state_clip_max, state_clip_nan, dtype, **kwargs)

    def state_info(self, batch_size=0):
        h = self._projection_size or self._hidden_size
        return [{"shape": (self._num_layers * self._dir, batch_size, h), "__layout__": "LNC",
                 "dtype": self._dtype},
                {"shape": (self._num_layers * self._dir, batch_size, self._hidden_size),
                 "__layout__": "LNC", "dtype": self._dtype}]


class GRU(_RNNLayer):
    r"""A multi-layer GRU (cuDNN's variant); gates stacked r, z, n as in MXNet.

    ``r = sigmoid(x_r + h_r)``, ``z = sigmoid(x_z + h_z)``, ``n = tanh(x_n + r * h_n)``,
    ``h_t = (1 - z) n + z h_{t-1}``, with ``x_* = W_i x_t + b_i`` and ``h_* = W_h h_{t-1} + b_h``.
    """

    def __init__(self, hidden_size, num_layers=1, layout="TNC", dropout=0, bidirectional=False,
                 input_size=0, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer="zeros", h2h_bias_initializer="zeros", dtype="float32",
                 **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, "gru", None, None, None, None, False, dtype,
                         **kwargs)

    def state_info(self, batch_size=0):
        return [{"shape": (self._num_layers * self._dir, batch_size, self._hidden_size),
                 "__layout__": "LNC", "dtype": self._dtype}]


# The parameters and shapes the three layers share, written once and added to each docstring.
RNN.__doc__ = RNN.__doc__.rstrip() + _PARAMS_DOC + _SHAPES_DOC.format(
    states="one array", hidden="hidden_size", out="hidden_size")
LSTM.__doc__ = LSTM.__doc__.rstrip() + _PARAMS_DOC + _SHAPES_DOC.format(
    states="a list of two arrays (h, c)", hidden="hidden_size (h: projection_size if given)",
    out="hidden_size (projection_size if given)")
GRU.__doc__ = GRU.__doc__.rstrip() + "\n\n    Parameters\n    ----------" + _PARAMS_DOC + \
    _SHAPES_DOC.format(states="one array", hidden="hidden_size", out="hidden_size")
