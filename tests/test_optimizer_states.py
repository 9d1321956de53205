"""Optimizer states and bookkeeping across MXNet: its pickled updater states, lr schedulers, AdamW, SGLD.

Expected numbers were printed by MXNet 1.9.1 for the same inputs.
"""
import pickle
import pickletools
import warnings

import numpy as np
import pytest

import minimx as mx

W = [[0.5, -1.2, 2.0], [0.1, -0.3, 0.8]]
GW = [[0.3, -0.5, 1.5], [-2.0, 0.05, 0.7]]


def test_updater_loads_states_pickled_by_mxnet(fixtures_dir):
    # adam.states: Trainer.save_states of Dense(2, in_units=3) after 3 Adam steps (lr 0.01, rescale 0.25).
    updater = mx.optimizer.get_updater(mx.optimizer.create('adam'))
    updater.set_states((fixtures_dir / "adam.states").read_bytes())
    opt = updater.optimizer
    assert type(opt) is mx.optimizer.Adam
    assert (opt.num_update, opt.lr, opt.rescale_grad, opt.beta1, opt.epsilon) == (3, 0.01, 0.25, 0.9, 1e-8)
    assert opt._index_update_count == {0: 3, 1: 3} and opt._index_update_count is opt._all_index_update_counts[0]
    assert opt.param_dict == {} and updater.states_synced == {0: False, 1: False}
    mean, var = updater.states[1]
    assert isinstance(mean, mx.nd.NDArray) and mean.shape == (2, 3) and mean.dtype == np.float32
    # One more step in each engine from the loaded moments gives the same weights and moments.
    w1, w0 = mx.nd.array(W), mx.nd.array([0.3, -0.2])
    updater(1, mx.nd.array(GW), w1)
    updater(0, mx.nd.array([1.0, -0.5]), w0)
    np.testing.assert_allclose(w1.asnumpy(), [[0.49170884, -1.2068156, 1.9909897],
                                              [0.10892801, -0.2918954, 0.80765694]], rtol=1e-6)
    np.testing.assert_allclose(w0.asnumpy(), [0.30687726, -0.20762451], rtol=1e-6)
    np.testing.assert_allclose(updater.states[1][0].asnumpy(), [[0.53122526, 0.07174163, 0.3611508],
                                                                [-0.53173685, -0.13237253, -0.2714095]], rtol=1e-6)
    np.testing.assert_allclose(updater.states[1][1].asnumpy(), [[0.01386345, 0.00037418, 0.00542549],
                                                                [0.01197922, 0.00090089, 0.00424314]], rtol=1e-5)
    assert opt.num_update == 4 and updater.states_synced == {0: True, 1: True}


def test_get_states_writes_mxnets_bytes(fixtures_dir):
    # Loading MXNet's file and writing it back gives the very same bytes: the format is MXNet's.
    blob = (fixtures_dir / "adam.states").read_bytes()
    updater = mx.optimizer.get_updater(mx.optimizer.create('adam'))
    updater.set_states(blob)
    assert updater.get_states(dump_optimizer=True) == blob


def test_get_states_names_mxnet_classes_only():
    # A file minimx saves names MXNet's modules (real MXNet 1.9.1 loads it and steps on identically).
    sched = mx.lr_scheduler.FactorScheduler(2, 0.5, base_lr=0.1)
    updater = mx.optimizer.get_updater(mx.optimizer.create('sgd', momentum=0.9, lr_scheduler=sched))
    updater(0, mx.nd.array(GW), mx.nd.array(W))
    blob = updater.get_states(dump_optimizer=True)
    modules = {arg for op, arg, _ in pickletools.genops(blob) if isinstance(arg, str) and '.' in arg}
    assert modules == {'mxnet.ndarray.ndarray', 'mxnet.optimizer.optimizer', 'mxnet.lr_scheduler'}
    assert b'minimx' not in blob
    resumed = mx.optimizer.get_updater(mx.optimizer.create('sgd'))
    resumed.set_states(blob)
    assert type(resumed.optimizer.lr_scheduler) is mx.lr_scheduler.FactorScheduler
    np.testing.assert_array_equal(resumed.states[0].asnumpy(), updater.states[0].asnumpy())
    assert mx.optimizer.states.loads(updater.get_states())[0].dtype == np.float32


def test_mxnet_states_of_an_unknown_class_fail_clearly():
    updater = mx.optimizer.get_updater(mx.optimizer.create('sgd'))
    with pytest.raises(mx.base.MXNetError, match="minimx has no class NoSuchOptimizer"):
        updater.set_states(b"cmxnet.optimizer.optimizer\nNoSuchOptimizer\n.")    # a pickled class reference
    # a scheduler pickled by MXNet is read as minimx's namesake; minimx's own pickles load as they are
    assert pickle.loads(b"cminimx.lr_scheduler\nFactorScheduler\n.") is mx.lr_scheduler.FactorScheduler
    from minimx.optimizer import states
    assert states.loads(b"cmxnet.lr_scheduler\nFactorScheduler\n.") is mx.lr_scheduler.FactorScheduler
    updater.set_states(pickle.dumps({0: None}))
    assert updater.states == {0: None}


