"""The other fused optimizer updates: NAG, RMSProp (plain and centred), signSGD, Signum, FTML,
FTRL, LAMB's two phases, the mixed-precision (mp_*) SGD/NAG/LAMB updates and
preloaded_multi_sgd_update. Formulas and order of operations: ``reference/optim.py``.

Each update is one elementwise kernel: it loads every array once, computes in ``T``, writes the
mutated states in place and the new weight to the output (which may be the weight itself). All
updates of one element type live in one program (one PoCL build per type): ``T`` is the compute
type, ``TW`` the weight/gradient type of the mp_* kernels (``half``: loaded and stored with
``vload_half``/``vstore_half_rte``, so no fp16 extension is needed; rounding as numpy's).
"""
import numpy as np

from .elemwise import _PREAMBLE, ctype, launch_1d
from .shape import same_memory

__all__ = ["KERNELS"]

_HEAD = """#pragma OPENCL FP_CONTRACT OFF
#define T {T}
#define TW {TW}
#define CLIP(v) (bound >= 0 ? clamp((v), -bound, bound) : (v))
#define CLIPW(v) (clip_weights >= 0 ? clamp((v), -clip_weights, clip_weights) : (v))
#define SIGN(v) ((T)(((v) > 0) - ((v) < 0)))
"""
_TYPES = {"T": "T", "W": "TW", "F": "float"}

_NAG = ("T gr = CLIP(rescale_grad * g); T m = momentum * mom;"
        " T nw = w - m + (momentum + 1) * (m - lr * (gr + wd * w)); out_ = nw;"
        " T w2 = {new} ? nw : w; mom_ = m - lr * (gr + wd * w2);")
_SGD = ("out_ = bound >= 0 ? ((T)1 - lr * wd) * w - lr * CLIP(rescale_grad * g)"
        " : ((T)1 - lr * wd) * w - (lr * rescale_grad) * g;")
_MOM = ("T m = bound >= 0 ? momentum * mom - lr * wd * w - lr * CLIP(rescale_grad * g)"
        " : momentum * mom - lr * wd * w - lr * rescale_grad * g; mom_ = m; out_ = w + m;")
_LAMB1 = ("T gr = CLIP(g * rescale_grad); T m = beta1 * mean + ((T)1 - beta1) * gr;"
          " T v = beta2 * var + ((T)1 - beta2) * gr * gr; mean_ = m; var_ = v;"
          " if (!bc) out_ = m / (sqrt(v) + epsilon) + wd * w;"
          " else { T mh = (T)((ACC)m / ((ACC)1 - (ACC)b1t)); T vh = v / ((T)1 - b2t);"
          " out_ = mh / (sqrt(vh) + epsilon) + wd * w; }")
_LAMB2 = ("T a = r1, b = r2; if (lower_bound >= 0) a = a > lower_bound ? a : lower_bound;"
          " if (upper_bound >= 0) a = a < upper_bound ? a : upper_bound;"
          " T lrt = (a == 0 || b == 0) ? lr : lr * a / b; out_ = w - lrt * g;")
_GRAD = ("lr", "wd", "rescale_grad", "clip_gradient")
_MOMH = ("lr", "momentum", "wd", "rescale_grad", "clip_gradient")
_LAMBH = ("beta1", "beta2", "epsilon", "wd", "rescale_grad", "clip_gradient")

