"""softmax / log_softmax (forward and backward), Activation, and the SGD / Adam fused updates.

softmax runs one work item per row: the row is ``n`` elements ``inner`` apart (the axis), so
consecutive items read consecutive addresses when the axis is not the last one. The optimizer
updates are single elementwise kernels that read weight, gradient and states once and write the
states in place (the op declares them mutated) and the new weight to the output, which may be the
weight itself.
"""
import numpy as np

from .elemwise import _PREAMBLE, _source, ctype, floats, launch_1d

__all__ = ["KERNELS"]

_SOFTMAX = _PREAMBLE + """#define T {T}
__kernel void softmax(__global T* out, long oo, __global const T* in, long io, long rows, long n,
                      long inner, T inv_t) {{
  long g = get_global_id(0); if (g >= rows) return;
  long base = (g / inner) * n * inner + g % inner;
  __global const T* x = in + io + base;
  __global T* y = out + oo + base;
  T top = -INFINITY;
  for (long j = 0; j < n; j++) {{ T v = x[j * inner]; top = v > top ? v : top; }}  /* NaN ignored */
  T total = 0;
  for (long j = 0; j < n; j++) total += exp((x[j * inner] - top) * inv_t);
  /* A NaN sum (a NaN, a +inf, or only -inf in the row): MXNet's answer, see softmax_along. */
  int bad = total != total;
  for (long j = 0; j < n; j++) {{
    T z = (x[j * inner] - top) * inv_t;
    T ok = {LOG} ? z - log(total) : exp(z) / total;
    y[j * inner] = !bad ? ok : z != z ? z : {LOG} ? z - (T){BIG} : (T)0;
  }}
}}
__kernel void softmax_bwd(__global T* out, long oo, __global const T* gin, long go,
                          __global const T* yin, long yo, long rows, long n, long inner, T inv_t) {{
  long g = get_global_id(0); if (g >= rows) return;
  long base = (g / inner) * n * inner + g % inner;
  __global const T* gr = gin + go + base;
  __global const T* y = yin + yo + base;
  __global T* dx = out + oo + base;
  T s = 0;
  for (long j = 0; j < n; j++) s += {LOG} ? gr[j * inner] : gr[j * inner] * y[j * inner];
  for (long j = 0; j < n; j++) {{
    long p = j * inner;
    dx[p] = ({LOG} ? gr[p] - exp(y[p]) * s : y[p] * (gr[p] - s)) * inv_t;
  }}
}}
"""


def _rows(shape, axis):
    axis %= len(shape)
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
    return outer * inner, shape[axis], inner


def _big(dtype):
    """The log of the dtype's largest value, as a C literal (see reference ``softmax_along``)."""
    return repr(float(np.log(np.finfo(dtype).max)))


def _inv_t(attrs, dtype):
    t = attrs.get("temperature")
    return dtype.type(1.0 if t is None else 1.0 / t)


def _softmax(log):
    def kernel(ins, outs, attrs):
        x, out = ins[0], outs[0]
        dev = out.dev
        if len(ins) > 1 or not floats(dev, x, out):
            return NotImplemented
        if out.size == 0:
            return None
        rows, n, inner = _rows(x.shape, attrs["axis"])
        k = dev.kernel(_SOFTMAX.format(T=ctype(x.dtype), LOG=int(log), BIG=_big(x.dtype)),
                       "softmax")
        launch_1d(dev, k, rows, out.buf, np.int64(out.offset), x.buf, np.int64(x.offset),
                  np.int64(rows), np.int64(n), np.int64(inner), _inv_t(attrs, x.dtype))
        return None
    return kernel


def _softmax_backward(log):
    def kernel(ins, outs, attrs):
        g, y = ins[0], ins[1]
        out = outs[0]
        dev = out.dev
        if len(ins) > 2 or not floats(dev, g, y, out):
            return NotImplemented
        if out.size == 0:
            return None
        rows, n, inner = _rows(y.shape, attrs["axis"])
        k = dev.kernel(_SOFTMAX.format(T=ctype(y.dtype), LOG=int(log), BIG=_big(y.dtype)),
                       "softmax_bwd")
        launch_1d(dev, k, rows, out.buf, np.int64(out.offset), g.buf, np.int64(g.offset), y.buf,
                  np.int64(y.offset), np.int64(rows), np.int64(n), np.int64(inner),
                  _inv_t(attrs, y.dtype))
        return None
    return kernel


