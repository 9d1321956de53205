"""Running one ``Custom`` call: the user's forward now, the user's backward on the tape.

Steps of ``run_custom(F, attrs, inputs)`` (``mx.nd.Custom`` reaches it through ``invoke``):

1. Split the inputs into arguments and auxiliary states; ask the Prop for the output shapes and
   dtypes; allocate the outputs (zeros) on the inputs' context.
2. ``create_operator`` makes the CustomOp; its ``forward`` runs on the calling thread, with
   recording paused (its own ``mx.nd`` calls are not part of the graph) and ``is_train`` set
   to autograd's training flag. NB: MXNet runs it on a separate custom-op thread once the inputs
   are ready; here the user's ``asnumpy()`` waits for them, which orders it the same way.
3. If autograd records, one tape node links the inputs to the outputs; its gradient rule calls
   the CustomOp's ``backward`` with ``req`` 'write' for the inputs that need a gradient and
   'null' for the others, zeros for the gradients of outputs nothing used.

NB: MXNet hands backward req 'add' for a ``grad_req='add'`` variable; here backward always
writes a fresh gradient and autograd adds it, which gives the same values. MXNet also leaves
``out_grad`` empty when ``need_top_grad=False``; here it holds the head gradient all the same.
"""
import numpy as np

from .. import ndarray as nd
from ..base import MXNetError
from ..context import current_context
from ..ndarray import tape
from ..ops import custom as _custom
from ..ops.gradutil import wanted as _wanted
from ..symbol.json_io import DTYPE_CODES

__all__ = ["run_custom"]


class _CustomNodeOp:
    """What the tape needs of an op (``name``, ``grad``), for one call of a CustomOp."""
    __slots__ = ("name", "grad", "op", "n_args", "ctx")

    def __init__(self, op_type, op, n_args, ctx):
        self.name = f"Custom ({op_type})"
        self.op, self.n_args, self.ctx = op, n_args, ctx
        self.grad = self._rule

    def _rule(self, F, attrs, inputs, outputs, out_grads):
        n = self.n_args
        args, aux = list(inputs[:n]), list(inputs[n:])
        wanted = _wanted.inputs
        req = ["write" if wanted is None or wanted[i] else "null" for i in range(n)]
        out_grads = [g if g is not None else F.zeros_like(o) for g, o in zip(out_grads, outputs)]
        in_grads = [F.zeros_like(x) for x in args]
        _call(self.name, "backward", self.ctx, self.op.backward, req=req, out_grad=out_grads,
              in_data=args, out_data=list(outputs), in_grad=in_grads, aux=aux)
        return [g if r != "null" else None for g, r in zip(in_grads, req)] + [None] * len(aux)


def run_custom(F, attrs, inputs):
    """Run the CustomOp of ``attrs['op_type']`` on NDArray ``inputs``; return its output(s)."""
    prop = _custom.prop_of(attrs)
    _custom.check_count(attrs, len(inputs))
    n_args = len(prop.list_arguments())
    args, aux = list(inputs[:n_args]), list(inputs[n_args:])
    in_shapes, out_shapes, _ = _custom.infer_shapes(attrs, [x.shape for x in inputs])
    for name, x, s in zip(prop.list_arguments(), args, in_shapes):
        if tuple(x.shape) != s:
            raise MXNetError(f"Custom ({attrs['op_type']}): input '{name}' has shape {x.shape} "
                             f"but infer_shape says {s}")
    _, out_dtypes, _ = _custom.infer_types(attrs, [x.dtype for x in inputs])
    ctx = inputs[0].context if inputs else current_context()
    codes = [DTYPE_CODES[np.dtype(x.dtype).name] for x in args]     # MXNet's dtype codes
    op = prop.create_operator(ctx, [list(x.shape) for x in args], codes)
    outputs = [nd.zeros(s, ctx=ctx, dtype=d) for s, d in zip(out_shapes, out_dtypes)]
    name = f"Custom ({attrs['op_type']})"
    _call(name, "forward", ctx, op.forward, is_train=int(tape.state.training),
          req=["write"] * len(outputs), in_data=args, out_data=outputs, aux=aux)
    if tape.state.recording:
        tape.record(_CustomNodeOp(attrs["op_type"], op, n_args, ctx), attrs, list(inputs), outputs)
    return outputs[0] if len(outputs) == 1 else outputs


def _call(name, method, ctx, fn, **kwargs):
    """Run user code with recording paused, in ``ctx``; its errors become MXNetErrors that name
    the op (the original error stays chained, with its traceback)."""
    prev = tape.set_recording(False)
    try:
        with ctx:
            fn(**kwargs)
    except MXNetError:
        raise
    except Exception as e:
        raise MXNetError(f"{name}: error in CustomOp.{method}: {type(e).__name__}: {e}") from e
    finally:
        tape.set_recording(prev)
