"""The ``random_pdf_*`` ops: values, gradients, shapes, dtypes and edge cases against MXNet 1.9.1.

Expected values were printed by MXNet 1.9.1 (``mx.nd.random_pdf_X`` under ``autograd.record``, head
gradient ``HEAD``; rounded to 6 decimals) and are recorded here, so the tests need no MXNet.
"""
import numpy as np
import pytest

import minimx as mx
from minimx.base import MXNetError

INPUTS = {'dirichlet': [[[[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]], [[0.6, 0.2, 0.2], [0.3, 0.3, 0.4]]],
                        [[1, 2, 3], [0.5, 1.5, 2]]],
          'exponential': [[[0.2, 0.5, 1.0], [1.5, 0.3, 2.0]], [2, 0.5]],
          'gamma': [[[0.2, 0.5, 1.0], [1.5, 0.3, 2.0]], [2, 0.5], [1, 2]],
          'generalized_negative_binomial': [[[0, 1, 3], [2, 5, 1]], [2, 3], [0.4, 0.7]],
          'negative_binomial': [[[0, 1, 3], [2, 5, 1]], [2, 3], [0.4, 0.7]],
          'normal': [[[0.2, 0.5, -1.0], [1.5, 0.3, 2.0]], [0, 1], [1, 2]],
          'poisson': [[[0, 1, 3], [2, 5, 1]], [2, 0.5]],
          'uniform': [[[0.2, 0.5, -1.0], [1.5, 0.3, 2.0]], [0, -2], [1, 3]]}
HEAD = [[1.0, -0.5, 2.0], [0.3, 1.5, -1.0]]
EXPECTED = {('dirichlet', False): ([[4.5, 3.84], [0.441063, 1.527887]],
                                   [[[[0.0, 14.999999, 18.0], [-0.0, -19.199999, -4.8]],
                                     [[-0.110266, 0.330797, 0.661595],
                                      [-3.819719, 3.819719, 5.729578]]],
                                    [[3.069493, 2.314086, -0.669726],
                                     [4.977969, -0.015701, -0.292818]]]),
            ('dirichlet', True): ([[1.504077, 1.345472], [-0.818567, 0.423886]],
                                  [[[[0.0, 3.333333, 4.0], [-0.0, -5.0, -1.25]],
                                    [[-0.25, 0.75, 1.5], [-2.5, 2.5, 3.75]]],
                                   [[0.683521, 0.588987, -0.189909],
                                    [3.836124, -0.093461, -0.357267]]]),
            ('exponential', False): ([[1.34064, 0.735759, 0.270671],
                                      [0.236183, 0.430354, 0.18394]],
                                     [[[-2.68128, 0.735759, -1.082682],
                                       [-0.035427, -0.322765, 0.09197]],
                                      [0.131521, 1.13283]]),
            ('exponential', True): ([[0.293147, -0.306853, -1.306853],
                                     [-1.443147, -0.843147, -1.693147]],
                                    [[[-2.0, 1.0, -4.0], [-0.15, -0.75, 0.5]], [-0.7, 2.7]]),
            ('gamma', False): ([[0.163746, 0.303265, 0.367879], [0.032435, 0.799471, 0.010333]],
                               [[[0.654985, -0.151633, 0.0], [-0.022704, -4.39709, 0.02325]],
                                [-0.474624, 1.73725], [0.803053, -0.05404]]),
            ('gamma', True): ([[-1.809438, -1.193147, -1.0], [-3.428524, -0.223805, -4.572365]],
                              [[[4.0, -0.5, 0.0], [-0.7, -5.5, 2.25]], [-2.319825, -0.25214],
                               [3.05, 1.3]]),
            ('generalized_negative_binomial', False): ([[0.230048, 0.255609, 0.132538],
                                                        [0.158122, 0.067527, 0.192227]],
                                                       [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
                                                        [-0.018671, 0.058021],
                                                        [0.071365, -0.059664]]),
            ('generalized_negative_binomial', True): ([[-1.469467, -1.364106, -2.020886],
                                                       [-1.844387, -2.695229, -1.649079]],
                                                      [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
                                                       [0.138889, 0.505376],
                                                       [-0.220596, -0.790387]]),
            ('negative_binomial', False): ([[0.16, 0.192, 0.13824], [0.18522, 0.017503, 0.3087]],
                                           [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
                                            [-0.060459, 0.039128], [0.48, -0.751361]]),
            ('negative_binomial', True): ([[-1.832581, -1.65026, -1.978764],
                                           [-1.686211, -4.045366, -1.175385]],
                                          [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
                                           [-0.37406, 1.195613], [3.333333, -20.238094]]),
            ('normal', False): ([[0.391043, 0.352065, 0.241971], [0.193334, 0.18762, 0.176033]],
                                [[[-0.078209, 0.088016, 0.483941], [-0.00725, 0.04925, 0.044008]],
                                 [-0.493749, -0.086008], [-0.243376, -0.084653]]),
            ('normal', True): ([[-0.938939, -1.043939, -1.418939],
                                [-1.643336, -1.673336, -1.737086]],
                               [[[-0.2, 0.25, 2.0], [-0.0375, 0.2625, 0.25]], [-2.05, -0.475],
                                [-0.585, -0.42375]]),
            ('poisson', False): ([[0.135335, 0.270671, 0.180447], [0.075816, 0.000158, 0.303265]],
                                 [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [0.112779, -0.232898]]),
            ('poisson', True): ([[-2.0, -1.306853, -1.712318], [-2.579442, -8.753227, -1.193147]],
                                [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [0.25, 13.4]]),
            ('uniform', False): ([[1.0, 1.0, 1.0], [0.2, 0.2, 0.2]],
                                 [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [2.5, 0.032],
                                  [-2.5, -0.032]]),
            ('uniform', True): ([[-0.0, -0.0, -0.0], [-1.609438, -1.609438, -1.609438]],
                                [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [2.5, 0.16], [-2.5, -0.16]])}


