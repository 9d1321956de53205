"""optim ops, part 2: updates of several weights in one call, and the helpers of mixed-precision
and LARS training.

The ``multi_*`` ops take their inputs flat, one group per weight, ``num_weights`` groups::

    mx.nd.multi_sgd_mom_update(w0, g0, m0, w1, g1, m1, lrs=(0.1, 0.1), wds=(0, 1e-4),
                               momentum=0.9, num_weights=2, out=[w0, w1])

and return the new weights (``lrs`` and ``wds`` give one value per weight). ``preloaded_*`` ops
take the learning rates and weight decays as two float32 arrays after the groups instead.

NB: ``multi_sgd_update``, ``multi_sgd_mom_update`` and ``preloaded_multi_sgd_update`` are
primitives with a fused kernel: one engine op updates every weight of the group (Gluon's Trainer
sends groups of ``MXNET_OPTIMIZER_AGGREGATION_SIZE``, default 4). ``multi_sgd_mom_update``'s
``mutates`` is a function of ``num_weights`` (the moms are inputs 2, 5, 8, ...); in MXNet 1.9.1
its results equal ``sgd_mom_update``'s per weight bit for bit, and so do minimx's. The mixed-
precision multi updates are composites that call the one-weight update of each group
(``mp_sgd_update``, ``mp_sgd_mom_update``): same values, one engine op per weight.
The ``preloaded_multi_*`` updates (sgd, sgd_mom, mp_sgd, mp_sgd_mom) are primitives: one kernel
per group reading ``lr``/``wd`` from the arrays; their results equal MXNet 1.9.1's bit for bit
(``preloaded_multi_mp_sgd_update`` uses MultiSGDKernel's order of operations on weight32, which
can differ from ``mp_sgd_update``'s by one ulp).
NB: MXNet 1.9.1 fails on a multi update without ``out=``; minimx returns new arrays.
"""
import numpy as np

from ..base import MXNetError
from .opdef import NO_GRAD, Domain, OpDef, OpInputError, Param, fail
from .params import Bool, Float, FloatTuple, Int

__all__ = []

_F32 = np.dtype(np.float32)
_GROUPS = {"sgd": ("weight", "grad"), "mom": ("weight", "grad", "mom"),
           "mp": ("weight", "grad", "weight32"), "mp_mom": ("weight", "grad", "mom", "weight32")}


# -- shape and dtype rules of the multi updates ----------------------------------------------------
def _num_weights(attrs, count, names, extra):
    """``num_weights``, checked against the input count (``extra``: inputs after the groups)."""
    n, stride = attrs["num_weights"], len(names)
    if n < 1 or count != stride * n + extra:
        guess = (count - extra) // stride
        fail(f"num_weights={n} needs {stride * n + extra} inputs ({', '.join(names)} per weight"
             + (", then lrs and wds" if extra else "") + f"), got {count}",
             f"pass num_weights={guess}" if guess >= 1 and count == stride * guess + extra
             else f"give {stride} inputs per weight")
    return n


def _check_tuple(attrs, key, n):
    if len(attrs[key]) != n:
        fail(f"{key} has {len(attrs[key])} values but num_weights is {n}",
             f"give one {key[:-1]} per weight")


def _multi_shape(group, preloaded=False):
    """Each group's inputs have its weight's shape; outputs: one array per weight."""
    names = _GROUPS[group]

    def rule(attrs, *shapes):
        n = _num_weights(attrs, len(shapes), names, 2 if preloaded else 0)
        stride = len(names)
        for i in range(n):
            weight = shapes[i * stride]
            for j in range(1, stride):
                if shapes[i * stride + j] != weight:
                    fail(f"{names[j]}_{i} has shape {shapes[i * stride + j]} but weight_{i} has "
                         f"shape {weight}", f"{names[j]}_{i} must have weight_{i}'s shape")
        if preloaded:
            for key, shape in zip(("lrs", "wds"), shapes[-2:]):
                if int(np.prod(shape)) != n:
                    fail(f"{key} has {int(np.prod(shape))} values but num_weights is {n}",
                         f"give one value per weight in {key}")
        else:
            _check_tuple(attrs, "lrs", n)
            _check_tuple(attrs, "wds", n)
        return [shapes[i * stride] for i in range(n)]
    return rule