# name -> (arrays: (name, kind, is_state), out kind, hyper (float32 values), extra args, body).
# kind: T (compute type), W (mp weight type), F (float32); a trailing 0 reads element 0 only.
_SPECS = {
    "nag_mom_update": ((("w", "T", 0), ("g", "T", 0), ("mom", "T", 1)), "T", _MOMH, ("new",),
                       _NAG.format(new="new")),
    "rmsprop_update": ((("w", "T", 0), ("g", "T", 0), ("n", "T", 1)), "T",
                       ("lr", "gamma1", "epsilon", "wd", "rescale_grad", "clip_gradient",
                        "clip_weights"), (),
                       "T gr = CLIP(rescale_grad * g + wd * w);"
                       " T nn = ((T)1 - gamma1) * (gr * gr) + gamma1 * n; n_ = nn;"
                       " T r = w - lr * (gr / sqrt(nn + epsilon));"
                       " out_ = CLIPW(r);"),
    "rmspropalex_update": ((("w", "T", 0), ("g", "T", 0), ("n", "T", 1), ("gm", "T", 1),
                            ("delta", "T", 1)), "T",
                           ("lr", "gamma1", "gamma2", "epsilon", "wd", "rescale_grad",
                            "clip_gradient", "clip_weights"), (),
                           "T gr = CLIP(rescale_grad * g + wd * w);"
                           " T nn = ((T)1 - gamma1) * gr * gr + gamma1 * n;"
                           " T gg = ((T)1 - gamma1) * gr + gamma1 * gm;"
                           " T d = gamma2 * delta - lr * gr / sqrt(nn - gg * gg + epsilon);"
                           " n_ = nn; gm_ = gg; delta_ = d; T r = w + d;"
                           " out_ = CLIPW(r);"),
    "ftrl_update": ((("w", "T", 0), ("g", "T", 0), ("z", "T", 1), ("n", "T", 1)), "T",
                    ("lr", "lamda1", "beta", "wd", "rescale_grad", "clip_gradient"), (),
                    "T gr = CLIP(g * rescale_grad);"
                    " T nz = z + (gr - (sqrt(n + gr * gr) - sqrt(n)) * w / lr);"
                    " T nn = n + gr * gr; z_ = nz; n_ = nn;"
                    " out_ = (SIGN(nz) * lamda1 - nz) / ((beta + sqrt(nn)) / lr + wd)"
                    " * (T)(fabs(nz) > lamda1);"),
    "ftml_update": ((("w", "T", 0), ("g", "T", 0), ("d", "T", 1), ("v", "T", 1), ("z", "T", 1)),
                    "T", ("lr", "beta1", "beta2", "wd", "rescale_grad", "clip_grad"),
                    ("eps", "step"),
                    "T gr = CLIP(rescale_grad * g + wd * w);"
                    " T vv = beta2 * v + ((T)1 - beta2) * (gr * gr);"
                    " T dt = ((T)1 - pow(beta1, step)) / lr"
                    " * (sqrt(vv / ((T)1 - pow(beta2, step))) + eps);"
                    " T zz = beta1 * z + ((T)1 - beta1) * gr - (dt - beta1 * d) * w;"
                    " v_ = vv; z_ = zz; d_ = dt; out_ = -zz / dt;"),
    "signsgd_update": ((("w", "T", 0), ("g", "T", 0)), "T", ("lr", "wd"), (),
                       "out_ = ((T)1 - lr * wd) * w - lr * SIGN(g);"),
    "signum_update": ((("w", "T", 0), ("g", "T", 0), ("mom", "T", 1)), "T",
                      ("lr", "momentum", "wd", "rescale_grad", "clip_gradient", "wd_lh"), (),
                      "T m = bound >= 0 ? momentum * mom - ((T)1 - momentum) * wd * w"
                      " - ((T)1 - momentum) * CLIP(rescale_grad * g)"
                      " : momentum * mom - ((T)1 - momentum) * wd * w"
                      " - ((T)1 - momentum) * rescale_grad * g;"
                      " mom_ = m; out_ = ((T)1 - lr * wd_lh) * w + lr * SIGN(m);"),
    "lamb_update_phase1": ((("w", "T", 0), ("g", "T", 0), ("mean", "T", 1), ("var", "T", 1)),
                           "T", _LAMBH, ("bc", "b1t", "b2t"), _LAMB1),
    "lamb_update_phase2": ((("w", "T", 0), ("g", "T", 0), ("r1", "T0", 0), ("r2", "T0", 0)), "T",
                           ("lr", "lower_bound", "upper_bound"), (), _LAMB2),
    # mixed precision: T is float; the math runs on weight32 (w below), as MXNet's
    "mp_sgd_update": ((("w16", "W", 0), ("g", "W", 0), ("w", "F", 1)), "W", _GRAD, (),
                      _SGD + " w_ = out_;"),
    "mp_sgd_mom_update": ((("w16", "W", 0), ("g", "W", 0), ("mom", "F", 1), ("w", "F", 1)), "W",
                          _MOMH, (), _MOM + " w_ = out_;"),
    "mp_nag_mom_update": ((("w16", "W", 0), ("g", "W", 0), ("mom", "F", 1), ("w", "F", 1)), "W",
                          _MOMH, (), _NAG.format(new="1") + " w_ = out_;"),
    "mp_lamb_update_phase1": ((("w16", "W", 0), ("g", "W", 0), ("mean", "F", 1), ("var", "F", 1),
                               ("w", "F", 0)), "F", _LAMBH, ("bc", "b1t", "b2t"), _LAMB1),
    "mp_lamb_update_phase2": ((("w16", "W", 0), ("g", "F", 0), ("r1", "F0", 0), ("r2", "F0", 0),
                               ("w", "F", 0)), "W", ("lr", "lower_bound", "upper_bound"), (),
                              _LAMB2),
}
_EXTRA_TYPES = {"new": "int", "bc": "int"}


