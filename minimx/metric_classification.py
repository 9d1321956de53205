"""Classification metrics of ``mx.metric``: Accuracy, TopKAccuracy, F1, MCC and PCC.

Predictions are either class indices (the label's shape) or scores with one more axis, from which
the predicted class is the argmax. F1 and MCC count a binary confusion matrix (class 1 is the
positive class); PCC counts a multiclass one.

All the arithmetic follows MXNet 1.9.1's ``python/mxnet/metric.py`` step by step, so the values
agree to the last bit, quirks included (each is marked ``NB``).
"""
import math

import numpy

from .base import MXNetError
from .metric_base import EvalMetric, _require, _to_numpy, alias, check_label_shapes, register

__all__ = ["Accuracy", "TopKAccuracy", "F1", "MCC", "PCC"]


@register
@alias('acc')
class Accuracy(EvalMetric):
    """The fraction of predictions equal to the label.

    .. math:: \\text{accuracy}(y, \\hat{y}) = \\frac{1}{n} \\sum_{i=0}^{n-1} \\mathbb{1}(\\hat{y_i} == y_i)

    Parameters
    ----------
    axis : int, default 1
        The class axis of score predictions (used when a prediction's shape is not its label's).
    name : str, default 'accuracy'
    output_names, label_names : list of str, or None

    Examples
    --------
    >>> acc = Accuracy()
    >>> acc.update([nd.array([0, 1, 1])], [nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
    >>> acc.get()
    ('accuracy', 0.6666666666666666)
    """

    def __init__(self, axis=1, name='accuracy', output_names=None, label_names=None):
        super(Accuracy, self).__init__(
            name, axis=axis, output_names=output_names, label_names=label_names, has_global_stats=True)
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred_label in zip(labels, preds):
            pred_label = _to_numpy(pred_label)
            label = _to_numpy(label)
            if pred_label.shape != label.shape:
                if not -pred_label.ndim <= self.axis < pred_label.ndim:
                    # MXNet's argmax operator rejects the axis (an MXNetError, not numpy's AxisError).
                    raise MXNetError("axis %d exceeds the input dimension of %d" % (self.axis, pred_label.ndim))
                pred_label = numpy.argmax(pred_label, axis=self.axis)
            # Both sides are truncated to int32: a float prediction 1.9 counts as class 1.
            pred_label = pred_label.astype('int32').ravel()
            label = label.astype('int32').ravel()
            check_label_shapes(label, pred_label)
            num_correct = int((pred_label == label).sum())
            self.sum_metric += num_correct
            self.global_sum_metric += num_correct
            self.num_inst += len(pred_label)
            self.global_num_inst += len(pred_label)


@register
@alias('top_k_accuracy', 'top_k_acc')
class TopKAccuracy(EvalMetric):
    """The fraction of samples whose label is among the ``top_k`` highest scores.

    Parameters
    ----------
    top_k : int, default 1
        Must be more than 1 (use ``Accuracy`` otherwise); the name becomes ``'top_k_accuracy_<k>'``.
    name : str, default 'top_k_accuracy'
    output_names, label_names : list of str, or None
    """

    def __init__(self, top_k=1, name='top_k_accuracy', output_names=None, label_names=None):
        super(TopKAccuracy, self).__init__(
            name, top_k=top_k, output_names=output_names, label_names=label_names, has_global_stats=True)
        self.top_k = top_k
        _require(self.top_k > 1, 'Please use Accuracy if top_k is no more than 1 (TopKAccuracy '
                 'got top_k=%r)' % (self.top_k,))
        self.name += '_%d' % self.top_k

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred_label in zip(labels, preds):
            pred_label = _to_numpy(pred_label)
            _require(len(pred_label.shape) <= 2, 'Predictions should be no more than 2 dims '
                     '(TopKAccuracy got pred of shape %s)' % (pred_label.shape,))
            # After argpartition the last top_k columns hold the top_k classes (in no order).
            pred_label = numpy.argpartition(pred_label.astype('float32'), -self.top_k)
            label = _to_numpy(label).astype('int32')
            check_label_shapes(label, pred_label)
            num_samples = pred_label.shape[0]
            num_dims = len(pred_label.shape)
            if num_dims == 1:
                # NB: as in MXNet, 1-d predictions add to the local sum only, not the global one.
                self.sum_metric += int((pred_label.ravel() == label.ravel()).sum())
            elif num_dims == 2:
                num_classes = pred_label.shape[1]
                top_k = min(num_classes, self.top_k)
                for j in range(top_k):
                    num_correct = int((pred_label[:, num_classes - 1 - j].ravel() == label.ravel()).sum())
                    self.sum_metric += num_correct
                    self.global_sum_metric += num_correct
            self.num_inst += num_samples
            self.global_num_inst += num_samples