def _multi_dtype(group, preloaded=False):
    """weight and grad of a group share a float dtype (the same for every group unless mixed
    precision); mom and weight32 of ``mp`` groups and preloaded lrs/wds are float32."""
    names = _GROUPS[group]
    mixed = group.startswith("mp")

    def rule(attrs, *dtypes):
        n = _num_weights(attrs, len(dtypes), names, 2 if preloaded else 0)
        stride, first = len(names), dtypes[0]
        if first.kind != "f":
            fail(f"weight_0 has dtype {first}; the updates support floating point types only",
                 "convert it with .astype('float32')")
        for i in range(n):
            weight = dtypes[i * stride]
            for j, name in enumerate(names):
                dtype = dtypes[i * stride + j]
                expected = _F32 if mixed and j >= 2 else (weight if mixed else first)
                if dtype != expected:
                    fail(f"{name}_{i} has dtype {dtype} but must be {expected}",
                         f"convert it with .astype('{expected}')")
            if weight.kind != "f":
                fail(f"weight_{i} has dtype {weight}; only floating point types are supported",
                     "convert it with .astype('float32')")
        if preloaded:
            for key, dtype in zip(("lrs", "wds"), dtypes[-2:]):
                if dtype != _F32:
                    fail(f"{key} has dtype {dtype} but must be float32",
                         f"convert it with .astype('float32')")
        return [dtypes[i * stride] for i in range(n)]
    return rule


def _multi_inputs(group, preloaded=False):
    """make_inputs: ``num_weights`` groups of random shapes (then float32 lrs and wds)."""
    def make_inputs(rng, dtype, attrs):
        arrays = []
        n = attrs["num_weights"]
        for _ in range(n):
            shape = tuple(int(s) for s in rng.integers(1, 6, size=rng.integers(1, 3)))
            w = rng.uniform(-2, 2, shape).astype(dtype)
            arrays += [w, rng.uniform(-3, 3, shape).astype(dtype)]
            state = np.float32 if group.startswith("mp") else dtype
            if group.endswith("mom"):
                arrays.append(rng.uniform(-0.5, 0.5, shape).astype(state))
            if group.startswith("mp"):
                arrays.append(w.astype(np.float32))
        if preloaded:
            arrays += [rng.uniform(0.01, 0.2, n).astype(np.float32),
                       rng.uniform(0, 0.1, n).astype(np.float32)]
        return arrays
    return make_inputs


def _check(name, shape_rule, dtype_rule, attrs, data):
    """Run a composite's rules (``invoke`` runs them for primitives only)."""
    try:
        shape_rule(attrs, *(x.shape for x in data))
        dtype_rule(attrs, *(np.dtype(x.dtype) for x in data))
    except OpInputError as err:
        shown = ", ".join(f"{x.shape} {np.dtype(x.dtype)}" for x in data)
        raise MXNetError(f"{name}: {err}\n  inputs: {shown}\n  hint: {err.hint}") from None


def _composite(name, group, step):
    """The body of a multi update made of one-weight updates: check, then ``step`` per group."""
    shape_rule, dtype_rule = _multi_shape(group), _multi_dtype(group)
    stride = len(_GROUPS[group])

    def compute(F, attrs, *data):
        _check(name, shape_rule, dtype_rule, attrs, data)
        shared = {k: attrs[k] for k in ("rescale_grad", "clip_gradient", "momentum") if k in attrs}
        update = getattr(F, step)
        return [update(*data[i * stride:(i + 1) * stride], lr=lr, wd=wd, **shared)
                for i, (lr, wd) in enumerate(zip(attrs["lrs"], attrs["wds"]))]
    return compute


