"""``gluon.Trainer``: applies an Optimizer to a set of Parameters, once per ``step``.

Steps of ``trainer.step(batch_size)``, after ``loss.backward()``:

1. set the optimizer's ``rescale_grad`` to ``1 / batch_size`` (times the optimizer's own value);
2. the first time: choose how the copies of a parameter on several contexts are kept in step (the
   "kvstore", below) and give every copy the same starting value;
3. ``allreduce_grads``: sum each parameter's gradients over its contexts;
4. ``update``: check every gradient was written by a backward since the last step (stale-gradient
   check), then hand ``(index, grad, weight)`` to the optimizer's ``Updater``, which runs one fused
   update op per parameter, or one multi-weight op for up to ``aggregate_num`` of them (SGD: 4).

Parameters on several contexts (``ctx=[mx.cpu(0), mx.cpu(1)]``) follow MXNet's single-machine
``'device'``/``'local'`` kvstore: with ``update_on_kvstore`` (MXNet's default there), gradients are
summed into one store, the optimizer updates the stored weight once and every copy receives it;
without it, every context's gradient is overwritten by the sum and each context runs its own
updater. Both give every copy the same value. With one context there is no kvstore at all.

>>> trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
>>> with autograd.record():
...     loss = loss_fn(net(x), y)
>>> loss.backward()
>>> trainer.step(x.shape[0])
"""
import io
import os
import pickle
import weakref

from ..ndarray.io import _write_atomic
from .. import config, lr_scheduler
from .. import ndarray as nd
from .. import optimizer as opt
from ..base import MXNetError, numeric_types
from ..ndarray.ndarray import MXNetTypeError, MXNetValueError
from .parameter import Parameter
from .parameter_dict import ParameterDict

__all__ = ["Trainer"]


class _TrainerAssertionError(MXNetError, AssertionError):
    """Raised where MXNet's Trainer fails an ``assert`` (so ``except AssertionError`` still works)."""


class _UserWarningError(MXNetError, UserWarning):
    """Raised where MXNet's Trainer raises a UserWarning (a stale gradient, a changed batch size)."""


class _ZeroBatchSizeError(MXNetError, ZeroDivisionError):
    """``step(0)``: MXNet divides by it (ZeroDivisionError); this says which argument was 0."""


def _grad_scale(scale, batch_size, method):
    """``scale / batch_size``, the factor gradients get, with errors that name ``batch_size``."""
    if not isinstance(batch_size, numeric_types):
        raise MXNetTypeError(f"Trainer.{method}: batch_size must be a number (the number of "
                             f"samples the loss was summed over), got {batch_size!r} of type "
                             f"{type(batch_size).__name__}")
    if batch_size == 0:
        raise _ZeroBatchSizeError(f"Trainer.{method}: batch_size must not be 0 (gradients are "
                                  "scaled by 1 / batch_size); pass 1 when the loss is already a "
                                  "mean over the batch")
    return scale / batch_size


def _require(condition, message):
    if not condition:
        raise _TrainerAssertionError(message)


