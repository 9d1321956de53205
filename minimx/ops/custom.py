"""``Custom``: the op that runs a layer written in Python (``mx.operator.CustomOp``).

MXNet lets a user write an op's forward and backward in Python (usually with numpy) and register
it under a name (``@mx.operator.register("softmax")``); ``mx.nd.Custom(x, op_type="softmax")``
and ``mx.sym.Custom(...)`` then run it. This module declares that one op and keeps the table of
registered op types. What an op type is made of lives in ``minimx/operator/`` (``CustomOpProp``
says how many inputs, outputs and auxiliary states it has and their shapes and dtypes;
``CustomOp`` computes).

Steps of ``mx.nd.Custom(*inputs, op_type=..., **kwargs)``:

1. ``parse``: every keyword argument but ``op_type`` becomes a string (MXNet passes them to the
   Prop as strings: ``scale=2`` arrives as ``'2'``), and the Prop is created with them.
2. ``invoke`` finds no kernel, so it calls the composite body, which hands over to the runner
   ``minimx/operator`` installed (``set_runner``): it runs the user's forward on the calling
   thread (user code calls ``mx.nd`` itself, which an engine worker must not wait on) and records
   one tape node whose gradient rule calls the user's backward.

Inputs are the Prop's ``list_arguments()`` followed by its ``list_auxiliary_states()``; the
auxiliary states are the inputs this op updates in place (``mutates``), which is how a graph
lists them with ``list_auxiliary_states``.
"""
import numpy as np

from ..base import MXNetError
from .opdef import REQUIRED, Domain, OpDef, Param
from .params import Str

__all__ = ["PROPS", "CustomOpDef", "set_runner", "prop_of", "check_count", "infer_shapes",
           "infer_types", "num_outputs", "output_names", "arrange_inputs", "param_shapes"]

PROPS = {}       # op_type -> CustomOpProp subclass (filled by mx.operator.register)
_RUNNER = None   # run(F, attrs, inputs), installed by minimx.operator (it needs NDArrays)


def set_runner(run):
    global _RUNNER
    _RUNNER = run


def prop_of(attrs):
    """The Prop instance a Custom node or call was created with."""
    return attrs["_prop"]


def _counts(prop):
    return len(prop.list_arguments()), len(prop.list_outputs()), len(prop.list_auxiliary_states())


def num_outputs(attrs):
    return len(prop_of(attrs).list_outputs())


def output_names(attrs):
    return list(prop_of(attrs).list_outputs())


def _user_error(attrs, method, err):
    return MXNetError(f"Custom: error in {attrs['op_type']}.{method}: {type(err).__name__}: {err}")


def _split(attrs, method, ret, n_in, n_out, n_aux):
    """Check a Prop's (inputs, outputs[, aux]) answer against its declared counts."""
    if not isinstance(ret, (list, tuple)) or len(ret) not in (2, 3):
        raise MXNetError(f"Custom: {attrs['op_type']}.{method} must return 2 or 3 lists "
                         "(inputs, outputs[, auxiliary states])")
    ins, outs = ret[0], ret[1]
    aux = ret[2] if len(ret) == 3 else []
    for what, got, want in (("input", ins, n_in), ("output", outs, n_out),
                            ("auxiliary state", aux, n_aux)):
        if len(got) != want:
            raise MXNetError(f"Custom: {attrs['op_type']}.{method} returned {len(got)} {what} "
                             f"entries but the op has {want} (see list_arguments, list_outputs, "
                             "list_auxiliary_states)")
    return list(ins), list(outs), list(aux)


def check_count(attrs, n_given):
    prop = prop_of(attrs)
    n_in, _, n_aux = _counts(prop)
    if n_given != n_in + n_aux:
        raise MXNetError(
            f"Custom: op_type '{attrs['op_type']}' expects {n_in + n_aux} inputs "
            f"({', '.join(prop.list_arguments() + prop.list_auxiliary_states())}), "
            f"got {n_given}\n  hint: pass the arguments, then the auxiliary states, by position")


def infer_shapes(attrs, in_shapes):
    """(input, output, auxiliary) shapes as tuples, from the Prop's ``infer_shape``."""
    prop = prop_of(attrs)
    n_in, n_out, n_aux = _counts(prop)
    try:
        ret = prop.infer_shape([list(s) for s in in_shapes[:n_in]])
    except MXNetError:
        raise
    except Exception as e:   # user code: name where it failed
        raise _user_error(attrs, "infer_shape", e) from e
    ins, outs, aux = _split(attrs, "infer_shape", ret, n_in, n_out, n_aux)
    as_tuple = (lambda s: tuple(int(d) for d in s))
    return [as_tuple(s) for s in ins], [as_tuple(s) for s in outs], [as_tuple(s) for s in aux]


def _shape(attrs, *in_shapes):
    check_count(attrs, len(in_shapes))
    _, outs, _ = infer_shapes(attrs, in_shapes)
    return outs[0] if len(outs) == 1 else outs