_LRS = Param("lrs", FloatTuple, doc="one learning rate per weight")
_WDS = Param("wds", FloatTuple, doc="one weight decay per weight")
_RESCALE = Param("rescale_grad", Float, 1.0, "multiplies every gradient first")
_CLIP = Param("clip_gradient", Float, -1.0,
              "clip the rescaled gradients to [-c, c] when c >= 0 (NB: 0 zeroes them)")
_MOMENTUM = Param("momentum", Float, 0.0, "decay of the momentum")
_NUM = Param("num_weights", Int, 1, "number of weights (groups of inputs)")
_SGD_FORMULA = ("weight_i = weight_i + (-lrs[i] * wds[i] * weight_i - lrs[i] * "
                "clip(rescale_grad * grad_i))")
_MULTI_ATTRS = [{"lrs": (0.1, 0.2), "wds": (0.0, 0.1), "num_weights": 2},
                {"lrs": (0.05,), "wds": (0.01,), "num_weights": 1, "rescale_grad": 0.5,
                 "clip_gradient": 0.8}]


def _multi(name, group, params, formula, doc, step=None, dtypes=("float32", "float64", "float16"),
           extra_attrs=None, mutates=()):
    attrs = [dict(a, **(extra_attrs or {})) for a in _MULTI_ATTRS]
    return OpDef(name, inputs=("*data",), params=params, shape=_multi_shape(group),
                 dtype=_multi_dtype(group), compute=step and _composite(name, group, step),
                 formula=formula, doc=doc, grad=NO_GRAD, family="optim", mutates=mutates,
                 domain=Domain(dtypes=dtypes, make_inputs=_multi_inputs(group), attrs=attrs))


def _moms(attrs, n_inputs):
    """The inputs ``multi_sgd_mom_update`` writes: each group's third array, its momentum."""
    return tuple(range(2, n_inputs, 3))


multi_sgd_update = _multi(
    "multi_sgd_update", "sgd", (_LRS, _WDS, _RESCALE, _CLIP, _NUM), _SGD_FORMULA,
    "SGD step of several weights: inputs weight_0, grad_0, weight_1, grad_1, ...")

multi_sgd_mom_update = _multi(
    "multi_sgd_mom_update", "mom", (_LRS, _WDS, _MOMENTUM, _RESCALE, _CLIP, _NUM),
    "sgd_mom_update of each (weight_i, grad_i, mom_i) with lrs[i] and wds[i]",
    "Momentum SGD step of several weights: inputs weight_0, grad_0, mom_0, ...; the moms are "
    "updated in place.", extra_attrs={"momentum": 0.9}, mutates=_moms)

_MP = ("float16", "float32")
multi_mp_sgd_update = _multi(
    "multi_mp_sgd_update", "mp", (_LRS, _WDS, _RESCALE, _CLIP, _NUM),
    "mp_sgd_update of each (weight_i, grad_i, weight32_i) with lrs[i] and wds[i]",
    "Mixed-precision SGD step of several weights: inputs weight_0, grad_0, weight32_0, ...; the "
    "float32 master copies are updated in place.", step="mp_sgd_update", dtypes=_MP)

multi_mp_sgd_mom_update = _multi(
    "multi_mp_sgd_mom_update", "mp_mom", (_LRS, _WDS, _MOMENTUM, _RESCALE, _CLIP, _NUM),
    "mp_sgd_mom_update of each (weight_i, grad_i, mom_i, weight32_i) with lrs[i] and wds[i]",
    "Mixed-precision momentum SGD step of several weights: inputs weight_0, grad_0, mom_0, "
    "weight32_0, ...; moms and master copies are updated in place.", step="mp_sgd_mom_update",
    dtypes=_MP, extra_attrs={"momentum": 0.9})

preloaded_multi_sgd_update = OpDef(
    "preloaded_multi_sgd_update", inputs=("*data",), params=(_RESCALE, _CLIP, _NUM),
    shape=_multi_shape("sgd", preloaded=True), dtype=_multi_dtype("sgd", preloaded=True),
    formula=_SGD_FORMULA + ", lrs and wds the last two inputs",
    doc="multi_sgd_update with the learning rates and weight decays given as two float32 arrays "
        "after the groups (LARS computes them on the device).",
    domain=Domain(make_inputs=_multi_inputs("sgd", preloaded=True),
                  attrs=[{"num_weights": 2}, {"num_weights": 1, "clip_gradient": 0.8}]),
    grad=NO_GRAD, family="optim")



