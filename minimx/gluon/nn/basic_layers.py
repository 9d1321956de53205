"""Layers without convolutions or statistics: Dropout, Flatten, Embedding, Lambda, HybridLambda."""
from ... import ndarray as nd
from ...base import MXNetError
from ..block import Block
from ..hybrid_block import HybridBlock
from ..parameter import GluonAssertionError

__all__ = ["Dropout", "Flatten", "Embedding", "Lambda", "HybridLambda"]


class Dropout(HybridBlock):
    """Randomly zeroes a fraction ``rate`` of the input while training and scales the rest by
    ``1 / (1 - rate)``; in prediction mode it passes the input through.

    Parameters
    ----------
    rate : float
        Fraction of the input dropped, in [0, 1].
    axes : tuple of int, default ()
        Axes along which one random draw is shared (the mask has size 1 there, so whole rows,
        channels or time steps are dropped together). Empty: every entry draws on its own.

    Inputs:
        - **data**: input tensor of any shape.

    Outputs:
        - **out**: output tensor of the same shape.
    """

    def __init__(self, rate, axes=(), **kwargs):
        super().__init__(**kwargs)
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F, x):
        if self._rate > 0:
            return F.Dropout(x, p=self._rate, axes=self._axes, name="fwd", cudnn_off=False)
        # rate 0: a copy, so the output is a new array as it is with dropout.
        return F.identity(x)

    def __repr__(self):
        return "{name}(p = {rate}, axes={axes})".format(
            name=self.__class__.__name__, rate=self._rate, axes=self._axes)


class Flatten(HybridBlock):
    """Flattens the input to two axes: ``(batch, x1 * x2 * ... * xn)``.

    Inputs:
        - **data**: input tensor of shape (batch, x1, ..., xn); a 1-d input becomes (batch, 1).

    Outputs:
        - **out**: 2-d tensor of shape (batch, x1 * ... * xn).
    """

    def __init__(self, **kwargs):
        # Keyword arguments only, as in MXNet: Flatten(3) is a TypeError, not a prefix of 3.
        super().__init__(**kwargs)

    def hybrid_forward(self, F, x):
        return F.flatten(x)

    def __repr__(self):
        return self.__class__.__name__


class Embedding(HybridBlock):
    """Maps integer indices to dense vectors: row ``i`` of a learned ``(input_dim, output_dim)``
    weight for index ``i``.

    Parameters
    ----------
    input_dim : int
        Vocabulary size: indices run from 0 to input_dim - 1 (others are clipped to that range).
    output_dim : int
        Size of each vector.
    dtype : str or numpy dtype, default 'float32'
        Type of the weight (and of the output).
    weight_initializer : Initializer, optional
        Default: the global initializer.
    sparse_grad : bool, default False
        MXNet's row-sparse gradient. NB: minimx has dense storage only, so True is an error.

    Inputs:
        - **data**: indices of any shape (x1, ..., xn), as floats or integers.

    Outputs:
        - **out**: tensor of shape (x1, ..., xn, output_dim).
    """

    def __init__(self, input_dim, output_dim, dtype="float32", weight_initializer=None,
                 sparse_grad=False, **kwargs):
        if sparse_grad:
            raise MXNetError("Embedding: sparse_grad=True asks for a row_sparse gradient, which "
                             "minimx does not support (it has dense storage only). Use "
                             "sparse_grad=False: the gradient is the same, stored densely.")
        super().__init__(**kwargs)
        self._kwargs = {"input_dim": input_dim, "output_dim": output_dim, "dtype": dtype,
                        "sparse_grad": sparse_grad}
        self.weight = self.params.get("weight", shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype,
                                      allow_deferred_init=True)

    def hybrid_forward(self, F, x, weight):
        return F.Embedding(x, weight, name="fwd", **self._kwargs)

    def __repr__(self):
        return "{block_name}({input_dim} -> {output_dim}, {dtype})".format(
            block_name=self.__class__.__name__, **self._kwargs)


def _op_by_name(layer, name):
    """The ``mx.nd`` function called ``name``, with a clear error when there is none."""
    func = getattr(nd, name, None)
    if not callable(func):
        # NB: an AssertionError in MXNet; GluonAssertionError is both.
        raise GluonAssertionError(f"{layer}: there is no operator named {name!r} in mx.nd. Give "
                                  "the name of an mx.nd function (e.g. 'tanh') or a function.")
    return func


class Lambda(Block):
    """Wraps a function (or the name of an ``mx.nd`` operator) as a Block.

    Parameters
    ----------
    function : str or callable
        The name of an ``mx.nd`` operator (``Lambda('tanh')``), or any ``function(*args)``
        (``Lambda(lambda x: nd.LeakyReLU(x, slope=0.1))``).

    Inputs:
        - **\\*args**: one or more arrays, as the function takes them.

    Outputs:
        - **\\*outputs**: what the function returns.
    """

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            self._func_impl = _op_by_name("Lambda", function)
            self._func_name = function
        elif callable(function):
            self._func_impl = function
            self._func_name = function.__name__
        else:
            raise ValueError("Unrecognized function in lambda: {} of type {}"
                             .format(function, type(function)))

    def forward(self, *args):
        return self._func_impl(*args)

    def __repr__(self):
        return "{name}({function})".format(name=self.__class__.__name__, function=self._func_name)


class HybridLambda(HybridBlock):
    """Wraps a function ``function(F, x, *args)`` (or an operator's name) as a HybridBlock.

    Parameters
    ----------
    function : str or callable
        The name of an operator that ``F`` has (``HybridLambda('tanh')``), or a function of
        ``F`` and the inputs (``HybridLambda(lambda F, x: F.LeakyReLU(x, slope=0.1))``).

    Inputs:
        - **\\*args**: one or more arrays; the first is an NDArray (or Symbol).

    Outputs:
        - **\\*outputs**: what the function returns.
    """

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            _op_by_name("HybridLambda", function)
            # Looked up on F at each call: mx.nd imperatively, mx.sym when traced.
            self._func = lambda F, *args: getattr(F, function)(*args)
            self._func_name = function
        elif callable(function):
            self._func = function
            self._func_name = function.__name__
        else:
            raise ValueError("Unrecognized function in lambda: {} of type {}"
                             .format(function, type(function)))

    def hybrid_forward(self, F, x, *args):
        return self._func(F, x, *args)

    def __repr__(self):
        return "{name}({function})".format(name=self.__class__.__name__, function=self._func_name)
