"""Elementwise, scalar, broadcasting, fill, cast, copy and transpose kernels from C expressions.

Every op here is a one-line C expression over ``x`` (unary), ``a``/``b`` (binary) or ``a``/``s``
(scalar) in the element type ``T``. ``_source`` wraps an expression in a kernel; the device builds
each source once per process (``Device.kernel``). Broadcasting and transpose use one strided
kernel per number of (coalesced) dimensions: the output is contiguous, each input walks it with its
own strides, 0 along broadcast axes.

Kernels return ``NotImplemented`` for cases they do not cover (float16, integer math that MXNet
computes in float64, mixed dtypes): those go to the host fallback (``fallback.py``).
"""
import numpy as np

__all__ = ["KERNELS", "ctype", "floats", "launch_1d", "strided_index"]

_CTYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double",
           np.dtype(np.int32): "int", np.dtype(np.int64): "long", np.dtype(np.int8): "char",
           np.dtype(np.uint8): "uchar", np.dtype(np.bool_): "uchar"}
_PREAMBLE = "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n"
_GROUP = 256


def ctype(dtype):
    return _CTYPES.get(np.dtype(dtype))


def floats(dev, *arrays):
    """True when every array is float32 (or float64 on a device with fp64) of one dtype."""
    d = arrays[0].dtype
    if d != np.float32 and not (d == np.float64 and dev.fp64):
        return False
    return all(a.dtype == d for a in arrays)


def _same_exact(*arrays):
    d = arrays[0].dtype
    return d in _CTYPES and all(a.dtype == d for a in arrays)


