"""``gluon.rnn``: recurrent layers (whole sequences through the fused ``RNN`` op) and cells (one
step at a time, composable, with ``unroll``)."""
from .rnn_cell import GRUCell, HybridRecurrentCell, LSTMCell, RecurrentCell, RNNCell
from .rnn_cell_wrappers import (BidirectionalCell, DropoutCell, HybridSequentialRNNCell,
                                ModifierCell, ResidualCell, SequentialRNNCell, ZoneoutCell)
from .rnn_layer import GRU, LSTM, RNN

__all__ = ["RecurrentCell", "HybridRecurrentCell", "RNNCell", "LSTMCell", "GRUCell",
           "SequentialRNNCell", "HybridSequentialRNNCell", "DropoutCell", "ModifierCell",
           "ZoneoutCell", "ResidualCell", "BidirectionalCell", "RNN", "LSTM", "GRU"]
