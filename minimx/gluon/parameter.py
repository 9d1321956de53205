"""``gluon.Parameter``: a named weight with one array (and one gradient) per context.

A Parameter is made with a shape that may hold unknowns (0 or -1: "not known until data flows"),
and is *initialized* later: ``initialize(init, ctx)`` fills one array per context, or, when the
shape is not yet known and ``allow_deferred_init`` is set, remembers what to do until the first
forward pass tells the layer its input shape (``_finish_deferred_init``). Several contexts give one
copy each, as MXNet's data parallelism wants; `Trainer` keeps the copies in step.

The gradient buffers are attached with ``autograd.mark_variables``, so ``loss.backward()`` writes
(``grad_req='write'``) or accumulates (``'add'``) into ``param.grad(ctx)``.
"""
import warnings

import numpy as np

from .. import autograd, initializer
from .. import ndarray as nd
from ..base import MXNetError
from ..context import Context, cpu, current_context
from ..ndarray import NDArray
from ..ndarray.ndarray import MXNetValueError

__all__ = ["Parameter", "Constant", "DeferredInitializationError", "GluonAssertionError",
           "ParameterMemoryError", "shape_is_known"]


class DeferredInitializationError(MXNetError):
    """A Parameter's data was asked for before the first forward pass fixed its shape."""


class GluonAssertionError(MXNetError, AssertionError):
    """An MXNetError raised where MXNet's gluon ``assert``s (a bad ``grad_req``, a shape that does
    not fit, an unknown layout), so ``except AssertionError`` in code written for MXNet still
    catches it."""


class ParameterMemoryError(MXNetError, MemoryError):
    """A Parameter too large to allocate. Also a ``MemoryError``, which is what numpy raises."""


def _invalid_shape_message(name, shape, fix):
    """Why ``shape`` cannot be allocated: a negative size argument, or dimensions still unknown."""
    if shape is not None and any(d < 0 for d in shape):
        return (f"Cannot initialize Parameter '{name}' because it has invalid shape: {shape}: a "
                "dimension is negative. Check the layer's size arguments (units, channels, "
                "output_dim, ...); each must be a positive int.")
    return (f"Cannot initialize Parameter '{name}' because it has invalid shape: {shape}. {fix} "
            "(A size argument such as units, channels or output_dim given as 0 also leaves a 0 "
            "in the shape; each must be a positive int.)")


def shape_is_known(shape):
    """True when every dimension is known (no 0 or -1). As in MXNet's legacy mode, () is unknown."""
    return shape is not None and len(shape) > 0 and all(d > 0 for d in shape)


def _as_ctx_list(ctx):
    if ctx is None:
        return [current_context()]
    return [ctx] if isinstance(ctx, Context) else list(ctx)


