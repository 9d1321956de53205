"""The evaluation-metric machinery behind ``mx.metric``: the base class, the registry, composites.

A metric is an accumulator. ``update(labels, preds)`` adds one batch to two running totals,
``sum_metric`` and ``num_inst``, and ``get()`` returns ``(name, sum_metric / num_inst)``
(``nan`` while nothing was seen). Each metric keeps two pairs of totals:

1. the *local* pair (``sum_metric``, ``num_inst``), cleared by ``reset_local()``, read by ``get()``;
2. the *global* pair (``global_sum_metric``, ``global_num_inst``), cleared only by ``reset()``,
   read by ``get_global()``. A training loop logs the local value every few batches and the
   global one at the end of the epoch.

Metrics are found by name through a registry: ``create('acc')`` builds an ``Accuracy``; a
callable becomes a ``CustomMetric``; a list becomes a ``CompositeEvalMetric``.

>>> m = create('acc')
>>> m.update([nd.array([0, 1])], [nd.array([[.9, .1], [.8, .2]])])
>>> m.get()
('accuracy', 0.5)

NB: in MXNet the inputs must be NDArrays; minimx also takes numpy arrays. Values come back as
Python floats (MXNet returns numpy.float64 under numpy 1.x, whose repr is the same as a float's).
"""
import json
import warnings

import numpy

from .base import MXNetError, numeric_types, string_types
from .ndarray.ndarray import NDArray

__all__ = ["EvalMetric", "CompositeEvalMetric", "CustomMetric", "check_label_shapes", "create",
           "register", "alias", "np"]


def _is_array(x):
    """True for one array (an NDArray or a numpy array), False for a list of them."""
    return isinstance(x, (NDArray, numpy.ndarray))


def _to_numpy(x):
    """An NDArray's values as numpy (waiting for pending writes), or a numpy array as is."""
    if isinstance(x, NDArray):
        return x.asnumpy()
    return numpy.asarray(x)


def check_label_shapes(labels, preds, wrap=False, shape=False):
    """Check that labels and predictions agree in length (or in shape), as MXNet does.

    Parameters
    ----------
    labels, preds : array or list of arrays
    wrap : bool
        Wrap a single array into a one-element list, so that callers can always loop.
    shape : bool
        Compare ``.shape`` instead of ``len()``.

    Raises
    ------
    ValueError
        "Shape of labels {} does not match shape of predictions {}" (MXNet's message).
    """
    if not shape:
        label_shape, pred_shape = len(labels), len(preds)
    else:
        label_shape, pred_shape = labels.shape, preds.shape
    if label_shape != pred_shape:
        raise ValueError("Shape of labels {} does not match shape of "
                         "predictions {}".format(label_shape, pred_shape))
    if wrap:
        if _is_array(labels):
            labels = [labels]
        if _is_array(preds):
            preds = [preds]
    return labels, preds


def _as_list(value):
    """``value`` in a list unless it is one already (for names and values of composites)."""
    return value if isinstance(value, list) else [value]


class EvalMetric(object):
    """Base class for all evaluation metrics.

    Parameters
    ----------
    name : str
        Name of this metric instance for display.
    output_names : list of str, or None
        Names of the predictions that ``update_dict`` uses. By default all of them.
    label_names : list of str, or None
        Names of the labels that ``update_dict`` uses. By default all of them.
    **kwargs
        The subclass's own arguments, kept for ``get_config``. ``has_global_stats`` (bool,
        default False) says whether the global totals are kept apart from the local ones; without
        them ``get_global`` is ``get``.
    """

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self):
        return "EvalMetric: {}".format(dict(self.get_name_value()))

    def get_config(self):
        """The metric's configuration as a dict; ``create(config)`` builds an equal metric."""
        config = self._kwargs.copy()
        config.update({
            'metric': self.__class__.__name__,
            'name': self.name,
            'output_names': self.output_names,
            'label_names': self.label_names})
        return config

    def update_dict(self, label, pred):
        """Update with dicts of named labels and predictions (filtered by ``label_names`` and
        ``output_names`` when they are set)."""
        if self.output_names is not None:
            pred = [pred[name] for name in self.output_names]
        else:
            pred = list(pred.values())
        if self.label_names is not None:
            label = [label[name] for name in self.label_names]
        else:
            label = list(label.values())
        self.update(label, pred)

    def update(self, labels, preds):
        """Add one batch. ``labels`` and ``preds`` are arrays or lists of arrays."""
        raise NotImplementedError()

    def reset(self):
        """Clear the local and the global totals."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self):
        """Clear the local totals only; the global ones keep counting."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self):
        """``(name, value)`` of the local totals; the value is ``nan`` before any update."""
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, float(self.sum_metric / self.num_inst))

    def get_global(self):
        """``(name, value)`` of the global totals (the local ones without global stats)."""
        if self._has_global_stats:
            if self.global_num_inst == 0:
                return (self.name, float('nan'))
            return (self.name, float(self.global_sum_metric / self.global_num_inst))
        return self.get()

    def get_name_value(self):
        """``get()`` as a list of ``(name, value)`` pairs."""
        name, value = self.get()
        return list(zip(_as_list(name), _as_list(value)))

    def get_global_name_value(self):
        """``get_global()`` as a list of ``(name, value)`` pairs."""
        if self._has_global_stats:
            name, value = self.get_global()
            return list(zip(_as_list(name), _as_list(value)))
        return self.get_name_value()


