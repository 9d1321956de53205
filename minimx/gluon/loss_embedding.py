"""Metric-learning losses, which compare embeddings: ``TripletLoss``, ``CosineEmbeddingLoss``,
``SDMLLoss``."""
from .. import ndarray
from .loss_base import Loss, LossInputError, _apply_weighting, _reshape_like
from .loss_classification import KLDivLoss

__all__ = ["TripletLoss", "CosineEmbeddingLoss", "SDMLLoss"]


class TripletLoss(Loss):
    r"""Pulls ``pred`` towards a positive example and pushes it from a negative one.

    .. math::
        L = \max\big(\sum_i (positive_i - pred_i)^2 - \sum_i (negative_i - pred_i)^2
            + margin,\ 0\big)

    the sums running over every axis but batch_axis (squared Euclidean distances).

    Parameters
    ----------
    margin : float, default 1
        How much closer the positive must be than the negative.
    weight : float or None, default None
        Global scalar weight.
    batch_axis : int, default 0
        The axis of the samples.

    Inputs:
        - **pred**: anchors, (batch, ...).
        - **positive**: as many elements as pred.
        - **negative**: as many elements as pred.

    Outputs:
        - **loss**: (batch,).
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, positive, negative):
        positive = _reshape_like(F, positive, pred, self, what="positive")
        negative = _reshape_like(F, negative, pred, self, what="negative")
        gap = F.sum(F.square(positive - pred) - F.square(negative - pred),
                    axis=self._batch_axis, exclude=True)
        loss = F.relu(gap + self._margin)
        return _apply_weighting(F, loss, self._weight, None)


class CosineEmbeddingLoss(Loss):
    r"""Makes pairs labelled 1 point the same way and pairs labelled -1 apart.

    .. math::
        L = \begin{cases} 1 - \cos(input1, input2) & \text{if } label = 1 \\
                          \max(0, \cos(input1, input2) - margin) & \text{if } label = -1
            \end{cases}, \qquad
        \cos(x, y) = \frac{x \cdot y}{\max(\Vert x \Vert \Vert y \Vert, 10^{-12})}

    the cosine taken along the last axis.

    Parameters
    ----------
    weight : float or None, default None
        Global scalar weight.
    batch_axis : int, default 0
        The axis of the samples.
    margin : float, default 0
        Cosines of dissimilar pairs below this cost nothing.

    Inputs:
        - **input1**: (batch, dim).
        - **input2**: (batch, dim), compared with input1 row by row.
        - **label**: (batch,), 1 (similar) or -1 (dissimilar); other values give 0.
        - **sample_weight**: optional, broadcast against the (batch, 1) loss.

    Outputs:
        - **loss**: (batch, 1). NB: MXNet 1.9.1 keeps the trailing axis, and so do we.
    """

    def __init__(self, weight=None, batch_axis=0, margin=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, input1, input2, label, sample_weight=None):
        input1 = _reshape_like(F, input1, input2, self, what="input1")
        label = label.reshape((-1, 1))
        cos_sim = self._cosine_similarity(F, input1, input2)
        similar = (1 - cos_sim) * (label == 1)
        # max(0, .) as in MXNet (there with broadcast_maximum against a zero array)
        dissimilar = F.relu((label == -1) * (cos_sim - self._margin))
        loss = _apply_weighting(F, similar + dissimilar, self._weight, sample_weight)
        return loss

    def _cosine_similarity(self, F, x, y, axis=-1):
        """Cosine of each row pair, (batch, 1); the product of norms is kept from 0."""
        x_norm = F.norm(x, axis=axis).reshape((-1, 1))
        y_norm = F.norm(y, axis=axis).reshape((-1, 1))
        x_dot_y = F.sum(x * y, axis=axis).reshape((-1, 1))
        return x_dot_y / F.maximum(x_norm * y_norm, 1e-12)


class SDMLLoss(Loss):
    r"""Smoothed Deep Metric Learning loss (Bonadiman, Kumar and Mittal, 2019, arXiv:1905.12786).

    ``x1[i]`` and ``x2[i]`` are a positive pair; every other row of the batch serves as a negative.
    Each row of ``x1`` scores all rows of ``x2`` by negative squared distance, and the loss is the
    KL divergence of ``softmax`` of those scores from the smoothed identity: ``1 - s`` on the
    diagonal, ``s / (batch - 1)`` elsewhere:

    .. math::
        D_{ij} = \Vert x1_i - x2_j \Vert^2, \qquad
        L_i = \sum_j T_{ij} \big[\log T_{ij} - \log \text{softmax}_j(-D_{ij})\big]

    It reaches triplet loss's accuracy in fewer steps, its authors report.

    NB: as in MXNet 1.9.1, ``weight`` is stored but not applied, and the loss needs the batch
    size (x1's shape) when called.

    Parameters
    ----------
    smoothing_parameter : float, default 0.3
        The probability mass ``s`` spread over the negatives; below 1.
    weight : float, default 1.
        Global scalar weight (not applied, see above).
    batch_axis : int, default 0
        The axis of the samples.

    Inputs:
        - **x1**: (batch, dim).
        - **x2**: (batch, dim); ``x2[i]`` is the positive for ``x1[i]``.

    Outputs:
        - **loss**: (batch,).
    """

    def __init__(self, smoothing_parameter=0.3, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        # Made outside this block's name_scope, as MXNet does (so it is named kldivlossN).
        self.kl_loss = KLDivLoss(from_logits=True)
        self.smoothing_parameter = smoothing_parameter

    def _compute_distances(self, F, x1, x2):
        """Squared Euclidean distance of every row of x1 to every row of x2: (batch, batch)."""
        batch_size, dim = x1.shape
        x1_ = F.broadcast_to(F.expand_dims(x1, axis=1), shape=(batch_size, batch_size, dim))
        x2_ = F.broadcast_to(F.expand_dims(x2, axis=0), shape=(batch_size, batch_size, dim))
        return F.sum(F.square(x1_ - x2_), axis=2)

    def _compute_labels(self, F, batch_size, dtype):
        """The smoothed identity: 1 - s on the diagonal, s / (batch - 1) elsewhere."""
        gold = F.eye(batch_size, dtype=dtype)
        s = self.smoothing_parameter
        return gold * (1 - s) + (1 - gold) * s / (batch_size - 1)

    def hybrid_forward(self, F, x1, x2):
        if F is ndarray and (x1.shape != x2.shape or x1.ndim != 2):
            raise LossInputError(
                f"{self.__class__.__name__} '{self.name}': x1 and x2 must both be (batch, dim), "
                f"got {x1.shape} and {x2.shape}")
        labels = self._compute_labels(F, x1.shape[0], x1.dtype)
        log_probabilities = F.log_softmax(-self._compute_distances(F, x1, x2), axis=1)
        return self.kl_loss(log_probabilities, labels)
