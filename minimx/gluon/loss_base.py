"""``gluon.loss.Loss``: the base of every loss, and the two helpers all losses share.

A loss is a HybridBlock without Parameters: ``loss(pred, label[, sample_weight])`` returns one value
per sample. Every loss computes in the same three steps:

1. an elementwise loss, of ``pred``'s shape (``label`` is first reshaped to it);
2. weighting (`_apply_weighting`): multiplied by ``sample_weight`` with broadcasting, then by the
   scalar ``weight`` given at construction;
3. a reduction over every axis but ``batch_axis``: ``F.mean(loss, axis=batch_axis, exclude=True)``,
   so the result has shape (batch,).

NB: MXNet 1.9.1 does not keep to step 3 everywhere, and neither do we, since code depends on its
results: ``KLDivLoss``, ``TripletLoss`` and ``SDMLLoss`` sum instead of averaging, ``PoissonNLLLoss``
averages over everything (shape (1,)), ``CosineEmbeddingLoss`` returns (batch, 1).
"""
import inspect

from .. import ndarray
from ..base import MXNetError, numeric_types
from ..ndarray import NDArray
from ..symbol import Symbol
from .hybrid_block import HybridBlock

__all__ = ["Loss", "LossInputError", "LossTypeError"]


class LossInputError(MXNetError, ValueError):
    """A loss got inputs or options it cannot use (a label of the wrong size, an unknown layout).

    NB: MXNet raises a plain ``ValueError`` (from ``reshape``) or an ``AssertionError`` here; this
    class is also a ``ValueError`` so that ``except ValueError`` code keeps working.
    """


class LossTypeError(MXNetError, TypeError, AssertionError):
    """A loss input that is not an array (a numpy array, a list). MXNet asserts this
    (AssertionError "Argument ... must have NDArray type"); this class is also a ``TypeError``."""


def _apply_weighting(F, loss, weight=None, sample_weight=None):
    """``loss * sample_weight * weight``, as MXNet's losses weight their elementwise loss.

    Parameters
    ----------
    loss : NDArray
        The elementwise (not yet reduced) loss.
    weight : float or None
        The global scalar weight; None: 1.
    sample_weight : NDArray or None
        Broadcast against ``loss`` (numpy rules, aligned on the right): to weight each sample of a
        (64, 10) loss give shape (64, 1). NB: a (64,) weight against a (64, 1) loss broadcasts to
        (64, 64), in MXNet as here.
    """
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        if not isinstance(weight, numeric_types):
            # NB: MXNet asserts this (AssertionError "weight must be a number").
            raise LossInputError(f"weight must be a number, got {weight!r} of type "
                                 f"{type(weight).__name__}")
        loss = loss * weight
    return loss


def _reshape_like(F, x, y, owner=None, what="label"):
    """``x`` reshaped to ``y``'s shape (a label to its prediction's); sizes must agree.

    With ``F = mx.nd`` the sizes are checked here, so that the error names the loss (``owner``)
    and the input (``what``) instead of surfacing from ``reshape``.
    """
    if F is not ndarray:
        return F.reshape_like(x, y)
    if x.size != y.size:
        who = f"{owner.__class__.__name__} '{owner.name}'" if owner is not None else "loss"
        raise LossInputError(
            f"{who}: {what} has shape {x.shape} ({x.size} elements) but pred has shape {y.shape} "
            f"({y.size} elements); give one {what} value per element of pred (the same shape, or "
            "any shape with as many elements).")
    return x.reshape(y.shape)


class Loss(HybridBlock):
    """The base class of losses: holds the scalar ``weight`` and the ``batch_axis``.

    Subclasses define ``hybrid_forward(self, F, pred, label, ...)``.

    Parameters
    ----------
    weight : float or None
        Global scalar weight the elementwise loss is multiplied by; None: no weighting.
    batch_axis : int
        The axis of the samples; the result keeps only this axis.

    Examples
    --------
    >>> import minimx as mx
    >>> l2 = mx.gluon.loss.L2Loss()
    >>> l2(mx.nd.array([[1., 2.]]), mx.nd.array([[1., 4.]]))   # mean of (0, 4) / 2
    <BLANKLINE>
    [1.]
    <NDArray 1 @cpu(0)>
    """

    def __init__(self, weight, batch_axis, **kwargs):
        super().__init__(**kwargs)
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self):
        return "{name}(batch_axis={axis}, w={w})".format(
            name=self.__class__.__name__, axis=self._batch_axis, w=self._weight)

    def forward(self, pred, *args):
        """Check that every input is an array of pred's kind, then compute (`hybrid_forward`)."""
        kind = NDArray if isinstance(pred, NDArray) else Symbol
        for i, value in enumerate((pred,) + args):
            if value is None:
                continue
            if isinstance(value, kind):
                if kind is NDArray and value.context != pred.context:
                    raise MXNetError(
                        f"{self.__class__.__name__} '{self.name}': {self._input_name(i)} is on "
                        f"{value.context} but pred is on {pred.context}; move it there first "
                        "with .as_in_context(pred.context).")
                continue
            # Only now (an unusual input) look at the signature: a number is fine where the
            # default is a number (PoissonNLLLoss's epsilon), an error anywhere else.
            params = list(inspect.signature(self.hybrid_forward).parameters.values())[1:]
            param = params[i] if i < len(params) else None
            if param is not None and isinstance(param.default, numeric_types) \
                    and isinstance(value, numeric_types):
                continue
            raise LossTypeError(
                f"{self.__class__.__name__} '{self.name}': {self._input_name(i)} must be an "
                f"NDArray, got {type(value).__name__}. Convert it with mx.nd.array(...) first.")
        return super().forward(pred, *args)

    def _input_name(self, i):
        """The name of input ``i`` in ``hybrid_forward`` (0: pred), for error messages."""
        params = list(inspect.signature(self.hybrid_forward).parameters)[1:]
        return params[i] if i < len(params) else f"input {i}"

    def hybrid_forward(self, F, x, *args, **kwargs):
        """The loss of ``x`` against the other inputs; every subclass defines it."""
        raise NotImplementedError(f"{self.__class__.__name__} must define hybrid_forward()")

    def _mean_over_sample(self, F, loss):
        """Average every axis but the batch axis: (batch, ...) -> (batch,)."""
        return F.mean(loss, axis=self._batch_axis, exclude=True)
