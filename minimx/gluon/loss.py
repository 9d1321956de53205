"""``mx.gluon.loss``: the losses of MXNet 1.9.1's ``mxnet.gluon.loss``.

A loss is a HybridBlock called as ``loss(pred, label[, sample_weight])``; it returns one value per
sample, which ``autograd.backward`` (or ``.backward()``) turns into gradients. The base class and
the weighting rule are in ``loss_base``; the losses, by kind, in ``loss_regression``,
``loss_classification``, ``loss_embedding`` and ``loss_ctc``.

>>> import minimx as mx
>>> ce = mx.gluon.loss.SoftmaxCrossEntropyLoss()
>>> ce(mx.nd.array([[0., 0.]]), mx.nd.array([1]))      # -log(1/2)
<BLANKLINE>
[0.6931472]
<NDArray 1 @cpu(0)>
"""
# _apply_weighting and _reshape_like: MXNet's helpers, imported from here by code that writes its own losses
from .loss_base import Loss, LossInputError, _apply_weighting, _reshape_like  # noqa: F401
from .loss_classification import (HingeLoss, KLDivLoss, LogisticLoss, SigmoidBCELoss, SigmoidBinaryCrossEntropyLoss,
                                  SoftmaxCELoss, SoftmaxCrossEntropyLoss, SquaredHingeLoss)
from .loss_ctc import CTCLoss
from .loss_embedding import CosineEmbeddingLoss, SDMLLoss, TripletLoss
from .loss_regression import HuberLoss, L1Loss, L2Loss, PoissonNLLLoss

__all__ = ["Loss", "L2Loss", "L1Loss", "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss",
           "SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "KLDivLoss", "CTCLoss", "HuberLoss", "HingeLoss",
           "SquaredHingeLoss", "LogisticLoss", "TripletLoss", "PoissonNLLLoss", "CosineEmbeddingLoss",
           "SDMLLoss", "LossInputError"]

