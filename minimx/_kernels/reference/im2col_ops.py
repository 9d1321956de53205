"""numpy kernels of ``im2col`` and ``col2im`` (1-d, 2-d and 3-d kernels).

im2col takes Convolution's windows (``conv.windows``: a strided view ``(N, C, *out, *kernel)``),
moves the kernel axes next to the channels and flattens them: ``(N, C * prod(kernel), prod(out))``.
col2im is the transpose: one vectorised scatter-add per kernel offset into a zero-padded image,
whose unpadded window is the result.
"""
import itertools

import numpy as np

from .conv import geometry, windows

__all__ = ["KERNELS"]


def _im2col(ins, outs, attrs):
    x = ins[0]
    kernel, stride, dilate, pad = geometry(attrs)
    nd = len(kernel)
    win = windows(x, kernel, stride, dilate, pad)                    # (N, C, *out, *kernel)
    order = (0, 1) + tuple(range(2 + nd, 2 + 2 * nd)) + tuple(range(2, 2 + nd))
    outs[0][...] = win.transpose(order).reshape(outs[0].shape)


def _col2im(ins, outs, attrs):
    cols, out = ins[0], outs[0]
    kernel, stride, dilate, pad = geometry(attrs)
    n, c = out.shape[:2]
    spatial = out.shape[2:]
    positions = tuple((s + 2 * p - d * (k - 1) - 1) // st + 1
                      for s, p, d, k, st in zip(spatial, pad, dilate, kernel, stride))
    blocks = cols.reshape((n, c) + tuple(kernel) + positions)
    # accumulate in at least float32 (float16 sums of overlaps lose too much)
    buf = np.zeros((n, c) + tuple(s + 2 * p for s, p in zip(spatial, pad)),
                   dtype=np.result_type(out.dtype, np.float32))
    for offset in itertools.product(*(range(k) for k in kernel)):
        target = (slice(None), slice(None)) + tuple(
            slice(o * d, o * d + st * (m - 1) + 1, st)
            for o, d, st, m in zip(offset, dilate, stride, positions))
        buf[target] += blocks[(slice(None), slice(None)) + offset]
    out[...] = buf[(slice(None), slice(None)) + tuple(slice(p, p + s)
                                                      for p, s in zip(pad, spatial))]


KERNELS = {"im2col": _im2col, "col2im": _col2im}
