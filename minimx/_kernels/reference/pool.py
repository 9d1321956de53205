"""numpy kernels of the pool family: ``Pooling`` (max, avg, sum, lp) in 1-d, 2-d and 3-d.

The spec, written for clarity: pad the data (with -inf for max so padding never wins, with 0
otherwise) far enough that every output window fits, view all windows at once with
``sliding_window_view``, keep every ``stride``-th one and reduce over the window axes.

MXNet's rules kept here:

- A window that holds only padding gives the lowest finite value for max pooling (MXNet starts
  its max at ``numeric_limits::lowest()``) and 0 for average pooling without padding counted.
- Average pooling divides by the window's size counted up to the *padded* edge
  (``count_include_pad``, the default), or by the number of real elements it covers. A 'full'
  window that overhangs the padded edge does not count the overhang.
- Lp pooling is ``(sum x^p)^(1/p)`` without absolute values, for p = 1, 2, 3 (p = 3 takes the
  signed cube root).
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["KERNELS", "geometry", "divisor"]


def geometry(attrs, shape):
    """``(kernel, stride, pad)`` of a Pooling call on data of ``shape``, defaults filled in."""
    nd = len(shape) - 2
    if attrs["global_pool"]:
        return tuple(shape[2:]), (1,) * nd, (0,) * nd
    return (tuple(attrs["kernel"]), tuple(attrs["stride"] or (1,) * nd),
            tuple(attrs["pad"] or (0,) * nd))


def divisor(attrs, in_spatial, out_spatial, kernel, stride, pad):
    """The window sizes average pooling divides by, shaped ``out_spatial`` (float64)."""
    include_pad = attrs["count_include_pad"] in (None, True)
    total = np.ones((), dtype=np.float64)
    for n, o, k, s, p in zip(in_spatial, out_spatial, kernel, stride, pad):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        count = end - start if include_pad else np.minimum(end, n) - np.maximum(start, 0)
        total = np.multiply.outer(total, np.maximum(count, 0))
    return total


def pooling(ins, outs, attrs):
    data, out = ins[0], outs[0]
    nd = data.ndim - 2
    kernel, stride, pad = geometry(attrs, data.shape)
    in_spatial, out_spatial = data.shape[2:], out.shape[2:]
    pool_type = attrs["pool_type"]
    acc = np.result_type(data.dtype, np.float32)        # float16 sums in float32
    # Right padding so the last window fits ('full' and 'same' windows may overhang).
    right = [max(0, (o - 1) * s + k - n - p)
             for n, o, k, s, p in zip(in_spatial, out_spatial, kernel, stride, pad)]
    fill = -np.inf if pool_type == "max" else 0.0
    x = np.pad(data.astype(acc), [(0, 0), (0, 0)] + list(zip(pad, right)), constant_values=fill)
    windows = sliding_window_view(x, kernel, axis=tuple(range(2, 2 + nd)))
    windows = windows[(slice(None), slice(None))
                      + tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(out_spatial, stride))]
    window_axes = tuple(range(2 + nd, 2 + 2 * nd))
    if pool_type == "max":
        result = windows.max(axis=window_axes) if windows.size else np.zeros(out.shape, acc)
        result[result == -np.inf] = np.finfo(out.dtype).min
    elif pool_type == "lp":
        p = attrs["p_value"]
        result = (windows ** p).sum(axis=window_axes)
        result = {1: lambda r: r, 2: np.sqrt, 3: np.cbrt}[p](result)
    else:
        result = windows.sum(axis=window_axes)
        if pool_type == "avg":
            size = divisor(attrs, in_spatial, out_spatial, kernel, stride, pad)
            # A window of padding only, not counted, averages to 0 (as in MXNet).
            result = np.divide(result, size, out=np.zeros_like(result), where=size > 0)
    out[...] = result


def backward_pooling(ins, outs, attrs):
    """``ins = (ograd, data, out)``, ``outs = (data_grad,)``: Pooling's gradient (its attrs).

    Every output's gradient flows back to its window: all of it to the window's first maximum
    (max; MXNet routes to the first element equal to the output), ``1 / size`` of it to each
    element (avg), all of it to each element (sum), or ``(x / out) ** (p - 1)`` of it (lp).
    One vectorised scatter-add per kernel offset, into a padded buffer that is cropped at the end.
    """
    ograd, data, out = ins
    nd = data.ndim - 2
    kernel, stride, pad = geometry(attrs, data.shape)
    in_spatial, out_spatial = data.shape[2:], ograd.shape[2:]
    pool_type = attrs["pool_type"]
    acc = np.result_type(data.dtype, np.float32)
    right = [max(0, (o - 1) * s + k - n - p)
             for n, o, k, s, p in zip(in_spatial, out_spatial, kernel, stride, pad)]
    fill = -np.inf if pool_type == "max" else 0.0
    x = np.pad(data.astype(acc), [(0, 0), (0, 0)] + list(zip(pad, right)), constant_values=fill)
    buf = np.zeros(x.shape, acc)
    g = ograd.astype(acc)
    if pool_type == "max":
        win = sliding_window_view(x, kernel, axis=tuple(range(2, 2 + nd)))
        win = win[(slice(None), slice(None))
                  + tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(out_spatial, stride))]
        first_max = win.reshape(win.shape[:2 + nd] + (-1,)).argmax(axis=-1)
    elif pool_type == "avg":
        size = divisor(attrs, in_spatial, out_spatial, kernel, stride, pad)
        g = np.divide(g, size, out=np.zeros_like(g), where=size > 0)
    out = out.astype(acc)
    for flat, offset in enumerate(np.ndindex(*kernel)):
        target = (slice(None), slice(None)) + tuple(
            slice(k, k + s * (o - 1) + 1, s) for k, s, o in zip(offset, stride, out_spatial))
        if pool_type == "max":
            buf[target] += np.where(first_max == flat, g, 0)
        elif pool_type == "lp" and attrs["p_value"] > 1:
            with np.errstate(divide="ignore", invalid="ignore"):   # out == 0: NaN, as in MXNet
                buf[target] += g * (x[target] / out) ** (attrs["p_value"] - 1)
        else:
            buf[target] += g
    outs[0][...] = buf[(slice(None), slice(None))
                       + tuple(slice(p, p + n) for p, n in zip(pad, in_spatial))]


KERNELS = {
    "Pooling": pooling,
    "_backward_Pooling": backward_pooling,
}
