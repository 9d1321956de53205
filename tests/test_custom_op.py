"""mx.operator: operators written in Python (CustomOp, CustomOpProp, register, nd/sym.Custom).

Expected values that are not plain numpy were recorded from MXNet 1.9.1 (noted where used).
"""
import numpy as np
import pytest

import minimx as mx
from minimx import autograd, nd

LOG = []


class Softmax(mx.operator.CustomOp):
    """MXNet's classic example, unchanged."""

    def forward(self, is_train, req, in_data, out_data, aux):
        LOG.append(("fwd", is_train, list(req)))
        x = in_data[0].asnumpy()
        y = np.exp(x - x.max(axis=1).reshape((x.shape[0], 1)))
        y /= y.sum(axis=1).reshape((x.shape[0], 1))
        self.assign(out_data[0], req[0], mx.nd.array(y))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        LOG.append(("bwd", list(req)))
        label = in_data[1].asnumpy().ravel().astype(int)
        y = out_data[0].asnumpy()
        y[np.arange(label.shape[0]), label] -= 1.0
        self.assign(in_grad[0], req[0], mx.nd.array(y))


@mx.operator.register("test_softmax")
class SoftmaxProp(mx.operator.CustomOpProp):
    def __init__(self):
        super(SoftmaxProp, self).__init__(need_top_grad=False)

    def list_arguments(self):
        return ['data', 'label']

    def list_outputs(self):
        return ['output']

    def infer_shape(self, in_shape):
        LOG.append(("infer_shape", in_shape))
        return [in_shape[0], (in_shape[0][0],)], [in_shape[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        LOG.append(("create", str(ctx), shapes, dtypes))
        return Softmax()


class Square(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] * in_data[0])

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], 2 * in_data[0] * out_grad[0])


@mx.operator.register("test_square")
class SquareProp(mx.operator.CustomOpProp):    # MXNet's defaults but the output name
    def list_outputs(self):
        return ['squared']

    def create_operator(self, ctx, shapes, dtypes):
        return Square()


class ScaleSum(mx.operator.CustomOp):
    """Two outputs (a * s, a + b) and an auxiliary counter of forward calls."""

    def __init__(self, s):
        self.s = s

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] * self.s)
        self.assign(out_data[1], req[1], in_data[0] + in_data[1])
        aux[0][:] += 1

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        LOG.append(("bwd", list(req), [g.asnumpy().tolist() for g in out_grad]))
        self.assign(in_grad[0], req[0], out_grad[0] * self.s + out_grad[1])
        self.assign(in_grad[1], req[1], out_grad[1])


@mx.operator.register("test_scalesum")
class ScaleSumProp(mx.operator.CustomOpProp):
    def __init__(self, s='1', flag=False, t=None):
        LOG.append(("init", s, flag, t))
        super().__init__()
        self.s = float(s)

    def list_arguments(self):
        return ['a', 'b']

    def list_outputs(self):
        return ['scaled', 'summed']

    def list_auxiliary_states(self):
        return ['count']

    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0], in_shape[0]], [(1,)]

    def create_operator(self, ctx, shapes, dtypes):
        return ScaleSum(self.s)


class Broken(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        raise ValueError("broken on purpose")


@mx.operator.register("test_broken")
class BrokenProp(mx.operator.CustomOpProp):
    def create_operator(self, ctx, shapes, dtypes):
        return Broken()


@mx.operator.register("test_bad_shape")
class BadShapeProp(mx.operator.CustomOpProp):
    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0], in_shape[0]], []    # two outputs, list_outputs has one


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


X = np.array([[1, 2, 3], [0, 0, 1]], np.float32)
LABEL = np.array([2, 0], np.float32)


def test_softmax_example_forward_and_calls_match_mxnet():
    LOG.clear()
    y = nd.Custom(nd.array(X), nd.array(LABEL), op_type='test_softmax')
    np.testing.assert_allclose(y.asnumpy(), [[0.09003057, 0.24472846, 0.66524094],
                                             [0.21194156, 0.21194156, 0.5761169]], rtol=1e-6)
    # MXNet 1.9.1: shapes as lists, dtype codes, is_train an int, req 'write'
    assert LOG == [("infer_shape", [[2, 3], [2]]), ("create", "cpu(0)", [[2, 3], [2]], [0, 0]),
                   ("fwd", 0, ["write"])]