# ---- the registry: lower-cased class names and aliases -> classes ----------------------------
_REGISTRY = {}


def register(klass, name=None):
    """Register a metric class under ``name`` (default: its class name), lower-cased."""
    assert issubclass(klass, EvalMetric), "Can only register subclass of %s" % EvalMetric.__name__
    name = (klass.__name__ if name is None else name).lower()
    if name in _REGISTRY:
        warnings.warn("New metric %s.%s registered with name %s is overriding existing metric %s.%s" % (
            klass.__module__, klass.__name__, name, _REGISTRY[name].__module__, _REGISTRY[name].__name__),
            UserWarning, stacklevel=2)
    _REGISTRY[name] = klass
    return klass


def alias(*aliases):
    """Class decorator: register the class under each of ``aliases`` too."""
    def reg(klass):
        for name in aliases:
            register(klass, name)
        return klass
    return reg


class MetricAssertionError(MXNetError, AssertionError):
    """Bad input to a metric where MXNet ``assert``s (so ``except AssertionError`` still works).

    NB: raised explicitly, not with ``assert``, so the check survives ``python -O``.
    """


class MetricValueError(MXNetError, ValueError):
    """Labels and predictions that cannot be compared (MXNet: numpy's ``ValueError``)."""


def _require(condition, message):
    if not condition:
        raise MetricAssertionError(message)


def _create(*args, **kwargs):
    """Build a registered metric from a name, a config dict, a JSON string, or an instance."""
    if args:
        name, args = args[0], args[1:]
    else:
        name = kwargs.pop('metric')
    if isinstance(name, EvalMetric):
        assert not args and not kwargs, \
            "metric is already an instance. Additional arguments are invalid"
        return name
    if isinstance(name, dict):
        return _create(**name)
    _require(isinstance(name, string_types),
             f"metric must be of string type (a registered name, e.g. 'acc'), got {name!r} of type "
             f"{type(name).__name__}")
    if name.startswith('['):
        assert not args and not kwargs
        name, kwargs = json.loads(name)
        return _create(name, **kwargs)
    if name.startswith('{'):
        assert not args and not kwargs
        return _create(**json.loads(name))
    name = name.lower()
    _require(name in _REGISTRY,
             "%s is not registered. Please register with metric.register first (registered: %s)"
             % (str(name), ", ".join(sorted(_REGISTRY))))
    return _REGISTRY[name](*args, **kwargs)