def _load(name, kind):
    base = kind[0]
    at = f"O_{name}" if kind.endswith("0") else f"O_{name} + i"
    if base == "W":
        return f"LDW(P_{name}, {at})"
    return f"P_{name}[{at}]"


def _store(name, kind, value):
    if kind == "W":
        return f"STW({value}, P_{name}, O_{name} + i);"
    return f"P_{name}[O_{name} + i] = {value};"


def _kernel_source(name):
    arrays, out_kind, hyper, extra, body = _SPECS[name]
    params = [f"__global {_TYPES[out_kind]}* P_out, long O_out"]
    params += [f"__global {'' if st else 'const '}{_TYPES[k[0]]}* P_{a}, long O_{a}"
               for a, k, st in arrays]
    params += [f"T {h.replace('clip_gradient', 'bound').replace('clip_grad', 'bound')}"
               for h in hyper]
    params += [f"{_EXTRA_TYPES.get(e, 'T')} {e}" for e in extra]
    loads = " ".join(f"T {a} = (T){_load(a, k)};" for a, k, _ in arrays)
    decl = " ".join(f"T {a}_;" for a, _, st in arrays if st) + " T out_;"
    stores = " ".join(_store(a, k, f"{a}_") for a, k, st in arrays if st)
    return (f"__kernel void {name}({', '.join(params)}, long N_) {{\n"
            f"  long i = get_global_id(0); if (i >= N_) return;\n"
            f"  {loads} {decl}\n  {body}\n  {stores} {_store('out', out_kind, 'out_')}\n}}\n")


def _program(T, TW, acc):
    head = _PREAMBLE + _HEAD.format(T=T, TW=TW) + f"#define ACC {acc}\n"
    if TW == "half":
        head += ("#define LDW(p, k) vload_half((k), (p))\n"
                 "#define STW(v, p, k) vstore_half_rte((v), (k), (p))\n")
    else:
        head += "#define LDW(p, k) ((p)[k])\n#define STW(v, p, k) ((p)[k] = (v))\n"
    mp = T == "float"
    kernels = "".join(_kernel_source(n) for n in _SPECS if mp or not n.startswith("mp_"))
    return head + kernels + _PRELOADED