def test_softmax_gradient_is_the_analytic_one_and_ignores_the_head_gradient():
    x, label = nd.array(X), nd.array(LABEL)
    x.attach_grad()
    LOG.clear()
    with autograd.record():
        z = (nd.Custom(x, label, op_type='test_softmax') * 2).sum()
    z.backward()
    expected = _softmax(X) - np.eye(3)[LABEL.astype(int)]   # need_top_grad=False: no factor 2
    np.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-5, atol=1e-6)
    assert LOG[-2:] == [("fwd", 1, ["write"]), ("bwd", ["write", "null"])]   # as MXNet
    label.attach_grad()        # a label that wants a gradient gets req 'write' (and zeros)
    with autograd.record(train_mode=False):
        y = nd.Custom(x, label, op_type='test_softmax')
    y.backward()
    assert LOG[-2:] == [("fwd", 0, ["write"]), ("bwd", ["write", "write"])]
    np.testing.assert_array_equal(label.grad.asnumpy(), [0, 0])


def test_softmax_example_trains_a_classifier():
    rng = np.random.RandomState(0)
    centers = rng.randn(3, 4).astype(np.float32) * 3
    labels = rng.randint(0, 3, 60)
    data = nd.array(centers[labels] + rng.randn(60, 4).astype(np.float32) * 0.5)
    label = nd.array(labels.astype(np.float32))
    net = mx.gluon.nn.Dense(3)
    net.initialize(mx.init.Xavier())
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
    losses = []
    for _ in range(15):
        with autograd.record():
            prob = nd.Custom(net(data), label, op_type='test_softmax')
        prob.backward()
        trainer.step(60)
        p = prob.asnumpy()[np.arange(60), labels]
        losses.append(-np.log(p).mean())
    assert losses[-1] < 0.3 * losses[0], losses


def test_kwargs_reach_the_prop_as_strings_and_is_train_follows_autograd():
    LOG.clear()
    a, b, c = nd.array([1., 2.]), nd.array([10., 20.]), nd.zeros((1,))
    nd.Custom(a, b, c, op_type='test_scalesum', s=2.5, flag=True, t=(1, 2))
    assert LOG[0] == ("init", "2.5", "True", "(1, 2)")       # MXNet: '2.5', 'True', '(1, 2)'
    nd.Custom(a, b, c, op_type='test_scalesum')
    assert LOG[1] == ("init", "1", False, None)               # defaults stay as written


def test_multiple_outputs_and_aux_states():
    LOG.clear()
    a, b, c = nd.array([1., 2.]), nd.array([10., 20.]), nd.zeros((1,))
    outs = nd.Custom(a, b, c, op_type='test_scalesum', s=2.5)
    assert isinstance(outs, list) and len(outs) == 2
    np.testing.assert_allclose(outs[0].asnumpy(), [2.5, 5])
    np.testing.assert_allclose(outs[1].asnumpy(), [11, 22])
    assert c.asnumpy().tolist() == [1.0]                       # the aux state was updated
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        o1, o2 = nd.Custom(a, b, c, op_type='test_scalesum', s=3)
        loss = (o1 * nd.array([1., 2.])).sum() + o2.sum() * 5
    loss.backward()
    # MXNet 1.9.1: a.grad [8, 11], b.grad [5, 5], count 2
    assert a.grad.asnumpy().tolist() == [8, 11] and b.grad.asnumpy().tolist() == [5, 5]
    assert c.asnumpy().tolist() == [2.0]
    with autograd.record():
        o1, o2 = nd.Custom(a, b, c, op_type='test_scalesum', s=3)
    o1.backward()               # the unused output's gradient arrives as zeros, as in MXNet
    assert LOG[-1] == ("bwd", ["write", "write"], [[1.0, 1.0], [0.0, 0.0]])
    assert a.grad.asnumpy().tolist() == [3, 3] and b.grad.asnumpy().tolist() == [0, 0]


