// Exercise 7.2: a tiled matrix product in local memory (see clkernels.py for the unit).
//
// c (M, N) = a (M, K) @ b (K, N), row-major. A work-group of TS x TS work-items computes one
// TS x TS tile of c; TS comes from the build options (-D TS=8). Dimension 0 runs along the
// columns j (neighbouring work-items read neighbouring addresses), dimension 1 along the rows i.
// The global size is rounded up to multiples of TS: work-items outside c write nothing.
//
// For each tile t of the inner dimension: every work-item loads ONE element of a's tile and ONE
// of b's into __local arrays (zero where the matrix ends), barrier, accumulate TS products from
// local memory, barrier (nobody may overwrite the tile while others still read it).

__kernel void matmul_tiled(__global const float *a, __global const float *b, __global float *c,
                           const int M, const int N, const int K)
{
    // BEGIN SOLUTION 7.2: two __local TS x TS tiles; per tile of K: load (0 past the end), barrier, accumulate, barrier; write c if inside
    __local float asub[TS][TS];
    __local float bsub[TS][TS];
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int j = get_global_id(0), i = get_global_id(1);
    float acc = 0.0f;
    for (int t = 0; t < (K + TS - 1) / TS; ++t) {
        const int ka = t * TS + lx;     // the column of a this work-item loads
        const int kb = t * TS + ly;     // the row of b this work-item loads
        asub[ly][lx] = (i < M && ka < K) ? a[i * K + ka] : 0.0f;
        bsub[ly][lx] = (kb < K && j < N) ? b[kb * N + j] : 0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < TS; ++k)
            acc += asub[ly][k] * bsub[k][lx];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (i < M && j < N)
        c[i * N + j] = acc;
    // END SOLUTION
}
