"""Tests of ``gluon.Trainer``: updates against closed forms and against numbers printed by real
MXNet 1.9.1 running the same scripts, several contexts, stale gradients, states files."""
import os

import numpy as np
import pytest

import minimx as mx
from minimx import autograd, gluon, nd
from minimx.optimizer import adaptive as adaptive_module
from minimx.optimizer import sgd as sgd_module

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "mxnet-1.9.1")
W0 = np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]])
B0 = np.array([0.05, -0.05])
X = np.array([[1, 2, 3], [4, 5, 6], [-1, 0.5, 2], [0.3, -0.7, 1.1]])
CTXS = [mx.cpu(0), mx.cpu(1)]

# Dense(2, in_units=3) from W0/B0, loss sum(net(X)**2), trainer.step(4), three times; MXNet 1.9.1.
MXNET_3_STEPS = {
    "sgd": ({"learning_rate": 0.1},
            [[-3.0982465744018555, -4.580697536468506, -5.585071086883545],
             [0.213003471493721, 0.4626504182815552, -0.1830202341079712]],
            [-1.2887965440750122, 0.2394273579120636]),
    "momentum": ({"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01},
                 [[-1.3508902788162231, -2.168269634246826, -2.56904935836792],
                  [-0.1123223602771759, 0.22480271756649017, -0.050459980964660645]],
                 [-0.689119815826416, 0.45451074838638306]),
    "adam": ({"learning_rate": 0.01},
             [[0.07023203372955322, -0.22977177798748016, 0.27019014954566956],
              [0.3700464069843292, 0.4700801372528076, -0.5700029134750366]],
             [0.0201442688703537, -0.0200228039175272]),
}
# The same on ctx=[cpu(0), cpu(1)], X split in two, sgd lr 0.01 momentum 0.9 (both values of
# update_on_kvstore give this in MXNet).
MXNET_2CTX_WEIGHT = [[0.00835718959569931, -0.32611706852912903, 0.0997077077627182],
                     [0.3309009373188019, 0.46184229850769043, -0.5351318120956421]]


def make_net(ctx=None):
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(ctx=ctx)
    net.weight.set_data(nd.array(W0))
    net.bias.set_data(nd.array(B0))
    return net


def backward_step(net, trainer, x=X, ctxs=None, batch_size=4):
    if ctxs is None:
        with autograd.record():
            loss = (net(nd.array(x)) ** 2).sum()
        loss.backward()
    else:
        parts = gluon.utils.split_and_load(nd.array(x), ctxs)
        with autograd.record():
            losses = [(net(p) ** 2).sum() for p in parts]
        autograd.backward(losses)
    trainer.step(batch_size)


def numpy_grads(w, b, x=X):
    y = x @ w.T + b
    return 2 * y.T @ x, 2 * y.sum(axis=0)


def closed_form(kind, params, steps=3, batch_size=4):
    """The optimizers' update rules in float64 numpy."""
    w, b = W0.copy(), B0.copy()
    lr, wd = params["learning_rate"], params.get("wd", 0.0)
    mom = params.get("momentum", 0.0)
    state = {"w": [np.zeros_like(w), np.zeros_like(w)], "b": [np.zeros_like(b), np.zeros_like(b)]}
    for t in range(1, steps + 1):
        gw, gb = numpy_grads(w, b)
        new = {}
        for name, value, grad in (("w", w, gw), ("b", b, gb)):
            g = grad / batch_size + wd * value
            if kind == "adam":
                m, v = state[name]
                m[:] = 0.9 * m + 0.1 * g
                v[:] = 0.999 * v + 0.001 * g * g
                lr_t = lr * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
                new[name] = value - lr_t * m / (np.sqrt(v) + 1e-8)
            else:
                state[name][0][:] = mom * state[name][0] - lr * g
                new[name] = value + state[name][0]
        w, b = new["w"], new["b"]
    return w, b


@pytest.mark.parametrize("kind", sorted(MXNET_3_STEPS))
def test_three_steps_match_closed_form_and_mxnet(kind):
    params, mx_w, mx_b = MXNET_3_STEPS[kind]
    net = make_net()
    trainer = gluon.Trainer(net.collect_params(), "adam" if kind == "adam" else "sgd", params)
    for _ in range(3):
        backward_step(net, trainer)
    w, b = closed_form(kind, params)
    np.testing.assert_allclose(net.weight.data().asnumpy(), w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net.bias.data().asnumpy(), b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net.weight.data().asnumpy(), mx_w, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(net.bias.data().asnumpy(), mx_b, rtol=1e-6, atol=1e-6)
    assert trainer._kvstore is None and trainer._update_on_kvstore is None   # as MXNet: one ctx


def test_optimizer_instance_and_learning_rate():
    net = make_net()
    optim = mx.optimizer.SGD(learning_rate=0.1)
    trainer = gluon.Trainer(net.collect_params(), optim)
    assert trainer.optimizer is optim and trainer.learning_rate == 0.1
    assert optim.param_dict[0] is net.bias and optim.param_dict[1] is net.weight    # sorted names
    trainer.set_learning_rate(0.5)
    assert trainer.learning_rate == 0.5 and optim.lr == 0.5
    backward_step(net, trainer)
    assert optim.rescale_grad == 0.25
    sched = gluon.Trainer(make_net().collect_params(), "sgd",
                          {"lr_scheduler": mx.lr_scheduler.FactorScheduler(step=1, factor=0.5)})
    with pytest.raises(UserWarning):
        sched.set_learning_rate(0.1)


def test_aggregated_and_fused_updates(monkeypatch):
    """The Trainer hands the optimizer all of a context's parameters in one call; SGD (aggregate_num
    4) updates them with one multi_sgd_update op, Adam (aggregate_num 0, MXNet's too) with one
    adam_update op per parameter."""
    batches, ops = [], []
    for cls in (mx.optimizer.SGD, mx.optimizer.Adam):
        def spy_update(self, index, weight, grad, state, _real=cls.update_multi_precision):
            batches.append(list(index) if isinstance(index, (list, tuple)) else [index])
            return _real(self, index, weight, grad, state)
        monkeypatch.setattr(cls, "update_multi_precision", spy_update)
    for module, name in ((sgd_module, "multi_sgd_update"), (adaptive_module, "adam_update")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name,
                            lambda *a, _real=real, _name=name, **k: ops.append(_name) or _real(*a, **k))
    net = make_net()
    backward_step(net, gluon.Trainer(net.collect_params(), "sgd"))
    assert batches == [[0, 1]] and ops == ["multi_sgd_update"]
    batches.clear()
    ops.clear()
    net = make_net()
    backward_step(net, gluon.Trainer(net.collect_params(), "adam"))
    assert batches == [[0], [1]] and ops == ["adam_update", "adam_update"]


@pytest.mark.parametrize("update_on_kvstore", [None, False])
def test_two_contexts_sum_gradients_and_stay_identical(update_on_kvstore):
    net = make_net(CTXS)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9},
                            update_on_kvstore=update_on_kvstore)
    for _ in range(3):
        backward_step(net, trainer, ctxs=CTXS)
    assert trainer._kvstore.type == "device"
    assert trainer._update_on_kvstore is (update_on_kvstore is None)
    for w in net.weight.list_data():
        np.testing.assert_allclose(w.asnumpy(), MXNET_2CTX_WEIGHT, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(net.bias.data(CTXS[0]).asnumpy(), net.bias.data(CTXS[1]).asnumpy())
    # The same as one context on the whole batch: the gradients are summed, not averaged.
    single = make_net()
    trainer1 = gluon.Trainer(single.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9})
    for _ in range(3):
        backward_step(single, trainer1)
    np.testing.assert_allclose(net.weight.data(CTXS[1]).asnumpy(), single.weight.data().asnumpy(),
                               rtol=1e-5, atol=1e-6)
    grads = [g.asnumpy() for g in net.weight.list_grad()]
    if update_on_kvstore is None:
        # the kvstore updated the weights; the gradients on the contexts are left as they were
        assert not np.allclose(grads[0], grads[1])
        with pytest.raises(AssertionError, match="update_on_kvstore"):
            trainer.allreduce_grads()
        with pytest.raises(mx.MXNetError, match="update_on_kvstore"):
            trainer.update(4)
        # NB: as in MXNet, this path never clears the fresh flags, so no stale-gradient error
        trainer.step(4)
    else:
        np.testing.assert_array_equal(grads[0], grads[1])


