"""Gradient-descent optimizers built on the fused SGD ops: SGD (ccSGD), NAG, Signum, LARS.

Each ``update`` is one fused op call with ``out=weight`` (``sgd_update``, ``sgd_mom_update``,
``nag_mom_update``, ``signum_update``, their ``mp_*`` float16 twins and the ``multi_*`` ops that update
several weights at once); the op's docstring holds the formula.
"""
import numpy

from ..ndarray import (NDArray, mp_nag_mom_update, mp_sgd_mom_update, mp_sgd_update, multi_sgd_mom_update,
                       multi_sgd_update, nag_mom_update, norm, sgd_mom_update, sgd_update, signsgd_update, signum_update, zeros)
from .optimizer import Optimizer, _aggregation_size, _flatten_list, _mp_state_first, register

__all__ = ["SGD", "ccSGD", "NAG", "Signum", "LARS"]


def _as_lists(indices, weights, grads, states):
    if not isinstance(indices, (tuple, list)):
        return [indices], [weights], [grads], [states]
    return list(indices), list(weights), list(grads), list(states)


def _sgd_kwargs(opt, momentum):
    """The keyword arguments every fused SGD op gets; zero momentum/clip are left at the op's default."""
    kwargs = {'rescale_grad': opt.rescale_grad}
    if opt.momentum > 0:
        kwargs['momentum'] = momentum
    if opt.clip_gradient:
        kwargs['clip_gradient'] = opt.clip_gradient
    return kwargs


def _sgd_one(weight, grad, state, lr, wd, multi_precision, kwargs, lazy_update=True):
    """One weight, one fused op: plain, with momentum, and their float32-master-copy twins."""
    if not multi_precision:
        if state is not None:
            sgd_mom_update(weight, grad, state, out=weight, lazy_update=lazy_update, lr=lr, wd=wd, **kwargs)
        else:
            sgd_update(weight, grad, out=weight, lazy_update=lazy_update, lr=lr, wd=wd, **kwargs)
    elif state[0] is not None:
        mp_sgd_mom_update(weight, grad, state[0], state[1], out=weight, lr=lr, wd=wd, **kwargs)
    else:
        mp_sgd_update(weight, grad, state[1], out=weight, lr=lr, wd=wd, **kwargs)


def _use_mp(opt, weight):
    first = weight[0] if isinstance(weight, (tuple, list)) else weight
    return opt.multi_precision and first.dtype == numpy.float16


@register
class SGD(Optimizer):
    """The SGD optimizer with momentum and weight decay.

    Standard update::

        rescaled_grad = lr * (rescale_grad * clip(grad, clip_gradient) + wd * weight)
        state = momentum * state + rescaled_grad
        weight = weight - state

    Lists of weights (from an ``Updater``, up to ``aggregate_num`` = ``MXNET_OPTIMIZER_AGGREGATION_SIZE``,
    default 4) go through one ``multi_sgd_update`` without momentum, else one ``sgd_mom_update`` (or
    ``mp_*`` twin) per weight.

    Parameters
    ----------
    momentum : float, optional, default 0.0
        The momentum value.
    lazy_update : bool, optional, default True
        Row-sparse lazy updates (NB: minimx has dense storage only, so this is passed through).
    """

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update
        self.aggregate_num = _aggregation_size(4)

    def create_state_multi_precision(self, index, weight):
        return _mp_state_first(self, index, weight)

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        return zeros(weight.shape, weight.context, dtype=weight.dtype)

    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        indices, weights, grads, states = _as_lists(indices, weights, grads, states)
        for weight, grad in zip(weights, grads):
            assert isinstance(weight, NDArray) and isinstance(grad, NDArray)
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        wds = self._get_wds(indices)
        kwargs = _sgd_kwargs(self, self.momentum)
        if not multi_precision and self.momentum == 0:
            # One fused kernel updates the whole group.
            multi_sgd_update(*_flatten_list(zip(weights, grads)), out=weights, num_weights=len(weights),
                             lrs=lrs, wds=wds, **kwargs)
            return
        if not multi_precision and len(weights) > 1:
            # One fused kernel updates the whole group and its moms (MXNet's multi_sgd_mom_update).
            multi_sgd_mom_update(*_flatten_list(zip(weights, grads, states)), out=weights,
                                 num_weights=len(weights), lrs=lrs, wds=wds, **kwargs)
            return
        # NB: MXNet calls multi_mp_sgd_(mom_)update here. minimx's are composites (their state count
        # varies) that run the one-weight op per weight; calling that op with out=weight does the same
        # arithmetic.
        for weight, grad, state, lr, wd in zip(weights, grads, states, lrs, wds):
            _sgd_one(weight, grad, state, lr, wd, multi_precision, kwargs, self.lazy_update)

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=_use_mp(self, weight))


@register
class ccSGD(SGD):   # pylint: disable=invalid-name
    """[DEPRECATED] Same as `SGD`. Left here for backward compatibility."""


@register
class NAG(Optimizer):
    """Nesterov accelerated gradient::

        state = momentum * state + grad + wd * weight
        weight = weight - (lr * (grad + momentum * state))

    Parameters
    ----------
    momentum : float, optional, default 0.0
        The momentum value (0: plain ``sgd_update``).
    """

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state_multi_precision(self, index, weight):
        return _mp_state_first(self, index, weight)

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        return zeros(weight.shape, weight.context, dtype=weight.dtype)

    def _update_impl(self, index, weight, grad, state, multi_precision=False):
        assert isinstance(weight, NDArray) and isinstance(grad, NDArray)
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        kwargs = _sgd_kwargs(self, self.momentum)
        if not multi_precision:
            if state is not None:
                nag_mom_update(weight, grad, state, out=weight, lr=lr, wd=wd, **kwargs)
            else:
                sgd_update(weight, grad, out=weight, lr=lr, wd=wd, **kwargs)
        elif state[0] is not None:
            mp_nag_mom_update(weight, grad, state[0], state[1], out=weight, lr=lr, wd=wd, **kwargs)
        else:
            mp_sgd_update(weight, grad, state[1], out=weight, lr=lr, wd=wd, **kwargs)

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        use_mp = self.multi_precision and weight.dtype == numpy.float16 and isinstance(state, (tuple, list))
        self._update_impl(index, weight, grad, state, multi_precision=use_mp)


