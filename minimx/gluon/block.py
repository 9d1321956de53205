"""``gluon.Block``: a piece of a network that holds Parameters and child Blocks.

Naming, exactly as MXNet 1.x does it (parameter files depend on it):

* A Block made outside any ``name_scope`` takes a name from the thread's counters
  (``mx.name``): the first ``Dense`` is ``dense0``, its prefix ``dense0_``, its weight
  ``dense0_weight``.
* A Block made inside ``with parent.name_scope():`` counts within its parent: the parent's prefix
  plus ``dense0_``, ``dense1_`` ... (``model_dense0_weight``).
* Attributes that are Blocks or Parameters register themselves through ``__setattr__``; that
  structure (``0.weight``, ``features.3.bias``) is what ``save_parameters`` writes.
"""
import threading
import warnings
import weakref
from collections import OrderedDict

from .. import initializer
from .. import name as _name
from .. import ndarray as nd
from ..base import MXNetError
from .parameter import GluonAssertionError, Parameter
from .parameter_dict import ParameterDict, _indent

__all__ = ["Block", "HookHandle"]


class _BlockScope:
    """The ``with block.name_scope():`` context: children made inside count within ``block``."""

    _current = threading.local()

    def __init__(self, block):
        self._block = block
        self._counter = {}
        self._old_scope = None
        self._name_scope = None

    @staticmethod
    def create(prefix, params, hint):
        """The prefix and ParameterDict for a new Block, from the scope it is made in."""
        current = getattr(_BlockScope._current, "value", None)
        if current is None:
            if prefix is None:
                prefix = _name.current().get(None, hint) + "_"
            if params is None:
                params = ParameterDict(prefix)
            else:
                params = ParameterDict(params.prefix, params)
            return prefix, params
        if prefix is None:
            count = current._counter.get(hint, 0)
            prefix = "%s%d_" % (hint, count)
            current._counter[hint] = count + 1
        if params is None:
            parent = current._block.params
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self):
        if self._block._empty_prefix:
            return self
        self._old_scope = getattr(_BlockScope._current, "value", None)
        _BlockScope._current.value = self
        self._name_scope = _name.Prefix(self._block.prefix)
        self._name_scope.__enter__()
        return self

    def __exit__(self, *exc):
        if self._block._empty_prefix:
            return
        self._name_scope.__exit__(*exc)
        self._name_scope = None
        _BlockScope._current.value = self._old_scope