_ACT = {
    "relu": "(x > 0 || x != x) ? x : (T)0",
    "sigmoid": "(T)1 / ((T)1 + exp(-x))",
    "tanh": "tanh(x)",
    "softrelu": "x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))",
    "softsign": "x / ((T)1 + fabs(x))",
}


def activation(ins, outs, attrs):
    x, out = ins[0], outs[0]
    dev = out.dev
    if not floats(dev, x, out):
        return NotImplemented
    T = ctype(x.dtype)
    src = _source("act", T, "__global const T* in, long io",
                  f"T x = in[io + i]; out[oo + i] = {_ACT[attrs['act_type']]};")
    launch_1d(dev, dev.kernel(src, "act"), out.size, out.buf, np.int64(out.offset), x.buf,
              np.int64(x.offset), np.int64(out.size))
    return None


# -- optimizer updates: MXNet's formulas (see reference/optim.py), one kernel each --------------
_CLIP = "#define CLIP(v) (bound >= 0 ? clamp(v, -bound, bound) : (v))\n"
_UPDATES = {
    "sgd_update": (("w", "g"), (), ("lr", "wd", "rescale_grad", "clip_gradient"),
                   "out[oo + i] = ((T)1 - lr * wd) * w - lr * CLIP(rescale_grad * g);"),
    "sgd_mom_update": (("w", "g"), ("mom",), ("lr", "momentum", "wd", "rescale_grad",
                                              "clip_gradient"),
                       "T m = momentum * mom[momo + i] - lr * wd * w - lr * CLIP(rescale_grad * g);"
                       " mom[momo + i] = m; out[oo + i] = w + m;"),
    "adam_update": (("w", "g"), ("mean", "var"), ("lr", "beta1", "beta2", "epsilon", "wd",
                                                  "rescale_grad", "clip_gradient"),
                    "T gr = CLIP(g * rescale_grad + w * wd);"
                    " T m = beta1 * mean[meano + i] + ((T)1 - beta1) * gr;"
                    " T v = beta2 * var[varo + i] + ((T)1 - beta2) * gr * gr;"
                    " mean[meano + i] = m; var[varo + i] = v;"
                    " out[oo + i] = w - lr * m / (sqrt(v) + epsilon);"),
}


def _update(name):
    reads, states, hyper, body = _UPDATES[name]

    def kernel(ins, outs, attrs):
        out = outs[0]
        dev = out.dev
        if len(ins) != len(reads) + len(states) or not floats(dev, *ins, out):
            return NotImplemented
        T = ctype(out.dtype)
        params = ", ".join([f"__global const T* {r}p, long {r}o" for r in reads]
                           + [f"__global T* {s}, long {s}o" for s in states]
                           + [f"T {h.replace('clip_gradient', 'bound')}" for h in hyper])
        loads = " ".join(f"T {r} = {r}p[{r}o + i];" for r in reads)
        src = _CLIP + _source("upd", T, params, f"{loads} {body}")
        args = []
        for x in ins:
            args += [x.buf, np.int64(x.offset)]
        t = out.dtype.type
        args += [t(np.float32(attrs[h])) for h in hyper]    # float32 values cast, as MXNet
        launch_1d(dev, dev.kernel(src, "upd"), out.size, out.buf, np.int64(out.offset), *args,
                  np.int64(out.size))
        return None
    return kernel


KERNELS = {"softmax": _softmax(False), "log_softmax": _softmax(True),
           "_backward_softmax": _softmax_backward(False),
           "_backward_log_softmax": _softmax_backward(True),
           "Activation": activation}
KERNELS.update({name: _update(name) for name in _UPDATES})


def multi_sgd_mom_update(ins, outs, attrs):
    """``sgd_mom_update``'s kernel launched once per (weight, grad, mom) group, in one engine op."""
    one = KERNELS["sgd_mom_update"]
    if not floats(outs[0].dev, *ins, *outs) or len({x.dtype for x in ins}) != 1:
        return NotImplemented
    for i, out in enumerate(outs):
        one(ins[3 * i:3 * i + 3], (out,), dict(attrs, lr=attrs["lrs"][i], wd=attrs["wds"][i]))
    return None


KERNELS["multi_sgd_mom_update"] = multi_sgd_mom_update