def create(metric, *args, **kwargs):
    """Create a metric from a name, a callable, a list of those, a config, or an instance.

    Parameters
    ----------
    metric : str, callable, list, dict or EvalMetric
        A registered name ('acc', 'ce', 'f1', ...), a ``feval(label, pred)`` function (wrapped in
        a ``CustomMetric``), or a list of any of these (a ``CompositeEvalMetric``).
    *args, **kwargs
        Passed to the metric's constructor (to each one for a list).

    Examples
    --------
    >>> create(['acc', 'f1']).get()
    (['accuracy', 'f1'], [nan, nan])
    """
    if callable(metric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite_metric = CompositeEvalMetric()
        for child_metric in metric:
            composite_metric.add(create(child_metric, *args, **kwargs))
        return composite_metric
    return _create(metric, *args, **kwargs)


@register
@alias('composite')
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get()`` returns lists of names and values.

    Parameters
    ----------
    metrics : list of EvalMetric or str, optional
        The child metrics (anything ``create`` accepts).
    name : str, default 'composite'
    output_names, label_names : list of str, or None
    """

    def __init__(self, metrics=None, name='composite', output_names=None, label_names=None):
        super(CompositeEvalMetric, self).__init__(
            name, output_names=output_names, label_names=label_names, has_global_stats=True)
        self.metrics = [create(i) for i in (metrics or [])]

    def add(self, metric):
        """Append a child metric (anything ``create`` accepts)."""
        self.metrics.append(create(metric))

    def get_metric(self, index):
        """The child metric at ``index``.

        NB: as in MXNet, an index out of range *returns* (does not raise) a ValueError.
        """
        try:
            return self.metrics[index]
        except IndexError:
            return ValueError("Metric index {} is out of range 0 and {}".format(index, len(self.metrics)))

    def update_dict(self, labels, preds):  # pylint: disable=arguments-differ
        if self.label_names is not None:
            labels = {k: v for k, v in labels.items() if k in self.label_names}
        if self.output_names is not None:
            preds = {k: v for k, v in preds.items() if k in self.output_names}
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels, preds):
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self):
        # The base __init__ calls reset() before self.metrics exists.
        for metric in getattr(self, 'metrics', []):
            metric.reset()

    def reset_local(self):
        for metric in getattr(self, 'metrics', []):
            metric.reset_local()

    def _gather(self, getter):
        names, values = [], []
        for metric in self.metrics:
            name, value = getter(metric)
            if isinstance(name, string_types):
                name = [name]
            if isinstance(value, numeric_types):
                value = [value]
            names.extend(name)
            values.extend(value)
        return (names, values)

    def get(self):
        return self._gather(lambda metric: metric.get())

    def get_global(self):
        return self._gather(lambda metric: metric.get_global())

    def get_config(self):
        config = super(CompositeEvalMetric, self).get_config()
        config.update({'metrics': [i.get_config() for i in self.metrics]})
        return config


@register
class CustomMetric(EvalMetric):
    """A metric from a function ``feval(label, pred)`` of numpy arrays.

    ``feval`` returns either the batch's value (counted as one instance) or a pair
    ``(sum_metric, num_inst)``.

    Parameters
    ----------
    feval : callable
    name : str, optional
        Default: ``feval.__name__``, written ``custom(<lambda>)`` for a lambda.
    allow_extra_outputs : bool, default False
        Allow more predictions than labels (the extras are ignored).
    output_names, label_names : list of str, or None
    """

    def __init__(self, feval, name=None, allow_extra_outputs=False, output_names=None, label_names=None):
        if name is None:
            name = feval.__name__
            if name.find('<') != -1:
                name = 'custom(%s)' % name
        super(CustomMetric, self).__init__(
            name, feval=feval, allow_extra_outputs=allow_extra_outputs,
            output_names=output_names, label_names=label_names, has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels, preds):
        if not self._allow_extra_outputs:
            labels, preds = check_label_shapes(labels, preds, True)
        for pred, label in zip(preds, labels):
            reval = self._feval(_to_numpy(label), _to_numpy(pred))
            if isinstance(reval, tuple):
                sum_metric, num_inst = reval
            else:
                sum_metric, num_inst = reval, 1
            # NB: under numpy 1.x (MXNet's), float + numpy.float32 is a float64; numpy 2 would keep
            # float32, so the sum is made a Python float to accumulate in double as MXNet does.
            self.sum_metric += float(sum_metric)
            self.global_sum_metric += float(sum_metric)
            self.num_inst += num_inst
            self.global_num_inst += num_inst

    def get_config(self):
        raise NotImplementedError("CustomMetric cannot be serialized")


def np(numpy_feval, name=None, allow_extra_outputs=False):
    """A ``CustomMetric`` from a function of numpy arrays (``mx.metric.np``).

    Parameters
    ----------
    numpy_feval : callable
        ``numpy_feval(label, pred)`` returning a number or ``(sum_metric, num_inst)``.
    name : str, optional
    allow_extra_outputs : bool, default False
    """
    def feval(label, pred):
        return numpy_feval(label, pred)
    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)
