"""Gradient rules of the reduce and sort families: what central differences cannot show.

``tests/test_op_grads.py`` checks every rule against finite differences on tie-free inputs. Here:
the values real MXNet 1.9.1 gives where FD is meaningless (ties in max/min/sort/topk, NaN in
nansum/nanprod, zeros in prod and norm), the ops MXNet differentiates to zero (argmax, argsort,
topk indices/mask), the axis/keepdims/exclude/dtype variants the Domains do not draw, and second
derivatives through ``autograd.grad(create_graph=True)`` against closed forms.
Expected values marked "MXNet" were observed with ``/work/mxnet-venv`` (mxnet 1.9.1, CPU).
"""
import numpy as np
import pytest

import minimx as mx

NAN = float("nan")


def grad_of(f, x, head=None, dtype="float64", all_heads=False):
    """x.grad after ``f(x).backward(head)`` (or backward of every output with ``all_heads``)."""
    x = mx.nd.array(np.asarray(x, dtype=dtype), dtype=dtype)
    x.attach_grad()
    with mx.autograd.record():
        y = f(x)
    if isinstance(y, (list, tuple)):
        if all_heads:
            mx.autograd.backward(list(y))
        else:
            y[0].backward()
    else:
        y.backward(None if head is None else mx.nd.array(np.asarray(head, dtype=y.dtype),
                                                         dtype=y.dtype))
    return x.grad.asnumpy()


