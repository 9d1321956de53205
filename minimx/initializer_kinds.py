"""The concrete initializers of ``mx.init``: constants, random draws, Xavier/MSRA, Bilinear, LSTMBias.

Each subclasses `Initializer` (``initializer.py``, which also holds the name dispatch and the registry)
and fills ``arr`` in place in ``_init_weight``; ``@register`` files it under its lower-cased class name
so that ``mx.init.create('xavier')`` finds it. Import them from ``mx.init``/``mx.initializer``.
"""
import json

import numpy as np

from . import ndarray as nd
from .initializer import _REGISTRY, Initializer, _bilinear_kernel, alias, register

__all__ = ["Zero", "One", "Constant", "Uniform", "Normal", "Orthogonal", "Xavier", "MSRAPrelu", "Bilinear",
           "LSTMBias", "FusedRNN"]


@register
@alias("zeros")
class Zero(Initializer):
    """Initialize weights to zero (registered as ``'zero'`` and ``'zeros'``)."""

    def __init__(self):
        super(Zero, self).__init__()

    def _init_weight(self, _, arr):
        arr[:] = 0


@register
@alias("ones")
class One(Initializer):
    """Initialize weights to one (registered as ``'one'`` and ``'ones'``)."""

    def __init__(self):
        super(One, self).__init__()

    def _init_weight(self, _, arr):
        arr[:] = 1


@register
class Constant(Initializer):
    """Initialize weights to ``value``: a scalar, or an array that broadcasts to the weight's shape."""

    def __init__(self, value):
        super(Constant, self).__init__(value=value)
        self.value = value

    def _init_weight(self, _, arr):
        arr[:] = self.value

    def dumps(self):
        # JSON cannot hold an array: write it as nested lists (MXNet stores them back into _kwargs too).
        val = self._kwargs['value']
        if not np.isscalar(val):
            self._kwargs['value'] = val.tolist() if isinstance(val, np.ndarray) else val.asnumpy().tolist()
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])


@register
class Uniform(Initializer):
    """Initialize weights from U(-scale, scale); ``scale`` defaults to 0.07."""

    def __init__(self, scale=0.07):
        super(Uniform, self).__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        nd.random.uniform(-self.scale, self.scale, arr.shape, out=arr)


@register
class Normal(Initializer):
    """Initialize weights from N(0, sigma^2); ``sigma`` defaults to 0.01."""

    def __init__(self, sigma=0.01):
        super(Normal, self).__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        nd.random.normal(0, self.sigma, arr.shape, out=arr)


@register
class Orthogonal(Initializer):
    """Initialize the weight, viewed as (shape[0], prod(shape[1:])), as ``scale`` times an orthonormal matrix.

    A random matrix (``rand_type`` 'uniform' on [-1, 1] or 'normal') is factored by SVD; its U (if U has the
    matrix's shape, i.e. rows <= columns) or V^T supplies orthonormal rows or columns (Saxe et al. 2013).
    """

    def __init__(self, scale=1.414, rand_type="uniform"):
        super(Orthogonal, self).__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, _, arr):
        nout = arr.shape[0]
        nin = int(np.prod(arr.shape[1:]))
        if self.rand_type == "uniform":
            tmp = nd.random.uniform(-1.0, 1.0, shape=(nout, nin)).asnumpy()
        elif self.rand_type == "normal":
            tmp = nd.random.normal(0.0, 1.0, shape=(nout, nin)).asnumpy()
        u, _, v = np.linalg.svd(tmp, full_matrices=False)
        res = u if u.shape == tmp.shape else v
        arr[:] = self.scale * res.reshape(arr.shape)


