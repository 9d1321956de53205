"""2-bit gradient compression (``kv.set_gradient_compression({'type': '2bit', 'threshold': t})``).

Steps for one pushed gradient ``g`` of a key, on the side that sends it:

1. add the residual kept for this key (and this context): ``r = residual + g``;
2. quantize each value to one of three states: ``+t`` where ``r >= t``, ``-t`` where ``r <= -t``,
   else ``0``; the state is a 2-bit code (``0b11``, ``0b10``, ``0b00``, MXNet's codes);
3. keep the error for the next push: ``residual = r - quantized``;
4. pack 16 codes into each 32-bit word: that word array is what travels (1/16 of the bytes);
5. the receiver unpacks the codes back into ``{-t, 0, +t}`` and sums as usual.

Nothing is lost for good: what a push rounds away stays in the residual until it adds up to ``t``.

Where it applies, as in MXNet 1.9.1:

* ``'device'`` (and ``'local_allreduce_device'``): every context's value is quantized with its own
  residual before the values are summed (even when there is one context);
* ``'local'``: raises, "Gradient compression is not supported for this type of kvstore";
* ``'dist_sync'``/``'dist_device_sync'``: each worker sums its contexts uncompressed, then
  quantizes that sum; the packed words of every worker are gathered (``MPI_Allgather``) and each
  worker unpacks and adds them in rank order.

MXNet 1.9.1 knows only ``'2bit'`` (``'1bit'`` is "Unknown type for gradient compression"); its
threshold defaults to 0.5 and must be > 0; other keys of the dict are ignored. Only float32
gradients are compressed (MXNet's float16 path fails on its own type check).
"""
import numpy as np

from ..base import MXNetError

__all__ = ["TwoBitCompression", "create_compression", "quantize_2bit", "pack_2bit",
           "unpack_2bit"]

_POS, _NEG = 3, 2          # MXNet's 2-bit codes for +threshold and -threshold (0 is 0b00)
_SHIFTS = np.arange(30, -1, -2, dtype=np.uint32)     # the first value in the highest bits


def quantize_2bit(grad, residual, threshold):
    """The 2-bit codes (uint8, one per value) of ``residual + grad``; updates `residual` in place.

    Parameters
    ----------
    grad, residual : numpy.ndarray of float32, same shape
    threshold : float
    """
    np.add(residual, grad, out=residual)
    codes = (residual >= threshold).view(np.uint8) * np.uint8(_POS)
    codes |= (residual <= -threshold).view(np.uint8) << np.uint8(1)      # _NEG = 0b10
    residual -= _values(threshold)[codes]       # table lookups: far faster than masked writes
    return codes


def _values(threshold):
    """The value of each 2-bit code: ``0b00 -> 0``, ``0b10 -> -t``, ``0b11 -> +t``."""
    return np.array([0, 0, -threshold, threshold], np.float32)


def pack_2bit(codes):
    """Pack uint8 codes (any shape) into ``ceil(n / 16)`` uint32 words, 16 codes per word."""
    flat = codes.ravel()
    n = flat.size
    padded = np.zeros(-(-n // 16) * 16, np.uint32)
    padded[:n] = flat
    return (padded.reshape(-1, 16) << _SHIFTS).sum(axis=1, dtype=np.uint32)   # bits never overlap


def unpack_2bit(words, size, threshold):
    """The float32 values ``{-t, 0, +t}`` of `size` codes packed in `words` (flat)."""
    codes = ((words.reshape(-1, 1) >> _SHIFTS) & 3).ravel()[:size]
    return _values(threshold)[codes]


class TwoBitCompression:
    """Quantizes gradients to ``{-threshold, 0, +threshold}`` with error feedback (residuals).

    Parameters
    ----------
    threshold : float, default 0.5
    """

    type = "2bit"

    def __init__(self, threshold=0.5):
        self.threshold = float(threshold)
        self._residuals = {}          # (key, slot) -> float32 numpy array

    def compress(self, key, slot, grad):
        """The packed words of `grad` (a float32 numpy array) for ``(key, slot)``."""
        if grad.dtype != np.float32:
            raise MXNetError(f"gradient compression of key {key!r}: only float32 gradients are "
                             f"compressed, got {grad.dtype}; cast the parameters to float32 or "
                             "drop compression_params")
        residual = self._residuals.get((key, slot))
        if residual is None or residual.shape != grad.shape:
            residual = self._residuals[(key, slot)] = np.zeros(grad.shape, np.float32)
        return pack_2bit(quantize_2bit(grad, residual, self.threshold))

    def decompress(self, words, shape):
        """The float32 array of `shape` that `words` encode."""
        return unpack_2bit(words, int(np.prod(shape, dtype=np.int64)), self.threshold
                           ).reshape(shape)

    def roundtrip(self, key, slot, grad):
        """``decompress(compress(...))`` and the number of bytes the packed form takes."""
        words = self.compress(key, slot, grad)
        return self.decompress(words, grad.shape), words.nbytes


def create_compression(params):
    """A compressor from MXNet's ``compression_params`` dict (errors as MXNet's, with the fix)."""
    if not isinstance(params, dict):
        raise MXNetError(f"set_gradient_compression: compression_params must be a dict such as "
                         f"{{'type': '2bit', 'threshold': 0.5}}, got {params!r}")
    if "type" not in params:
        raise MXNetError("set_gradient_compression: Required parameter type of string is not "
                         "presented; pass {'type': '2bit', 'threshold': 0.5}")
    kind = str(params["type"]).lower()
    if kind != "2bit":
        raise MXNetError(f"Unknown type for gradient compression {params['type']}: MXNet 1.9.1 "
                         "(and minimx) know only '2bit'")
    try:
        threshold = float(params.get("threshold", 0.5))
    except (TypeError, ValueError) as err:
        raise MXNetError(f"set_gradient_compression: threshold must be a number, got "
                         f"{params.get('threshold')!r}") from err
    if not threshold > 0:
        raise MXNetError(f"set_gradient_compression: threshold must be greater than 0, got "
                         f"{threshold}")
    return TwoBitCompression(threshold)
