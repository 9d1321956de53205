# cython: language_level=3, boundscheck=False, wraparound=False
"""Exercise 6.1: leaky ReLU as a typed, parallel Cython loop (see cykernels.py for the unit)."""
from cython.parallel import prange


def leaky_relu(const float[::1] x, float slope, float[::1] out):
    """``out[i] = x[i] if x[i] > 0 else slope * x[i]`` for every i, as MXNet's LeakyReLU.

    Parameters
    ----------
    x : float32 memoryview, contiguous, 1-d
    slope : float
        Any value: MXNet accepts slopes above 1 too.
    out : float32 memoryview of ``x``'s length, written in place.

    Notes
    -----
    Declare the index and the length as ``Py_ssize_t`` (``cdef``), then loop with
    ``for i in prange(n, nogil=True)``: the loop runs without the GIL on OpenMP threads. Every
    name assigned inside a prange body is private to its thread, which is what we want here.
    """
    # BEGIN SOLUTION 6.1: cdef a Py_ssize_t index and length, then one prange(n, nogil=True) loop that writes out[i]
    cdef Py_ssize_t i, n = x.shape[0]
    cdef float v
    for i in prange(n, nogil=True, schedule="static"):
        v = x[i]
        out[i] = v if v > 0 else slope * v
    # END SOLUTION
