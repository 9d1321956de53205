"""Regression and loss metrics of ``mx.metric``: MAE, MSE, RMSE, CrossEntropy, NegativeLogLikelihood,
Perplexity, PearsonCorrelation, Loss (and its old names Torch and Caffe).

The arithmetic follows MXNet 1.9.1's ``python/mxnet/metric.py`` step by step: per-batch means are
float32 numpy reductions when the inputs are float32, and the running totals are float64. MXNet
runs numpy 1.x, where ``0.0 + numpy.float32(x)`` is a float64; numpy 2 keeps float32, so the batch
values are made Python floats before they are added (``float(...)``).
"""
import math

import numpy

from .metric_base import (EvalMetric, MetricValueError, _is_array, _require, _to_numpy, alias,
                          check_label_shapes, register)

__all__ = ["MAE", "MSE", "RMSE", "CrossEntropy", "NegativeLogLikelihood", "Perplexity",
           "PearsonCorrelation", "Loss", "Torch", "Caffe"]


def _column_pair(label, pred):
    """numpy label and pred, a 1-d one made a column (so (N,) against (N, 1) does not broadcast
    to (N, N))."""
    label, pred = _to_numpy(label), _to_numpy(pred)
    if len(label.shape) == 1:
        label = label.reshape(label.shape[0], 1)
    if len(pred.shape) == 1:
        pred = pred.reshape(pred.shape[0], 1)
    return label, pred


class _BatchMeanMetric(EvalMetric):
    """A metric whose value is the mean over updated arrays of one number per array."""

    def _batch_value(self, label, pred):
        raise NotImplementedError()

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _column_pair(label, pred)
            try:
                value = float(self._batch_value(label, pred))
            except ValueError as e:
                raise MetricValueError(
                    f"{self.__class__.__name__}: label of shape {label.shape} and pred of shape "
                    f"{pred.shape} cannot be compared ({e}); give them one shape") from e
            self.sum_metric += value
            self.global_sum_metric += value
            # NB: MXNet counts one instance per array, not per element.
            self.num_inst += 1
            self.global_num_inst += 1


@register
class MAE(_BatchMeanMetric):
    """Mean absolute error: mean(|label - pred|) per array, averaged over arrays.

    Parameters
    ----------
    name : str, default 'mae'
    output_names, label_names : list of str, or None
    """

    def __init__(self, name='mae', output_names=None, label_names=None):
        super(MAE, self).__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def _batch_value(self, label, pred):
        return numpy.abs(label - pred).mean()


@register
class MSE(_BatchMeanMetric):
    """Mean squared error: mean((label - pred)^2) per array, averaged over arrays.

    Parameters
    ----------
    name : str, default 'mse'
    output_names, label_names : list of str, or None
    """

    def __init__(self, name='mse', output_names=None, label_names=None):
        super(MSE, self).__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def _batch_value(self, label, pred):
        return ((label - pred) ** 2.0).mean()


@register
class RMSE(_BatchMeanMetric):
    """Root mean squared error: sqrt(mean((label - pred)^2)) per array, averaged over arrays.

    Parameters
    ----------
    name : str, default 'rmse'
    output_names, label_names : list of str, or None
    """

    def __init__(self, name='rmse', output_names=None, label_names=None):
        super(RMSE, self).__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def _batch_value(self, label, pred):
        return numpy.sqrt(((label - pred) ** 2.0).mean())


@register
@alias('ce')
class CrossEntropy(EvalMetric):
    """Cross entropy of class probabilities: -sum(log(p[i, label_i] + eps)) / N.

    Parameters
    ----------
    eps : float, default 1e-12
        Added to the probability so that log(0) stays finite.
    name : str, default 'cross-entropy'
    output_names, label_names : list of str, or None
    """

    def __init__(self, eps=1e-12, name='cross-entropy', output_names=None, label_names=None):
        super(CrossEntropy, self).__init__(
            name, eps=eps, output_names=output_names, label_names=label_names, has_global_stats=True)
        self.eps = eps

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = _to_numpy(label).ravel()
            pred = _to_numpy(pred)
            num_examples = pred.shape[0]
            _require(label.shape[0] == num_examples,
                     f"{self.__class__.__name__}: label has {label.shape[0]} entries but pred has "
                     f"{num_examples} rows (shape {pred.shape}); give one class index per row of "
                     "pred")
            prob = pred[numpy.arange(num_examples, dtype=numpy.int64), numpy.int64(label)]
            loss = float((-numpy.log(prob + self.eps)).sum())
            self.sum_metric += loss
            self.global_sum_metric += loss
            self.num_inst += num_examples
            self.global_num_inst += num_examples


