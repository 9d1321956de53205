"""``CTCLoss``: connectionist temporal classification, the loss of unsegmented sequence labelling."""
from .. import ndarray
from .loss_base import Loss, LossInputError, _apply_weighting

__all__ = ["CTCLoss"]


class CTCLoss(Loss):
    r"""The connectionist temporal classification loss (Graves et al., 2006).

    The negative log-probability of a label sequence summed over every alignment of it to the
    time steps of ``pred``, where an alignment may repeat labels and put blanks between them.
    The last class, ``alphabet_size - 1``, is the blank; labels are 0-based and padded with -1.

    Example: the words 'ba', 'cbb', 'abac' over the alphabet {a: 0, b: 1, c: 2, blank: 3} are the
    label ``[[1, 0, -1, -1], [2, 1, 1, -1], [0, 1, 0, 2]]`` and pred has alphabet_size 4.

    Parameters
    ----------
    layout : {'NTC', 'TNC'}, default 'NTC'
        The axes of pred: batch N, time T, classes C.
    label_layout : {'NT', 'TN'}, default 'NT'
        The axes of label. Its N is the batch_axis.
    weight : float or None, default None
        Global scalar weight.

    Inputs:
        - **pred**: unnormalised scores (no softmax taken), (batch, seq_len, alphabet_size)
          with layout 'NTC', (seq_len, batch, alphabet_size) with 'TNC'.
        - **label**: (batch, label_len) with label_layout 'NT', (label_len, batch) with 'TN'.
        - **pred_lengths**: optional (batch,), the steps of each sequence that count (default:
          all of them).
        - **label_lengths**: optional (batch,), each label's length (default: up to the first
          -1).
        - **sample_weight**: optional, broadcast against the (batch,) loss.

    Outputs:
        - **loss**: (batch,).

    NB: the forward-backward algorithm runs inside the ``CTCLoss`` op (``mx.nd.CTCLoss``, with
    ``blank_label='last'``); this layer only arranges the axes.
    """

    def __init__(self, layout="NTC", label_layout="NT", weight=None, **kwargs):
        # NB: MXNet asserts these (AssertionError); LossInputError is an MXNetError.
        if layout not in ("NTC", "TNC"):
            raise LossInputError(f"CTCLoss: layout must be 'NTC' or 'TNC', got {layout!r}")
        if label_layout not in ("NT", "TN"):
            raise LossInputError(f"CTCLoss: label_layout must be 'NT' or 'TN', got {label_layout!r}")
        self._layout = layout
        self._label_layout = label_layout
        super().__init__(weight, label_layout.find("N"), **kwargs)

    def hybrid_forward(self, F, pred, label, pred_lengths=None, label_lengths=None,
                       sample_weight=None):
        if F is ndarray:
            self._check_shapes(pred, label)
        if self._layout == "NTC":
            pred = F.swapaxes(pred, 0, 1)       # the op takes (T, N, C)
        if self._batch_axis == 1:
            label = F.swapaxes(label, 0, 1)     # ... and (N, L)
        loss = F.CTCLoss(pred, label, pred_lengths, label_lengths,
                         use_data_lengths=pred_lengths is not None,
                         use_label_lengths=label_lengths is not None, blank_label="last")
        return _apply_weighting(F, loss, self._weight, sample_weight)

    def _check_shapes(self, pred, label):
        if pred.ndim != 3 or label.ndim != 2:
            problem = f"pred must be 3-d ({self._layout}) and label 2-d ({self._label_layout})"
        elif pred.shape[self._layout.find("N")] != label.shape[self._batch_axis]:
            problem = (f"pred holds {pred.shape[self._layout.find('N')]} sequences (layout "
                       f"{self._layout}) but label {label.shape[self._batch_axis]} (label_layout "
                       f"{self._label_layout})")
        else:
            return
        raise LossInputError(f"{self.__class__.__name__} '{self.name}': pred has shape "
                             f"{pred.shape}, label {label.shape}: {problem}.")
