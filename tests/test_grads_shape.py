"""Gradient rules of the shape, indexing and sequence families: what finite differences cannot show.

``tests/test_op_grads.py`` checks every rule against central differences. Here: gradients with
repeated or out-of-range indices, split outputs nobody used, inputs that get no gradient
(conditions, indices, lengths), dtypes of the cast ops, the backward scatters declared for the
rules (``_backward_take``, ``_backward_pick``, ``_backward_gather_nd``), values observed in real
MXNet 1.9.1 (written down as expected values; the tests do not import mxnet), and second
derivatives through reshape/transpose/take/pad with ``autograd.grad(create_graph=True)``.
"""
import numpy as np
import pytest

import minimx as mx
from minimx.ndarray.invoke import invoke
from minimx.ops import NO_GRAD, get_op


def op(name, *inputs, **params):
    """Call an op by its table name (``_slice_assign``, ``_backward_take`` have no mx.nd wrapper)."""
    o = get_op(name)
    return invoke(o, list(inputs), o.parse(params))


def grads(f, *values, head=None, dtype="float32", wrt=None):
    """x.grad of the inputs listed in ``wrt`` (default: all) after ``f(*inputs).backward(head)``."""
    xs = [mx.nd.array(v, dtype=dtype) for v in values]
    wrt = range(len(xs)) if wrt is None else wrt
    for i in wrt:
        xs[i].attach_grad()
    with mx.autograd.record():
        y = f(*xs)
    y.backward(None if head is None else mx.nd.array(head, dtype=y.dtype))
    return [xs[i].grad.asnumpy() for i in wrt]


# -- values observed in MXNet 1.9.1 ------------------------------------------------------------------
def test_take_adds_repeated_and_clipped_indices_like_mxnet():
    a = np.arange(12).reshape(4, 3)
    idx = np.array([-1, 0, 5, 5])
    (clip,) = grads(lambda x: mx.nd.take(x, mx.nd.array(idx)), a, head=np.ones((4, 3)))
    np.testing.assert_array_equal(clip, [[2] * 3, [0] * 3, [0] * 3, [2] * 3])
    (wrap,) = grads(lambda x: mx.nd.take(x, mx.nd.array(idx), mode="wrap"), a, head=np.ones((4, 3)))
    np.testing.assert_array_equal(wrap, [[1] * 3, [2] * 3, [0] * 3, [1] * 3])


def test_take_gives_indices_no_gradient():
    ga, gi = grads(lambda a, i: mx.nd.take(a, i, axis=1), np.ones((2, 3)), [[0.0, 2.0]])
    np.testing.assert_array_equal(ga, [[1, 0, 1], [1, 0, 1]])
    np.testing.assert_array_equal(gi, [[0, 0]])


def test_pick_clip_and_wrap_like_mxnet():
    d = np.arange(12).reshape(4, 3)
    index = mx.nd.array([0, 5, -1, 1.7])   # 1.7 is truncated to 1
    head = [1, 2, 3, 4]
    (clip,) = grads(lambda x: mx.nd.pick(x, index, axis=1), d, head=head)
    np.testing.assert_array_equal(clip, [[1, 0, 0], [0, 0, 2], [3, 0, 0], [0, 4, 0]])
    (wrap,) = grads(lambda x: mx.nd.pick(x, index, axis=1, mode="wrap"), d, head=head)
    np.testing.assert_array_equal(wrap, [[1, 0, 0], [0, 0, 2], [0, 0, 3], [0, 4, 0]])


def test_pick_keepdims_and_axis_0():
    d = np.arange(12.0).reshape(3, 4)
    index = mx.nd.array([[2, 0, 1, 2]])
    (g,) = grads(lambda x: mx.nd.pick(x, index, axis=0, keepdims=True), d, head=[[1, 2, 3, 4]])
    np.testing.assert_array_equal(g, [[0, 2, 0, 0], [0, 0, 3, 0], [1, 0, 0, 4]])


def test_embedding_weight_gradient_adds_rows_like_mxnet():
    data = mx.nd.array([[0, 7, 0], [-1, 2.7, 4]])
    (gw,) = grads(lambda w: mx.nd.Embedding(data, w, input_dim=5, output_dim=2),
                  np.arange(10).reshape(5, 2), head=np.arange(12).reshape(2, 3, 2))
    np.testing.assert_array_equal(gw, [[10, 13], [0, 0], [8, 9], [0, 0], [12, 14]])