def launch_1d(dev, kernel, n, *args):
    g = -(-n // _GROUP) * _GROUP
    return dev.launch(kernel, (g,), (_GROUP,), *args)


# -- expressions ---------------------------------------------------------------------------------
_UNARY_FLOAT = {
    "abs": "fabs(x)", "exp": "exp(x)", "expm1": "expm1(x)", "log": "log(x)", "log2": "log2(x)",
    "log10": "log10(x)", "log1p": "log1p(x)", "sqrt": "sqrt(x)", "rsqrt": "(T)1 / sqrt(x)",
    "cbrt": "cbrt(x)", "rcbrt": "(T)1 / cbrt(x)", "square": "x * x", "reciprocal": "(T)1 / x",
    "sin": "sin(x)", "cos": "cos(x)", "tan": "tan(x)", "arcsin": "asin(x)", "arccos": "acos(x)",
    "arctan": "atan(x)", "sinh": "sinh(x)", "cosh": "cosh(x)", "tanh": "tanh(x)",
    "arcsinh": "asinh(x)", "arccosh": "acosh(x)", "arctanh": "atanh(x)",
    "degrees": "(T)(180.0f / M_PI_F) * x", "radians": "(T)(M_PI_F / 180.0f) * x",
    "floor": "floor(x)", "ceil": "ceil(x)", "round": "round(x)",
    "rint": "(x - floor(x) <= ceil(x) - x) ? floor(x) : ceil(x)", "fix": "trunc(x)",
    "trunc": "trunc(x)", "sigmoid": "(T)1 / ((T)1 + exp(-x))", "softsign": "x / ((T)1 + fabs(x))",
    "erf": "erf(x)", "gamma": "tgamma(x)", "gammaln": "lgamma(x)",
}
# Exact in any element type (integers included).
_UNARY_EXACT = {
    "negative": "-x", "sign": "(T)((x > 0) - (x < 0))",
    "relu": "(x > 0 || x != x) ? x : (T)0", "logical_not": "(T)(x == 0)",
}
_BINARY_EXACT = {
    "add": "a + b", "sub": "a - b", "mul": "a * b",
    "maximum": "(a != a || a > b) ? a : b", "minimum": "(a != a || a < b) ? a : b",
    "equal": "(T)(a == b)", "not_equal": "(T)(a != b)", "greater": "(T)(a > b)",
    "greater_equal": "(T)(a >= b)", "lesser": "(T)(a < b)", "lesser_equal": "(T)(a <= b)",
    "logical_and": "(T)(a != 0 && b != 0)", "logical_or": "(T)(a != 0 || b != 0)",
    "logical_xor": "(T)((a != 0) != (b != 0))",
}
_BINARY_FLOAT = {"div": "a / b", "power": "pow(a, b)", "hypot": "hypot(a, b)"}
# scalar op -> (binary name, reflected)
_SCALAR = {
    "_plus_scalar": ("add", False), "_minus_scalar": ("sub", False),
    "_rminus_scalar": ("sub", True), "_mul_scalar": ("mul", False), "_div_scalar": ("div", False),
    "_rdiv_scalar": ("div", True), "_power_scalar": ("power", False),
    "_rpower_scalar": ("power", True), "_maximum_scalar": ("maximum", False),
    "_minimum_scalar": ("minimum", False), "_hypot_scalar": ("hypot", False),
    "_equal_scalar": ("equal", False), "_not_equal_scalar": ("not_equal", False),
    "_greater_scalar": ("greater", False), "_greater_equal_scalar": ("greater_equal", False),
    "_lesser_scalar": ("lesser", False), "_lesser_equal_scalar": ("lesser_equal", False),
    "_logical_and_scalar": ("logical_and", False), "_logical_or_scalar": ("logical_or", False),
    "_logical_xor_scalar": ("logical_xor", False),
}


def _source(name, T, params, body, To=None):
    """A 1-d kernel: ``out[oo + i] = ...`` for i < n, with ``T`` (and ``To``) defined."""
    return (f"{_PREAMBLE}#define T {T}\n#define TO {To or T}\n"
            f"__kernel void {name}(__global TO* out, long oo, {params}, long n) {{\n"
            f"  long i = get_global_id(0);\n  if (i >= n) return;\n  {body}\n}}\n")


def _unary(expr, exact):
    def kernel(ins, outs, attrs):
        x, out = ins[0], outs[0]
        dev = out.dev
        if not (_same_exact(x, out) if exact else floats(dev, x, out)):
            return NotImplemented
        T = ctype(x.dtype)
        src = _source("unary", T, "__global const T* in, long io",
                      f"T x = in[io + i]; out[oo + i] = (T)({expr});")
        launch_1d(dev, dev.kernel(src, "unary"), out.size, out.buf, np.int64(out.offset),
                  x.buf, np.int64(x.offset), np.int64(out.size))
    return kernel


def _binary_expr(name):
    return _BINARY_EXACT.get(name) or _BINARY_FLOAT[name]


def _binary_ok(dev, name, *arrays):
    return _same_exact(*arrays) if name in _BINARY_EXACT else floats(dev, *arrays)


def _scalar(name, reflected):
    expr = _binary_expr(name)
    load = "T b = in[io + i]; T a = s;" if reflected else "T a = in[io + i]; T b = s;"

    def kernel(ins, outs, attrs):
        x, out = ins[0], outs[0]
        dev = out.dev
        if not _binary_ok(dev, name, x, out):
            return NotImplemented
        T = ctype(x.dtype)
        # The scalar is cast to the element type first, as MXNet does.
        s = np.array(attrs["scalar"]).astype(x.dtype)
        src = _source("scalar", T, "__global const T* in, long io, T s",
                      f"{load} out[oo + i] = (T)({expr});")
        launch_1d(dev, dev.kernel(src, "scalar"), out.size, out.buf, np.int64(out.offset),
                  x.buf, np.int64(x.offset), s[()] if x.dtype != np.bool_ else np.uint8(s),
                  np.int64(out.size))
    return kernel


# -- strided (broadcast / transpose) ------------------------------------------------------------
def _coalesce(shape, *strides):
    """Merge neighbouring axes that every stride list walks contiguously; drop size-1 axes."""
    dims, sts = [], [[] for _ in strides]
    for k, d in enumerate(shape):
        if d == 1:
            continue
        if dims and all(st[-1] == s[k] * d for st, s in zip(sts, strides)):
            dims[-1] *= d
            for st, s in zip(sts, strides):
                st[-1] = s[k]
            continue
        dims.append(d)
        for st, s in zip(sts, strides):
            st.append(s[k])
    return dims, sts


def _contig_strides(shape):
    st, acc = [], 1
    for d in reversed(shape):
        st.append(acc)
        acc *= d
    return st[::-1]


def broadcast_strides(in_shape, out_shape):
    """Element strides of a contiguous ``in_shape`` array read as ``out_shape`` (numpy's rule)."""
    pad = (1,) * (len(out_shape) - len(in_shape)) + tuple(in_shape)
    st = _contig_strides(pad)
    return [0 if p == 1 and o != 1 else s for p, o, s in zip(pad, out_shape, st)]


def strided_index(nd, names):
    """C statements that turn the flat output index ``i`` into offsets ``o<name>`` per input
    (dims ``d0..`` and strides ``s<name>0..`` are kernel arguments, ``<name>o`` the base)."""
    lines = ["long r = i;"] + [f"long o{n} = {n}o;" for n in names]
    for k in reversed(range(nd)):
        lines.append(f"{{ long c = r % d{k}; r /= d{k}; "
                     + " ".join(f"o{n} += c * s{n}{k};" for n in names) + " }")
    return " ".join(lines)


def _strided_params(nd, names):
    return ", ".join([f"long d{k}" for k in range(nd)]
                     + [f"long s{n}{k}" for n in names for k in range(nd)])


def _strided_launch(dev, expr, T, out, inputs, strides):
    """``out = expr(inputs read with strides)``; expr names the inputs a, b, ..."""
    names = "ab"[:len(inputs)]
    dims, sts = _coalesce(out.shape, *strides)
    nd = len(dims)
    params = ", ".join(f"__global const T* p{n}, long {n}o" for n in names)
    if nd:
        params += ", " + _strided_params(nd, names)
    body = strided_index(nd, names)
    loads = " ".join(f"T {n} = p{n}[o{n}];" for n in names)
    src = _source(f"strided{nd}", T, params, f"{body} {loads} out[oo + i] = (T)({expr});")
    args = []
    for x in inputs:
        args += [x.buf, np.int64(x.offset)]
    args += [np.int64(d) for d in dims]
    for st in sts:
        args += [np.int64(s) for s in st]
    launch_1d(dev, dev.kernel(src, f"strided{nd}"), out.size, out.buf, np.int64(out.offset), *args,
              np.int64(out.size))


def _broadcast_binary(name):
    expr = _binary_expr(name)

    def kernel(ins, outs, attrs):
        a, b = ins
        out = outs[0]
        dev = out.dev
        if not _binary_ok(dev, name, a, b, out):
            return NotImplemented
        T = ctype(out.dtype)
        if a.shape == b.shape == out.shape:
            src = _source("binary", T, "__global const T* pa, long ao, __global const T* pb, long bo",
                          f"T a = pa[ao + i]; T b = pb[bo + i]; out[oo + i] = (T)({expr});")
            launch_1d(dev, dev.kernel(src, "binary"), out.size, out.buf, np.int64(out.offset),
                      a.buf, np.int64(a.offset), b.buf, np.int64(b.offset), np.int64(out.size))
            return None
        _strided_launch(dev, expr, T, out, (a, b), (broadcast_strides(a.shape, out.shape),
                                                    broadcast_strides(b.shape, out.shape)))
        return None
    return kernel


def broadcast_copy(ins, outs, attrs):
    """broadcast_to / broadcast_axis / broadcast_like: the first input read as the output shape."""
    x, out = ins[0], outs[0]
    if not _same_exact(x, out):
        return NotImplemented
    _strided_launch(out.dev, "a", ctype(x.dtype), out, (x,), (broadcast_strides(x.shape, out.shape),))
    return None


def transpose(ins, outs, attrs):
    x, out = ins[0], outs[0]
    if not _same_exact(x, out):
        return NotImplemented
    axes = attrs["axes"] or tuple(reversed(range(x.ndim)))
    st = _contig_strides(x.shape)
    _strided_launch(out.dev, "a", ctype(x.dtype), out, (x,), ([st[a % x.ndim] for a in axes],))
    return None


# -- copies, casts and fills -------------------------------------------------------------------
def copy(ins, outs, attrs):
    from .device import cl
    x, out = ins[0], outs[0]
    if x.dtype != out.dtype:
        return cast(ins, outs, attrs)
    if out.size:
        item = x.dtype.itemsize
        with out.dev.lock:
            cl.enqueue_copy(out.dev.queue, out.buf, x.buf, byte_count=out.size * item,
                            src_offset=x.offset * item, dst_offset=out.offset * item)
    return None


def cast(ins, outs, attrs):
    x, out = ins[0], outs[0]
    T, To = ctype(x.dtype), ctype(out.dtype)
    dev = out.dev
    if T is None or To is None or (not dev.fp64 and np.dtype(np.float64) in (x.dtype, out.dtype)):
        return NotImplemented
    conv = "(TO)(x != 0)" if out.dtype == np.bool_ else "(TO)x"
    src = _source("cast", T, "__global const T* in, long io", f"T x = in[io + i]; out[oo + i] = {conv};",
                  To=To)
    launch_1d(dev, dev.kernel(src, "cast"), out.size, out.buf, np.int64(out.offset), x.buf,
              np.int64(x.offset), np.int64(out.size))
    return None


def fill(out, value):
    T = ctype(out.dtype)
    dev = out.dev
    if T is None or (out.dtype == np.float64 and not dev.fp64):
        return NotImplemented
    v = np.array(value).astype(out.dtype)
    src = _source("fill", T, "T v", "out[oo + i] = v;")
    launch_1d(dev, dev.kernel(src, "fill"), out.size, out.buf, np.int64(out.offset),
              v[()] if out.dtype != np.bool_ else np.uint8(v), np.int64(out.size))
    return None


def _filler(value):
    return lambda ins, outs, attrs: fill(outs[0], attrs["value"] if value is None else value)


KERNELS = {name: _unary(e, False) for name, e in _UNARY_FLOAT.items()}
KERNELS.update({name: _unary(e, True) for name, e in _UNARY_EXACT.items()})
KERNELS.update({f"broadcast_{n}": _broadcast_binary(n) for n in list(_BINARY_EXACT) + list(_BINARY_FLOAT)})
KERNELS.update({k: _scalar(n, r) for k, (n, r) in _SCALAR.items()})
KERNELS.update({
    "broadcast_to": broadcast_copy, "broadcast_axis": broadcast_copy,
    "broadcast_like": broadcast_copy, "transpose": transpose,
    "_copy": copy, "Cast": cast, "amp_cast": cast,
    "_zeros": _filler(0), "zeros_like": _filler(0), "_ones": _filler(1), "ones_like": _filler(1),
    "_full": _filler(None),
})
