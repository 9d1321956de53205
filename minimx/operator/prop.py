"""``CustomOp`` (computes), ``CustomOpProp`` (describes) and ``register`` (names a Prop).

A Prop answers questions about the op before any data exists: its argument, output and
auxiliary-state names, their shapes (``infer_shape``) and dtypes (``infer_type``), which values
its backward needs, and it creates the ``CustomOp`` that computes. The defaults are MXNet's:
one argument ``data``, one output ``output``, no auxiliary states, every output shaped like the
first input and typed like it.
"""
import collections

from ..base import MXNetError
from ..ops import REGISTRY, get_op
from ..ops import custom as _custom
from ..ops.opdef import REQUIRED

__all__ = ["CustomOp", "CustomOpProp", "register", "get_all_registered_operators",
           "get_operator_arguments", "OperatorArguments"]


class CustomOp:
    """The computing half of a Python operator: override ``forward`` and ``backward``.

    Both get NDArrays and write their results into the output arrays they are given (use
    ``self.assign(dst, req, src)``, which honours the request ``req``).
    """

    def __init__(self):
        pass

    def forward(self, is_train, req, in_data, out_data, aux):
        """Compute ``out_data`` from ``in_data`` (and update ``aux``).

        Parameters
        ----------
        is_train : int
            1 in training mode (``autograd.record()``, ``train_mode``), else 0 (an int, as
            MXNet passes it).
        req : list of str
            How to write each output: 'null', 'write', 'inplace' or 'add'.
        in_data, out_data, aux : list of NDArray
            Inputs, outputs to fill, auxiliary states.
        """

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        """Write the gradients of the inputs into ``in_grad`` (``req`` 'null': not wanted)."""

    def assign(self, dst, req, src):
        """Write ``src`` into ``dst`` as ``req`` says: 'null' skips, 'write'/'inplace' copy,
        'add' accumulates."""
        if req == "null":
            return
        if req in ("write", "inplace"):
            dst[:] = src
        elif req == "add":
            dst[:] += src
        else:
            raise MXNetError(f"CustomOp.assign: unknown req {req!r}; use 'null', 'write', "
                             "'inplace' or 'add'")


class CustomOpProp:
    """The describing half of a Python operator; register a subclass with ``register(name)``.

    Parameters
    ----------
    need_top_grad : bool
        Whether backward needs the gradient of the outputs (False for a loss layer, whose
        backward computes the whole gradient itself).
    """

    def __init__(self, need_top_grad=True):
        self.need_top_grad_ = need_top_grad

    def infer_shape(self, in_shape):
        """(input shapes, output shapes[, auxiliary shapes]) from the input shapes (lists)."""
        return in_shape, (in_shape[0],) * len(self.list_outputs()), ()

    def infer_type(self, in_type):
        """(input, output, auxiliary dtypes) from the input dtypes: all the first input's."""
        return (in_type, [in_type[0]] * len(self.list_outputs()),
                [in_type[0]] * len(self.list_auxiliary_states()))

    def infer_storage_type(self, in_stype):
        """Storage types: only 'default' (dense) is supported, as MXNet's default rule says."""
        for i, stype in enumerate(in_stype):
            if stype != "default":
                raise MXNetError(f"infer_storage_type: input {i} has storage type '{stype}'; the "
                                 "default rule supports only 'default'")
        return (in_stype, ["default"] * len(self.list_outputs()),
                ["default"] * len(self.list_auxiliary_states()))

    def infer_storage_type_backward(self, ograd_stype, in_stype, out_stype, igrad_stype,
                                    aux_stype):
        """Storage types of the backward pass: all 'default'."""
        lists = [ograd_stype, in_stype, out_stype, igrad_stype, aux_stype]
        return tuple(["default"] * len(lst) for lst in lists)

    def list_outputs(self):
        return ["output"]

    def list_arguments(self):
        return ["data"]

    def list_auxiliary_states(self):
        return []

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        """The ids of the values backward reads: out_grad (if ``need_top_grad``), in_data,
        out_data. NB: minimx keeps every value of a recorded call alive, so this only informs."""
        deps = list(out_grad) if self.need_top_grad_ else []
        return deps + list(in_data) + list(out_data)

    def create_operator(self, ctx, in_shapes, in_dtypes):
        """The CustomOp that computes, for inputs of these shapes (lists) and dtype codes."""
        return CustomOp()


def register(reg_name):
    """Class decorator: register a ``CustomOpProp`` subclass as ``op_type=reg_name``."""
    def do_register(prop_cls):
        _custom.PROPS[reg_name] = prop_cls
        return prop_cls
    return do_register


register("custom_op")(CustomOpProp)    # MXNet registers the base class under this name too


def get_all_registered_operators():
    """Names of every operator in the op table (aliases included), sorted."""
    return sorted(REGISTRY)


_KINDS = {"Int": "int", "Float": "float", "Bool": "boolean", "Str": "string",
          "Shape": "Shape(tuple)", "OptInt": "int or None", "OptFloat": "float or None"}
OperatorArguments = collections.namedtuple("OperatorArguments", ["narg", "names", "types"])


def get_operator_arguments(op_name):
    """(number of arguments, their names, their types) of an operator: inputs, then parameters."""
    op = get_op(op_name)
    names, types = [], []
    for n in op.inputs:
        names.append(n.lstrip("*"))
        types.append("NDArray-or-Symbol[]" if n.startswith("*") else "NDArray-or-Symbol")
    for p in op.params:
        kind = getattr(p.parse, "__name__", "value")
        kind = _KINDS.get(kind, kind.lower())
        default = int(p.default) if isinstance(p.default, bool) else p.default   # MXNet: 0 / 1
        names.append(p.name)
        types.append(f"{kind}, required" if p.default is REQUIRED
                     else f"{kind}, optional, default={default}")
    return OperatorArguments(len(names), names, types)
