"""The Optimizer base class, the registry (``register``/``create``) and the ``Updater``.

An optimizer turns ``(index, weight, grad, state)`` into an in-place update of ``weight``. Steps of one
``Updater(index, grad, weight)`` call:

1. the first time an index is seen, ``create_state_multi_precision`` makes its state (momentum, a
   float32 master copy of a float16 weight, ...);
2. ``update_multi_precision`` counts the update (``_update_count``: per index and the global
   ``num_update``), looks up the learning rate and weight decay of that index (global value times
   ``lr_mult``/``wd_mult``) and calls a fused update op with ``out=weight``, or NDArray arithmetic.

>>> opt = create('sgd', learning_rate=0.1, momentum=0.9)
>>> updater = get_updater(opt)
>>> updater(0, grad, weight)        # weight is updated in place
"""
import warnings

import numpy

from .. import config
from ..ndarray import NDArray, cast
from . import states as _states

__all__ = ["Optimizer", "register", "create", "Updater", "get_updater"]


class Optimizer:
    """The base class inherited by all optimizers.

    Parameters
    ----------
    rescale_grad : float, optional, default 1.0
        Multiply the gradient with `rescale_grad` before updating, often ``1.0 / batch_size``.
    param_idx2name : dict of int to str, optional
        Maps an index to a parameter name; names not ending in ``_weight`` or ``_gamma`` get
        ``wd_mult`` 0 (biases and BatchNorm ``beta`` are not decayed).
    wd : float, optional, default 0.0
        The weight decay (L2 regularization) coefficient.
    clip_gradient : float, optional, default None
        Clip the gradient onto ``[-clip_gradient, clip_gradient]``.
    learning_rate : float, optional, default None
        The initial learning rate; 0.01 when neither it nor `lr_scheduler` is given. When both are
        given it overwrites the scheduler's ``base_lr``.
    lr_scheduler : LRScheduler, optional
        Called with ``num_update`` to give the current learning rate.
    sym : Symbol, optional
        Its ``__lr_mult__``/``__wd_mult__`` attributes seed ``lr_mult``/``wd_mult``.
    begin_num_update : int, optional, default 0
        The initial number of updates.
    multi_precision : bool, optional, default False
        Keep a float32 master copy of float16 weights and update that copy.
    param_dict : dict of int to gluon.Parameter, optional
        Its parameters' ``lr_mult``/``wd_mult`` take precedence over everything else.

    Attributes
    ----------
    learning_rate : float
        The current learning rate (from the scheduler when there is one).
    aggregate_num : int
        How many weights one call to ``update`` may receive as lists (0: one at a time).
    """
    opt_registry = {}

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0., clip_gradient=None, learning_rate=None,
                 lr_scheduler=None, sym=None, begin_num_update=0, multi_precision=False, param_dict=None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None and lr_scheduler.base_lr != learning_rate:
            # NB: MXNet prints this warning object instead of raising it; we warn.
            warnings.warn("learning rate from ``lr_scheduler`` has been overwritten by ``learning_rate`` "
                          "in optimizer.")
            lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult = {}
        self.wd_mult = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        # One update-count table per device, so that data-parallel copies of a weight count once each.
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        assert isinstance(param_idx2name, dict), 'param_idx2name should be a dict of param indexes to names.'
        self.idx2name = param_idx2name.copy()
        self.sym_info = (sym.attr_dict(), sym.list_arguments()) if sym is not None else ()
        self.param_dict = param_dict if param_dict else {}
        self.allow_np_array = False
        self.set_lr_mult({})
        self.set_wd_mult({})

    # -- registry ---------------------------------------------------------------------------------
    @staticmethod
    def register(klass):
        """Register an optimizer class under its lower-cased class name (a decorator)."""
        assert isinstance(klass, type)
        name = klass.__name__.lower()
        if name in Optimizer.opt_registry:
            old = Optimizer.opt_registry[name]
            warnings.warn(f"WARNING: New optimizer {klass.__module__}.{klass.__name__} is overriding existing "
                          f"optimizer {old.__module__}.{old.__name__}")
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        """Instantiate the registered optimizer `name` (case insensitive) with `kwargs`."""
        if name.lower() in Optimizer.opt_registry:
            return Optimizer.opt_registry[name.lower()](**kwargs)
        raise ValueError(f"Cannot find optimizer {name}")

    # -- learning rate ----------------------------------------------------------------------------
    @property
    def learning_rate(self):
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr):
        """Set a new learning rate; not allowed when an ``lr_scheduler`` is in charge."""
        if self.lr_scheduler is not None:
            raise UserWarning("LRScheduler of the optimizer has already been defined. Note that "
                              "set_learning_rate can mutate the value of the learning rate of the optimizer "
                              "only when the LRScheduler of the optimizer is undefined.")
        self.lr = lr

    def set_lr_scale(self, args_lrscale):
        """[DEPRECATED] Sets lr scale. Use set_lr_mult instead."""
        raise DeprecationWarning

    def set_lr_mult(self, args_lr_mult):
        """Set a learning-rate multiplier per parameter name or index (the symbol's ``__lr_mult__`` first)."""
        self.lr_mult = {}
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and '__lr_mult__' in attr[name]:
                    self.lr_mult[name] = float(attr[name]['__lr_mult__'])
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult):
        """Set a weight-decay multiplier per parameter name or index.

        Every name of ``param_idx2name`` that does not end in ``_weight`` or ``_gamma`` gets 0 first.
        """
        self.wd_mult = {}
        for n in self.idx2name.values():
            if not (n.endswith('_weight') or n.endswith('_gamma')):
                self.wd_mult[n] = 0.0
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and '__wd_mult__' in attr[name]:
                    self.wd_mult[name] = float(attr[name]['__wd_mult__'])
        self.wd_mult.update(args_wd_mult)

    def _set_current_context(self, device_id):
        """Switch the update-count table to the one of device `device_id`."""
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index):
        """Count one more update of `index` (an int or a list of them) and advance ``num_update``."""
        if not isinstance(index, (list, tuple)):
            index = [index]
        for idx in index:
            if idx not in self._index_update_count:
                self._index_update_count[idx] = self.begin_num_update
            self._index_update_count[idx] += 1
            self.num_update = max(self._index_update_count[idx], self.num_update)

    def _get_lrs(self, indices):
        """The learning rate of each index: the global one times param_dict, index or name ``lr_mult``."""
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        lrs = [lr for _ in indices]
        for i, index in enumerate(indices):
            if index in self.param_dict:
                lrs[i] *= self.param_dict[index].lr_mult
            elif index in self.lr_mult:
                lrs[i] *= self.lr_mult[index]
            elif index in self.idx2name:
                lrs[i] *= self.lr_mult.get(self.idx2name[index], 1.0)
        return lrs

    def _get_lr(self, index):
        return self._get_lrs([index])[0]

    def _get_wds(self, indices):
        """The weight decay of each index: ``wd`` times param_dict, index or name ``wd_mult``."""
        wds = [self.wd for _ in indices]
        for i, index in enumerate(indices):
            if index in self.param_dict:
                wds[i] *= self.param_dict[index].wd_mult
            elif index in self.wd_mult:
                wds[i] *= self.wd_mult[index]
            elif index in self.idx2name:
                wds[i] *= self.wd_mult.get(self.idx2name[index], 1.0)
        return wds

    def _get_wd(self, index):
        return self._get_wds([index])[0]

    # -- state and update -------------------------------------------------------------------------
    def create_state(self, index, weight):
        """Create the auxiliary state (momentum, moments ...) of one weight; None when there is none."""
        return None

    def create_state_multi_precision(self, index, weight):
        """Like ``create_state``, plus a float32 master copy of a float16 weight: ``(weight32, state)``."""
        if self.multi_precision and weight.dtype == numpy.float16:
            weight_master_copy = weight.astype(numpy.float32)
            return (weight_master_copy,) + (self.create_state(index, weight_master_copy),)
        if weight.dtype == numpy.float16 and not self.multi_precision:
            warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy or slow "
                          "convergence. Consider using multi_precision=True option of the optimizer")
        return self.create_state(index, weight)

    def update(self, index, weight, grad, state):
        """Update `weight` in place from `grad` and `state` (made by ``create_state``)."""
        raise NotImplementedError()

    def update_multi_precision(self, index, weight, grad, state):
        """``update``; for float16 weights with multi_precision, update the float32 copy and cast back."""
        if self.multi_precision and weight.dtype == numpy.float16:
            weight_master_copy, original_state = state
            grad32 = grad.astype(numpy.float32)
            self.update(index, weight_master_copy, grad32, original_state)
            cast(weight_master_copy, dtype=weight.dtype, out=weight)
        else:
            self.update(index, weight, grad, state)

    def __getstate__(self):
        ret = self.__dict__.copy()
        del ret['param_dict']     # Parameters are not pickled with the optimizer; the Trainer sets them.
        return ret

    def __setstate__(self, state):
        self.__dict__ = state
        self.param_dict = {}


