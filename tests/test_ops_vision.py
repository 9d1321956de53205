"""Tests of the vision family (ops/vision.py): UpSampling, Crop, BilinearSampler, GridGenerator,
SpatialTransformer, ROIPooling, Correlation, SVMOutput, IdentityAttachKLSparseReg, CTCLoss.

Expected values marked "MXNet" were observed in Apache MXNet 1.9.1 (mx.nd, legacy mode).
Hidden outputs (grids, ROIPooling's argmax) are checked through the reference kernels.
"""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minimx as mx
from minimx._kernels import get_backend
from minimx.ops import get_op

nd = mx.nd
REF = get_backend("reference").kernels


def values(x):
    return x.asnumpy().tolist()


def close(x, want, tol=1e-5):
    np.testing.assert_allclose(x.asnumpy(), np.asarray(want, dtype=np.float64), rtol=tol, atol=tol)


def run_kernel(name, ins, attrs):
    """All outputs of an op's reference kernel, hidden ones included."""
    op = get_op(name)
    attrs = op.parse(attrs)
    shapes = op.shape(attrs, *[x.shape for x in ins])
    dtypes = op.dtype(attrs, *[x.dtype for x in ins])
    dtypes = dtypes if isinstance(dtypes, list) else [dtypes] * len(shapes)
    outs = tuple(np.zeros(s, d) for s, d in zip(shapes, dtypes))
    REF[op.kernel](tuple(ins), outs, attrs)
    return outs


