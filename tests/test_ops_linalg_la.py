"""The linalg_la family: inverse, det, slogdet, trmm, potri, gelqf, syevd, sumlogdiag and the
diagonal/triangle index ops, through mx.nd and the mx.nd.linalg namespace.

Expected values marked "MXNet 1.9.1" were printed by real MXNet for the same inputs.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minimx as mx
from minimx._kernels import get_backend

REF = get_backend("reference").kernels
CPU = get_backend("cpu").kernels

A2 = [[[2., 1.], [1., 3.]], [[4., 1.], [0.5, 2.]]]      # a batch of two 2 x 2 matrices
X = [[4., 1.], [0.5, 2.]]


def nd(x, dtype="float64"):
    return mx.nd.array(np.asarray(x), dtype=dtype)


def grad_of(fn, x, head=None):
    """x's gradient of sum(head * fn(x)) (head defaults to ones)."""
    x = nd(x)
    x.attach_grad()
    with mx.autograd.record():
        y = fn(x)
    y.backward(head)
    return x.grad.asnumpy()


# -- values observed in MXNet 1.9.1 --------------------------------------------------------------
def test_inverse_det_slogdet_match_mxnet():
    a = nd(A2)
    np.testing.assert_allclose(mx.nd.linalg.inverse(a).asnumpy(),
                               [[[0.6, -0.2], [-0.2, 0.4]],
                                [[0.26666667, -0.13333333], [-0.06666667, 0.53333333]]], rtol=1e-6)
    np.testing.assert_allclose(mx.nd.linalg.det(a).asnumpy(), [5., 7.5])
    sign, logabs = mx.nd.linalg.slogdet(a)
    np.testing.assert_allclose(sign.asnumpy(), [1., 1.])
    np.testing.assert_allclose(logabs.asnumpy(), [1.60943791, 2.01490302], rtol=1e-7)


def test_single_matrix_results_have_shape_1_and_keep_float32():
    a = mx.nd.array([[1., 2.], [3., 4.]])
    d = mx.nd.linalg_det(a)
    assert d.shape == (1,) and d.dtype == np.float32          # MXNet 1.9.1
    np.testing.assert_allclose(d.asnumpy(), [-2.], rtol=1e-6)
    assert [x.shape for x in mx.nd.linalg.slogdet(a)] == [(1,), (1,)]
    assert mx.nd.linalg.sumlogdiag(nd([[2., 1.], [1., 3.]])).shape == (1,)
    assert mx.nd.linalg.extractdiag(a).shape == (2,)


def test_sumlogdiag_extractdiag_makediag_match_mxnet():
    a = nd(A2)
    np.testing.assert_allclose(mx.nd.linalg.sumlogdiag(a).asnumpy(), [1.79175947, 2.07944154])
    np.testing.assert_allclose(mx.nd.linalg.extractdiag(a, offset=1).asnumpy(), [[1.], [1.]])
    np.testing.assert_allclose(mx.nd.linalg.makediag(nd([1., 2., 3.]), offset=-1).asnumpy(),
                               [[0, 0, 0, 0], [1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 0]])
    np.testing.assert_allclose(mx.nd.linalg.makediag(nd([1., 2.]), offset=1).asnumpy(),
                               [[0, 1, 0], [0, 0, 2], [0, 0, 0]])


