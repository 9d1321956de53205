"""mx.init / mx.initializer: dispatch, registry, dumps/create and the distributions (MXNet 1.9.1 semantics).

Expected strings, values and error messages were observed in MXNet 1.9.1. Random initializers are checked
by bounds and moments (minimx's random streams are not MXNet's) and by repeatability under mx.random.seed.
"""
import json
import warnings

import numpy as np
import pytest

import minimx as mx

I = mx.init


def D(name, attrs=None):
    return I.InitDesc(name, attrs)


def filled(init, name, shape=(2, 3), attrs=None, dtype='float32'):
    a = mx.nd.ones(shape, dtype=dtype) * 7
    init(D(name, attrs), a)
    return a.asnumpy()


def legacy(init, name, shape=(2, 3)):
    a = mx.nd.ones(shape) * 7
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        init(name, a)
    return a.asnumpy()


def test_module_aliases():
    assert mx.init is mx.initializer
    assert 'init' in mx.__all__ and 'initializer' in mx.__all__


def test_every_kind_is_reachable_and_registered():
    # The kinds live in initializer_kinds; mx.init / mx.initializer re-export the same classes.
    from minimx import initializer_kinds
    registered = {'zero': 'Zero', 'zeros': 'Zero', 'one': 'One', 'ones': 'One', 'constant': 'Constant',
                  'uniform': 'Uniform', 'normal': 'Normal', 'orthogonal': 'Orthogonal', 'xavier': 'Xavier',
                  'msraprelu': 'MSRAPrelu', 'bilinear': 'Bilinear', 'lstmbias': 'LSTMBias', 'fusedrnn': 'FusedRNN'}
    for name, cls in registered.items():
        klass = getattr(initializer_kinds, cls)
        assert getattr(mx.init, cls) is klass and getattr(mx.initializer, cls) is klass
        assert I._REGISTRY[name] is klass
    for name in ('Load', 'Mixed', 'InitDesc', 'Initializer', 'create', 'register', 'alias'):
        assert name in mx.init.__all__ and getattr(mx.initializer, name) is getattr(mx.init, name)


def test_initdesc_is_a_str_with_attrs():
    d = D('fc_weight')
    assert isinstance(d, str) and d == 'fc_weight' and d.attrs == {} and d.global_init is None
    u = I.Uniform()
    d = I.InitDesc('fc_weight', {'a': 'b'}, u)
    assert d.attrs == {'a': 'b'} and d.global_init is u


def test_call_sets_global_init():
    z = I.Zero()
    d = D('fc_weight')
    z(d, mx.nd.ones((2, 2)))
    assert d.global_init is z


@pytest.mark.parametrize("init, expected", [
    (I.Zero(), '["zero", {}]'),
    (I.One(), '["one", {}]'),
    (I.Constant(2.5), '["constant", {"value": 2.5}]'),
    (I.Uniform(), '["uniform", {"scale": 0.07}]'),
    (I.Normal(), '["normal", {"sigma": 0.01}]'),
    (I.Orthogonal(), '["orthogonal", {"scale": 1.414, "rand_type": "uniform"}]'),
    (I.Xavier(), '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 3}]'),
    (I.Xavier('gaussian', 'in', 2), '["xavier", {"rnd_type": "gaussian", "factor_type": "in", "magnitude": 2}]'),
    (I.MSRAPrelu(), '["msraprelu", {"factor_type": "avg", "slope": 0.25}]'),
    (I.Bilinear(), '["bilinear", {}]'),
    (I.LSTMBias(), '["lstmbias", {"forget_bias": 1.0}]'),
    (I.Constant(mx.nd.array([1, 2])), '["constant", {"value": [1.0, 2.0]}]'),
    (I.Constant(np.array([1., 2])), '["constant", {"value": [1.0, 2.0]}]'),
])
def test_dumps_matches_mxnet(init, expected):
    assert init.dumps() == expected


@pytest.mark.parametrize("spec, cls, dumped", [
    ('zeros', I.Zero, '["zero", {}]'),
    ('ones', I.One, '["one", {}]'),
    ('Xavier', I.Xavier, '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 3}]'),
    ('["xavier", {"rnd_type": "gaussian", "factor_type": "in", "magnitude": 2}]', I.Xavier,
     '["xavier", {"rnd_type": "gaussian", "factor_type": "in", "magnitude": 2}]'),
    ('{"initializer": "normal", "sigma": 0.5}', I.Normal, '["normal", {"sigma": 0.5}]'),
    ('["msraprelu", {"factor_type": "avg", "slope": 0.25}]', I.MSRAPrelu,
     '["msraprelu", {"factor_type": "avg", "slope": 0.25}]'),
])
def test_create_by_name_and_json(spec, cls, dumped):
    x = I.create(spec)
    assert type(x) is cls and x.dumps() == dumped


