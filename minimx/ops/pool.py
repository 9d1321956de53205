"""Pooling: max, average, sum and Lp pooling over 1-d, 2-d and 3-d windows.

Output size per spatial axis, by ``pooling_convention`` (MXNet's ``pooling.cc``):

- ``valid``: ``1 + (in + 2 * pad - kernel) // stride`` (windows that fit);
- ``full``:  ``1 + ceil((in + 2 * pad - kernel) / stride)`` (one more window may overhang);
- ``same``:  ``ceil(in / stride)`` (1-d only, no padding; windows are cut at the end).

``global_pool=True`` pools each channel's whole spatial extent (ignoring kernel, stride and pad).
Average pooling divides by the window size counted up to the padded edge (``count_include_pad``,
MXNet's default) or by the number of real elements in the window.
"""
import itertools

import numpy as np

from ..base import prod
from .conv import opt_enum
from .linalg import float_dtype
from .gradutil_linalg import call
from .opdef import Domain, OpDef, Param, fail
from .params import Bool, Enum, OptInt, Shape

__all__ = ["pool_geometry"]

_LAYOUTS = {3: "NCW", 4: "NCHW", 5: "NCDHW"}


def _opt_bool(value):
    """True, False, or None (MXNet's ``boolean or None``)."""
    if value is None or value == "None":
        return None
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if value in (0, 1):
        return bool(value)
    raise ValueError(f"expected True, False or None, got {value!r}")


