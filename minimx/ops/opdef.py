"""The op declaration record: everything about one op, in one place.

An ``OpDef`` holds an op's MXNet name and aliases, its inputs and parameters (with MXNet's defaults),
its shape and dtype rules, how it runs (a kernel name looked up in each backend's table, or a
composite body written with other ops), its gradient rule, the input domain tests draw from and a
one-line formula for its docstring. ``invoke`` (``ndarray/invoke.py``), the ``mx.nd`` wrappers, the
generated tests and the docs all read it.

A tiny example, the declaration of ``exp``::

    OpDef("exp", shape=same_shape, kernel="exp",
          grad=lambda F, attrs, ins, outs, ograds: [ograds[0] * outs[0]],
          formula="out = e^x", domain=Domain(low=-5, high=5))
"""
from ..base import MXNetError, prod

__all__ = ["OpDef", "Param", "REQUIRED", "NO_GRAD", "OpInputError", "ParamTypeError", "fail",
           "Domain", "REGISTRY",
           "get_op", "same_shape", "same_dtype", "first_dtype"]

REQUIRED = type("Required", (), {"__repr__": lambda self: "REQUIRED"})()
NO_GRAD = "no_grad"
REGISTRY = {}   # name or alias -> OpDef, filled as family modules are imported


class OpInputError(Exception):
    """Raised by shape/dtype rules; ``invoke`` adds the op name, shapes and dtypes."""

    def __init__(self, message, hint=""):
        super().__init__(message)
        self.hint = hint


class ParamTypeError(MXNetError, TypeError):
    """A parameter of the wrong type (an unknown dtype): MXNet raises TypeError there."""


def fail(message, hint=""):
    """Reject an op's inputs from inside a shape or dtype rule."""
    raise OpInputError(message, hint)


class Param:
    """One op parameter: its name, parser (``ops/params.py``), MXNet's default and a doc line."""
    __slots__ = ("name", "parse", "default", "doc", "parsed_default")

    def __init__(self, name, parse, default=REQUIRED, doc=""):
        self.name = name
        self.parse = parse
        self.default = default
        self.doc = doc
        self.parsed_default = default if default is REQUIRED or default is None else parse(default)


class Domain:
    """Where tests may draw an op's inputs from.

    ``low``/``high`` bound the values, ``dtypes`` lists the dtypes the op supports, ``away_from``
    keeps values off points where a finite-difference gradient is meaningless (``abs`` at 0), and
    ``attrs`` lists parameter sets to test. ``make_inputs(rng, dtype, attrs)`` (optional) returns the
    input numpy arrays itself, for ops whose inputs must fit together in ways a shape alone does not
    say (indices in range, a weight matching the data's channels). Without it, every input gets
    one random shape (``ndim`` axes of size 1..4), and binary ops get broadcastable shapes.
    ``grad=False`` skips finite-difference checks (integer-valued or piecewise-constant ops).
    """

    def __init__(self, low=-3.0, high=3.0, dtypes=("float32", "float64"), away_from=(),
                 integer=False, attrs=None, make_inputs=None, ndim=(1, 4), grad=True,
                 rtol=None, atol=None):
        self.low, self.high = low, high
        self.dtypes = dtypes
        self.away_from = away_from
        self.integer = integer
        self.attrs = attrs or [{}]
        self.make_inputs = make_inputs
        self.ndim = ndim
        self.grad = grad
        self.rtol, self.atol = rtol, atol


def same_shape(attrs, *shapes):
    """Shape rule of elementwise ops: the output has the input's shape (all inputs must agree)."""
    first = shapes[0]
    for s in shapes[1:]:
        if s != first:
            fail(f"inputs must have the same shape, got {', '.join(map(str, shapes))}",
                 "use the broadcast_* version of the op to combine different shapes")
    return first


def same_dtype(attrs, *dtypes):
    """Dtype rule of most ops: every input has one dtype, which the output takes."""
    first = dtypes[0]
    for d in dtypes:
        if d is not first and d != first:
            fail(f"inputs must have the same dtype, got {', '.join(str(d) for d in dtypes)}",
                 "convert one input with .astype(...) first")
    return first


def first_dtype(attrs, *dtypes):
    """Dtype rule of ops whose other inputs are indices or masks: the output takes input 0's dtype."""
    return dtypes[0]