def test_allreduce_then_update_with_clipping():
    net = make_net(CTXS)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01},
                            update_on_kvstore=False)
    parts = gluon.utils.split_and_load(nd.array(X), CTXS)
    with autograd.record():
        losses = [(net(p) ** 2).sum() for p in parts]
    autograd.backward(losses)
    trainer.allreduce_grads()
    gw, gb = numpy_grads(W0, B0)
    np.testing.assert_allclose(net.weight.grad(CTXS[1]).asnumpy(), gw, rtol=1e-5)
    norm = gluon.utils.clip_global_norm(
        [g for p in (net.weight, net.bias) for g in p.list_grad()[:1]], 1.0)
    np.testing.assert_allclose(norm, np.sqrt((gw ** 2).sum() + (gb ** 2).sum()), rtol=1e-5)
    trainer.update(4)   # only cpu(0)'s gradients were clipped: the copies now differ
    clipped = W0 - 0.01 * gw / norm / 4
    np.testing.assert_allclose(net.weight.data(CTXS[0]).asnumpy(), clipped, rtol=1e-5)
    np.testing.assert_allclose(net.weight.data(CTXS[1]).asnumpy(), W0 - 0.01 * gw / 4, rtol=1e-5)


def test_no_kvstore_keeps_contexts_apart():
    net = make_net(CTXS)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01}, kvstore=None)
    backward_step(net, trainer, ctxs=CTXS)
    assert trainer._kvstore is None
    w0, w1 = (w.asnumpy() for w in net.weight.list_data())
    np.testing.assert_allclose(w0, W0 - 0.01 * numpy_grads(W0, B0, X[:2])[0] / 4, rtol=1e-5)
    np.testing.assert_allclose(w1, W0 - 0.01 * numpy_grads(W0, B0, X[2:])[0] / 4, rtol=1e-5)