class Parameter:
    """A weight of a Block.

    Parameters
    ----------
    name : str
        Full name (a Block gives it its prefix: ``dense0_weight``).
    grad_req : {'write', 'add', 'null'}, default 'write'
        How backward fills the gradient: overwrite, accumulate, or no gradient at all.
    shape : int or tuple of int, optional
        0 (or -1) marks a dimension that is only known after the first forward pass.
    dtype : numpy dtype or str, default 'float32'
    lr_mult, wd_mult : float, default 1.0
        Multipliers of the learning rate and of the weight decay for this parameter.
    init : Initializer or str, optional
        Overrides the initializer given to ``initialize`` for this parameter.
    allow_deferred_init : bool, default False
        Whether ``initialize`` may wait for the shape to become known.
    differentiable : bool, default True
        False forces ``grad_req='null'`` (running statistics of BatchNorm).
    stype, grad_stype : 'default'
        Storage types; minimx has dense storage only.
    """

    def __init__(self, name, grad_req="write", shape=None, dtype=np.float32, lr_mult=1.0, wd_mult=1.0,
                 init=None, allow_deferred_init=False, differentiable=True, stype="default",
                 grad_stype="default"):
        for label, st in (("stype", stype), ("grad_stype", grad_stype)):
            if st != "default":
                raise GluonAssertionError(
                    f"Parameter '{name}': {label}={st!r} is not supported; minimx stores dense "
                    "arrays only. Use the default storage type.")
        self._var = None
        self._data = None
        self._grad = None
        self._ctx_list = None
        self._ctx_map = None
        self._trainer = None
        self._deferred_init = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req = None
        self._stype = stype
        self._grad_stype = grad_stype
        self._shape = (shape,) if isinstance(shape, int) else (tuple(shape) if shape is not None else None)
        self.name = name
        self._dtype = dtype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.grad_req = grad_req
        self.init = init

    def __repr__(self):
        return "Parameter {name} (shape={shape}, dtype={dtype})".format(
            name=self.name, shape=self.shape, dtype=self.dtype)

    # ---- attributes ---------------------------------------------------------------------------
    @property
    def grad_req(self):
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req):
        if req not in ("write", "add", "null"):
            raise GluonAssertionError(
                f"Parameter '{self.name}': grad_req must be 'write', 'add' or 'null', "
                f"got {req!r}")
        if not self._differentiable:
            req = "null"
        if self._grad_req == req:
            return
        self._grad_req = req
        if req == "null" and self._grad is not None:
            self._grad = None
            self._data = [d.detach() for d in self._data]
        elif self._data is not None:
            self._init_grad()

    @property
    def dtype(self):
        return self._dtype

    @dtype.setter
    def dtype(self, dtype):
        self._dtype = dtype

    @property
    def shape(self):
        return self._shape

    @shape.setter
    def shape(self, new_shape):
        new_shape = tuple(new_shape)
        if self._shape is None:
            self._shape = new_shape
            return
        if len(self._shape) != len(new_shape) or not all(
                old in (-1, 0, new) for new, old in zip(new_shape, self._shape)):
            raise GluonAssertionError(
                f"Parameter '{self.name}': the shape {new_shape} does not fit the "
                f"declared shape {self._shape} (only its 0/-1 dimensions may be filled "
                "in). Check the layer's in_units/in_channels against the input.")
        self._shape = new_shape

    @property
    def stype(self):
        return self._stype

    # ---- the per-context arrays ---------------------------------------------------------------
    def _check_and_get(self, arr_list, ctx):
        if arr_list is not None:
            if ctx is list:
                return arr_list
            if ctx is None:
                if len(arr_list) == 1:
                    return arr_list[0]
                ctx = current_context()
            ctx_list = self._ctx_map[ctx.device_typeid & 1]
            if ctx.device_id < len(ctx_list) and ctx_list[ctx.device_id] is not None:
                return arr_list[ctx_list[ctx.device_id]]
            raise MXNetError(f"Parameter '{self.name}' was not initialized on context {ctx}. It was "
                             f"only initialized on {self._ctx_list}. Initialize it on {ctx} too, or "
                             "move the input there.")
        if self._deferred_init:
            raise DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because initialization was "
                "deferred. Actual initialization happens during the first forward pass. Please pass "
                "one batch of data through the network before accessing Parameters. You can also "
                "avoid deferred initialization by specifying in_units, num_features, etc., for "
                "network layers.")
        raise MXNetError(f"Parameter '{self.name}' has not been initialized. Call "
                         "net.initialize() (or net.collect_params().initialize()) before using the "
                         "network; note that Block.params does not include the Parameters of "
                         "nested child Blocks, Block.collect_params() does.")

    def _init_impl(self, data, ctx_list):
        """Make one copy of ``data`` per context and the gradient buffers."""
        self._ctx_list = list(ctx_list)
        self._ctx_map = [[], []]
        for i, ctx in enumerate(self._ctx_list):
            devices = self._ctx_map[ctx.device_typeid & 1]
            while len(devices) <= ctx.device_id:
                devices.append(None)
            devices[ctx.device_id] = i
        self._data = [data.copyto(ctx) for ctx in self._ctx_list]
        self._init_grad()

    def _init_grad(self):
        if self.grad_req == "null":
            self._grad = None
            return
        self._grad = [nd.zeros(d.shape, ctx=d.context, dtype=d.dtype) for d in self._data]
        autograd.mark_variables(self._data, self._grad, self.grad_req)

    def _finish_deferred_init(self):
        """Initialize now that the shape is known (called by the layer on its first forward)."""
        if not self._deferred_init:
            return
        init, ctx, default_init, data = self._deferred_init
        self._deferred_init = ()
        if not shape_is_known(self.shape):
            # NB: MXNet raises ValueError (or AssertionError for a negative size) here.
            raise MXNetValueError(_invalid_shape_message(
                self.name, self.shape, "Please specify in_units, in_channels, etc for `Block`s."))
        with autograd.pause():
            if data is None:
                data = self._allocate()
                initializer.create(default_init)(
                    initializer.InitDesc(self.name, {"__init__": init}), data)
            self._init_impl(data, ctx)

    def _allocate(self):
        """A zero array of the Parameter's shape, or an error that names it and its size."""
        try:
            return nd.zeros(self.shape, ctx=cpu(), dtype=self.dtype)
        except (MemoryError, ValueError) as e:
            # numpy says MemoryError, or ValueError "array is too big" past its address space.
            nbytes = float(np.prod([float(d) for d in self.shape])) * np.dtype(self.dtype).itemsize
            raise ParameterMemoryError(
                f"Cannot allocate Parameter '{self.name}' of shape {self.shape} and dtype "
                f"{np.dtype(self.dtype).name}: it needs {nbytes / 2**30:.3g} GiB ({e}). Check the "
                "layer's size arguments (units, channels, input_dim, ...).") from e

    def _reduce(self):
        """The parameter on the CPU: the mean over its context copies (what gets saved)."""
        block = self.list_data()
        if len(block) == 1:
            return block[0].copyto(cpu())
        return nd.add_n(*(w.copyto(cpu()) for w in block)) / len(block)

    def _check_load(self, data, cast_dtype=False, dtype_source="current"):
        """Raise if ``data`` cannot become this Parameter's value; change nothing (so a file is
        checked whole before any Parameter is overwritten)."""
        if cast_dtype and dtype_source not in ("current", "saved"):
            raise MXNetError(f"dtype_source must be 'current' or 'saved', got {dtype_source!r}")
        if self.shape:
            if len(self.shape) != len(data.shape) or any(
                    mine not in (0, -1, saved) for mine, saved in zip(self.shape, data.shape)):
                raise GluonAssertionError(
                    f"Failed loading Parameter '{self.name}' from saved params: shape "
                    f"incompatible expected {self.shape} vs saved {data.shape}. The "
                    "network's layer sizes differ from the ones that wrote the file.")
        if self.dtype is not None and np.dtype(self.dtype) != np.dtype(data.dtype) \
                and not cast_dtype:
            raise GluonAssertionError(
                f"Failed loading Parameter '{self.name}' from saved params: dtype "
                f"incompatible expected {np.dtype(self.dtype)} vs saved "
                f"{np.dtype(data.dtype)}. Set cast_dtype=True to cast the dtype of "
                "saved params.")

    def _load_init(self, data, ctx, cast_dtype=False, dtype_source="current"):
        """Take ``data`` (loaded from a file) as the value, initializing if need be."""
        self._check_load(data, cast_dtype, dtype_source)
        if self.shape:
            self._shape = tuple(saved if mine in (0, -1) else mine
                                for mine, saved in zip(self.shape, data.shape))
        if self.dtype is not None and np.dtype(self.dtype) != np.dtype(data.dtype):
            if dtype_source == "current":
                data = data.astype(self.dtype)
            else:
                self._dtype = data.dtype
        ctx = [ctx] if isinstance(ctx, Context) else ctx
        if self._data is None:
            if self._deferred_init:
                if ctx is not None and set(ctx) != set(self._deferred_init[1]):
                    raise MXNetError(f"Failed to load Parameter '{self.name}' on {ctx} because it "
                                     f"was previous initialized on {self._deferred_init[1]}.")
                ctx = self._deferred_init[1]
            elif ctx is None:
                ctx = [cpu()]
            self._init_impl(data, ctx)
        else:
            if ctx is not None and set(ctx) != set(self.list_ctx()):
                raise MXNetError(f"Failed to load Parameter '{self.name}' on {ctx} because it was "
                                 f"previous initialized on {self.list_ctx()}.")
            self.set_data(data)
        self._deferred_init = ()

    # ---- public API ---------------------------------------------------------------------------
    def initialize(self, init=None, ctx=None, default_init=initializer.Uniform(), force_reinit=False):
        """Make the arrays (now, or at the first forward pass when the shape is not yet known).

        Parameters
        ----------
        init : Initializer, optional
            The initializer to use; when None, the Parameter's own ``init``, else ``default_init``.
        ctx : Context or list of Context, default current_context()
            One copy of the parameter per context.
        default_init : Initializer, default Uniform()
        force_reinit : bool, default False
            Re-initialize even if already initialized.
        """
        if self._data is not None and not force_reinit:
            warnings.warn(f"Parameter '{self.name}' is already initialized, ignoring. Set "
                          "force_reinit=True to re-initialize.", stacklevel=2)
            return
        self._data = self._grad = None
        ctx = _as_ctx_list(ctx)
        if init is None:
            init = default_init if self.init is None else self.init
        if not shape_is_known(self.shape):
            if self._allow_deferred_init:
                self._deferred_init = (init, ctx, default_init, None)
                return
            raise MXNetValueError(_invalid_shape_message(
                self.name, self.shape,
                "Give the full shape (or create it with allow_deferred_init=True)."))
        self._deferred_init = (init, ctx, default_init, None)
        self._finish_deferred_init()

    def reset_ctx(self, ctx):
        """Move the parameter to other contexts (the mean of the old copies is kept)."""
        ctx = _as_ctx_list(ctx)
        if self._data:
            data = self._reduce()
            with autograd.pause():
                self._init_impl(data, ctx)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, ctx, default_init, data)
        else:
            raise MXNetValueError(
                f"Cannot reset context for Parameter '{self.name}' because it has not "
                "been initialized.")

    def set_data(self, data):
        """Set the value on every context (before deferred initialization: the value to use)."""
        self.shape = data.shape
        if self._data is None:
            if not self._deferred_init:
                raise GluonAssertionError(f"Parameter '{self.name}' has not been initialized; "
                                          "call initialize() before set_data().")
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        trainer = self._trainer() if self._trainer else None
        if trainer is not None and getattr(trainer, "_kv_initialized", False) \
                and getattr(trainer, "_update_on_kvstore", False):
            if self not in trainer._params_to_init:
                trainer._reset_kvstore()
        for arr in self._check_and_get(self._data, list):
            arr[:] = data

    def data(self, ctx=None):
        """The array on ``ctx`` (the only one when there is one context)."""
        return self._check_and_get(self._data, ctx)

    def list_data(self):
        """The arrays on every context, in the order of ``list_ctx()``."""
        return self._check_and_get(self._data, list)

    def grad(self, ctx=None):
        """The gradient buffer on ``ctx``."""
        if self._data is not None and self._grad is None:
            raise MXNetError(f"Cannot get gradient array for Parameter '{self.name}' because "
                             "grad_req='null'")
        return self._check_and_get(self._grad, ctx)

    def list_grad(self):
        """The gradient buffers on every context."""
        if self._data is not None and self._grad is None:
            raise MXNetError(f"Cannot get gradient array for Parameter '{self.name}' because "
                             "grad_req='null'")
        return self._check_and_get(self._grad, list)

    def list_ctx(self):
        """The contexts the parameter lives on."""
        if self._data is None:
            if self._deferred_init:
                return self._deferred_init[1]
            raise MXNetError(f"Parameter '{self.name}' has not been initialized")
        return self._ctx_list

    def zero_grad(self):
        """Set the gradient buffers to 0 (needed between steps with ``grad_req='add'``)."""
        if self._grad is None:
            return
        for g in self._grad:
            g[:] = 0

    def var(self):
        """The symbol standing for this parameter in a traced graph."""
        if self._var is None:
            from .. import symbol    # the symbol layer sits beside autograd; loaded on demand
            self._var = symbol.var(self.name, shape=self.shape, dtype=self.dtype, lr_mult=self.lr_mult,
                                   wd_mult=self.wd_mult, init=self.init, stype=self._stype)
        return self._var

    def cast(self, dtype):
        """Cast data and gradient to ``dtype`` (keeping the autograd attachment)."""
        self._dtype = dtype
        if self._data is None:
            return
        with autograd.pause():
            self._data = [d.astype(dtype) for d in self._data]
            if self._grad is None:
                return
            self._grad = [g.astype(dtype) for g in self._grad]
            autograd.mark_variables(self._data, self._grad, self.grad_req)

    def row_sparse_data(self, row_id):
        raise MXNetError(f"Parameter '{self.name}': row_sparse storage is not supported by minimx; "
                         "use data().")

    def list_row_sparse_data(self, row_id):
        raise MXNetError(f"Parameter '{self.name}': row_sparse storage is not supported by minimx; "
                         "use list_data().")


class Constant(Parameter):
    """A Parameter that holds a fixed value and never gets a gradient.

    Parameters
    ----------
    name : str
    value : array-like or NDArray
    """

    def __init__(self, name, value):
        if not isinstance(value, NDArray):
            value = nd.array(value)
        self.value = value

        class _Init(initializer.Initializer):
            def _init_weight(self, _, arr):
                value.copyto(arr)

        init_name = "Constant_{}_{}".format(name, id(self))
        initializer.alias(init_name)(_Init)
        super().__init__(name, grad_req="null", shape=value.shape, dtype=value.dtype, init=init_name)

    def __repr__(self):
        return "Constant {name} (shape={shape}, dtype={dtype})".format(
            name=self.name, shape=self.shape, dtype=self.dtype)

    @property
    def grad_req(self):
        return "null"

    @grad_req.setter
    def grad_req(self, req):
        if req != "null":
            warnings.warn('Constant parameter "{}" does not support grad_req other than "null", '
                          'and new value "{}" is ignored.'.format(self.name, req))
        self._grad_req = "null"
