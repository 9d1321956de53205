"""The OpenCL misc, linalg and vision kernels (misc.py, linalg.py, vision.py) where the op-table
suite does not reach: gradients through autograd on ``mx.gpu()`` against ``mx.cpu()``, with no
host fallback on the way, and inputs beyond the op Domains (many-input ElementWiseSum and
khatri_rao, batched factorizations).

Runs on PoCL's CPU device (``MINIMX_OPENCL_DEVICE=cpu``); skipped when no OpenCL device exists.
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

_REASON = opencl.missing_reason()
pytestmark = pytest.mark.skipif(_REASON is not None,
                                reason=f"OpenCL backend unavailable: {_REASON}")

# The kernels of these families: on mx.gpu() they must not reach the host fallback.
_OURS = {
    "BilinearSampler", "_backward_BilinearSampler", "GridGenerator", "SpatialTransformer",
    "ROIPooling", "_backward_ROIPooling", "_linalg_gemm", "_linalg_gemm2", "_linalg_syrk",
    "_linalg_trmm", "_linalg_trsm", "_linalg_potrf", "_linalg_potri", "_linalg_inverse",
    "_linalg_det", "_linalg_slogdet", "_linalg_sumlogdiag", "ElementWiseSum", "khatri_rao",
    "Correlation", "_backward_Correlation"}


def _fallbacks_during(fn):
    mx.nd.waitall()
    before = opencl.fallback_report()
    fn()
    mx.nd.waitall()
    after = opencl.fallback_report()
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def _run_both(f, arrays, grad_of=None):
    """``f(*arrays)`` and the gradients of ``arrays[i]`` for i in ``grad_of`` (default: all), on
    mx.cpu() and mx.gpu(), as numpy; asserts no kernel of ``_OURS`` fell back on the gpu."""
    grad_of = range(len(arrays)) if grad_of is None else grad_of
    results = []
    for ctx in (mx.cpu(), mx.gpu()):
        def run():
            xs = [mx.nd.array(a, ctx=ctx, dtype=a.dtype) for a in arrays]
            for i in grad_of:
                xs[i].attach_grad()
            with autograd.record():
                y = f(*xs)
            y.backward()
            results.append([y.asnumpy()] + [xs[i].grad.asnumpy() for i in grad_of])
        fell_back = _fallbacks_during(run)
        assert not set(fell_back) & _OURS, fell_back
    return results


def _assert_same(results, rtol=1e-5, atol=1e-5):
    cpu, gpu = results
    for c, g in zip(cpu, gpu):
        assert c.shape == g.shape
        np.testing.assert_allclose(g, c, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bilinear_sampler_gradients(dtype):
    rng = np.random.default_rng(0)
    data = rng.uniform(-3, 3, (2, 3, 5, 6)).astype(dtype)
    grid = rng.uniform(-1.1, 1.1, (2, 2, 4, 3)).astype(dtype)
    res = _run_both(lambda d, g: mx.nd.BilinearSampler(d, g) * 2, [data, grid])
    _assert_same(res)
    assert np.abs(res[1][2]).sum() > 0      # the grid gradient is not trivially zero


def test_spatial_transformer_and_grid_generator_gradients():
    rng = np.random.default_rng(1)
    data = rng.uniform(-3, 3, (2, 3, 5, 6)).astype(np.float32)
    loc = (np.array([1, 0, 0, 0, 1, 0]) + rng.uniform(-0.2, 0.2, (2, 6))).astype(np.float32)
    _assert_same(_run_both(lambda d, t: mx.nd.SpatialTransformer(
        d, t, target_shape=(4, 3), transform_type="affine", sampler_type="bilinear"), [data, loc]))
    flow = rng.uniform(-2, 2, (2, 2, 4, 5)).astype(np.float32)
    _assert_same(_run_both(lambda f: mx.nd.GridGenerator(f, transform_type="warp") ** 2, [flow]))


def test_roi_pooling_gradient():
    rng = np.random.default_rng(2)
    data = rng.uniform(-3, 3, (2, 3, 8, 9)).astype(np.float32)
    rois = np.array([[0, 0, 0, 7, 6], [1, 2, 1, 6, 5], [0, 1, 2, 3, 7], [1, 3, 3, 3, 3],
                     [5, 0, 0, 2, 2]], np.float32)          # a one-pixel roi, a bad batch index
    res = _run_both(lambda d, r: mx.nd.ROIPooling(d, r, pooled_size=(3, 2), spatial_scale=1.0) * 3,
                    [data, rois], grad_of=[0])
    _assert_same(res)
    assert res[1][1].sum() == pytest.approx(3 * (4 * 3 * 3 * 2), rel=1e-5)   # 4 valid rois


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_linalg_gemm2_gradients(ta, tb):
    rng = np.random.default_rng(3)
    a = rng.uniform(-1, 1, (2, 4, 3) if not ta else (2, 3, 4)).astype(np.float64)
    b = rng.uniform(-1, 1, (2, 3, 5) if not tb else (2, 5, 3)).astype(np.float64)
    res = _run_both(lambda x, y: mx.nd.linalg.gemm2(x, y, transpose_a=ta, transpose_b=tb,
                                                    alpha=0.5), [a, b])
    _assert_same(res, 1e-10, 1e-10)
    np.testing.assert_allclose(res[1][0], 0.5 * np.matmul(a.swapaxes(-1, -2) if ta else a,
                                                           b.swapaxes(-1, -2) if tb else b))


@pytest.mark.parametrize("ta,tb", [(False, False), (True, True)])
def test_linalg_gemm_rows_on_another_axis(ta, tb):
    """axis=1 of 4-d operands: batch axes both before and after the rows."""
    rng = np.random.default_rng(7)
    a = rng.uniform(-1, 1, (2, 4 if not ta else 3, 3, 3 if not ta else 4))
    b = rng.uniform(-1, 1, (2, 3 if not tb else 5, 3, 5 if not tb else 3))
    c = rng.uniform(-1, 1, (2, 4, 3, 5))
    res = _run_both(lambda x, y, z: mx.nd.linalg.gemm(x, y, z, transpose_a=ta, transpose_b=tb,
                                                      alpha=1.5, beta=-1.0, axis=1), [a, b, c])
    _assert_same(res, 1e-10, 1e-10)
    am, bm = np.moveaxis(a, 1, -2), np.moveaxis(b, 1, -2)
    ref = 1.5 * np.matmul(am.swapaxes(-1, -2) if ta else am, bm.swapaxes(-1, -2) if tb else bm)
    np.testing.assert_allclose(res[1][0], np.moveaxis(ref, -2, 1) - c, rtol=1e-10)


def test_correlation_gradients():
    rng = np.random.default_rng(8)
    d1, d2 = (rng.uniform(-3, 3, (2, 3, 6, 7)).astype(np.float32) for _ in range(2))
    for kw in ({"max_displacement": 2, "pad_size": 2},
               {"kernel_size": 3, "max_displacement": 2, "pad_size": 2, "stride1": 2,
                "stride2": 2, "is_multiply": False}):
        _assert_same(_run_both(lambda x, y: mx.nd.Correlation(x, y, **kw) ** 2, [d1, d2]),
                     1e-4, 1e-5)


def test_linalg_gemm_and_factorization_gradients():
    rng = np.random.default_rng(4)
    a, b, c = (rng.uniform(-1, 1, s) for s in ((3, 4), (4, 2), (3, 2)))
    _assert_same(_run_both(lambda x, y, z: mx.nd.linalg.gemm(x, y, z, alpha=2.0, beta=0.5),
                           [a, b, c]), 1e-10, 1e-10)
    m = rng.uniform(-1, 1, (2, 4, 4))
    spd = m @ m.swapaxes(-1, -2) + 4 * np.eye(4)
    _assert_same(_run_both(lambda x: mx.nd.linalg.potrf(x), [spd]), 1e-8, 1e-8)
    _assert_same(_run_both(lambda x: mx.nd.linalg.inverse(x), [m + 3 * np.eye(4)]), 1e-8, 1e-8)
    _assert_same(_run_both(lambda x: mx.nd.linalg.det(x), [m]), 1e-8, 1e-8)
    _assert_same(_run_both(lambda x: mx.nd.linalg.sumlogdiag(x), [spd]), 1e-8, 1e-8)


def test_linalg_factorizations_match_numpy():
    rng = np.random.default_rng(5)
    m = rng.uniform(-1, 1, (3, 5, 5))
    spd = m @ m.swapaxes(-1, -2) + 5 * np.eye(5)
    with mx.gpu():
        low = mx.nd.linalg.potrf(mx.nd.array(spd, dtype="float64"))
        np.testing.assert_allclose(low.asnumpy(), np.linalg.cholesky(spd), rtol=1e-10)
        np.testing.assert_allclose(mx.nd.linalg.potri(low).asnumpy(), np.linalg.inv(spd), rtol=1e-8)
        sign, logabs = mx.nd.linalg.slogdet(mx.nd.array(m, dtype="float64"))
        s_ref, l_ref = np.linalg.slogdet(m)
        np.testing.assert_allclose(sign.asnumpy(), s_ref)
        np.testing.assert_allclose(logabs.asnumpy(), l_ref, rtol=1e-10)
        # row swaps of the pivoting flip the sign: a permutation matrix, random matrices
        swap = mx.nd.array([[[0, 1], [1, 0]], [[0, 2], [3, 0]]], dtype="float64")
        np.testing.assert_allclose(mx.nd.linalg.det(swap).asnumpy(), [-1, -6])
        big = rng.uniform(-1, 1, (4, 12, 12))
        np.testing.assert_allclose(mx.nd.linalg.det(mx.nd.array(big, dtype="float64")).asnumpy(),
                                   np.linalg.det(big), rtol=1e-9)
        np.testing.assert_allclose(
            mx.nd.linalg.inverse(mx.nd.array(big, dtype="float64")).asnumpy(), np.linalg.inv(big),
            rtol=1e-7, atol=1e-9)
        sing = mx.nd.array(np.ones((4, 4)), dtype="float64")
        assert mx.nd.linalg.slogdet(sing)[0].asnumpy() == 0


def test_many_input_sum_and_khatri_rao_are_native():
    rng = np.random.default_rng(6)
    xs = [rng.uniform(-1, 1, (3, 4)).astype(np.float32) for _ in range(5)]
    mats = [rng.uniform(-1, 1, (r, 3)).astype(np.float32) for r in (2, 3, 4)]

    def run():
        with mx.gpu():
            got = mx.nd.add_n(*[mx.nd.array(x) for x in xs]).asnumpy()
            np.testing.assert_allclose(got, sum(xs), rtol=1e-5, atol=1e-6)
            kr = mx.nd.khatri_rao(*[mx.nd.array(m) for m in mats]).asnumpy()
            ref = np.einsum("ak,bk,ck->abck", *mats).reshape(-1, 3)
            np.testing.assert_allclose(kr, ref, rtol=1e-5, atol=1e-6)
    assert not set(_fallbacks_during(run)) & _OURS
