"""The remaining optimizers: Ftrl, DCASGD, SGLD, LBSGD and the Test optimizer."""
import math

import numpy

from ..ndarray import NDArray, array, clip, ftrl_update, mp_sgd_mom_update, mp_sgd_update, multiply, \
    sgd_mom_update, sgd_update, zeros
from ..random import normal
from .optimizer import Optimizer, register

__all__ = ["Ftrl", "DCASGD", "SGLD", "LBSGD", "Test"]


@register
class Ftrl(Optimizer):
    """FTRL-Proximal (https://www.eecs.tufts.edu/~dsculley/papers/ad-click-prediction.pdf), one
    ``ftrl_update`` per step with the states z and n.

    Parameters
    ----------
    lamda1 : float, default 0.01
        L1 regularization coefficient.
    learning_rate : float, default 0.1
    beta : float, default 1
    """

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super().__init__(**kwargs)
        self.lamda1 = lamda1
        self.beta = beta
        self.lr = learning_rate

    def create_state(self, index, weight):
        return (zeros(weight.shape, weight.context), zeros(weight.shape, weight.context))    # z, n

    def update(self, index, weight, grad, state):
        assert isinstance(weight, NDArray) and isinstance(grad, NDArray)
        self._update_count(index)
        wd = self._get_wd(index)
        lr = self._get_lr(index)
        kwargs = {'lamda1': self.lamda1, 'beta': self.beta, 'rescale_grad': self.rescale_grad}
        if self.clip_gradient:
            kwargs['clip_gradient'] = self.clip_gradient
        z, n = state
        ftrl_update(weight, grad, z, n, out=weight, lr=lr, wd=wd, **kwargs)


