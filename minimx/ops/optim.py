"""optim ops, part 1: the fused update of one weight (what ``mx.optimizer`` calls every step).

An update takes ``(weight, grad, states...)`` and returns the new weight; the optimizer states
(momentum, moving averages) are updated in place: each op declares them in ``mutates``, so the
engine orders them as writes. MXNet's optimizers pass ``out=weight``, which writes the new weight
in place too; without ``out`` a new array is returned and the weight is left as it was (states
are updated either way)::

    mom = mx.nd.zeros(w.shape)
    mx.nd.sgd_mom_update(w, g, mom, lr=0.1, momentum=0.9, out=w)   # w and mom updated

Kernels are named after the ops (``_kernels/reference/optim.py`` is the spec, with MXNet's
quirks: ``clip_gradient`` clips when ``>= 0``, hyperparameters are float32 values; ``cpu/optim.pyx``
and ``cpu/optim_mp.pyx`` fuse the hot ones into one pass). ``mp_*`` ops keep a float32 master copy ``weight32`` (and
float32 states) of a float16 weight. Part 2, the multi-weight updates and their helpers, is
``optim_multi.py``.
"""
import numpy as np

from .opdef import NO_GRAD, Domain, OpDef, Param, fail
from .params import Bool, Float, Int

__all__ = []

_FLOATS = ("float32", "float64", "float16")
_F32 = np.dtype(np.float32)


# -- shape and dtype rules ------------------------------------------------------------------------
def _check_count(names, items):
    if len(items) != len(names):
        fail(f"needs {len(names)} inputs ({', '.join(names)}), got {len(items)}",
             "pass every input; None is not allowed here")


def _like_weight(*names):
    """Shape rule of an update whose inputs all have the weight's shape (MXNet's ElemwiseShape)."""
    def rule(attrs, *shapes):
        _check_count(names, shapes)
        for name, shape in zip(names[1:], shapes[1:]):
            if shape != shapes[0]:
                fail(f"{name} has shape {shape} but weight has shape {shapes[0]}",
                     f"{name} must have the weight's shape")
        return shapes[0]
    return rule


def _check_float(name, dtype):
    if dtype.kind != "f":
        fail(f"{name} has dtype {dtype}; the updates support floating point types only",
             "convert it with .astype('float32')")


def _check_dtype(name, dtype, expected, why):
    if dtype != expected:
        fail(f"{name} has dtype {dtype} but must be {expected} ({why})",
             f"convert it with .astype('{expected}')")


def _same_float(*names):
    """Dtype rule: every input has the weight's floating point dtype, which the output takes."""
    def rule(attrs, *dtypes):
        _check_count(names, dtypes)
        _check_float(names[0], dtypes[0])
        for name, dtype in zip(names[1:], dtypes[1:]):
            _check_dtype(name, dtype, dtypes[0], "the weight's dtype")
        return dtypes[0]
    return rule


def _mixed(*names, n_low=2, low=None, out=None):
    """Dtype rule of an mp_* op: the first ``n_low`` inputs share the weight's dtype (``low`` if
    given), the rest are float32; the output is ``out`` or the weight's dtype."""
    def rule(attrs, *dtypes):
        _check_count(names, dtypes)
        if low is not None:
            _check_dtype(names[0], dtypes[0], low, "this op is for float16 weights")
        _check_float(names[0], dtypes[0])
        for name, dtype in zip(names[1:n_low], dtypes[1:n_low]):
            _check_dtype(name, dtype, dtypes[0], "the weight's dtype")
        for name, dtype in zip(names[n_low:], dtypes[n_low:]):
            _check_dtype(name, dtype, _F32, "float32 states and master weights")
        return out if out is not None else dtypes[0]
    return rule


