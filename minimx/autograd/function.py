"""``mx.autograd.Function``: an op whose forward and backward the user writes in Python.

Example (MXNet's own)::

    class sigmoid(mx.autograd.Function):
        def forward(self, x):
            y = 1 / (1 + mx.nd.exp(-x))
            self.save_for_backward(y)
            return y

        def backward(self, dy):
            y, = self.saved_tensors
            return dy * y * (1 - y)

Calling an instance runs ``forward`` with recording paused, then (when recording) links one tape
node from the inputs to the outputs whose gradient rule is the user's ``backward``.
"""
from ..base import MXNetError
from ..ndarray import NDArray
from ..ndarray import tape

__all__ = ["Function"]


class _FunctionOp:
    """What the tape needs of an op, for one call of a Function."""
    __slots__ = ("name", "grad", "function")

    def __init__(self, function):
        self.name = f"{type(function).__name__} (autograd.Function)"
        self.function = function
        self.grad = self._rule

    def _rule(self, F, attrs, inputs, outputs, out_grads):
        out_grads = [g if g is not None else F.zeros_like(o) for g, o in zip(out_grads, outputs)]
        result = self.function.backward(*out_grads)
        grads = [result] if isinstance(result, NDArray) else list(result)
        if len(grads) != len(inputs):
            raise MXNetError(f"{self.name}: backward returned {len(grads)} gradients but forward "
                             f"took {len(inputs)} inputs; return one gradient per input")
        for i, (g, x) in enumerate(zip(grads, inputs)):
            if not isinstance(g, NDArray) or g.shape != x.shape:
                got = g.shape if isinstance(g, NDArray) else type(g).__name__
                raise MXNetError(f"{self.name}: backward's gradient {i} has shape {got} but input "
                                 f"{i} has shape {x.shape}")
        return grads


class Function:
    """Subclass it and write ``forward(*inputs)`` and ``backward(*output_grads)``.

    An instance is used once per forward call, as in MXNet.
    """

    def __init__(self):
        self._used = False
        self.saved_tensors = ()

    def save_for_backward(self, *args):
        """Keep arrays from ``forward`` for ``backward`` (as ``self.saved_tensors``)."""
        self.saved_tensors = args

    def __call__(self, *inputs):
        if self._used:
            raise MXNetError(f"{type(self).__name__}: each Function instance can be called once; "
                             "create a new instance for each forward")
        self._used = True
        for i, x in enumerate(inputs):
            if not isinstance(x, NDArray):
                raise MXNetError(f"{type(self).__name__}: input {i} must be an NDArray, got "
                                 f"{type(x).__name__}")
        prev = tape.set_recording(False)
        try:
            outputs = self.forward(*inputs)
        finally:
            tape.set_recording(prev)
        single = isinstance(outputs, NDArray)
        outs = [outputs] if single else list(outputs)
        if prev:
            # Outputs must be fresh arrays so the node can own them.
            tape.record(_FunctionOp(self), {}, inputs, outs)
        return outputs

    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__}.forward is not written")

    def backward(self, *output_grads):
        raise NotImplementedError(f"{type(self).__name__}.backward is not written")