@pytest.mark.parametrize("name,is_log", sorted(EXPECTED))
def test_values_and_gradients_match_mxnet(name, is_log):
    want_out, want_grads = EXPECTED[(name, is_log)]
    arrays = [mx.nd.array(a) for a in INPUTS[name]]
    for a in arrays:
        a.attach_grad()
    with mx.autograd.record():
        y = getattr(mx.nd, "random_pdf_" + name)(*arrays, is_log=is_log)
    y.backward(mx.nd.array(np.array(HEAD)[:, :y.shape[1]]))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.asnumpy(), want_out, rtol=2e-5, atol=2e-6)
    for a, want in zip(arrays, want_grads):
        np.testing.assert_allclose(a.grad.asnumpy(), want, rtol=1e-4, atol=1e-5)


def test_sample_axes_shapes_and_dtypes():
    nd = mx.nd
    y = nd.random_pdf_normal(nd.ones((2, 3, 2)), nd.zeros((2,)), nd.ones((2,)))
    assert y.shape == (2, 3, 2)
    np.testing.assert_allclose(y.asnumpy(), 0.24197072, rtol=1e-6)
    assert nd.random_pdf_normal(nd.ones((2,)), nd.zeros((2,)), nd.ones((2,))).shape == (2,)
    for dtype in ("float16", "float64"):
        y = nd.random_pdf_normal(nd.ones((2, 3), dtype=dtype), nd.zeros((2,), dtype=dtype),
                                 nd.ones((2,), dtype=dtype))
        assert y.dtype == np.dtype(dtype)
        np.testing.assert_allclose(y.asnumpy(), 0.24197072, rtol=1e-3)
    quarter = nd.ones((2, 3, 5, 4)) / 4
    y = nd.random_pdf_dirichlet(quarter, nd.ones((2, 4)))
    assert y.shape == (2, 3, 5)
    np.testing.assert_allclose(y.asnumpy(), 6.0, rtol=1e-5)         # Gamma(4) = 3!
    assert nd.random_pdf_dirichlet(nd.ones((3, 4)) / 4, nd.ones((4,))).shape == (3,)
    assert nd.random_pdf_dirichlet(nd.ones((2, 4)) / 4, nd.ones((2, 4))).shape == (2,)


@pytest.mark.parametrize("call", [
    lambda nd: nd.random_pdf_normal(nd.ones((3, 3)), nd.zeros((2,)), nd.ones((2,))),
    lambda nd: nd.random_pdf_normal(nd.ones((2, 3)), nd.zeros((2,)), nd.ones((3,))),
    lambda nd: nd.random_pdf_normal(nd.ones((2, 3)), nd.zeros((2, 1)), nd.ones((2, 1))),
    lambda nd: nd.random_pdf_normal(nd.ones((2, 3), dtype="float64"), nd.zeros((2,)),
                                    nd.ones((2,))),
    lambda nd: nd.random_pdf_normal(nd.ones((2, 3), dtype="int32"), nd.zeros((2,), dtype="int32"),
                                    nd.ones((2,), dtype="int32")),
    lambda nd: nd.random_pdf_dirichlet(nd.ones((2, 3, 4)) / 4, nd.ones((2, 3))),
], ids=["rows", "params", "param-axes", "mixed-dtype", "int", "dirichlet-k"])
def test_bad_shapes_and_dtypes_raise(call):
    with pytest.raises(MXNetError):
        call(mx.nd)


