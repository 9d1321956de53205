"""``mx.init`` / ``mx.initializer``: fill parameter arrays with their starting values, as MXNet 1.9.1 does.

An initializer is called as ``init(desc, arr)``: ``desc`` names the parameter (an `InitDesc`, a ``str``
that also carries attributes) and ``arr`` is the NDArray to fill in place. The base class dispatches on
the end of the name: ``*weight`` goes to ``_init_weight`` (what each subclass defines), ``*bias`` and
``*beta`` are zeroed, ``*gamma`` set to one, ``*min``/``*max`` to 0/1. A ``desc.attrs['__init__']``
(an initializer's `Initializer.dumps` string or a registered name) overrides the dispatch.

Initializers are registered by lower-cased class name (and aliases), so ``create('xavier')``,
``create('["xavier", {"magnitude": 2}]')`` and ``create(Xavier(magnitude=2))`` are the same thing.

The concrete initializers (Zero, One, Constant, Uniform, Normal, Orthogonal, Xavier, MSRAPrelu,
Bilinear, LSTMBias, FusedRNN) live in ``initializer_kinds``; this module holds the base class, the
`InitDesc` name dispatch, the registry and the combinators `Load` and `Mixed`, and re-exports them
all, so ``mx.init.Xavier`` and ``mx.initializer.Xavier`` both work.

Random initializers draw with ``mx.nd.random.uniform``/``normal`` writing into ``arr``
(``out=arr``), so ``mx.random.seed(n)`` makes them repeat; the numbers are not MXNet's.
"""
import json
import logging
import re
import warnings
from math import sqrt

import numpy as np

from . import ndarray as nd
from .ndarray import NDArray

__all__ = ["InitDesc", "Initializer", "register", "alias", "create", "Load", "Mixed", "Zero", "One",
           "Constant", "Uniform", "Normal", "Orthogonal", "Xavier", "MSRAPrelu", "Bilinear", "LSTMBias",
           "FusedRNN"]


class InitDesc(str):
    """The name of a parameter, with the attributes and global initializer that steer its initialization.

    Parameters
    ----------
    name : str
        Name of the variable.
    attrs : dict of str to str, optional
        Attributes of the variable; ``attrs['__init__']`` names an initializer that overrides the default.
    global_init : Initializer, optional
        The initializer to fall back to (set to the calling initializer when None).
    """

    def __new__(cls, name, attrs=None, global_init=None):
        ret = super(InitDesc, cls).__new__(cls, name)
        ret.attrs = attrs or {}
        ret.global_init = global_init
        return ret