@register
class Signum(Optimizer):
    """The Signum optimizer: step along the sign of the momentum (signSGD when momentum is 0)::

        rescaled_grad = rescale_grad * clip(grad, clip_gradient) + wd * weight
        state = momentum * state + (1 - momentum) * rescaled_grad
        weight = (1 - lr * wd_lh) * weight - lr * sign(state)

    Parameters
    ----------
    learning_rate : float, optional, default 0.01
    momentum : float, optional, default 0.9
    wd_lh : float, optional, default 0.0
        Decoupled weight decay.
    """

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        return zeros(weight.shape, weight.context, dtype=weight.dtype)

    def update(self, index, weight, grad, state):
        assert isinstance(weight, NDArray) and isinstance(grad, NDArray)
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        kwargs = _sgd_kwargs(self, self.momentum)
        if self.wd_lh:
            kwargs['wd_lh'] = self.wd_lh
        if state is not None:
            signum_update(weight, grad, state, out=weight, lr=lr, wd=wd, **kwargs)
        else:
            signsgd_update(weight, grad, out=weight, lr=lr, wd=wd, **kwargs)


def _is_lars_exempt(name):
    return name.endswith('gamma') or name.endswith('beta') or name.endswith('bias')


@register
class LARS(Optimizer):
    """LARS, from 'Large Batch Training of Convolution Networks' (https://arxiv.org/abs/1708.03888).

    SGD with momentum whose learning rate is scaled per layer (not for names ending in gamma, beta or
    bias)::

        w_norm = L2norm(weight); g_norm = L2norm(rescale_grad * grad)
        lr_layer = lr * eta * w_norm / (g_norm + wd * w_norm + eps)   if both norms > 0, else lr

    Parameters
    ----------
    momentum : float, optional, default 0.0
    lazy_update : bool, optional, default True
    eta : float, optional, default 0.001
        LARS coefficient.
    eps : float, optional, default 0
        Guards against tiny gradients.
    momentum_correction : bool, optional, default True
        Scale momentum by ``cur_lr / last_lr`` when a scheduler changes the learning rate.
    """

    def __init__(self, momentum=0.0, lazy_update=True, eta=0.001, eps=0, momentum_correction=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.momentum_correction = momentum_correction
        self.lazy_update = lazy_update
        self.aggregate_num = _aggregation_size(4)
        self.eta = eta
        self.eps = eps
        self.skip = 0
        self.last_lr = None
        self.cur_lr = None

    def _get_lrs(self, indices):
        """As `Optimizer._get_lrs`, also remembering the last two global learning rates."""
        if self.cur_lr is not None:
            self.last_lr = self.cur_lr
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        if self.cur_lr is None:
            self.last_lr = lr
        self.cur_lr = lr
        return super()._get_lrs(indices)

    def set_wd_mult(self, args_wd_mult):
        """As `Optimizer.set_wd_mult`, but only names ending in ``_weight`` keep their weight decay."""
        self.wd_mult = {}
        for n in self.idx2name.values():
            if not n.endswith('_weight'):
                self.wd_mult[n] = 0.0
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and '__wd_mult__' in attr[name]:
                    self.wd_mult[name] = float(attr[name]['__wd_mult__'])
        self.wd_mult.update(args_wd_mult)

    def create_state_multi_precision(self, index, weight):
        return _mp_state_first(self, index, weight)

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        return zeros(weight.shape, weight.context, dtype=weight.dtype)

    def _l2norm(self, v, rescale=False):
        v = v.astype('float32')
        if rescale:
            v *= self.rescale_grad
        return norm(v).asnumpy()[0]

    def _get_lars(self, i, weight, g, lr, wd):
        """The layer's learning rate: `lr` scaled by the LARS trust ratio."""
        name = self.idx2name[i] if i in self.idx2name else str(i)
        if _is_lars_exempt(name):
            return lr
        w_norm = self._l2norm(weight)
        g_norm = self._l2norm(g, rescale=True)
        if w_norm > 0.0 and g_norm > 0.0:
            return lr * self.eta * w_norm / (g_norm + wd * w_norm + self.eps)
        return lr

    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        indices, weights, grads, states = _as_lists(indices, weights, grads, states)
        for weight, grad in zip(weights, grads):
            assert isinstance(weight, NDArray) and isinstance(grad, NDArray)
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        wds = self._get_wds(indices)
        momentum = self.momentum
        if self.momentum > 0 and self.momentum_correction and self.last_lr != 0:
            momentum = self.momentum * (self.cur_lr / self.last_lr)
        kwargs = _sgd_kwargs(self, momentum)
        # NB: MXNet sends lists through multi_sum_sq + multi_lars + preloaded_multi_*sgd*_update; we take
        # its one-weight path for every weight, which computes the same trust ratio.
        lrs = [self._get_lars(i, w, g, lr, wd) for i, w, g, lr, wd in zip(indices, weights, grads, lrs, wds)]
        for weight, grad, state, lr, wd in zip(weights, grads, states, lrs, wds):
            _sgd_one(weight, grad, state, lr, wd, multi_precision, kwargs, self.lazy_update)

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=_use_mp(self, weight))
