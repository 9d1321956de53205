"""Autograd's recording state and tape, kept here so ``invoke`` can record without importing autograd.

``state.recording`` and ``state.training`` are per thread, as in MXNet. While recording, ``invoke``
calls ``record(op, attrs, inputs, outputs)``: a ``Node`` remembers the op, its parameters, its
inputs and its outputs, and each output points back at it through ``_node = (node, index)``.
``backward.py`` walks these nodes from the heads back to the variables.

An array takes part in differentiation if it is a variable (``attach_grad``: ``_grad_req`` is not
'null') or was computed from one while recording (it has a ``_node``). Ops on arrays that take no
part are not recorded at all: their results are constants.
"""
import threading

__all__ = ["state", "Node", "record", "needs_grad", "is_recording", "is_training", "set_recording",
           "set_training"]


class _State(threading.local):
    def __init__(self):
        self.recording = False
        self.training = False


state = _State()


class Node:
    """One recorded op: what its gradient rule needs. ``freed`` after a backward without
    ``retain_graph`` (its inputs and outputs are dropped to free memory)."""
    __slots__ = ("op", "attrs", "inputs", "outputs", "freed", "__weakref__")

    def __init__(self, op, attrs, inputs, outputs):
        self.op = op
        self.attrs = attrs
        self.inputs = inputs
        self.outputs = outputs
        self.freed = False


def needs_grad(x):
    """True if ``x`` is a variable or was computed from one while recording."""
    return x._node is not None or x._grad_req != "null"


def record(op, attrs, inputs, outputs):
    """Link a Node to every output, if any input takes part in differentiation."""
    for x in inputs:
        if x._node is not None or x._grad_req != "null":
            break
    else:
        return None
    node = Node(op, attrs, tuple(inputs), tuple(outputs))
    for i, out in enumerate(outputs):
        out._node = (node, i)
    return node


def is_recording():
    return state.recording


def is_training():
    return state.training


def set_recording(flag):
    """Turn recording on or off for this thread; returns the previous state."""
    prev, state.recording = state.recording, bool(flag)
    return prev


def set_training(flag):
    """Turn training mode on or off for this thread; returns the previous state."""
    prev, state.training = state.training, bool(flag)
    return prev