@register
class Xavier(Initializer):
    """Glorot/Xavier initialization: keep activations' and gradients' scale alike across layers.

    For a weight of shape (out, in, k1, k2, ...) the receptive field is ``r = k1*k2*...`` (1 for a
    matrix), ``fan_in = in*r`` and ``fan_out = out*r``. With ``factor`` = the average of the two
    (``'avg'``), ``fan_in`` (``'in'``) or ``fan_out`` (``'out'``) and ``scale = sqrt(magnitude / factor)``,
    the weight is drawn from U(-scale, scale) (``rnd_type='uniform'``) or N(0, scale^2) (``'gaussian'``).

    Parameters
    ----------
    rnd_type : {'uniform', 'gaussian'}, optional
    factor_type : {'avg', 'in', 'out'}, optional
    magnitude : float, optional
        Default 3, which gives Glorot's uniform bound sqrt(6 / (fan_in + fan_out)).
    """

    def __init__(self, rnd_type="uniform", factor_type="avg", magnitude=3):
        super(Xavier, self).__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name, arr):
        shape = arr.shape
        hw_scale = 1.
        if len(shape) < 2:
            raise ValueError('Xavier initializer cannot be applied to vector {0}. It requires at'
                             ' least 2D.'.format(name))
        if len(shape) > 2:
            hw_scale = np.prod(shape[2:])
        fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
        if self.factor_type == "avg":
            factor = (fan_in + fan_out) / 2.0
        elif self.factor_type == "in":
            factor = fan_in
        elif self.factor_type == "out":
            factor = fan_out
        else:
            raise ValueError("Incorrect factor type")
        scale = float(np.sqrt(self.magnitude / factor))
        if self.rnd_type == "uniform":
            nd.random.uniform(-scale, scale, arr.shape, out=arr)
        elif self.rnd_type == "gaussian":
            nd.random.normal(0, scale, arr.shape, out=arr)
        else:
            raise ValueError("Unknown random type")


@register
class MSRAPrelu(Xavier):
    """He et al. (2015) initialization for (P)ReLU nets: Gaussian Xavier with magnitude 2 / (1 + slope^2)."""

    def __init__(self, factor_type="avg", slope=0.25):
        magnitude = 2. / (1 + slope ** 2)
        super(MSRAPrelu, self).__init__("gaussian", factor_type, magnitude)
        self._kwargs = {'factor_type': factor_type, 'slope': slope}


@register
class Bilinear(Initializer):
    """Initialize a (C_out, C_in, H, W) deconvolution weight as a bilinear upsampling filter."""

    def __init__(self):
        super(Bilinear, self).__init__()

    def _init_weight(self, _, arr):
        arr[:] = _bilinear_kernel(arr.shape)


@register
class LSTMBias(Initializer):
    """Zero an LSTM's (4*H,) bias except the forget gate's block [H:2H], set to ``forget_bias``."""

    def __init__(self, forget_bias=1.0):
        super(LSTMBias, self).__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name, arr):
        arr[:] = 0.0
        num_hidden = int(arr.shape[0] / 4)
        arr[num_hidden:2 * num_hidden] = self.forget_bias


@register
class FusedRNN(Initializer):
    """Initialize the packed parameters of a fused RNN layer (MXNet's ``FusedRNNCell``).

    minimx can build and `dumps` it, but not apply it: it has no ``FusedRNNCell`` to unpack the weights.
    """

    def __init__(self, init, num_hidden, num_layers, mode, bidirectional=False, forget_bias=1.0):
        if isinstance(init, str):
            klass, kwargs = json.loads(init)
            init = _REGISTRY[klass.lower()](**kwargs)
        super(FusedRNN, self).__init__(init=init.dumps() if init is not None else None,
                                       num_hidden=num_hidden, num_layers=num_layers, mode=mode,
                                       bidirectional=bidirectional, forget_bias=forget_bias)
        self._init = init
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bidirectional
        self._forget_bias = forget_bias

    def _init_weight(self, desc, arr):
        raise NotImplementedError("FusedRNN initializer is not supported in minimx (there is no FusedRNNCell "
                                  "to unpack the weights); initialize gluon.rnn layers' parameters instead.")
