"""Tests of ``mx.metric`` against values observed in real MXNet 1.9.1 (numpy 1.23).

Each scenario updates a metric with two batches, reads ``get()`` and ``get_global()`` after each,
then ``reset_local()`` (read both), updates with the first batch again (read both), then
``reset()`` (read both). The expected numbers were printed by MXNet 1.9.1 running the same
scenarios on the same seeded inputs; they are compared exactly (``nan`` with ``nan``).
"""
import math
import warnings

import numpy as np
import pytest

import minimx as mx

NAN = float('nan')

# scenario -> the values read, in the order of ``_trace``; observed in MXNet 1.9.1.
EXPECTED = {
    'acc': [0.375, 0.375, 0.3076923076923077, 0.3076923076923077, NAN, 0.3076923076923077, 0.375,
        0.3333333333333333, NAN, NAN],
    'acc_single': [0.375, 0.375, NAN, 0.375, 0.375, 0.375, NAN, NAN],
    'acc_same_shape': [0.75, 0.75, NAN, 0.75, 0.75, 0.75, NAN, NAN],
    'acc_axis0': [0.3333333333333333, 0.3333333333333333, NAN, 0.3333333333333333, 0.3333333333333333,
        0.3333333333333333, NAN, NAN],
    'acc_two': [0.3076923076923077, 0.3076923076923077, NAN, 0.3076923076923077, 0.3076923076923077,
        0.3076923076923077, NAN, NAN],
    'topk': [0.5, 0.5, 0.6153846153846154, 0.6153846153846154, NAN, 0.6153846153846154, 0.5, 0.5714285714285714,
        NAN, NAN],
    'topk3': [0.625, 0.625, 0.7692307692307693, 0.7692307692307693, NAN, 0.7692307692307693, 0.625,
        0.7142857142857143, NAN, NAN],
    'topk_1d': [0.0, 0.0, NAN, 0.0, 0.0, 0.0, NAN, NAN],
    'f1_macro': [0.7272727272727272, 0.7272727272727272, 0.6969696969696968, 0.6969696969696968, NAN,
        0.6969696969696968, 0.7272727272727272, 0.7070707070707068, NAN, NAN],
    'mcc_macro': [0.408248290463863, 0.408248290463863, 0.24976769169069535, 0.24976769169069535, NAN,
        0.24976769169069535, 0.408248290463863, 0.3025945579484179, NAN, NAN],
    'f1_micro': [0.7272727272727272, 0.7272727272727272, 0.7, 0.7, NAN, 0.7, 0.7272727272727272, 0.7096774193548386,
        NAN, NAN],
    'mcc_micro': [0.408248290463863, 0.408248290463863, 0.2714285714285714, 0.2714285714285714, NAN,
        0.2714285714285714, 0.408248290463863, 0.32024493467004, NAN, NAN],
    'f1_binary': [0.7272727272727272, 0.7272727272727272, 0.7, 0.7, NAN, 0.7, 0.7272727272727272,
        0.7096774193548386, NAN, NAN],
    'mcc_binary': [0.408248290463863, 0.408248290463863, 0.2714285714285714, 0.2714285714285714, NAN,
        0.2714285714285714, 0.408248290463863, 0.32024493467004, NAN, NAN],
    'pcc': [0.11375393879832252, 0.11375393879832252, 0.06506000486323554, 0.06506000486323554, NAN,
        0.06506000486323554, 0.11375393879832252, 0.0854858532618309, NAN, NAN],
    'pcc_bin': [0.408248290463863, 0.408248290463863, 0.2714285714285714, 0.2714285714285714, NAN,
        0.2714285714285714, 0.408248290463863, 0.32024493467004, NAN, NAN],
    'pcc_grow': [1.0, 1.0, 0.7944299095067362, 0.7944299095067362, NAN, 0.7944299095067362, 1.0, 0.844599766417265,
        NAN, NAN],
    'perp_none': [4.98336778066464, 4.98336778066464, 4.449406790932769, 4.449406790932769, NAN, 4.449406790932769,
        4.98336778066464, 4.645718645077794, NAN, NAN],
    'perp_ign': [2.9806933265733315, 2.9806933265733315, 3.3924067206203117, 3.3924067206203117, NAN,
        3.3924067206203117, 2.9806933265733315, 3.249209455148605, NAN, NAN],
    'perp_axis': [4.98336778066464, 4.98336778066464, 4.449406790932769, 4.449406790932769, NAN, 4.449406790932769,
        4.98336778066464, 4.645718645077794, NAN, NAN],
    'mae': [1.0298234224319458, 1.0298234224319458, 1.089465320110321, 1.089465320110321, NAN, 1.089465320110321,
        1.0298234224319458, 1.0695846875508626, NAN, NAN],
    'mse': [1.6736340522766113, 1.6736340522766113, 1.7024851441383362, 1.7024851441383362, NAN, 1.7024851441383362,
        1.6736340522766113, 1.6928681135177612, NAN, NAN],
    'rmse': [1.2936900854110718, 1.2936900854110718, 1.3047462701797485, 1.3047462701797485, NAN,
        1.3047462701797485, 1.2936900854110718, 1.3010608752568562, NAN, NAN],
    'mae_bcast': [0.6666666865348816, 0.6666666865348816, NAN, 0.6666666865348816, 0.6666666865348816,
        0.6666666865348816, NAN, NAN],
    'ce': [1.606105923652649, 1.606105923652649, 1.492770818563608, 1.492770818563608, NAN, 1.492770818563608,
        1.606105923652649, 1.5359460966927665, NAN, NAN],
    'ce_eps': [1.124408483505249, 1.124408483505249, 1.0732231140136719, 1.0732231140136719, NAN,
        1.0732231140136719, 1.124408483505249, 1.0927223023914157, NAN, NAN],
    'nll': [1.606105923652649, 1.606105923652649, 1.492770818563608, 1.492770818563608, NAN, 1.492770818563608,
        1.606105923652649, 1.5359460966927665, NAN, NAN],
    'pearsonr': [-0.015235083804623633, -0.015235083804623633, 0.08128190427628695, 0.08128190427628695, NAN,
        0.08128190427628695, -0.015235083804623633, 0.049109574915983424, NAN, NAN],
    'pearsonr_micro': [-0.015235083804623661, 0.0, 0.06993153931666929, 0.0, NAN, 0.0, 0.033482654563180815, 0.0,
        NAN, NAN],
    'loss': [-0.24719937642415366, -0.24719937642415366, -0.05292485488785638, -0.05292485488785638, NAN,
        -0.05292485488785638, -0.24719937642415366, -0.1014934852719307, NAN, NAN],
    'torch': [-0.24719937642415366, -0.24719937642415366, NAN, -0.24719937642415366, -0.24719937642415366,
        -0.24719937642415366, NAN, NAN],
    'caffe': [-0.24719937642415366, -0.24719937642415366, NAN, -0.24719937642415366, -0.24719937642415366,
        -0.24719937642415366, NAN, NAN],
    'custom': [0.375, 0.375, 0.2875, 0.2875, NAN, 0.2875, 0.375, 0.31666666666666665, NAN, NAN],
    'custom_lambda': [0.875, 0.875, 0.9230769230769231, 0.9230769230769231, NAN, 0.9230769230769231, 0.875,
        0.9047619047619048, NAN, NAN],
    'np': [0.375, 0.375, 0.2875, 0.2875, NAN, 0.2875, 0.375, 0.31666666666666665, NAN, NAN],
    'np_extra': [0.375, 0.375, NAN, 0.375, 0.375, 0.375, NAN, NAN],
    'composite': [[0.375, 1.606105923652649, 0.5], [0.375, 1.606105923652649, 0.5], [0.3076923076923077,
        1.492770818563608, 0.6153846153846154], [0.3076923076923077, 1.492770818563608, 0.6153846153846154], [NAN,
        NAN, NAN], [0.3076923076923077, 1.492770818563608, 0.6153846153846154], [0.375, 1.606105923652649, 0.5],
        [0.3333333333333333, 1.5359460966927665, 0.5714285714285714], [NAN, NAN, NAN], [NAN, NAN, NAN]],
    'composite_add': [[1.6736340522766113, 1.0298234224319458], [1.6736340522766113, 1.0298234224319458],
        [1.7024851441383362, 1.089465320110321], [1.7024851441383362, 1.089465320110321], [NAN, NAN],
        [1.7024851441383362, 1.089465320110321], [1.6736340522766113, 1.0298234224319458], [1.6928681135177612,
        1.0695846875508626], [NAN, NAN], [NAN, NAN]],
}


