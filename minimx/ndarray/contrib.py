"""``mx.nd.contrib``: MXNet's namespace of contributed ops.

Each function is a thin, explicit wrapper over the ``_contrib_*`` op of the same name (declared in
``minimx/ops/contrib.py``), except ``boolean_mask``, written here with ``take`` (see its NB).
"""
import numpy as np

from ..base import MXNetError
from . import gen_contrib
from .creation import array
from .gen_indexing import take
from .gen_vision import CTCLoss, ctc_loss  # noqa: F401  (MXNet's _contrib_CTCLoss aliases)
from .ndarray import NDArray

__all__ = ["boolean_mask", "arange_like", "index_copy", "index_array", "div_sqrt_dim",
           "quadratic", "CTCLoss", "ctc_loss"]


def boolean_mask(data=None, index=None, axis=0, out=None, name=None, **kwargs):
    """The rows of ``data`` (along axis 0) where ``index`` is nonzero.

    ``out = data[index != 0]``

    NB: the output's shape depends on the *values* of ``index``, which no shape rule can know, so
    this call waits for ``index`` to be computed (``asnumpy``: a sync point, as in MXNet, whose
    boolean_mask has a dynamic output shape) and then calls ``take`` with the positions of its
    nonzero entries. The gradient flows through ``take``: masked-out rows get zero.

    Parameters
    ----------
    data : NDArray
        The input array.
    index : NDArray
        A 1-d mask with one entry per row of ``data``.
    axis : int, default=0
        The masked axis; MXNet 1.9.1 supports only 0.
    out : NDArray, optional
        The output array to write into.
    """
    if kwargs:
        raise MXNetError(f"boolean_mask got unexpected parameter(s) {', '.join(kwargs)}; "
                         "its parameters are: axis")
    if not isinstance(data, NDArray) or not isinstance(index, NDArray):
        raise MXNetError("boolean_mask needs NDArrays data and index")
    if int(axis) != 0:
        raise MXNetError(f"boolean_mask: axis={axis} is not supported (MXNet 1.9.1 supports only "
                         "axis=0); move the axis first with swapaxes")
    if len(index.shape) != 1 or len(data.shape) < 1 or index.shape[0] != data.shape[0]:
        raise MXNetError(f"boolean_mask: index has shape {index.shape} but must be "
                         f"({data.shape[0] if data.shape else 0},), one entry per row of data "
                         f"{data.shape}")
    picked = np.flatnonzero(index.asnumpy())          # NB: the sync point (see above)
    rows = array(picked.astype(np.int64), ctx=data.context, dtype="int64")
    return take(data, rows, axis=0, out=out, name=name)


def arange_like(data=None, start=0.0, step=1.0, repeat=1, ctx='', axis=None, out=None,
                name=None, **kwargs):
    """``start + step * (i // repeat)`` shaped like ``data`` (see ``_contrib_arange_like``)."""
    return gen_contrib._contrib_arange_like(data, start=start, step=step, repeat=repeat, ctx=ctx,
                                            axis=axis, out=out, name=name, **kwargs)


def index_copy(old_tensor=None, index_vector=None, new_tensor=None, out=None, name=None,
               **kwargs):
    """``old_tensor`` with rows ``index_vector[i]`` replaced by ``new_tensor[i]``
    (see ``_contrib_index_copy``)."""
    return gen_contrib._contrib_index_copy(old_tensor, index_vector, new_tensor, out=out,
                                           name=name, **kwargs)


def index_array(data=None, axes=None, out=None, name=None, **kwargs):
    """Each element's indices along ``axes`` (int64) (see ``_contrib_index_array``)."""
    return gen_contrib._contrib_index_array(data, axes=axes, out=out, name=name, **kwargs)


def div_sqrt_dim(data=None, out=None, name=None, **kwargs):
    """``data / sqrt(data.shape[-1])`` (see ``_contrib_div_sqrt_dim``)."""
    return gen_contrib._contrib_div_sqrt_dim(data, out=out, name=name, **kwargs)


def quadratic(data=None, a=0.0, b=0.0, c=0.0, out=None, name=None, **kwargs):
    """``a * data**2 + b * data + c`` (see ``_contrib_quadratic``)."""
    return gen_contrib._contrib_quadratic(data, a=a, b=b, c=c, out=out, name=name, **kwargs)

