"""``gluon.rnn``: recurrent layers (whole sequences, the fused ``RNN`` op) and cells (one step at a
time, composable, with ``unroll``)."""
from .rnn_layer import GRU, LSTM, RNN

__all__ = ["RNN", "LSTM", "GRU"]