def test_assign_honours_req():
    op = mx.operator.CustomOp()
    dst = nd.array([1., 2.])
    op.assign(dst, 'null', nd.array([5., 5.]))
    assert dst.asnumpy().tolist() == [1, 2]
    op.assign(dst, 'add', nd.array([5., 5.]))
    assert dst.asnumpy().tolist() == [6, 7]
    op.assign(dst, 'write', nd.array([0., 1.]))
    assert dst.asnumpy().tolist() == [0, 1]
    op.assign(dst, 'inplace', nd.array([3., 3.]))
    assert dst.asnumpy().tolist() == [3, 3]


def test_grad_req_add_accumulates():
    # MXNet 1.9.1 hands backward req 'add'; minimx hands 'write' and accumulates: same values.
    x = nd.array([3., 4.])
    x.attach_grad(grad_req='add')
    for _ in range(2):
        with autograd.record():
            y = nd.Custom(x, op_type='test_square')
        y.backward()
    assert x.grad.asnumpy().tolist() == [12, 16]              # MXNet: [12, 16]
    g = nd.ones((2,))
    ex = mx.sym.Custom(mx.sym.var('data'), op_type='test_square').bind(
        mx.cpu(), {'data': nd.array([3., 4.])}, args_grad={'data': g}, grad_req='add')
    for _ in range(2):
        ex.forward(is_train=True)
        ex.backward(nd.ones((2,)))
    assert g.asnumpy().tolist() == [13, 17]                   # MXNet: [13, 17]


def test_need_top_grad_true_uses_the_head_gradient():
    x = nd.array([1., -2., 3.])
    x.attach_grad()
    with autograd.record():
        y = nd.Custom(x, op_type='test_square')
    y.backward(nd.array([1., 10., 100.]))
    assert x.grad.asnumpy().tolist() == [2, -40, 600]
    assert mx.operator.CustomOpProp().need_top_grad_ is True
    assert SoftmaxProp().declare_backward_dependency([0], [1, 2], [3]) == [1, 2, 3]
    assert SquareProp().declare_backward_dependency([0], [1], [2]) == [0, 1, 2]


def test_errors_name_the_problem():
    x = nd.array(X)
    with pytest.raises(mx.MXNetError, match="cannot find custom operator 'nosuch'.*test_softmax"):
        nd.Custom(x, op_type='nosuch')
    with pytest.raises(mx.MXNetError, match="op_type"):
        nd.Custom(x)
    with pytest.raises(mx.MXNetError, match="expects 2 inputs"):
        nd.Custom(x, op_type='test_softmax')
    with pytest.raises(mx.MXNetError, match="'label' has shape \\(2, 1\\)"):   # MXNet: "Shape
        nd.Custom(x, nd.array([[2], [0]]), op_type='test_softmax')      # inconsistent"
    with pytest.raises(mx.MXNetError, match="infer_shape returned 2 output"):
        nd.Custom(x, op_type='test_bad_shape')
    with pytest.raises(mx.MXNetError, match="bogus"):
        nd.Custom(x, nd.array(LABEL), op_type='test_softmax', bogus=1)
    with pytest.raises(mx.MXNetError, match="test_broken.*forward.*broken on purpose"):
        nd.Custom(x, op_type='test_broken')
    with pytest.raises(mx.MXNetError, match="infer_shape"):
        mx.sym.Custom(mx.sym.var('d'), op_type='test_bad_shape').infer_shape(d=(2, 3))


def test_default_prop_follows_mxnet():
    prop = mx.operator.CustomOpProp()
    assert prop.list_arguments() == ['data'] and prop.list_outputs() == ['output']
    assert prop.list_auxiliary_states() == []
    assert prop.infer_shape([[2, 3]]) == ([[2, 3]], ([2, 3],), ())
    assert prop.infer_type([np.float64]) == ([np.float64], [np.float64], [])
    y = nd.Custom(nd.array([1., 2.]), op_type='custom_op')   # MXNet registers the base class
    assert y.shape == (2,)
    assert 'Custom' in mx.operator.get_all_registered_operators()
    assert mx.operator.get_operator_arguments('Custom').names == ['data', 'op_type']
    assert tuple(mx.operator.get_operator_arguments('FullyConnected')) == (   # MXNet 1.9.1
        6, ['data', 'weight', 'bias', 'num_hidden', 'no_bias', 'flatten'],
        ['NDArray-or-Symbol', 'NDArray-or-Symbol', 'NDArray-or-Symbol', 'int, required',
         'boolean, optional, default=0', 'boolean, optional, default=1'])


