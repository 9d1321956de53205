"""The optim ops, part 1: the update of one weight (sgd_update ... lamb_update_phase2).

Expected values marked "MXNet" were observed with Apache MXNet 1.9.1 on the same inputs. The
Cython kernels are compared with the numpy reference in ``test_ops_optim_multi.py``.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minimx as mx
from minimx.ops import get_op

# The inputs of every MXNet observation: a (2, 3) weight and gradient, signed states (momentum,
# mean, z, ...) S and positive ones (second moments) P.
W = [[0.5, -1.2, 2.0], [0.0, 3.1, -0.7]]
G = [[0.3, -2.5, 1.1], [0.0, -0.4, 5.0]]
S = [[0.1, -0.2, 0.05], [0.0, 0.3, -0.1]]
P = [[0.01, 0.2, 0.5], [0.0, 1.0, 0.3]]
STATES = {"sgd_update": [], "sgd_mom_update": [S], "nag_mom_update": [S], "mp_sgd_update": [],
          "mp_sgd_mom_update": [S], "mp_nag_mom_update": [S], "adam_update": [S, P],
          "rmsprop_update": [P], "rmspropalex_update": [P, S, S], "ftrl_update": [S, P],
          "ftml_update": [P, P, S], "signsgd_update": [], "signum_update": [S]}
A = dict(wd=0.01, rescale_grad=0.5, clip_gradient=1.0)

MX_STEPS = [   # MXNet: op, params, weight dtype, then weight, states (and weight32), flattened,
    # after two steps with out=weight (one step of ftml_update)
    ('sgd_update', dict(lr=0.1), 'float32', [
        [0.44, -0.7, 1.78, 0, 3.18, -1.7],
    ]),
    ('sgd_update', dict(A, lr=0.1), 'float32', [
        [0.4690155, -0.9977013, 1.886057, 0, 3.133783, -0.8985007],
    ]),
    ('sgd_update', dict(A, lr=0.1), 'float64', [
        [0.4690155, -0.9977012, 1.886057, 0, 3.133783, -0.8985007],
    ]),
    ('sgd_mom_update', dict(lr=0.1, momentum=0.9), 'float32', [
        [0.584, -0.817, 1.7665, 0, 3.729, -2.321],
        [0.024, 0.313, -0.1685, 0, 0.319, -1.031],
    ]),
    ('sgd_mom_update', dict(A, lr=0.1, momentum=0.9), 'float32', [
        [0.6259755, -1.248441, 1.920212, 0, 3.661723, -1.158781],
        [0.0514755, 0.0303588, -0.067788, 0, 0.2748231, -0.2694807],
    ]),
    ('nag_mom_update', dict(lr=0.1, momentum=0.9), 'float32', [
        [0.5156, -0.3553001, 1.56985, 0, 3.7461, -3.1589],
        [0.024, 0.313, -0.1685, 0, 0.319, -1.031],
    ]),
    ('nag_mom_update', dict(A, lr=0.1, momentum=0.9), 'float32', [
        [0.5823053, -1.04135, 1.814364, 0, 3.638863, -1.310942],
        [0.0514213, 0.0300941, -0.0675533, 0, 0.2743236, -0.2688164],
    ]),
    ('mp_sgd_update', dict(A, lr=0.1), 'float16', [
        [0.4689941, -0.9975586, 1.885742, 0, 3.132812, -0.8984375],
        [0.4690107, -0.9977013, 1.886096, 0, 3.133774, -0.8985007],
    ]),
    ('mp_sgd_mom_update', dict(A, lr=0.1, momentum=0.9), 'float16', [
        [0.6259766, -1.248047, 1.919922, 0, 3.662109, -1.15918],
        [0.0514709, 0.0303588, -0.0677509, 0, 0.2748138, -0.2694807],
        [0.6259685, -1.248441, 1.920269, 0, 3.661709, -1.158781],
    ]),
    ('mp_nag_mom_update', dict(A, lr=0.1, momentum=0.9), 'float16', [
        [0.5825195, -1.041016, 1.814453, 0, 3.638672, -1.310547],
        [0.0514167, 0.0300941, -0.0675164, 0, 0.2743143, -0.2688164],
        [0.582294, -1.04135, 1.814454, 0, 3.638841, -1.310942],
    ]),
    ('adam_update', dict(lr=0.1), 'float32', [
        [0.2435675, -0.9669542, 1.942861, 0, 3.060276, -0.9189713],
        [0.138, -0.6370001, 0.2495001, 0, 0.167, 0.8690002],
        [0.0101599, 0.2120938, 0.5014193, 0, 0.9983208, 0.3493747],
    ]),
    ('adam_update', dict(A, lr=0.1, beta1=0.8, beta2=0.99, epsilon=0.001), 'float32', [
        [0.2740401, -1.016443, 1.944605, 0, 3.066073, -0.7743539],
        [0.1195817, -0.488, 0.2371564, 0, 0.1311186, 0.296],
        [0.0102757, 0.21592, 0.496513, 0, 0.9806691, 0.31393],
    ]),
    ('adam_update', dict(A, lr=0.1), 'float64', [
        [0.2843819, -1.059118, 1.964524, 0, 3.053571, -0.721678],
        [0.1103446, -0.352, 0.1487856, 0, 0.2108647, 0.109],
        [0.0100277, 0.2015992, 0.4996498, 0, 0.9980582, 0.3013993],
    ]),
    ('rmsprop_update', dict(lr=0.1), 'float32', [
        [0.0215943, -0.566033, 1.703884, 0, 3.182613, -1.407394],
        [0.0178, 0.7898751, 0.569225, 0, 0.9181, 2.708251],
    ]),
    ('rmsprop_update', dict(A, lr=0.1, gamma1=0.8, epsilon=0.001, clip_weights=1.5), 'float32', [
        [0.2464604, -0.8905612, 1.414514, 0, 1.5, -0.9850584],
        [0.0149676, 0.488, 0.435829, 0, 0.6514148, 0.552],
    ]),
    ('rmspropalex_update', dict(lr=0.1), 'float32', [
        [-1.142333, -0.473893, 1.648186, 0, 3.736684, -1.956935],
        [0.0178, 0.7898751, 0.569225, 0, 0.9181, 2.708251],
        [0.1195, -0.4242501, 0.152375, 0, 0.23175, 0.3972501],
        [-1.044088, 0.5124306, -0.2449992, 0, 0.3242311, -0.7601715],
    ]),
    ('rmspropalex_update',
     dict(A, lr=0.1, gamma1=0.8, gamma2=0.7, epsilon=0.001, clip_weights=1.5), 'float32', [
        [-0.4381952, -0.884941, 1.372972, 0, 1.5, -1.225865],
        [0.0148451, 0.488, 0.435829, 0, 0.6514148, 0.552],
        [0.1191353, -0.488, 0.2362, 0, 0.12796, 0.296],
        [-0.6058352, 0.2471763, -0.1270275, 0, 0.1837295, -0.3027601],
    ]),
    ('ftrl_update', dict(lr=0.1), 'float32', [
        [0.0300966, -0.5780349, 0.4296173, 0, 0.1379199, -0.6632114],
        [-0.442154, 26.38981, -11.64748, 0, -2.973777, 53.67871],
        [0.19, 12.7, 2.92, 0, 1.32, 50.3],
    ]),
    ('ftrl_update', dict(A, lr=0.1, lamda1=0.05, beta=0.5), 'float32', [
        [-0, -0.3585602, 0.1882407, 0, 0.04349, -0.3540517],
        [-0.0094603, 7.164694, -2.971852, 0, -0.7198464, 7.193259],
        [0.055, 2.2, 1.105, 0, 1.08, 2.3],
    ]),
    ('ftml_update', dict(lr=0.1, t=1), 'float32', [
        [0.4855902, -1.177986, 1.988046, -0, 3.085131, -0.7251671],
        [12.69969, 57.41812, 89.50677, 0, 126.4388, 72.07816],
        [0.01008, 0.2060499, 0.50071, 0, 0.99916, 0.3246997],
        [-6.166844, 67.63775, -177.9435, 0, -390.0802, 52.26871],
    ]),
    ('ftml_update', dict(lr=0.1, t=3, beta1=0.5, beta2=0.9, epsilon=0.001, wd=0.01,
                         rescale_grad=0.5, clip_grad=1.0), 'float32', [
        [0.4279211, -1.119127, 1.930675, -0, 2.998903, -0.733715],
        [1.80358, 8.902859, 11.68404, 0.00875, 15.97977, 10.23283],
        [0.0114025, 0.28, 0.48249, 0, 0.9028561, 0.37],
        [-0.7717901, 9.96343, -22.55807, 0, -47.92178, 7.507981],
    ]),
    ('signsgd_update', dict(lr=0.1), 'float32', [
        [0.3, -1, 1.8, 0, 3.3, -0.9],
    ]),
    ('signsgd_update', dict(A, lr=0.1), 'float32', [
        [0.2991005, -0.9977013, 1.796102, 0, 3.293703, -0.8985007],
    ]),
    ('signum_update', dict(lr=0.1, momentum=0.9), 'float32', [
        [0.7, -1, 1.8, 0, 3.3, -0.9],
        [0.024, 0.3130001, -0.1685001, 0, 0.319, -1.031],
    ]),
    ('signum_update', dict(A, lr=0.1, momentum=0.9, wd_lh=0.1), 'float32', [
        [0.6890501, -1.17512, 1.7612, 0, 3.23731, -0.8850701],
        [0.051455, 0.0303681, -0.06768, 0, 0.275041, -0.2695771],
    ]),
]

MX_LAMB = [   # MXNet: phase 1 params, phase 2 params, mp, then g, mean, var, new weight, weight32
    (dict(t=1, wd=0.0), dict(lr=0.1), False, [
        [0.3779619, -0.2995569, 0.0692685, 0, 0.0727625, 0.2275307],
        [0.12, -0.4300001, 0.155, 0, 0.23, 0.4100001],
        [0.01008, 0.2060499, 0.50071, 0, 0.99916, 0.3246997],
        [0.223222, -0.9806373, 1.949275, 0, 3.046717, -0.8666187],
        [0.5, -1.2, 2, 0, 3.1, -0.7],
    ]),
    (dict(A, t=3, beta1=0.8, beta2=0.99, epsilon=0.001),
     dict(lr=0.1, lower_bound=0.5, upper_bound=2.0), False, [
        [0.3904053, -0.2906586, 0.0950456, 0, 0.1019603, 0.0694615],
        [0.11, -0.36, 0.15, 0, 0.2, 0.12],
        [0.010125, 0.208, 0.498025, 0, 0.9904, 0.307],
        [0.3472089, -1.086246, 1.962802, 0, 3.060096, -0.7271848],
        [0.5, -1.2, 2, 0, 3.1, -0.7],
    ]),
    (dict(t=2, wd=0.01, bias_correction=False), dict(lr=0.1), False, [
        [1.200217, -0.9592865, 0.2390474, 0, 0.2610964, 0.7125189],
        [0.12, -0.4300001, 0.155, 0, 0.23, 0.4100001],
        [0.01008, 0.2060499, 0.50071, 0, 0.99916, 0.3246997],
        [0.2243595, -0.9796913, 1.945101, 0, 3.040037, -0.8636363],
        [0.5, -1.2, 2, 0, 3.1, -0.7],
    ]),
    (dict(t=1, wd=0.01), dict(lr=0.1), True, [
        [0.3829767, -0.3115569, 0.0892511, 0, 0.1037655, 0.2205307],
        [0.1200049, -0.4300001, 0.154961, 0, 0.2300098, 0.4100001],
        [0.01008, 0.2060499, 0.5007091, 0, 0.9991599, 0.3246997],
        [0.2271729, -0.9780273, 1.936523, 0, 3.025391, -0.8569336],
        [0.5, -1.2, 2, 0, 3.1, -0.7],
    ]),
]


def nd(values, dtype="float32"):
    return mx.nd.array(np.asarray(values, dtype=np.float64), dtype=dtype)


def close(result, expected, rtol=2e-6, atol=1e-6):
    result = result.asnumpy() if isinstance(result, mx.nd.NDArray) else result
    np.testing.assert_allclose(np.asarray(result, np.float64).reshape(-1),
                               np.asarray(expected, np.float64).reshape(-1), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name,params,dtype,expected", MX_STEPS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(MX_STEPS)])
def test_steps_match_mxnet(name, params, dtype, expected):
    mp = name.startswith("mp_")
    weight, states = nd(W, dtype), [nd(s, "float32" if mp else dtype) for s in STATES[name]]
    inputs = [weight, nd(G, dtype)] + states + ([nd(W)] if mp else [])
    for _ in range(1 if name == "ftml_update" else 2):
        assert getattr(mx.nd, name)(*inputs, out=weight, **params) is weight
    assert weight.dtype == np.dtype(dtype)
    for result, values in zip([weight] + inputs[2:], expected):
        close(result, values, rtol=1e-3 if result.dtype == np.float16 else 2e-6)


@pytest.mark.parametrize("params1,params2,mp,expected", MX_LAMB)
def test_lamb_matches_mxnet(params1, params2, mp, expected):
    weight, mean, var, weight32 = nd(W, "float16" if mp else "float32"), nd(S), nd(P), nd(W)
    grad = nd(G, weight.dtype)
    if mp:
        g = mx.nd.mp_lamb_update_phase1(weight, grad, mean, var, weight32, **params1)
        r1, r2 = mx.nd.norm(weight32).reshape((1,)), mx.nd.norm(g).reshape((1,))
        new = mx.nd.mp_lamb_update_phase2(weight, g, r1, r2, weight32, **params2)
    else:
        g = mx.nd.lamb_update_phase1(weight, grad, mean, var, **params1)
        r1, r2 = mx.nd.norm(weight).reshape((1,)), mx.nd.norm(g).reshape((1,))
        new = mx.nd.lamb_update_phase2(weight, g, r1, r2, **params2)
    assert g.dtype == np.float32 and new.dtype == weight.dtype
    for result, values in zip([g, mean, var, new, weight32], expected):
        close(result, values, rtol=1e-3 if result.dtype == np.float16 else 2e-6)


def test_mxnet_defaults():
    defaults = {op: {p.name: p.default for p in get_op(op).params} for op in STATES}
    assert defaults["sgd_mom_update"] == {"lr": get_op("sgd_update").params[0].default,
                                          "momentum": 0.0, "wd": 0.0, "rescale_grad": 1.0,
                                          "clip_gradient": -1.0, "lazy_update": True}
    assert {k: v for k, v in defaults["adam_update"].items() if k != "lr"} == {
        "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "wd": 0.0, "rescale_grad": 1.0,
        "clip_gradient": -1.0, "lazy_update": True}
    assert defaults["rmsprop_update"]["gamma1"] == 0.95
    assert defaults["rmspropalex_update"]["gamma2"] == 0.9
    assert (defaults["ftrl_update"]["lamda1"], defaults["ftrl_update"]["beta"]) == (0.01, 1.0)
    assert (defaults["ftml_update"]["beta1"], defaults["ftml_update"]["clip_grad"]) == (0.6, -1.0)
    assert defaults["signum_update"]["wd_lh"] == 0.0
    lamb = {p.name: p.default for p in get_op("lamb_update_phase1").params}
    assert (lamb["epsilon"], lamb["bias_correction"]) == (1e-6, True)
    assert str(lamb["wd"]) == str(lamb["t"]) == "REQUIRED"       # MXNet requires both
    assert get_op("adam_update").mutates == (2, 3) and get_op("mp_sgd_mom_update").mutates == (2, 3)


# -- the formulas, against numpy in float64 ------------------------------------------------------
# Parameters that are exact in float32, so that MXNet's float32 parameters do not matter here.
HP = dict(lr=0.125, wd=0.0625, rescale_grad=0.5, clip_gradient=0.75, momentum=0.875, beta1=0.75,
          beta2=0.9375, epsilon=2.0 ** -20, gamma1=0.875)


def _clip(x, bound):
    return np.clip(x, -bound, bound) if bound >= 0 else x


def _formula(name, w, g, states, p):
    """The update written from its documented formula; returns the new weight and states."""
    lr, wd, mom, rg, c = p["lr"], p["wd"], p["momentum"], p["rescale_grad"], p["clip_gradient"]
    if name == "sgd_update":
        return (1 - lr * wd) * w - lr * _clip(rg * g, c), []
    if name == "sgd_mom_update":
        m = mom * states[0] - lr * wd * w - lr * _clip(rg * g, c)
        return w + m, [m]
    if name == "nag_mom_update":
        step = lr * (_clip(rg * g, c) + wd * w)
        m = mom * states[0]
        return w - m + (mom + 1) * (m - step), [m - step]
    if name == "signum_update":
        m = mom * states[0] - (1 - mom) * (wd * w + _clip(rg * g, c))
        return w + lr * np.sign(m), [m]
    grad = _clip(rg * g + wd * w, c)
    b1, b2, eps, g1 = p["beta1"], p["beta2"], p["epsilon"], p["gamma1"]
    if name == "adam_update":
        mean = b1 * states[0] + (1 - b1) * grad
        var = b2 * states[1] + (1 - b2) * grad ** 2
        return w - lr * mean / (np.sqrt(var) + eps), [mean, var]
    n = g1 * states[0] + (1 - g1) * grad ** 2                     # rmsprop_update
    return w - lr * grad / np.sqrt(n + eps), [n]


@pytest.mark.parametrize("name", ["sgd_update", "sgd_mom_update", "nag_mom_update",
                                  "signum_update", "adam_update", "rmsprop_update"])
@pytest.mark.parametrize("clip", [0.75, -1.0])
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), seed=st.integers(0, 2**31))
@settings(max_examples=10)
def test_formula_against_numpy(name, clip, shape, seed):
    rng = np.random.default_rng(seed)
    w, g = rng.uniform(-2, 2, shape), rng.uniform(-3, 3, shape)
    states = [rng.uniform(0.1, 1, shape) for _ in STATES[name]]
    p = dict(HP, clip_gradient=clip)
    params = {k: v for k, v in p.items() if k in get_op(name).param_names}
    arrays = [nd(s, "float64") for s in states]
    new = getattr(mx.nd, name)(nd(w, "float64"), nd(g, "float64"), *arrays, **params)
    expected, expected_states = _formula(name, w, g, states, p)
    close(new, expected, rtol=1e-12, atol=1e-12)
    for result, value in zip(arrays, expected_states):
        close(result, value, rtol=1e-12, atol=1e-12)


def test_hyperparameters_are_float32_values():
    # MXNet: lr=0.1 is the float 0.100000001..., also for float64 weights.
    new = mx.nd.sgd_update(nd([1.0], "float64"), nd([1.0], "float64"), lr=0.1)
    assert new.asnumpy()[0] == 1 - np.float64(np.float32(0.1)) == 0.8999999985098839


# -- clip_gradient, rescale_grad and wd ------------------------------------------------------------
def test_clip_gradient_zero_zeroes_the_gradient():
    w, g = nd([1.0, 2.0]), nd([0.5, -4.0])
    close(mx.nd.sgd_update(w, g, lr=0.1, clip_gradient=0), [1.0, 2.0])       # MXNet
    close(mx.nd.sgd_update(w, g, lr=0.1, clip_gradient=-0.5), [0.95, 2.4])   # MXNet: no clip
    close(mx.nd.sgd_update(w, g, lr=0.1, clip_gradient=1), [0.95, 2.1])      # MXNet
    close(mx.nd.adam_update(w, g, mx.nd.zeros(2), mx.nd.zeros(2), lr=0.1, clip_gradient=0),
          [1.0, 2.0])                                                         # MXNet


def test_rescale_then_clip_and_where_wd_goes():
    w, g = nd([1.0, 2.0]), nd([0.5, -4.0])
    close(mx.nd.sgd_update(w, g, lr=0.1, rescale_grad=0.1), [0.995, 2.04])   # MXNet
    close(mx.nd.sgd_update(w, g, lr=0.1, rescale_grad=0.5, clip_gradient=1.5), [0.975, 2.15])
    # sgd: wd is outside the clip; adam: the clip applies to rescale_grad * grad + wd * weight.
    close(mx.nd.sgd_update(w, nd([0, 0]), lr=0.1, wd=10, clip_gradient=0.5), [0.0, 0.0])
    mean = mx.nd.zeros(2)
    mx.nd.adam_update(w, nd([0, 0]), mean, mx.nd.zeros(2), lr=0.1, wd=10, clip_gradient=0.5,
                      beta1=0.0)
    close(mean, [0.5, 0.5])
    # signsgd ignores rescale_grad and clip_gradient: a sign does not change.
    close(mx.nd.signsgd_update(w, g, lr=0.1, rescale_grad=-3, clip_gradient=0), [0.9, 2.1])


# -- states in place, out=, several steps --------------------------------------------------------
def test_without_out_a_new_weight_and_states_in_place():
    w, g, mom = nd([1.0, 2.0, -3.0]), nd([0.5, -4.0, 2.0]), nd([0.1, 0.2, 0.3])
    new = mx.nd.sgd_mom_update(w, g, mom, lr=0.1, momentum=0.9, wd=0.01)
    assert new is not w
    close(new, [1.039, 2.578, -2.927])                   # MXNet
    close(w, [1.0, 2.0, -3.0])                           # MXNet: the weight is left as it was
    close(mom, [0.039, 0.578, 0.073])                    # MXNet: mom is updated in place
    assert mx.nd.sgd_mom_update(w, g, mom, lr=0.1, momentum=0.9, wd=0.01, out=w) is w
    close(w, [0.9841, 2.9182, -3.1313])                  # MXNet
    close(mom, [-0.0159, 0.9182, -0.1313])


def test_nag_momentum_sees_the_written_weight():
    def run(out_is_weight):
        w, mom = nd([1.0, 2.0, -3.0]), nd([0.1, 0.2, 0.3])
        new = mx.nd.nag_mom_update(w, nd([0.5, -4.0, 2.0]), mom, lr=0.1, momentum=0.9, wd=0.5,
                                   out=w if out_is_weight else None)
        return new, mom
    new, mom = run(False)
    close(new, [0.891, 2.732, -2.852])                                   # MXNet
    close(mom, [-0.01000001, 0.48000002, 0.22000001])                    # MXNet
    new, mom = run(True)
    close(new, [0.891, 2.732, -2.852])                                   # MXNet
    close(mom, [-0.00455001, 0.44339997, 0.21260001])                    # MXNet: new weight


def test_mp_lamb_phase2_leaves_weight32():
    w32 = nd([1.0, 2.0, -3.0])
    new = mx.nd.mp_lamb_update_phase2(nd([1, 2, -3], "float16"), nd([0.5, -4.0, 2.0]), nd([2.0]),
                                      nd([4.0]), w32, lr=0.1)
    assert new.dtype == np.float16
    close(new, [0.975, 2.2, -3.1], rtol=1e-3)                            # MXNet
    close(w32, [1.0, 2.0, -3.0])                                         # MXNet: unchanged


def test_many_steps_in_a_row_are_ordered(engine_kind):
    rng = np.random.default_rng(0)
    w0, grads = rng.standard_normal(1000), rng.standard_normal((20, 1000))
    w, mean, var = nd(w0, "float64"), mx.nd.zeros(1000, dtype="float64"), \
        mx.nd.zeros(1000, dtype="float64")
    expected, m, v = w0.copy(), np.zeros(1000), np.zeros(1000)
    for g in grads:            # pushed without waiting: the engine orders the reads and writes
        mx.nd.adam_update(w, nd(g, "float64"), mean, var, out=w, lr=0.125, beta1=0.75,
                          beta2=0.9375, epsilon=2.0 ** -20)
        m = 0.75 * m + 0.25 * g
        v = 0.9375 * v + 0.0625 * g * g
        expected = expected - 0.125 * m / (np.sqrt(v) + 2.0 ** -20)
    close(w, expected, rtol=1e-6, atol=1e-9)
    close(mean, m, rtol=1e-6, atol=1e-12)


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("call,message", [
    (lambda: mx.nd.sgd_mom_update(mx.nd.ones((2, 3)), mx.nd.ones((2, 3)), mx.nd.ones((2, 2)),
                                  lr=0.1), "mom has shape (2, 2) but weight has shape (2, 3)"),
    (lambda: mx.nd.sgd_update(mx.nd.ones((2, 3)), mx.nd.ones((3, 2)), lr=0.1),
     "grad has shape (3, 2) but weight has shape (2, 3)"),
    (lambda: mx.nd.adam_update(mx.nd.ones(3), mx.nd.ones(3, dtype="float64"), mx.nd.ones(3),
                               mx.nd.ones(3), lr=0.1), "grad has dtype float64"),
    (lambda: mx.nd.sgd_update(mx.nd.ones(3, dtype="int32"), mx.nd.ones(3, dtype="int32"), lr=1),
     "floating point"),
    (lambda: mx.nd.sgd_update(mx.nd.ones(3), mx.nd.ones(3)), "required parameter 'lr'"),
    (lambda: mx.nd.sgd_mom_update(mx.nd.ones(3), mx.nd.ones(3), lr=0.1), "'mom' is missing"),
    (lambda: mx.nd.mp_sgd_update(mx.nd.ones(3, dtype="float16"), mx.nd.ones(3, dtype="float16"),
                                 mx.nd.ones(3, dtype="float16"), lr=0.1),
     "weight32 has dtype float16 but must be float32"),
    (lambda: mx.nd.mp_lamb_update_phase1(*[mx.nd.ones(3)] * 5, t=1, wd=0.0),
     "weight has dtype float32 but must be float16"),
    (lambda: mx.nd.lamb_update_phase2(mx.nd.ones(3), mx.nd.ones(3), mx.nd.ones(2), mx.nd.ones(1),
                                      lr=0.1), "r1 has shape (2,) but must have shape (1,)"),
    (lambda: mx.nd.sgd_update(mx.nd.ones(3), mx.nd.ones(3), lr=0.1, out=mx.nd.ones(4)),
     "out= has shape"),
])
def test_errors_name_the_input(call, message):
    with pytest.raises(mx.MXNetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()