def _inputs(wrap):
    """The seeded batches of the scenarios; ``wrap`` turns a numpy array into the input type."""
    rng = np.random.RandomState(42)

    def probs(n, c):
        p = rng.uniform(0.01, 1, size=(n, c)).astype(np.float32)
        return (p / p.sum(1, keepdims=True)).astype(np.float32)
    p1 = probs(8, 4)
    l1 = rng.randint(0, 4, size=8).astype(np.float32)
    p2 = probs(5, 4)
    l2 = rng.randint(0, 4, size=5).astype(np.float32)
    b1 = probs(10, 2)
    bl1 = rng.randint(0, 2, size=10).astype(np.float32)
    b2 = probs(7, 2)
    bl2 = rng.randint(0, 2, size=7).astype(np.float32)
    r1, rp1 = rng.randn(6).astype(np.float32), rng.randn(6).astype(np.float32)
    r2, rp2 = rng.randn(4, 3).astype(np.float32), rng.randn(4, 3).astype(np.float32)
    A = lambda x: wrap(np.array(x, dtype=np.float32))  # noqa: E731
    return dict(
        A=A, P1=A(p1), L1=A(l1), P2=A(p2), L2=A(l2), R1=A(r1), R2=A(r2),
        mc=[([A(l1)], [A(p1)]), ([A(l2)], [A(p2)])],
        b=[([A(bl1)], [A(b1)]), ([A(bl2)], [A(b2)])],
        r=[([A(r1)], [A(rp1)]), ([A(r2)], [A(rp2)])])


