"""Every optimizer, step by step, against (a) its formula written here in numpy and (b) MXNet 1.9.1.

(a) ``FORMULAS[name](kwargs)`` returns a stateful ``step(w, g) -> new w`` in float64 numpy: the update
    as MXNet's docstrings and kernels publish it. Where MXNet's kernel differs from its docstring the
    kernel wins, and a comment says so.
(b) ``optimizer_mxnet_values.TRAJECTORIES`` holds the weight after each of four steps as real MXNet
    1.9.1 computed it for the same inputs.

minimx runs in float32, so (a) is compared with a float32 tolerance.
"""
import math
import warnings

import numpy as np
import pytest
from optimizer_mxnet_values import TRAJECTORIES, G, W0

import minimx as mx


def _clip(g, c):
    return np.clip(g, -c, c) if c is not None and c >= 0 else g


def _hyper(kw, **defaults):
    """kwargs with the optimizer's defaults filled in, plus the base Optimizer's."""
    out = dict(learning_rate=0.01, wd=0.0, rescale_grad=1.0, clip_gradient=None)
    out.update(defaults)
    out.update(kw)
    return out


def sgd(kw):
    h = _hyper(kw, momentum=0.0)
    mom = [0.0]

    def step(w, g, t):
        g = _clip(h['rescale_grad'] * g, h['clip_gradient'])
        # mom = momentum * mom - lr * (g + wd * w);  w += mom  (plain SGD: momentum 0)
        mom[0] = h['momentum'] * mom[0] - h['learning_rate'] * (g + h['wd'] * w)
        return w + mom[0]
    return step


def nag(kw):
    h = _hyper(kw, momentum=0.0)
    mom = [0.0]

    def step(w, g, t):
        lr, mu = h['learning_rate'], h['momentum']
        g = _clip(h['rescale_grad'] * g, h['clip_gradient'])
        # Docstring: state = mu * state + grad + wd * w;  w -= lr * (grad + mu * state).
        # The kernel also decays w in the weight step, and (out=weight) the state's wd term reads the
        # weight it has just written.
        mom[0] = mu * mom[0]
        w_new = w + mu * mom[0] - (1 + mu) * lr * (g + h['wd'] * w)
        mom[0] = mom[0] - lr * (g + h['wd'] * w_new)
        return w_new
    return step


def adam(kw):
    h = _hyper(kw, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8)
    m, v = [0.0], [0.0]

    def step(w, g, t):
        b1, b2 = h['beta1'], h['beta2']
        lr_t = h['learning_rate'] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        g = _clip(h['rescale_grad'] * g + h['wd'] * w, h['clip_gradient'])   # wd inside the clip
        m[0] = b1 * m[0] + (1 - b1) * g
        v[0] = b2 * v[0] + (1 - b2) * g * g
        return w - lr_t * m[0] / (np.sqrt(v[0]) + h['epsilon'])
    return step


def adamw(kw):
    h = _hyper(kw, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6, correct_bias=True)
    m, v = [0.0], [0.0]

    def step(w, g, t):
        b1, b2 = h['beta1'], h['beta2']
        lr_t = h['learning_rate']
        if h['correct_bias']:
            lr_t *= math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        g = _clip(h['rescale_grad'] * g, h['clip_gradient'])                  # decoupled: no wd here
        m[0] = b1 * m[0] + (1 - b1) * g
        v[0] = b2 * v[0] + (1 - b2) * g * g
        return w - lr_t * (m[0] / (np.sqrt(v[0]) + h['epsilon']) + h['wd'] * w)
    return step


def adagrad(kw):
    h = _hyper(kw, eps=1e-7)
    hist = [0.0]

    def step(w, g, t):
        g = _clip(h['rescale_grad'] * g, h['clip_gradient'])
        hist[0] = hist[0] + g * g
        return w - h['learning_rate'] * (g / np.sqrt(hist[0] + h['eps']) + h['wd'] * w)
    return step