class Initializer(object):
    """Base class of the initializers; subclasses define ``_init_weight(name, arr)``.

    ``kwargs`` are what `dumps` records, so that `create` can rebuild the initializer.
    """

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose=False, print_func=None):
        """Log a statistic of each array initialized (default: ``norm(x) / sqrt(x.size)``)."""
        self._verbose = verbose
        if print_func is None:
            def asum_stat(x):
                """The root mean square of ``x``, as a string."""
                return str((nd.norm(x) / sqrt(x.size)).asscalar())
            print_func = asum_stat
        self._print_func = print_func
        return self

    def _verbose_print(self, desc, init, arr):
        if self._verbose and self._print_func:
            logging.info('Initialized %s as %s: %s', desc, init, self._print_func(arr))

    def dumps(self):
        """The initializer as a JSON string ``'["name", {kwargs}]'`` that `create` reads back.

        Examples
        --------
        >>> mx.init.Normal(0.5).dumps()
        '["normal", {"sigma": 0.5}]'
        """
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    # The name suffixes of the InitDesc path, in MXNet's order of testing, and what each one gets.
    _SUFFIXES = (('weight', '_init_weight'), ('bias', '_init_bias'), ('gamma', '_init_gamma'),
                 ('beta', '_init_beta'), ('min', '_init_zero'), ('max', '_init_one'),
                 ('weight_quantize', '_init_quantized_weight'), ('bias_quantize', '_init_quantized_bias'))

    def __call__(self, desc, arr):
        """Initialize ``arr`` in place according to ``desc`` (an `InitDesc`; a plain str is deprecated)."""
        if not isinstance(desc, InitDesc):
            self._legacy_init(desc, arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get('__init__', "")
        if init:
            # The attribute's initializer treats the array as a weight, whatever its name says.
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        for suffix, method in self._SUFFIXES:
            if desc.endswith(suffix):
                getattr(self, method)(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    def _legacy_init(self, name, arr):
        """The pre-InitDesc dispatch: more name patterns (moving statistics, STN, upsampling)."""
        warnings.warn("Calling initializer with init(str, NDArray) has been deprecated. "
                      "please use init(mx.init.InitDesc(...), NDArray) instead.",
                      DeprecationWarning, stacklevel=3)
        if not isinstance(name, str):
            raise TypeError('name must be string')
        if not isinstance(arr, NDArray):
            raise TypeError('arr must be NDArray')
        if name.startswith('upsampling'):
            self._init_bilinear(name, arr)
        elif name.startswith('stn_loc') and name.endswith('weight'):
            self._init_zero(name, arr)
        elif name.startswith('stn_loc') and name.endswith('bias'):
            self._init_loc_bias(name, arr)
        else:
            for suffix, method in (('bias', '_init_bias'), ('gamma', '_init_gamma'), ('beta', '_init_beta'),
                                   ('weight', '_init_weight'), ('moving_mean', '_init_zero'),
                                   ('moving_var', '_init_one'), ('moving_inv_var', '_init_zero'),
                                   ('moving_avg', '_init_zero'), ('min', '_init_zero'), ('max', '_init_one')):
                if name.endswith(suffix):
                    getattr(self, method)(name, arr)
                    return
            self._init_default(name, arr)

    def _init_bilinear(self, _, arr):
        arr[:] = _bilinear_kernel(arr.shape)

    def _init_loc_bias(self, _, arr):
        # The identity affine transform of a spatial transformer's localisation net.
        assert arr.shape[0] == 6
        arr[:] = np.array([1.0, 0, 0, 0, 1.0, 0])

    def _init_zero(self, _, arr):
        arr[:] = 0.0

    def _init_one(self, _, arr):
        arr[:] = 1.0

    def _init_bias(self, _, arr):
        arr[:] = 0.0

    def _init_quantized_bias(self, _, arr):
        arr[:] = 0

    def _init_gamma(self, _, arr):
        arr[:] = 1.0

    def _init_beta(self, _, arr):
        arr[:] = 0.0

    def _init_weight(self, name, arr):
        """Fill a weight; each subclass defines it."""
        raise NotImplementedError("Must override it")

    def _init_quantized_weight(self, _, arr):
        # NB: as in MXNet, ONE random int8 value is drawn (no shape given) and broadcast to the array.
        arr[:] = np.int8(nd.random.randint(-127, 127, dtype='int32').asnumpy())

    def _init_default(self, name, _):
        raise ValueError(
            'Unknown initialization pattern for %s. Default initialization is now limited to '
            '"weight", "bias", "gamma" (1.0), and "beta" (0.0).'
            'Please use mx.sym.Variable(init=mx.init.*) to set initialization pattern' % name)

    def __eq__(self, other):
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs



def _bilinear_kernel(shape):
    """The bilinear-interpolation upsampling filter for a (..., H, W) weight, same for every channel."""
    f = np.ceil(shape[3] / 2.)
    c = (2 * f - 1 - f % 2) / (2. * f)
    x = np.arange(shape[3])
    y = np.arange(shape[2])
    kernel = np.outer(1 - np.abs(y / f - c), 1 - np.abs(x / f - c)).astype(np.float32)
    return np.broadcast_to(kernel, shape)


# ----------------------------------------------------------------------------------------------------
# Registry: lower-cased name -> class (MXNet's mxnet.registry, for this one base class).
_REGISTRY = {}


def register(klass, name=None):
    """Register an `Initializer` subclass under ``name`` (default: its class name), case-insensitively.

    Returns the class, so it works as a decorator: ``@mx.init.register``.
    """
    assert issubclass(klass, Initializer), "Can only register subclass of %s" % Initializer.__name__
    name = (klass.__name__ if name is None else name).lower()
    if name in _REGISTRY:
        warnings.warn("New initializer %s.%s registered with name %s is overriding existing initializer %s.%s"
                      % (klass.__module__, klass.__name__, name, _REGISTRY[name].__module__,
                         _REGISTRY[name].__name__), UserWarning, stacklevel=2)
    _REGISTRY[name] = klass
    return klass


def alias(*aliases):
    """Decorator that registers a class under extra names: ``@alias('zeros')``."""
    def reg(klass):
        for name in aliases:
            register(klass, name)
        return klass
    return reg


def create(*args, **kwargs):
    """Create an initializer from a name, a `dumps` JSON string, a dict, or return an instance as is.

    Parameters
    ----------
    initializer : str, dict or Initializer
        ``'xavier'``; ``'["xavier", {"magnitude": 2}]'``; ``'{"initializer": "xavier", ...}'``; an instance.
    *args, **kwargs
        Passed to the constructor when ``initializer`` is a name.
    """
    if args:
        name, args = args[0], args[1:]
    else:
        name = kwargs.pop('initializer')
    if isinstance(name, Initializer):
        assert not args and not kwargs, "initializer is already an instance. Additional arguments are invalid"
        return name
    if isinstance(name, dict):
        return create(**name)
    assert isinstance(name, str), "initializer must be of string type"
    if name.startswith('['):
        assert not args and not kwargs
        name, kwargs = json.loads(name)
        return create(name, **kwargs)
    if name.startswith('{'):
        assert not args and not kwargs
        return create(**json.loads(name))
    name = name.lower()
    assert name in _REGISTRY, \
        "%s is not registered. Please register with initializer.register first" % name
    return _REGISTRY[name](*args, **kwargs)


# ----------------------------------------------------------------------------------------------------
class Load(object):
    """Initialize from a saved file or a dict of NDArrays; names not found go to ``default_init``.

    An ``arg:`` or ``aux:`` prefix (as ``Module.save_params`` writes) is dropped from the loaded names.
    """

    def __init__(self, param, default_init=None, verbose=False):
        if isinstance(param, str):
            param = nd.load(param)
        assert isinstance(param, dict)
        self.param = {}
        for name, arr in param.items():
            self.param[name[4:] if name.startswith(('arg:', 'aux:')) else name] = arr
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name, arr):
        if name in self.param:
            assert arr.shape == self.param[name].shape, \
                'Parameter %s cannot be initialized from loading. ' % name + \
                'Shape mismatch, target %s vs loaded %s' % (str(arr.shape), self.param[name].shape)
            arr[:] = self.param[name]
            if self.verbose:
                logging.info('Initialized %s by loading', name)
        else:
            assert self.default_init is not None, \
                "Cannot Initialize %s. Not found in loaded param " % name + \
                "and no default Initializer is provided."
            self.default_init(name, arr)
            if self.verbose:
                logging.info('Initialized %s by default', name)


class Mixed(object):
    """Initialize each parameter with the initializer of the first regex (``re.match``) its name matches.

    Examples
    --------
    >>> init = mx.init.Mixed(['bias', '.*'], [mx.init.Zero(), mx.init.Uniform(0.1)])
    """

    def __init__(self, patterns, initializers):
        assert len(patterns) == len(initializers)
        self.map = list(zip([re.compile(p) for p in patterns], initializers))

    def __call__(self, name, arr):
        for prog, init in self.map:
            if prog.match(name):
                init(name, arr)
                return
        raise ValueError('Parameter name %s did not match any pattern. Consider '
                         'add a ".*" pattern at the and with default Initializer.' % name)


# The concrete initializers register themselves on import. NB: imported last, because they subclass
# `Initializer` from this module; the package imports this module first, so the cycle always starts here.
from .initializer_kinds import (Bilinear, Constant, FusedRNN, LSTMBias, MSRAPrelu, Normal, One,  # noqa: E402
                                Orthogonal, Uniform, Xavier, Zero)
