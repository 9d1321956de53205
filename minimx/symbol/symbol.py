"""``mx.sym.Symbol``: a dataflow graph, built by calling ops on symbols instead of arrays.

A graph is made of nodes. A *variable* node (``mx.sym.var('data')``) stands for an input or a
parameter; an *op* node applies one op of the table (the same table ``mx.nd`` uses) to the outputs
of earlier nodes. A Symbol is a list of node outputs, ``(node, index)``: usually one (the last op),
several for ``Group`` or a multi-output op.

Nothing runs when a graph is built. ``infer_shape`` walks it with each op's shape rule,
``eval``/``bind`` run it with NDArrays (``executor.py``), ``tojson`` writes MXNet's JSON
(``json_io.py``), and ``HybridBlock.hybridize`` builds one by calling ``hybrid_forward`` with
``F = mx.sym``.
"""
import threading

from .. import attribute as _attribute
from .. import name as _name
from ..base import MXNetError, numeric_types
from ..ops import custom as _custom
from ..ops import get_op
from .node import Node, _aux_inputs, topo_order
from .outputs import output_names

__all__ = ["Symbol", "Node", "var", "Variable", "Group", "make_symbol"]


class _NullType:
    """The default of every parameter of an ``mx.sym`` function: "not given" (MXNet's ``_Null``)."""

    def __repr__(self):
        return "_Null"


_Null = _NullType()


def given(pairs, kwargs):
    """The parameters actually passed: those not left at ``_Null``, plus ``kwargs``."""
    attrs = {k: v for k, v in pairs if v is not _Null}
    attrs.update(kwargs)
    return attrs


_HINTS = {"elemwise_add": "_plus", "elemwise_sub": "_minus", "elemwise_mul": "_mul",
          "elemwise_div": "_div"}


_BROADCAST = {"elemwise_add": "broadcast_add", "elemwise_sub": "broadcast_sub",
              "elemwise_mul": "broadcast_mul", "elemwise_div": "broadcast_div",
              "_power": "broadcast_power", "_maximum": "broadcast_maximum",
              "_minimum": "broadcast_minimum", "_mod": "broadcast_mod", "_equal": "broadcast_equal",
              "_not_equal": "broadcast_not_equal", "_greater": "broadcast_greater",
              "_greater_equal": "broadcast_greater_equal", "_lesser": "broadcast_lesser",
              "_lesser_equal": "broadcast_lesser_equal"}
TRACING = threading.local()    # .oracle: symbol -> (shape, dtype), set while tracing a backward