def pool_geometry(attrs, data):
    """Check Pooling's parameters against the data; return ``(kernel, stride, pad, out_shape)``.

    For ``global_pool`` the kernel is the whole spatial shape, stride 1 and pad 0.
    """
    nd = len(data) - 2
    if not 1 <= nd <= 3:
        fail(f"the data must be 3-d, 4-d or 5-d (batch, channel, *spatial), got {tuple(data)}",
             "reshape the data to (batch, channel, width), (..., height, width) or "
             "(..., depth, height, width)")
    layout = attrs["layout"]
    if layout in _LAYOUTS.values() and layout != _LAYOUTS[nd + 2]:
        fail(f"layout {layout} does not fit {nd + 2}-d data",
             f"use layout={_LAYOUTS[nd + 2]!r} (or leave it out)")
    if layout not in (None, _LAYOUTS[nd + 2]):
        fail(f"layout {layout} is not supported: minimx pools channel-first data "
             f"({_LAYOUTS[nd + 2]})", "transpose the data to channel-first order")
    if attrs["pool_type"] == "lp":
        if attrs["p_value"] is None:
            fail("pool_type='lp' needs p_value", "pass p_value=1, 2 or 3")
        if attrs["p_value"] not in (1, 2, 3):
            fail(f"p_value={attrs['p_value']} is not supported: Lp pooling takes p = 1, 2 or 3 "
                 "(as in MXNet)")
    if attrs["global_pool"]:
        spatial = tuple(data[2:])
        return spatial, (1,) * nd, (0,) * nd, tuple(data[:2]) + (1,) * nd
    kernel = tuple(attrs["kernel"])
    if not kernel:
        fail("kernel is required unless global_pool=True", "pass kernel=(h, w) (for 2-d data)")
    if len(kernel) != nd:
        fail(f"a {len(kernel)}-d kernel {kernel} needs {len(kernel) + 2}-d data, got the "
             f"{len(data)}-d data {tuple(data)}", f"give a kernel of {nd} values")
    stride = tuple(attrs["stride"] or (1,) * nd)
    pad = tuple(attrs["pad"] or (0,) * nd)
    for name, value in (("stride", stride), ("pad", pad)):
        if len(value) != nd:
            fail(f"{name} {value} has {len(value)} values but kernel {kernel} has {nd}",
                 f"give {name} as a tuple of {nd} ints")
    for name, value, low in (("kernel", kernel, 1), ("stride", stride, 1), ("pad", pad, 0)):
        if min(value) < low:
            fail(f"{name} {value} must be {'positive' if low else 'non-negative'} on every axis")
    convention = attrs["pooling_convention"]
    if convention == "same":
        if nd != 1:
            fail(f"pooling_convention='same' supports 1-d pooling only, got {len(data)}-d data",
                 "use 'valid' or 'full', or pad the data yourself")
        if any(pad):
            fail("pooling_convention='same' does not take pad", "leave pad at its default")
    out = list(data[:2])
    for i in range(nd):
        size = data[2 + i] + 2 * pad[i]
        if kernel[i] > size:
            fail(f"kernel size ({kernel[i]}) exceeds input ({data[2 + i]} padded to {size}) on "
                 f"spatial axis {i}", "use a smaller kernel or more padding")
        if convention == "valid":
            out.append(1 + (size - kernel[i]) // stride[i])
        elif convention == "full":
            out.append(1 + -(-(size - kernel[i]) // stride[i]))
        else:
            out.append(-(-size // stride[i]))
    return kernel, stride, pad, tuple(out)


def _pool_shape(attrs, data):
    return pool_geometry(attrs, data)[3]


def _pool_work(attrs, in_shapes, out_shapes):
    if attrs["global_pool"]:
        return prod(in_shapes[0])
    return prod(out_shapes[0]) * prod(attrs["kernel"])


def _pool_inputs(rng, dtype, attrs):
    nd = len(attrs.get("kernel") or (2, 2))
    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4))) + tuple(
        int(v) for v in rng.integers(4, 8, size=nd))
    return [rng.uniform(-2, 2, shape).astype(dtype)]


_POOL_ATTRS = [
    {"kernel": (2, 2)},
    {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "pool_type": "avg"},
    {"kernel": (3, 2), "stride": (2, 1), "pad": (1, 0), "pool_type": "avg",
     "pooling_convention": "full", "count_include_pad": False},
    {"kernel": (2, 3), "stride": (2, 2), "pool_type": "sum", "pooling_convention": "full"},
    {"kernel": (2, 2), "pool_type": "lp", "p_value": 2},
    {"kernel": (3,), "stride": (2,), "pooling_convention": "same", "pool_type": "avg"},
    {"kernel": (2, 2, 2), "stride": (1, 2, 2), "pad": (1, 0, 1)},
    {"global_pool": True, "pool_type": "avg", "kernel": (1, 1)},
]

_POOL_PARAMS = (Param("kernel", Shape, (), "window size: (w,), (h, w) or (d, h, w)"),
    Param("pool_type", Enum("avg", "lp", "max", "sum"), "max", "the pooling function"),
    Param("global_pool", Bool, False, "pool over the whole spatial extent"),
    Param("cudnn_off", Bool, False, "turn off cuDNN (ignored by minimx)"),
    Param("pooling_convention", Enum("full", "same", "valid"), "valid",
          "how the output size is rounded (see the module docstring)"),
    Param("stride", Shape, (), "stride per spatial axis (default 1)"),
    Param("pad", Shape, (), "padding per spatial axis, both sides (default 0)"),
    Param("p_value", OptInt, None, "p of Lp pooling: 1, 2 or 3"),
    Param("count_include_pad", _opt_bool, None,
          "average pooling counts padded elements (None means True)"),
    Param("layout", opt_enum("NCDHW", "NCHW", "NCW", "NDHWC", "NHWC", "NWC"), None,
          "data layout; minimx supports NCW, NCHW and NCDHW"))


def _pool_params(attrs):
    """Pooling's parameters out of ``attrs`` (to pass on to the gradient ops)."""
    return {k: attrs[k] for k in ("kernel", "pool_type", "global_pool", "pooling_convention",
                                  "stride", "pad", "p_value", "count_include_pad")}


def _pool_grad(F, attrs, inputs, outputs, out_grads):
    """The fused ``_backward_Pooling`` kernel: every output's gradient flows back to its window."""
    g = out_grads[0]
    if g is None:
        return [None]
    return [call(F, "_backward_Pooling", g, inputs[0], outputs[0], **_pool_params(attrs))]


Pooling = OpDef(
    "Pooling", inputs=("data",), params=_POOL_PARAMS, grad=_pool_grad,
    shape=_pool_shape, dtype=float_dtype, work=_pool_work,
    domain=Domain(low=-2.0, high=2.0, attrs=_POOL_ATTRS, make_inputs=_pool_inputs,
                  rtol=1e-4, atol=1e-4),
    formula="out[n, c, y] = reduce_{k in window(y)} data_pad[n, c, y * stride + k]",
    doc="Pools each channel over sliding windows with max, average, sum or the Lp norm.",
    family="pool")


# -- the fused gradient, as an op ----------------------------------------------------------------
def _bwd_pool_shape(attrs, ograd, data, out):
    expected = pool_geometry(attrs, data)[3]
    for name, shape in (("head gradient", ograd), ("forward output", out)):
        if tuple(shape) != expected:
            fail(f"the {name} has shape {tuple(shape)} but Pooling of the data {tuple(data)} "
                 f"gives {expected}", "pass the forward's data, output and parameters")
    return tuple(data)


def _power(x, k):
    """``x ** k`` for a small int ``k >= 1``, by products (differentiable with any F)."""
    result = x
    for _ in range(k - 1):
        result = result * x
    return result


def _bwd_pool_grad(F, attrs, inputs, outputs, out_grads):
    """Second-order rule. The gradient is linear in ``ograd``: for avg, sum and L1 its transpose is
    the pooling itself, and data and output enter only through constants. For Lp (``p > 1``),
    ``dx = og * x^(p-1) / out^(p-1)`` routed to each window element: with
    ``S = sum-pool(H x^(p-1))``,
    ``d og = S / out^(p-1)``, ``d x = (p-1) x^(p-2) H route(og / out^(p-1))``,
    ``d out = (1-p) og S / out^p``. Max routes to the window's argmax: ``d og = H[argmax]``."""
    h = out_grads[0]
    if h is None:
        return [None, None, None]
    og, x, out = inputs
    params = _pool_params(attrs)
    kind, p = attrs["pool_type"], attrs["p_value"] or 1
    if kind in ("avg", "sum") or (kind == "lp" and p == 1):
        return [F.Pooling(h, **params), None, None]
    if kind == "lp":
        summed = dict(params, pool_type="sum", p_value=None)
        s = F.Pooling(h * _power(x, p - 1), **summed)
        out_p1 = _power(out, p - 1)
        routed = call(F, "_backward_Pooling", og / out_p1, x, out, **summed) * h * (p - 1.0)
        return [s / out_p1, routed if p == 2 else routed * _power(x, p - 2),
                og * s / (out_p1 * out) * (1.0 - p)]
    return [_max_routed(F, attrs, h, x, out), None, None]


def _padded(F, x, before, after, value):
    """``x`` with ``before``/``after`` elements of ``value`` around each spatial axis."""
    for i, (b, a) in enumerate(zip(before, after)):
        parts = []
        for n in (b, a):
            shape = list(x.shape)
            shape[2 + i] = n
            parts.append(F.full(tuple(shape), value, ctx=x.context, dtype=x.dtype) if n else None)
        pieces = [q for q in (parts[0], x, parts[1]) if q is not None]
        x = F.concat(*pieces, dim=2 + i) if len(pieces) > 1 else x
    return x


def _max_routed(F, attrs, h, x, out):
    """``H`` at each window's first maximum (the transpose of max pooling's routing): for each
    kernel offset, the strided slice of the padded data is compared with the output; the first
    offset that matches picks the same slice of ``H``."""
    kernel, stride, pad, _ = pool_geometry(attrs, x.shape)
    out_sp = out.shape[2:]
    right = [max(0, (o - 1) * s + k - n - p)
             for n, o, k, s, p in zip(x.shape[2:], out_sp, kernel, stride, pad)]
    xp, hp = _padded(F, x, pad, right, -np.inf), _padded(F, h, pad, right, 0.0)
    found = acc = None
    for offset in itertools.product(*(range(k) for k in kernel)):
        window = dict(begin=(None, None) + offset, step=(None, None) + tuple(stride),
                      end=(None, None) + tuple(k + s * (o - 1) + 1
                                               for k, s, o in zip(offset, stride, out_sp)))
        hit = F.broadcast_equal(F.slice(xp, **window), out)
        if found is None:
            found = hit
        else:
            hit = hit * (1.0 - found)        # only the first maximum of a window gets it
            found = found + hit
        term = hit * F.slice(hp, **window)
        acc = term if acc is None else acc + term
    return acc


def _bwd_pool_inputs(rng, dtype, attrs):
    """(ograd, data, out) with ``out`` the real Pooling of the data (positive data for Lp)."""
    from .._kernels.reference.pool import pooling   # NB: only to build consistent test inputs
    data = _pool_inputs(rng, "float64", attrs)[0]
    if attrs.get("pool_type") == "lp":
        data = np.abs(data) + 0.5
    full = Pooling.parse(attrs)
    out = np.empty(_pool_shape(full, data.shape))
    pooling([data], [out], full)
    return [rng.uniform(-1, 1, out.shape).astype(dtype), data.astype(dtype), out.astype(dtype)]


_backward_Pooling = OpDef(
    "_backward_Pooling", inputs=("ograd", "data", "output"), params=_POOL_PARAMS,
    shape=_bwd_pool_shape, dtype=float_dtype, grad=_bwd_pool_grad,
    work=lambda attrs, i, o: _pool_work(attrs, [o[0]], [i[0]]),
    domain=Domain(low=-2.0, high=2.0, rtol=1e-4, atol=1e-4, make_inputs=_bwd_pool_inputs,
                  attrs=[a for a in _POOL_ATTRS if a.get("pool_type") in ("avg", "sum")] + [
                      {"kernel": (2, 2), "pool_type": "lp", "p_value": 2},
                      {"kernel": (2, 3), "stride": (1, 2), "pool_type": "lp", "p_value": 3,
                       "pooling_convention": "full"},
                      {"kernel": (3,), "pool_type": "lp", "p_value": 1}]),
    formula="out[n, c, x] = sum_{y: x in window(y)} ograd[n, c, y] * d pool(y) / d data[x]",
    doc="Pooling's data gradient (fused): every output's gradient flows back to its window.",
    family="pool")