def test_embedding_data_gets_no_gradient():
    # NB: MXNet raises "Embedding layer doesn't support calculate data gradient"; minimx gives 0.
    gd, gw = grads(lambda d, w: mx.nd.Embedding(d, w, input_dim=3, output_dim=2), [[1, 1]],
                   np.ones((3, 2)))
    np.testing.assert_array_equal(gd, [[0, 0]])
    np.testing.assert_array_equal(gw, [[0, 0], [2, 2], [0, 0]])


def test_gather_nd_adds_repeated_coordinates_like_mxnet():
    idx = mx.nd.array([[0, 0, 3], [1, 1, 2]])
    (g,) = grads(lambda x: mx.nd.gather_nd(x, idx), np.arange(12).reshape(4, 3))
    np.testing.assert_array_equal(g, [[0, 2, 0], [0, 0, 0], [0, 0, 0], [0, 0, 1]])


def test_batch_take_gradient_clips_like_pick():
    # NB: MXNet declares no gradient for batch_take (deprecated); the rule is pick's.
    idx = mx.nd.array([0, 9, -1, 1], dtype="int32")
    (g,) = grads(lambda a: mx.nd.batch_take(a, idx), np.arange(12).reshape(4, 3), head=[1, 2, 3, 4])
    np.testing.assert_array_equal(g, [[1, 0, 0], [0, 0, 2], [3, 0, 0], [0, 4, 0]])


def test_where_gives_condition_no_gradient_like_mxnet():
    gc, gx, gy = grads(lambda c, x, y: mx.nd.where(c, x, y), [1, 0, 1], [1, 2, 3], [4, 5, 6],
                       head=[1, 2, 3])
    np.testing.assert_array_equal(gx, [1, 0, 3])
    np.testing.assert_array_equal(gy, [0, 2, 0])
    np.testing.assert_array_equal(gc, [0, 0, 0])


def test_where_with_a_row_condition():
    gx, gy = grads(lambda x, y: mx.nd.where(mx.nd.array([0, 1]), x, y), np.ones((2, 2)),
                   np.ones((2, 2)), head=[[1, 2], [3, 4]])
    np.testing.assert_array_equal(gx, [[0, 0], [3, 4]])
    np.testing.assert_array_equal(gy, [[1, 2], [0, 0]])


def test_pad_edge_and_reflect_like_mxnet():
    x = np.arange(1, 7).reshape(1, 1, 2, 3)
    head = np.arange(1, 25).reshape(1, 1, 4, 6)
    width = (0, 0, 0, 0, 1, 1, 2, 1)
    (edge,) = grads(lambda v: mx.nd.pad(v, mode="edge", pad_width=width), x, head=head)
    np.testing.assert_array_equal(edge[0, 0], [[30, 14, 34], [102, 38, 82]])
    (refl,) = grads(lambda v: mx.nd.pad(v, mode="reflect", pad_width=width), x, head=head)
    np.testing.assert_array_equal(refl[0, 0], [[30, 96, 60], [18, 60, 36]])
    (const,) = grads(lambda v: mx.nd.pad(v, mode="constant", pad_width=width, constant_value=9),
                     x, head=head)
    np.testing.assert_array_equal(const[0, 0], [[9, 10, 11], [15, 16, 17]])


def test_sequence_ops_like_mxnet():
    d = np.arange(12).reshape(4, 3)
    gd, gl = grads(lambda x, n: mx.nd.SequenceLast(x, n, use_sequence_length=True), d, [1, 4, 2],
                   head=[10, 20, 30])
    np.testing.assert_array_equal(gd, [[10, 0, 0], [0, 0, 30], [0, 0, 0], [0, 20, 0]])
    np.testing.assert_array_equal(gl, [0, 0, 0])
    (gm,) = grads(lambda x: mx.nd.SequenceMask(x, mx.nd.array([1, 3, 0]), use_sequence_length=True,
                                               value=7), d)
    np.testing.assert_array_equal(gm, [[1, 1, 0], [0, 1, 0], [0, 1, 0], [0, 0, 0]])
    (gr,) = grads(lambda x: mx.nd.SequenceReverse(x, mx.nd.array([1, 3, 2]),
                                                  use_sequence_length=True), d, head=d)
    np.testing.assert_array_equal(gr, [[0, 7, 5], [3, 4, 2], [6, 1, 8], [9, 10, 11]])


