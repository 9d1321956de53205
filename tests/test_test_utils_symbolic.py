"""mx.test_utils' graph checks, as MXNet's operator tests use them."""
import numpy as np
import pytest

import minimx as mx
from minimx.gluon import nn
from minimx.test_utils import (check_gluon_hybridize_consistency, check_symbolic_backward,
                               check_symbolic_forward, collapse_sum_like, same_array,
                               simple_forward)


def test_symbolic_forward_and_backward_of_exp_and_fc():
    x = mx.sym.var("x")
    y = mx.sym.exp(x)
    loc = [np.array([0.0, 1.0, -1.0])]
    check_symbolic_forward(y, loc, [np.exp(loc[0])])
    check_symbolic_backward(y, loc, [np.ones(3)], [np.exp(loc[0])])
    fc = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc")
    data, w, b = np.ones((3, 4)), np.arange(8.0).reshape(2, 4), np.array([1.0, -1.0])
    check_symbolic_forward(fc, {"data": data, "fc_weight": w, "fc_bias": b}, [data @ w.T + b])
    grads = check_symbolic_backward(fc, [data, w, b], [np.ones((3, 2))],
                                    {"fc_weight": np.full((2, 4), 3.0), "fc_bias": np.full(2, 3.0)})
    np.testing.assert_allclose(grads["data"], np.tile(w.sum(0), (3, 1)))


def test_a_wrong_expectation_fails():
    x = mx.sym.var("x")
    with pytest.raises(AssertionError):
        check_symbolic_forward(x * 2, [np.ones(2)], [np.ones(2)])


def test_simple_forward_and_helpers():
    x = mx.sym.var("x")
    assert simple_forward(x + 1, x=np.zeros(2)).tolist() == [1.0, 1.0]
    a = mx.nd.zeros((2, 2))
    assert same_array(a, a[:]) and not same_array(a, a.copy())
    assert collapse_sum_like(np.ones((2, 3, 4)), (3, 1)).tolist() == [[8.0]] * 3


def test_check_gluon_hybridize_consistency_passes_for_a_convnet():
    def build():
        net = nn.HybridSequential()
        net.add(nn.Conv2D(3, 3), nn.BatchNorm(), nn.Flatten(), nn.Dense(4))
        return net
    check_gluon_hybridize_consistency(build, [mx.nd.random.uniform(shape=(2, 1, 6, 6))])
