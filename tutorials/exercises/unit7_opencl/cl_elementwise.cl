// Exercise 7.1: an elementwise OpenCL kernel (see clkernels.py for the unit).
//
// out[i] = a * x[i] + b * y[i] for i < n: one work-item per element. The host rounds the global
// size up to a multiple of the work-group size (64), so work-items with i >= n exist too: they
// must write nothing (the buffers are longer than n, and the tests look past the end).

__kernel void axpby(const float a, __global const float *x, const float b,
                    __global const float *y, __global float *out, const int n)
{
    // BEGIN SOLUTION 7.1: one element per work-item (get_global_id); work-items at or past n return at once
    const int i = get_global_id(0);
    if (i >= n) return;     // a work-item of the rounded-up range, past the end
    out[i] = a * x[i] + b * y[i];
    // END SOLUTION
}