def test_triangles_are_stored_row_by_row_as_in_mxnet():
    a = nd([[1., 2.], [3., 4.]])
    assert mx.nd.linalg.extracttrian(a).asnumpy().tolist() == [1, 3, 4]
    assert mx.nd.linalg.extracttrian(a, lower=False).asnumpy().tolist() == [1, 2, 4]
    assert mx.nd.linalg.extracttrian(a, offset=1).asnumpy().tolist() == [2]
    assert mx.nd.linalg.extracttrian(a, offset=-1).asnumpy().tolist() == [3]
    v = nd([1., 2., 3.])
    assert mx.nd.linalg.maketrian(v).asnumpy().tolist() == [[1, 0], [2, 3]]
    assert mx.nd.linalg.maketrian(v, lower=False).asnumpy().tolist() == [[1, 2], [0, 3]]
    assert mx.nd.linalg.maketrian(v, offset=1).asnumpy().tolist() == [[0, 1, 2], [0, 0, 3],
                                                                       [0, 0, 0]]
    # lower is ignored when offset != 0: a negative offset is always the lower triangle
    assert mx.nd.linalg.maketrian(v, offset=-1, lower=False).asnumpy().tolist() == \
        [[0, 0, 0], [1, 0, 0], [2, 3, 0]]
    batch = mx.nd.linalg.maketrian(nd([[1., 2., 3.], [4., 5., 6.]]), offset=1)
    assert batch.shape == (2, 3, 3) and batch.asnumpy()[1, 0].tolist() == [0, 4, 5]


def test_trmm_potri_match_mxnet():
    a = nd(A2)
    np.testing.assert_allclose(mx.nd.linalg.trmm(a, a, transpose=True, alpha=2.).asnumpy(),
                               [[[10., 10.], [6., 18.]], [[32.5, 10.], [2., 8.]]])
    np.testing.assert_allclose(mx.nd.linalg.trmm(nd([[1., 0], [1., 1.]]), nd(np.ones((2, 3))),
                                                 alpha=2.).asnumpy(),
                               [[2., 2., 2.], [4., 4., 4.]])                # MXNet's doc example
    np.testing.assert_allclose(mx.nd.linalg.potri(nd([[2., 0], [0.5, 2.]])).asnumpy(),
                               [[0.265625, -0.0625], [-0.0625, 0.25]])      # MXNet's doc example


def test_gelqf_matches_mxnet_signs():
    q, low = mx.nd.linalg.gelqf(nd([[1., 2., 3.], [4., 5., 6.]]))
    np.testing.assert_allclose(q.asnumpy(), [[-0.26726124, -0.53452248, -0.80178373],
                                             [0.87287156, 0.21821789, -0.43643578]], rtol=1e-6)
    np.testing.assert_allclose(low.asnumpy(), [[-3.74165739, 0.], [-8.55235974, 1.96396101]],
                               rtol=1e-6)


def test_syevd_matches_mxnet_signs_and_reads_the_lower_triangle():
    u, lam = mx.nd.linalg.syevd(nd([[[1., 2.], [2., 4.]], [[1., 2.], [2., 5.]]]))
    np.testing.assert_allclose(u.asnumpy(), [[[0.89442719, -0.4472136], [0.4472136, 0.89442719]],
                                             [[0.92387953, -0.38268343],
                                              [0.38268343, 0.92387953]]], rtol=1e-6)
    np.testing.assert_allclose(lam.asnumpy(), [[0., 5.], [0.17157288, 5.82842712]], atol=1e-7)
    u, lam = mx.nd.linalg.syevd(nd(A2))          # A2[1] is not symmetric: its lower half is read
    np.testing.assert_allclose(lam.asnumpy(), [[1.38196601, 3.61803399],
                                               [1.88196601, 4.11803399]], rtol=1e-7)
    np.testing.assert_allclose(u.asnumpy()[1], [[-0.22975292, 0.97324899],
                                                [0.97324899, 0.22975292]], rtol=1e-6)


def test_syevd_signs_make_each_rows_largest_entry_positive():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(5, 4, 4))
    u, lam = mx.nd.linalg.syevd(nd(m + m.transpose(0, 2, 1)))
    u = u.asnumpy()
    big = np.take_along_axis(u, np.abs(u).argmax(-1)[..., None], -1)
    assert (big > 0).all()
    sym = m + m.transpose(0, 2, 1)
    np.testing.assert_allclose(u @ sym, lam.asnumpy()[..., None] * u, atol=1e-10)