def _preloaded_state(group):
    """``mutates`` of a preloaded multi update: the groups' mom/weight32 (lrs, wds come last)."""
    stride = len(_GROUPS[group])

    def mutated(attrs, n_inputs):
        return tuple(i for i in range(n_inputs - 2) if i % stride >= 2)
    return mutated


def _preloaded(name, group, params, doc, dtypes, attrs):
    return OpDef(
        name, inputs=("*data",), params=params + (_RESCALE, _CLIP, _NUM),
        shape=_multi_shape(group, preloaded=True), dtype=_multi_dtype(group, preloaded=True),
        formula=f"{name[len('preloaded_multi_'):]} of each group with lrs[i] and wds[i], lrs "
                "and wds the last two inputs", doc=doc, mutates=_preloaded_state(group),
        domain=Domain(dtypes=dtypes, make_inputs=_multi_inputs(group, preloaded=True),
                      attrs=attrs),
        grad=NO_GRAD, family="optim")


_PRELOADED_MOM_ATTRS = [{"num_weights": 2, "momentum": 0.9},
                        {"num_weights": 1, "momentum": 0.5, "rescale_grad": 0.5,
                         "clip_gradient": 0.8}]

preloaded_multi_sgd_mom_update = _preloaded(
    "preloaded_multi_sgd_mom_update", "mom", (_MOMENTUM,),
    "multi_sgd_mom_update with the learning rates and weight decays given as two float32 arrays "
    "after the groups; the moms are updated in place.", ("float32", "float64", "float16"),
    _PRELOADED_MOM_ATTRS)

preloaded_multi_mp_sgd_update = _preloaded(
    "preloaded_multi_mp_sgd_update", "mp", (),
    "multi_mp_sgd_update with the learning rates and weight decays given as two float32 arrays "
    "after the groups; the float32 master copies are updated in place.", _MP,
    [{"num_weights": 2}, {"num_weights": 1, "rescale_grad": 0.5, "clip_gradient": 0.8}])

preloaded_multi_mp_sgd_mom_update = _preloaded(
    "preloaded_multi_mp_sgd_mom_update", "mp_mom", (_MOMENTUM,),
    "multi_mp_sgd_mom_update with the learning rates and weight decays given as two float32 "
    "arrays after the groups; moms and master copies are updated in place.", _MP,
    _PRELOADED_MOM_ATTRS)

# -- helpers of mixed-precision and LARS training -------------------------------------------------
def _floats(attrs, *dtypes):
    for i, dtype in enumerate(dtypes):
        if dtype.kind != "f":
            fail(f"array_{i} has dtype {dtype}; only floating point types are supported",
                 "convert it with .astype('float32')")
    return _F32


def _any_shapes(attrs, *shapes):
    if not shapes:
        fail("needs at least one array", "pass the arrays to check")
    return (1,)


def _same_dtype_floats(attrs, *dtypes):
    _floats(attrs, *dtypes)
    for i, dtype in enumerate(dtypes[1:], 1):
        if dtype != dtypes[0]:
            fail(f"array_{i} has dtype {dtype} but array_0 has dtype {dtypes[0]}",
                 "all arrays must have one dtype")
    return _F32


def _sum_sq_shape(attrs, *shapes):
    _any_shapes(attrs, *shapes)
    return (len(shapes),)


_INIT = Param("init_output", Bool, True, "set the output to 1 first (else only ever set it to 0)")
_FINITE_DOMAIN = Domain(dtypes=("float32", "float64", "float16"), low=-1e4, high=1e4)