class Trainer:
    """Applies an `Optimizer` on a set of Parameters; use it together with `autograd`.

    Parameters
    ----------
    params : ParameterDict, dict of str to Parameter, or list of Parameter
        The parameters to optimize (a dict is taken in the order of its sorted keys; a parameter's
        position is its index in the optimizer and in saved states).
    optimizer : str or Optimizer
        The optimizer's registered name (``'sgd'``, ``'adam'``, ...) or an instance.
    optimizer_params : dict, optional
        Keyword arguments of the optimizer's constructor, e.g. ``{'learning_rate': 0.1}``; must be
        empty when `optimizer` is an instance.
    kvstore : str, KVStore or None, default 'device'
        How copies of a parameter on several contexts are synchronised: ``'device'`` or ``'local'``
        (summed on one machine); ignored with a single context. None: no synchronisation.
    compression_params : dict, optional
        E.g. ``{'type': '2bit', 'threshold': 0.5}``: 'device' and 'dist_*' kvstores (see mx.kv).
    update_on_kvstore : bool, optional
        Update the weights inside the kvstore (once) rather than on every context. None: MXNet's
        choice (True, unless ``MXNET_UPDATE_ON_KVSTORE=0`` or a 'local' kvstore holds a parameter
        of more than 16M elements).

    Attributes
    ----------
    learning_rate : float
        The optimizer's current learning rate.
    optimizer : Optimizer
    """

    def __init__(self, params, optimizer, optimizer_params=None, kvstore="device",
                 compression_params=None, update_on_kvstore=None):
        if isinstance(params, (dict, ParameterDict)):
            params = [params[key] for key in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise MXNetValueError("First argument must be a list or dict of Parameters, "
                                  f"got {type(params)}.")
        self._params = []
        self._param2idx = {}
        for i, param in enumerate(params):
            if not isinstance(param, Parameter):
                raise MXNetValueError("First argument must be a list or dict of Parameters, "
                                      f"got list of {type(param)}.")
            self._param2idx[param.name] = i
            self._params.append(param)
            # MXNet's Parameter._set_trainer: set_data() then knows to refresh the kvstore's copy.
            param._trainer = weakref.ref(self)
        self._compression_params = compression_params
        self._contexts = self._check_contexts()
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad
        self._kvstore_params = {"kvstore": kvstore, "update_on_kvstore": update_on_kvstore}
        self._kvstore = None
        self._reset_kvstore()

    def _check_contexts(self):
        contexts = None
        for param in self._params:
            if param._data is None and not param._deferred_init:
                raise MXNetError(f"Parameter '{param.name}' has not been initialized. Call "
                                 "net.initialize() (or initialize the Parameter) before creating "
                                 "the Trainer.")
            ctx = param.list_ctx()
            _require(contexts is None or contexts == ctx,
                     "All Parameters must be initialized on the same set of contexts, but "
                     f"Parameter {param.name} is initialized on {ctx} while previous Parameters "
                     f"are initialized on {contexts}. Initialize them all with the same ctx list.")
            contexts = ctx
        return contexts

    def _init_optimizer(self, optimizer, optimizer_params):
        # param_dict is shared, not copied: later changes of a Parameter's lr_mult/wd_mult count.
        param_dict = dict(enumerate(self._params))
        if isinstance(optimizer, opt.Optimizer):
            _require(not optimizer_params, "optimizer_params must be None if optimizer is an "
                     "instance of Optimizer instead of str")
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict
        elif isinstance(optimizer, str):
            if optimizer.lower() not in opt.Optimizer.opt_registry:
                known = ", ".join(sorted(opt.Optimizer.opt_registry))
                raise MXNetValueError(f"Cannot find optimizer {optimizer}. Registered optimizers: "
                                      f"{known}.")
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)
        else:
            raise MXNetTypeError(f"optimizer must be a str or an mx.optimizer.Optimizer, got "
                                 f"{type(optimizer)}")
        self._updaters = [opt.get_updater(self._optimizer) for _ in self._contexts]

    # ---- the kvstore ------------------------------------------------------------------------------
    def _reset_kvstore(self):
        """Forget the kvstore; it is made again (and every copy re-synchronised) at the next step."""
        if self._kvstore is not None and "dist" in self._kvstore.type:
            raise MXNetError("Cannot reset distributed KVStore.")
        self._kv_initialized = False
        self._kvstore = None
        self._distributed = None
        self._update_on_kvstore = None
        self._params_to_init = list(self._params)

    def _init_kvstore(self):
        """Make the kvstore and decide ``update_on_kvstore`` as MXNet does for dense parameters."""
        cfg = self._kvstore_params
        arg_arrays = {p.name: p.data(self._contexts[0]) for p in self._params}
        kvstore, update_on_kvstore = _create_kvstore(cfg["kvstore"], len(self._contexts), arg_arrays)
        self._distributed = kvstore is not None and "dist" in kvstore.type
        if cfg["update_on_kvstore"] is not None:
            update_on_kvstore = cfg["update_on_kvstore"]
        if update_on_kvstore and kvstore is None:
            # NB: MXNet fails here with an AttributeError on None.
            raise MXNetValueError("update_on_kvstore=True needs a kvstore, and there is none with "
                                  "a single context or kvstore=None; leave update_on_kvstore unset")
        if update_on_kvstore and not kvstore.is_capable("optimizer"):
            if cfg["update_on_kvstore"]:
                raise MXNetValueError(f"Please set update_on_kvstore=False when training with "
                                      f"{type(kvstore)}")
            update_on_kvstore = False
        if kvstore is not None:
            if self._compression_params:
                kvstore.set_gradient_compression(self._compression_params)
            if update_on_kvstore:
                kvstore.set_optimizer(self._optimizer)
            self._kvstore, self._update_on_kvstore = kvstore, update_on_kvstore
        else:
            self._kvstore, self._update_on_kvstore = None, None
        self._kv_initialized = True

    def _init_params(self):
        """Give the kvstore each parameter's value (and every copy the first context's value)."""
        pending = []
        for param in self._params_to_init:
            if param._deferred_init:
                pending.append(param)       # shape still unknown: wait for the first forward
            elif self._kvstore is not None:
                arrays = param.list_data()
                self._kvstore.broadcast(self._param2idx[param.name], arrays[0], arrays)
        self._params_to_init = pending

    def _prepare(self):
        if not self._kv_initialized:
            self._init_kvstore()
        if self._params_to_init:
            self._init_params()

    # ---- learning rate ----------------------------------------------------------------------------
    @property
    def learning_rate(self):
        return self._optimizer.learning_rate

    @property
    def optimizer(self):
        return self._optimizer

    def set_learning_rate(self, lr):
        """Set the optimizer's learning rate (not allowed when it has an lr_scheduler)."""
        self._optimizer.set_learning_rate(lr)

    # ---- one step ---------------------------------------------------------------------------------
    def _check_and_rescale_grad(self, scale):
        if self._update_on_kvstore and self._distributed and self._kv_initialized \
                and self._optimizer.rescale_grad != scale:
            raise _UserWarningError("Possible change in the `batch_size` from previous `step` "
                                      "detected. Optimizer gradient normalizing factor will not "
                                      "change w.r.t new batch_size when update_on_kvstore=True "
                                      "and when distributed kvstore is used.")
        self._optimizer.rescale_grad = scale

    def step(self, batch_size, ignore_stale_grad=False):
        """One update of every parameter: `allreduce_grads` then `update`.

        Call it after ``backward()`` and outside ``autograd.record()``.

        Parameters
        ----------
        batch_size : int
            Gradients are multiplied by ``1 / batch_size``; pass 1 when the loss is already a mean.
        ignore_stale_grad : bool, default False
            Skip (instead of raising for) parameters whose gradient was not written by a backward
            since the last step, e.g. the unused branch of a model.
        """
        self._check_and_rescale_grad(_grad_scale(self._scale, batch_size, "step"))
        self._prepare()
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self):
        """Sum each parameter's gradients over its contexts (every copy gets the sum).

        For a custom step (gradient clipping between the two): ``allreduce_grads()``, transform the
        gradients, ``update(batch_size)``. Needs ``update_on_kvstore=False`` when there is a kvstore.
        """
        self._prepare()
        _require(not (self._kvstore and self._update_on_kvstore),
                 "allreduce_grads() when parameters are updated on kvstore is not supported. Try "
                 "setting `update_on_kvstore` to False when creating trainer.")
        self._allreduce_grads()

    def _allreduce_grads(self):
        if not self._kvstore:
            return
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            if self._update_on_kvstore:
                self._kvstore.pushpull(i, param.list_grad(), out=param.list_data(), priority=-i)
            else:
                self._kvstore.pushpull(i, param.list_grad(), priority=-i)

    def update(self, batch_size, ignore_stale_grad=False):
        """The update half of `step` (after `allreduce_grads`); same parameters as `step`."""
        self._prepare()
        _require(not (self._kvstore and self._update_on_kvstore),
                 "update() when parameters are updated on kvstore is not supported. Try setting "
                 "`update_on_kvstore` to False when creating trainer.")
        self._check_and_rescale_grad(_grad_scale(self._scale, batch_size, "update"))
        self._update(ignore_stale_grad)

    def _update(self, ignore_stale_grad=False):
        on_kvstore = bool(self._kvstore and self._update_on_kvstore)
        updates = [[] for _ in self._updaters]
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            if not ignore_stale_grad:
                for data in param.list_data():
                    if not data._fresh_grad:
                        raise _UserWarningError(
                            f"Gradient of Parameter `{param.name}` on context {data.context} has "
                            "not been updated by backward since last `step`. This could mean a "
                            "bug in your model that made it only use a subset of the Parameters "
                            "(Blocks) for this iteration. If you are intentionally only using a "
                            "subset, call step with ignore_stale_grad=True to suppress this "
                            "warning and skip updating of Parameters with stale gradient")
            if on_kvstore:
                # NB: as in MXNet, the kvstore already updated every parameter (stale or not), and
                # the fresh flags are not cleared on this path.
                continue
            for upd, arr, grad in zip(updates, param.list_data(), param.list_grad()):
                if not ignore_stale_grad or arr._fresh_grad:
                    upd.append((i, grad, arr))
                    arr._fresh_grad = False
        for updater, upd in zip(self._updaters, updates):
            if upd:
                indices, grads, weights = zip(*upd)
                updater(list(indices), list(grads), list(weights))

    # ---- optimizer states -------------------------------------------------------------------------
    def save_states(self, fname):
        """Write the optimizer and its states (momentum, Adam's moments ...) to `fname`.

        The file is the pickled ``(states, optimizer)`` of the updater, as MXNet writes it; the
        Parameters' lr_mult/wd_mult (``optimizer.param_dict``) are not saved.
        """
        self._prepare()
        if self._update_on_kvstore:
            _require(not self._params_to_init, "Cannot save trainer states when some parameters "
                     "are not yet initialized in kvstore.")
            self._kvstore.save_optimizer_states(fname, dump_optimizer=True)
        else:
            folder = os.path.dirname(os.path.abspath(fname))
            if not os.path.isdir(folder):      # MXNet's open() raises FileNotFoundError here
                raise FileNotFoundError(f"cannot save trainer states to '{fname}': the folder "
                                        f"'{folder}' does not exist")
            _write_atomic(fname, _dumps_states(self._updaters[0]))   # never half a file

    def load_states(self, fname):
        """Read states written by `save_states` (minimx's or MXNet 1.x's) from `fname`."""
        self._prepare()
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            self._optimizer = self._kvstore._updater.optimizer
        else:
            with open(fname, "rb") as f:
                blob = f.read()
            for updater in self._updaters:
                _set_states(updater, blob, fname)
                updater.optimizer = self._updaters[0].optimizer
            self._optimizer = self._updaters[0].optimizer
        self._optimizer.param_dict = dict(enumerate(self._params))