class OpDef:
    """One op, declared once.

    Parameters
    ----------
    name : str
        MXNet's operator name (``broadcast_add``, ``FullyConnected``).
    inputs : tuple of str
        Input names in MXNet's order; ``'*data'`` marks a variable number of inputs.
    optional : tuple of str
        Inputs a caller may leave out (``bias`` with ``no_bias=True``, LeakyReLU's ``gamma``): the
        ``mx.nd`` wrapper drops them when None, and the shape rule sees fewer inputs.
    params : tuple of Param
        Parameters with MXNet's defaults.
    shape : callable(attrs, *in_shapes) -> tuple | list of tuples
        The shape rule; a tuple is one output's shape, a list gives several outputs.
        Rules reject bad input with ``fail(message, hint)``.
    dtype : callable(attrs, *in_dtypes) -> dtype | list of dtypes
        The dtype rule (default: all inputs share one dtype, the output's).
    kernel : str, optional
        Name of the kernel in every backend's table (default: the op's name when ``compute`` is not
        given).
    compute : callable(F, attrs, *inputs), optional
        A composite body written with other ops (``F`` is ``mx.nd``, or ``mx.sym`` when tracing).
    grad : callable(F, attrs, inputs, outputs, out_grads) -> list, or NO_GRAD, or None
        Gradient rule written with differentiable ops; ``NO_GRAD`` says the op has none.
    mutates : tuple of int, or callable(attrs, n_inputs) -> tuple of int
        Indices of inputs the kernel updates in place (BatchNorm's running statistics); a callable
        when they depend on the parameters (multi-weight optimizer updates).
    random : bool
        The kernel draws random numbers: it gets ``attrs['rng']`` and runs in push order.
    train_aware : bool
        The kernel gets ``attrs['is_train']`` (Dropout, BatchNorm).
    num_visible : callable(attrs) -> int, optional
        How many outputs ``mx.nd`` returns (BatchNorm computes 3, shows 1).
    work : callable(attrs, in_shapes, out_shapes) -> int, optional
        Estimated work in element-operations; tiny ops run on the pushing thread.
    domain : Domain
        Inputs for generated tests.
    formula : str
        One line for the docstring (``out = lhs + rhs``).
    doc : str
        A sentence or two for the docstring.
    family : str
        The family module the op belongs to (set by ``OpDef``'s caller through ``__module__``).
    in_place : bool, optional
        The kernel computes each output element from the input elements at the same index, so
        a graph's memory planner (``symbol/memory_plan.py``) may let its output overwrite an
        input of the same shape and dtype that dies there. Default: True for the elemwise
        family, False otherwise; ``tests/test_memory_plan.py`` runs every such kernel aliased.
    """

    def __init__(self, name, *, inputs=("data",), params=(), shape, dtype=same_dtype, kernel=None,
                 compute=None, grad=None, aliases=(), mutates=(), random=False, train_aware=False,
                 num_visible=None, work=None, domain=None, formula="", doc="", family=None,
                 key_var_num_args=None, optional=(), in_place=None):
        self.name = name
        self.inputs = tuple(inputs)
        self.variadic = bool(self.inputs) and self.inputs[0].startswith("*")
        self.params = tuple(params)
        self.param_names = tuple(p.name for p in self.params)
        self.shape = shape
        self.dtype = dtype
        self.compute = compute
        self.kernel = kernel if kernel is not None or compute is not None else name
        self.grad = grad
        self.aliases = tuple(aliases)
        self.mutates = mutates if callable(mutates) else tuple(mutates)
        self.random = random
        self.train_aware = train_aware
        self.needs_extra_attrs = random or train_aware
        self.num_visible = num_visible
        self.work = work
        self.domain = domain or Domain()
        self.formula = formula
        self.doc = doc
        self.family = family
        self.key_var_num_args = key_var_num_args
        self.optional = tuple(optional)
        self.in_place = family == "elemwise" if in_place is None else bool(in_place)
        for key in (name,) + self.aliases:
            if key in REGISTRY:
                raise ValueError(f"op {key!r} declared twice")
            REGISTRY[key] = self

    def parse(self, kwargs):
        """Check and convert keyword parameters; fill MXNet's defaults. Returns a new dict."""
        attrs = {}
        for p in self.params:
            value = kwargs.get(p.name, p.default)
            if value is p.default:
                value = p.parsed_default
                if value is REQUIRED:
                    raise MXNetError(f"{self.name}: required parameter '{p.name}' is missing "
                                     f"({p.doc or 'see help(mx.nd.' + self.name + ')'})")
            else:
                try:
                    value = p.parse(value)
                except (ValueError, TypeError, SyntaxError) as e:   # SyntaxError: '(1, 2'
                    kind = ParamTypeError if isinstance(e, TypeError) else MXNetError
                    raise kind(f"{self.name}: invalid value for parameter '{p.name}': "
                               f"{e}") from None
            attrs[p.name] = value
        if len(kwargs) > len(attrs) or any(k not in attrs for k in kwargs):
            unknown = [k for k in kwargs if k not in attrs]
            if unknown:
                raise MXNetError(f"{self.name} got unexpected parameter(s) {', '.join(unknown)}; "
                                 f"its parameters are: {', '.join(self.param_names) or 'none'}")
        return attrs

    def estimate_work(self, attrs, in_shapes, out_shapes):
        if self.work is not None:
            return self.work(attrs, in_shapes, out_shapes)
        n = 0
        for s in out_shapes:
            n += prod(s)
        return n

    def __repr__(self):
        return f"<OpDef {self.name}>"


def get_op(name):
    """The OpDef registered under an MXNet op name or alias."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise MXNetError(f"unknown operator {name!r}") from None