all_finite = OpDef(
    "all_finite", params=(_INIT,), shape=_any_shapes, dtype=_floats,
    formula="out = [1.0] if every value of data is finite (as a float32) else [0.0]",
    doc="Checks a gradient for inf and NaN (loss scaling in mixed-precision training). With "
        "init_output=False a finite input leaves out as it was, to chain checks.",
    domain=_FINITE_DOMAIN, grad=NO_GRAD, family="optim")

multi_all_finite = OpDef(
    "multi_all_finite", inputs=("*data",), key_var_num_args="num_arrays",
    params=(Param("num_arrays", Int, 1, "number of arrays"), _INIT), shape=_any_shapes,
    dtype=_same_dtype_floats,
    formula="out = [1.0] if every value of every array is finite else [0.0]",
    doc="all_finite over several arrays at once.", domain=_FINITE_DOMAIN, grad=NO_GRAD, family="optim")


multi_sum_sq = OpDef(
    "multi_sum_sq", inputs=("*data",), key_var_num_args="num_arrays",
    params=(Param("num_arrays", Int, doc="number of arrays"),),
    shape=_sum_sq_shape,
    dtype=_same_dtype_floats, formula="out[i] = sum(data_i ** 2), float32",
    doc="The squared L2 norm of each array (for LARS and gradient clipping by global norm). NB: "
        "minimx accumulates in float64 where MXNet's CPU kernel accumulates in float32.",
    domain=Domain(dtypes=("float32", "float64", "float16")), grad=NO_GRAD, family="optim")


def _lars_shape(attrs, *shapes):
    names = ("lrs", "weights_sum_sq", "grads_sum_sq", "wds")
    if len(shapes) != 4:
        fail(f"needs 4 inputs ({', '.join(names)}), got {len(shapes)}", "pass every input")
    for name, shape in zip(names[1:], shapes[1:]):
        if shape != shapes[0]:
            fail(f"{name} has shape {shape} but lrs has shape {shapes[0]}",
                 "give one value per weight in every input")
    return shapes[0]


def _lars_dtype(attrs, *dtypes):
    for name, dtype in zip(("lrs", "weights_sum_sq", "grads_sum_sq", "wds"), dtypes):
        if dtype != _F32:
            fail(f"{name} has dtype {dtype} but multi_lars supports float32 only",
                 "convert it with .astype('float32')")
    return _F32


multi_lars = OpDef(
    "multi_lars", inputs=("lrs", "weights_sum_sq", "grads_sum_sq", "wds"),
    params=(Param("eta", Float, doc="LARS coefficient"), Param("eps", Float, doc="added to the "
            "denominator"), _RESCALE),
    shape=_lars_shape, dtype=_lars_dtype,
    formula="out = lrs * eta * |w| / (|g| * rescale_grad + wds * |w| + eps) where both norms "
            "> 0, else lrs; |w| = sqrt(weights_sum_sq), |g| = sqrt(grads_sum_sq)",
    doc="Layer-wise learning rates of LARS (You et al. 2017) from the sums of squares.",
    domain=Domain(dtypes=("float32",), low=0.0, high=2.0, attrs=[{"eta": 0.001, "eps": 1e-8},
                                                                {"eta": 0.01, "eps": 0.0,
                                                                 "rescale_grad": 0.5}]),
    grad=NO_GRAD, family="optim")


def _reset(F, attrs, *data):
    """Zero every array in place (one ``zeros_like`` into each)."""
    _check("reset_arrays", _any_shapes, _floats, attrs, data)
    for x in data:
        F.zeros_like(x, out=x)
    return []


reset_arrays = OpDef(
    "reset_arrays", inputs=("*data",), key_var_num_args="num_arrays",
    params=(Param("num_arrays", Int, doc="number of arrays"),),
    shape=lambda attrs, *shapes: [], dtype=lambda attrs, *dtypes: [], compute=_reset,
    formula="data_i[:] = 0 for every array", doc="Sets several arrays to zero in place (the "
    "gradients, between steps); returns an empty list, as MXNet.",
    domain=Domain(dtypes=("float32", "float64", "float16")), grad=NO_GRAD, family="optim")