# -- gradients observed in MXNet 1.9.1 (head gradient: ones) --------------------------------------
@pytest.mark.parametrize("name,expected", [
    ("inverse", [[-0.02666666666666667, -0.09333333333333332],
                 [-0.05333333333333333, -0.18666666666666668]]),
    ("det", [[2.0, -0.5], [-1.0, 4.0]]),
    ("extractdiag", [[1.0, 0.0], [0.0, 1.0]]),
    ("sumlogdiag", [[0.25, 0.0], [0.0, 0.5]]),
    ("extracttrian", [[1.0, 0.0], [1.0, 1.0]]),
    ("potri", [[-0.017578125, 0.0], [-0.109375, -0.19140625]]),   # only the lower triangle
])
def test_gradients_match_mxnet(name, expected):
    np.testing.assert_allclose(grad_of(getattr(mx.nd.linalg, name), X), expected, atol=1e-12)


def test_slogdet_gradient_is_the_inverse_transpose():
    np.testing.assert_allclose(grad_of(lambda x: mx.nd.linalg.slogdet(x)[1], X),
                               [[0.26666666666666666, -0.06666666666666667],
                                [-0.13333333333333333, 0.5333333333333333]])   # MXNet 1.9.1


def test_makediag_maketrian_gradients_match_mxnet():
    g = grad_of(mx.nd.linalg.makediag, [1., 2.], nd(np.arange(4.).reshape(2, 2)))
    assert g.tolist() == [0., 3.]
    g = grad_of(mx.nd.linalg.maketrian, [1., 2., 3.], nd(np.arange(4.).reshape(2, 2)))
    assert g.tolist() == [0., 2., 3.]


def test_syevd_gradient_matches_mxnet_and_symmetric_differences():
    w_u, w_l = np.array([[1., 0.3], [0.2, 0.5]]), np.array([1., 2.])

    def loss(x):
        u, lam = mx.nd.linalg.syevd(x)
        return (lam * nd(w_l)).sum() + (u * nd(w_u)).sum()
    g = grad_of(loss, X)
    np.testing.assert_allclose(g, [[2.007363691000712, 0.1033066067484698],
                                   [0.1033066067484698, 0.9926363089992872]], rtol=1e-9)
    # The rule is the gradient for symmetric perturbations: check it along E_ij + E_ji.
    base = np.array(X)
    base[0, 1] = base[1, 0]
    g = grad_of(loss, base)
    eps = 1e-6
    for i, j in [(0, 0), (1, 1), (1, 0)]:
        d = np.zeros((2, 2))
        d[i, j] = d[j, i] = 1.
        fd = (loss(nd(base + eps * d)).asscalar() - loss(nd(base - eps * d)).asscalar()) / (2 * eps)
        np.testing.assert_allclose((g * d).sum(), fd, rtol=1e-6)


# -- properties -----------------------------------------------------------------------------------
@given(st.integers(1, 5), st.integers(0, 3), st.integers(0, 2**31 - 1))
def test_inverse_det_agree_with_numpy(n, batch, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, (batch, n, n)) + 3 * np.eye(n)
    inv = mx.nd.linalg_inverse(nd(a)).asnumpy()
    np.testing.assert_allclose(inv @ a, np.broadcast_to(np.eye(n), a.shape), atol=1e-10)
    det = mx.nd.linalg_det(nd(a))
    assert det.shape == (batch,)
    np.testing.assert_allclose(det.asnumpy(), np.linalg.det(a), rtol=1e-10)


