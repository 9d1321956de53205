"""AdamW: Adam with decoupled weight decay (https://arxiv.org/abs/1711.05101).

MXNet 1.9.1 has no AdamW optimizer class, only the fused op ``mx.nd.contrib.adamw_update``; MXNet 2
added ``mx.optimizer.AdamW`` on top of that op. minimx mirrors MXNet 2's class (its default,
fused step), so ``mx.optimizer.create('adamw')`` works as it does there::

    g = clip(rescale_grad * grad, clip_gradient)          # no wd in the gradient: it is decoupled
    m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g**2
    lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)        # lr_t = lr when correct_bias=False
    weight -= lr_t * (m / (sqrt(v) + epsilon) + wd * weight)

NB: MXNet 2 passes ``lr=1, eta=lr_t`` to the fused ``adamw_update``; minimx's op table has no
``contrib.adamw_update`` yet, so the step is written with NDArray arithmetic (a few ops per weight)
and gives the fused op's numbers (tests/test_optimizer_trajectories.py checks them against
``mx.nd.contrib.adamw_update`` in MXNet 1.9.1).
"""
import math

import numpy

from ..ndarray import NDArray, cast, clip, sqrt, square, zeros
from .optimizer import Optimizer, register

__all__ = ["AdamW"]


@register
class AdamW(Optimizer):
    """The AdamW optimizer (MXNet 2's ``mx.optimizer.AdamW``).

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta1 : float, default 0.9
        Decay of the first moment.
    beta2 : float, default 0.999
        Decay of the second moment.
    epsilon : float, default 1e-6
        Added to ``sqrt(v)`` (NB: Adam's default is 1e-8).
    correct_bias : bool, default True
        Fold Adam's bias correction into the learning rate; False as in BERT's TF code.
    use_fused_step : bool, default True
        Accepted for MXNet 2 compatibility; minimx always takes the fused step's arithmetic.
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6, correct_bias=True,
                 use_fused_step=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.correct_bias = correct_bias
        self.use_fused_step = use_fused_step

    def create_state(self, index, weight):
        return (zeros(weight.shape, weight.context, dtype=weight.dtype),      # mean
                zeros(weight.shape, weight.context, dtype=weight.dtype))      # variance

    def create_state_multi_precision(self, index, weight):
        """``((mean, var), weight32)`` for a float16 weight with multi_precision, as MXNet 2 lays it out."""
        if self.multi_precision and weight.dtype == numpy.float16:
            weight32 = weight.astype(numpy.float32)
            return (self.create_state(index, weight32), weight32)
        return super().create_state_multi_precision(index, weight)

    def _step(self, index, weight, grad, state):
        assert isinstance(weight, NDArray) and isinstance(grad, NDArray)
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        if self.correct_bias:
            t = self._index_update_count[index]
            lr *= math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        grad = grad.astype(weight.dtype) * self.rescale_grad
        if self.clip_gradient is not None and self.clip_gradient >= 0:
            grad = clip(grad, -self.clip_gradient, self.clip_gradient)
        mean, var = state
        # As the fused kernel does, form 1 - beta in float32 (1 - 0.999 is 0.00099998713 there).
        one_minus_b1 = float(numpy.float32(1) - numpy.float32(self.beta1))
        one_minus_b2 = float(numpy.float32(1) - numpy.float32(self.beta2))
        mean[:] = self.beta1 * mean + one_minus_b1 * grad
        var[:] = self.beta2 * var + one_minus_b2 * square(grad)
        weight[:] -= lr * (mean / (sqrt(var) + self.epsilon) + wd * weight)

    def update(self, index, weight, grad, state):
        self._step(index, weight, grad, state)

    def update_multi_precision(self, index, weight, grad, state):
        if self.multi_precision and weight.dtype == numpy.float16:
            moments, weight32 = state
            self._step(index, weight32, grad, moments)
            cast(weight32, dtype=weight.dtype, out=weight)
        else:
            self._step(index, weight, grad, state)