def test_factor_scheduler_with_warmup_drives_sgd_as_in_mxnet():
    sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0, warmup_steps=2, warmup_begin_lr=0.25)
    opt = mx.optimizer.create('sgd', lr_scheduler=sched)
    updater = mx.optimizer.get_updater(opt)
    weight = mx.nd.ones((2,))
    lrs = []
    for _ in range(6):
        updater(0, mx.nd.ones((2,)), weight)
        lrs.append(opt.learning_rate)
    # MXNet 1.9.1: the rate read after each step, and the weight after six steps.
    assert lrs == [0.625, 1.0, 0.5, 0.5, 0.25, 0.25]
    np.testing.assert_allclose(weight.asnumpy(), [-2.125, -2.125])


def test_scheduler_and_counts_survive_get_states():
    sched = mx.lr_scheduler.MultiFactorScheduler(step=[1, 3], factor=0.1, base_lr=1.0)
    updater = mx.optimizer.get_updater(mx.optimizer.create('sgd', lr_scheduler=sched, begin_num_update=1))
    w = mx.nd.ones((3,))
    for _ in range(2):
        updater(0, mx.nd.ones((3,)), w)
    resumed = mx.optimizer.get_updater(mx.optimizer.create('sgd'))
    resumed.set_states(updater.get_states(dump_optimizer=True))
    opt = resumed.optimizer
    assert opt.num_update == 3 and opt.begin_num_update == 1 and opt.learning_rate == pytest.approx(0.1)
    resumed(0, mx.nd.ones((3,)), w)         # update 4 passes step 3: lr 0.01
    np.testing.assert_allclose(w.asnumpy(), 1 - 0.1 - 0.1 - 0.01, rtol=1e-6)


def test_adamw_defaults_and_registry():
    opt = mx.optimizer.create('AdamW')
    assert isinstance(opt, mx.optimizer.AdamW)
    assert (opt.learning_rate, opt.beta1, opt.beta2, opt.epsilon, opt.correct_bias) == (0.001, 0.9, 0.999, 1e-6, True)


def test_adamw_multi_precision_updates_a_float32_master_copy():
    kwargs = dict(learning_rate=0.1, wd=0.01)
    updater = mx.optimizer.get_updater(mx.optimizer.create('adamw', multi_precision=True, **kwargs))
    ref = mx.optimizer.get_updater(mx.optimizer.create('adamw', **kwargs))
    w16, w32 = mx.nd.array(W, dtype='float16'), mx.nd.array(W)
    for _ in range(3):
        updater(0, mx.nd.array(GW, dtype='float16'), w16)
        ref(0, mx.nd.array(GW), w32)
    (mean, var), master = updater.states[0]
    assert w16.dtype == np.float16 and master.dtype == np.float32 and mean.dtype == np.float32
    np.testing.assert_allclose(master.asnumpy(), w32.asnumpy(), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(w16.asnumpy().astype(np.float32), master.asnumpy(), rtol=1e-3, atol=1e-3)


def test_sgld_statistics_match_mxnet():
    # MXNet 1.9.1, one step from ones with grad ones, lr 0.01, wd 0.1, 400x250: mean 0.99502, std 0.09994.
    mx.random.seed(0)
    updater = mx.optimizer.get_updater(mx.optimizer.create('sgld', learning_rate=0.01, wd=0.1))
    w = mx.nd.ones((400, 250))
    updater(0, mx.nd.ones((400, 250)), w)
    a = w.asnumpy().astype(np.float64)
    # expectation 1 - lr/2 * (1 + wd) = 0.9945, noise std sqrt(lr) = 0.1; mean's own std is 0.1/sqrt(1e5)
    assert abs(a.mean() - 0.9945) < 2e-3 and abs(0.99502 - 0.9945) < 2e-3
    assert abs(a.std() - 0.1) < 2e-3 and abs(0.09994 - 0.1) < 2e-3


def test_lazy_update_and_multi_precision_are_accepted_by_sgd():
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for lazy in (True, False):
            opt = mx.optimizer.create('sgd', learning_rate=0.1, momentum=0.9, lazy_update=lazy, multi_precision=True)
            assert opt.lazy_update is lazy and opt.multi_precision
            w = mx.nd.array(W)
            mx.optimizer.get_updater(opt)(0, mx.nd.array(GW), w)
            np.testing.assert_allclose(w.asnumpy(), np.array(W) - 0.1 * np.array(GW), rtol=1e-6)


def test_arrays_inside_the_optimizer_round_trip_as_ndarrays():
    # LBSGD keeps the gradient summed so far in the optimizer itself, not in the updater's states.
    opt = mx.optimizer.create('lbsgd', learning_rate=0.1, batch_scale=2)
    updater = mx.optimizer.get_updater(opt)
    updater(0, mx.nd.array(GW), mx.nd.array(W))
    resumed = mx.optimizer.get_updater(mx.optimizer.create('sgd'))
    resumed.set_states(updater.get_states(dump_optimizer=True))
    cum = resumed.optimizer.cumgrads[0]['cum_grad']
    assert type(cum) is mx.nd.NDArray
    np.testing.assert_array_equal(cum.asnumpy(), np.array(GW, dtype=np.float32))
    counts = resumed.optimizer._all_index_update_counts
    assert resumed.optimizer._index_update_count is counts[0]
