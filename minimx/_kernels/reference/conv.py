"""numpy kernels of the conv family: ``Convolution`` and ``Deconvolution``, any of 1/2/3-d.

The spec, written for clarity:

- Convolution: zero-pad the data, take every window with ``sliding_window_view`` (a view, no copy),
  keep every ``stride``-th window and every ``dilate``-th element inside it, then contract
  channels and kernel offsets against the weight with ``tensordot``, one group at a time.
- Deconvolution is the transpose: every data element scatters ``data * weight`` into the output
  at ``y * stride + k * dilate - pad``. One vectorised scatter-add per kernel offset ``k``.
- The gradients, for the autograd rules: Convolution's data gradient is the same scatter
  (``_backward_Convolution_data``); its weight gradient contracts the output gradient with the
  windows over batch and positions (``_backward_Convolution_weight``).
"""
import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["KERNELS", "geometry", "deconv_pad", "windows", "scatter"]


def geometry(attrs):
    """``(kernel, stride, dilate, pad)`` with MXNet's defaults filled in (stride 1, ...)."""
    kernel = tuple(attrs["kernel"])
    nd = len(kernel)
    return (kernel, tuple(attrs["stride"] or (1,) * nd), tuple(attrs["dilate"] or (1,) * nd),
            tuple(attrs["pad"] or (0,) * nd))


def deconv_pad(attrs, in_spatial, out_spatial):
    """The ``(pad, adj)`` a Deconvolution uses (MXNet's ``InferPad``; see ``ops/conv.py``)."""
    kernel, stride, dilate, pad = geometry(attrs)
    target = attrs["target_shape"]
    if not (target and any(target)):
        return pad, tuple(attrs["adj"] or (0,) * len(kernel))
    pads, adjs = [], []
    for i, k in enumerate(kernel):
        excess = stride[i] * (in_spatial[i] - 1) + dilate[i] * (k - 1) + 1 - target[i]
        pads.append((excess + 1) // 2)
        adjs.append(excess % 2)
    return tuple(pads), tuple(adjs)


def windows(x, kernel, stride, dilate, pad):
    """Every convolution window of ``x`` ``(N, C, *spatial)``: a view ``(N, C, *out, *kernel)``."""
    nd = len(kernel)
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilate))
    view = sliding_window_view(xp, span, axis=tuple(range(2, 2 + nd)))  # (N, C, *pos, *span)
    return view[(slice(None), slice(None))
                + tuple(slice(None, None, s) for s in stride)             # every stride-th window
                + tuple(slice(None, None, d) for d in dilate)]            # every dilate-th element


def scatter(data, weight, out, kernel, stride, dilate, pad, groups):
    """The transpose of a convolution: ``out[n, f, y*stride + k*dilate - pad] += data * weight``.

    ``data`` is ``(N, C, *in)``, ``weight`` ``(C, F / groups, *kernel)``, ``out`` ``(N, F, *out)``.
    Deconvolution's forward pass and Convolution's data gradient are both this.
    """
    in_spatial, out_spatial = data.shape[2:], out.shape[2:]
    # A buffer holding every scatter target; the output is its window at `pad`.
    full = tuple(max(s * (n - 1) + d * (k - 1) + 1, p + o) for s, n, d, k, p, o in
                 zip(stride, in_spatial, dilate, kernel, pad, out_spatial))
    buf = np.zeros(out.shape[:2] + full, dtype=np.result_type(out.dtype, np.float32))
    cg = data.shape[1] // groups
    fg = weight.shape[1]
    for g in range(groups):
        dg = data[:, g * cg:(g + 1) * cg]
        for offset in itertools.product(*(range(k) for k in kernel)):
            wk = weight[(slice(g * cg, (g + 1) * cg), slice(None)) + offset]    # (Cg, Fg)
            contrib = np.moveaxis(np.tensordot(dg, wk, axes=([1], [0])), -1, 1)  # (N, Fg, *in)
            target = (slice(None), slice(g * fg, (g + 1) * fg)) + tuple(
                slice(o * d, o * d + s * (n - 1) + 1, s)
                for o, d, s, n in zip(offset, dilate, stride, in_spatial))
            buf[target] += contrib
    out[...] = buf[(slice(None), slice(None))
                   + tuple(slice(p, p + n) for p, n in zip(pad, out_spatial))]


def convolution(ins, outs, attrs):
    data, weight = ins[0], ins[1]
    out = outs[0]
    kernel, stride, dilate, pad = geometry(attrs)
    nd = len(kernel)
    win = windows(data, kernel, stride, dilate, pad)                     # (N, C, *out, *kernel)
    groups = attrs["num_group"]
    cg = data.shape[1] // groups
    fg = weight.shape[0] // groups
    window_axes = [1] + list(range(2 + nd, 2 + 2 * nd))                  # channel + kernel offsets
    weight_axes = [1] + list(range(2, 2 + nd))
    for g in range(groups):
        res = np.tensordot(win[:, g * cg:(g + 1) * cg], weight[g * fg:(g + 1) * fg],
                           axes=(window_axes, weight_axes))               # (N, *out, Fg)
        out[:, g * fg:(g + 1) * fg] = np.moveaxis(res, -1, 1)
    if not attrs["no_bias"]:
        out += ins[2].reshape((1, -1) + (1,) * nd)


def deconvolution(ins, outs, attrs):
    data, weight = ins[0], ins[1]
    out = outs[0]
    kernel, stride, dilate, _ = geometry(attrs)
    pad, _ = deconv_pad(attrs, data.shape[2:], out.shape[2:])
    scatter(data, weight, out, kernel, stride, dilate, pad, attrs["num_group"])
    if not attrs["no_bias"]:
        out += ins[2].reshape((1, -1) + (1,) * len(kernel))


# -- gradients (for the autograd rules; attrs are the forward op's) -------------------------------
def backward_convolution_data(ins, outs, attrs):
    """``ins = (ograd, weight)``, ``outs = (data_grad,)``: the gradient of Convolution's data."""
    ograd, weight = ins
    kernel, stride, dilate, pad = geometry(attrs)
    # Convolution's weight (F, C/G, k) is exactly the scatter's (C_in, F_out/G, k) for the reverse
    # direction: every output gradient flows back along the weights it was computed with.
    scatter(ograd, weight, outs[0], kernel, stride, dilate, pad, attrs["num_group"])


def backward_convolution_weight(ins, outs, attrs):
    """``ins = (ograd, data)``, ``outs = (weight_grad,)``: the gradient of Convolution's weight.

    ``dw[f, c, k] = sum_{n, y} ograd[n, f, y] * data_pad[n, c, y * stride + k * dilate]``. With
    the roles of its inputs swapped it is also Deconvolution's weight gradient.
    """
    ograd, data = ins
    dw = outs[0]
    kernel, stride, dilate, pad = geometry(attrs)
    nd = len(kernel)
    win = windows(data, kernel, stride, dilate, pad)                      # (N, C, *out, *kernel)
    groups = attrs["num_group"]
    cg = data.shape[1] // groups
    fg = ograd.shape[1] // groups
    axes = [0] + list(range(2, 2 + nd))                                  # batch + output positions
    for g in range(groups):
        dw[g * fg:(g + 1) * fg] = np.tensordot(ograd[:, g * fg:(g + 1) * fg],
                                               win[:, g * cg:(g + 1) * cg], axes=(axes, axes))


KERNELS = {
    "Convolution": convolution,
    "Deconvolution": deconvolution,
    "_backward_Convolution_data": backward_convolution_data,
    "_backward_Convolution_weight": backward_convolution_weight,
}