def infer_types(attrs, in_dtypes):
    """(input, output, auxiliary) dtypes as numpy types, from the Prop's ``infer_type``."""
    prop = prop_of(attrs)
    n_in, n_out, n_aux = _counts(prop)
    try:
        ret = prop.infer_type([np.dtype(d).type for d in in_dtypes[:n_in]])
    except MXNetError:
        raise
    except Exception as e:
        raise _user_error(attrs, "infer_type", e) from e
    ins, outs, aux = _split(attrs, "infer_type", ret, n_in, n_out, n_aux)
    return ([np.dtype(t).type for t in ins], [np.dtype(t).type for t in outs],
            [np.dtype(t).type for t in aux])


def _dtype(attrs, *in_dtypes):
    check_count(attrs, len(in_dtypes))
    _, outs, _ = infer_types(attrs, in_dtypes)
    return outs[0] if len(outs) == 1 else outs


def _aux_inputs(attrs, n_inputs):
    n_in, _, n_aux = _counts(prop_of(attrs))
    return tuple(range(n_in, n_in + n_aux))


def param_shapes(attrs, data_shape):
    """Shapes of the other inputs the Prop infers from the first one (``label`` from ``data``):
    ``{input index: shape}``, for a graph's ``infer_shape``."""
    n_in, _, n_aux = _counts(prop_of(attrs))
    try:
        ins, _, aux = infer_shapes(attrs, [data_shape] + [()] * (n_in - 1))
    except MXNetError:
        return {}
    return {i: s for i, s in enumerate(ins + aux) if i and s and all(d > 0 for d in s)}


def arrange_inputs(attrs, positional, keyed):
    """A Custom symbol's inputs in the Prop's order: ``positional`` first, then ``keyed`` (name ->
    symbol) by the names of ``list_arguments() + list_auxiliary_states()``; None where missing
    (a graph makes a variable ``<node>_<name>`` there, as MXNet does). Returns (inputs, names)."""
    prop = prop_of(attrs)
    names = list(prop.list_arguments()) + list(prop.list_auxiliary_states())
    unknown = [k for k in keyed if k not in names]
    if unknown or len(positional) > len(names):
        raise MXNetError(f"Custom: op_type '{attrs['op_type']}' takes inputs {names}, got "
                         f"{len(positional)} by position and {sorted(keyed)} by name")
    inputs = list(positional) + [None] * (len(names) - len(positional))
    for i, n in enumerate(names):
        if n in keyed:
            if inputs[i] is not None:
                raise MXNetError(f"Custom: input '{n}' given twice")
            inputs[i] = keyed[n]
    return inputs, names


class CustomOpDef(OpDef):
    """The ``Custom`` op: its parameters are whatever the registered Prop's ``__init__`` takes."""

    def parse(self, kwargs):
        op_type = kwargs.get("op_type", REQUIRED)
        if op_type is REQUIRED or op_type is None:
            raise MXNetError("Custom: required parameter 'op_type' is missing (the name given "
                             "to @mx.operator.register)")
        prop_cls = PROPS.get(str(op_type))
        if prop_cls is None:
            raise MXNetError(f"Custom: cannot find custom operator '{op_type}'; registered: "
                             f"{sorted(PROPS)}\n  hint: decorate its CustomOpProp with "
                             f"@mx.operator.register('{op_type}')")
        attrs = {"op_type": str(op_type)}
        for k, v in kwargs.items():
            if k == "op_type" or k.startswith("__"):
                continue
            # An NDArray or a Symbol (this layer cannot import their classes): a misplaced input.
            if hasattr(v, "_chunk") or hasattr(v, "_outputs"):
                raise MXNetError(f"Custom: got an array for parameter '{k}'; pass the inputs "
                                 "of mx.nd.Custom by position")
            attrs[k] = str(v)   # as MXNet: the Prop gets every parameter as a string
        try:
            prop = prop_cls(**{k: v for k, v in attrs.items() if k != "op_type"})
        except TypeError as e:
            raise MXNetError(f"Custom: {prop_cls.__name__}(**{attrs}) failed: {e}") from None
        attrs["_prop"] = prop
        return attrs


def _compute(F, attrs, *inputs):
    # The runner is minimx/operator/runner.py's run_custom: the user's forward now, and a tape
    # node whose gradient rule calls the user's backward.
    if _RUNNER is None:
        raise MXNetError("Custom: import minimx.operator first (it runs custom ops)")
    return _RUNNER(F, attrs, inputs)


CustomOpDef(
    "Custom", inputs=("*data",), family="custom",
    params=(Param("op_type", Str, REQUIRED, "the name the CustomOpProp was registered under"),),
    shape=_shape, dtype=_dtype, compute=_compute, mutates=_aux_inputs,
    formula="outputs = CustomOp.forward(inputs) of the registered op_type",
    doc="Runs an operator written in Python (mx.operator.CustomOp) registered as op_type.",
    domain=Domain(dtypes=("float32",), attrs=[{"op_type": "custom_op"}], grad=False, ndim=(1, 2)))
