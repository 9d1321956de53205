"""Pooling: max, average, sum and Lp pooling over 1-d, 2-d and 3-d windows.

Output size per spatial axis, by ``pooling_convention`` (MXNet's ``pooling.cc``):

- ``valid``: ``1 + (in + 2 * pad - kernel) // stride`` (windows that fit);
- ``full``:  ``1 + ceil((in + 2 * pad - kernel) / stride)`` (one more window may overhang);
- ``same``:  ``ceil(in / stride)`` (1-d only, no padding; windows are cut at the end).

``global_pool=True`` pools each channel's whole spatial extent (ignoring kernel, stride and pad).
Average pooling divides by the window size counted up to the padded edge (``count_include_pad``,
MXNet's default) or by the number of real elements in the window.
"""
from ..base import prod
from .conv import opt_enum
from .linalg import float_dtype
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

Pooling = OpDef(
    "Pooling", inputs=("data",),
    params=(Param("kernel", Shape, (), "window size: (w,), (h, w) or (d, h, w)"),
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
                  "data layout; minimx supports NCW, NCHW and NCDHW")),
    shape=_pool_shape, dtype=float_dtype, work=_pool_work,
    domain=Domain(low=-2.0, high=2.0, attrs=_POOL_ATTRS, make_inputs=_pool_inputs,
                  rtol=1e-4, atol=1e-4),
    formula="out[n, c, y] = reduce_{k in window(y)} data_pad[n, c, y * stride + k]",
    doc="Pools each channel over sliding windows with max, average, sum or the Lp norm.",
    family="pool")