def adadelta(kw):
    h = _hyper(kw, rho=0.9, epsilon=1e-5)
    acc_g, acc_d = [0.0], [0.0]

    def step(w, g, t):
        rho, eps = h['rho'], h['epsilon']
        g = _clip(h['rescale_grad'] * g, h['clip_gradient'])
        acc_g[0] = rho * acc_g[0] + (1 - rho) * g * g
        delta = np.sqrt(acc_d[0] + eps) / np.sqrt(acc_g[0] + eps) * g
        acc_d[0] = rho * acc_d[0] + (1 - rho) * delta * delta
        return w - delta - h['wd'] * w                                       # no learning rate
    return step


def rmsprop(kw):
    h = _hyper(kw, learning_rate=0.001, gamma1=0.9, gamma2=0.9, epsilon=1e-8, centered=False, clip_weights=None)
    n, gbar, delta = [0.0], [0.0], [0.0]

    def step(w, g, t):
        g1, lr, eps = h['gamma1'], h['learning_rate'], h['epsilon']
        g = _clip(h['rescale_grad'] * g + h['wd'] * w, h['clip_gradient'])
        n[0] = (1 - g1) * g * g + g1 * n[0]
        if not h['centered']:
            w = w - lr * g / np.sqrt(n[0] + eps)
        else:                                                                # Graves (2013)
            gbar[0] = (1 - g1) * g + g1 * gbar[0]
            delta[0] = h['gamma2'] * delta[0] - lr * g / np.sqrt(n[0] - gbar[0] ** 2 + eps)
            w = w + delta[0]
        return _clip(w, h['clip_weights'])
    return step


def adamax(kw):
    h = _hyper(kw, learning_rate=0.002, beta1=0.9, beta2=0.999)
    m, u = [0.0], [0.0]

    def step(w, g, t):
        b1 = h['beta1']
        g = _clip(h['rescale_grad'] * g + h['wd'] * w, h['clip_gradient'])
        m[0] = b1 * m[0] + (1 - b1) * g
        u[0] = np.maximum(h['beta2'] * u[0], np.abs(g))
        return w - h['learning_rate'] / (1 - b1 ** t) * m[0] / u[0]
    return step


def nadam(kw):
    h = _hyper(kw, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, schedule_decay=0.004)
    m, v, schedule = [0.0], [0.0], [1.0]

    def step(w, g, t):
        b1, b2, sd = h['beta1'], h['beta2'], h['schedule_decay']
        g = _clip(h['rescale_grad'] * g + h['wd'] * w, h['clip_gradient'])
        mu_t = b1 * (1 - 0.5 * 0.96 ** (t * sd))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * sd))
        schedule[0] *= mu_t
        m[0] = b1 * m[0] + (1 - b1) * g
        v[0] = b2 * v[0] + (1 - b2) * g * g
        m_bar = (1 - mu_t) * g / (1 - schedule[0]) + mu_next * m[0] / (1 - schedule[0] * mu_next)
        v_hat = v[0] / (1 - b2 ** t)
        return w - h['learning_rate'] * m_bar / (np.sqrt(v_hat) + h['epsilon'])
    return step


def signum(kw):
    h = _hyper(kw, momentum=0.9, wd_lh=0.0)
    mom = [0.0]

    def step(w, g, t):
        mu, lr = h['momentum'], h['learning_rate']
        g = _clip(h['rescale_grad'] * g, h['clip_gradient'])
        if mu == 0:
            # signSGD: the kernel decays the weight outside the sign, with wd (wd_lh is not used)
            return (1 - lr * h['wd']) * w - lr * np.sign(g)
        mom[0] = mu * mom[0] - (1 - mu) * (g + h['wd'] * w)
        return (1 - lr * h['wd_lh']) * w + lr * np.sign(mom[0])
    return step


def ftrl(kw):
    h = _hyper(kw, learning_rate=0.1, lamda1=0.01, beta=1.0)
    z, n = [0.0], [0.0]

    def step(w, g, t):
        lr, l1 = h['learning_rate'], h['lamda1']
        g = _clip(h['rescale_grad'] * g, h['clip_gradient'])
        z[0] = z[0] + g - (np.sqrt(n[0] + g * g) - np.sqrt(n[0])) * w / lr
        n[0] = n[0] + g * g
        return (np.abs(z[0]) > l1) * (np.sign(z[0]) * l1 - z[0]) / ((h['beta'] + np.sqrt(n[0])) / lr + h['wd'])
    return step