def hessian_vector(f, x, v):
    """H v for scalar ``f``: backward of sum(grad f * v), grad f recorded with create_graph."""
    x = mx.nd.array(np.asarray(x, dtype="float64"), dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        (g,) = mx.autograd.grad(f(x), [x], create_graph=True)
        z = mx.nd.sum(g * mx.nd.array(np.asarray(v, dtype="float64"), dtype="float64"))
    z.backward()
    return g.asnumpy(), x.grad.asnumpy()


# -- sum, mean: the gradient broadcasts back over every axis variant -----------------------------
X3 = np.arange(24.0).reshape(2, 3, 4)


@pytest.mark.parametrize("kwargs,axes", [
    ({}, (0, 1, 2)), ({"axis": 1}, (1,)), ({"axis": (0, -1)}, (0, 2)),
    ({"axis": -1, "keepdims": True}, (2,)), ({"axis": 1, "exclude": True}, (0, 2)),
    ({"axis": (0, -1), "exclude": True}, (1,)), ({"axis": (), "keepdims": True}, (0, 1, 2)),
    ({"axis": (0, 1, 2), "exclude": True}, ()),
])
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_and_mean_broadcast_the_gradient_back(name, kwargs, axes):
    rng = np.random.default_rng(0)
    out_shape = getattr(mx.nd, name)(mx.nd.array(X3), **kwargs).shape
    head = rng.standard_normal(out_shape)
    got = grad_of(lambda x: getattr(mx.nd, name)(x, **kwargs), X3, head)
    kept = tuple(1 if i in axes else s for i, s in enumerate(X3.shape))
    want = np.broadcast_to(head.reshape(kept), X3.shape)
    if name == "mean":
        want = want / max(1, int(np.prod([X3.shape[a] for a in axes])))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_mean_with_exclude_matches_mxnet():
    got = grad_of(lambda x: mx.nd.mean(x, axis=(0, -1), exclude=True), X3, dtype="float32")
    np.testing.assert_allclose(got, np.full(X3.shape, 1 / 3), rtol=1e-6)   # MXNet


def test_gradient_of_an_empty_reduction_is_empty():
    got = grad_of(lambda x: mx.nd.sum(x, axis=0), np.zeros((0, 3)))
    assert got.shape == (0, 3)


# -- max / min: every element equal to the extremum gets the whole gradient (MXNet) -------------
def test_max_sends_the_gradient_to_every_tied_maximum():
    x = [[1, 3, 3], [2, 2, 0]]
    np.testing.assert_array_equal(grad_of(lambda x: mx.nd.max(x, axis=1), x),
                                  [[0, 1, 1], [1, 1, 0]])                         # MXNet
    np.testing.assert_array_equal(grad_of(lambda x: mx.nd.max(x), x), [[0, 1, 1], [0, 0, 0]])


def test_min_ties_and_keepdims_heads():
    np.testing.assert_array_equal(grad_of(lambda x: mx.nd.min(x, axis=0), [[1, 3, 3], [1, 2, 0]]),
                                  [[1, 0, 0], [1, 1, 1]])                         # MXNet
    got = grad_of(lambda x: mx.nd.max(x, axis=-1, keepdims=True), [[1, 5, 2], [4, 3, 6]],
                  head=[[2], [3]])
    np.testing.assert_array_equal(got, [[0, 2, 0], [0, 0, 3]])                    # MXNet


def test_max_with_nan_sends_nothing():
    got = grad_of(lambda x: mx.nd.max(x, axis=1), [[1, NAN, 3]])
    np.testing.assert_array_equal(got, [[0, 0, 0]])                               # MXNet


# -- prod, nansum, nanprod: zeros and NaN --------------------------------------------------------
def test_prod_gradient_is_the_product_of_the_others_even_at_zeros():
    x = [[1, 0, 3], [0, 0, 2], [2, 3, 4]]
    got = grad_of(lambda x: mx.nd.prod(x, axis=1), x)
    # NB: MXNet gives out / x: [[0, nan, 0], [nan, nan, 0], [12, 8, 6]]
    np.testing.assert_array_equal(got, [[0, 3, 0], [0, 0, 0], [12, 8, 6]])


def test_prod_gradient_over_several_axes_and_excluding_all():
    rng = np.random.default_rng(1)
    x = rng.uniform(0.5, 1.5, (2, 3, 2))
    got = grad_of(lambda x: mx.nd.prod(x, axis=(0, 2)), x)
    np.testing.assert_allclose(got, np.prod(x, axis=(0, 2), keepdims=True) / x, rtol=1e-12)
    got = grad_of(lambda x: mx.nd.prod(x, axis=(0, 1), exclude=True), [[2.0, 3.0]])
    np.testing.assert_array_equal(got, [[1, 1]])                                  # MXNet


def test_nansum_gives_nan_elements_no_gradient():
    np.testing.assert_array_equal(grad_of(lambda x: mx.nd.nansum(x, axis=1), [[1, NAN, 3]]),
                                  [[1, 0, 1]])                                    # MXNet


def test_nanprod_reads_nan_as_one():
    np.testing.assert_array_equal(grad_of(lambda x: mx.nd.nanprod(x, axis=1), [[2, NAN, 3]]),
                                  [[3, 0, 2]])                                    # MXNet
    np.testing.assert_array_equal(grad_of(lambda x: mx.nd.nanprod(x), [[2, NAN], [3, 4]]),
                                  [[12, 0], [8, 6]])                              # MXNet
    # NB: MXNet gives nan at the zero: [[nan, 0, 0]]
    np.testing.assert_array_equal(grad_of(lambda x: mx.nd.nanprod(x, axis=1), [[0, NAN, 3]]),
                                  [[3, 0, 0]])


# -- norm ----------------------------------------------------------------------------------------
def test_norm_l2_and_its_zero_vector():
    got = grad_of(lambda x: mx.nd.norm(x, axis=1, keepdims=True), [[3, 4], [0, 0]])
    # NB: MXNet gives nan for the zero row (0/0); minimx gives the subgradient 0.
    np.testing.assert_allclose(got, [[0.6, 0.8], [0, 0]], rtol=1e-12)


def test_norm_l1_is_the_sign():
    np.testing.assert_array_equal(grad_of(lambda x: mx.nd.norm(x, ord=1), [[0, -2, 3]]),
                                  [[0, -1, 1]])                                   # MXNet


def test_norm_over_two_axes_is_frobenius():
    x = [[1.0, 5, 2], [4, 3, 6]]
    got = grad_of(lambda x: mx.nd.norm(x, axis=(0, 1)), x, dtype="float32")
    np.testing.assert_allclose(got, [[0.10482849, 0.52414244, 0.20965698],
                                     [0.41931397, 0.31448546, 0.6289709]], rtol=1e-6)  # MXNet


def test_norm_with_out_dtype_gives_a_gradient_of_the_input_dtype():
    x = np.array([[3.0, 4.0], [1.0, -1.0]])
    got = grad_of(lambda x: mx.nd.norm(x, axis=-1, out_dtype="float32"), x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, x / np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-6)


# -- moments, cumsum -----------------------------------------------------------------------------
MX = [[1.0, 5, 2], [4, 3, 6]]


def test_moments_gradients_match_mxnet():
    f = lambda x: mx.nd.moments(x, axes=1)   # noqa: E731
    np.testing.assert_allclose(grad_of(f, MX, all_heads=True),
                               [[-0.7777778, 1.8888888, -0.11111116],
                                [0.11111102, -0.5555557, 1.4444444]], rtol=1e-6)   # MXNet
    np.testing.assert_allclose(grad_of(f, MX), np.full((2, 3), 1 / 3), rtol=1e-12)  # mean only
    x = mx.nd.array(MX, dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        _, var = mx.nd.moments(x, axes=1)
    var.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [[-1.1111112, 1.5555555, -0.4444445],
                                                  [-0.22222233, -0.888889, 1.111111]],
                               rtol=1e-6)                                         # MXNet


def test_moments_over_several_axes_with_keepdims():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 2))
    f = lambda x: mx.nd.moments(x, axes=(0, -1), keepdims=True)   # noqa: E731
    got = grad_of(f, x, all_heads=True)
    mean = x.mean(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(got, 1 / 4 + 2 * (x - mean) / 4, rtol=1e-12)


def test_cumsum_gradient_is_the_reversed_cumulative_sum():
    np.testing.assert_array_equal(grad_of(lambda x: mx.nd.cumsum(x, axis=1), MX),
                                  [[3, 2, 1], [3, 2, 1]])                          # MXNet
    np.testing.assert_array_equal(grad_of(lambda x: mx.nd.cumsum(x), MX),
                                  [[6, 5, 4], [3, 2, 1]])                          # MXNet
    got = grad_of(lambda x: mx.nd.cumsum(x, axis=0, dtype="float64"), MX, dtype="float32")
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, [[2, 2, 2], [1, 1, 1]])                     # MXNet


