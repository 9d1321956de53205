"""Elementwise, scalar, broadcasting, fill, cast, copy and transpose kernels from C expressions.

Every op here is a one-line C expression over ``x`` (unary), ``a``/``b`` (binary) or ``a``/``s``
(scalar) in the element type ``T``. ``_source`` wraps an expression in a kernel; the device builds
each source once per process (``Device.kernel``). Broadcasting and transpose use one strided
kernel for up to ``MAXD`` (coalesced) axes: the output is contiguous, each input walks it with its
own strides, 0 along broadcast axes.

Kernels return ``NotImplemented`` for cases they do not cover (float16, integer math that MXNet
computes in float64, mixed dtypes): those go to the host fallback (``fallback.py``).
"""
import numpy as np

from ..scalar_ops import SCALAR_AS_BINARY

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
_SCALAR = SCALAR_AS_BINARY      # scalar op -> (binary op, reflected)


def _source(name, T, params, body, To=None):
    """A 1-d kernel: ``out[oo + i] = ...`` for i < n, with ``T`` (and ``To``) defined."""
    return (f"{_PREAMBLE}#define T {T}\n#define TO {To or T}\n"
            f"__kernel void {name}(__global TO* out, long oo, {params}, long n) {{\n"
            f"  long i = get_global_id(0);\n  if (i >= n) return;\n  {body}\n}}\n")


def _family(dev, family, table, name, T, params, load, To=None):
    """The kernel computing ``table[name]`` (after the C statements ``load``), and the extra
    arguments it takes after ``params``.

    On a GPU each expression is its own kernel. On a CPU device (PoCL) the whole table is one
    kernel that switches on an ``op`` argument: PoCL spends ~1 s building each kernel, and the
    branch costs nothing next to the memory traffic."""
    key = (family, id(table), name, T, To)
    hit = dev.families.get(key)
    if hit is not None:     # skip rebuilding the source string on every call
        return hit
    hit = dev.families[key] = _family_build(dev, family, table, name, T, params, load, To)
    return hit


def _family_build(dev, family, table, name, T, params, load, To):
    if dev.is_cpu:
        names = sorted(table)
        cases = " ".join(f"case {j}: out[oo + i] = (TO)({table[n]}); break;"
                         for j, n in enumerate(names))
        src = _source(family, T, params + ", int op", f"{load} switch (op) {{ {cases} }}", To)
        return dev.kernel(src, family), (np.int32(names.index(name)),)
    src = _source(family, T, params, f"{load} out[oo + i] = (TO)({table[name]});", To)
    return dev.kernel(src, family), ()


def _tables(dtype, exact, full):
    """The expressions valid for ``dtype``: all of them for floats, the exact ones otherwise."""
    return full if np.dtype(dtype).kind == "f" else exact


_UNARY_ALL = {**_UNARY_FLOAT, **_UNARY_EXACT}
_BINARY_ALL = {**_BINARY_EXACT, **_BINARY_FLOAT}


def _unary(name, exact):
    def kernel(ins, outs, attrs):
        x, out = ins[0], outs[0]
        dev = out.dev
        if not (_same_exact(x, out) if exact else floats(dev, x, out)):
            return NotImplemented
        T = ctype(x.dtype)
        k, extra = _family(dev, "unary", _tables(x.dtype, _UNARY_EXACT, _UNARY_ALL), name, T,
                           "__global const T* in, long io", "T x = in[io + i];")
        launch_1d(dev, k, out.size, out.buf, np.int64(out.offset), x.buf, np.int64(x.offset),
                  *extra, np.int64(out.size))
    return kernel


def _binary_ok(dev, name, *arrays):
    return _same_exact(*arrays) if name in _BINARY_EXACT else floats(dev, *arrays)


def _scalar(name, reflected):
    load = "T b = in[io + i]; T a = s;" if reflected else "T a = in[io + i]; T b = s;"

    def kernel(ins, outs, attrs):
        x, out = ins[0], outs[0]
        dev = out.dev
        if not _binary_ok(dev, name, x, out):
            return NotImplemented
        T = ctype(x.dtype)
        # The scalar is cast to the element type first, as MXNet does.
        s = np.array(attrs["scalar"]).astype(x.dtype)
        k, extra = _family(dev, "rscalar" if reflected else "scalar",
                           _tables(x.dtype, _BINARY_EXACT, _BINARY_ALL), name, T,
                           "__global const T* in, long io, T s", load)
        launch_1d(dev, k, out.size, out.buf, np.int64(out.offset), x.buf, np.int64(x.offset),
                  s[()] if x.dtype != np.bool_ else np.uint8(s), *extra, np.int64(out.size))
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


