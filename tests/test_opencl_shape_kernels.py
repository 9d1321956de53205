"""Native OpenCL kernels of the shape, gather, sort, reduce_extra, rand and optim_extra families:
what the op-table suite (``test_opencl_op_table.py``) does not cover.

Random draws (same seed, same stream; moments of 1e5 draws), scatter-adds with repeated indices,
Embedding's gradient through autograd, sort/topk with ties and NaN, long rows (the work-group
paths), in-place slice assignment, and that these ops really run natively (no host fallback).
Runs on PoCL's CPU device in CI; skipped with the reason when pyopencl or a device is missing.
"""
import os
import tempfile

import numpy as np
import pytest

os.environ.setdefault("POCL_CACHE_DIR", tempfile.mkdtemp(prefix="minimx-pocl-"))
os.environ.setdefault("MINIMX_OPENCL_DEVICE", "cpu")

import minimx as mx  # noqa: E402
from minimx import autograd  # noqa: E402
from minimx._kernels import opencl  # noqa: E402
from minimx._kernels.opencl.fallback import FALLBACK_CALLS  # noqa: E402

_REASON = opencl.missing_reason()
pytestmark = pytest.mark.skipif(_REASON is not None,
                                reason=f"OpenCL backend unavailable: {_REASON}")
GPU, CPU = mx.gpu(0), mx.cpu()

NATIVE = """Concat SliceChannel _split_v2 stack slice slice_axis slice_like _slice_assign
_slice_assign_scalar Pad tile repeat reverse SwapAxis depth_to_space space_to_depth Crop
SequenceMask SequenceLast SequenceReverse _arange _eye _linspace _contrib_arange_like diag where
shape_array size_array take _backward_take Embedding batch_take gather_nd _backward_gather_nd
scatter_nd _scatter_set_nd one_hot _contrib_index_copy _ravel_multi_index _unravel_index
argmax_channel norm prod nansum nanprod moments cumsum all_finite multi_all_finite multi_sum_sq
multi_lars _histogram sort argsort topk _random_uniform _random_normal _random_randint _sample_uniform
_sample_normal _shuffle _random_exponential _sample_exponential
_sample_multinomial cast_storage nag_mom_update rmsprop_update rmspropalex_update signsgd_update
signum_update ftml_update ftrl_update mp_sgd_update mp_sgd_mom_update mp_nag_mom_update
lamb_update_phase1 lamb_update_phase2 mp_lamb_update_phase1 mp_lamb_update_phase2
preloaded_multi_sgd_update""".split()


def _no_fallback(*names):
    """A context manager-ish check: the kernels ``names`` did not go through the host fallback."""
    before = {n: FALLBACK_CALLS[n] for n in names}
    return lambda: [n for n in names if FALLBACK_CALLS[n] != before[n]]


def test_these_kernels_are_native():
    missing = sorted(set(NATIVE) - opencl.native_kernels())
    assert not missing, f"no OpenCL kernel for {missing}"


# -- random ---------------------------------------------------------------------------------------
def _draw(fn, **kw):
    return fn(ctx=GPU, **kw).asnumpy()


def test_random_same_seed_same_stream_and_calls_differ():
    changed = _no_fallback("_random_uniform", "_random_normal", "_random_randint")
    mx.random.seed(42)
    a1 = _draw(mx.nd.random.uniform, shape=(1000,))
    a2 = _draw(mx.nd.random.uniform, shape=(1000,))
    b1 = _draw(mx.nd.random.normal, shape=(7,))
    mx.random.seed(42)
    np.testing.assert_array_equal(_draw(mx.nd.random.uniform, shape=(1000,)), a1)
    np.testing.assert_array_equal(_draw(mx.nd.random.uniform, shape=(1000,)), a2)
    np.testing.assert_array_equal(_draw(mx.nd.random.normal, shape=(7,)), b1)
    assert not np.array_equal(a1, a2)            # consecutive calls draw fresh numbers
    mx.random.seed(43)
    assert not np.array_equal(_draw(mx.nd.random.uniform, shape=(1000,)), a1)
    assert not changed()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_moments(dtype):
    mx.random.seed(7)
    n = 100_000
    u = _draw(mx.nd.random.uniform, low=-2, high=3, shape=(n,), dtype=dtype)
    assert u.dtype == np.dtype(dtype) and u.min() >= -2 and u.max() < 3
    assert abs(u.mean() - 0.5) < 0.03 and abs(u.var() - 25 / 12) < 0.05
    z = _draw(mx.nd.random.normal, loc=1.5, scale=2.0, shape=(n + 1,), dtype=dtype)  # odd size
    assert abs(z.mean() - 1.5) < 0.03 and abs(z.std() - 2.0) < 0.03
    assert abs(((z - 1.5) / 2) ** 3).mean() < 2 and abs((((z - 1.5) / 2) ** 4).mean() - 3) < 0.1
    k = _draw(mx.nd.random.randint, low=-3, high=5, shape=(n,), dtype="int32")
    assert k.dtype == np.int32 and set(np.unique(k)) == set(range(-3, 5))
    assert abs(k.mean() - 0.5) < 0.05