# -- test domains ---------------------------------------------------------------------------------
def _update_inputs(states="", mp=False):
    """``make_inputs`` for an update: weight, grad, then one state per letter of ``states`` ('s' a
    signed state such as momentum, 'p' a positive one such as a second moment), then for ``mp``
    the float32 master weight (states are float32 too)."""
    def make_inputs(rng, dtype, attrs):
        shape = tuple(int(s) for s in rng.integers(1, 6, size=rng.integers(1, 4)))
        w = rng.uniform(-2, 2, shape).astype(dtype)
        arrays = [w, rng.uniform(-3, 3, shape).astype(dtype)]
        for kind in states:
            low, high = (0.5, 1.5) if kind == "p" else (-0.5, 0.5)
            arrays.append(rng.uniform(low, high, shape).astype(np.float32 if mp else dtype))
        if mp:
            arrays.append(w.astype(np.float32))
        return arrays
    return make_inputs


def _domain(states, extra, mp=False, dtypes=_FLOATS):
    """Two parameter sets: defaults, then weight decay with rescaling and clipping (+ ``extra``)."""
    attrs = [{"lr": 0.1}, dict({"lr": 0.05, "wd": 0.1, "rescale_grad": 0.5, "clip_gradient": 0.8},
                                **extra)]
    return Domain(dtypes=dtypes, make_inputs=_update_inputs(states, mp), attrs=attrs)


# -- shared parameters (MXNet's defaults; they are C floats there) ---------------------------------
_LR = Param("lr", Float, doc="learning rate")
_WD = Param("wd", Float, 0.0, "weight decay: wd * weight is added to the gradient")
_RESCALE = Param("rescale_grad", Float, 1.0, "multiplies the gradient first (e.g. 1 / batch size)")
_CLIP = Param("clip_gradient", Float, -1.0,
              "clip the rescaled gradient to [-c, c] when c >= 0 (NB: 0 zeroes it); < 0: no clip")
_LAZY = Param("lazy_update", Bool, True, "for row_sparse gradients; a dense update ignores it")
_MOMENTUM = Param("momentum", Float, 0.0, "decay of the momentum")
_SGD = (_LR, _WD, _RESCALE, _CLIP, _LAZY)
_SGD_MOM = (_LR, _MOMENTUM, _WD, _RESCALE, _CLIP, _LAZY)
_NAG = (_LR, _MOMENTUM, _WD, _RESCALE, _CLIP)
_MOM_EXTRA = {"momentum": 0.9}


def _update(name, inputs, params, formula, doc, domain, mutates=(), dtype=None, **kw):
    return OpDef(name, inputs=inputs, params=params, shape=_like_weight(*inputs),
                 dtype=dtype or _same_float(*inputs), mutates=mutates, formula=formula, doc=doc,
                 domain=domain, grad=NO_GRAD, family="optim", **kw)


# -- SGD and momentum ---------------------------------------------------------------------------
sgd_update = _update(
    "sgd_update", ("weight", "grad"), _SGD, aliases=("_sparse_sgd_update",),
    formula="weight = (1 - lr * wd) * weight - lr * clip(rescale_grad * grad)",
    doc="Stochastic gradient descent step.", domain=_domain("", {}))

sgd_mom_update = _update(
    "sgd_mom_update", ("weight", "grad", "mom"), _SGD_MOM, mutates=(2,),
    aliases=("_sparse_sgd_mom_update",),
    formula="mom = momentum * mom - lr * wd * weight - lr * clip(rescale_grad * grad); "
            "weight = weight + mom",
    doc="SGD step with momentum; mom is updated in place.", domain=_domain("s", _MOM_EXTRA))

nag_mom_update = _update(
    "nag_mom_update", ("weight", "grad", "mom"), _NAG, mutates=(2,),
    formula="mom = momentum * mom; step = lr * (clip(rescale_grad * grad) + wd * weight); "
            "weight = weight - mom + (momentum + 1) * (mom - step); mom = mom - step",
    doc="Nesterov accelerated gradient step; mom is updated in place. NB: as in MXNet, the "
        "second step reads the weight after it is written, the new one when out=weight.",
    domain=_domain("s", _MOM_EXTRA))

_MP_NOTE = " float16 weight, float32 weight32 (the master copy, updated in place)"
mp_sgd_update = _update(
    "mp_sgd_update", ("weight", "grad", "weight32"), _SGD, mutates=(2,),
    dtype=_mixed("weight", "grad", "weight32"),
    formula="weight32 = (1 - lr * wd) * weight32 - lr * clip(rescale_grad * grad); "
            "weight = weight32",
    doc="Mixed-precision SGD step:" + _MP_NOTE + ".",
    domain=_domain("", {}, mp=True, dtypes=("float16", "float32")))