def test_stale_gradients():
    class TwoHeads(gluon.Block):
        def __init__(self):
            super().__init__()
            with self.name_scope():
                self.a = gluon.nn.Dense(1, in_units=3)
                self.b = gluon.nn.Dense(1, in_units=3)

        def forward(self, x):
            return self.a(x)

    net = TwoHeads()
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    b_before = net.b.weight.data().asnumpy()
    a_before = net.a.weight.data().asnumpy()
    with autograd.record():
        loss = net(nd.array(X)).sum()
    loss.backward()
    with pytest.raises(mx.MXNetError, match="`twoheads0_dense1_bias` on context cpu.0. has not "
                       "been updated by backward since last `step`"):
        trainer.step(4)
    # NB: as in MXNet, the failed step had already cleared the flags of a's parameters, checked
    # before b's; so they now count as stale too, and nothing was updated.
    with pytest.raises(UserWarning, match="twoheads0_dense0_bias"):
        trainer.step(4)
    np.testing.assert_array_equal(net.a.weight.data().asnumpy(), a_before)
    with autograd.record():
        loss = net(nd.array(X)).sum()
    loss.backward()
    trainer.step(4, ignore_stale_grad=True)
    np.testing.assert_array_equal(net.b.weight.data().asnumpy(), b_before)
    np.testing.assert_allclose(net.a.weight.data().asnumpy(),
                               a_before - 0.1 * X.sum(axis=0, keepdims=True) / 4, rtol=1e-5)
    with pytest.raises(mx.MXNetError, match="twoheads0_dense0_bias"):
        trainer.step(4)     # nothing ran backward since: a's gradients are stale now


def test_grad_req_add_accumulates():
    net = make_net()
    for p in net.collect_params().values():
        p.grad_req = "add"
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    for _ in range(2):
        with autograd.record():
            loss = (net(nd.array(X)) ** 2).sum()
        loss.backward()
    trainer.step(4)
    gw, gb = numpy_grads(W0, B0)
    np.testing.assert_allclose(net.weight.data().asnumpy(), W0 - 0.1 * 2 * gw / 4, rtol=1e-5)
    np.testing.assert_allclose(net.bias.data().asnumpy(), B0 - 0.1 * 2 * gb / 4, rtol=1e-5)
    net.collect_params().zero_grad()
    assert not net.weight.grad().asnumpy().any()


def test_lr_mult_and_wd_mult():
    net = make_net()
    net.weight.lr_mult = 0.5
    net.bias.wd_mult = 0.0
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "wd": 0.1})
    backward_step(net, trainer)
    gw, gb = numpy_grads(W0, B0)
    np.testing.assert_allclose(net.weight.data().asnumpy(), W0 - 0.05 * (gw / 4 + 0.1 * W0),
                               rtol=1e-5)
    np.testing.assert_allclose(net.bias.data().asnumpy(), B0 - 0.1 * gb / 4, rtol=1e-5)
    net.weight.lr_mult = 0.0        # changes after the Trainer was made count too
    before = net.weight.data().asnumpy()
    backward_step(net, trainer)
    np.testing.assert_array_equal(net.weight.data().asnumpy(), before)


