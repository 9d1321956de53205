"""mx.optimizer: every optimizer against values observed in MXNet 1.9.1, plus the Optimizer/Updater contract.

The expected weights were produced in MXNet 1.9.1 by ``mx.optimizer.create(name, **kwargs)``, an
``mx.optimizer.get_updater`` and three calls ``updater(0, mx.nd.array(g), weight)`` with W0 and G below.
"""
import pickle
import warnings

import numpy as np
import pytest

import minimx as mx

W0 = [[0.5, -1.2, 2.0], [0.1, -0.3, 0.8]]
G = [[[0.3, -0.5, 1.5], [-2.0, 0.05, 0.7]], [[-0.1, 0.4, -1.1], [1.2, -0.6, 0.2]],
     [[0.9, -0.2, 0.3], [-0.4, 1.0, -0.8]]]

# (name, kwargs, weight after the three steps in MXNet 1.9.1)
CASES = [
    ("sgd", dict(learning_rate=0.1),
     [[0.39, -1.17, 1.93], [0.22, -0.345, 0.79]]),
    ("sgd", dict(learning_rate=0.1, momentum=0.9, wd=0.01),
     [[0.3450014, -1.113924, 1.76175], [0.4527996, -0.2979094, 0.6481018]]),
    ("sgd", dict(learning_rate=0.1, momentum=0.9, clip_gradient=0.5, rescale_grad=0.5),
     [[0.42385, -1.16025, 1.9445], [0.1605, -0.299775, 0.72615]]),
    ("ccsgd", dict(learning_rate=0.1, momentum=0.5),
     [[0.3725, -1.1525, 1.8725], [0.31, -0.31875, 0.7275]]),
    ("nag", dict(learning_rate=0.1, momentum=0.9, wd=0.01),
     [[0.2492795, -1.089301, 1.710703], [0.535642, -0.3424256, 0.6517195]]),
    ("nag", dict(learning_rate=0.1),
     [[0.39, -1.17, 1.93], [0.22, -0.345, 0.79]]),
    ("signum", dict(learning_rate=0.1, momentum=0.9, wd=0.01, wd_lh=0.01),
     [[0.1988014, -0.8967036, 1.694306], [0.3994004, -0.399001, 0.6979023]]),
    ("signum", dict(momentum=0.0, wd=0.01),
     [[0.489851, -1.189641, 1.989401], [0.109969, -0.309909, 0.789763]]),
    ("ftml", dict(learning_rate=0.1, wd=0.01),
     [[0.3432603, -1.125853, 1.936306], [0.1693322, -0.387391, 0.7399017]]),
    ("ftml", dict(clip_gradient=0.5),
     [[0.4853287, -1.192886, 1.992798], [0.1081014, -0.3074388, 0.7927296]]),
    ("lars", dict(learning_rate=0.1, momentum=0.9, eta=0.01, wd=0.01),
     [[0.4981067, -1.199397, 1.998487], [0.1025368, -0.300028, 0.798833]]),
    ("lars", dict(learning_rate=0.1, eta=0.1, rescale_grad=0.5),
     [[0.4847742, -1.197794, 1.996567], [0.1083223, -0.3073511, 0.8027628]]),
    ("adam", dict(learning_rate=0.1, wd=0.01),
     [[0.2875023, -1.065658, 1.869044], [0.2443257, -0.35791, 0.6168056]]),
    ("adam", dict(clip_gradient=0.5, rescale_grad=2.0),
     [[0.4980238, -1.198773, 1.998717], [0.1012832, -0.3005189, 0.7978034]]),
    ("adagrad", dict(learning_rate=0.1, wd=0.01),
     [[0.3359469, -1.129196, 1.937361], [0.1650054, -0.3850147, 0.7443177]]),
    ("adagrad", dict(clip_gradient=0.5, eps=0.001),
     [[0.4847622, -1.193281, 1.993182], [0.107836, -0.3055673, 0.7931103]]),
    ("rmsprop", dict(learning_rate=0.01),
     [[0.4487242, -1.17859, 1.982241], [0.1205568, -0.3275592, 0.7836817]]),
    ("rmsprop", dict(learning_rate=0.01, centered=True, wd=0.01, clip_weights=1.5),
     [[0.3965824, -1.136431, 1.473418], [0.1639377, -0.3553137, 0.7146785]]),
    ("adadelta", dict(wd=0.01, rho=0.9),
     [[0.4661216, -1.158268, 1.936542], [0.102249, -0.3038394, 0.7735034]]),
    ("adadelta", dict(clip_gradient=0.5, rescale_grad=2.0, epsilon=0.001),
     [[0.3515018, -1.11473, 1.900222], [0.1997784, -0.3727209, 0.717515]]),
    ("adamax", dict(wd=0.01),
     [[0.4965102, -1.19745, 1.997518], [0.102662, -0.3013857, 0.7967714]]),
    ("adamax", dict(learning_rate=0.1, clip_gradient=0.5),
     [[0.3219537, -1.076614, 1.886425], [0.2209623, -0.3587843, 0.6252374]]),
    ("nadam", dict(learning_rate=0.01, wd=0.01),
     [[0.4811655, -1.191631, 1.992955], [0.1078108, -0.3094934, 0.7935753]]),
    ("ftrl", dict(learning_rate=0.1, wd=0.01, lamda1=0.01),
     [[0.0530226, -0.3781639, 1.167193], [0.1088347, -0.0270952, 0.3143229]]),
    ("ftrl", dict(),
     [[0.0530751, -0.3784154, 1.167658], [0.1088717, -0.0271106, 0.3145038]]),
    ("lamb", dict(learning_rate=0.1, wd=0.01),
     [[0.1286411, -1.017492, 1.819316], [0.3070278, -0.3372137, 0.5331419]]),
    ("lamb", dict(lower_bound=0.1, upper_bound=1.0, bias_correction=False, clip_gradient=1.0),
     [[0.498377, -1.199253, 1.999522], [0.1005298, -0.3001585, 0.7989026]]),
    ("dcasgd", dict(learning_rate=0.1, wd=0.01, lamda=0.5),
     [[0.3881801, -1.166794, 1.932855], [0.2061196, -0.3470859, 0.7885626]]),
    ("lbsgd", dict(learning_rate=0.1, momentum=0.9),
     [[0.3477, -1.1205, 1.7725], [0.454, -0.29955, 0.6523]]),
    ("lbsgd", dict(learning_rate=0.1, batch_scale=2, warmup_epochs=1, updates_per_epoch=4),
     [[0.485, -1.1925, 1.97], [0.16, -0.25875, 0.7325]]),
    ("groupadagrad", dict(learning_rate=0.1),
     [[0.4060562, -1.165326, 1.910736], [0.2051346, -0.3235246, 0.7776209]]),
    ("groupadagrad", dict(clip_gradient=0.5, rescale_grad=2.0, eps=1e-3),
     [[0.4868694, -1.192678, 1.991439], [0.1103402, -0.3006672, 0.787757]]),
    ("test", dict(rescale_grad=0.5),
     [[1.05, -1.35, 2.35], [-0.5, -0.075, 0.85]]),
]