mp_sgd_mom_update = _update(
    "mp_sgd_mom_update", ("weight", "grad", "mom", "weight32"), _SGD_MOM, mutates=(2, 3),
    dtype=_mixed("weight", "grad", "mom", "weight32"),
    formula="sgd_mom_update on weight32 and mom in float32; weight = weight32",
    doc="Mixed-precision momentum SGD step:" + _MP_NOTE + ", float32 mom.",
    domain=_domain("s", _MOM_EXTRA, mp=True, dtypes=("float16", "float32")))

mp_nag_mom_update = _update(
    "mp_nag_mom_update", ("weight", "grad", "mom", "weight32"), _NAG, mutates=(2, 3),
    dtype=_mixed("weight", "grad", "mom", "weight32"),
    formula="nag_mom_update on weight32 and mom in float32 (mom's wd term sees the new "
            "weight32); weight = weight32",
    doc="Mixed-precision Nesterov step:" + _MP_NOTE + ", float32 mom.",
    domain=_domain("s", _MOM_EXTRA, mp=True, dtypes=("float16", "float32")))


# -- adaptive methods ---------------------------------------------------------------------------
_EPS = Param("epsilon", Float, 1e-8, "keeps the division finite")

adam_update = _update(
    "adam_update", ("weight", "grad", "mean", "var"),
    (_LR, Param("beta1", Float, 0.9, "decay of the first moment"),
     Param("beta2", Float, 0.999, "decay of the second moment"), _EPS, _WD, _RESCALE, _CLIP,
     _LAZY),
    mutates=(2, 3), aliases=("_sparse_adam_update",),
    formula="g = clip(rescale_grad * grad + wd * weight); mean = beta1 * mean + (1 - beta1) * g; "
            "var = beta2 * var + (1 - beta2) * g^2; weight -= lr * mean / (sqrt(var) + epsilon)",
    doc="Adam step without bias correction (MXNet's optimizer folds it into lr); mean and var "
        "are updated in place.",
    domain=_domain("sp", {"beta1": 0.8, "epsilon": 1e-3}))

_GAMMA1 = Param("gamma1", Float, 0.95, "decay of the mean square")
_CLIP_W = Param("clip_weights", Float, -1.0, "clip the new weight to [-c, c] when c >= 0")

rmsprop_update = _update(
    "rmsprop_update", ("weight", "grad", "n"), (_LR, _GAMMA1, _EPS, _WD, _RESCALE, _CLIP, _CLIP_W),
    mutates=(2,),
    formula="g = clip(rescale_grad * grad + wd * weight); n = (1 - gamma1) * g^2 + gamma1 * n; "
            "weight = clip_w(weight - lr * g / sqrt(n + epsilon))",
    doc="RMSProp step (Tieleman & Hinton); n is updated in place.",
    domain=_domain("p", {"gamma1": 0.8, "clip_weights": 1.5}))

rmspropalex_update = _update(
    "rmspropalex_update", ("weight", "grad", "n", "g", "delta"),
    (_LR, _GAMMA1, Param("gamma2", Float, 0.9, "decay of the step"), _EPS, _WD, _RESCALE, _CLIP,
     _CLIP_W),
    mutates=(2, 3, 4),
    formula="n = (1 - gamma1) * g'^2 + gamma1 * n; g = (1 - gamma1) * g' + gamma1 * g; "
            "delta = gamma2 * delta - lr * g' / sqrt(n - g^2 + epsilon); weight = clip_w(weight + "
            "delta), with g' = clip(rescale_grad * grad + wd * weight)",
    doc="Centred RMSProp step (Graves 2013); n, g and delta are updated in place.",
    domain=_domain("psp", {"gamma2": 0.7, "clip_weights": 1.5}))