register = Optimizer.register
create = Optimizer.create_optimizer


def _aggregation_size(default):
    """How many weights one fused multi-weight update takes (MXNET_OPTIMIZER_AGGREGATION_SIZE)."""
    return config.optimizer_aggregation_size(default)


def _flatten_list(nested_list):
    return [item for sublist in nested_list for item in sublist]


def _mp_state_first(optimizer, index, weight):
    """``create_state_multi_precision`` of SGD-like optimizers: ``(state, weight32)`` (fused mp_* op order)."""
    if optimizer.multi_precision and weight.dtype == numpy.float16:
        weight_master_copy = weight.astype(numpy.float32)
        return (optimizer.create_state(index, weight_master_copy), weight_master_copy)
    if weight.dtype == numpy.float16 and not optimizer.multi_precision:
        warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy or slow convergence. "
                      f"Consider using multi_precision=True option of the {type(optimizer).__name__} optimizer")
    return optimizer.create_state(index, weight)


class Updater:
    """Holds the state of each index and applies an optimizer: ``updater(index, grad, weight)``.

    With ``optimizer.aggregate_num > 0`` the weights of one call are grouped by dtype and handed to
    ``update_multi_precision`` as lists of up to ``aggregate_num`` (one fused multi-weight op).
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}
        self.aggregate_updates = optimizer.aggregate_num > 0

    def __call__(self, index, grad, weight):
        """Update `weight` (an NDArray or a list of them) from `grad`; `index` identifies its state."""
        if not isinstance(index, (list, tuple)):
            indices, grads, weights = [index], [grad], [weight]
        else:
            indices, grads, weights = list(index), grad, weight
        if weights:
            self.optimizer._set_current_context(weights[0].context.device_id)
        for i, idx in enumerate(indices):
            if isinstance(idx, bytes):
                indices[i] = idx = idx.decode()
            if idx not in self.states:
                self.states[idx] = self.optimizer.create_state_multi_precision(idx, weights[i])
                self.states_synced[idx] = True
            elif not self.states_synced[idx]:
                self.states[idx] = self.sync_state_context(self.states[idx], weights[i].context)
                self.states_synced[idx] = True
        if not self.aggregate_updates:
            for i, w, g in zip(indices, weights, grads):
                self.optimizer.update_multi_precision(i, w, g, self.states[i])
            return
        type_map = {}
        for i, w, g in zip(indices, weights, grads):
            type_map.setdefault(w.dtype, []).append((i, w, g))
        num = self.optimizer.aggregate_num
        for group in type_map.values():
            idxs, ws, gs = zip(*group)
            for start in range(0, len(idxs), num):
                states = [self.states[j] for j in idxs[start:start + num]]
                self.optimizer.update_multi_precision(list(idxs[start:start + num]), list(ws[start:start + num]),
                                                      list(gs[start:start + num]), states)

    def sync_state_context(self, state, context):
        """Move a state (an NDArray, or a nested tuple/list of them) to `context`."""
        if isinstance(state, NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            synced = [self.sync_state_context(s, context) for s in state]
            return tuple(synced) if isinstance(state, tuple) else synced
        return state

    def set_states(self, states):
        """Load states (and maybe the optimizer) from the bytes ``get_states`` made, by minimx or MXNet 1.x."""
        states = _states.loads(states)
        if isinstance(states, tuple) and len(states) == 2:
            self.states, self.optimizer = states
        else:
            self.states = states
        self.states_synced = dict.fromkeys(self.states.keys(), False)

    def get_states(self, dump_optimizer=False):
        """Pickle the states, with the optimizer too when `dump_optimizer`, in MXNet 1.9.1's format."""
        return _states.dumps((self.states, self.optimizer) if dump_optimizer else self.states)


def get_updater(optimizer):
    """Return an ``Updater`` that applies `optimizer`."""
    return Updater(optimizer)