def test_sequence_last_without_lengths_and_time_on_axis_1():
    (g0,) = grads(lambda x: mx.nd.SequenceLast(x), np.zeros((3, 2, 2)), head=[[1, 2], [3, 4]])
    np.testing.assert_array_equal(g0[:2], 0)
    np.testing.assert_array_equal(g0[2], [[1, 2], [3, 4]])
    (g1,) = grads(lambda x: mx.nd.SequenceLast(x, mx.nd.array([2, 1]), use_sequence_length=True,
                                               axis=1), np.zeros((2, 3)), head=[5, 6])
    np.testing.assert_array_equal(g1, [[0, 5, 0], [6, 0, 0]])


def test_tile_repeat_diag_like_mxnet():
    (gt,) = grads(lambda a: mx.nd.tile(a, reps=(2, 1, 2)), [[1, 2, 3]])
    np.testing.assert_array_equal(gt, [[4, 4, 4]])
    (gr,) = grads(lambda a: mx.nd.repeat(a, repeats=2), [[1, 2], [3, 4]], head=np.arange(8))
    np.testing.assert_array_equal(gr, [[1, 5], [9, 13]])
    (gd,) = grads(lambda a: mx.nd.diag(a, k=1), np.ones((3, 4)), head=[5, 6, 7])
    np.testing.assert_array_equal(gd, [[0, 5, 0, 0], [0, 0, 6, 0], [0, 0, 0, 7]])
    (g3,) = grads(lambda a: mx.nd.diag(a, k=-1, axis1=2, axis2=0), np.ones((3, 2, 3)),
                  head=[[5, 6], [7, 8]])
    np.testing.assert_array_equal(g3, [[[0, 5, 0], [0, 7, 0]], [[0, 0, 6], [0, 0, 8]],
                                       [[0, 0, 0], [0, 0, 0]]])
    (gv,) = grads(lambda a: mx.nd.diag(a, k=-2), [1, 2], head=np.arange(16).reshape(4, 4))
    np.testing.assert_array_equal(gv, [8, 13])


def test_tile_and_repeat_with_zero_copies_give_zero_gradient():
    x = mx.nd.ones((2, 3))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.concat(mx.nd.tile(x, reps=(0, 1)).reshape((-1,)),
                         mx.nd.repeat(x, repeats=0), mx.nd.reshape(x, shape=(-1,)), dim=0)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), np.ones((2, 3)))


# -- several outputs, unused outputs ---------------------------------------------------------------
def test_split_with_unused_outputs_gets_zeros_there():
    a = mx.nd.arange(12).reshape((2, 6))
    a.attach_grad()
    with mx.autograd.record():
        parts = mx.nd.split(a, num_outputs=3, axis=1)
    parts[1].backward(mx.nd.ones((2, 2)) * 5)
    np.testing.assert_array_equal(a.grad.asnumpy(), [[0, 0, 5, 5, 0, 0]] * 2)


def test_split_squeeze_and_split_v2_with_unused_outputs():
    a = mx.nd.ones((3, 2))
    a.attach_grad()
    with mx.autograd.record():
        parts = mx.nd.split(a, num_outputs=3, axis=0, squeeze_axis=True)
        y = parts[2] * 2
    y.backward()
    np.testing.assert_array_equal(a.grad.asnumpy(), [[0, 0], [0, 0], [2, 2]])
    b = mx.nd.ones((2, 5))
    b.attach_grad()
    with mx.autograd.record():
        parts = op("_split_v2", b, indices=(0, 1, 3), axis=1)
    mx.autograd.backward([parts[0], parts[2]], [mx.nd.ones((2, 1)) * 3, mx.nd.ones((2, 2)) * 4])
    np.testing.assert_array_equal(b.grad.asnumpy(), [[3, 0, 0, 4, 4]] * 2)


def test_concat_and_stack_route_slices_back():
    x, y = mx.nd.ones((2, 1)), mx.nd.ones((2, 3))
    for v in (x, y):
        v.attach_grad()
    with mx.autograd.record():
        z = mx.nd.concat(x, y, dim=1)
    z.backward(mx.nd.array([[1, 2, 3, 4], [5, 6, 7, 8]]))
    np.testing.assert_array_equal(x.grad.asnumpy(), [[1], [5]])
    np.testing.assert_array_equal(y.grad.asnumpy(), [[2, 3, 4], [6, 7, 8]])
    gx, gy = grads(lambda p, q: mx.nd.stack(p, q, axis=1), [1, 2], [3, 4], head=[[1, 2], [3, 4]])
    np.testing.assert_array_equal(gx, [1, 3])
    np.testing.assert_array_equal(gy, [2, 4])