def test_create_roundtrips_dumps_and_args():
    for init in [I.Uniform(0.3), I.Xavier('gaussian', 'out', 1.5), I.MSRAPrelu('in', 0.1), I.LSTMBias(2.0)]:
        assert I.create(init.dumps()) == init
    assert I.create('uniform', 0.3).dumps() == '["uniform", {"scale": 0.3}]'
    assert I.create('uniform', scale=0.3) == I.Uniform(0.3)
    assert I.create({'initializer': 'one'}) == I.One()
    u = I.Uniform()
    assert I.create(u) is u
    with pytest.raises(AssertionError, match="nope is not registered"):
        I.create('nope')


def test_equality_is_by_type_and_kwargs():
    assert I.Zero() == I.Zero() and I.Uniform(0.1) == I.Uniform(0.1)
    assert I.Uniform(0.1) != I.Uniform(0.2) and I.Uniform() != 1 and I.Zero() != I.One()


def test_register_custom_initializer_with_alias():
    @I.register
    @I.alias('mytestinit')
    class CustomTestInit(I.Initializer):
        def _init_weight(self, _, arr):
            arr[:] = 0.1

        def _init_bias(self, _, arr):
            arr[:] = 1

    for name in ['customtestinit', 'MyTestInit']:
        x = I.create(name)
        assert isinstance(x, CustomTestInit)
        np.testing.assert_allclose(filled(x, 'fc_weight'), 0.1)
        np.testing.assert_array_equal(filled(x, 'fc_bias'), 1)
    with pytest.raises(AssertionError):
        I.register(int)


@pytest.mark.parametrize("name, zero_val, const_val", [
    ('fc_weight', 0, 3), ('fc_bias', 0, 0), ('bn_gamma', 1, 1), ('bn_beta', 0, 0),
    ('x_min', 0, 0), ('x_max', 1, 1), ('bias_quantize', 0, 0),
])
def test_initdesc_dispatch_on_suffix(name, zero_val, const_val):
    # Only *weight goes to the initializer's own rule; bias/beta are 0 and gamma 1 whatever it is.
    np.testing.assert_array_equal(filled(I.Zero(), name), zero_val)
    np.testing.assert_array_equal(filled(I.Constant(3), name), const_val)


@pytest.mark.parametrize("name", ['bn_moving_mean', 'bn_moving_var', 'bn_running_mean', 'foo',
                                  'moving_inv_var', 'moving_avg'])
def test_initdesc_unknown_pattern_raises(name):
    # MXNet 1.9.1: the moving statistics are only known to the legacy (plain str) path.
    with pytest.raises(ValueError, match="Unknown initialization pattern for %s" % name):
        filled(I.Zero(), name)


def test_weight_quantize_fills_one_random_int8():
    x = filled(I.Zero(), 'weight_quantize')
    assert np.all(x == x.flat[0]) and -127 <= x.flat[0] < 127 and x.flat[0] == int(x.flat[0])


def test_init_attr_overrides_dispatch():
    np.testing.assert_array_equal(filled(I.Zero(), 'fc_bias', attrs={'__init__': I.Constant(5).dumps()}), 5)
    np.testing.assert_array_equal(filled(I.Zero(), 'fc_bias', attrs={'__init__': 'ones'}), 1)


@pytest.mark.parametrize("name, val", [
    ('fc_weight', 3), ('fc_bias', 0), ('bn_gamma', 1), ('bn_beta', 0), ('bn_moving_mean', 0),
    ('bn_moving_var', 1), ('moving_inv_var', 0), ('moving_avg', 0), ('x_min', 0), ('x_max', 1),
    ('stn_loc_weight', 0),
])
def test_legacy_string_dispatch(name, val):
    np.testing.assert_array_equal(legacy(I.Constant(3), name), val)