def test_exponential_and_multinomial_distributions():
    changed = _no_fallback("_random_exponential", "_sample_multinomial")
    mx.random.seed(11)
    e = _draw(mx.nd.random.exponential, scale=0.5, shape=(100_000,))
    assert e.min() >= 0 and abs(e.mean() - 0.5) < 0.01 and abs(e.std() - 0.5) < 0.01
    p = mx.nd.array([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]], ctx=GPU)
    idx, logp = mx.nd.random.multinomial(p, shape=(50_000,), get_prob=True)
    idx, logp = idx.asnumpy(), logp.asnumpy()
    freq = np.stack([np.bincount(row, minlength=3) / row.size for row in idx])
    np.testing.assert_allclose(freq, [[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]], atol=0.01)
    np.testing.assert_allclose(logp, np.log(p.asnumpy()[np.arange(2)[:, None], idx]), rtol=1e-6)
    assert not changed()


def test_sample_normal_per_distribution():
    mx.random.seed(3)
    mu = mx.nd.array([0.0, 10.0, -5.0], ctx=GPU)
    sigma = mx.nd.array([1.0, 0.5, 2.0], ctx=GPU)
    s = mx.nd.random.normal(mu, sigma, shape=(20000,)).asnumpy()
    assert s.shape == (3, 20000)
    np.testing.assert_allclose(s.mean(axis=1), [0, 10, -5], atol=0.05)
    np.testing.assert_allclose(s.std(axis=1), [1, 0.5, 2], rtol=0.03)


def test_shuffle_moves_whole_rows_repeatably():
    x = np.arange(40, dtype=np.float32).reshape(10, 4)
    changed = _no_fallback("_shuffle")
    mx.random.seed(5)
    a = mx.nd.random.shuffle(mx.nd.array(x, ctx=GPU)).asnumpy()
    mx.random.seed(5)
    b = mx.nd.random.shuffle(mx.nd.array(x, ctx=GPU)).asnumpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.sort(a[:, 0]), x[:, 0])          # a permutation of rows
    np.testing.assert_array_equal(a - a[:, :1], x[:, :4] - x[:, :1])  # each row kept whole
    assert not np.array_equal(a, x) and not changed()


# -- scatters with repeated indices; Embedding's gradient -----------------------------------------
def test_backward_take_repeated_indices_add_up():
    g = np.arange(24, dtype=np.float32).reshape(6, 4)
    idx = np.array([1, 3, 1, 1, 0, 3], np.int32)
    want = np.zeros((5, 4), np.float32)
    np.add.at(want, idx, g)
    changed = _no_fallback("_backward_take")
    got = mx.nd._internal._backward_take(mx.nd.array(g, ctx=GPU),
                                         mx.nd.array(idx, ctx=GPU, dtype="int32"), axis=0, dim=5)
    np.testing.assert_allclose(got.asnumpy(), want)
    assert not changed()


def test_backward_gather_nd_repeated_indices_add_up():
    data = np.array([1.0, 2.0, 4.0, 8.0], np.float64)
    idx = np.array([[0, 1, 0, 1], [2, 0, 2, 2]], np.int64)
    want = np.zeros((2, 3))
    np.add.at(want, tuple(idx), data)
    got = mx.nd._internal._backward_gather_nd(mx.nd.array(data, ctx=GPU, dtype="float64"),
                                    mx.nd.array(idx, ctx=GPU, dtype="int64"), shape=(2, 3))
    np.testing.assert_array_equal(got.asnumpy(), want)


def test_embedding_gradient_matches_cpu():
    rng = np.random.default_rng(0)
    tokens = np.array([[0, 3, 3], [7, 0, 3]], np.float32)    # repeats: gradients add up
    weight = rng.standard_normal((8, 5)).astype(np.float32)
    head = rng.standard_normal((2, 3, 5)).astype(np.float32)
    grads = []
    for ctx in (CPU, GPU):
        w = mx.nd.array(weight, ctx=ctx)
        w.attach_grad()
        with autograd.record():
            y = mx.nd.Embedding(mx.nd.array(tokens, ctx=ctx), w, input_dim=8, output_dim=5)
            loss = (y * mx.nd.array(head, ctx=ctx)).sum()
        loss.backward()
        grads.append(w.grad.asnumpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-5, atol=1e-6)
    assert np.abs(grads[0][3]).sum() > 0 and not grads[0][1].any()


# -- sort, topk: ties, NaN, long rows -------------------------------------------------------------
def _pair(fn, x, **kw):
    return [fn(mx.nd.array(x, ctx=c), **kw) for c in (CPU, GPU)]