# ---- the kvstore seam ---------------------------------------------------------------------------
def _create_kvstore(kvstore, num_device, arg_arrays):
    """``(kvstore or None, update_on_kvstore)`` as MXNet's ``model._create_kvstore`` decides them.

    A name is given to ``mx.kv.create`` ('device', 'local', 'dist_sync', ...); a KVStore (or an
    object with the KVStore methods ``type``, ``is_capable``, ``broadcast``, ``pushpull``, ...) is
    used as is.
    """
    from .. import kvstore as kvs       # here, not at the top: the seam stays in this function
    update_on_kvstore = config.update_on_kvstore()
    if kvstore is None:
        kv = None
    elif isinstance(kvstore, str):
        if num_device == 1 and "dist" not in kvstore:
            kv = None          # one context, one machine: nothing to synchronise
        else:
            kv = kvs.create(kvstore)
            if kvstore == "local" and max(a.size for a in arg_arrays.values()) > 16 * 1024 * 1024:
                update_on_kvstore = False
    elif isinstance(kvstore, kvs.KVStoreBase) or all(
            hasattr(kvstore, m) for m in ("type", "is_capable", "broadcast", "pushpull")):
        kv = kvstore
    else:
        raise MXNetTypeError("kvstore must be KVStore, str or None")
    if kv is None:
        return None, False
    return kv, update_on_kvstore and kv.is_capable("optimizer")


