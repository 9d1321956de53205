"""mx.autograd's semantics, checked against what MXNet 1.9.1 does (values observed in real MXNet)."""
import numpy as np
import pytest

import minimx as mx
from minimx import autograd as ag


def _var(values, grad_req="write"):
    x = mx.nd.array(values)
    x.attach_grad(grad_req)
    return x


def test_backward_writes_the_gradient():
    x = _var([1., 2., 3.])
    with ag.record():
        y = x * x
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2, 4, 6])


def test_backward_twice_needs_retain_graph():
    x = _var([1., 2.])
    with ag.record():
        y = x * 2
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2, 2])
    with pytest.raises(mx.MXNetError, match="retain_graph=True"):
        y.backward()


def test_backward_of_an_unrecorded_result_is_an_error():
    x = _var([1., 2.])
    with pytest.raises(mx.MXNetError, match=r"autograd.record\(\)"):
        (x * 2).backward()


def test_grad_req_add_accumulates_and_write_overwrites():
    x = _var([1., 2.], "add")
    for _ in range(2):
        with ag.record():
            y = x * 3
        y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [6, 6])
    w = _var([1., 2.])
    for _ in range(2):
        with ag.record():
            y = w * 3
        y.backward()
    np.testing.assert_allclose(w.grad.asnumpy(), [3, 3])


def test_head_gradients():
    x = _var([1., 2.])
    with ag.record():
        y = x * x
    y.backward(mx.nd.array([10., 100.]))
    np.testing.assert_allclose(x.grad.asnumpy(), [20, 400])
    with pytest.raises(mx.MXNetError, match="head gradient of shape"):
        with ag.record():
            y = x * x
        y.backward(mx.nd.ones((3,)))


def test_recording_and_training_flags():
    assert not ag.is_recording() and not ag.is_training()
    with ag.record():
        assert ag.is_recording() and ag.is_training()
        with ag.pause():
            assert not ag.is_recording() and not ag.is_training()
        with ag.predict_mode():
            assert ag.is_recording() and not ag.is_training()
    with ag.record(train_mode=False):
        assert not ag.is_training()
    with ag.train_mode():
        assert ag.is_training() and not ag.is_recording()
    assert (ag.set_recording(True), ag.set_recording(False)) == (False, True)
    assert (ag.set_training(True), ag.set_training(False)) == (False, True)


def test_pause_makes_a_constant():
    x = _var([1., 2.])
    with ag.record():
        y = x * 2
        with ag.pause():
            c = y * 3
        z = c * y
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [12, 24])      # MXNet 1.9.1


def test_variables_not_reached_keep_their_gradient():
    x, u = _var([1., 2.]), _var([1., 2.])
    with ag.record():
        y = x * 2
    y.backward()
    np.testing.assert_allclose(u.grad.asnumpy(), [0, 0])


def test_detach_and_mark_variables():
    x = _var([1., 2.])
    with ag.record():
        y = x.detach() * x
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [1, 2])
    v, g = mx.nd.array([1., 2.]), mx.nd.zeros(2)
    ag.mark_variables([v], [g])
    with ag.record():
        y = v * 5
    ag.backward([y])
    np.testing.assert_allclose(g.asnumpy(), [5, 5])


def test_in_place_writes_while_recording_are_errors():
    x = _var([1., 2.])
    with pytest.raises(mx.MXNetError, match="in-place"):
        with ag.record():
            x[:] = 3
    with pytest.raises(mx.MXNetError, match="in-place"):
        with ag.record():
            q = x * 2
            q += 1


def test_gradient_flows_through_a_reshape_view():
    x = mx.nd.arange(6).reshape((2, 3))
    x.attach_grad()
    with ag.record():
        v = x.reshape((3, 2))
        y = v * v
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [[0, 2, 4], [6, 8, 10]])


def test_grad_returns_a_list_and_leaves_dot_grad_alone():
    x = _var([1., 2.])
    with ag.record():
        y = x * x * x
    g = ag.grad(y, x)
    assert isinstance(g, list) and len(g) == 1                # MXNet returns a list
    np.testing.assert_allclose(g[0].asnumpy(), [3, 12])
    np.testing.assert_allclose(x.grad.asnumpy(), [0, 0])


def test_second_order_gradient_with_create_graph():
    x = _var([1., 2.])
    with ag.record():
        y = x * x * x
        dy, = ag.grad(y, x, create_graph=True)               # 3x^2, itself recorded
    dy.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [6, 12])    # 6x (MXNet 1.9.1 cannot do this one)