def myacc(label, pred):
    return (pred.argmax(1) == label).mean()


def _scenarios(d):
    """scenario name -> (metric, batches); the same list MXNet ran."""
    A, mc, b, r = d['A'], d['mc'], d['b'], d['r']
    composite_add = mx.metric.CompositeEvalMetric()
    composite_add.add('mse')
    composite_add.add(mx.metric.MAE())
    return {
        'acc': (mx.metric.Accuracy(), mc),
        'acc_single': (mx.metric.Accuracy(), [(d['L1'], d['P1'])]),
        'acc_same_shape': (mx.metric.Accuracy(), [([A([0, 1, 2, 1])], [A([0, 1.9, 2.2, 0])])]),
        'acc_axis0': (mx.metric.Accuracy(axis=0), [([A([0, 1, 1])], [A([[.3, .7, 0.1], [.7, .3, .8]])])]),
        'acc_two': (mx.metric.Accuracy(), [([d['L1'], d['L2']], [d['P1'], d['P2']])]),
        'topk': (mx.metric.TopKAccuracy(top_k=2), mc),
        'topk3': (mx.metric.create('top_k_accuracy', top_k=3), mc),
        'topk_1d': (mx.metric.TopKAccuracy(top_k=2), [([A([3, 1, 0])], [A([0.1, 0.5, 0.3])])]),
        'f1_macro': (mx.metric.F1(average='macro'), b),
        'mcc_macro': (mx.metric.MCC(average='macro'), b),
        'f1_micro': (mx.metric.F1(average='micro'), b),
        'mcc_micro': (mx.metric.MCC(average='micro'), b),
        'f1_binary': (mx.metric.F1(average='binary'), b),
        'mcc_binary': (mx.metric.MCC(average='binary'), b),
        'pcc': (mx.metric.PCC(), mc),
        'pcc_bin': (mx.metric.PCC(), b),
        'pcc_grow': (mx.metric.PCC(), [([A([0, 1, 0])], [A([[.9, .1], [.2, .8], [.6, .4]])]),
                                       ([A([3, 1, 2])], [A([3, 1, 1])])]),
        'perp_none': (mx.metric.Perplexity(None), mc),
        'perp_ign': (mx.metric.Perplexity(ignore_label=1), mc),
        'perp_axis': (mx.metric.Perplexity(None, axis=1), mc),
        'mae': (mx.metric.MAE(), r),
        'mse': (mx.metric.MSE(), r),
        'rmse': (mx.metric.RMSE(), r),
        'mae_bcast': (mx.metric.MAE(), [([A([1, 2, 3])], [A([[1, 2], [0, 2], [3, 4]])])]),
        'ce': (mx.metric.CrossEntropy(), mc),
        'ce_eps': (mx.metric.create('ce', eps=0.1), mc),
        'nll': (mx.metric.NegativeLogLikelihood(), mc),
        'pearsonr': (mx.metric.PearsonCorrelation(), r),
        'pearsonr_micro': (mx.metric.PearsonCorrelation(average='micro'), r),
        'loss': (mx.metric.Loss(), [(None, [d['R1']]), (None, d['R2'])]),
        'torch': (mx.metric.Torch(), [(None, [d['R1']])]),
        'caffe': (mx.metric.create('caffe'), [(None, [d['R1']])]),
        'custom': (mx.metric.create(myacc), mc),
        'custom_lambda': (mx.metric.CustomMetric(lambda l, p: (float(np.abs(l - p.argmax(1)).sum()), l.size)), mc),
        'np': (mx.metric.np(myacc), mc),
        'np_extra': (mx.metric.np(myacc, allow_extra_outputs=True), [([d['L1']], [d['P1'], d['P2']])]),
        'composite': (mx.metric.create(['acc', 'ce', mx.metric.TopKAccuracy(2)]), mc),
        'composite_add': (composite_add, r),
    }