@register
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD (https://arxiv.org/abs/1609.08326)::

        step = -lr * (grad + wd * weight + lamda * grad * grad * (weight - previous_weight))
        mom = momentum * mom + step  (mom = step without momentum);  weight += mom

    Parameters
    ----------
    momentum : float, default 0.0
    lamda : float, default 0.04
        Scale of the delay compensation.
    """

    def __init__(self, momentum=0.0, lamda=0.04, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.weight_previous = {}
        self.lamda = lamda

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return (None, weight.copy())
        return (zeros(weight.shape, weight.context, dtype=weight.dtype), weight.copy())

    def update(self, index, weight, grad, state):
        assert isinstance(weight, NDArray) and isinstance(grad, NDArray)
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        grad = grad * self.rescale_grad
        if self.clip_gradient is not None:
            grad = clip(grad, -self.clip_gradient, self.clip_gradient)
        mom, previous_weight = state
        step = -lr * (grad + wd * weight + self.lamda * grad * grad * (weight - previous_weight))
        # NB: MXNet 1.9.1 tests `if mom:`, which raises for a momentum of more than one element;
        # we test `is not None`, which is what it means.
        if mom is not None:
            mom[:] *= self.momentum
            mom[:] += step
        else:
            mom = step
        previous_weight[:] = weight
        weight[:] += mom


@register
class SGLD(Optimizer):
    """Stochastic Gradient Langevin Dynamics.

    A half SGD step plus Gaussian noise of variance lr::

        weight += -lr / 2 * (rescale_grad * clip(grad) + wd * weight) + normal(0, sqrt(lr))
    """

    def update(self, index, weight, grad, state):
        assert isinstance(weight, NDArray) and isinstance(grad, NDArray)
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        grad = grad * self.rescale_grad
        if self.clip_gradient is not None:
            grad = clip(grad, -self.clip_gradient, self.clip_gradient)
        weight[:] += - lr / 2 * (grad + wd * weight)
        weight[:] += normal(0, math.sqrt(lr), shape=weight.shape, dtype=weight.dtype, ctx=weight.context)


@register
class LBSGD(Optimizer):
    """Large-batch SGD: gradients are summed over `batch_scale` calls, then one SGD step is taken with a
    warmed-up learning rate (strategies 'linear', 'power2', 'sqrt', or 'lars'); calls in between
    only apply weight decay (an ``sgd_update`` with lr 0, i.e. none).

    Parameters
    ----------
    momentum : float, default 0.0
    multi_precision : bool, default False
    warmup_strategy : str, default 'linear'
    warmup_epochs : int, default 5
    batch_scale : int, default 1
    updates_per_epoch : int, default 32
    begin_epoch : int, default 0
    num_epochs : int, default 60
    """

    def __init__(self, momentum=0.0, multi_precision=False, warmup_strategy='linear', warmup_epochs=5,
                 batch_scale=1, updates_per_epoch=32, begin_epoch=0, num_epochs=60, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.multi_precision = multi_precision
        self.warmup_strategy = warmup_strategy
        self.warmup_epochs = warmup_epochs
        self.batch_scale = batch_scale
        self.updates_per_epoch = updates_per_epoch
        self.init_updates = begin_epoch * updates_per_epoch
        self.num_epochs = num_epochs
        self.lbmult = 1
        self.cumgrads = {}
        self.adaptive = False
        self.admult = 1

    def create_state(self, index, weight):
        if self.multi_precision and weight.dtype == numpy.float16:
            weight_master_copy = array(weight, ctx=weight.context, dtype=numpy.float32)
            momentum = zeros(weight.shape, weight.context, dtype=numpy.float32) if self.momentum != 0.0 else None
            return (momentum, weight_master_copy)
        if self.momentum == 0.0:
            return None
        return zeros(weight.shape, weight.context, dtype=weight.dtype)

    def _get_lbmult(self, nup):
        """The warmup multiplier of the learning rate after `nup` accumulated updates."""
        nwup = self.warmup_epochs * self.updates_per_epoch
        maxmult = float(self.batch_scale)
        if nup >= nwup:
            return maxmult
        if nwup <= 1:
            return 1.0
        if self.warmup_strategy == 'linear':
            return 1.0 + (maxmult - 1) * nup / nwup
        if self.warmup_strategy == 'power2':
            return 1.0 + (maxmult - 1) * (nup * nup) / (nwup * nwup)
        if self.warmup_strategy == 'sqrt':
            return 1.0 + (maxmult - 1) * math.sqrt(float(nup) / nwup)
        return 1.0

    def _get_lars(self, weight, g, wd):
        """The LARS multiplier sqrt(|w|^2 / (|g|^2 + wd |w|^2)), kept within [0.01, 100]."""
        weight2 = self._l2norm(weight)
        grad2 = self._l2norm(g)
        lars = math.sqrt(weight2 / (grad2 + wd * weight2 + 1e-18))
        return min(max(lars, 0.01), 100)

    def _l2norm(self, v):
        return multiply(v, v).asnumpy().sum()    # NB: the squared norm, as MXNet computes it

    def _cumulate_gradient(self, grad, index):
        cgrad = self.cumgrads.get(index, {})
        if cgrad and cgrad['num_cums'] > 0:
            cgrad = {'cum_grad': cgrad['cum_grad'] + grad, 'num_cums': cgrad['num_cums'] + 1}
        else:
            cgrad = {'cum_grad': grad, 'num_cums': self.init_updates + 1}
        self.cumgrads[index] = cgrad
        return cgrad

    def update(self, index, weight, grad, state):
        assert isinstance(weight, NDArray) and isinstance(grad, NDArray)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        self._update_count(index)
        cgrad = self._cumulate_gradient(grad, index)
        if cgrad['num_cums'] % self.batch_scale != 0:
            sgd_update(weight, grad, out=weight, lr=0.0, wd=wd)
            return
        grad = cgrad['cum_grad'] / self.batch_scale
        if self.warmup_strategy == 'lars':
            lr = lr * self._get_lars(weight, grad, wd)
        else:
            lr = lr * self._get_lbmult(cgrad['num_cums'])
        kwargs = {'rescale_grad': self.rescale_grad}
        if self.momentum > 0:
            kwargs['momentum'] = self.momentum
        if self.clip_gradient:
            kwargs['clip_gradient'] = self.clip_gradient
        if not isinstance(state, (list, tuple)):
            if state is not None:
                sgd_mom_update(weight, grad, state, out=weight, lr=lr, wd=wd, **kwargs)
            else:
                sgd_update(weight, grad, out=weight, lr=lr, wd=wd, **kwargs)
        elif state[0] is not None:
            mp_sgd_mom_update(weight, grad, state[0], state[1], out=weight, lr=lr, wd=wd, **kwargs)
        else:
            mp_sgd_update(weight, grad, state[1], out=weight, lr=lr, wd=wd, **kwargs)
        self.cumgrads[index]['cum_grad'] = 0


@register
class Test(Optimizer):
    """The Test optimizer: ``weight += grad * rescale_grad``; the state keeps a copy of the weight."""

    def create_state(self, index, weight):
        return zeros(weight.shape, weight.context)

    def update(self, index, weight, grad, state):
        weight[:] += grad * self.rescale_grad
        state[:] = weight