def ftml(kw):
    h = _hyper(kw, beta1=0.6, beta2=0.999, epsilon=1e-8)
    d, v, z = [0.0], [0.0], [0.0]

    def step(w, g, t):
        b1, b2 = h['beta1'], h['beta2']
        g = _clip(h['rescale_grad'] * g + h['wd'] * w, h['clip_gradient'])
        v[0] = b2 * v[0] + (1 - b2) * g * g
        d_t = (1 - b1 ** t) / h['learning_rate'] * (np.sqrt(v[0] / (1 - b2 ** t)) + h['epsilon'])
        sigma = d_t - b1 * d[0]
        z[0] = b1 * z[0] + (1 - b1) * g - sigma * w
        d[0] = d_t
        return -z[0] / d_t
    return step


def lamb(kw):
    h = _hyper(kw, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6, lower_bound=None,
               upper_bound=None, bias_correction=True)
    m, v = [0.0], [0.0]

    def step(w, g, t):
        b1, b2 = h['beta1'], h['beta2']
        g = _clip(h['rescale_grad'] * g, h['clip_gradient'])
        m[0] = b1 * m[0] + (1 - b1) * g
        v[0] = b2 * v[0] + (1 - b2) * g * g
        m_hat, v_hat = m[0], v[0]
        if h['bias_correction']:
            m_hat, v_hat = m[0] / (1 - b1 ** t), v[0] / (1 - b2 ** t)
        direction = m_hat / (np.sqrt(v_hat) + h['epsilon']) + h['wd'] * w
        r1 = np.linalg.norm(w)
        if h['lower_bound']:
            r1 = max(r1, h['lower_bound'])
        if h['upper_bound']:
            r1 = min(r1, h['upper_bound'])
        r2 = np.linalg.norm(direction)
        trust = r1 / r2 if r1 > 0 and r2 > 0 else 1.0
        return w - h['learning_rate'] * trust * direction
    return step


def lars(kw):
    h = _hyper(kw, momentum=0.0, eta=0.001, eps=0.0)
    mom = [0.0]

    def step(w, g, t):
        # The layer's rate: lr * eta * |w| / (|rescale_grad * g| + wd * |w| + eps), then SGD with momentum.
        w_norm, g_norm = np.linalg.norm(w), np.linalg.norm(h['rescale_grad'] * g)
        lr = h['learning_rate']
        if w_norm > 0 and g_norm > 0:
            lr = lr * h['eta'] * w_norm / (g_norm + h['wd'] * w_norm + h['eps'])
        g = _clip(h['rescale_grad'] * g, h['clip_gradient'])
        mom[0] = h['momentum'] * mom[0] - lr * (g + h['wd'] * w)
        return w + mom[0]
    return step


def dcasgd(kw):
    h = _hyper(kw, momentum=0.0, lamda=0.04)
    prev = [None]

    def step(w, g, t):
        if prev[0] is None:
            prev[0] = w.copy()
        g = _clip(h['rescale_grad'] * g, h['clip_gradient'])
        # compensate the delay with the diagonal of g g^T times the distance moved since last time
        upd = -h['learning_rate'] * (g + h['wd'] * w + h['lamda'] * g * g * (w - prev[0]))
        prev[0] = w.copy()
        return w + upd
    return step


FORMULAS = {'sgd': sgd, 'nag': nag, 'adam': adam, 'adamw': adamw, 'adagrad': adagrad, 'adadelta': adadelta,
            'rmsprop': rmsprop, 'adamax': adamax, 'nadam': nadam, 'signum': signum, 'ftrl': ftrl,
            'ftml': ftml, 'lamb': lamb, 'lars': lars, 'dcasgd': dcasgd}
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(TRAJECTORIES)]


def _minimx_trajectory(name, kwargs):
    opt = mx.optimizer.create(name, **kwargs)
    updater = mx.optimizer.get_updater(opt)
    weight = mx.nd.array(W0)
    out = []
    for g in G:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            updater(0, mx.nd.array(g), weight)
        out.append(weight.asnumpy().copy())
    assert opt.num_update == len(G) and opt._index_update_count == {0: len(G)}
    return out


