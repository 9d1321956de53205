# cython: language_level=3, boundscheck=False, wraparound=False
"""Exercise 6.2: a tiled (loop-blocked) matrix product in Cython (see cykernels.py for the unit)."""
from cython.parallel import prange


def matmul_tiled(const float[:, ::1] a, const float[:, ::1] b, float[:, ::1] out, Py_ssize_t tile):
    """``out += a @ b`` by blocks of ``tile`` rows, columns and inner indices.

    Parameters
    ----------
    a : float32 memoryview (M, K), C-contiguous
    b : float32 memoryview (K, N), C-contiguous
    out : float32 memoryview (M, N), zeroed by the caller; accumulated in place.
    tile : int
        The block edge (>= 1). No dimension need be a multiple of it: the last block of each
        dimension is ragged, ``min(start + tile, size)``.

    Notes
    -----
    ``range`` with a step that is not a constant needs the GIL, so loop over block numbers:
    ``for bi in prange((m + tile - 1) // tile, nogil=True)`` (rows of ``a``: two threads never
    write the same row of ``out``), with ``i0 = bi * tile``; then blocks ``bk``, then ``bj``
    alike; inside, ``i``, ``k``, ``j`` in that order, so the innermost loop walks ``b`` and ``out``
    along contiguous rows. Each block of ``b`` (tile x tile) is reused by every row of the
    block of ``a``: that reuse, while the block is still in the cache, is the point of tiling.
    """
    # BEGIN SOLUTION 6.2: block loops over bi (prange), bk, bj; inner loops i, k, j; each block ends at min(start + tile, size)
    cdef Py_ssize_t m = a.shape[0], kd = a.shape[1], n = b.shape[1]
    cdef Py_ssize_t bi, bk, bj, i, k, j, i0, i1, k0, k1, j0, j1
    cdef float aik
    for bi in prange((m + tile - 1) // tile, nogil=True, schedule="static"):
        i0 = bi * tile
        i1 = min(i0 + tile, m)
        for bk in range((kd + tile - 1) // tile):
            k0 = bk * tile
            k1 = min(k0 + tile, kd)
            for bj in range((n + tile - 1) // tile):
                j0 = bj * tile
                j1 = min(j0 + tile, n)
                for i in range(i0, i1):
                    for k in range(k0, k1):
                        aik = a[i, k]
                        for j in range(j0, j1):
                            out[i, j] += aik * b[k, j]
    # END SOLUTION