# -- slice assignment ----------------------------------------------------------------------------
def test_slice_assign_splits_the_gradient_between_lhs_and_rhs():
    head = np.arange(20.0).reshape(4, 5)
    gl, gr = grads(lambda l, r: op("_slice_assign", l, r, begin=(1, None), end=(3, None),
                                   step=(1, -2)), np.zeros((4, 5)), np.zeros((2, 3)), head=head)
    inside = np.zeros((4, 5), bool)
    inside[1:3, ::-2] = True
    np.testing.assert_array_equal(gl, np.where(inside, 0, head))
    np.testing.assert_array_equal(gr, head[1:3, ::-2])
    (gs,) = grads(lambda x: op("_slice_assign_scalar", x, scalar=3.0, begin=(None, 1), end=(None, 3)),
                  np.zeros((2, 4)))
    np.testing.assert_array_equal(gs, [[1, 0, 0, 1], [1, 0, 0, 1]])


def test_scatter_ops_route_gradients_by_coordinates():
    idx = mx.nd.array([[2, 0]], dtype="int64")
    (gd,) = grads(lambda d: mx.nd.scatter_nd(d, idx, shape=(3, 2)), np.ones((2, 2)),
                  head=[[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(gd, [[5, 6], [1, 2]])
    gl, gr = grads(lambda l, r: op("_scatter_set_nd", l, r, idx, shape=(3, 2)), np.ones((3, 2)),
                   np.ones((2, 2)), head=[[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(gl, [[0, 0], [3, 4], [0, 0]])
    np.testing.assert_array_equal(gr, [[5, 6], [1, 2]])


def test_fill_element_0index_gradient():
    # NB: MXNet declares no gradient for it (an error); the rule is the plain derivative.
    gl, gm, gc = grads(lambda l, m, c: mx.nd.fill_element_0index(l, m, c), np.zeros((2, 3)),
                       [1.5, -1], [1, 7], head=[[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(gl, [[1, 0, 3], [4, 5, 6]])
    np.testing.assert_array_equal(gm, [2, 0])   # row 1's column 7 is out of range: nothing written
    np.testing.assert_array_equal(gc, [0, 0])


# -- casts -----------------------------------------------------------------------------------------
def test_amp_casts_send_the_gradient_back_in_the_input_dtype():
    a, b = mx.nd.ones(3, dtype="float16"), mx.nd.ones(3, dtype="float32")
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        out = mx.nd.amp_multicast(a, b, num_outputs=2)
    assert out[0].dtype == np.float32
    mx.autograd.backward([out[0]], [mx.nd.ones(3) * 2])   # out[1] unused
    assert a.grad.dtype == np.float16
    np.testing.assert_array_equal(a.grad.asnumpy(), [2, 2, 2])
    np.testing.assert_array_equal(b.grad.asnumpy(), [0, 0, 0])
    (g,) = grads(lambda x: mx.nd.amp_cast(x, dtype="float16") * 3, [1, 2])
    np.testing.assert_array_equal(g, [3, 3])


def test_no_grad_ops_of_the_families():
    for name in ("shape_array", "size_array", "one_hot", "_ravel_multi_index", "_unravel_index",
                 "_histogram"):
        assert get_op(name).grad == NO_GRAD, name
    x = mx.nd.ones((2, 3))
    x.attach_grad()
    with mx.autograd.record():
        y = x * mx.nd.shape_array(x).astype("float32").sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), np.full((2, 3), 5.0))   # as MXNet: no path


# -- the backward scatters themselves --------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_backward_take_matches_numpy_add_at(dtype):
    rng = np.random.default_rng(0)
    g = rng.integers(-5, 5, size=(3, 2, 4, 2)).astype(dtype)
    idx = rng.integers(-2, 7, size=(2, 4))
    out = op("_backward_take", mx.nd.array(g, dtype=dtype), mx.nd.array(idx), axis=1, dim=5)
    want = np.zeros((3, 5, 2), dtype)
    np.add.at(want, (slice(None), np.clip(idx, 0, 4)), g)
    np.testing.assert_array_equal(out.asnumpy(), want)
    wrapped = op("_backward_take", mx.nd.array(g, dtype=dtype), mx.nd.array(idx), axis=-2, dim=5,
                 mode="wrap")
    want = np.zeros((3, 5, 2), dtype)
    np.add.at(want, (slice(None), np.mod(idx, 5)), g)
    np.testing.assert_array_equal(wrapped.asnumpy(), want)


def test_backward_ops_reject_mismatched_shapes():
    with pytest.raises(mx.MXNetError, match="indices' shape"):
        op("_backward_take", mx.nd.ones((2, 3)), mx.nd.ones((4,)), axis=0, dim=3)
    with pytest.raises(mx.MXNetError, match="elements"):
        op("_backward_pick", mx.nd.ones((5,)), mx.nd.ones((4,)), axis=1, shape=(4, 3))
    with pytest.raises(mx.MXNetError, match="need"):
        op("_backward_gather_nd", mx.nd.ones((3,)), mx.nd.ones((1, 2)), shape=(4,))


def test_backward_gather_nd_adds_repeats():
    out = op("_backward_gather_nd", mx.nd.array([1, 2, 3]), mx.nd.array([[0, 0, -1]]), shape=(4,))
    np.testing.assert_array_equal(out.asnumpy(), [3, 0, 0, 3])


# -- second derivatives ----------------------------------------------------------------------------
def _second(f, x0, v):
    """d/dx of sum(v * grad f(x)) through autograd.grad(create_graph=True)."""
    x = mx.nd.array(x0, dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        y = f(x)
        (gx,) = mx.autograd.grad(y, [x], create_graph=True)
        z = (gx * mx.nd.array(v, dtype="float64")).sum()
    z.backward()
    return gx.asnumpy(), x.grad.asnumpy()


def test_second_derivative_through_reshape_transpose_take():
    rng = np.random.default_rng(1)
    x0 = rng.uniform(-2, 2, (2, 6))
    v = rng.uniform(-1, 1, (2, 6))
    idx = np.array([[0, 3, 3], [5, 1, 0]])

    def f(x):
        t = mx.nd.transpose(mx.nd.reshape(x, shape=(3, 4)))          # (4, 3)
        picked = mx.nd.take(mx.nd.reshape(t, shape=(-1,)), mx.nd.array(idx))
        return (picked ** 3).sum()

    # f = sum_j u[idx_j]^3 with u = flat(transpose(reshape(x))): a permutation of x's entries.
    perm = np.arange(12).reshape(3, 4).T.reshape(-1)       # u[k] = x.flat[perm[k]]
    count = np.zeros(12)
    np.add.at(count, perm[idx.reshape(-1)], 1)
    flat = x0.reshape(-1)
    g, h = _second(f, x0, v)
    np.testing.assert_allclose(g.reshape(-1), 3 * flat ** 2 * count, rtol=1e-12)
    np.testing.assert_allclose(h.reshape(-1), 6 * flat * count * v.reshape(-1), rtol=1e-12)


def test_second_derivative_through_pad_slice_and_embedding():
    rng = np.random.default_rng(2)
    x0 = rng.uniform(-2, 2, (1, 1, 3, 4))
    v = rng.uniform(-1, 1, x0.shape)

    def f(x):
        p = mx.nd.pad(x, mode="reflect", pad_width=(0, 0, 0, 0, 1, 2, 2, 1))
        s = mx.nd.slice(p, begin=(None, None, 1, 0), end=(None, None, 5, 6))
        e = mx.nd.Embedding(mx.nd.array([[2, 0], [2, 1]]), mx.nd.reshape(x, shape=(3, 4)),
                            input_dim=3, output_dim=4)
        return (mx.nd.sin(s)).sum() + (e ** 2).sum()

    def grad_np(x):
        g = np.zeros_like(x)
        # d/dx sum(sin(slice(pad(x)))): cos of the padded values, added back by position
        rows = np.abs(np.arange(-1, 5))
        rows = np.where(rows > 2, 4 - rows, rows)[1:5]
        cols = np.abs(np.arange(-2, 5))
        cols = np.where(cols > 3, 6 - cols, cols)[0:6]
        for r in rows:
            for c in cols:
                g[0, 0, r, c] += np.cos(x[0, 0, r, c])
        g[0, 0] += 2 * x[0, 0] * np.array([1, 1, 2])[:, None]   # rows 0, 1, 2 used 1, 1, 2 times
        return g

    g, h = _second(f, x0, v)
    np.testing.assert_allclose(g, grad_np(x0), rtol=1e-10)
    eps = 1e-6
    numeric = np.zeros_like(x0)
    for k in range(x0.size):
        d = np.zeros(x0.size)
        d[k] = eps
        d = d.reshape(x0.shape)
        numeric.reshape(-1)[k] = ((grad_np(x0 + d) - grad_np(x0 - d)) * v).sum() / (2 * eps)
    np.testing.assert_allclose(h, numeric, rtol=1e-6, atol=1e-8)
