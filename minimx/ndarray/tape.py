"""Autograd's recording state and tape, kept here so ``invoke`` can record without importing autograd.

``state.recording`` and ``state.training`` are per thread, as in MXNet. When recording, ``invoke``
calls ``record(op, attrs, inputs, outputs)``, which links a ``Node`` to each output; ``backward``
(in ``minimx.autograd``) walks those nodes in reverse.
"""
import threading

__all__ = ["state", "Node", "record", "is_recording", "is_training", "set_recording", "set_training"]


class _State(threading.local):
    def __init__(self):
        self.recording = False
        self.training = False


state = _State()


class Node:
    """One recorded op: what its gradient rule needs. Outputs point at it through ``_node``."""
    __slots__ = ("op", "attrs", "inputs", "outputs", "__weakref__")

    def __init__(self, op, attrs, inputs, outputs):
        self.op = op
        self.attrs = attrs
        self.inputs = inputs
        self.outputs = outputs


def record(op, attrs, inputs, outputs):
    """Link a Node to every output (only inputs that need gradients matter to backward)."""
    node = Node(op, attrs, tuple(inputs), tuple(outputs))
    for i, out in enumerate(outputs):
        out._node = (node, i)
    return node


def is_recording():
    return state.recording


def is_training():
    return state.training


def set_recording(flag):
    prev, state.recording = state.recording, bool(flag)
    return prev


def set_training(flag):
    prev, state.training = state.training, bool(flag)
    return prev