def _run(opt, steps=3, dtype='float32'):
    updater = mx.optimizer.get_updater(opt)
    weight = mx.nd.array(W0, dtype=dtype)
    for g in G[:steps]:
        updater(0, mx.nd.array(g, dtype=dtype), weight)
    return weight, updater


@pytest.mark.parametrize("name,kwargs,expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_three_steps_match_mxnet(name, kwargs, expected):
    weight, _ = _run(mx.optimizer.create(name, **kwargs))
    assert weight.dtype == np.float32
    np.testing.assert_allclose(weight.asnumpy(), expected, rtol=1e-5, atol=1e-6)


def test_defaults_match_mxnet():
    # [learning_rate, wd, rescale_grad, clip_gradient, aggregate_num] of create(name) in MXNet 1.9.1
    expected = {'sgd': [0.01, 0., 1., None, 4], 'adam': [0.001, 0., 1., None, 0], 'rmsprop': [0.001, 0., 1., None, 0],
                'signum': [0.01, 0., 1., None, 0], 'adamax': [0.002, 0., 1., None, 0],
                'nadam': [0.001, 0., 1., None, 0], 'ftrl': [0.1, 0., 1., None, 0], 'lamb': [0.001, 0., 1., None, 45],
                'adagrad': [0.01, 0., 1., None, 0], 'nag': [0.01, 0., 1., None, 0], 'ftml': [0.01, 0., 1., None, 0],
                'adadelta': [0.01, 0., 1., None, 0]}
    for name, values in expected.items():
        o = mx.optimizer.create(name)
        assert [o.learning_rate, o.wd, o.rescale_grad, o.clip_gradient, o.aggregate_num] == values, name
    assert mx.optimizer.create('SGD').momentum == 0.0
    assert isinstance(mx.optimizer.create('Adam'), mx.optimizer.Adam)


def test_registry():
    with pytest.raises(ValueError, match="Cannot find optimizer"):
        mx.optimizer.create('no_such_optimizer')

    @mx.optimizer.register
    class MyUnitTestOptimizer(mx.optimizer.Optimizer):
        def update(self, index, weight, grad, state):
            weight[:] -= self._get_lr(index) * grad

    opt = mx.optimizer.Optimizer.create_optimizer('myunittestoptimizer', learning_rate=0.5)
    weight, _ = _run(opt, steps=1)
    np.testing.assert_allclose(weight.asnumpy(), np.array(W0) - 0.5 * np.array(G[0]), rtol=1e-6)
    with pytest.warns(UserWarning, match="overriding"):
        mx.optimizer.register(MyUnitTestOptimizer)
    del mx.optimizer.Optimizer.opt_registry['myunittestoptimizer']


def test_wd_mult_from_names_and_lr_mult():
    # MXNet 1.9.1: names not ending in _weight or _gamma get wd_mult 0.
    opt = mx.optimizer.create('sgd', learning_rate=0.1, wd=0.1,
                              param_idx2name={0: 'fc_weight', 1: 'fc_bias', 2: 'bn_gamma', 3: 'bn_beta'})
    opt.set_lr_mult({'fc_bias': 2.0})
    assert opt.wd_mult == {'fc_bias': 0.0, 'bn_beta': 0.0}
    assert [opt._get_lr(i) for i in range(5)] == [0.1, 0.2, 0.1, 0.1, 0.1]
    assert [opt._get_wd(i) for i in range(5)] == [0.1, 0.0, 0.1, 0.0, 0.1]
    updater = mx.optimizer.get_updater(opt)
    weights = [mx.nd.array(W0) for _ in range(4)]
    updater([0, 1, 2, 3], [mx.nd.array(G[0])] * 4, weights)     # one aggregated multi_sgd_update
    expected = [[[0.465, -1.138, 1.83], [0.299, -0.302, 0.722]], [[0.44, -1.1, 1.7], [0.5, -0.31, 0.66]],
                [[0.465, -1.138, 1.83], [0.299, -0.302, 0.722]], [[0.47, -1.15, 1.85], [0.3, -0.305, 0.73]]]
    for w, e in zip(weights, expected):
        np.testing.assert_allclose(w.asnumpy(), e, rtol=1e-6)
    assert opt.num_update == 1 and opt._index_update_count == {0: 1, 1: 1, 2: 1, 3: 1}


def test_lars_keeps_wd_only_for_weights():
    opt = mx.optimizer.create('lars', wd=0.1, param_idx2name={0: 'fc_weight', 1: 'bn_gamma'})
    assert opt.wd_mult == {'bn_gamma': 0.0}


def test_mult_by_index_param_dict_and_learning_rate():
    opt = mx.optimizer.create('adam', learning_rate=0.1)
    opt.set_lr_mult({0: 0.5})
    opt.set_wd_mult({0: 3.0})
    opt.wd = 0.1
    assert opt._get_lr(0) == pytest.approx(0.05) and opt._get_wd(0) == pytest.approx(0.3)
    opt.set_learning_rate(0.2)
    assert opt.learning_rate == 0.2

    class Param:     # what a gluon.Parameter offers the optimizer
        lr_mult, wd_mult = 3.0, 0.5

    opt = mx.optimizer.create('sgd', learning_rate=0.1, wd=0.2, param_dict={0: Param()})
    opt.set_lr_mult({0: 100.0})      # param_dict wins over lr_mult
    assert opt._get_lr(0) == pytest.approx(0.3) and opt._get_wd(0) == pytest.approx(0.1)
    state = pickle.loads(pickle.dumps(opt))
    assert state.param_dict == {} and state.lr == 0.1


def test_lr_scheduler():
    class Halve:
        def __init__(self):
            self.base_lr = 0.01

        def __call__(self, num_update):
            return self.base_lr / 2 ** num_update

    sched = Halve()
    with pytest.warns(UserWarning, match="overwritten"):
        opt = mx.optimizer.create('sgd', learning_rate=1.0, lr_scheduler=sched)
    assert sched.base_lr == 1.0 and opt.learning_rate == 1.0
    with pytest.raises(UserWarning):
        opt.set_learning_rate(0.5)
    weight, _ = _run(opt, steps=2)      # lr 0.5 then 0.25 (num_update is counted before the lookup)
    expected = np.array(W0) - 0.5 * np.array(G[0]) - 0.25 * np.array(G[1])
    np.testing.assert_allclose(weight.asnumpy(), expected, rtol=1e-6)
    assert opt.num_update == 2 and opt.learning_rate == 0.25


def test_begin_num_update_and_device_counts():
    opt = mx.optimizer.create('adam', begin_num_update=10)
    assert opt.num_update == 10
    opt._update_count(0)
    assert opt._index_update_count[0] == 11 and opt.num_update == 11
    opt._set_current_context(1)
    opt._update_count(0)
    assert opt._index_update_count[0] == 11 and opt._all_index_update_counts[0][0] == 11


def test_clip_and_rescale_by_hand():
    for clip, rescale in [(0.5, 1.0), (None, 0.25), (0.3, 2.0)]:
        opt = mx.optimizer.create('sgd', learning_rate=0.1, clip_gradient=clip, rescale_grad=rescale)
        weight, _ = _run(opt, steps=1)
        g = np.array(G[0]) * rescale
        if clip is not None:
            g = np.clip(g, -clip, clip)
        np.testing.assert_allclose(weight.asnumpy(), np.array(W0) - 0.1 * g, rtol=1e-6)


# (name, kwargs, float16 weight, float32 master copy) after three steps with multi_precision=True in MXNet 1.9.1
MP_CASES = [
    ("sgd", dict(learning_rate=0.1, momentum=0.9, wd=0.01),
     [[0.3449707, -1.114258, 1.761719], [0.4526367, -0.2978516, 0.6479492]],
     [[0.3449933, -1.114104, 1.76167], [0.4527285, -0.2979361, 0.6478444]]),
    ("sgd", dict(learning_rate=0.1),
     [[0.3898926, -1.169922, 1.929688], [0.2199707, -0.3449707, 0.7895508]],
     [[0.3900024, -1.17019, 1.929956], [0.2199463, -0.3450378, 0.7897705]]),
    ("nag", dict(learning_rate=0.1, momentum=0.9),
     [[0.2529297, -1.098633, 1.725586], [0.5385742, -0.3447266, 0.6567383]],
     [[0.2529251, -1.098628, 1.725135], [0.5385041, -0.3446132, 0.6567837]]),
    ("adam", dict(learning_rate=0.1),
     [[0.2895508, -1.071289, 1.87207], [0.2445068, -0.3588867, 0.6181641]],
     [[0.2894399, -1.071016, 1.872148], [0.2445075, -0.3588393, 0.6180464]]),
    ("lamb", dict(learning_rate=0.1, wd=0.01),
     [[0.1286621, -1.017578, 1.819336], [0.3068848, -0.3371582, 0.5327148]],
     [[0.1286252, -1.017652, 1.819245], [0.3069637, -0.3372161, 0.5328934]]),
    ("rmsprop", dict(learning_rate=0.01),
     [[0.4487305, -1.178711, 1.982422], [0.1205444, -0.3276367, 0.7836914]],
     [[0.448721, -1.178784, 1.982235], [0.1205288, -0.3276069, 0.7834859]]),
]


@pytest.mark.parametrize("name,kwargs,expected16,expected32", MP_CASES, ids=[c[0] for c in MP_CASES])
def test_multi_precision_float16(name, kwargs, expected16, expected32):
    weight, updater = _run(mx.optimizer.create(name, multi_precision=True, **kwargs), dtype='float16')
    state = updater.states[0]
    # SGD and NAG keep (state, weight32) to match the mp_* fused ops; the others (weight32, state).
    master = state[1] if name in ('sgd', 'nag') else state[0]
    assert weight.dtype == np.float16 and master.dtype == np.float32
    np.testing.assert_allclose(weight.asnumpy().astype(np.float64), expected16, rtol=2e-3, atol=1e-3)
    np.testing.assert_allclose(master.asnumpy(), expected32, rtol=1e-4, atol=1e-4)


def test_float16_without_multi_precision_warns():
    opt = mx.optimizer.create('adam')
    with pytest.warns(UserWarning, match="multi_precision"):
        opt.create_state_multi_precision(0, mx.nd.array(W0, dtype='float16'))


def test_aggregated_update_equals_one_by_one():
    kwargs = dict(learning_rate=0.1, momentum=0.9, wd=0.01)
    single = [_run(mx.optimizer.create('sgd', **kwargs))[0] for _ in range(2)]
    updater = mx.optimizer.get_updater(mx.optimizer.create('sgd', **kwargs))
    weights = [mx.nd.array(W0), mx.nd.array(W0)]
    for g in G:
        updater([0, 1], [mx.nd.array(g), mx.nd.array(g)], weights)
    for w, s in zip(weights, single):
        np.testing.assert_allclose(w.asnumpy(), s.asnumpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop", "nadam", "ftml", "lamb"])
def test_updater_states_round_trip(name):
    kwargs = dict(learning_rate=0.05, wd=0.01)
    if name == 'sgd':
        kwargs['momentum'] = 0.9
    straight, _ = _run(mx.optimizer.create(name, **kwargs))
    weight, updater = _run(mx.optimizer.create(name, **kwargs), steps=2)
    blob = updater.get_states(dump_optimizer=True)
    resumed = mx.optimizer.get_updater(mx.optimizer.create(name))
    resumed.set_states(blob)
    assert resumed.states_synced == {0: False}
    assert resumed.optimizer.learning_rate == 0.05 and resumed.optimizer.num_update == 2
    resumed(0, mx.nd.array(G[2]), weight)
    assert resumed.states_synced == {0: True}
    np.testing.assert_allclose(weight.asnumpy(), straight.asnumpy(), rtol=1e-6)
    # Without the optimizer only the states travel.
    only_states = mx.optimizer.get_updater(mx.optimizer.create(name))
    only_states.set_states(updater.get_states())
    assert set(only_states.states) == {0}


def test_sync_state_context_keeps_structure():
    updater = mx.optimizer.get_updater(mx.optimizer.create('sgd'))
    a, b = mx.nd.ones((2,)), mx.nd.zeros((2,))
    synced = updater.sync_state_context((a, [b, None]), mx.cpu(0))
    assert isinstance(synced, tuple) and isinstance(synced[1], list) and synced[1][1] is None
    np.testing.assert_array_equal(synced[0].asnumpy(), [1, 1])


def test_sgld_is_half_step_plus_noise():
    mx.random.seed(7)
    opt = mx.optimizer.create('sgld', learning_rate=1e-4)
    updater = mx.optimizer.get_updater(opt)
    weight = mx.nd.zeros((200, 50))
    updater(0, mx.nd.ones((200, 50)), weight)
    w = weight.asnumpy()
    assert abs(w.mean() + 0.5e-4) < 1e-3 and abs(w.std() - 1e-2) < 1e-3


def test_dcasgd_with_momentum_by_hand():
    # NB: MXNet 1.9.1 raises here (`if mom:` on a multi-element NDArray); we follow the formula.
    opt = mx.optimizer.create('dcasgd', learning_rate=0.1, momentum=0.5, lamda=0.5)
    weight, _ = _run(opt, steps=2)
    w, prev, mom = np.array(W0), np.array(W0), np.zeros((2, 3))
    for g in G[:2]:
        g = np.array(g)
        mom = 0.5 * mom - 0.1 * (g + 0.5 * g * g * (w - prev))
        prev = w.copy()
        w = w + mom
    np.testing.assert_allclose(weight.asnumpy(), w, rtol=1e-5)


def test_adadelta_rescales_caller_grad_in_place():
    opt = mx.optimizer.create('adadelta', rescale_grad=2.0)
    grad = mx.nd.array(G[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mx.optimizer.get_updater(opt)(0, grad, mx.nd.array(W0))
    np.testing.assert_allclose(grad.asnumpy(), 2 * np.array(G[0]), rtol=1e-6)