class _BinaryClassificationMetrics(object):
    """A binary confusion matrix (local and global counts) and the scores made from it."""

    def __init__(self):
        self.reset_stats()

    def update_binary_stats(self, label, pred):
        """Count one batch: ``pred`` holds (N, 2) scores, ``label`` N labels in {0, 1}."""
        pred = _to_numpy(pred)
        label = _to_numpy(label).astype('int32')
        pred_label = numpy.argmax(pred, axis=1)
        check_label_shapes(label, pred)
        if len(numpy.unique(label)) > 2:
            raise ValueError("%s currently only supports binary classification." % self.__class__.__name__)
        pred_true = (pred_label == 1)
        pred_false = ~pred_true
        label_true = (label == 1)
        label_false = ~label_true
        counts = {'true_positives': int((pred_true & label_true).sum()),
                  'false_positives': int((pred_true & label_false).sum()),
                  'false_negatives': int((pred_false & label_true).sum()),
                  'true_negatives': int((pred_false & label_false).sum())}
        for key, count in counts.items():
            setattr(self, key, getattr(self, key) + count)
            setattr(self, 'global_' + key, getattr(self, 'global_' + key) + count)

    @staticmethod
    def _precision(tp, fp):
        return float(tp) / (tp + fp) if tp + fp > 0 else 0.

    @staticmethod
    def _fscore(precision, recall):
        return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.

    @property
    def precision(self):
        return self._precision(self.true_positives, self.false_positives)

    @property
    def global_precision(self):
        return self._precision(self.global_true_positives, self.global_false_positives)

    @property
    def recall(self):
        # recall = tp / (tp + fn): the same formula as precision with fn in place of fp.
        return self._precision(self.true_positives, self.false_negatives)

    @property
    def global_recall(self):
        return self._precision(self.global_true_positives, self.global_false_negatives)

    @property
    def fscore(self):
        return self._fscore(self.precision, self.recall)

    @property
    def global_fscore(self):
        return self._fscore(self.global_precision, self.global_recall)

    def matthewscc(self, use_global=False):
        """The Matthews correlation coefficient; zero factors of the denominator count as 1."""
        prefix = 'global_' if use_global else ''
        if not getattr(self, prefix + 'total_examples'):
            return 0.
        true_pos = float(getattr(self, prefix + 'true_positives'))
        false_pos = float(getattr(self, prefix + 'false_positives'))
        false_neg = float(getattr(self, prefix + 'false_negatives'))
        true_neg = float(getattr(self, prefix + 'true_negatives'))
        terms = [(true_pos + false_pos), (true_pos + false_neg), (true_neg + false_pos), (true_neg + false_neg)]
        denom = 1.
        for t in terms:
            if t != 0.:
                denom *= t
        return ((true_pos * true_neg) - (false_pos * false_neg)) / math.sqrt(denom)

    @property
    def total_examples(self):
        return self.false_negatives + self.false_positives + self.true_negatives + self.true_positives

    @property
    def global_total_examples(self):
        return (self.global_false_negatives + self.global_false_positives
                + self.global_true_negatives + self.global_true_positives)

    def local_reset_stats(self):
        self.false_positives = 0
        self.false_negatives = 0
        self.true_positives = 0
        self.true_negatives = 0

    def reset_stats(self):
        self.local_reset_stats()
        self.global_false_positives = 0
        self.global_false_negatives = 0
        self.global_true_positives = 0
        self.global_true_negatives = 0