class Symbol:
    """A list of graph outputs; build it with ``mx.sym`` ops and combine it with operators."""

    __slots__ = ("_outputs", "__weakref__")

    def __init__(self, outputs):
        self._outputs = list(outputs)

    # ---- naming and listing -------------------------------------------------------------------
    @property
    def name(self):
        """The name of the node behind the symbol's outputs: one node (a single output, or several
        outputs of one node, as ``split``'s) has a name; a group of nodes has None (as MXNet)."""
        nodes = {id(node) for node, _ in self._outputs}
        if len(nodes) != 1:
            return None
        return self._outputs[0][0].name

    def __repr__(self):
        name = self.name
        return "<Symbol group [%s]>" % ", ".join(s.name or "?" for s in self) if name is None \
            else "<Symbol %s>" % name

    def __iter__(self):
        return (Symbol([o]) for o in self._outputs)

    def __len__(self):
        return len(self._outputs)

    def __getitem__(self, index):
        if isinstance(index, str):
            names = self.list_outputs()
            matches = [i for i, n in enumerate(names) if n == index]
            if not matches:
                raise MXNetError(f"Cannot find output that matches name '{index}'; outputs are "
                                 f"{names}")
            index = matches[0]
        if isinstance(index, slice):
            return Symbol(self._outputs[index])
        if not -len(self._outputs) <= index < len(self._outputs):
            raise IndexError(f"symbol has {len(self._outputs)} outputs, index {index} is out of range")
        return Symbol([self._outputs[index]])

    def _nodes(self):
        return topo_order(self._outputs)

    def _variables(self):
        """(arguments, auxiliary states): variable nodes in graph order, split by how ops use them."""
        aux = set()
        for node in self._nodes():
            for i in _aux_inputs(node):
                if i < len(node.inputs):
                    aux.add(id(node.inputs[i][0]))
        args, auxs = [], []
        for node in self._nodes():
            if node.is_variable:
                (auxs if id(node) in aux else args).append(node)
        return args, auxs

    def list_arguments(self):
        """Names of the inputs and parameters, in graph order (auxiliary states excluded)."""
        return [n.name for n in self._variables()[0]]

    def list_auxiliary_states(self):
        """Names of the states ops update in place (BatchNorm's running mean and variance)."""
        return [n.name for n in self._variables()[1]]

    def list_inputs(self):
        """Names of all variables: arguments and auxiliary states."""
        return [n.name for n in self._nodes() if n.is_variable]

    def list_outputs(self):
        """Output names: ``<node>_output`` (or ``_output0, _output1`` ...); a variable's own name."""
        return [output_names(node)[i] for node, i in self._outputs]

    def get_internals(self):
        """A group of every output of every node (``sym.get_internals()['fc1_output']``)."""
        return Symbol([(node, i) for node in self._nodes()
                       for i in range(node.num_outputs if not node.is_variable else 1)
                       if node.is_variable or i < len(output_names(node))])

    def get_children(self):
        """The inputs of the node behind this symbol, as a group (None for a variable)."""
        node = self._outputs[0][0]
        return Symbol(node.inputs) if node.inputs else None

    def attr(self, key):
        """An attribute of the single node behind this symbol (``'__shape__'``, ``'num_hidden'``);
        ``ctx_group`` finds ``__ctx_group__`` too, as in MXNet."""
        node = self._outputs[0][0]
        for k in (key, "__%s__" % key):
            value = node.extra.get(k, node.attrs.get(k))
            if value is not None:
                return str(value)
        return None

    def list_attr(self, recursive=False):
        """The node's attributes; a ``__key__`` attribute is listed as ``key`` too (MXNet does)."""
        node = self._outputs[0][0]
        out = {k: str(v) for k, v in {**node.attrs, **node.extra}.items()}
        out.update({k[2:-2]: v for k, v in list(out.items())
                    if k.startswith("__") and k.endswith("__")})
        return out

    def __call__(self, *args, **kwargs):
        """Compose: a copy of the graph with variables replaced, ``net(data=other_symbol)``."""
        if args:
            raise MXNetError("Symbol composition takes keyword arguments (variable name = symbol)")
        for k, v in kwargs.items():
            if not isinstance(v, Symbol) or len(v) != 1:
                raise TypeError(f"compose: '{k}' must be a single-output Symbol")
        replace = {k: v._outputs[0] for k, v in kwargs.items()}
        copies = {}

        def copy(entry):
            node, i = entry
            if node.is_variable and node.name in replace:
                return replace[node.name]
            if id(node) not in copies:
                new = Node.__new__(Node)
                new.op, new.name, new.attrs, new.parsed = node.op, node.name, node.attrs, node.parsed
                new.num_outputs, new.extra = node.num_outputs, node.extra
                new.inputs = [copy(e) for e in node.inputs]
                copies[id(node)] = new
            return (copies[id(node)], i)
        return Symbol([copy(e) for e in self._outputs])

    def attr_dict(self):
        return {n.name: {k: str(v) for k, v in {**n.attrs, **n.extra}.items()}
                for n in self._nodes() if n.attrs or n.extra}

    # ---- analysis, running, files (see infer.py, executor.py, json_io.py) ----------------------
    def infer_shape(self, *args, **kwargs):
        from .infer import infer_shape
        return infer_shape(self, args, kwargs, partial=False)

    def infer_shape_partial(self, *args, **kwargs):
        from .infer import infer_shape
        return infer_shape(self, args, kwargs, partial=True)

    def infer_type(self, *args, **kwargs):
        from .infer import infer_type
        return infer_type(self, args, kwargs)

    def tojson(self, remove_amp_cast=True):
        from .json_io import tojson
        return tojson(self)

    def save(self, fname, remove_amp_cast=True):
        with open(fname, "w") as f:
            f.write(self.tojson())

    def eval(self, ctx=None, **kwargs):
        from .executor import evaluate
        return evaluate(self, ctx, kwargs)

    def bind(self, ctx, args, args_grad=None, grad_req="write", aux_states=None, group2ctx=None,
             shared_exec=None):
        from .executor import Executor
        return Executor(self, ctx, args, args_grad, grad_req, aux_states)

    def simple_bind(self, ctx, grad_req="write", type_dict=None, stype_dict=None, group2ctx=None,
                    shared_arg_names=None, shared_exec=None, shared_buffer=None, **kwargs):
        from .executor import simple_bind
        return simple_bind(self, ctx, grad_req, type_dict, kwargs)

    # ---- arithmetic: MXNet's symbol operators ---------------------------------------------------
    def _binary(self, other, sym_op, scalar_op, reflected=False):
        # Auto names follow MXNet's legacy operator names: a + b is _plus0, a * 2 is _mulscalar0.
        if isinstance(other, Symbol):
            lhs, rhs = (other, self) if reflected else (self, other)
            oracle = getattr(TRACING, "oracle", None)
            if oracle is not None and sym_op in _BROADCAST and oracle(lhs)[0] != oracle(rhs)[0]:
                # Gradient rules are written for NDArrays, whose operators broadcast.
                sym_op = _BROADCAST[sym_op]
            return make_symbol(get_op(sym_op), [lhs, rhs], {}, hint=_HINTS.get(sym_op))
        if isinstance(other, numeric_types):
            return make_symbol(get_op(scalar_op), [self], {"scalar": other},
                               hint=scalar_op.replace("_scalar", "scalar"))
        raise TypeError(f"type {type(other)} not supported")

    def __add__(self, o):
        return self._binary(o, "elemwise_add", "_plus_scalar")

    __radd__ = __add__

    def __sub__(self, o):
        return self._binary(o, "elemwise_sub", "_minus_scalar")

    def __rsub__(self, o):
        return self._binary(o, "elemwise_sub", "_rminus_scalar", reflected=True)

    def __mul__(self, o):
        return self._binary(o, "elemwise_mul", "_mul_scalar")

    __rmul__ = __mul__

    def __truediv__(self, o):
        return self._binary(o, "elemwise_div", "_div_scalar")

    def __rtruediv__(self, o):
        return self._binary(o, "elemwise_div", "_rdiv_scalar", reflected=True)

    __div__, __rdiv__ = __truediv__, __rtruediv__

    def __mod__(self, o):
        return self._binary(o, "_mod", "_mod_scalar")

    def __rmod__(self, o):
        return self._binary(o, "_mod", "_rmod_scalar", reflected=True)

    def __pow__(self, o):
        return self._binary(o, "_power", "_power_scalar")

    def __rpow__(self, o):
        return self._binary(o, "_power", "_rpower_scalar", reflected=True)

    def __neg__(self):
        return self.__mul__(-1.0)

    def __eq__(self, o):
        return self._binary(o, "_equal", "_equal_scalar")

    def __ne__(self, o):
        return self._binary(o, "_not_equal", "_not_equal_scalar")

    def __gt__(self, o):
        return self._binary(o, "_greater", "_greater_scalar")

    def __ge__(self, o):
        return self._binary(o, "_greater_equal", "_greater_equal_scalar")

    def __lt__(self, o):
        return self._binary(o, "_lesser", "_lesser_scalar")

    def __le__(self, o):
        return self._binary(o, "_lesser_equal", "_lesser_equal_scalar")

    __hash__ = object.__hash__

    def __bool__(self):
        raise MXNetError("a Symbol has no truth value: it stands for an array that does not exist "
                         "yet. Python control flow on values (if x > 0: ...) cannot be traced by "
                         "hybridize; use F.where / F.contrib.cond, or do not hybridize this block.")

    def __copy__(self):
        return Symbol(self._outputs)

    def __deepcopy__(self, memo):
        from .json_io import fromjson
        return fromjson(self.tojson())

    # Pitfalls of hybridize, explained where they happen. (While a backward graph is traced,
    # ``grad_graph.py`` installs an oracle that knows every value's shape and dtype.)
    @property
    def shape(self):
        oracle = getattr(TRACING, "oracle", None)
        if oracle is not None:
            return oracle(self)[0]
        raise MXNetError("x.shape is not available inside hybrid_forward when the block is "
                         "hybridized: a Symbol has no shape until data flows. Use shape-free ops "
                         "(F.reshape with 0/-1 codes, F.reshape_like, F.broadcast_like, F.shape_array) "
                         "or do not hybridize this block.")

    @property
    def dtype(self):
        oracle = getattr(TRACING, "oracle", None)
        if oracle is None:
            raise AttributeError("'Symbol' object has no attribute 'dtype'")
        return oracle(self)[1]

    @property
    def ndim(self):
        if getattr(TRACING, "oracle", None) is None:
            raise AttributeError("'Symbol' object has no attribute 'ndim'")
        return len(self.shape)

    @property
    def context(self):
        if getattr(TRACING, "oracle", None) is None:
            raise AttributeError("'Symbol' object has no attribute 'context'")
        return None

    def asnumpy(self):
        raise MXNetError("asnumpy() is not available on a Symbol (inside a hybridized "
                         "hybrid_forward): values do not exist while the graph is traced. Move the "
                         "numpy code out of hybrid_forward, or do not hybridize this block.")

    def __getattr__(self, name):
        # Fluent methods (x.reshape(...), x.sum(axis=1)): the op of that name with x first.
        if name.startswith("_"):
            raise AttributeError(name)
        from . import fluent
        fn = fluent.method(name)
        if fn is None:
            raise AttributeError(f"'Symbol' object has no attribute '{name}'")
        return lambda *args, **kwargs: fn(self, *args, **kwargs)