def _extra(name, attrs, t, dev, ins, outs):
    values = []
    for e in _SPECS[name][3]:
        if e == "new":   # MXNet's NAG: with out=weight the momentum's decay sees the new weight
            values.append(np.int32(same_memory(ins[0], outs[0])))
        elif e == "eps":
            values.append(t(attrs["epsilon"]))      # a double in MXNet, not rounded to float32
        elif e == "step":
            values.append(t(attrs["t"]))
        elif e == "bc":
            values.append(np.int32(bool(attrs["bias_correction"])))
        else:            # b1t, b2t: beta^t in double, then cast (MXNet's std::pow)
            beta = attrs["beta1" if e == "b1t" else "beta2"]
            values.append(t(np.float64(np.float32(beta)) ** attrs["t"]))
    return values


def _update(name):
    arrays, out_kind, hyper = _SPECS[name][:3]
    mp = name.startswith("mp_")

    def kernel(ins, outs, attrs):
        out = outs[0]
        dev = out.dev
        if len(ins) != len(arrays):
            return NotImplemented
        w = ins[0]
        if mp:
            if w.dtype not in (np.float16, np.float32):
                return NotImplemented
            T, TW = "float", ("half" if w.dtype == np.float16 else "float")
            want = {"W": w.dtype, "F": np.dtype(np.float32)}
        else:
            if w.dtype not in (np.float32, np.float64) or (w.dtype == np.float64 and not dev.fp64):
                return NotImplemented
            T = TW = ctype(w.dtype)
            want = {"T": w.dtype}
        kinds = [k[0] for _, k, _ in arrays] + [out_kind]
        if any(x.dtype != want.get(k) for x, k in zip(list(ins) + [out], kinds)):
            return NotImplemented
        acc = "double" if dev.fp64 else "float"
        k = dev.kernel(_program(T, TW, acc), name)
        t = np.float32 if mp else w.dtype.type
        args = [out.buf, np.int64(out.offset)]
        for x in ins:
            args += [x.buf, np.int64(x.offset)]
        args += [t(np.float32(attrs[h])) for h in hyper]
        args += _extra(name, attrs, t, dev, ins, outs)
        launch_1d(dev, k, out.size, *args, np.int64(out.size))
        return None
    return kernel


_PRELOADED = """__kernel void preloaded_sgd(__global T* out, long oo, __global const T* wp, long wo,
    __global const T* gp, long go, __global const float* lrs, long lo, __global const float* wds,
    long dof, T rescale, T bound, long n) {
  long i = get_global_id(0); if (i >= n) return;
  T w = wp[wo + i], g = gp[go + i], lr = (T)lrs[lo], wd = (T)wds[dof];
  out[oo + i] = bound >= 0 ? w + ((T)0 - lr * wd * w - lr * CLIP(rescale * g))
                           : w + ((T)0 - lr * wd * w - lr * rescale * g);
}
"""


def preloaded_multi_sgd_update(ins, outs, attrs):
    """Gluon's multi-SGD with the learning rates and decays in two float32 device arrays."""
    dev = outs[0].dev
    lrs, wds = ins[-2], ins[-1]
    w0 = ins[0]
    if (w0.dtype not in (np.float32, np.float64) or (w0.dtype == np.float64 and not dev.fp64)
            or lrs.dtype != np.float32 or wds.dtype != np.float32
            or any(x.dtype != w0.dtype for x in list(ins[:-2]) + list(outs))):
        return NotImplemented
    T = ctype(w0.dtype)
    k = dev.kernel(_program(T, T, "double" if dev.fp64 else "float"), "preloaded_sgd")
    t = w0.dtype.type
    rescale, bound = t(np.float32(attrs["rescale_grad"])), t(np.float32(attrs["clip_gradient"]))
    for i, out in enumerate(outs):
        w, g = ins[2 * i], ins[2 * i + 1]
        launch_1d(dev, k, out.size, out.buf, np.int64(out.offset), w.buf, np.int64(w.offset),
                  g.buf, np.int64(g.offset), lrs.buf, np.int64(lrs.offset + i), wds.buf,
                  np.int64(wds.offset + i), rescale, bound, np.int64(out.size))
    return None


KERNELS = {name: _update(name) for name in _SPECS}
KERNELS["preloaded_multi_sgd_update"] = preloaded_multi_sgd_update