def test_symbol_custom_names_shapes_and_runs():
    data = mx.sym.var('data')
    sym = mx.sym.Custom(data=data, op_type='test_softmax', name='sm')
    assert sym.list_arguments() == ['data', 'sm_label']       # as MXNet
    assert sym.list_outputs() == ['sm_output']
    assert sym.infer_shape(data=(4, 3)) == ([(4, 3), (4,)], [(4, 3)], [])
    assert mx.sym.Custom(data, op_type='test_square', name='q').list_outputs() == ['q_squared']
    x, label = nd.array(X), nd.array(LABEL)
    grad = nd.zeros((2, 3))
    ex = sym.bind(mx.cpu(), {'data': x, 'sm_label': label}, args_grad={'data': grad},
                  grad_req={'data': 'write', 'sm_label': 'null'})
    out = ex.forward(is_train=True)[0]
    ex.backward()
    np.testing.assert_allclose(out.asnumpy(), _softmax(X), rtol=1e-5)
    np.testing.assert_allclose(grad.asnumpy(), _softmax(X) - np.eye(3)[[2, 0]], rtol=1e-5,
                               atol=1e-6)
    loaded = mx.sym.load_json(sym.tojson())
    np.testing.assert_allclose(loaded.eval(data=x, sm_label=label)[0].asnumpy(), _softmax(X),
                               rtol=1e-5)


def test_symbol_custom_multiple_outputs_and_aux():
    sym = mx.sym.Custom(a=mx.sym.var('data'), op_type='test_scalesum', name='sc', s=2)
    assert sym.list_arguments() == ['data', 'sc_b']           # MXNet 1.9.1
    assert sym.list_outputs() == ['sc_scaled', 'sc_summed']
    assert sym.list_auxiliary_states() == ['sc_count']
    outs = sym.eval(data=nd.array([1., 2.]), sc_b=nd.array([1., 1.]), sc_count=nd.zeros((1,)))
    assert [o.asnumpy().tolist() for o in outs] == [[2, 4], [2, 3]]


class _Net(mx.gluon.HybridBlock):
    def __init__(self, kind, **kwargs):
        super().__init__(**kwargs)
        self.kind = kind
        with self.name_scope():
            self.fc = mx.gluon.nn.Dense(3)

    def hybrid_forward(self, F, x, label):
        h = self.fc(x)
        if self.kind == 'softmax':
            return F.Custom(h, label, op_type='test_softmax')
        return F.broadcast_add(F.Custom(h, op_type='test_square') * 3, label.reshape((-1, 1)) * 0)


@pytest.mark.parametrize("kind", ["softmax", "square"])
def test_hybridized_block_matches_imperative(kind):
    x = nd.array(np.arange(8).reshape(2, 4) / 10.)
    label = nd.array(LABEL)
    net = _Net(kind)
    net.initialize()
    net.fc.weight.set_data(nd.array(np.arange(12).reshape(3, 4) / 10. - 0.5))
    net.fc.bias.set_data(nd.array([0.1, -0.2, 0.3]))
    results = []
    for hybrid in (False, True):
        if hybrid:
            net.hybridize()
        with autograd.record():
            out = net(x, label)
        out.backward()
        results.append((out.asnumpy(), net.fc.weight.grad().asnumpy(),
                        net.fc.bias.grad().asnumpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    # MXNet 1.9.1 (same net, imperative and hybridized)
    expected_bias = {"softmax": [-0.6434544, 0.42118841, 0.22226596],
                     "square": [-4.08, -0.96, 11.76]}[kind]
    np.testing.assert_allclose(results[1][2], expected_bias, rtol=1e-5)
