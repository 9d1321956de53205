"""Classification losses: softmax and sigmoid cross-entropy, KL divergence, hinge and logistic."""
from .. import ndarray
from .loss_base import Loss, LossInputError, _apply_weighting, _reshape_like

__all__ = ["SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss",
           "KLDivLoss", "HingeLoss", "SquaredHingeLoss", "LogisticLoss"]

_SAMPLE_WEIGHT = """\
        - **sample_weight**: optional, broadcast against pred: (batch, 1) weights each sample
          of a (batch, k) pred.
"""


def _stable_bce(F, pred, label):
    """``-label*log(sigmoid(pred)) - (1-label)*log(1-sigmoid(pred))``, without overflow.

    Rewritten as ``max(pred, 0) - pred*label + log(1 + exp(-|pred|))``: no exp of a large number.
    """
    return F.relu(pred) - pred * label + F.Activation(-F.abs(pred), act_type="softrelu")


class SoftmaxCrossEntropyLoss(Loss):
    r"""The cross-entropy of ``softmax(pred)`` against a label (alias ``SoftmaxCELoss``).

    With ``sparse_label=True`` (the default) the label holds class indices:

    .. math:: L = -\log \text{softmax}(pred)_{label}

    and its shape is pred's without ``axis`` (pred (1, 2, 3, 4) with axis=2: label (1, 2, 4)).
    With ``sparse_label=False`` the label holds a distribution of pred's shape:

    .. math:: L = -\sum_j label_j \log \text{softmax}(pred)_j

    Parameters
    ----------
    axis : int, default -1
        The class axis.
    sparse_label : bool, default True
        Whether the label holds indices (True) or probabilities (False).
    from_logits : bool, default False
        True: pred already holds log-probabilities (from log_softmax); no softmax is taken.
    weight : float or None, default None
        Global scalar weight.
    batch_axis : int, default 0
        The axis of the samples.

    Inputs:
        - **pred**: (batch, ..., classes, ...), scores or log-probabilities.
        - **label**: indices, pred's shape without ``axis`` (or with it of size 1); or, with
          ``sparse_label=False``, probabilities with as many elements as pred.
        - **sample_weight**: optional, broadcast against the (batch, ..., 1, ...) loss (the class
          axis kept with size 1): give (batch, 1) for a (batch, classes) pred. NB: a (batch,)
          weight broadcasts to (batch, batch), in MXNet as here.

    Outputs:
        - **loss**: (batch,), the weighted loss averaged over every axis but batch_axis.
    """

    def __init__(self, axis=-1, sparse_label=True, from_logits=False, weight=None, batch_axis=0,
                 **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        if self._sparse_label:
            if F is ndarray:
                self._check_sparse_label(pred, label)
            loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
        else:
            label = _reshape_like(F, label, pred, self)
            loss = -F.sum(pred * label, axis=self._axis, keepdims=True)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._mean_over_sample(F, loss)

    def _check_sparse_label(self, pred, label):
        axis = self._axis % pred.ndim
        dropped = pred.shape[:axis] + pred.shape[axis + 1:]
        kept = pred.shape[:axis] + (1,) + pred.shape[axis + 1:]
        if label.shape not in (dropped, kept):
            raise LossInputError(
                f"{self.__class__.__name__} '{self.name}': label has shape {label.shape} but pred "
                f"has shape {pred.shape}; with sparse_label=True the label holds one class index "
                f"per sample, shape {dropped} (pred's shape without axis={self._axis}). For "
                "one-hot or probability labels of pred's shape use sparse_label=False.")


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class SigmoidBinaryCrossEntropyLoss(Loss):
    r"""The binary cross-entropy of ``sigmoid(pred)`` against labels in [0, 1] (alias
    ``SigmoidBCELoss``).

    .. math::
        p = \frac{1}{1 + e^{-pred}}, \qquad
        L = -\text{mean}_i \big[pos\_weight_i \, label_i \log p_i + (1 - label_i) \log(1 - p_i)\big]

    With ``from_sigmoid=False`` (the default) the sigmoid and the log are computed together
    (``max(x, 0) - x z + log(1 + exp(-|x|))``), which stays finite for large scores. With
    ``from_sigmoid=True`` pred already is ``p``, and 1e-12 is added inside each log.

    A ``pos_weight`` above 1 counts missed positives more (raises recall); below 1, false
    positives more (raises precision).

    Parameters
    ----------
    from_sigmoid : bool, default False
        Whether pred already went through a sigmoid.
    weight : float or None, default None
        Global scalar weight.
    batch_axis : int, default 0
        The axis of the samples.

    Inputs:
        - **pred**: scores (or probabilities with ``from_sigmoid``), any shape.
        - **label**: targets in [0, 1], as many elements as pred.
""" + _SAMPLE_WEIGHT + """\
        - **pos_weight**: optional, the weight of the positive term, broadcast against pred:
          (1, classes) for a (batch, classes) pred.

    Outputs:
        - **loss**: (batch,), the weighted loss averaged over every axis but batch_axis.
    """

    def __init__(self, from_sigmoid=False, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F, pred, label, sample_weight=None, pos_weight=None):
        label = _reshape_like(F, label, pred, self)
        if not self._from_sigmoid:
            if pos_weight is None:
                loss = _stable_bce(F, pred, label)
            else:
                # -log(1 - p) = x + log(1 + exp(-x)); -log(p) = log(1 + exp(-x)); each written
                # with |x| so that exp never overflows. The positive term gets the weight.
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                loss = pred - pred * label + log_weight * (
                    F.Activation(-F.abs(pred), act_type="softrelu") + F.relu(-pred))
        else:
            eps = 1e-12
            pos = F.log(pred + eps) * label
            if pos_weight is not None:
                pos = F.broadcast_mul(pos, pos_weight)
            loss = -(pos + F.log(1. - pred + eps) * (1. - label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._mean_over_sample(F, loss)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class KLDivLoss(Loss):
    r"""The Kullback-Leibler divergence of ``pred`` from the label distribution.

    .. math:: L = \sum_i label_i \big[\log(label_i) - pred_i\big]

    ``pred`` holds log-probabilities (``from_logits=True``, the default); with
    ``from_logits=False`` it holds scores, and ``log_softmax(pred, axis)`` is taken first.

    NB: as in MXNet 1.9.1 the loss is *summed* over every axis but batch_axis (an earlier MXNet
    averaged); 1e-12 is added inside the log so that zero labels contribute 0.

    Parameters
    ----------
    from_logits : bool, default True
        Whether pred already holds log-probabilities.
    axis : int, default -1
        The axis of the softmax, when ``from_logits=False``.
    weight : float or None, default None
        Global scalar weight.
    batch_axis : int, default 0
        The axis of the samples.

    Inputs:
        - **pred**: log-probabilities (or scores), any shape.
        - **label**: probabilities, pred's shape.
""" + _SAMPLE_WEIGHT + """
    Outputs:
        - **loss**: (batch,), the weighted loss summed over every axis but batch_axis.
    """

    def __init__(self, from_logits=True, axis=-1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        loss = label * (F.log(label + 1e-12) - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.sum(loss, axis=self._batch_axis, exclude=True)


class HingeLoss(Loss):
    r"""The SVM hinge loss, :math:`L = \text{mean}_i \max(0, margin - pred_i \cdot label_i)`.

    Parameters
    ----------
    margin : float, default 1
        The margin a correct score must clear.
    weight : float or None, default None
        Global scalar weight.
    batch_axis : int, default 0
        The axis of the samples.

    Inputs:
        - **pred**: scores, any shape.
        - **label**: -1 or 1, as many elements as pred.
""" + _SAMPLE_WEIGHT + """
    Outputs:
        - **loss**: (batch,), the weighted loss averaged over every axis but batch_axis.
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred, self)
        loss = F.relu(self._margin - pred * label)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._mean_over_sample(F, loss)


class SquaredHingeLoss(Loss):
    r"""The squared hinge loss, :math:`L = \text{mean}_i \max(0, margin - pred_i \cdot label_i)^2`.

    Parameters
    ----------
    margin : float, default 1
        The margin a correct score must clear.
    weight : float or None, default None
        Global scalar weight.
    batch_axis : int, default 0
        The axis of the samples.

    Inputs:
        - **pred**: scores, any shape.
        - **label**: -1 or 1, as many elements as pred.
""" + _SAMPLE_WEIGHT + """
    Outputs:
        - **loss**: (batch,), the weighted loss averaged over every axis but batch_axis.
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred, self)
        loss = F.square(F.relu(self._margin - pred * label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._mean_over_sample(F, loss)


class LogisticLoss(Loss):
    r"""The logistic loss, :math:`L = \text{mean}_i \log(1 + \exp(-pred_i \cdot label_i))`.

    Labels are -1/1 (``label_format='signed'``) or 0/1 (``'binary'``); signed labels are mapped
    to 0/1 first and the stable binary cross-entropy formula is used.

    Parameters
    ----------
    weight : float or None, default None
        Global scalar weight.
    batch_axis : int, default 0
        The axis of the samples.
    label_format : {'signed', 'binary'}, default 'signed'
        The values the labels take: -1/1 or 0/1.

    Inputs:
        - **pred**: scores, any shape.
        - **label**: -1/1 or 0/1, as many elements as pred.
""" + _SAMPLE_WEIGHT + """
    Outputs:
        - **loss**: (batch,), the weighted loss averaged over every axis but batch_axis.
    """

    def __init__(self, weight=None, batch_axis=0, label_format="signed", **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        if label_format not in ("signed", "binary"):
            raise LossInputError(f"LogisticLoss: label_format must be 'signed' (labels -1/1) or "
                                 f"'binary' (labels 0/1), got {label_format!r}")
        self._label_format = label_format

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred, self)
        if self._label_format == "signed":
            label = (label + 1.0) / 2.0
        loss = _stable_bce(F, pred, label)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._mean_over_sample(F, loss)