@pytest.mark.parametrize("name,kwargs,expected", TRAJECTORIES, ids=IDS)
def test_trajectory_matches_mxnet(name, kwargs, expected):
    for step, (got, want) in enumerate(zip(_minimx_trajectory(name, kwargs), expected), 1):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6, err_msg=f"{name} step {step}")


@pytest.mark.parametrize("name,kwargs,expected", TRAJECTORIES, ids=IDS)
def test_trajectory_matches_published_formula(name, kwargs, expected):
    step_fn = FORMULAS[name](kwargs)
    w = np.array(W0, dtype=np.float64)
    formula = []
    for t, g in enumerate(G, 1):
        w = step_fn(w, np.array(g, dtype=np.float64), t)
        formula.append(w)
    # The kernels hold hyperparameters as float32 (1 - 0.999 is 0.99998713e-3 there): about 1e-5 of
    # difference with a float64 formula for O(1) weights, more than float32 rounding alone.
    for step, (got, want) in enumerate(zip(_minimx_trajectory(name, kwargs), formula), 1):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-5, err_msg=f"{name} step {step}")
    # and the formula is the one MXNet runs
    np.testing.assert_allclose(formula, expected, rtol=2e-5, atol=1e-5)


def test_every_optimizer_of_the_spec_has_a_trajectory():
    covered = {name for name, _, _ in TRAJECTORIES}
    assert covered == set(FORMULAS)
    assert covered | {'sgld'} <= set(mx.optimizer.Optimizer.opt_registry)


def test_sgld_trajectory_is_the_formula_with_the_seeded_noise():
    lr, wd = 0.01, 0.1
    mx.random.seed(11)
    weight = mx.nd.array(W0)
    updater = mx.optimizer.get_updater(mx.optimizer.create('sgld', learning_rate=lr, wd=wd, clip_gradient=1.0))
    got = []
    for g in G:
        updater(0, mx.nd.array(g), weight)
        got.append(weight.asnumpy().copy())
    # Replay the noise: SGLD draws one normal(0, sqrt(lr)) array per step and nothing else draws.
    mx.random.seed(11)
    w = np.array(W0, dtype=np.float32)
    for g, want in zip(G, got):
        noise = mx.nd.random.normal(0, math.sqrt(lr), shape=w.shape).asnumpy()
        w = w - lr / 2 * (np.clip(np.array(g), -1, 1) + wd * w) + noise
        np.testing.assert_allclose(want, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,kwargs,ops", [
    ('sgd', {}, ['multi_sgd_update']),                      # one kernel for the whole group of 3
    ('sgd', {'momentum': 0.9}, ['multi_sgd_mom_update']),  # weights and moms in one kernel
    ('sgd', {'momentum': 0.9, 'multi_precision': True}, ['mp_sgd_mom_update'] * 3),
    ('nag', {'momentum': 0.9}, ['nag_mom_update'] * 3),
    ('adam', {}, ['adam_update'] * 3),
    ('rmsprop', {'centered': True}, ['rmspropalex_update'] * 3),
    ('signum', {}, ['signum_update'] * 3),
    ('ftrl', {}, ['ftrl_update'] * 3),
    ('ftml', {}, ['ftml_update'] * 3),
    ('lamb', {}, ['lamb_update_phase1', 'norm', 'norm', 'lamb_update_phase2'] * 3),
])
def test_fused_optimizers_push_one_update_op_per_weight(monkeypatch, name, kwargs, ops):
    from minimx.ndarray import invoke
    engine = invoke._engines.current or invoke.get_engine()
    pushed = []
    push = engine.push

    def counting_push(fn, reads, writes, ctx, op_name, *args, **kw):
        pushed.append(op_name)
        return push(fn, reads, writes, ctx, op_name, *args, **kw)
    dtype = 'float16' if kwargs.get('multi_precision') else 'float32'
    updater = mx.optimizer.get_updater(mx.optimizer.create(name, **kwargs))
    weights = [mx.nd.ones((2, 3), dtype=dtype) for _ in range(3)]
    grads = [mx.nd.ones((2, 3), dtype=dtype) for _ in range(3)]
    updater([0, 1, 2], grads, weights)          # the first call also creates the states
    mx.nd.waitall()
    monkeypatch.setattr(engine, 'push', counting_push)
    updater([0, 1, 2], grads, weights)
    mx.nd.waitall()
    assert pushed == ops