@given(st.integers(1, 5), st.integers(-4, 4), st.booleans(), st.integers(0, 2**31 - 1))
def test_triangle_and_diagonal_round_trips(n, offset, lower, seed):
    offset = max(-(n - 1), min(n - 1, offset))
    a = np.random.default_rng(seed).uniform(-1, 1, (2, n, n))
    v = mx.nd.linalg_extracttrian(nd(a), offset=offset, lower=lower)
    k = n - abs(offset)
    assert v.shape == (2, k * (k + 1) // 2)
    back = mx.nd.linalg_maketrian(v, offset=offset, lower=lower).asnumpy()
    up = offset > 0 or (offset == 0 and not lower)
    np.testing.assert_array_equal(back, np.triu(a, offset) if up else np.tril(a, offset))
    d = mx.nd.linalg_extractdiag(nd(a), offset=offset)
    np.testing.assert_array_equal(d.asnumpy(), np.diagonal(a, offset, -2, -1))
    np.testing.assert_array_equal(mx.nd.linalg_makediag(d, offset=offset).asnumpy()[0],
                                  np.diag(np.diagonal(a[0], offset), offset))


@given(st.integers(1, 4), st.integers(0, 2), st.integers(0, 2**31 - 1))
def test_gelqf_reconstructs_and_potri_inverts(x, extra, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, (2, x, x + extra))
    a[..., :x] += 3 * np.eye(x)
    q, low = (o.asnumpy() for o in mx.nd.linalg.gelqf(nd(a)))
    np.testing.assert_allclose(low @ q, a, atol=1e-10)
    np.testing.assert_allclose(q @ q.transpose(0, 2, 1), np.broadcast_to(np.eye(x), (2, x, x)),
                               atol=1e-10)
    assert np.allclose(np.triu(low, 1), 0)
    spd = a @ a.transpose(0, 2, 1)
    chol = mx.nd.linalg.potrf(nd(spd))
    np.testing.assert_allclose(mx.nd.linalg.potri(chol).asnumpy(), np.linalg.inv(spd),
                               rtol=1e-8, atol=1e-10)
    upper = mx.nd.linalg.potri(nd(np.linalg.cholesky(spd).transpose(0, 2, 1)), lower=False)
    np.testing.assert_allclose(upper.asnumpy(), np.linalg.inv(spd), rtol=1e-8, atol=1e-10)


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("call,words", [
    (lambda: mx.nd.linalg.inverse(mx.nd.ones((2, 3))), "square"),
    (lambda: mx.nd.linalg.det(mx.nd.ones((3,))), "square"),
    (lambda: mx.nd.linalg.gelqf(mx.nd.ones((3, 2))), "x <= y"),
    (lambda: mx.nd.linalg.maketrian(mx.nd.ones((4,))), "triangular number"),
    (lambda: mx.nd.linalg.extractdiag(mx.nd.ones((3, 3)), offset=3), "out of range"),
    (lambda: mx.nd.linalg.trmm(mx.nd.ones((2, 2)), mx.nd.ones((3, 2))), "incompatible"),
    (lambda: mx.nd.linalg.inverse(mx.nd.ones((2, 2), dtype="int32")), "float32 and float64"),
])
def test_bad_inputs_raise_useful_errors(call, words):
    with pytest.raises(mx.MXNetError, match=words):
        call()


def test_cpu_backend_agrees_with_reference():
    a = np.random.default_rng(1).uniform(-1, 1, (3, 4, 4)) + 3 * np.eye(4)
    for name in ("_linalg_inverse", "_linalg_extracttrian", "_linalg_syevd"):
        outs = mx.nd._internal.__dict__[name](nd(a))
        outs = outs if isinstance(outs, list) else [outs]
        mine = [np.zeros(o.shape, o.dtype) for o in outs]
        attrs = {"offset": 0, "lower": True}
        REF[name]([a], mine, attrs)
        theirs = [np.zeros(o.shape, o.dtype) for o in outs]
        CPU[name]([a], theirs, attrs)
        for x, y, o in zip(mine, theirs, outs):
            np.testing.assert_allclose(x, y)
            np.testing.assert_allclose(x, o.asnumpy())


def test_det_second_derivative_through_create_graph():
    # For a 2 x 2 matrix, d det / dA = [[d, -c], [-b, a]]; its sum a + d - b - c has gradient
    # [[1, -1], [-1, 1]]: the rule (det * inverse^T, written with ops) differentiates again.
    x = nd(X)
    x.attach_grad()
    with mx.autograd.record():
        g = mx.autograd.grad(mx.nd.linalg.det(x), [x], create_graph=True)[0]
        z = g.sum()
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [[1., -1.], [-1., 1.]], atol=1e-12)