@register
@alias('nll_loss')
class NegativeLogLikelihood(CrossEntropy):
    """Negative log likelihood: the same sum as CrossEntropy, named 'nll-loss'.

    Parameters
    ----------
    eps : float, default 1e-12
    name : str, default 'nll-loss'
    output_names, label_names : list of str, or None
    """

    def __init__(self, eps=1e-12, name='nll-loss', output_names=None, label_names=None):
        super(NegativeLogLikelihood, self).__init__(
            eps=eps, name=name, output_names=output_names, label_names=label_names)


def _f32_sum(x):
    """Sum as MXNet's ``sum`` does on the CPU: one pass of Kahan's compensated summation in the
    array's own dtype.

    NB: this is a Python loop over elements, so that the last bit agrees with MXNet (neither
    numpy's pairwise sum nor a rounded float64 sum does); metrics sum one batch of losses or
    log-probabilities, which is small.
    """
    x = numpy.ravel(x)
    dtype = x.dtype.type
    total = dtype(0)
    residual = dtype(0)
    for value in x:
        y = dtype(value - residual)
        t = dtype(total + y)
        residual = dtype(dtype(t - total) - y)
        total = t
    return total


@register
class Perplexity(EvalMetric):
    """Perplexity: exp of the mean negative log probability of the labels.

    .. math:: \\text{perplexity} = \\exp\\left(-\\frac{1}{N} \\sum_i \\log p_{i, y_i}\\right)

    Parameters
    ----------
    ignore_label : int or None
        Labels equal to this are left out (required, as in MXNet; pass None to keep all).
    axis : int, default -1
        The class axis of the predictions.
    name : str, default 'perplexity'
    output_names, label_names : list of str, or None

    NB: MXNet takes log with glibc's float32 ``logf``; minimx rounds the float64 log, which
    differs from it by one ulp for a few inputs in a thousand.
    """

    def __init__(self, ignore_label, axis=-1, name='perplexity', output_names=None, label_names=None):
        super(Perplexity, self).__init__(
            name, ignore_label=ignore_label, output_names=output_names, label_names=label_names,
            has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels, preds):
        assert len(labels) == len(preds)
        loss = 0.
        num = 0
        for label, pred in zip(labels, preds):
            label, pred = _to_numpy(label), _to_numpy(pred)
            _require(label.size == pred.size / pred.shape[-1],
                     "Perplexity: shape mismatch: %s vs. %s (label needs one class index per "
                     "prediction)" % (label.shape, pred.shape))
            label = label.reshape((label.size,))
            # pick(pred, label, axis) in MXNet's default 'clip' mode: out-of-range labels are clipped.
            index = numpy.clip(label.astype('int32'), 0, pred.shape[self.axis] - 1)
            moved = numpy.moveaxis(pred, self.axis, -1)
            assert moved.shape[:-1] == index.shape, "shape mismatch: %s vs. %s" % (label.shape, pred.shape)
            pred = numpy.take_along_axis(moved, index[..., None].astype(numpy.int64), axis=-1)[..., 0]
            if self.ignore_label is not None:
                ignore = (label == self.ignore_label).astype(pred.dtype)
                num -= float(_f32_sum(ignore))
                pred = pred * (1 - ignore) + ignore
            logp = numpy.log(numpy.maximum(pred.dtype.type(1e-10), pred).astype(numpy.float64)).astype(pred.dtype)
            loss -= float(_f32_sum(logp))
            num += pred.size
        self.sum_metric += loss
        self.global_sum_metric += loss
        self.num_inst += num
        self.global_num_inst += num

    def get(self):
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, math.exp(self.sum_metric / self.num_inst))

    def get_global(self):
        if self.global_num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, math.exp(self.global_sum_metric / self.global_num_inst))


