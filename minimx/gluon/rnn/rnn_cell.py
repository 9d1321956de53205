"""Recurrent cells: one time step as a Block, ``cell(x_t, states) -> (output, new_states)``.

A cell computes one step; ``cell.unroll(length, inputs)`` calls it once per step and collects the
outputs. Cells compose: ``SequentialRNNCell`` stacks them, ``BidirectionalCell`` runs two in
opposite directions, modifier cells (``ResidualCell``, ``ZoneoutCell``) wrap one (see
``rnn_cell_wrappers.py``). The layers in ``rnn_layer.py`` compute the same as stacks of these cells
in one op. Parameter names and gate orders are MXNet's (``lstm0_i2h_weight`` holds the i, f, c, o
gates stacked; ``gru0_i2h_weight`` r, z, n).

``unroll`` accepts a list of (batch, C) steps or one array laid out as ``layout`` ('NTC' or
'TNC'); ``merge_outputs`` picks the output form (one array or a list; None keeps the input's form)
and ``valid_length`` (batch,) masks the steps past each sequence's end to zero and returns the
states of each sequence's last valid step.
"""
from ... import ndarray as nd
from ... import symbol
from ...ndarray import NDArray
from ..block import Block
from ..hybrid_block import HybridBlock
from ..nn.activations import LeakyReLU

__all__ = ["RecurrentCell", "HybridRecurrentCell", "RNNCell", "LSTMCell", "GRUCell"]

tensor_types = (symbol.Symbol, NDArray)


def _as_list(x):
    return x if isinstance(x, (list, tuple)) else [x]


def _cells_state_info(cells, batch_size):
    return sum([c.state_info(batch_size) for c in cells], [])


def _cells_begin_state(cells, **kwargs):
    return sum([c.begin_state(**kwargs) for c in cells], [])


def _symbol_begin_state(cell, inputs, layout):
    """Zero states for a traced unroll, built from the input (a graph has no batch size yet).

    NB: MXNet calls ``begin_state(func=mx.sym.zeros)`` with batch size 0 and lets its graph's
    shape inference fill the 0 in; minimx's graphs run shape rules forwards only.
    """
    if isinstance(inputs, symbol.Symbol):
        step = symbol.slice_axis(inputs, axis=layout.find("T"), begin=0, end=1)
        channel = layout.find("C")
    else:
        step, channel = inputs[0], -1
    one = symbol.reshape(symbol.slice_axis(step, axis=channel, begin=0, end=1), shape=(-1, 1))
    zero = symbol.zeros_like(one)                                          # (batch, 1)
    return [symbol.broadcast_axis(zero, axis=1, size=info["shape"][1])
            for info in cell.state_info(0)]


def _get_begin_state(cell, F, begin_state, inputs, batch_size, layout="NTC"):
    if begin_state is not None:
        return begin_state
    if F is nd:
        ctx = inputs.context if isinstance(inputs, tensor_types) else inputs[0].context
        with ctx:
            return cell.begin_state(func=nd.zeros, batch_size=batch_size)
    return _symbol_begin_state(cell, inputs, layout)


def _format_sequence(length, inputs, layout, merge, in_layout=None):
    """Inputs as a list of steps (merge=False), one array (merge=True) or as given (None).

    Returns ``(inputs, time axis, F, batch size)``; the batch size is 0 for symbols.
    """
    assert inputs is not None, \
        "unroll(inputs=None) has been deprecated. Please create input variables outside unroll."
    axis, batch_axis = layout.find("T"), layout.find("N")
    batch_size = 0
    in_axis = in_layout.find("T") if in_layout is not None else axis
    if isinstance(inputs, symbol.Symbol):
        F = symbol
        if merge is False:
            assert len(inputs.list_outputs()) == 1, \
                "unroll doesn't allow grouped symbol as input. Please convert to list with " \
                "list(inputs) first or let unroll handle splitting."
            inputs = list(symbol.split(inputs, axis=in_axis, num_outputs=length, squeeze_axis=1))
    elif isinstance(inputs, NDArray):
        F = nd
        batch_size = inputs.shape[batch_axis]
        if merge is False:
            assert length is None or length == inputs.shape[in_axis]
            inputs = _as_list(nd.split(inputs, axis=in_axis, num_outputs=inputs.shape[in_axis],
                                       squeeze_axis=1))
    else:
        assert length is None or len(inputs) == length
        if isinstance(inputs[0], symbol.Symbol):
            F = symbol
        else:
            F = nd
            batch_size = inputs[0].shape[0]
        if merge is True:
            inputs = F.stack(*inputs, axis=axis)
            in_axis = axis
    if isinstance(inputs, tensor_types) and axis != in_axis:
        inputs = F.swapaxes(inputs, dim1=axis, dim2=in_axis)
    return inputs, axis, F, batch_size


