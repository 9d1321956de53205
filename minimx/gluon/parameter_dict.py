"""``gluon.ParameterDict``: the Parameters of a Block, by full name, with a common prefix.

``get('weight', shape=...)`` makes ``prefix + 'weight'`` the first time and returns the same
Parameter afterwards (checking that the attributes asked for agree). A dict made with ``shared``
looks there first: that is how ``Dense(..., params=other.collect_params())`` shares weights.
"""
import re
from collections import OrderedDict

import numpy as np

from .. import initializer
from .. import ndarray as nd
from ..base import MXNetError
from ..ndarray import NDArray
from .parameter import Constant, GluonAssertionError, Parameter

__all__ = ["ParameterDict"]


def _brief_print_list(names, limit=7):
    names = list(names)
    if len(names) > limit:
        return _brief_print_list(names[:limit // 2], limit) + ", ..., " + \
            _brief_print_list(names[-limit // 2:], limit)
    return ", ".join("'%s'" % str(n) for n in names)


def _indent(text, spaces):
    lines = text.split("\n")
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


class ParameterDict:
    """An ordered dict of Parameters whose names share ``prefix``.

    Parameters
    ----------
    prefix : str, default ''
        Prepended to the names given to `get`.
    shared : ParameterDict, optional
        Looked up before a new Parameter is made (parameter sharing).
    """

    def __init__(self, prefix="", shared=None):
        self._prefix = prefix
        self._params = OrderedDict()
        self._shared = shared

    def __repr__(self):
        content = "\n".join(_indent("  {0}".format(v), 2) for v in self.values())
        return "{name}(\n{content}\n)".format(name=self._prefix + " " if self._prefix else "",
                                             content=content)

    def __getitem__(self, key):
        return self._params[key]

    def __iter__(self):
        return iter(self._params)

    def __len__(self):
        return len(self._params)

    def __contains__(self, key):
        return key in self._params

    def items(self):
        return self._params.items()

    def keys(self):
        return self._params.keys()

    def values(self):
        return self._params.values()

    @property
    def prefix(self):
        """The prefix of every name made by `get`."""
        return self._prefix

    def _get_impl(self, name):
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._shared._params[name]
        return None

    def get(self, name, **kwargs):
        """The Parameter ``prefix + name``, made with ``kwargs`` if it does not exist yet.

        When it exists, each attribute in ``kwargs`` must agree with the stored one; a shape may
        fill in the stored shape's unknown (0/-1) dimensions.
        """
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            self._params[name] = param
            return param
        for k, v in kwargs.items():
            existing = getattr(param, k, None)
            if existing is None:
                setattr(param, k, v)
                continue
            if k == "shape" and v is not None and len(v) == len(existing):
                merged = []
                for want, have in zip(v, existing):
                    if want != have and want > 0 and have > 0:
                        break
                    merged.append(have if want in (0, -1) else want)
                else:
                    param._shape = tuple(merged)
                    continue
            elif k == "dtype" and v is not None and np.dtype(v) == np.dtype(existing):
                continue
            if v is not None and v != existing:
                raise GluonAssertionError(
                    f"Cannot retrieve Parameter '{name}' because desired attribute does not match "
                    f"with stored for attribute '{k}': desired '{v}' vs stored '{existing}'.")
        return param

    def get_constant(self, name, value=None):
        """The Constant ``prefix + name``, made from ``value`` if it does not exist yet."""
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise KeyError("No constant named '{}'. Please specify value if you want to create a "
                               "new constant.".format(name))
            param = Constant(name, value)
            self._params[name] = param
        elif value is not None:
            if not isinstance(param, Constant):
                raise MXNetError("Parameter '{}' already exists but it is not a constant.".format(name))
            if isinstance(value, NDArray):
                value = value.asnumpy()
            if param.shape != np.shape(value) or not (param.value.asnumpy() == value).all():
                raise MXNetError("Constant '{}' already exists but it's value doesn't match new "
                                 "value".format(name))
        return param

    def update(self, other):
        """Add the Parameters of ``other`` (a name may not map to two different Parameters)."""
        for k, v in other.items():
            if k in self._params and self._params[k] is not v:
                raise MXNetError("Cannot update self with other because they have different "
                                 "Parameters with the same name '%s'" % k)
        for k, v in other.items():
            self._params[k] = v

    def select(self, pattern):
        """A ParameterDict of the Parameters whose names match the regular expression."""
        regex = re.compile(pattern)
        ret = ParameterDict(self._prefix)
        ret._params.update((k, v) for k, v in self.items() if regex.match(k))
        return ret

    def initialize(self, init=initializer.Uniform(), ctx=None, verbose=False, force_reinit=False):
        """Initialize every Parameter (each Parameter's own ``init`` wins over ``init``)."""
        if verbose:
            init.set_verbosity(verbose=verbose)
        for _, v in self.items():
            v.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self):
        """Set every gradient buffer to 0."""
        for p in self.values():
            p.zero_grad()

    def reset_ctx(self, ctx):
        """Move every Parameter to ``ctx``."""
        for p in self.values():
            p.reset_ctx(ctx)

    def list_ctx(self):
        """The contexts any Parameter lives on."""
        out = []
        for p in self.values():
            out.extend(c for c in p.list_ctx() if c not in out)
        return out

    def setattr(self, name, value):
        """Set an attribute on every Parameter: ``collect_params().setattr('grad_req', 'add')``."""
        for p in self.values():
            setattr(p, name, value)

    def save(self, filename, strip_prefix=""):
        """Save in MXNet's format, names without ``strip_prefix``."""
        arg_dict = {}
        for param in self.values():
            weight = param._reduce()
            if not param.name.startswith(strip_prefix):
                raise MXNetError(
                    f"Prefix '{strip_prefix}' is to be striped before saving, but Parameter's name "
                    f"'{param.name}' does not start with '{strip_prefix}'. This may be due to your "
                    "Block sharing parameters from other Blocks or you forgot to use 'with "
                    "name_scope()' when creating child blocks.")
            arg_dict[param.name[len(strip_prefix):]] = weight
        nd.save(filename, arg_dict)

    def load(self, filename, ctx=None, allow_missing=False, ignore_extra=False, restore_prefix="",
             cast_dtype=False, dtype_source="current"):
        """Load a file written by `save` (or by MXNet), adding ``restore_prefix`` to its names."""
        if restore_prefix:
            for name in self.keys():
                if not name.startswith(restore_prefix):
                    raise MXNetError(f"restore_prefix is '{restore_prefix}' but Parameters name "
                                     f"'{name}' does not start with '{restore_prefix}'")
        loaded = nd.load(filename)
        if not isinstance(loaded, dict):   # MXNet: AttributeError 'list' object has no 'items'
            raise MXNetError(f"'{filename}' holds a list of arrays, not named parameters")
        self.load_dict(loaded, ctx, allow_missing, ignore_extra, restore_prefix, filename,
                       cast_dtype, dtype_source)

    def load_dict(self, param_dict, ctx=None, allow_missing=False, ignore_extra=False,
                  restore_prefix="", filename=None, cast_dtype=False, dtype_source="current"):
        """Load from a dict of name -> NDArray (``arg:``/``aux:`` prefixes are dropped)."""
        lprefix = len(restore_prefix)
        loaded = [(k[4:] if k.startswith(("arg:", "aux:")) else k, v) for k, v in param_dict.items()]
        arg_dict = {restore_prefix + k: v for k, v in loaded}
        where = "file '%s'" % filename if filename else "param_dict"
        if not allow_missing:
            for name in self.keys():
                if name not in arg_dict:
                    raise GluonAssertionError(
                        f"Parameter '{name[lprefix:]}' is missing in {where}, which contains "
                        f"parameters: {_brief_print_list(arg_dict.keys())}. Please make sure source "
                        "and target networks have the same prefix (or pass allow_missing=True).")
        for name in arg_dict:
            if name not in self._params:
                if not ignore_extra:
                    raise GluonAssertionError(
                        f"Parameter '{name[lprefix:]}' loaded from {where} is not present in "
                        f"ParameterDict, choices are: {_brief_print_list(self._params.keys())}. Set "
                        "ignore_extra to True to ignore. Please make sure source and target "
                        "networks have the same prefix.")
        # Check every array before loading any: a refused file leaves the Parameters as they were.
        matched = [name for name in arg_dict if name in self._params]
        for name in matched:
            self[name]._check_load(arg_dict[name], cast_dtype, dtype_source)
        for name in matched:
            self[name]._load_init(arg_dict[name], ctx, cast_dtype=cast_dtype,
                                  dtype_source=dtype_source)
