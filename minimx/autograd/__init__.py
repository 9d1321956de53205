"""``mx.autograd``: record a computation, then differentiate it (MXNet 1.x's API).

Example::

    x = mx.nd.array([1., 2., 3.])
    x.attach_grad()
    with mx.autograd.record():
        y = (x * x).sum()
    y.backward()
    x.grad            # [2. 4. 6.]
"""
from ..base import MXNetError
from ..ndarray import NDArray
from ..ndarray import tape
from ..ndarray.backward import backward as _backward
from ..ndarray.tape import is_recording, is_training, set_recording, set_training
from .function import Function

__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
           "set_recording", "set_training", "mark_variables", "backward", "grad", "Function"]


class _Scope:
    """Sets recording and training for the ``with`` block, and restores them after."""

    def __init__(self, recording, training):
        self._recording, self._training = recording, training
        self._prev = None

    def __enter__(self):
        prev_rec = tape.set_recording(self._recording) if self._recording is not None else None
        prev_train = tape.set_training(self._training) if self._training is not None else None
        self._prev = (prev_rec, prev_train)
        return self

    def __exit__(self, *exc):
        prev_rec, prev_train = self._prev
        if self._recording is not None:
            tape.set_recording(prev_rec)
        if self._training is not None:
            tape.set_training(prev_train)
        return False


def record(train_mode=True):
    """``with record():`` records the ops run inside it, in training mode unless told otherwise."""
    return _Scope(True, train_mode)


def pause(train_mode=False):
    """``with pause():`` stops recording inside a ``record()`` block (predict mode by default)."""
    return _Scope(False, train_mode)


def train_mode():
    """``with train_mode():`` runs Dropout/BatchNorm in training mode; recording is unchanged."""
    return _Scope(None, True)


def predict_mode():
    """``with predict_mode():`` runs Dropout/BatchNorm in inference mode; recording is unchanged."""
    return _Scope(None, False)


def mark_variables(variables, gradients, grad_reqs="write"):
    """Make arrays variables with the given gradient buffers (what ``attach_grad`` does)."""
    if isinstance(variables, NDArray):
        variables, gradients = [variables], [gradients]
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    if not len(variables) == len(gradients) == len(grad_reqs):
        raise MXNetError("mark_variables: variables, gradients and grad_reqs must have one entry each")
    for v, g, req in zip(variables, gradients, grad_reqs):
        if g.shape != v.shape:
            raise MXNetError(f"mark_variables: gradient of shape {g.shape} for a variable of shape {v.shape}")
        v._grad, v._grad_req, v._node = g, req, None


def _as_list(x):
    return [x] if isinstance(x, NDArray) else list(x)


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):
    """Compute the gradients of ``heads`` and write them into the variables' ``.grad``."""
    heads = _as_list(heads)
    if head_grads is not None:
        head_grads = _as_list(head_grads)
    _backward(heads, head_grads, retain_graph, train_mode)


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False, train_mode=True):
    """Return the gradients of ``heads`` with respect to ``variables`` (``.grad`` is untouched).

    With ``create_graph=True`` the gradient computation is itself recorded, so the results can be
    differentiated again (higher-order gradients).
    """
    variables = _as_list(variables)
    heads = _as_list(heads)
    if head_grads is not None:
        head_grads = _as_list(head_grads)
    if retain_graph is None:
        retain_graph = create_graph
    for v in variables:
        if v._grad_req == "null" and v._node is None:
            raise MXNetError(f"grad: the variable of shape {v.shape} did not call attach_grad() "
                             "(or mark_variables) before the computation was recorded")
    grads = _backward(heads, head_grads, retain_graph, train_mode, variables, create_graph)
    return grads   # NB: a list even for one variable, as MXNet 1.9.1 returns