@register
class F1(EvalMetric):
    """The F1 score of a binary classification: 2 * precision * recall / (precision + recall).

    Parameters
    ----------
    name : str, default 'f1'
    output_names, label_names : list of str, or None
    average : str, default 'macro'
        'macro': the mean of each ``update``'s F1; anything else ('micro'): one F1 over all the
        counts since the last reset.
    """

    def __init__(self, name='f1', output_names=None, label_names=None, average="macro"):
        self.average = average
        self.metrics = _BinaryClassificationMetrics()
        EvalMetric.__init__(self, name=name, output_names=output_names, label_names=label_names,
                            has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self.metrics.update_binary_stats(label, pred)
        if self.average == "macro":
            self.sum_metric += self.metrics.fscore
            self.global_sum_metric += self.metrics.global_fscore
            self.num_inst += 1
            self.global_num_inst += 1
            self.metrics.reset_stats()
        else:
            self.sum_metric = self.metrics.fscore * self.metrics.total_examples
            self.global_sum_metric = self.metrics.global_fscore * self.metrics.global_total_examples
            self.num_inst = self.metrics.total_examples
            self.global_num_inst = self.metrics.global_total_examples

    def reset(self):
        self.sum_metric = 0.
        self.num_inst = 0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0
        self.metrics.reset_stats()

    def reset_local(self):
        self.sum_metric = 0.
        self.num_inst = 0
        self.metrics.local_reset_stats()


@register
class MCC(EvalMetric):
    """The Matthews correlation coefficient of a binary classification.

    .. math:: \\text{MCC} = \\frac{TP \\times TN - FP \\times FN}{\\sqrt{(TP + FP)(TP + FN)(TN + FP)(TN + FN)}}

    where zero factors of the denominator are replaced by 1.

    Parameters
    ----------
    name : str, default 'mcc'
    output_names, label_names : list of str, or None
    average : str, default 'macro'
        'macro': the mean of each ``update``'s MCC; anything else: one MCC over all counts.

    """

    def __init__(self, name='mcc', output_names=None, label_names=None, average="macro"):
        self._average = average
        self._metrics = _BinaryClassificationMetrics()
        EvalMetric.__init__(self, name=name, output_names=output_names, label_names=label_names,
                            has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self._metrics.update_binary_stats(label, pred)
        if self._average == "macro":
            self.sum_metric += self._metrics.matthewscc()
            self.global_sum_metric += self._metrics.matthewscc(use_global=True)
            self.num_inst += 1
            self.global_num_inst += 1
            self._metrics.reset_stats()
        else:
            self.sum_metric = self._metrics.matthewscc() * self._metrics.total_examples
            self.global_sum_metric = self._metrics.matthewscc(use_global=True) * self._metrics.global_total_examples
            self.num_inst = self._metrics.total_examples
            self.global_num_inst = self._metrics.global_total_examples

    def reset(self):
        self.sum_metric = 0.
        self.num_inst = 0.
        self.global_sum_metric = 0.
        self.global_num_inst = 0.
        self._metrics.reset_stats()

    def reset_local(self):
        self.sum_metric = 0.
        self.num_inst = 0.
        self._metrics.local_reset_stats()


@register
class PCC(EvalMetric):
    """The multiclass Matthews (Pearson) correlation coefficient of a K x K confusion matrix.

    .. math:: \\text{PCC} = \\frac{\\sum_k C_{kk} n - x \\cdot y}
                                  {\\sqrt{(n^2 - x \\cdot x)(n^2 - y \\cdot y)}}

    with x and y the row and column sums of the confusion matrix C and n its total. The matrix
    grows when a larger class index appears; the value is ``nan`` while a marginal is degenerate.

    Parameters
    ----------
    name : str, default 'pcc'
    output_names, label_names : list of str, or None
    has_global_stats : bool, default True
    """

    def __init__(self, name='pcc', output_names=None, label_names=None, has_global_stats=True):
        self.k = 2
        super(PCC, self).__init__(name=name, output_names=output_names, label_names=label_names,
                                  has_global_stats=has_global_stats)

    def _grow(self, inc):
        self.lcm = numpy.pad(self.lcm, ((0, inc), (0, inc)), 'constant', constant_values=(0))
        self.gcm = numpy.pad(self.gcm, ((0, inc), (0, inc)), 'constant', constant_values=(0))
        self.k += inc

    @staticmethod
    def _calc_mcc(cmat):
        n = cmat.sum()
        x = cmat.sum(axis=1)
        y = cmat.sum(axis=0)
        cov_xx = numpy.sum(x * (n - x))
        cov_yy = numpy.sum(y * (n - y))
        if cov_xx == 0 or cov_yy == 0:
            return float('nan')
        i = cmat.diagonal()
        cov_xy = numpy.sum(i * n - x * y)
        return cov_xy / (cov_xx * cov_yy) ** 0.5

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = _to_numpy(label).astype('int32')
            pred = _to_numpy(pred)
            if pred.shape != label.shape:
                pred = pred.argmax(axis=1)
            else:
                pred = pred.astype('int32')
            n = max(pred.max(), label.max())
            if n >= self.k:
                self._grow(int(n) + 1 - self.k)
            bcm = numpy.zeros((self.k, self.k))
            # Row = predicted class, column = true class; add.at counts repeated pairs.
            numpy.add.at(bcm, (pred.ravel(), label.ravel()), 1)
            self.lcm += bcm
            self.gcm += bcm
        # NB: as in MXNet, one update counts once, however many arrays it holds.
        self.num_inst += 1
        self.global_num_inst += 1

    @property
    def sum_metric(self):
        return self._calc_mcc(self.lcm) * self.num_inst

    @property
    def global_sum_metric(self):
        return self._calc_mcc(self.gcm) * self.global_num_inst

    def reset(self):
        self.global_num_inst = 0.
        self.gcm = numpy.zeros((self.k, self.k))
        self.reset_local()

    def reset_local(self):
        self.num_inst = 0.
        self.lcm = numpy.zeros((self.k, self.k))