# -- no gradient: argmax, argmin, argmax_channel, argsort ----------------------------------------
@pytest.mark.parametrize("f", [lambda x: mx.nd.argmax(x, axis=1), lambda x: mx.nd.argmin(x),
                               lambda x: mx.nd.argmax_channel(x), lambda x: mx.nd.argsort(x)])
def test_index_ops_leave_a_zero_gradient(f):
    # MXNet: zeros; argmax_channel raises instead ("non-differentiable"), minimx gives zeros.
    np.testing.assert_array_equal(grad_of(f, MX), np.zeros((2, 3)))


# -- sort, topk: the gradient follows the permutation -------------------------------------------
def test_sort_sends_each_gradient_back_to_its_element():
    head = [[1, 2, 3], [4, 5, 6]]
    np.testing.assert_array_equal(grad_of(lambda x: mx.nd.sort(x, axis=1), MX, head),
                                  [[1, 3, 2], [5, 4, 6]])                          # MXNet
    np.testing.assert_array_equal(
        grad_of(lambda x: mx.nd.sort(x, axis=1, is_ascend=False), MX, head),
        [[3, 1, 2], [5, 6, 4]])                                                    # MXNet
    np.testing.assert_array_equal(grad_of(lambda x: mx.nd.sort(x, axis=None), [[3, 1], [2, 0]],
                                          [1, 2, 3, 4]), [[4, 2], [3, 1]])         # MXNet
    np.testing.assert_array_equal(grad_of(lambda x: mx.nd.sort(x, axis=0), MX, head),
                                  [[1, 5, 3], [4, 2, 6]])


def test_sort_with_ties_keeps_their_order():
    np.testing.assert_array_equal(grad_of(lambda x: mx.nd.sort(x), [[1, 1, 1]], [[1, 2, 3]]),
                                  [[1, 2, 3]])                                     # MXNet


def test_topk_values_scatter_back_to_the_chosen_positions():
    f = lambda **kw: (lambda x: mx.nd.topk(x, **kw))   # noqa: E731
    np.testing.assert_array_equal(grad_of(f(axis=1, k=2, ret_typ="value"), MX, [[1, 2], [3, 4]]),
                                  [[0, 1, 2], [4, 0, 3]])                          # MXNet
    np.testing.assert_array_equal(grad_of(f(axis=1, k=2, ret_typ="both"), MX),
                                  [[0, 1, 1], [1, 0, 1]])                          # MXNet
    np.testing.assert_array_equal(grad_of(f(axis=1, k=2, ret_typ="both"), MX, all_heads=True),
                                  [[0, 1, 1], [1, 0, 1]])                          # MXNet
    np.testing.assert_array_equal(grad_of(f(axis=None, k=2, ret_typ="value"), MX, [1, 2]),
                                  [[0, 2, 0], [0, 0, 1]])                          # MXNet
    np.testing.assert_array_equal(
        grad_of(f(axis=0, k=1, ret_typ="value", is_ascend=True), MX, [[1, 2, 3]]),
        [[1, 0, 3], [0, 2, 0]])                                                    # MXNet
    np.testing.assert_array_equal(grad_of(f(axis=1, k=2, ret_typ="value"), [[1, 1, 1]], [[1, 2]]),
                                  [[1, 2, 0]])                                     # MXNet (ties)