def test_legacy_special_names_and_warning():
    np.testing.assert_array_equal(legacy(I.Constant(3), 'stn_loc_bias', (6,)), [1, 0, 0, 0, 1, 0])
    np.testing.assert_allclose(legacy(I.Constant(3), 'upsampling_weight', (1, 1, 4, 4))[0, 0, 0],
                               [0.0625, 0.1875, 0.1875, 0.0625])
    with pytest.raises(ValueError, match="Unknown initialization pattern for foo"):
        legacy(I.Constant(3), 'foo')
    with pytest.warns(DeprecationWarning, match="deprecated"):
        I.Zero()('fc_weight', mx.nd.ones((2,)))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        with pytest.raises(TypeError, match="arr must be NDArray"):
            I.Zero()('fc_weight', np.ones(2))


def test_constant_scalar_and_array():
    np.testing.assert_array_equal(filled(I.Constant(2.5), 'w_weight'), 2.5)
    v = mx.nd.array([[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(filled(I.Constant(v), 'fc_weight'), v.asnumpy())


def test_bilinear_matches_mxnet():
    x = filled(I.Bilinear(), 'up_weight', (1, 1, 4, 4))
    np.testing.assert_allclose(x[0, 0], [[0.0625, 0.1875, 0.1875, 0.0625], [0.1875, 0.5625, 0.5625, 0.1875],
                                         [0.1875, 0.5625, 0.5625, 0.1875], [0.0625, 0.1875, 0.1875, 0.0625]])
    x = filled(I.Bilinear(), 'up_weight', (2, 1, 3, 5))
    row = np.array([1, 2, 3, 2, 1]) / 9.
    np.testing.assert_allclose(x[1, 0], [row, 2 * row, 3 * row], rtol=1e-6)
    np.testing.assert_array_equal(x[0], x[1])


def test_lstm_bias():
    np.testing.assert_array_equal(filled(I.LSTMBias(2.5), 'lstm_weight', (8,)), [0, 0, 2.5, 2.5, 0, 0, 0, 0])
    # The bias of an InitDesc named *bias is zeroed by the dispatch, as in MXNet.
    np.testing.assert_array_equal(filled(I.LSTMBias(2.5), 'lstm_bias', (8,)), 0)
    np.testing.assert_array_equal(filled(I.Zero(), 'l_bias', (8,), attrs={'__init__': I.LSTMBias(2.5).dumps()}),
                                  [0, 0, 2.5, 2.5, 0, 0, 0, 0])


@pytest.mark.parametrize("dtype", ['float16', 'float32', 'float64'])
def test_uniform_bounds_and_moments(dtype):
    mx.random.seed(1)
    x = filled(I.Uniform(0.5), 'fc_weight', (200, 100), dtype=dtype).astype(np.float64)
    assert x.dtype == np.float64 and np.all(np.abs(x) <= 0.5)
    assert abs(x.mean()) < 0.01 and abs(x.std() - 0.5 / np.sqrt(3)) < 0.01
    assert x.max() > 0.49 and x.min() < -0.49


def test_normal_moments_and_default_sigma():
    mx.random.seed(2)
    x = filled(I.Normal(0.5), 'fc_weight', (200, 100))
    assert abs(x.mean()) < 0.01 and abs(x.std() - 0.5) < 0.01
    x = filled(I.Normal(), 'fc_weight', (200, 100))
    assert abs(x.std() - 0.01) < 3e-4


def test_random_initializers_repeat_under_seed():
    for init in [I.Uniform(), I.Normal(), I.Xavier(), I.MSRAPrelu(), I.Orthogonal()]:
        mx.random.seed(42)
        a = filled(init, 'fc_weight', (6, 5))
        mx.random.seed(42)
        b = filled(init, 'fc_weight', (6, 5))
        c = filled(init, 'fc_weight', (6, 5))
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(b, c)


@pytest.mark.parametrize("shape, factor_type, factor", [
    ((64, 32), 'avg', (64 + 32) / 2.), ((64, 32), 'in', 32), ((64, 32), 'out', 64),
    ((16, 8, 3, 3), 'avg', (8 * 9 + 16 * 9) / 2.), ((16, 8, 3, 3), 'in', 8 * 9), ((16, 8, 3, 3), 'out', 16 * 9),
    ((8, 4, 2, 3, 3), 'in', 4 * 18),
])
def test_xavier_uniform_bound_uses_receptive_field(shape, factor_type, factor):
    mx.random.seed(3)
    magnitude = 2.34
    bound = np.sqrt(magnitude / factor)
    x = filled(I.Xavier('uniform', factor_type, magnitude), 'conv_weight', shape)
    assert np.all(np.abs(x) <= bound * (1 + 1e-6))
    assert np.abs(x).max() > 0.9 * bound


def test_xavier_gaussian_and_msraprelu_std():
    mx.random.seed(4)
    x = filled(I.Xavier('gaussian', 'in', 2), 'conv_weight', (64, 32, 3, 3))
    assert abs(x.std() - np.sqrt(2 / (32 * 9))) < 0.02 * np.sqrt(2 / (32 * 9))
    m = I.MSRAPrelu('out', slope=0.25)
    assert m.rnd_type == 'gaussian' and m.magnitude == pytest.approx(2 / 1.0625)
    x = filled(m, 'conv_weight', (64, 32, 3, 3))
    expected = np.sqrt(2 / 1.0625 / (64 * 9))
    assert abs(x.std() - expected) < 0.02 * expected and abs(x.mean()) < 0.1 * expected


def test_xavier_errors():
    with pytest.raises(ValueError, match="cannot be applied to vector fc_weight"):
        filled(I.Xavier(), 'fc_weight', (3,))
    with pytest.raises(ValueError, match="Incorrect factor type"):
        filled(I.Xavier(factor_type='x'), 'fc_weight', (3, 3))
    with pytest.raises(ValueError, match="Unknown random type"):
        filled(I.Xavier(rnd_type='x'), 'fc_weight', (3, 3))
    assert I.Xavier().magnitude == 3.0 and isinstance(I.Xavier().magnitude, float)


@pytest.mark.parametrize("shape, rand_type", [((5, 3), 'uniform'), ((3, 5), 'normal'), ((4, 2, 3), 'uniform')])
def test_orthogonal_rows_or_columns_are_orthonormal(shape, rand_type):
    x = filled(I.Orthogonal(scale=2.0, rand_type=rand_type), 'w_weight', shape).reshape(shape[0], -1)
    small = min(x.shape)
    gram = x.T @ x if x.shape[0] > x.shape[1] else x @ x.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-5)


def test_mixed_first_match_wins():
    m = I.Mixed(['bias', '.*'], [I.Zero(), I.Constant(4)])
    np.testing.assert_array_equal(legacy(m, 'fc_bias'), 0)       # InitDesc-free names still dispatch
    np.testing.assert_array_equal(legacy(m, 'fc_weight'), 4)
    with pytest.raises(ValueError, match="did not match any pattern"):
        I.Mixed(['bias'], [I.Zero()])('fc_weight', mx.nd.ones((2,)))


def test_load_from_dict_and_file(tmp_path):
    params = {'arg:fc_weight': mx.nd.ones((2, 3)) * 2, 'aux:bn_moving_mean': mx.nd.ones((3,)),
              'other': mx.nd.ones((1,))}
    ld = I.Load(params, default_init=I.Constant(9))
    assert sorted(ld.param) == ['bn_moving_mean', 'fc_weight', 'other']
    np.testing.assert_array_equal(legacy(ld, 'fc_weight'), 2)
    np.testing.assert_array_equal(legacy(ld, 'zz_weight'), 9)
    with pytest.raises(AssertionError, match=r"Shape mismatch, target \(3, 2\) vs loaded \(2, 3\)"):
        legacy(ld, 'fc_weight', (3, 2))
    with pytest.raises(AssertionError, match="Cannot Initialize b. Not found in loaded param"):
        legacy(I.Load({'a': mx.nd.ones((2, 3))}), 'b')
    fname = str(tmp_path / 'p.params')
    mx.nd.save(fname, params)
    np.testing.assert_array_equal(legacy(I.Load(fname), 'fc_weight'), 2)


def test_fused_rnn_builds_but_is_not_supported():
    f = I.FusedRNN(I.Uniform(0.1).dumps(), num_hidden=4, num_layers=1, mode='lstm')
    assert json.loads(f.dumps())[1]['init'] == '["uniform", {"scale": 0.1}]'
    with pytest.raises(NotImplementedError, match="not supported"):
        f(D('rnn_weight'), mx.nd.zeros((10,)))


def test_set_verbosity_logs(caplog):
    import logging
    init = I.One().set_verbosity(True)
    with caplog.at_level(logging.INFO):
        init(D('fc_weight'), mx.nd.zeros((4,)))
    assert "Initialized fc_weight as weight: 1.0" in caplog.text


def test_base_initializer_needs_init_weight():
    with pytest.raises(NotImplementedError, match="Must override it"):
        I.Initializer()(D('fc_weight'), mx.nd.zeros((2,)))