def test_null_grad_req_is_skipped():
    net = make_net()
    net.bias.grad_req = "null"
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    backward_step(net, trainer)
    np.testing.assert_array_equal(net.bias.data().asnumpy(), B0.astype(np.float32))


def test_deferred_initialization():
    net = gluon.nn.Dense(2)
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), "sgd")
    with pytest.raises(gluon.DeferredInitializationError):
        trainer.step(1)
    with autograd.record():
        loss = net(nd.array(X)).sum()
    loss.backward()
    before = net.weight.data().asnumpy()
    trainer.step(4)
    assert net.weight.shape == (2, 3) and not np.allclose(net.weight.data().asnumpy(), before)


def test_save_load_states_round_trip(tmp_path):
    fname = str(tmp_path / "adam.states")
    net = make_net()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
    for _ in range(2):
        backward_step(net, trainer)
    trainer.save_states(fname)
    other = make_net()
    other.weight.set_data(net.weight.data())
    other.bias.set_data(net.bias.data())
    resumed = gluon.Trainer(other.collect_params(), "adam", {"learning_rate": 0.5})
    resumed.load_states(fname)
    assert resumed.learning_rate == 0.01 and resumed.optimizer.num_update == 2
    assert resumed.optimizer.param_dict[1] is other.weight
    backward_step(net, trainer)
    backward_step(other, resumed)
    np.testing.assert_array_equal(other.weight.data().asnumpy(), net.weight.data().asnumpy())


def test_save_load_states_two_contexts(tmp_path):
    fname = str(tmp_path / "sgd.states")
    net = make_net(CTXS)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9})
    backward_step(net, trainer, ctxs=CTXS)
    trainer.save_states(fname)
    fresh = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9})
    fresh.load_states(fname)
    momentum = fresh._kvstore._updater.states[1]
    np.testing.assert_allclose(momentum.asnumpy(), net.weight.data().asnumpy() - W0, rtol=1e-5,
                               atol=1e-7)


def test_load_mxnet_written_states():
    """adam.states: Dense(2, in_units=3) after 3 adam steps (lr 0.01, batch 4) in MXNet 1.9.1."""
    net = gluon.nn.Dense(2, in_units=3)
    net.load_parameters(os.path.join(FIXTURES, "adam_dense.params"))
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
    trainer.load_states(os.path.join(FIXTURES, "adam.states"))
    optim = trainer.optimizer
    assert type(optim) is mx.optimizer.Adam
    assert optim.num_update == 3 and optim._index_update_count == {0: 3, 1: 3}
    mean, var = trainer._updaters[0].states[1]
    np.testing.assert_allclose(mean.asnumpy(), [[0.5819169878959656, 0.09360180795192719,
                                                 0.35961198806762695],
                                                [-0.535263180732727, -0.148469477891922,
                                                 -0.3210105895996094]], rtol=1e-7)
    assert var.shape == (2, 3) and trainer._updaters[0].states[0][0].shape == (2,)
    backward_step(net, trainer)      # MXNet's fourth step from the same files and input
    np.testing.assert_allclose(net.weight.data().asnumpy(),
                               [[0.48502790927886963, 0.2314397096633911, 0.7381993532180786],
                                [-0.4074995517730713, -1.4479299783706665, -0.4382461607456207]],
                               rtol=1e-6)
    np.testing.assert_allclose(net.bias.data().asnumpy(),
                               [0.025817377492785454, -0.025559067726135254], rtol=1e-6)


def test_saved_states_are_mxnet_bytes(tmp_path):
    """Loading MXNet's file and saving it again writes the same bytes: the format is MXNet's."""
    net = gluon.nn.Dense(2, in_units=3)
    net.load_parameters(os.path.join(FIXTURES, "adam_dense.params"))
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
    trainer.load_states(os.path.join(FIXTURES, "adam.states"))
    trainer.save_states(str(tmp_path / "again.states"))
    with open(os.path.join(FIXTURES, "adam.states"), "rb") as f:
        assert (tmp_path / "again.states").read_bytes() == f.read()


def test_bad_states_file(tmp_path):
    bad = tmp_path / "bad.states"
    bad.write_bytes(b"not a pickle")
    trainer = gluon.Trainer(make_net().collect_params(), "sgd")
    with pytest.raises(mx.MXNetError, match="cannot load trainer states"):
        trainer.load_states(str(bad))