def _mask_sequence_variable_length(F, data, length, valid_length, time_axis, merge):
    """Zero the steps past each sequence's valid length."""
    if not isinstance(data, tensor_types):
        data = F.stack(*data, axis=time_axis)
    outputs = F.SequenceMask(data, sequence_length=valid_length, use_sequence_length=True,
                             axis=time_axis)
    if not merge:
        outputs = _as_list(F.split(outputs, num_outputs=length, axis=time_axis, squeeze_axis=True))
    return outputs


class RecurrentCell(Block):
    """Base class of cells: ``state_info``, ``begin_state``, ``unroll`` and a step counter.

    Parameters
    ----------
    prefix : str, optional
    params : ParameterDict, optional
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._modified = False
        self.reset()

    def reset(self):
        """Reset the step counters before a new sequence (``unroll`` does this itself)."""
        self._init_counter = -1
        self._counter = -1
        for cell in self._children.values():
            cell.reset()

    def state_info(self, batch_size=0):
        """Shape and layout of each state: a list of dicts (``{'shape': ..., '__layout__': ...}``)."""
        raise NotImplementedError()

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        """Initial states, each made by ``func(name=..., shape=..., **kwargs)``.

        Parameters
        ----------
        batch_size : int
        func : callable, default mx.nd.zeros
            ``mx.nd.ones``, ``mx.nd.random.uniform``, ``mx.sym.var`` ...
        **kwargs
            Passed on to ``func`` (``ctx``, ``dtype`` ...).
        """
        assert not self._modified, \
            "After applying modifier cells (e.g. ZoneoutCell) the base cell cannot be called " \
            "directly. Call the modifier cell instead."
        states = []
        for info in self.state_info(batch_size):
            self._init_counter += 1
            if info is not None:
                info.update(kwargs)
            else:
                info = kwargs
            states.append(func(name="%sbegin_state_%d" % (self._prefix, self._init_counter),
                               **info))
        return states

    def unroll(self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None,
               valid_length=None):
        """Run the cell over ``length`` steps; returns ``(outputs, last states)``.

        Parameters
        ----------
        length : int
        inputs : NDArray or Symbol (layout ``layout``), or a list of (batch, C) steps
        begin_state : list, optional
            Default: ``begin_state()`` (zeros).
        layout : {'NTC', 'TNC'}, default 'NTC'
        merge_outputs : bool, optional
            True: one array in ``layout``; False: a list of steps; None: as the input came.
        valid_length : NDArray or Symbol, optional
            (batch,) lengths: later steps are zeroed and the states are those of the last valid step.
        """
        self.reset()
        inputs, axis, F, batch_size = _format_sequence(length, inputs, layout, False)
        states = _get_begin_state(self, F, begin_state, inputs, batch_size, layout)
        outputs, all_states = [], []
        for i in range(length):
            output, states = self(inputs[i], states)
            outputs.append(output)
            if valid_length is not None:
                all_states.append(states)
        if valid_length is not None:
            states = [F.SequenceLast(F.stack(*steps, axis=0), sequence_length=valid_length,
                                     use_sequence_length=True, axis=0)
                      for steps in zip(*all_states)]
            outputs = _mask_sequence_variable_length(F, outputs, length, valid_length, axis, True)
        outputs, _, _, _ = _format_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def _get_activation(self, F, inputs, activation, **kwargs):
        """``activation`` applied: a name ('tanh', 'relu' ...), a LeakyReLU block or a callable."""
        func = {"tanh": F.tanh, "relu": F.relu, "sigmoid": F.sigmoid,
                "softsign": F.softsign}.get(activation)
        if func:
            return func(inputs, **kwargs)
        if isinstance(activation, str):
            return F.Activation(inputs, act_type=activation, **kwargs)
        if isinstance(activation, LeakyReLU):
            return F.LeakyReLU(inputs, act_type="leaky", slope=activation._alpha, **kwargs)
        return activation(inputs, **kwargs)

    def forward(self, inputs, states):
        """One step: ``(output, new states)``."""
        self._counter += 1
        return super().forward(inputs, states)


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A cell whose step is ``hybrid_forward(F, inputs, states, **params)``."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError


class _GatedCell(HybridRecurrentCell):
    """The Parameters of the three gated cells: i2h/h2h weights and biases, ``gates`` stacked."""

    def __init__(self, hidden_size, gates, i2h_weight_initializer, h2h_weight_initializer,
                 i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params):
        super().__init__(prefix=prefix, params=params)
        self._hidden_size = hidden_size
        self._input_size = input_size
        n = gates * hidden_size
        self.i2h_weight = self.params.get("i2h_weight", shape=(n, input_size),
                                          init=i2h_weight_initializer, allow_deferred_init=True)
        self.h2h_weight = self.params.get("h2h_weight", shape=(n, hidden_size),
                                          init=h2h_weight_initializer, allow_deferred_init=True)
        self.i2h_bias = self.params.get("i2h_bias", shape=(n,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get("h2h_bias", shape=(n,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def infer_shape(self, inputs, *args):
        self.i2h_weight.shape = (self.i2h_weight.shape[0], inputs.shape[-1])

    def state_info(self, batch_size=0):
        return [{"shape": (batch_size, self._hidden_size), "__layout__": "NC"}]

    def _mapping(self):
        shape = self.i2h_weight.shape
        return "{0} -> {1}".format(shape[1] if shape[1] else None, shape[0])

    def __repr__(self):
        return "{name}({mapping})".format(name=self.__class__.__name__, mapping=self._mapping())

    def _projections(self, F, inputs, h, i2h_weight, h2h_weight, i2h_bias, h2h_bias, gates):
        prefix = "t%d_" % self._counter
        n = gates * self._hidden_size
        i2h = F.FullyConnected(data=inputs, weight=i2h_weight, bias=i2h_bias, num_hidden=n,
                               name=prefix + "i2h")
        h2h = F.FullyConnected(data=h, weight=h2h_weight, bias=h2h_bias, num_hidden=n,
                               name=prefix + "h2h")
        return prefix, i2h, h2h


class RNNCell(_GatedCell):
    r"""An Elman RNN cell: ``h_t = act(W_i x_t + b_i + W_h h_{t-1} + b_h)``.

    Parameters
    ----------
    hidden_size : int
    activation : str, LeakyReLU or callable, default 'tanh'
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer, optional
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer, default 'zeros'
    input_size : int, default 0
        0 infers it from the first input.
    prefix : str, optional
    params : ParameterDict, optional

    Inputs:
        - **data**: (batch_size, input_size)
        - **states**: a list of one (batch_size, hidden_size) array

    Outputs:
        - **out**: (batch_size, hidden_size)
        - **next_states**: a list of one (batch_size, hidden_size) array (``out`` itself)
    """

    def __init__(self, hidden_size, activation="tanh", i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer="zeros",
                 h2h_bias_initializer="zeros", input_size=0, prefix=None, params=None):
        super().__init__(hidden_size, 1, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)
        self._activation = activation

    def _alias(self):
        return "rnn"

    def __repr__(self):
        return "{name}({mapping}, {act})".format(name=self.__class__.__name__,
                                                 mapping=self._mapping(), act=self._activation)

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix, i2h, h2h = self._projections(F, inputs, states[0], i2h_weight, h2h_weight,
                                             i2h_bias, h2h_bias, 1)
        output = self._get_activation(F, F.elemwise_add(i2h, h2h, name=prefix + "plus0"),
                                      self._activation, name=prefix + "out")
        return output, [output]


class LSTMCell(_GatedCell):
    r"""An LSTM cell; the gates are stacked i, f, c, o (MXNet's order).

    ``i, f, o = recurrent_activation(...)``, ``g = activation(...)`` of the gates
    ``W_i x_t + b_i + W_h h_{t-1} + b_h``; ``c_t = f c_{t-1} + i g``; ``h_t = o activation(c_t)``.

    Parameters
    ----------
    hidden_size : int
    i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer
        As `RNNCell`.
    input_size : int, default 0
    prefix, params : optional
    activation : str, default 'tanh'
    recurrent_activation : str, default 'sigmoid'

    Inputs:
        - **data**: (batch_size, input_size)
        - **states**: a list of two (batch_size, hidden_size) arrays, h and c

    Outputs:
        - **out**: (batch_size, hidden_size)
        - **next_states**: a list of two (batch_size, hidden_size) arrays, h and c
    """

    def __init__(self, hidden_size, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer="zeros", h2h_bias_initializer="zeros", input_size=0,
                 prefix=None, params=None, activation="tanh", recurrent_activation="sigmoid"):
        super().__init__(hidden_size, 4, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)
        self._activation = activation
        self._recurrent_activation = recurrent_activation

    def _alias(self):
        return "lstm"

    def state_info(self, batch_size=0):
        return [{"shape": (batch_size, self._hidden_size), "__layout__": "NC"},
                {"shape": (batch_size, self._hidden_size), "__layout__": "NC"}]

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix, i2h, h2h = self._projections(F, inputs, states[0], i2h_weight, h2h_weight,
                                             i2h_bias, h2h_bias, 4)
        gates = F.SliceChannel(F.elemwise_add(i2h, h2h, name=prefix + "plus0"), num_outputs=4,
                               name=prefix + "slice")
        rec, act = self._recurrent_activation, self._activation
        in_gate = self._get_activation(F, gates[0], rec, name=prefix + "i")
        forget_gate = self._get_activation(F, gates[1], rec, name=prefix + "f")
        in_transform = self._get_activation(F, gates[2], act, name=prefix + "c")
        out_gate = self._get_activation(F, gates[3], rec, name=prefix + "o")
        next_c = F.elemwise_add(F.elemwise_mul(forget_gate, states[1], name=prefix + "mul0"),
                                F.elemwise_mul(in_gate, in_transform, name=prefix + "mul1"),
                                name=prefix + "state")
        next_h = F.elemwise_mul(out_gate, F.Activation(next_c, act_type=act,
                                                       name=prefix + "activation0"),
                                name=prefix + "out")
        return next_h, [next_h, next_c]


class GRUCell(_GatedCell):
    r"""A GRU cell (cuDNN's variant: the reset gate scales ``W_h h + b_h``); gates stacked r, z, n.

    ``r = sigmoid(x_r + h_r)``, ``z = sigmoid(x_z + h_z)``, ``n = tanh(x_n + r * h_n)``,
    ``h_t = (1 - z) n + z h_{t-1}``, with ``x_* = W_i x_t + b_i`` and ``h_* = W_h h_{t-1} + b_h``.

    Parameters
    ----------
    hidden_size : int
    i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer
        As `RNNCell`.
    input_size : int, default 0
    prefix, params : optional

    Inputs:
        - **data**: (batch_size, input_size)
        - **states**: a list of one (batch_size, hidden_size) array

    Outputs:
        - **out**: (batch_size, hidden_size)
        - **next_states**: a list of one (batch_size, hidden_size) array
    """

    def __init__(self, hidden_size, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer="zeros", h2h_bias_initializer="zeros", input_size=0,
                 prefix=None, params=None):
        super().__init__(hidden_size, 3, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)

    def _alias(self):
        return "gru"

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prev_h = states[0]
        prefix, i2h, h2h = self._projections(F, inputs, prev_h, i2h_weight, h2h_weight,
                                             i2h_bias, h2h_bias, 3)
        i2h_r, i2h_z, i2h = F.SliceChannel(i2h, num_outputs=3, name=prefix + "i2h_slice")
        h2h_r, h2h_z, h2h = F.SliceChannel(h2h, num_outputs=3, name=prefix + "h2h_slice")
        reset_gate = F.Activation(F.elemwise_add(i2h_r, h2h_r, name=prefix + "plus0"),
                                  act_type="sigmoid", name=prefix + "r_act")
        update_gate = F.Activation(F.elemwise_add(i2h_z, h2h_z, name=prefix + "plus1"),
                                   act_type="sigmoid", name=prefix + "z_act")
        next_h_tmp = F.Activation(
            F.elemwise_add(i2h, F.elemwise_mul(reset_gate, h2h, name=prefix + "mul0"),
                           name=prefix + "plus2"), act_type="tanh", name=prefix + "h_act")
        ones = F.ones_like(update_gate, name=prefix + "ones_like0")
        next_h = F.elemwise_add(
            F.elemwise_mul(F.elemwise_sub(ones, update_gate, name=prefix + "minus0"), next_h_tmp,
                           name=prefix + "mul1"),
            F.elemwise_mul(update_gate, prev_h, name=prefix + "mul20"), name=prefix + "out")
        return next_h, [next_h]
