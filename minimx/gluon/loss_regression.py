"""Regression losses: ``L1Loss``, ``L2Loss``, ``HuberLoss``, ``PoissonNLLLoss``."""
import math

from .loss_base import Loss, _apply_weighting, _reshape_like

__all__ = ["L1Loss", "L2Loss", "HuberLoss", "PoissonNLLLoss"]

_ELEMENTWISE_IO = """
    Inputs:
        - **pred**: prediction, any shape (batch_axis is the samples).
        - **label**: target with as many elements as pred (it is reshaped to pred's shape).
        - **sample_weight**: optional, broadcast against pred: (batch, 1) weights each sample
          of a (batch, k) pred.

    Outputs:
        - **loss**: (batch,), the weighted loss averaged over every axis but batch_axis.
"""


class L1Loss(Loss):
    r"""The mean absolute error, :math:`L = \text{mean}_i |label_i - pred_i|`.

    Parameters
    ----------
    weight : float or None, default None
        Global scalar weight.
    batch_axis : int, default 0
        The axis of the samples.
    """ + _ELEMENTWISE_IO

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred, self)
        loss = F.abs(label - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._mean_over_sample(F, loss)


class L2Loss(Loss):
    r"""Half the mean squared error, :math:`L = \text{mean}_i \frac{1}{2} (label_i - pred_i)^2`.

    The 1/2 makes the gradient ``pred - label``. It is applied through the weight
    (``weight / 2``), so ``weight`` must be a number here: None is a TypeError, as in MXNet.

    Parameters
    ----------
    weight : float, default 1.
        Global scalar weight.
    batch_axis : int, default 0
        The axis of the samples.
    """ + _ELEMENTWISE_IO

    def __init__(self, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred, self)
        loss = F.square(label - pred)
        loss = _apply_weighting(F, loss, self._weight / 2, sample_weight)
        return self._mean_over_sample(F, loss)


class HuberLoss(Loss):
    r"""The smooth L1 loss: quadratic within ``rho`` of the label, linear beyond.

    .. math::
        L = \text{mean}_i \begin{cases} \frac{1}{2 \rho} (label_i - pred_i)^2 &
            \text{if } |label_i - pred_i| \le \rho \\
            |label_i - pred_i| - \frac{\rho}{2} & \text{otherwise} \end{cases}

    Parameters
    ----------
    rho : float, default 1
        Where the loss turns from quadratic to linear.
    weight : float or None, default None
        Global scalar weight.
    batch_axis : int, default 0
        The axis of the samples.
    """ + _ELEMENTWISE_IO

    def __init__(self, rho=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred, self)
        err = F.abs(label - pred)
        loss = F.where(err > self._rho, err - 0.5 * self._rho, (0.5 / self._rho) * F.square(err))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._mean_over_sample(F, loss)


class PoissonNLLLoss(Loss):
    r"""The negative log-likelihood of a Poisson-distributed target.

    .. math::
        L = \text{mean}(pred - target \cdot \log(pred) + \log(target!))

    With ``from_logits=True`` (the default) ``pred`` is the log of the rate, and the loss is
    :math:`\exp(pred) - target \cdot pred`. The constant :math:`\log(target!)` is left out unless
    ``compute_full``, which adds Stirling's approximation of it,
    :math:`target \log(target) - target + \frac{1}{2}\log(2 \pi\, target)`, where target > 1.

    NB: as in MXNet 1.9.1, the result is the mean over *all* elements, shape (1,), not one value
    per sample; and with ``compute_full`` a target of 0 makes the loss NaN (``0 * log(0)``).

    Parameters
    ----------
    weight : float or None, default None
        Global scalar weight.
    from_logits : bool, default True
        True: pred is log(rate). False: pred is the rate, and ``log(pred + epsilon)`` is used.
    batch_axis : int, default 0
        Kept for the common interface; the result is averaged over every axis.
    compute_full : bool, default False
        Add the Stirling term.

    Inputs:
        - **pred**: predicted (log-)rate, any shape.
        - **target**: observed counts, as many elements as pred.
        - **sample_weight**: optional, broadcast against pred.
        - **epsilon**: optional float, default 1e-08, keeps ``log(pred)`` finite when
          ``from_logits=False``.

    Outputs:
        - **loss**: (1,), the mean weighted loss.
    """

    def __init__(self, weight=None, from_logits=True, batch_axis=0, compute_full=False, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F, pred, target, sample_weight=None, epsilon=1e-08):
        target = _reshape_like(F, target, pred, self, what="target")
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            stirling = target * F.log(target) - target + 0.5 * F.log(2 * target * math.pi)
            loss = loss + stirling * (target > 1)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss)