ftrl_update = _update(
    "ftrl_update", ("weight", "grad", "z", "n"),
    (_LR, Param("lamda1", Float, 0.01, "L1 regularisation"),
     Param("beta", Float, 1.0, "per-coordinate learning rate beta"), _WD, _RESCALE, _CLIP),
    mutates=(2, 3), aliases=("_sparse_ftrl_update",),
    formula="g = clip(rescale_grad * grad); z += g - (sqrt(n + g^2) - sqrt(n)) * weight / lr; "
            "n += g^2; weight = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) * "
            "(|z| > lamda1)",
    doc="FTRL-proximal step (McMahan et al. 2013); z and n are updated in place.",
    domain=_domain("sp", {"lamda1": 0.05, "beta": 0.5}))

ftml_update = _update(
    "ftml_update", ("weight", "grad", "d", "v", "z"),
    (_LR, Param("beta1", Float, 0.6, "decay of z"), Param("beta2", Float, 0.999, "decay of v"),
     Param("epsilon", Float, 1e-8, "keeps d positive (a double in MXNet)"),
     Param("t", Int, doc="number of the update, from 1"), _WD, _RESCALE,
     Param("clip_grad", Float, -1.0, "clip_gradient under MXNet's other name for this op")),
    mutates=(2, 3, 4),
    formula="g = clip(rescale_grad * grad + wd * weight); v = beta2 * v + (1 - beta2) * g^2; "
            "d_t = (1 - beta1^t) / lr * (sqrt(v / (1 - beta2^t)) + epsilon); "
            "z = beta1 * z + (1 - beta1) * g - (d_t - beta1 * d) * weight; d = d_t; "
            "weight = -z / d_t",
    doc="FTML step (Zheng & Kwok 2017); d, v and z are updated in place.",
    domain=Domain(dtypes=_FLOATS, make_inputs=_update_inputs("pps"),
                  attrs=[{"lr": 0.1, "t": 1}, {"lr": 0.05, "t": 3, "wd": 0.1, "clip_grad": 0.8}]))


# -- sign methods -------------------------------------------------------------------------------
signsgd_update = _update(
    "signsgd_update", ("weight", "grad"), (_LR, _WD, _RESCALE, _CLIP),
    formula="weight = (1 - lr * wd) * weight - lr * sign(grad)",
    doc="signSGD step; rescale_grad and clip_gradient do not change a sign and are ignored.",
    domain=_domain("", {}))

signum_update = _update(
    "signum_update", ("weight", "grad", "mom"),
    (_LR, _MOMENTUM, _WD, _RESCALE, _CLIP,
     Param("wd_lh", Float, 0.0, "decoupled weight decay (Loshchilov & Hutter)")),
    mutates=(2,),
    formula="mom = momentum * mom - (1 - momentum) * (wd * weight + clip(rescale_grad * grad)); "
            "weight = (1 - lr * wd_lh) * weight + lr * sign(mom)",
    doc="Signum step (signSGD with momentum); mom is updated in place.",
    domain=_domain("s", {"momentum": 0.9, "wd_lh": 0.1}))


# -- LAMB: phase 1 gives the direction, the optimizer takes norms, phase 2 steps -------------------
_LAMB1 = (Param("beta1", Float, 0.9, "decay of the first moment"),
          Param("beta2", Float, 0.999, "decay of the second moment"),
          Param("epsilon", Float, 1e-6, "keeps the division finite"),
          Param("t", Int, doc="number of the update, from 1 (bias correction)"),
          Param("bias_correction", Bool, True, "divide the moments by 1 - beta^t"),
          Param("wd", Float, doc="weight decay (required here)"), _RESCALE, _CLIP)
_LAMB2 = (_LR, Param("lower_bound", Float, -1.0, "lower bound of r1 when >= 0"),
          Param("upper_bound", Float, -1.0, "upper bound of r1 when >= 0"))
_LAMB_ATTRS1 = [{"t": 1, "wd": 0.0}, {"t": 3, "wd": 0.1, "rescale_grad": 0.5, "clip_gradient": 0.8,
                                     "bias_correction": False}]
_LAMB1_FORMULA = ("g' = clip(rescale_grad * grad); mean = beta1 * mean + (1 - beta1) * g'; "
                  "var = beta2 * var + (1 - beta2) * g'^2; g = mean_hat / (sqrt(var_hat) + "
                  "epsilon) + wd * weight, mean_hat = mean / (1 - beta1^t) and var_hat = "
                  "var / (1 - beta2^t) with bias_correction")