MAXD = 6   # strided kernels take this many (coalesced) axes; leading axes are padded with 1s


def _strided_launch(dev, table, name, T, out, inputs, strides):
    """``out = table[name](inputs read with strides)``; the expressions name the inputs a, b.

    One kernel per expression and dtype, whatever the shapes. Returns NotImplemented beyond
    ``MAXD`` axes after coalescing."""
    names = "ab"[:len(inputs)]
    dims, sts = _coalesce(out.shape, *strides)
    if len(dims) > MAXD:
        return NotImplemented
    pad = MAXD - len(dims)
    dims = [1] * pad + dims
    sts = [[0] * pad + st for st in sts]
    params = ", ".join(f"__global const T* p{n}, long {n}o" for n in names)
    params += ", " + _strided_params(MAXD, names)
    load = strided_index(MAXD, names) + " " + " ".join(f"T {n} = p{n}[o{n}];" for n in names)
    k, extra = _family(dev, f"strided{len(names)}", table, name, T, params, load)
    args = []
    for x in inputs:
        args += [x.buf, np.int64(x.offset)]
    args += [np.int64(d) for d in dims]
    for st in sts:
        args += [np.int64(s) for s in st]
    launch_1d(dev, k, out.size, out.buf, np.int64(out.offset), *args, *extra, np.int64(out.size))
    return None


_COPY = {"copy": "a"}


def _broadcast_binary(name):
    def kernel(ins, outs, attrs):
        a, b = ins
        out = outs[0]
        dev = out.dev
        if not _binary_ok(dev, name, a, b, out):
            return NotImplemented
        T = ctype(out.dtype)
        table = _tables(out.dtype, _BINARY_EXACT, _BINARY_ALL)
        if a.shape == b.shape == out.shape:
            k, extra = _family(dev, "binary", table, name, T,
                               "__global const T* pa, long ao, __global const T* pb, long bo",
                               "T a = pa[ao + i]; T b = pb[bo + i];")
            launch_1d(dev, k, out.size, out.buf, np.int64(out.offset), a.buf, np.int64(a.offset),
                      b.buf, np.int64(b.offset), *extra, np.int64(out.size))
            return None
        return _strided_launch(dev, table, name, T, out, (a, b),
                               (broadcast_strides(a.shape, out.shape),
                                broadcast_strides(b.shape, out.shape)))
    return kernel


def broadcast_copy(ins, outs, attrs):
    """broadcast_to / broadcast_axis / broadcast_like: the first input read as the output shape."""
    x, out = ins[0], outs[0]
    if not _same_exact(x, out):
        return NotImplemented
    return _strided_launch(out.dev, _COPY, "copy", ctype(x.dtype), out, (x,),
                           (broadcast_strides(x.shape, out.shape),))


def transpose(ins, outs, attrs):
    x, out = ins[0], outs[0]
    if not _same_exact(x, out):
        return NotImplemented
    axes = attrs["axes"] or tuple(reversed(range(x.ndim)))
    st = _contig_strides(x.shape)
    return _strided_launch(out.dev, _COPY, "copy", ctype(x.dtype), out, (x,),
                           ([st[a % x.ndim] for a in axes],))


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


KERNELS = {name: _unary(name, False) for name in _UNARY_FLOAT}
KERNELS.update({name: _unary(name, True) for name in _UNARY_EXACT})
KERNELS.update({f"broadcast_{n}": _broadcast_binary(n) for n in list(_BINARY_EXACT) + list(_BINARY_FLOAT)})
KERNELS.update({k: _scalar(n, r) for k, (n, r) in _SCALAR.items()})
KERNELS.update({
    "broadcast_to": broadcast_copy, "broadcast_axis": broadcast_copy,
    "broadcast_like": broadcast_copy, "transpose": transpose,
    "_copy": copy, "Cast": cast, "amp_cast": cast,
    "_zeros": _filler(0), "zeros_like": _filler(0), "_ones": _filler(1), "ones_like": _filler(1),
    "_full": _filler(None),
})
