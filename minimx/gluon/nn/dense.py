"""``nn.Dense``: a fully connected layer, ``out = activation(dot(x, weight.T) + bias)``."""
from ..hybrid_block import HybridBlock
from .activations import Activation

__all__ = ["Dense"]


class Dense(HybridBlock):
    """A fully connected layer.

    Parameters
    ----------
    units : int
        Output size.
    activation : str, optional
        Activation applied to the output (see `Activation`); None: linear.
    use_bias : bool, default True
    flatten : bool, default True
        True: the input is flattened to (batch, rest) first. False: the last axis is the one
        transformed, the leading axes are kept.
    dtype : str, default 'float32'
    weight_initializer, bias_initializer : Initializer or str
        Default: the global initializer for the weight, zeros for the bias.
    in_units : int, default 0
        Input size; 0 means "infer it from the first input" (deferred initialization).

    Inputs:
        - **data**: (batch, in_units), or any (batch, ...) with ``flatten=True``, or
          (x1, ..., xn, in_units) with ``flatten=False``.

    Outputs:
        - **out**: (batch, units), or (x1, ..., xn, units) with ``flatten=False``.
    """

    def __init__(self, units, activation=None, use_bias=True, flatten=True, dtype="float32",
                 weight_initializer=None, bias_initializer="zeros", in_units=0, **kwargs):
        super().__init__(**kwargs)
        self._flatten = flatten
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self.weight = self.params.get("weight", shape=(units, in_units), init=weight_initializer,
                                          dtype=dtype, allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get("bias", shape=(units,), init=bias_initializer,
                                            dtype=dtype, allow_deferred_init=True)
            else:
                self.bias = None
            self.act = Activation(activation, prefix=activation + "_") if activation is not None \
                else None

    def infer_shape(self, x, *args):
        in_units = 1
        for d in (x.shape[1:] if self._flatten else x.shape[-1:]):
            in_units *= d
        self.weight.shape = (self.weight.shape[0], in_units)

    def hybrid_forward(self, F, x, weight, bias=None):
        out = F.FullyConnected(x, weight, bias, no_bias=bias is None, num_hidden=self._units,
                               flatten=self._flatten, name="fwd")
        return self.act(out) if self.act is not None else out

    def __repr__(self):
        shape = self.weight.shape
        return "{name}({layout}, {act})".format(
            name=self.__class__.__name__, act=self.act if self.act else "linear",
            layout="{0} -> {1}".format(shape[1] if shape[1] else None, shape[0]))