def _trace(metric, batches):
    values = []

    def read():
        values.append(metric.get()[1])
        values.append(metric.get_global()[1])
    for labels, preds in batches:
        metric.update(labels, preds)
        read()
    metric.reset_local()
    read()
    metric.update(*batches[0])
    read()
    metric.reset()
    read()
    return values


def _same(a, b):
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("wrap", [mx.nd.array, np.asarray], ids=["ndarray", "numpy"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_values_match_mxnet(name, wrap):
    metric, batches = _scenarios(_inputs(wrap))[name]
    got = _trace(metric, batches)
    assert _same(got, EXPECTED[name]), (name, got, EXPECTED[name])


def test_values_are_python_floats_and_str_format():
    d = _inputs(mx.nd.array)
    acc = mx.metric.Accuracy()
    assert str(acc) == "EvalMetric: {'accuracy': nan}"
    acc.update(*d['mc'][0])
    name, value = acc.get()
    assert name == 'accuracy' and type(value) is float
    assert str(acc) == "EvalMetric: {'accuracy': 0.375}"
    assert acc.get_name_value() == [('accuracy', 0.375)]
    assert acc.get_global_name_value() == [('accuracy', 0.375)]
    for metric in (mx.metric.MAE(), mx.metric.Loss(), mx.metric.CrossEntropy(), mx.metric.Perplexity(None)):
        metric.update(*d['mc'][0])
        assert type(metric.get()[1]) is float
    comp = mx.metric.create(['acc', 'f1'])
    assert str(comp.get()) == "(['accuracy', 'f1'], [nan, nan])"
    assert str(comp) == "EvalMetric: {'accuracy': nan, 'f1': nan}"


def test_composite_of_nothing():
    comp = mx.metric.create('composite')
    assert comp.get() == ([], [])
    assert str(comp) == 'EvalMetric: {}'
    assert comp.get_name_value() == [] and comp.get_global_name_value() == []


def test_loss_uses_mxnet_compensated_float32_sum():
    # MXNet sums float32 with Kahan's compensation: numpy's pairwise sum gives 0.5305491 and the
    # rounded float64 sum 0.53054905 for these 12 numbers; MXNet gives 0.53054887.
    loss = mx.metric.Loss()
    loss.update(None, _inputs(mx.nd.array)['R2'])
    assert loss.sum_metric == 0.5305488705635071
    assert loss.get() == ('loss', 0.04421240588029226)


def test_registry_names_and_configs():
    names = {'acc': 'Accuracy', 'accuracy': 'Accuracy', 'ACC': 'Accuracy', 'ce': 'CrossEntropy',
             'crossentropy': 'CrossEntropy', 'f1': 'F1', 'mae': 'MAE', 'mse': 'MSE', 'rmse': 'RMSE',
             'nll_loss': 'NegativeLogLikelihood', 'negativeloglikelihood': 'NegativeLogLikelihood',
             'pearsonr': 'PearsonCorrelation', 'pearsoncorrelation': 'PearsonCorrelation', 'mcc': 'MCC',
             'loss': 'Loss', 'pcc': 'PCC', 'composite': 'CompositeEvalMetric', 'torch': 'Torch', 'caffe': 'Caffe'}
    for name, cls in names.items():
        assert type(mx.metric.create(name)).__name__ == cls
    for name in ('top_k_accuracy', 'top_k_acc', 'topkaccuracy'):
        metric = mx.metric.create(name, top_k=2)
        assert type(metric).__name__ == 'TopKAccuracy' and metric.name == 'top_k_accuracy_2'
    base = {'output_names': None, 'label_names': None}
    assert mx.metric.create('acc').get_config() == dict(axis=1, metric='Accuracy', name='accuracy', **base)
    assert list(mx.metric.create('acc').get_config()) == ['axis', 'metric', 'name', 'output_names', 'label_names']
    assert mx.metric.create('ce').get_config() == dict(eps=1e-12, metric='CrossEntropy', name='cross-entropy', **base)
    assert mx.metric.create('nll_loss').get_config() == dict(eps=1e-12, metric='NegativeLogLikelihood',
                                                             name='nll-loss', **base)
    assert mx.metric.create('top_k_acc', top_k=2).get_config() == dict(top_k=2, metric='TopKAccuracy',
                                                                       name='top_k_accuracy_2', **base)
    assert mx.metric.F1(average='micro').get_config() == dict(metric='F1', name='f1', **base)
    assert mx.metric.Perplexity(-1, axis=0).get_config() == dict(ignore_label=-1, metric='Perplexity',
                                                                 name='perplexity', **base)
    assert mx.metric.PearsonCorrelation(average='micro').get_config() == dict(metric='PearsonCorrelation',
                                                                              name='pearsonr', **base)
    for name in ('mae', 'mse', 'rmse', 'mcc', 'pcc', 'loss', 'torch', 'caffe', 'f1'):
        assert str(mx.metric.create(name)) == "EvalMetric: {'%s': nan}" % name


def test_create_forms():
    comp = mx.metric.create(['acc', 'mse'])
    assert isinstance(comp, mx.metric.CompositeEvalMetric) and comp.name == 'composite'
    assert str(comp) == "EvalMetric: {'accuracy': nan, 'mse': nan}"
    assert comp.get_config() == {
        'metric': 'CompositeEvalMetric', 'name': 'composite', 'output_names': None, 'label_names': None,
        'metrics': [{'axis': 1, 'metric': 'Accuracy', 'name': 'accuracy', 'output_names': None, 'label_names': None},
                    {'metric': 'MSE', 'name': 'mse', 'output_names': None, 'label_names': None}]}
    assert mx.metric.create('{"metric": "acc", "axis": 0}').axis == 0
    assert mx.metric.create('["mse", {"name": "m2"}]').name == 'm2'
    f1 = mx.metric.create({'metric': 'f1', 'average': 'micro'})
    assert isinstance(f1, mx.metric.F1) and f1.average == 'micro'
    assert mx.metric.create(mx.metric.Accuracy(axis=0).get_config()).axis == 0
    acc = mx.metric.Accuracy()
    assert mx.metric.create(acc) is acc
    with pytest.raises(AssertionError, match="metric is already an instance. Additional arguments are invalid"):
        mx.metric.create(acc, axis=0)
    with pytest.raises(AssertionError, match="metric must be of string type"):
        mx.metric.create(5)
    with pytest.raises(AssertionError, match="nosuch is not registered. Please register with metric.register first"):
        mx.metric.create('nosuch')
    with pytest.raises(TypeError, match="ignore_label"):
        mx.metric.create('perplexity')
    with pytest.raises(AssertionError, match="Please use Accuracy if top_k is no more than 1"):
        mx.metric.TopKAccuracy()


def test_register_and_alias_a_user_metric():
    @mx.metric.register
    @mx.metric.alias('half_test')
    class HalfTest(mx.metric.EvalMetric):
        def __init__(self, name='half'):
            super().__init__(name)

        def update(self, labels, preds):
            self.sum_metric += 0.5
            self.num_inst += 1
    metric = mx.metric.create('HALF_TEST')
    metric.update([], [])
    # Without has_global_stats, get_global is get.
    assert metric.get() == ('half', 0.5) and metric.get_global() == ('half', 0.5)
    assert metric.get_config() == {'metric': 'HalfTest', 'name': 'half', 'output_names': None, 'label_names': None}
    assert type(mx.metric.create('halftest')) is HalfTest
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        mx.metric.register(HalfTest)
    assert any('overriding existing metric' in str(w.message) for w in caught)


def test_custom_metric_names_and_config():
    assert mx.metric.create(lambda label, pred: 1.0).name == 'custom(<lambda>)'
    assert mx.metric.create(myacc).name == 'myacc'
    assert mx.metric.np(myacc, name='mine').name == 'mine'
    with pytest.raises(NotImplementedError, match="CustomMetric cannot be serialized"):
        mx.metric.create(myacc).get_config()


def test_composite_helpers_and_update_dict():
    comp = mx.metric.create(['acc', 'f1'])
    assert comp.get_metric(1).name == 'f1'
    # NB: MXNet returns, not raises, the ValueError.
    missing = comp.get_metric(5)
    assert isinstance(missing, ValueError) and str(missing) == 'Metric index 5 is out of range 0 and 2'
    d = _inputs(mx.nd.array)
    acc = mx.metric.Accuracy(output_names=['o1'], label_names=['l1'])
    acc.update_dict({'l1': d['L1'], 'l2': d['L2']}, {'o1': d['P1'], 'o2': d['P2']})
    assert acc.get() == ('accuracy', 0.375)
    both = mx.metric.create(['acc', 'mse'])
    both.update_dict({'l1': d['L1']}, {'o1': d['P1']})
    assert both.get() == (['accuracy', 'mse'], [0.375, 2.585843086242676])
    comp = mx.metric.CompositeEvalMetric(metrics=['acc', mx.metric.MSE()], label_names=['l'], output_names=['o'])
    comp.update_dict({'l': mx.nd.array([0, 1]), 'x': mx.nd.array([5, 5])},
                     {'o': mx.nd.array([[.9, .1], [.9, .1]]), 'y': mx.nd.array([[5, 5], [5, 5]])})
    assert comp.get() == (['accuracy', 'mse'], [0.5, 0.4099999666213989])
    assert comp.get_config()['output_names'] == ['o'] and comp.get_config()['label_names'] == ['l']


def test_edge_values_match_mxnet():
    nd = mx.nd
    p = mx.metric.Perplexity(ignore_label=0)
    p.update([nd.array([0, 0])], [nd.array([[.5, .5], [.5, .5]])])
    assert math.isnan(p.get()[1]) and p.num_inst == 0
    p = mx.metric.Perplexity(None)  # out-of-range labels are clipped, as MXNet's pick does
    p.update([nd.array([5, -1])], [nd.array([[.2, .8], [.3, .7]])])
    assert p.get() == ('perplexity', 2.0412414915140324)
    p = mx.metric.Perplexity(None)  # probabilities are floored at 1e-10
    p.update([nd.array([0, 1])], [nd.array([[0, 1.], [1, 0]])])
    assert p.get() == ('perplexity', 9999993660.802519)
    with pytest.raises(AssertionError, match=r"shape mismatch: \(3,\) vs. \(2, 2\)"):
        mx.metric.Perplexity(None).update([nd.array([0, 1, 1])], [nd.array([[0, 1.], [1, 0]])])
    ce = mx.metric.CrossEntropy()
    ce.update([nd.array([0])], [nd.array([[0., 1.]])])
    assert ce.get() == ('cross-entropy', 27.63102149963379)
    f1 = mx.metric.F1()
    f1.update([nd.array([0, 0])], [nd.array([[.9, .1], [.8, .2]])])
    assert f1.get() == ('f1', 0.0)
    mcc = mx.metric.MCC()
    mcc.update([nd.array([1, 1])], [nd.array([[.1, .9], [.8, .2]])])
    assert mcc.get() == ('mcc', 0.0)
    pcc = mx.metric.PCC()
    pcc.update([nd.array([1, 1])], [nd.array([[.1, .9], [.2, .8]])])
    assert math.isnan(pcc.get()[1])
    acc = mx.metric.Accuracy()
    acc.update([nd.array([[0], [1], [1]])], [nd.array([[0.9, .1], [0.2, .8], [.6, .4]])])
    assert acc.get() == ('accuracy', 0.6666666666666666) and acc.num_inst == 3
    pearson = mx.metric.PearsonCorrelation()
    pearson.update(nd.array([1, 2, 3]), nd.array([1, 2, 4]))
    assert pearson.get() == ('pearsonr', 0.9819805060619656)


def test_errors_match_mxnet():
    nd = mx.nd
    d = _inputs(nd.array)
    with pytest.raises(ValueError, match="Shape of labels 2 does not match shape of predictions 1"):
        mx.metric.Accuracy().update([d['L1'], d['L2']], [d['P1']])
    with pytest.raises(mx.MXNetError, match="axis 1 exceeds the input dimension of 1"):
        mx.metric.Accuracy().update([nd.array([0, 1, 1])], [nd.array([0, 1])])
    with pytest.raises(ValueError, match=r"kth\(=-2\) out of bounds \(3\)"):
        mx.metric.TopKAccuracy(5).update([nd.array([0, 1])], [nd.array([[.1, .2, .7], [.3, .3, .4]])])
    with pytest.raises(AssertionError, match="Predictions should be no more than 2 dims"):
        mx.metric.TopKAccuracy(5).update([nd.array([0, 1])], [nd.zeros((2, 3, 4))])
    with pytest.raises(ValueError, match="_BinaryClassificationMetrics currently only supports binary classification."):
        mx.metric.F1().update([nd.array([0, 1, 2])], [nd.array([[.1, .9], [.8, .2], [.5, .5]])])
    with pytest.raises(ValueError, match=r"Shape of labels \(3,\) does not match shape of predictions \(3, 1\)"):
        mx.metric.PearsonCorrelation().update([nd.array([1, 2, 3])], [nd.array([[1], [2], [3]])])