def var(name, attr=None, shape=None, lr_mult=None, wd_mult=None, dtype=None, init=None,
        stype=None, **kwargs):
    """A variable: an input or a parameter of the graph.

    Parameters
    ----------
    name : str
    shape : tuple, optional
        Known shape (``__shape__`` in the JSON); 0 marks an unknown dimension.
    dtype : str or numpy dtype, optional
    lr_mult, wd_mult : float, optional
    init : Initializer or str, optional
    """
    if not isinstance(name, str):
        raise TypeError("Expect a string for variable `name`")
    extra = _attribute.current().get(attr)
    if shape is not None:
        extra["__shape__"] = str(tuple(shape))
    if lr_mult is not None:
        extra["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        extra["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        import numpy as np
        from .json_io import DTYPE_CODES
        extra["__dtype__"] = str(DTYPE_CODES[np.dtype(dtype).name])
    if init is not None:
        extra["__init__"] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        extra["__storage_type__"] = {"default": "0", "row_sparse": "1", "csr": "2"}.get(stype, "0")
    for k, v in kwargs.items():
        if k.startswith("__") and k.endswith("__"):
            extra[k] = str(v)
        else:
            raise ValueError("Attribute name=%s is not supported. Additional attributes must start "
                             "and end with double underscores, e.g, __yourattr__" % k)
    return Symbol([(Node(None, name, extra=extra), 0)])


Variable = var


def Group(symbols):
    """One symbol whose outputs are the outputs of ``symbols``, in order."""
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise TypeError("Expected a list of symbols as input")
    return Symbol([o for s in symbols for o in s._outputs])


def _as_entry(op, arg_name, value):
    if not isinstance(value, Symbol):
        raise TypeError(f"{op.name}: input '{arg_name}' must be a Symbol, got {type(value).__name__}")
    if len(value._outputs) != 1:
        raise MXNetError(f"{op.name}: input '{arg_name}' is a group of {len(value._outputs)} "
                         "outputs; pass one output (group[i])")
    return value._outputs[0]


# Whether an optional input exists, from the op's parameters (MXNet makes a variable for it then).
_OPTIONAL_WHEN = {
    "bias": lambda a: not a.get("no_bias", False),
    "gamma": lambda a: a.get("act_type") == "prelu",
    "sequence_length": lambda a: a.get("use_sequence_length", False),
    "data_lengths": lambda a: a.get("use_data_lengths", False),
    "label_lengths": lambda a: a.get("use_label_lengths", False),
    "length": lambda a: a.get("use_length", False),
}


def make_symbol(op, inputs, attrs, name=None, input_names=None, hint=None, attr=None):
    """Apply ``op`` to symbols: a new op node (auto-named ``fullyconnected0``, as MXNet).

    ``inputs`` may hold None for inputs the caller left out: a required one gets a new variable
    ``<name>_<input>`` (``fullyconnected0_weight``), as MXNet does; an optional one is dropped.
    """
    attrs = {k: v for k, v in attrs.items() if v is not None or k in ("axis",)}
    scoped = _attribute.current().get(attr)       # mx.AttrScope: dunder keys are node attributes
    attr = {k: v for k, v in scoped.items() if k.startswith("__")}
    attrs.update({k: v for k, v in scoped.items() if not k.startswith("__")})
    name = _name.current().get(name, hint or op.name.lower())
    if op.name == "Custom":    # inputs by the Prop's names: Custom(data=x, label=y, op_type=...)
        keyed = {k: v for k, v in attrs.items() if isinstance(v, Symbol)}
        attrs = {k: v for k, v in attrs.items() if k not in keyed}
        inputs, input_names = _custom.arrange_inputs(op.parse(attrs), inputs, keyed)
    entries = []
    names = input_names or op.inputs
    parsed = None
    for i, value in enumerate(inputs):
        arg = names[i] if i < len(names) else f"arg{i}"
        if value is None:
            if arg in op.optional:
                parsed = parsed if parsed is not None else op.parse(attrs)
                if not _OPTIONAL_WHEN.get(arg, lambda a: False)(parsed):
                    continue
            value = var(f"{name}_{arg}")
        entries.append(_as_entry(op, arg, value))
    if op.key_var_num_args and op.key_var_num_args not in attrs:
        attrs[op.key_var_num_args] = len(entries)
    try:
        node = Node(op, name, attrs, entries, extra=attr)
    except MXNetError as e:
        raise MXNetError(f"{e} (building symbol '{name}')") from None
    return Symbol([(node, i) for i in range(node.num_outputs)])