lamb_update_phase1 = _update(
    "lamb_update_phase1", ("weight", "grad", "mean", "var"), _LAMB1, mutates=(2, 3),
    formula=_LAMB1_FORMULA,
    doc="LAMB phase 1: returns the update direction g; mean and var are updated in place.",
    domain=Domain(dtypes=_FLOATS, make_inputs=_update_inputs("sp"), attrs=_LAMB_ATTRS1))

mp_lamb_update_phase1 = _update(
    "mp_lamb_update_phase1", ("weight", "grad", "mean", "var", "weight32"), _LAMB1, mutates=(2, 3),
    dtype=_mixed("weight", "grad", "mean", "var", "weight32", low=np.dtype(np.float16), out=_F32),
    formula=_LAMB1_FORMULA + ", in float32 with weight32",
    doc="Mixed-precision LAMB phase 1: float16 weight and grad, float32 states and weight32; "
        "returns a float32 g.",
    domain=Domain(dtypes=("float16",), make_inputs=_update_inputs("sp", mp=True),
                  attrs=_LAMB_ATTRS1))


def _lamb2_shape(*names):
    def rule(attrs, *shapes):
        _check_count(names, shapes)
        weight, g, r1, r2 = shapes[:4]
        if g != weight:
            fail(f"g has shape {g} but weight has shape {weight}", "g is phase 1's output")
        if len(names) == 5 and shapes[4] != weight:
            fail(f"weight32 has shape {shapes[4]} but weight has shape {weight}",
                 "weight32 is the weight's float32 copy")
        for name, shape in (("r1", r1), ("r2", r2)):
            if not shape or shape[0] != 1:
                fail(f"{name} has shape {shape} but must have shape (1,): one norm",
                     f"pass {name} as a 1-element array, e.g. weight.norm()")
        return weight
    return rule


def _lamb2_inputs(mp):
    def make_inputs(rng, dtype, attrs):
        w, g, *rest = _update_inputs("", mp)(rng, dtype, attrs)
        g = g.astype(np.float32 if mp else dtype)
        norms = [np.array([rng.choice([0.0, rng.uniform(0.5, 3)])], np.float32 if mp else dtype)
                 for _ in range(2)]
        return [w, g] + norms + rest
    return make_inputs


_LAMB_ATTRS2 = [{"lr": 0.1}, {"lr": 0.05, "lower_bound": 1.0, "upper_bound": 2.0}]

lamb_update_phase2 = OpDef(
    "lamb_update_phase2", inputs=("weight", "g", "r1", "r2"), params=_LAMB2,
    shape=_lamb2_shape("weight", "g", "r1", "r2"), dtype=_same_float("weight", "g", "r1", "r2"),
    formula="weight = weight - lr * r1 / r2 * g, r1 bounded by lower/upper_bound; lr alone "
            "when r1 or r2 is 0",
    doc="LAMB phase 2: the step scaled by the trust ratio r1 = |weight| / r2 = |g| (1-element "
        "arrays).",
    domain=Domain(dtypes=_FLOATS, make_inputs=_lamb2_inputs(False), attrs=_LAMB_ATTRS2),
    grad=NO_GRAD, family="optim")

mp_lamb_update_phase2 = OpDef(
    "mp_lamb_update_phase2", inputs=("weight", "g", "r1", "r2", "weight32"), params=_LAMB2,
    shape=_lamb2_shape("weight", "g", "r1", "r2", "weight32"),
    dtype=_mixed("weight", "g", "r1", "r2", "weight32", n_low=1), mutates=(4,),
    formula="weight = weight32 - lr * r1 / r2 * g, in float32",
    doc="Mixed-precision LAMB phase 2. NB: MXNet 1.9.1 declares weight32 as updated but leaves "
        "it unchanged; so does minimx.",
    domain=Domain(dtypes=("float16", "float32"), make_inputs=_lamb2_inputs(True),
                  attrs=_LAMB_ATTRS2),
    grad=NO_GRAD, family="optim")

from . import optim_multi  # noqa: E402,F401  (part 2 declares its ops on import)
