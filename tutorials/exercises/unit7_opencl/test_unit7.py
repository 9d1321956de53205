"""Tests of unit 7 (OpenCL kernels): numpy is the oracle, on shapes hypothesis draws."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from clkernels import GROUP, TS, axpby, matmul, missing_reason

pytestmark = pytest.mark.skipif(missing_reason() is not None,
                                reason=f"no OpenCL here: {missing_reason()}")

FLOATS = st.floats(-4, 4, width=32)


@pytest.mark.ex7_1
def test_axpby_example():
    out, _ = axpby(2.0, np.float32([1, 2, 3]), -1.0, np.float32([1, 1, 1]))
    np.testing.assert_array_equal(out, np.float32([1, 3, 5]))


@pytest.mark.ex7_1
@given(n=st.integers(1, 3 * GROUP + 5), data=st.data(),
       a=st.floats(-3, 3, width=32), b=st.floats(-3, 3, width=32))
def test_axpby_matches_numpy(n, data, a, b):
    # Sizes that are rarely multiples of the work-group size: work-items past the end exist.
    x = data.draw(hnp.arrays(np.float32, n, elements=FLOATS))
    y = data.draw(hnp.arrays(np.float32, n, elements=FLOATS))
    out, tail = axpby(a, x, b, y)
    np.testing.assert_allclose(out, np.float32(a) * x + np.float32(b) * y, rtol=1e-5, atol=1e-5)
    assert np.isnan(tail).all(), "the kernel wrote past the end of the array: return early if i >= n"


@pytest.mark.ex7_2
def test_cl_matmul_example():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(matmul(a, b), a @ b)


@st.composite
def matmul_cases(draw):
    m, k, n = (draw(st.integers(1, 3 * TS + 3)) for _ in range(3))
    return (draw(hnp.arrays(np.float32, (m, k), elements=FLOATS)),
            draw(hnp.arrays(np.float32, (k, n), elements=FLOATS)))


@pytest.mark.ex7_2
@given(case=matmul_cases())
def test_cl_matmul_matches_numpy(case):
    # Sizes that are rarely multiples of TS: every ragged tile edge is exercised.
    a, b = case
    out = matmul(a, b)
    assert out.shape == (a.shape[0], b.shape[1])
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)


@pytest.mark.ex7_2
def test_cl_matmul_many_tiles():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5 * TS + 1, 7 * TS + 3), dtype=np.float32)
    b = rng.standard_normal((7 * TS + 3, 4 * TS - 1), dtype=np.float32)
    np.testing.assert_allclose(matmul(a, b), a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)