@pytest.mark.parametrize("is_ascend", [True, False])
def test_sort_ties_are_stable(is_ascend):
    x = np.array([[2, 1, 2, 3, 1, 2], [5, 5, 5, 5, 5, 5]], np.float32)
    changed = _no_fallback("argsort", "topk")
    c, g = _pair(mx.nd.argsort, x, is_ascend=is_ascend)
    np.testing.assert_array_equal(g.asnumpy(), c.asnumpy())
    np.testing.assert_array_equal(g.asnumpy()[1], np.arange(6))       # ties keep input order
    c, g = _pair(mx.nd.topk, x, k=3, ret_typ="both", is_ascend=is_ascend)
    for a, b in zip(c, g):
        np.testing.assert_array_equal(b.asnumpy(), a.asnumpy())
    assert not changed()


def test_topk_and_sort_with_nan_match_cpu():
    x = np.array([[1.0, np.nan, 3.0, 3.0], [4.0, 0.0, -1.0, 2.0]], np.float32)
    for kw in ({"k": 1}, {"k": 2, "ret_typ": "value"}, {"k": 2, "ret_typ": "mask"}):
        c, g = _pair(mx.nd.topk, x, **kw)
        np.testing.assert_array_equal(g.asnumpy(), c.asnumpy())
    c, g = _pair(mx.nd.sort, x, is_ascend=False)
    np.testing.assert_array_equal(g.asnumpy(), c.asnumpy())


def test_long_rows():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 50, (3, 1000)).astype(np.float32)    # many ties
    c, g = _pair(mx.nd.argsort, x, axis=1)
    np.testing.assert_array_equal(g.asnumpy(), c.asnumpy())
    y = rng.uniform(0.9, 1.1, (4, 700)).astype(np.float64)
    y[0, 5] = np.nan
    for fn, kw in ((mx.nd.prod, {"axis": 1}), (mx.nd.nansum, {"axis": 1}),
                   (mx.nd.nanprod, {"axis": 0}), (mx.nd.norm, {"axis": 1})):
        c, g = _pair(fn, y, **kw)
        np.testing.assert_allclose(g.asnumpy(), c.asnumpy(), rtol=1e-12)
    mc, mg = (mx.nd.moments(mx.nd.array(y[1:], ctx=ctx, dtype="float64"), axes=(1,))
              for ctx in (CPU, GPU))
    for a, b in zip(mc, mg):
        np.testing.assert_allclose(b.asnumpy(), a.asnumpy(), rtol=1e-10)


def test_histogram_edges_and_outliers_match_cpu():
    x = np.array([-2.0, -1.2, 0.0, 0.4, 0.4, 1.2, 2.0, 2.5, np.nan, -3.0], np.float32)
    changed = _no_fallback("_histogram")
    for kw in ({"bins": 5, "range": (-2.0, 2.0)}, {"bins": 3, "range": (0.4, 0.4)}):
        c, g = _pair(mx.nd.histogram, x, **kw)
        for a, b in zip(c, g):
            np.testing.assert_array_equal(b.asnumpy(), a.asnumpy())
    edges = np.array([-2.0, 0.0, 0.4, 2.0], np.float32)
    c, g = (mx.nd.histogram(mx.nd.array(x, ctx=ctx), mx.nd.array(edges, ctx=ctx))
            for ctx in (CPU, GPU))
    np.testing.assert_array_equal(g[0].asnumpy(), c[0].asnumpy())
    np.testing.assert_array_equal(g[0].asnumpy(), [2, 1, 4])
    assert not changed()


# -- shape ops through NDArray ---------------------------------------------------------------------
def test_slice_assign_in_place_reading_itself():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    for ctx in (CPU, GPU):
        a = mx.nd.array(x, ctx=ctx)
        a[::2] = a[1]
        a[:, 1:] = 7.5
        if ctx == CPU:
            want = a.asnumpy()
    assert want[0, 0] == 3 and want[2, 0] == 3 and want[0, 1] == 7.5
    np.testing.assert_array_equal(a.asnumpy(), want)


def test_shape_ops_native_on_ndarray():
    x = np.arange(2 * 3 * 4 * 4, dtype=np.float16).reshape(2, 3, 4, 4)     # float16 moves too
    ops = [lambda a: mx.nd.concat(a, a, dim=2), lambda a: mx.nd.tile(a, reps=(1, 2, 1, 1)),
           lambda a: mx.nd.reverse(a, axis=(1, 3)),
           lambda a: mx.nd.slice(a, (0, 2), (2, 0), (1, -1)),
           lambda a: mx.nd.depth_to_space(mx.nd.tile(a, reps=(1, 4, 1, 1)), 2),
           lambda a: mx.nd.Pad(a.astype("float32"), mode="reflect",
                               pad_width=(0, 0, 0, 0, 2, 3, 1, 1)),
           lambda a: mx.nd.split(a, num_outputs=3, axis=1)[2], lambda a: mx.nd.diag(a, k=1)]
    changed = _no_fallback("Concat", "tile", "reverse", "slice", "depth_to_space", "Pad",
                           "SliceChannel", "diag")
    for op in ops:
        c, g = (op(mx.nd.array(x, ctx=ctx, dtype="float16")) for ctx in (CPU, GPU))
        np.testing.assert_array_equal(g.asnumpy(), c.asnumpy())
    assert not changed()