class HookHandle:
    """Returned by ``register_forward_hook``; ``detach()`` removes the hook."""

    _next_id = [0]

    def __init__(self):
        self._hooks_dict_ref = None
        self._id = None

    def attach(self, hooks_dict, hook):
        if self._hooks_dict_ref is not None:
            raise MXNetError("The same handle cannot be attached twice.")
        self._id = HookHandle._next_id[0]
        HookHandle._next_id[0] += 1
        hooks_dict[self._id] = hook
        self._hooks_dict_ref = weakref.ref(hooks_dict)

    def detach(self):
        hooks_dict = self._hooks_dict_ref() if self._hooks_dict_ref else None
        if hooks_dict is not None and self._id in hooks_dict:
            del hooks_dict[self._id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.detach()


class Block:
    """Base class of all layers and models: subclass it and define ``forward``.

    Parameters
    ----------
    prefix : str, optional
        Prefix of this Block's name and of its Parameters' names (default: from the scope).
    params : ParameterDict, optional
        Share these Parameters instead of making new ones.

    Examples
    --------
    >>> class Model(mx.gluon.Block):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         with self.name_scope():
    ...             self.dense0 = mx.gluon.nn.Dense(20)
    ...     def forward(self, x):
    ...         return self.dense0(x)
    """

    def __init__(self, prefix=None, params=None):
        self._empty_prefix = prefix == ""
        self._prefix, self._params = _BlockScope.create(prefix, params, self._alias())
        self._name = self._prefix[:-1] if self._prefix.endswith("_") else self._prefix
        self._scope = _BlockScope(self)
        self._children = OrderedDict()
        self._reg_params = {}
        self._forward_hooks = OrderedDict()
        self._forward_pre_hooks = OrderedDict()

    def __repr__(self):
        modstr = "\n".join("  ({key}): {block}".format(key=key, block=_indent(repr(block), 2))
                           for key, block in self.__dict__.items() if isinstance(block, Block))
        return "{name}(\n{modstr}\n)".format(name=self.__class__.__name__, modstr=modstr)

    def __setattr__(self, name, value):
        """Blocks and Parameters assigned as attributes register themselves."""
        if hasattr(self, name):
            existing = getattr(self, name)
            if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
                raise TypeError("Changing attribute type for {name} from {type1} to {type2} is not "
                                "allowed.".format(name=name, type1=type(existing), type2=type(value)))
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if name in self._reg_params:
                raise MXNetError(f"Overriding Parameter attribute {name} is not allowed. If you want "
                                 "to share parameters between blocks, please set 'params' at Block "
                                 "construction instead.")
            self._reg_params[name] = value
        elif isinstance(value, (list, tuple, dict)) and _holds_blocks(value) and \
                not name.startswith("_"):
            warnings.warn(f'"{self.__class__.__name__}.{name}" is a container with Blocks. Note '
                          "that Blocks inside a list, tuple or dict will not be registered "
                          "automatically. Make sure to register them using register_child() or "
                          "switching to nn.Sequential/nn.HybridSequential instead.", stacklevel=2)
        super().__setattr__(name, value)

    def _alias(self):
        return self.__class__.__name__.lower()

    @property
    def prefix(self):
        """Prefix of this Block's name (``dense0_``)."""
        return self._prefix

    @property
    def name(self):
        """Name of this Block, without the trailing ``_`` (``dense0``)."""
        return self._name

    @property
    def params(self):
        """This Block's own ParameterDict (children's Parameters are not in it)."""
        return self._params

    def name_scope(self):
        """``with self.name_scope():`` names the children made inside after this Block."""
        return self._scope

    def collect_params(self, select=None):
        """A ParameterDict of this Block's and all its children's Parameters.

        Parameters
        ----------
        select : str, optional
            A regular expression; only names it matches are kept (``'.*weight|.*bias'``).
        """
        ret = ParameterDict(self._params.prefix)
        ret.update(self.params if not select else self.params.select(select))
        for child in self._children.values():
            ret.update(child.collect_params(select=select))
        return ret

    def _collect_params_with_prefix(self, prefix=""):
        """Parameters by structural name (``0.weight``, ``features.3.bias``), as files store them."""
        if prefix:
            prefix += "."
        ret = {prefix + key: val for key, val in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def save_parameters(self, filename, deduplicate=False):
        """Save the Parameters under their structural names, in MXNet's binary format.

        Parameters
        ----------
        filename : str
        deduplicate : bool, default False
            A Parameter shared by several layers is saved once (under its first name).
        """
        params = self._collect_params_with_prefix()
        if deduplicate:
            seen = {}
            for key, p in params.items():
                seen.setdefault(id(p), key)
            params = {key: p for key, p in params.items() if seen[id(p)] == key}
        nd.save(filename, {key: val._reduce() for key, val in params.items()})

    def save_params(self, filename):
        """Deprecated: saves under full names (``dense0_weight``); use `save_parameters`."""
        warnings.warn("save_params is deprecated. Please use save_parameters. Note that if you want "
                      "load from SymbolBlock later, please use export instead.", stacklevel=2)
        self.collect_params().save(filename, strip_prefix=self.prefix)

    def load_parameters(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
                        cast_dtype=False, dtype_source="current"):
        """Load Parameters written by `save_parameters` (by minimx or MXNet).

        Parameters
        ----------
        filename : str
        ctx : Context or list of Context, optional
            Where to put the Parameters that are not yet initialized (default: cpu).
        allow_missing : bool, default False
            Leave Parameters missing from the file as they are instead of raising.
        ignore_extra : bool, default False
            Skip names in the file that the Block does not have instead of raising.
        cast_dtype : bool, default False
            Cast when the file's dtype differs from the Parameter's.
        dtype_source : {'current', 'saved'}, default 'current'
            With ``cast_dtype``: which dtype wins.
        """
        loaded = nd.load(filename)
        params = self._collect_params_with_prefix()
        if not loaded and not params:
            return
        if not isinstance(loaded, dict):
            raise MXNetError(f"'{filename}' holds a list of arrays, not named parameters; it was not "
                             "written by save_parameters.")
        if not any("." in key for key in loaded):
            # A file of full names (save_params, Module, export): load through the ParameterDict.
            del loaded
            self.collect_params().load(filename, ctx, allow_missing, ignore_extra, self.prefix,
                                       cast_dtype=cast_dtype, dtype_source=dtype_source)
            return
        if not allow_missing:
            for name in params:
                if name not in loaded:
                    raise GluonAssertionError(
                        f"Parameter '{name}' is missing in file '{filename}', which contains "
                        f"parameters: {_brief(loaded)}. Set allow_missing=True to ignore missing "
                        "parameters.")
        for name in loaded:
            if name not in params:
                if not ignore_extra:
                    raise GluonAssertionError(
                        f"Parameter '{name}' loaded from file '{filename}' is not present in the "
                        f"Block, which contains parameters {_brief(params)}. Set ignore_extra=True "
                        "to ignore.")
        # Check every array before loading any: a refused file leaves the Block as it was.
        matched = [name for name in loaded if name in params]
        for name in matched:
            params[name]._check_load(loaded[name], cast_dtype, dtype_source)
        for name in matched:
            params[name]._load_init(loaded[name], ctx, cast_dtype=cast_dtype,
                                    dtype_source=dtype_source)

    def load_params(self, filename, ctx=None, allow_missing=False, ignore_extra=False):
        """Deprecated spelling of `load_parameters`."""
        warnings.warn("load_params is deprecated. Please use load_parameters.", stacklevel=2)
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)

    def register_child(self, block, name=None):
        """Register a child Block (attributes do this on their own); default name: its index."""
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook):
        """``hook(block, inputs)`` runs before each forward; returns a `HookHandle`."""
        handle = HookHandle()
        handle.attach(self._forward_pre_hooks, hook)
        return handle

    def register_forward_hook(self, hook):
        """``hook(block, inputs, outputs)`` runs after each forward; returns a `HookHandle`."""
        handle = HookHandle()
        handle.attach(self._forward_hooks, hook)
        return handle

    def apply(self, fn):
        """Call ``fn(block)`` on every child (recursively), then on this Block; returns self."""
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    def initialize(self, init=initializer.Uniform(), ctx=None, verbose=False, force_reinit=False):
        """Initialize this Block's and its children's Parameters (see ParameterDict.initialize)."""
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def hybridize(self, active=True, **kwargs):
        """Hybridize the HybridBlocks among the children (a plain Block itself runs imperatively)."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype):
        """Cast every Parameter (this Block's and its children's) to ``dtype``."""
        for child in self._children.values():
            child.cast(dtype)
        for _, param in self.params.items():
            param.cast(dtype)

    def zero_grad(self):
        """Set every gradient buffer to 0 (same as ``collect_params().zero_grad()``)."""
        self.collect_params().zero_grad()

    def reset_ctx(self, ctx):
        """Move every Parameter to ``ctx``."""
        self.collect_params().reset_ctx(ctx)

    def __call__(self, *args):
        for hook in list(self._forward_pre_hooks.values()):
            hook(self, args)
        out = self.forward(*args)
        for hook in list(self._forward_hooks.values()):
            hook(self, args, out)
        return out

    def forward(self, *args):
        """The computation; subclasses override it (with NDArrays in, NDArrays out)."""
        raise NotImplementedError(f"{self.__class__.__name__} must define forward()")

    def summary(self, *inputs):
        """Print a table of the layers run by ``self(*inputs)``, their output shapes and sizes."""
        from .summary import print_summary
        print_summary(self, *inputs)


def _holds_blocks(value):
    items = value.values() if isinstance(value, dict) else value
    return any(isinstance(v, Block) for v in items)


def _brief(names):
    from .parameter_dict import _brief_print_list
    return _brief_print_list(names)