# ---- writing MXNet's pickled states ---------------------------------------------------------------
# A states file is ``pickle.dumps((states, optimizer))``. MXNet pickles an NDArray as
# ``NDArray(None)`` plus the state ``{'handle': <one record of an NDArray file>}``; minimx writes
# that form and names the optimizer and scheduler classes by their MXNet modules, so real MXNet
# loads the file. (Reading either form is ``Updater.set_states``' job: mx.optimizer.states.)
_LIST_HEADER = (0x112).to_bytes(8, "little") + bytes(8) + (1).to_bytes(8, "little")


def _mxnet_name(obj):
    """``(module, name)`` under which MXNet knows the minimx class `obj`, else None."""
    name = getattr(obj, "__name__", None)
    if not isinstance(name, str):
        return None
    if obj is _MXNetArray:
        return "mxnet.ndarray.ndarray", "NDArray"
    if isinstance(obj, type) and issubclass(obj, opt.Optimizer) and getattr(opt, name, None) is obj:
        return "mxnet.optimizer.optimizer", name
    if isinstance(obj, type) and getattr(lr_scheduler, name, None) is obj:
        return "mxnet.lr_scheduler", name
    return None


class _StatesPickler(pickle._Pickler):    # the Python pickler: its save_global can be overridden
    def reducer_override(self, obj):
        if isinstance(obj, nd.NDArray):
            record = nd.io.encode([obj.asnumpy()])[len(_LIST_HEADER):-8]
            return _MXNetArray, (None,), {"handle": bytearray(record)}
        return NotImplemented

    def save_global(self, obj, name=None):
        target = _mxnet_name(obj)
        if target is None:
            super().save_global(obj, name)
            return
        self.save(target[0])
        self.save(target[1])
        self.write(pickle.STACK_GLOBAL)
        self.memoize(obj)


def _dumps_states(updater):
    """The bytes of ``(states, optimizer)`` in MXNet's form (``Updater.get_states(True)``)."""
    buf = io.BytesIO()
    _StatesPickler(buf, protocol=4).dump((updater.states, updater.optimizer))
    return buf.getvalue()


def _set_states(updater, blob, source):
    """``updater.set_states(blob)`` (it reads minimx's and MXNet's pickles), with a clear error."""
    try:
        updater.set_states(blob)
    except MXNetError:
        raise
    except Exception as err:
        raise MXNetError(f"cannot load trainer states from {source}: {err!r}. Expected a file "
                         "written by Trainer.save_states (minimx's or MXNet's)") from err


class _MXNetArray:
    """Pickled under MXNet's name ``mxnet.ndarray.ndarray.NDArray``: ``NDArray(None)`` is rebuilt
    there, then given the state ``{'handle': <array record>}``."""