def test_mxnet_edge_cases():
    """No support or parameter checks in MXNet: the formulas are evaluated as they stand."""
    nd = mx.nd
    x = nd.array([[0, 1.5, -1]])
    np.testing.assert_allclose(nd.random_pdf_poisson(x, nd.array([2])).asnumpy(),
                               [[0.13533528, 0.28795183, 0.0]], rtol=1e-5)
    np.testing.assert_allclose(nd.random_pdf_normal(x, nd.array([2]), nd.array([-1])).asnumpy(),
                               [[-0.05399097, -0.35206532, -0.00443185]], rtol=1e-5)
    assert np.isnan(nd.random_pdf_normal(x, nd.array([2]), nd.array([-1]), is_log=True)
                    .asnumpy()).all()
    np.testing.assert_allclose(nd.random_pdf_uniform(x, nd.array([2]), nd.array([1])).asnumpy(),
                               [[-1, -1, -1]])
    np.testing.assert_allclose(nd.random_pdf_exponential(x, nd.array([-2])).asnumpy(),
                               [[-2.0, -40.171074, -0.27067056]], rtol=1e-5)
    g = nd.random_pdf_gamma(nd.array([[-1, 0]]), nd.array([2]), nd.array([1])).asnumpy()
    assert np.isnan(g[0, 0]) and g[0, 1] == 0
    gnb = nd.random_pdf_generalized_negative_binomial(nd.array([[0, 1, 2]]), nd.array([2]),
                                                      nd.array([0]), is_log=True)
    assert np.isnan(gnb.asnumpy()).all()
    assert np.isnan(nd.random_pdf_dirichlet(nd.array([[0.5, 0.7]]), nd.array([-2, 1])).asnumpy())


def test_float64_parameter_gradients_match_central_differences():
    """The discrete distributions' parameter gradients (the op-table check skips them: their
    sample gradient is 0 by MXNet's rule, which finite differences cannot see)."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, (2, 3)).astype(np.float64)
    cases = {"poisson": [[1.5, 3.0]], "negative_binomial": [[2.5, 1.2], [0.3, 0.6]],
             "generalized_negative_binomial": [[1.5, 3.0], [0.4, 1.1]]}
    for name, params in cases.items():
        fn = getattr(mx.nd, "random_pdf_" + name)
        for is_log in (False, True):
            arrays = [mx.nd.array(p, dtype="float64") for p in params]
            for a in arrays:
                a.attach_grad()
            with mx.autograd.record():
                y = fn(mx.nd.array(x, dtype="float64"), *arrays, is_log=is_log)
            y.backward()
            for i, p in enumerate(params):
                for j in range(2):
                    def total(delta):
                        moved = [np.array(q, np.float64) for q in params]
                        moved[i][j] += delta
                        return fn(mx.nd.array(x, dtype="float64"),
                                  *[mx.nd.array(q, dtype="float64") for q in moved],
                                  is_log=is_log).asnumpy().sum()
                    fd = (total(1e-6) - total(-1e-6)) / 2e-6
                    np.testing.assert_allclose(arrays[i].grad.asnumpy()[j], fd, rtol=1e-5,
                                               atol=1e-7, err_msg=f"{name} {is_log} {i} {j}")


def test_symbol_and_hidden_backward_ops():
    s = mx.sym.random_pdf_gamma(mx.sym.var("x"), mx.sym.var("a"), mx.sym.var("b"), is_log=True)
    ex = s.bind(mx.cpu(), {"x": mx.nd.array(INPUTS["gamma"][0]), "a": mx.nd.array([2, 0.5]),
                           "b": mx.nd.array([1, 2])})
    np.testing.assert_allclose(ex.forward()[0].asnumpy(), EXPECTED[("gamma", True)][0], rtol=2e-5)
    assert hasattr(mx.nd._internal, "_backward_pdf_gamma")
    assert not hasattr(mx.nd.random, "pdf_gamma")     # not in MXNet 1.9.1's mx.nd.random either


def test_hybridized_block_backward():
    """A hybridized block's traced backward runs the hidden ``_backward_pdf_normal`` op."""
    class Block(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x, mu, sigma):
            return F.random_pdf_normal(x, mu, sigma, is_log=True)

    block = Block()
    block.hybridize()
    arrays = [mx.nd.array(a) for a in INPUTS["normal"]]
    for a in arrays:
        a.attach_grad()
    with mx.autograd.record():
        y = block(*arrays)
    y.backward(mx.nd.array(HEAD))
    want_out, want_grads = EXPECTED[("normal", True)]
    np.testing.assert_allclose(y.asnumpy(), want_out, rtol=2e-5, atol=2e-6)
    for a, want in zip(arrays, want_grads):
        np.testing.assert_allclose(a.grad.asnumpy(), want, rtol=1e-4, atol=1e-5)