@pytest.mark.parametrize("ret_typ", ["indices", "mask"])
def test_topk_indices_and_mask_have_no_gradient(ret_typ):
    got = grad_of(lambda x: mx.nd.topk(x, axis=1, k=2, ret_typ=ret_typ), MX)
    np.testing.assert_array_equal(got, np.zeros((2, 3)))                          # MXNet


def test_topk_gradient_flows_on_through_a_composition():
    rng = np.random.default_rng(3)
    x = rng.permutation(12).reshape(3, 4) * 0.5
    got = grad_of(lambda x: mx.nd.sum(mx.nd.topk(x, axis=-1, k=2, ret_typ="value") ** 2), x)
    top = np.argsort(-x, axis=-1, kind="stable")[:, :2]
    want = np.zeros_like(x)
    np.put_along_axis(want, top, 2 * np.take_along_axis(x, top, axis=-1), axis=-1)
    np.testing.assert_allclose(got, want, rtol=1e-12)


# -- second derivatives --------------------------------------------------------------------------
def test_second_derivative_of_sum_of_squares():
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    v = np.arange(6.0).reshape(2, 3)
    g, hv = hessian_vector(lambda x: mx.nd.sum(x * x), x, v)
    np.testing.assert_allclose(g, 2 * x, rtol=1e-12)
    np.testing.assert_allclose(hv, 2 * v, rtol=1e-12)


def test_second_derivative_of_mean_of_squares_over_an_axis():
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    v = np.ones_like(x)
    g, hv = hessian_vector(lambda x: mx.nd.sum(mx.nd.mean(x * x, axis=1) * 3.0), x, v)
    np.testing.assert_allclose(g, 2 * x, rtol=1e-12)
    np.testing.assert_allclose(hv, 2 * v, rtol=1e-12)


def test_second_derivative_of_norm():
    x = np.array([1.0, -2.0, 2.0, 0.5])
    v = np.array([0.3, 1.0, -0.5, 2.0])
    g, hv = hessian_vector(lambda x: mx.nd.norm(x), x, v)
    r = np.linalg.norm(x)
    np.testing.assert_allclose(g, x / r, rtol=1e-12)
    hessian = (np.eye(4) - np.outer(x, x) / r ** 2) / r
    np.testing.assert_allclose(hv, hessian @ v, rtol=1e-10)


def test_second_derivative_of_norm_over_an_axis():
    x = np.array([[3.0, 4.0], [1.0, -1.0]])
    v = np.array([[1.0, 0.0], [0.5, 2.0]])
    _, hv = hessian_vector(lambda x: mx.nd.sum(mx.nd.norm(x, axis=1)), x, v)
    want = []
    for row, w in zip(x, v):
        r = np.linalg.norm(row)
        want.append((np.eye(2) - np.outer(row, row) / r ** 2) / r @ w)
    np.testing.assert_allclose(hv, want, rtol=1e-10)


@pytest.mark.parametrize("x", [[2.0, 3.0, 0.5], [0.0, 3.0, 0.5]])
def test_second_derivative_of_prod_even_with_a_zero(x):
    x = np.array(x)
    v = np.array([1.0, -1.0, 2.0])
    g, hv = hessian_vector(lambda x: mx.nd.prod(x), x, v)
    others = np.array([np.prod(np.delete(x, i)) for i in range(3)])
    hessian = np.array([[0.0 if i == j else np.prod(np.delete(x, [i, j])) for j in range(3)]
                        for i in range(3)])
    np.testing.assert_allclose(g, others, rtol=1e-12)
    np.testing.assert_allclose(hv, hessian @ v, rtol=1e-12)


def test_second_derivative_through_max_and_sort():
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    v = np.ones_like(x)
    # max(x)^2 per row: d2 = 2 at the maximum, 0 elsewhere.
    _, hv = hessian_vector(lambda x: mx.nd.sum(mx.nd.max(x, axis=1) ** 2), x, v)
    np.testing.assert_allclose(hv, [[0, 0, 2], [2, 0, 0]], rtol=1e-12)
    # sum(w * sort(x)^2): d2 = 2 w[rank of x].
    w = mx.nd.array([[1.0, 2.0, 3.0]], dtype="float64")
    _, hv = hessian_vector(lambda x: mx.nd.sum(mx.nd.broadcast_mul(mx.nd.sort(x) ** 2, w)), x, v)
    np.testing.assert_allclose(hv, [[4, 2, 6], [6, 4, 2]], rtol=1e-12)
