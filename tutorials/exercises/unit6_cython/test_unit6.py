"""Tests of unit 6 (Cython kernels): numpy is the oracle, on shapes hypothesis draws."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cykernels import leaky_relu, matmul, missing_reason

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason()))

FLOATS = st.floats(-4, 4, width=32)


def numpy_leaky_relu(x, slope):
    return np.where(x > 0, x, np.float32(slope) * x).astype(np.float32)


@pytest.mark.ex6_1
def test_leaky_relu_example():
    x = np.array([-2, -0.5, 0, 0.5, 2], dtype=np.float32)
    np.testing.assert_array_equal(leaky_relu(x, 0.1), np.float32([-0.2, -0.05, 0, 0.5, 2]))


@pytest.mark.ex6_1
@given(x=hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=9), elements=FLOATS),
       slope=st.floats(0, 3, width=32))
def test_leaky_relu_matches_numpy(x, slope):
    # Slopes above 1 catch max(x, slope * x), which is leaky ReLU only while slope <= 1.
    out = leaky_relu(x, slope)
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, numpy_leaky_relu(x, slope), rtol=1e-6, atol=0)


@pytest.mark.ex6_1
def test_leaky_relu_large_array():
    # Long enough for every OpenMP thread to get a share of the prange loop.
    x = np.linspace(-5, 5, 100_003, dtype=np.float32)
    np.testing.assert_allclose(leaky_relu(x, 0.25), numpy_leaky_relu(x, 0.25), rtol=1e-6)


@pytest.mark.ex6_2
def test_cy_matmul_example():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(matmul(a, b, tile=2), a @ b)


@st.composite
def matmul_cases(draw):
    m, k, n = (draw(st.integers(1, 13)) for _ in range(3))
    a = draw(hnp.arrays(np.float32, (m, k), elements=FLOATS))
    b = draw(hnp.arrays(np.float32, (k, n), elements=FLOATS))
    return a, b, draw(st.integers(1, 6))


@pytest.mark.ex6_2
@given(case=matmul_cases())
def test_cy_matmul_matches_numpy(case):
    # Small tiles and sizes that are rarely multiples of them: every ragged edge is exercised.
    a, b, tile = case
    out = matmul(a, b, tile)
    assert out.shape == (a.shape[0], b.shape[1]) and out.dtype == np.float32
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)


@pytest.mark.ex6_2
def test_cy_matmul_larger_than_a_tile():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((70, 45), dtype=np.float32)
    b = rng.standard_normal((45, 33), dtype=np.float32)
    for tile in (1, 16, 64, 100):
        np.testing.assert_allclose(matmul(a, b, tile), a.astype(np.float64) @ b, rtol=1e-4,
                                   atol=1e-4, err_msg=f"tile={tile}")