@register
@alias('pearsonr')
class PearsonCorrelation(EvalMetric):
    """Pearson correlation between predictions and labels.

    Parameters
    ----------
    name : str, default 'pearsonr'
    output_names, label_names : list of str, or None
    average : str, default 'macro'
        'macro': the mean of each array's correlation; 'micro': one correlation over all values,
        from running means, variances and covariance.

    NB: as in MXNet, with 'micro' ``get_global`` reads totals that are never updated (it gives
    0.0 after an update) and ``reset_local`` keeps the running moments.
    """

    def __init__(self, name='pearsonr', output_names=None, label_names=None, average='macro'):
        if average not in ('macro', 'micro'):
            # NB: MXNet accepts any value here and fails at update() with an AttributeError.
            raise MetricValueError(f"PearsonCorrelation: average must be 'macro' or 'micro', got "
                                   f"{average!r}")
        self.average = average
        super(PearsonCorrelation, self).__init__(
            name, output_names=output_names, label_names=label_names, has_global_stats=True)
        if self.average == 'micro':
            self.reset_micro()

    def reset_micro(self):
        self._sse_p = 0
        self._mean_p = 0
        self._sse_l = 0
        self._mean_l = 0
        self._pred_nums = 0
        self._label_nums = 0
        self._conv = 0

    def reset(self):
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0
        if self.average == 'micro':
            self.reset_micro()

    def update_variance(self, new_values, *aggregate):
        """Welford's update of (count, mean, sum of squared deviations) by a batch of values."""
        count, mean, m_2 = aggregate
        count += len(new_values)
        delta = new_values - mean
        mean += numpy.sum(delta / count)
        delta_2 = new_values - mean
        m_2 += numpy.sum(delta * delta_2)
        return count, mean, m_2

    def update_cov(self, label, pred):
        self._conv = self._conv + numpy.sum((label - self._mean_l) * (pred - self._mean_p))

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _to_numpy(label), _to_numpy(pred)
            check_label_shapes(label, pred, False, True)
            label = label.ravel().astype(numpy.float64)
            pred = pred.ravel().astype(numpy.float64)
            if self.average == 'macro':
                pearson_corr = float(numpy.corrcoef(pred, label)[0, 1])
                self.sum_metric += pearson_corr
                self.global_sum_metric += pearson_corr
                self.num_inst += 1
                self.global_num_inst += 1
            else:
                self.global_num_inst += 1
                self.num_inst += 1
                self._label_nums, self._mean_l, self._sse_l = \
                    self.update_variance(label, self._label_nums, self._mean_l, self._sse_l)
                # The covariance uses the label's new mean and the prediction's old one.
                self.update_cov(label, pred)
                self._pred_nums, self._mean_p, self._sse_p = \
                    self.update_variance(pred, self._pred_nums, self._mean_p, self._sse_p)

    def get(self):
        if self.num_inst == 0:
            return (self.name, float('nan'))
        if self.average == 'macro':
            return (self.name, float(self.sum_metric / self.num_inst))
        n = self._label_nums
        pearsonr = self._conv / ((n - 1) * numpy.sqrt(self._sse_p / (n - 1)) * numpy.sqrt(self._sse_l / (n - 1)))
        return (self.name, float(pearsonr))


@register
class Loss(EvalMetric):
    """The mean of the predictions themselves (which are losses); labels are ignored.

    Parameters
    ----------
    name : str, default 'loss'
    output_names, label_names : list of str, or None
    """

    def __init__(self, name='loss', output_names=None, label_names=None):
        super(Loss, self).__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def update(self, _, preds):
        if _is_array(preds):
            preds = [preds]
        for pred in preds:
            pred = _to_numpy(pred)
            loss = float(_f32_sum(pred))
            self.sum_metric += loss
            self.global_sum_metric += loss
            self.num_inst += pred.size
            self.global_num_inst += pred.size


@register
class Torch(Loss):
    """``Loss`` under the name 'torch' (kept for old code)."""

    def __init__(self, name='torch', output_names=None, label_names=None):
        super(Torch, self).__init__(name, output_names=output_names, label_names=label_names)


@register
class Caffe(Loss):
    """``Loss`` under the name 'caffe' (kept for old code)."""

    def __init__(self, name='caffe', output_names=None, label_names=None):
        super(Caffe, self).__init__(name, output_names=output_names, label_names=label_names)