# -- UpSampling --------------------------------------------------------------------------------
def test_upsampling_nearest_matches_mxnet():
    x = nd.arange(4).reshape((1, 1, 2, 2))
    out = nd.UpSampling(x, scale=2, sample_type="nearest")
    assert values(out) == [[[[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]]]
    out = nd.UpSampling(x, x + 1, scale=2, sample_type="nearest", multi_input_mode="sum")
    assert values(out) == [[[[1, 1, 3, 3], [1, 1, 3, 3], [5, 5, 7, 7], [5, 5, 7, 7]]]]
    # every input is scaled to input 0's size times scale, then concatenated on channels
    y = nd.array([1, 5, 1, -2]).reshape((1, 1, 2, 2))
    out = nd.UpSampling(nd.arange(8).reshape((1, 2, 2, 2)), y, scale=2, sample_type="nearest")
    assert out.shape == (1, 3, 4, 4)
    assert values(out)[0][2] == [[1, 1, 5, 5], [1, 1, 5, 5], [1, 1, -2, -2], [1, 1, -2, -2]]
    out = nd.UpSampling(x, nd.array([7]).reshape((1, 1, 1, 1)), scale=2, sample_type="nearest",
                        multi_input_mode="sum")
    assert values(out) == [[[[7, 7, 8, 8], [7, 7, 8, 8], [9, 9, 10, 10], [9, 9, 10, 10]]]]
    assert nd.UpSampling(x.astype("float16"), scale=3, sample_type="nearest").dtype == np.float16


def test_upsampling_bilinear_matches_mxnet():
    x = nd.arange(4).reshape((1, 1, 2, 2))
    out = nd.UpSampling(x, nd.ones((1, 1, 4, 4)), scale=2, sample_type="bilinear", num_filter=1)
    assert values(out) == [[[[0, 1, 1, 1], [2, 6, 6, 4], [2, 6, 6, 4], [2, 5, 5, 3]]]]
    out = nd.UpSampling(nd.ones((1, 1, 3, 3)), nd.ones((1, 1, 4, 4)), scale=2,
                        sample_type="bilinear", num_filter=1)   # MXNet's docstring example
    assert values(out)[0][0][0] == [1, 2, 2, 2, 2, 1] and values(out)[0][0][2] == [2, 4, 4, 4, 4, 2]
    # the same as the Deconvolution it stands for
    data, weight = nd.array(np.random.default_rng(0).normal(size=(2, 3, 3, 4))), \
        nd.array(np.random.default_rng(1).normal(size=(3, 1, 5, 5)))
    out = nd.UpSampling(data, weight, scale=3, sample_type="bilinear", num_filter=3)
    want = nd.Deconvolution(data, weight, kernel=(5, 5), stride=(3, 3), pad=(1, 1), num_filter=3,
                            num_group=3, no_bias=True)
    assert out.shape == (2, 3, 9, 12)
    close(out, want.asnumpy(), 1e-4)


def test_upsampling_errors():
    x = nd.arange(4).reshape((1, 1, 2, 2))
    with pytest.raises(mx.MXNetError, match="scale must be >= 1"):
        nd.UpSampling(x, scale=0, sample_type="nearest")
    with pytest.raises(mx.MXNetError, match="required parameter 'sample_type'"):
        nd.UpSampling(x, scale=2)
    with pytest.raises(mx.MXNetError, match="cannot be scaled up to the output's 4x4"):
        nd.UpSampling(x, nd.zeros((1, 1, 3, 3)), scale=2, sample_type="nearest")
    with pytest.raises(mx.MXNetError, match="one whole factor"):
        nd.UpSampling(x, nd.zeros((1, 1, 1, 2)), scale=2, sample_type="nearest")
    with pytest.raises(mx.MXNetError, match="batch size 2 but input 0 has 1"):
        nd.UpSampling(x, nd.zeros((2, 1, 1, 2)), scale=2, sample_type="nearest")
    with pytest.raises(mx.MXNetError, match="one channel count"):
        nd.UpSampling(x, nd.zeros((1, 2, 2, 2)), scale=2, sample_type="nearest",
                      multi_input_mode="sum")
    with pytest.raises(mx.MXNetError, match="must be 4-d"):
        nd.UpSampling(nd.arange(4).reshape((1, 4)), scale=2, sample_type="nearest")
    with pytest.raises(mx.MXNetError, match="floating point types only"):
        nd.UpSampling(x.astype("int32"), scale=2, sample_type="nearest")
    with pytest.raises(mx.MXNetError, match="same dtype"):
        nd.UpSampling(x.astype("float64"), x, scale=2, sample_type="nearest")
    with pytest.raises(mx.MXNetError, match="takes 2 inputs"):
        nd.UpSampling(x, scale=2, sample_type="bilinear", num_filter=1)
    with pytest.raises(mx.MXNetError, match=r"needs \(1, 1, 4, 4\)"):
        nd.UpSampling(x, nd.ones((1, 1, 3, 3)), scale=2, sample_type="bilinear", num_filter=1)
    with pytest.raises(mx.MXNetError, match="num_filter=0 must equal the number of channels 1"):
        nd.UpSampling(x, nd.ones((1, 1, 4, 4)), scale=2, sample_type="bilinear")


# -- Crop --------------------------------------------------------------------------------------
def test_crop_matches_mxnet():
    x = nd.arange(30).reshape((1, 1, 5, 6))
    assert values(nd.Crop(x, h_w=(2, 3))) == [[[[0, 1, 2], [6, 7, 8]]]]
    assert values(nd.Crop(x, h_w=(2, 3), offset=(1, 2))) == [[[[8, 9, 10], [14, 15, 16]]]]
    assert values(nd.Crop(x, h_w=(2, 3), center_crop=True)) == [[[[7, 8, 9], [13, 14, 15]]]]
    assert values(nd.Crop(x, h_w=(2, 2), center_crop=True)) == [[[[8, 9], [14, 15]]]]
    like = nd.zeros((4, 7, 2, 3))
    assert values(nd.Crop(x, like)) == [[[[0, 1, 2], [6, 7, 8]]]]
    assert values(nd.Crop(x, like, offset=(1, 1))) == [[[[7, 8, 9], [13, 14, 15]]]]
    assert values(nd.Crop(x, like, h_w=(1, 1))) == [[[[0, 1, 2], [6, 7, 8]]]]   # h_w ignored
    assert nd.Crop(x.astype("int32"), h_w=(2, 3)).dtype == np.int32   # MXNet: float32 only


def test_crop_errors():
    x = nd.arange(30).reshape((1, 1, 5, 6))
    with pytest.raises(mx.MXNetError, match=r"h_w=\(6, 3\) must be at least 1 and at most"):
        nd.Crop(x, h_w=(6, 3))
    with pytest.raises(mx.MXNetError, match="at least 1"):
        nd.Crop(x)
    with pytest.raises(mx.MXNetError, match=r"offset=\(4, 0\) puts the 2x3 window outside"):
        nd.Crop(x, h_w=(2, 3), offset=(4, 0))
    with pytest.raises(mx.MXNetError, match="must be 4-d"):
        nd.Crop(x.reshape((5, 6)), h_w=(2, 3))
    with pytest.raises(mx.MXNetError, match="larger than the input's"):
        nd.Crop(x, nd.zeros((1, 1, 6, 2)))
    with pytest.raises(mx.MXNetError, match="takes 1 input"):
        nd.Crop(x, x, x)
    with pytest.raises(mx.MXNetError, match=r"offset must be \(y, x\)"):
        nd.Crop(x, h_w=(2, 3), offset=(1,))


# -- BilinearSampler, GridGenerator, SpatialTransformer -----------------------------------------
def test_bilinear_sampler_matches_mxnet():
    x = nd.arange(12).reshape((1, 1, 3, 4))
    points = [[[[-1, 0.5, 1.2], [0.3, -0.9, 1]], [[-1, -0.2, 0.5], [1, 1.1, 0.0]]]]
    grid = nd.array(points)
    want = [[[[0.0, 5.45, 6.3], [9.95, 7.335, 7.0]]]]
    close(nd.BilinearSampler(x, grid), want)
    out = nd.BilinearSampler(x.astype("float64"), nd.array(points, dtype="float64"), cudnn_off=True)
    assert out.dtype == np.float64
    close(out, want, 1e-12)
    with pytest.raises(mx.MXNetError, match="same dtype"):
        nd.BilinearSampler(x, grid.astype("float64"))
    with pytest.raises(mx.MXNetError, match=r"grid must have shape \(1, 2, H, W\)"):
        nd.BilinearSampler(x, grid[:, :1])
    with pytest.raises(mx.MXNetError, match=r"grid must have shape \(2, 2, H, W\)"):
        nd.BilinearSampler(nd.concat(x, x, dim=0), grid)
    with pytest.raises(mx.MXNetError, match="data must be 4-d"):
        nd.BilinearSampler(x.reshape((3, 4)), grid)


def test_grid_generator_matches_mxnet():
    theta = nd.array([[1, 0, 0, 0, 1, 0], [0.5, 0.2, 0.1, -0.3, 1, 0.4]])
    out = nd.GridGenerator(theta, transform_type="affine", target_shape=(2, 3))
    assert out.shape == (2, 2, 2, 3)
    close(out, [[[[-1, 0, 1], [-1, 0, 1]], [[-1, -1, -1], [1, 1, 1]]],
                [[[-0.6, -0.1, 0.4], [-0.2, 0.3, 0.8]], [[-0.3, -0.6, -0.9], [1.7, 1.4, 1.1]]]])
    flow = nd.array(np.arange(12).reshape(1, 2, 2, 3) / 10)
    close(nd.GridGenerator(flow, transform_type="warp", target_shape=(5, 5)),
          [[[[-1, 0.1, 1.2], [-0.7, 0.4, 1.5]], [[0.2, 0.4, 0.6], [2.8, 3.0, 3.2]]]])
    # a grid of one row divides by zero: NaN, as in MXNet
    assert np.isnan(nd.GridGenerator(nd.array([[1, 0, 0, 0, 1, 0]]), transform_type="affine",
                                     target_shape=(1, 3)).asnumpy()).all()
    out, grid_dst = run_kernel("GridGenerator", [theta.asnumpy()],
                               {"transform_type": "affine", "target_shape": (2, 3)})
    np.testing.assert_allclose(grid_dst, [[-1, 0, 1, -1, 0, 1], [-1, -1, -1, 1, 1, 1], [1] * 6])
    _, grid_dst = run_kernel("GridGenerator", [flow.asnumpy()], {"transform_type": "warp"})
    assert grid_dst.tolist() == [[[0, 1, 2], [0, 1, 2]], [[0, 0, 0], [1, 1, 1]]]


def test_grid_generator_errors():
    with pytest.raises(mx.MXNetError, match=r"target_shape must be \(H, W\) with H, W > 0"):
        nd.GridGenerator(nd.array([[1, 0, 0, 0, 1, 0]]), transform_type="affine")
    with pytest.raises(mx.MXNetError, match=r"affine data must be \(batch, 6\)"):
        nd.GridGenerator(nd.array([[1, 0, 0, 0, 1]]), transform_type="affine", target_shape=(2, 2))
    with pytest.raises(mx.MXNetError, match=r"flow field \(batch, 2, H, W\)"):
        nd.GridGenerator(nd.zeros((1, 3, 2, 2)), transform_type="warp")
    with pytest.raises(mx.MXNetError, match="floating point types only"):
        nd.GridGenerator(nd.zeros((1, 2, 2, 2), dtype="int32"), transform_type="warp")
    with pytest.raises(mx.MXNetError, match="required parameter 'transform_type'"):
        nd.GridGenerator(nd.array([[1, 0, 0, 0, 1, 0]]))


def test_spatial_transformer_matches_mxnet():
    data = nd.arange(32).reshape((2, 1, 4, 4))
    loc = nd.array([[1, 0, 0, 0, 1, 0], [0.5, 0.1, 0.2, -0.1, 0.7, 0.3]])
    out = nd.SpatialTransformer(data, loc, target_shape=(3, 3), transform_type="affine",
                                sampler_type="bilinear")
    close(out, [[[[0, 1.5, 3], [6, 7.5, 9], [12, 13.5, 15]]],
                [[[21.1, 21.25, 21.4], [25.45, 25.6, 25.75], [24.82, 29.95, 30.1]]]])
    loc64 = nd.array([[1, 0, 0, 0, 1, 0], [0.5, 0.1, 0.2, -0.1, 0.7, 0.3]], dtype="float64")
    out = nd.SpatialTransformer(data.astype("float64"), loc64, target_shape=(2, 2),
                                transform_type="affine", sampler_type="bilinear")
    close(out, [[[[0, 3], [12, 15]]], [[[21.1, 21.4], [24.82, 30.1]]]], 1e-12)
    # = GridGenerator then BilinearSampler; the hidden outputs are the two grids
    grid = nd.GridGenerator(loc, transform_type="affine", target_shape=(3, 3))
    close(nd.BilinearSampler(data, grid), nd.SpatialTransformer(
        data, loc, target_shape=(3, 3), transform_type="affine", sampler_type="bilinear").asnumpy())
    _, grid_dst, grid_src = run_kernel("SpatialTransformer", [data.asnumpy(), loc.asnumpy()], {
        "target_shape": (3, 3), "transform_type": "affine", "sampler_type": "bilinear"})
    assert grid_dst.shape == (3, 9) and grid_src.shape == (2, 2, 9)
    np.testing.assert_allclose(grid_src.reshape(2, 2, 3, 3), grid.asnumpy(), rtol=1e-6)


def test_spatial_transformer_errors():
    data, loc = nd.zeros((2, 1, 4, 4)), nd.zeros((2, 6))
    kw = {"transform_type": "affine", "sampler_type": "bilinear"}
    with pytest.raises(mx.MXNetError, match="target_shape must be"):
        nd.SpatialTransformer(data, loc, **kw)
    with pytest.raises(mx.MXNetError, match=r"loc must be \(2, 6\)"):
        nd.SpatialTransformer(data, loc[:1], target_shape=(2, 2), **kw)
    with pytest.raises(mx.MXNetError, match=r"loc must be \(2, 6\)"):
        nd.SpatialTransformer(data, loc[:, :4], target_shape=(2, 2), **kw)
    with pytest.raises(mx.MXNetError, match="same dtype"):
        nd.SpatialTransformer(data, loc.astype("float64"), target_shape=(2, 2), **kw)
    with pytest.raises(mx.MXNetError, match="required parameter 'sampler_type'"):
        nd.SpatialTransformer(data, loc, target_shape=(2, 2), transform_type="affine")


@given(h=st.integers(2, 5), w=st.integers(2, 5), seed=st.integers(0, 2**16))
@settings(max_examples=15)
def test_identity_transform_reproduces_the_image(h, w, seed):
    data = np.random.default_rng(seed).normal(size=(2, 3, h, w))
    theta = nd.array(np.tile([1.0, 0, 0, 0, 1, 0], (2, 1)), dtype="float64")
    out = nd.SpatialTransformer(nd.array(data, dtype="float64"), theta, target_shape=(h, w),
                                transform_type="affine", sampler_type="bilinear")
    np.testing.assert_allclose(out.asnumpy(), data, atol=1e-12)


# -- ROIPooling --------------------------------------------------------------------------------
_ROI_DATA = np.arange(50).reshape((2, 1, 5, 5)) % 7 * 1.5 - 3
_ROIS = [[0, 0, 0, 4, 4], [1, 1, 1, 3, 2], [0, 2.4, 0.6, 2.5, 3.5], [1, 3, 3, 1, 1],
         [5, 0, 0, 1, 1], [-1, 0, 0, 1, 1], [1, 6, 6, 9, 9]]


def test_roi_pooling_matches_mxnet():
    data, rois = nd.array(_ROI_DATA), nd.array(_ROIS)
    out = nd.ROIPooling(data, rois, pooled_size=(2, 2), spatial_scale=1.0)
    assert out.shape == (7, 1, 2, 2)
    assert [v[0] for v in values(out)] == [
        [[6, 6], [6, 6]], [[3, 4.5], [0, 1.5]], [[4.5, 6], [1.5, 3]], [[-1.5, -1.5], [-1.5, -1.5]],
        [[0, 0], [0, 0]], [[0, 0], [0, 0]], [[0, 0], [0, 0]]]
    out = nd.ROIPooling(data, rois, pooled_size=(3, 2), spatial_scale=0.5)
    assert [v[0] for v in values(out)] == [
        [[-1.5, 0], [6, 6], [3, 4.5]], [[1.5, 3], [1.5, 3], [1.5, 3]], [[-1.5, -1.5], [6, 6], [3, 3]],
        [[0, 0]] * 3, [[0, 0]] * 3, [[0, 0]] * 3, [[0, 0], [6, -3], [0, 0]]]
    # nothing beats MXNet's starting value -FLT_MAX
    out = nd.ROIPooling(nd.full((1, 1, 2, 2), -np.inf), nd.array([[0, 0, 0, 1, 1]]),
                        pooled_size=(1, 1), spatial_scale=1.0)
    assert values(out) == [[[[-np.finfo(np.float32).max]]]]
    out = nd.ROIPooling(data, nd.array([[0, -0.5, -1.5, -2.5, 3.5]]), pooled_size=(3, 3),
                        spatial_scale=1.0)   # rounds half away from zero, then empty cells
    assert values(out) == [[[[0, 0, 0]] * 3]]
    assert nd.ROIPooling(data.astype("float64"), rois.astype("float64"), pooled_size=(1, 1),
                         spatial_scale=1.0).dtype == np.float64


def test_roi_pooling_argmax_is_the_flat_index():
    out, argmax = run_kernel("ROIPooling", [_ROI_DATA.astype(np.float32),
                                            np.array(_ROIS, np.float32)],
                             {"pooled_size": (2, 2), "spatial_scale": 1.0})
    assert argmax.dtype == np.int32
    flat = _ROI_DATA.astype(np.float32).ravel()
    found = argmax >= 0
    np.testing.assert_array_equal(flat[argmax[found]], out[found])
    assert (argmax[4:] == -1).all()                 # bad batch index or empty region
    assert argmax[0].ravel().tolist() == [6, 13, 20, 13]    # where each cell's 6 is


def test_roi_pooling_errors():
    data, rois = nd.array(_ROI_DATA), nd.array(_ROIS)
    with pytest.raises(mx.MXNetError, match=r"spatial_scale must be in \[0, 1\]"):
        nd.ROIPooling(data, rois, pooled_size=(2, 2), spatial_scale=1.5)
    with pytest.raises(mx.MXNetError, match="pooled_size must be"):
        nd.ROIPooling(data, rois, pooled_size=(2,), spatial_scale=1.0)
    with pytest.raises(mx.MXNetError, match="pooled_size must be"):
        nd.ROIPooling(data, rois, pooled_size=(0, 2), spatial_scale=1.0)
    with pytest.raises(mx.MXNetError, match="required parameter 'spatial_scale'"):
        nd.ROIPooling(data, rois, pooled_size=(2, 2))
    with pytest.raises(mx.MXNetError, match=r"rois must have shape \(num_rois, 5\)"):
        nd.ROIPooling(data, rois[:, :4], pooled_size=(2, 2), spatial_scale=1.0)
    with pytest.raises(mx.MXNetError, match="same dtype"):
        nd.ROIPooling(data.astype("float64"), rois, pooled_size=(2, 2), spatial_scale=1.0)
    with pytest.raises(mx.MXNetError, match="floating point types only"):
        nd.ROIPooling(data.astype("int32"), rois.astype("int32"), pooled_size=(1, 1),
                      spatial_scale=1.0)


# -- Correlation -------------------------------------------------------------------------------
_A = np.arange(32).reshape((1, 2, 4, 4)) % 5 - 2.0
_B = np.arange(32).reshape((1, 2, 4, 4))[:, ::-1] % 3 - 1.0


def test_correlation_matches_mxnet():
    a, b = nd.array(_A), nd.array(_B)
    out = nd.Correlation(a, b)
    assert out.shape == (1, 9, 2, 2)
    assert values(out)[0][:3] == [[[0.5, -0.5], [1, 0.5]], [[-1, 0.5], [-2, 0.5]],
                                  [[0.5, 0], [1, -1]]]
    out = nd.Correlation(a, b, max_displacement=1, pad_size=1)
    assert out.shape == (1, 9, 4, 4)
    assert values(out)[0][4] == [[0.5, -0.5, 0.5, -1], [1, 0.5, 0, 0], [0.5, 1, -1, 0.5],
                                 [-0.5, 0.5, -2, 0.5]]
    out = nd.Correlation(a, b, kernel_size=3, max_displacement=1, pad_size=2, stride1=2, stride2=1)
    close(out[0, :2], [[[1 / 18, 1 / 18], [4 / 18, 5 / 18]], [[0, -2 / 18], [-4 / 18, -5 / 18]]])
    out = nd.Correlation(a, b, kernel_size=1, max_displacement=2, pad_size=2, stride2=2,
                         is_multiply=False)
    assert values(out)[0][4] == [[1, 1, 0.5, 2], [1.5, 1.5, 1, 1], [1.5, 1.5, 2, 0.5],
                                 [1, 1, 3, 1]]
    assert values(nd.Correlation(a, b, kernel_size=1, max_displacement=0)) == \
        [[[[0.5, -0.5, 0.5, -1], [1, 0.5, 0, 0], [0.5, 1, -1, 0.5], [-0.5, 0.5, -2, 0.5]]]]


def _correlation_loops(d1, d2, k, md, s1, s2, pad, multiply):
    """MXNet's CPU forward, loop for loop."""
    n, c, h, w = d1.shape
    p1 = np.pad(d1, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    p2 = np.pad(d2, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    border = md + (k - 1) // 2
    top_h = -(-(h + 2 * pad - 2 * border) // s1)
    top_w = -(-(w + 2 * pad - 2 * border) // s1)
    if top_h < 1 or top_w < 1:
        return None
    radius = md // s2
    grid = 2 * radius + 1
    out = np.zeros((n, grid * grid, top_h, top_w))
    for i, j, b, tc in itertools.product(range(top_h), range(top_w), range(n), range(grid * grid)):
        x1, y1 = j * s1 + md, i * s1 + md
        x2, y2 = x1 + (tc % grid - radius) * s2, y1 + (tc // grid - radius) * s2
        for hh, ww, ch in itertools.product(range(k), range(k), range(c)):
            u, v = p1[b, ch, y1 + hh, x1 + ww], p2[b, ch, y2 + hh, x2 + ww]
            out[b, tc, i, j] += u * v if multiply else abs(u - v)
        out[b, tc, i, j] /= k * k * c
    return out


@given(k=st.sampled_from([1, 3]), md=st.integers(0, 2), s1=st.integers(1, 2), s2=st.integers(1, 2),
       pad=st.integers(0, 2), multiply=st.booleans(), seed=st.integers(0, 2**16))
@settings(max_examples=12)
def test_correlation_against_mxnet_loops(k, md, s1, s2, pad, multiply, seed):
    rng = np.random.default_rng(seed)
    d1, d2 = rng.normal(size=(1, 2, 4, 5)), rng.normal(size=(1, 2, 4, 5))
    attrs = dict(kernel_size=k, max_displacement=md, stride1=s1, stride2=s2, pad_size=pad,
                 is_multiply=multiply)
    want = _correlation_loops(d1, d2, k, md, s1, s2, pad, multiply)
    if want is None:
        with pytest.raises(mx.MXNetError, match="do not fit"):
            nd.Correlation(nd.array(d1), nd.array(d2), **attrs)
        return
    out = nd.Correlation(nd.array(d1, dtype="float64"), nd.array(d2, dtype="float64"), **attrs)
    np.testing.assert_allclose(out.asnumpy(), want, atol=1e-12)


def test_correlation_errors():
    a, b = nd.array(_A), nd.array(_B)
    with pytest.raises(mx.MXNetError, match="kernel_size must be a positive odd number"):
        nd.Correlation(a, b, kernel_size=2)
    with pytest.raises(mx.MXNetError, match="do not fit in a 4x4 input"):
        nd.Correlation(a, b, max_displacement=3)
    with pytest.raises(mx.MXNetError, match="must have one shape"):
        nd.Correlation(a, b[:, :, :3])
    with pytest.raises(mx.MXNetError, match="stride1 and stride2 must be >= 1"):
        nd.Correlation(a, b, stride2=0)
    with pytest.raises(mx.MXNetError, match="floating point types only"):
        nd.Correlation(a.astype("int32"), b.astype("int32"))


# -- SVMOutput, IdentityAttachKLSparseReg -------------------------------------------------------
def test_identity_forward_ops():
    x = nd.array([[0.2, 0.5], [0.9, 0.1], [0.3, 0.3]])
    assert values(nd.SVMOutput(x, nd.array([0, 1, 1]))) == values(x)
    assert nd.SVMOutput(nd.arange(24).reshape((2, 3, 4)), nd.zeros((2, 3))).shape == (2, 3, 4)
    assert nd.SVMOutput(x.astype("float16"), nd.array([0, 1, 1], dtype="float16")).dtype == np.float16
    with pytest.raises(mx.MXNetError, match=r"label has shape \(2,\) but data .* needs \(3,\)"):
        nd.SVMOutput(x, nd.array([0, 1]))
    with pytest.raises(mx.MXNetError, match="same dtype"):
        nd.SVMOutput(x.astype("float64"), nd.array([0, 1, 1]))
    with pytest.raises(mx.MXNetError, match="floating point types only"):
        nd.SVMOutput(x.astype("int32"), nd.array([0, 1, 1], dtype="int32"))
    moving_avg = nd.full((2,), 0.5)
    out = nd.IdentityAttachKLSparseReg(x, moving_avg)
    assert values(out) == values(x) and values(moving_avg) == [0.5, 0.5]   # forward: no update
    with pytest.raises(mx.MXNetError, match=r"must be \(2,\), one running mean per unit"):
        nd.IdentityAttachKLSparseReg(x, nd.ones((3,)))
    with pytest.raises(mx.MXNetError, match="at least 2 axes"):
        nd.IdentityAttachKLSparseReg(nd.ones((4,)), nd.ones((4,)))


# -- CTCLoss -----------------------------------------------------------------------------------
_CTC_DATA = np.array([  # np.round(np.random.RandomState(0).uniform(-1, 1, (4, 2, 5)), 2)
    [[0.10, 0.43, 0.21, 0.09, -0.15], [0.29, -0.12, 0.78, 0.93, -0.23]],
    [[0.58, 0.06, 0.14, 0.85, -0.86], [-0.83, -0.96, 0.67, 0.56, 0.74]],
    [[0.96, 0.60, -0.08, 0.56, -0.76], [0.28, -0.71, 0.89, 0.04, -0.17]],
    [[-0.47, 0.55, -0.09, 0.14, -0.96], [0.24, 0.22, 0.23, 0.89, 0.36]]], dtype=np.float32)


@pytest.mark.parametrize("inputs,kw,want", [
    ((nd.array([[1, 2], [3, 0]]),), {}, [3.7281506, 4.0102057]),
    ((nd.array([[1, 1], [3, 3]]),), {}, [3.6600082, 4.3937926]),
    ((nd.array([[0, 2], [3, 0]]),), {}, [6.0989709, 4.0102057]),      # empty label: all blanks
    ((nd.array([[1, 2], [3, 0]], dtype="int32"),), {}, [3.7281506, 4.0102057]),
    ((nd.array([[1.7, 2.2], [3, 0]]),), {}, [3.7281506, 4.0102057]),  # labels truncate
    ((nd.array([[1, 2], [3, -1]]),), {"blank_label": "last"}, [4.7453661, 3.9320586]),
    ((nd.array([[1, 2], [3, 0]]),), {"blank_label": "last"}, [4.7453661, 3.5785704]),
    ((nd.array([[1, 2], [3, 4]]), nd.array([2, 3])), {"use_data_lengths": True},
     [3.1043510, 2.8503554]),
    ((nd.array([[1, 2], [3, 4]]), nd.array([1, 1])), {"use_label_lengths": True},
     [3.6173937, 4.0102057]),
    ((nd.array([[1, 2], [3, 4]]), nd.array([3, 4]), nd.array([2, 1])),
     {"use_data_lengths": True, "use_label_lengths": True}, [3.2678130, 4.0102057]),
    # a label too long for its steps (length + repeats > T) gets 0, as warp-ctc gives
    ((nd.array([[1, 2], [3, 4]]), nd.array([1, 4]), nd.array([2, 1])),
     {"use_data_lengths": True, "use_label_lengths": True}, [0.0, 4.0102057]),
    ((nd.array([[1, 1, 1, 1], [3, 4, 0, 0]]),), {}, [0.0, 3.6096592]),
    ((nd.array([[1, 2], [3, 4]]), nd.array([0, 2])), {"use_data_lengths": True}, [0.0, 2.2656717]),
])
def test_ctc_loss_matches_mxnet(inputs, kw, want):
    out = nd.CTCLoss(nd.array(_CTC_DATA), *inputs, **kw)
    assert out.shape == (2,) and out.dtype == np.float32
    close(out, want, 2e-6)


def _ctc_brute_force(logits, label, blank):
    """-log of the summed probability of every path that collapses to label."""
    steps, alphabet = logits.shape
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    total = 0.0
    for path in itertools.product(range(alphabet), repeat=steps):
        collapsed = [p for i, p in enumerate(path) if (i == 0 or p != path[i - 1]) and p != blank]
        if collapsed == list(label):
            total += np.prod(probs[np.arange(steps), path])
    return -np.log(total)


@given(seed=st.integers(0, 2**16), length=st.integers(0, 2), blank=st.sampled_from(["first", "last"]))
@settings(max_examples=15)
def test_ctc_loss_against_every_alignment(seed, length, blank):
    rng = np.random.default_rng(seed)
    steps, alphabet = 4, 3
    logits = rng.normal(size=(steps, 1, alphabet))
    blank_id = 0 if blank == "first" else alphabet - 1
    label = rng.integers(1, alphabet, length) if blank == "first" else rng.integers(0, alphabet - 1, length)
    padded = np.full((1, 2), 0 if blank == "first" else -1)
    padded[0, :length] = label
    out = nd.CTCLoss(nd.array(logits, dtype="float64"), nd.array(padded), blank_label=blank)
    np.testing.assert_allclose(out.asnumpy(), [_ctc_brute_force(logits[:, 0], label, blank_id)],
                               rtol=1e-10)


def test_ctc_loss_errors():
    data = nd.array(_CTC_DATA)
    label = nd.array([[1, 2], [3, 4]])
    with pytest.raises(mx.MXNetError, match="labels of length 5 cannot be longer than the 4 steps"):
        nd.CTCLoss(data, nd.array([[1, 2, 3, 4, 1], [3, 4, 0, 0, 0]]))
    with pytest.raises(mx.MXNetError, match=r"label must be 2-d \(batch=2"):
        nd.CTCLoss(data, nd.array([[1, 2]]))
    with pytest.raises(mx.MXNetError, match="data must be 3-d"):
        nd.CTCLoss(data[0], nd.array([[1, 2]]))
    with pytest.raises(mx.MXNetError, match="CTCLoss takes 3 inputs, got 2"):
        nd.CTCLoss(data, label, use_data_lengths=True)
    with pytest.raises(mx.MXNetError, match=r"data_lengths has shape \(3,\) but must be \(2,\)"):
        nd.CTCLoss(data, label, nd.array([2, 3, 1]), use_data_lengths=True)
    with pytest.raises(mx.MXNetError, match=r"label_lengths has shape \(1,\)"):
        nd.CTCLoss(data, label, nd.array([2, 3]), nd.array([1]), use_data_lengths=True,
                   use_label_lengths=True)
    with pytest.raises(mx.MXNetError, match="floating point types only"):
        nd.CTCLoss(data.astype("int32"), label)
    # MXNet reads out of bounds (and crashes) on these; minimx refuses at the wait
    with pytest.raises(mx.MXNetError, match=r"data_lengths \[5, 5\] must be in \[0, 4\]"):
        nd.CTCLoss(data, label, nd.array([5, 5]), use_data_lengths=True).asnumpy()
    with pytest.raises(mx.MXNetError, match="outside the alphabet"):
        nd.CTCLoss(data, nd.array([[1, 7], [3, 4]])).asnumpy()
    assert nd.ctc_loss is nd.CTCLoss
