"""``mx.operator``: operators written in Python (MXNet's ``CustomOp`` API).

>>> class Square(mx.operator.CustomOp):
...     def forward(self, is_train, req, in_data, out_data, aux):
...         self.assign(out_data[0], req[0], in_data[0] * in_data[0])
...     def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
...         self.assign(in_grad[0], req[0], 2 * in_data[0] * out_grad[0])
>>> @mx.operator.register("square")
... class SquareProp(mx.operator.CustomOpProp):
...     def create_operator(self, ctx, shapes, dtypes):
...         return Square()
>>> mx.nd.Custom(mx.nd.array([3.0]), op_type="square")   # [9.]

``prop.py`` holds the two base classes and the registry; ``runner.py`` runs one call (forward
on the calling thread, one tape node whose gradient is the user's backward); the op itself is
declared in ``minimx/ops/custom.py``.
"""
from ..ops import custom as _custom
from .prop import (CustomOp, CustomOpProp, OperatorArguments, get_all_registered_operators,
                   get_operator_arguments, register)
from .runner import run_custom

_custom.set_runner(run_custom)

__all__ = ["CustomOp", "CustomOpProp", "register", "get_all_registered_operators",
           "get_operator_arguments", "OperatorArguments"]