def test_grad_of_a_variable_that_is_not_attached_is_an_error():
    x = mx.nd.array([1., 2.])
    w = _var([1., 2.])
    with ag.record():
        y = w * x
    with pytest.raises(mx.MXNetError, match="attach_grad"):
        ag.grad(y, x)


class _Sigmoid(ag.Function):
    def forward(self, x):
        y = 1 / (1 + mx.nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y, = self.saved_tensors
        return dy * y * (1 - y)


def test_custom_function():
    x = _var([0., 1.])
    with ag.record():
        y = _Sigmoid()(x)
        z = y * 2
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * np.array([0.25, 0.19661193]), rtol=1e-5)


def test_custom_function_errors_are_clear():
    class TwoGrads(ag.Function):
        def forward(self, x):
            return x * 2

        def backward(self, dy):
            return dy, dy

    class WrongShape(ag.Function):
        def forward(self, x):
            return x * 2

        def backward(self, dy):
            return mx.nd.ones((5,))

    x = _var([0., 1.])
    for cls, match in ((TwoGrads, "returned 2 gradients"), (WrongShape, r"shape \(5,\)")):
        with ag.record():
            y = cls()(x)
        with pytest.raises(mx.MXNetError, match=match):
            y.backward()
    f = _Sigmoid()
    f(x)
    with pytest.raises(mx.MXNetError, match="called once"):
        f(x)


def test_op_without_a_rule_names_itself():
    from minimx.ndarray.invoke import invoke
    from minimx.ops.opdef import REGISTRY, OpDef
    op = OpDef("_test_op_without_rule", shape=lambda attrs, data: data, kernel="_copy")
    try:
        x = _var([1., 2.])
        with ag.record():
            y = invoke(op, (x,), {})
        with pytest.raises(mx.MXNetError, match="_test_op_without_rule has no gradient rule"):
            y.backward()
    finally:
        del REGISTRY["_test_op_without_rule"]


def test_backward_runs_on_the_threaded_and_naive_engines(engine_kind):
    x = _var([1., 2., 3.])
    with ag.record():
        y = (x + x) * x
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [4, 8, 12])


def test_gradient_flows_through_indexing_views():
    x = mx.nd.arange(6).reshape((2, 3))
    x.attach_grad()
    with ag.record():
        y = x[1] * 2
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [[0, 0, 0], [2, 2, 2]])     # MXNet 1.9.1
    with ag.record():
        y = x[:, 1:3] * 2
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [[0, 2, 2], [0, 2, 2]])     # MXNet 1.9.1


def test_mlp_gradients_match_a_numpy_derivation():
    rng = np.random.default_rng(0)
    xs, w1, w2 = rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), rng.standard_normal((2, 5))
    x, W1, W2 = mx.nd.array(xs), mx.nd.array(w1), mx.nd.array(w2)
    W1.attach_grad()
    W2.attach_grad()
    with ag.record():
        h = mx.nd.relu(mx.nd.FullyConnected(x, W1, num_hidden=5, no_bias=True))
        out = mx.nd.FullyConnected(h, W2, num_hidden=2, no_bias=True)
        loss = (out * out).sum()
    loss.backward()
    hn = np.maximum(xs @ w1.T, 0)
    on = hn @ w2.T
    g_out = 2 * on
    np.testing.assert_allclose(W2.grad.asnumpy(), g_out.T @ hn, rtol=1e-4, atol=1e-4)
    g_h = (g_out @ w2) * (hn > 0)
    np.testing.assert_allclose(W1.grad.asnumpy(), g_h.T @ xs, rtol=1e-4, atol=1e-4)


def test_a_freed_graph_is_a_constant_for_later_backwards():
    """MXNet 1.9.1: after a backward without retain_graph, values of that graph are constants
    (an RNN state carried over without detach): x.grad keeps its old value, w gets h."""
    x = mx.nd.array([1.0, 2.0])
    w = mx.nd.array([3.0, 4.0])
    x.attach_grad()
    w.attach_grad()
    with ag.record():
        h = x * w
        y = (h * h).sum()
    y.backward()
    with ag.record():
        z = (h * w).sum()
        z_only_h = (h * 2).sum()
    z.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [18.0, 64.0])   # from y, untouched
    np.testing.assert_array_equal(w.grad.asnumpy(), [3.0, 8.0])     # h, a constant now
    with pytest.raises(mx.MXNetError, match="not in a computational graph"):
        z_only_h.backward()