def test_errors():
    net = make_net()
    with pytest.raises(mx.MXNetError, match="Cannot find optimizer foo"):
        gluon.Trainer(net.collect_params(), "foo")
    with pytest.raises(ValueError, match="list or dict of Parameters"):
        gluon.Trainer(net.weight, "sgd")
    with pytest.raises(mx.MXNetError, match="got list of <class 'int'>"):
        gluon.Trainer([1, 2], "sgd")
    with pytest.raises(mx.MXNetError, match="optimizer_params must be None"):
        gluon.Trainer(net.collect_params(), mx.optimizer.SGD(), {"learning_rate": 1})
    with pytest.raises(mx.MXNetError, match="has not been initialized"):
        gluon.Trainer(gluon.nn.Dense(2, in_units=3).collect_params(), "sgd")
    elsewhere = gluon.nn.Dense(2, in_units=3)
    elsewhere.initialize(ctx=mx.cpu(1))
    with pytest.raises(mx.MXNetError, match="same set of contexts"):
        gluon.Trainer(list(net.collect_params().values()) +
                      list(elsewhere.collect_params().values()), "sgd")
    with pytest.raises(mx.MXNetError, match="needs a kvstore"):
        gluon.Trainer(net.collect_params(), "sgd", update_on_kvstore=True).step(1)
    two = make_net(CTXS)
    with pytest.raises(mx.MXNetError, match="Unknown KVStore type"):
        gluon.Trainer(two.collect_params(), "sgd", kvstore="nonsense").step(1)
    with pytest.raises(mx.MXNetError, match="distributed|not been updated by backward"):
        gluon.Trainer(two.collect_params(), "sgd", kvstore="dist_async").step(1)


def test_fresh_grad_flag():
    """The hook behind the stale-gradient check: backward marks the variables it writes."""
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    assert x._fresh_grad is False
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    assert x._fresh_grad is True
    x._fresh_grad = False
    with autograd.record():
        y = (x * 3).sum()
    autograd.grad(y, [x])           # returns the gradient, leaves .grad (and the flag) alone
    assert x._fresh_grad is False


def test_local_kvstore_and_custom_kvstore_object():
    net = make_net(CTXS)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01}, kvstore="local")
    backward_step(net, trainer, ctxs=CTXS)
    assert trainer._kvstore.type == "local" and trainer._update_on_kvstore
    np.testing.assert_allclose(net.weight.data(CTXS[1]).asnumpy(),
                               W0 - 0.01 * numpy_grads(W0, B0)[0] / 4, rtol=1e-5)

    class RecordingStore:
        """Anything with the KVStore methods plugs in (mx.kv's KVStore will)."""
        type = "recording"

        def __init__(self):
            self.calls = []

        def is_capable(self, capability):
            return False

        def broadcast(self, key, value, out):
            self.calls.append(("broadcast", key))

        def pushpull(self, key, value, out=None, priority=0):
            self.calls.append(("pushpull", key, out is None))

    store = RecordingStore()
    net = make_net(CTXS)
    trainer = gluon.Trainer(net.collect_params(), "sgd", kvstore=store)
    backward_step(net, trainer, ctxs=CTXS)
    assert trainer._kvstore is store and trainer._update_on_kvstore is False
    assert store.calls == [("broadcast", 0), ("broadcast", 1), ("pushpull", 0, True),
                           ("pushpull", 1, True)]
    with pytest.raises(mx.MXNetError, match="update_on_kvstore=False"):
        gluon.Trainer(net.collect_params(), "sgd", kvstore=RecordingStore(),
                      update_on_kvstore=True).step(1)


def test_set_data_resynchronises_kvstore():
    net = make_net(CTXS)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.0})
    backward_step(net, trainer, ctxs=CTXS)
    net.weight.set_data(nd.ones((2, 3)))
    assert not trainer._kv_initialized
    backward_step(net, trainer, ctxs=CTXS)
    for w in net.weight.list_data():
        np.testing.assert_array_equal(w.asnumpy(), np.ones((2, 3)))


def test_mlp_trains():
    mx.random.seed(0)
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, size=(64, 4)).astype(np.float32)
    y = (np.sin(2 * x[:, :1]) + x[:, 1:2] * x[:, 2:3]).astype(np.float32)
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(16, activation="tanh"), gluon.nn.Dense(1))
    net.initialize(mx.init.Xavier())
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.02})
    xs, ys = nd.array(x), nd.array(y)
    losses = []
    for _ in range(60):
        with autograd.record():
            loss = ((net(xs) - ys) ** 2).mean()
        loss.backward()
        trainer.step(1)
        losses.append(loss.asscalar())
    assert losses[-1] < 0.2 * losses[0]
    assert all(np.isfinite(losses))
