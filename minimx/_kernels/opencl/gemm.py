"""GEMM tiled in local memory with register blocking: dot, batch_dot, FullyConnected.

``C[b] = A[b] @ B[b] (+ bias)`` for row-major ``C`` (M x N). A and B are read through element
strides (``A[i, k] = A[ao + b*abs + i*asi + k*ask]``), so transposes and FullyConnected's
``x @ w.T`` cost nothing. A work-group computes a TM x TN tile of C, walking K in steps of TK:
it stages the A and B tiles in local memory (zero-padded at the edges, so any M, N, K works), then
each work item accumulates an RM x RN block in registers. The tile sizes are compile-time macros
(``MINIMX_OPENCL_GEMM=TM,TN,TK,RM,RN``, default 64,64,16,4,4) so a device can be tuned.
"""
import os

import numpy as np

from .elemwise import _PREAMBLE, ctype, floats

__all__ = ["KERNELS", "gemm"]

_SRC = _PREAMBLE + """
#define WX (TN / RN)
#define WY (TM / RM)
#define NT (WX * WY)
__kernel __attribute__((reqd_work_group_size(WX, WY, 1)))
void gemm(__global T* C, long co, __global const T* A, long ao, long asi, long ask, long abs_,
          __global const T* B, long bo, long bsk, long bsj, long bbs,
          __global const T* bias, long biaso, int has_bias, int M, int N, int K,
          int A_K_FAST, int B_J_FAST) {
  const int tx = get_local_id(0), ty = get_local_id(1), tid = ty * WX + tx;
  const int i0 = get_group_id(1) * TM, j0 = get_group_id(0) * TN;
  const long batch = get_group_id(2);
  A += ao + batch * abs_;
  B += bo + batch * bbs;
  C += co + batch * (long)M * N;
  __local T As[TK][TM + 1];
  __local T Bs[TK][TN + 1];
  T acc[RM][RN];
  for (int r = 0; r < RM; r++) for (int c = 0; c < RN; c++) acc[r][c] = 0;
  for (int k0 = 0; k0 < K; k0 += TK) {
    for (int l = tid; l < TM * TK; l += NT) {
      /* consecutive items walk A's contiguous axis: k when A is row-major, i when transposed
         (a uniform branch: one kernel serves every layout) */
      int r = A_K_FAST ? l / TK : l % TM, c = A_K_FAST ? l % TK : l / TM;
      int gi = i0 + r, gk = k0 + c;
      As[c][r] = (gi < M && gk < K) ? A[gi * asi + gk * ask] : (T)0;
    }
    for (int l = tid; l < TN * TK; l += NT) {
      int c = B_J_FAST ? l / TN : l % TK, j = B_J_FAST ? l % TN : l / TK;
      int gj = j0 + j, gk = k0 + c;
      Bs[c][j] = (gj < N && gk < K) ? B[gk * bsk + gj * bsj] : (T)0;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int kk = 0; kk < TK; kk++) {
      T a[RM], b[RN];
      for (int r = 0; r < RM; r++) a[r] = As[kk][ty + r * WY];
      for (int c = 0; c < RN; c++) b[c] = Bs[kk][tx + c * WX];
      for (int r = 0; r < RM; r++) for (int c = 0; c < RN; c++) acc[r][c] = mad(a[r], b[c], acc[r][c]);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  for (int r = 0; r < RM; r++) {
    int i = i0 + ty + r * WY;
    if (i >= M) continue;
    for (int c = 0; c < RN; c++) {
      int j = j0 + tx + c * WX;
      if (j < N) C[(long)i * N + j] = acc[r][c] + (has_bias ? bias[biaso + j] : (T)0);
    }
  }
}
"""


def _config():
    spec = os.environ.get("MINIMX_OPENCL_GEMM", "64,64,16,4,4")
    return tuple(int(v) for v in spec.split(","))


def gemm(out, a, a_strides, b, b_strides, M, N, K, batch=1, bias=None):
    """Enqueue ``out = a @ b (+ bias)``; ``a_strides = (offset, si, sk, sbatch)``, ``b_strides =
    (offset, sk, sj, sbatch)`` in elements."""
    dev = out.dev
    if M == 0 or N == 0 or batch == 0:
        return
    tm, tn, tk, rm, rn = _config()
    opts = [f"-DT={ctype(out.dtype)}", f"-DTM={tm}", f"-DTN={tn}", f"-DTK={tk}", f"-DRM={rm}",
            f"-DRN={rn}"]
    k = dev.kernel(_SRC, "gemm", tuple(opts))
    wx, wy = tn // rn, tm // rm
    gsize = (-(-N // tn) * wx, -(-M // tm) * wy, batch)
    bias_buf, bias_off = (bias.buf, bias.offset) if bias is not None else (out.buf, 0)
    ao, asi, ask, abs_ = a_strides
    bo, bsk, bsj, bbs = b_strides
    dev.launch(k, gsize, (wx, wy, 1), out.buf, np.int64(out.offset),
               a.buf, np.int64(a.offset + ao), np.int64(asi), np.int64(ask), np.int64(abs_),
               b.buf, np.int64(b.offset + bo), np.int64(bsk), np.int64(bsj), np.int64(bbs),
               bias_buf, np.int64(bias_off), np.int32(bias is not None),
               np.int32(M), np.int32(N), np.int32(K),
               np.int32(a_strides[2] == 1), np.int32(b_strides[2] == 1))


def _rows(shape, split):
    r = 1
    for s in shape[:split]:
        r *= s
    c = 1
    for s in shape[split:]:
        c *= s
    return r, c


def dot(ins, outs, attrs):
    lhs, rhs = ins
    out = outs[0]
    if not floats(out.dev, lhs, rhs, out):
        return NotImplemented
    if attrs["transpose_a"]:
        k, m = _rows(lhs.shape, 1)
        a_st = (0, 1, m, 0)
    else:
        m, k = _rows(lhs.shape, lhs.ndim - 1)
        a_st = (0, k, 1, 0)
    if attrs["transpose_b"]:
        n, k2 = _rows(rhs.shape, rhs.ndim - 1)
        b_st = (0, 1, k2, 0)
    else:
        k2, n = _rows(rhs.shape, 1)
        b_st = (0, n, 1, 0)
    gemm(out, lhs, a_st, rhs, b_st, m, n, k)
    return None


def batch_dot(ins, outs, attrs):
    lhs, rhs = ins
    out = outs[0]
    if not floats(out.dev, lhs, rhs, out):
        return NotImplemented
    batch = 1
    for s in out.shape[:-2]:
        batch *= s
    p, q = lhs.shape[-2:]
    u, v = rhs.shape[-2:]
    m, a_st, k = (q, (0, 1, q, p * q), p) if attrs["transpose_a"] else (p, (0, q, 1, p * q), q)
    n, b_st = (u, (0, 1, v, u * v)) if attrs["transpose_b"] else (v, (0, v, 1, u * v))
    gemm(out, lhs, a_st, rhs, b_st, m, n, k, batch)
    return None


def fully_connected(ins, outs, attrs):
    data, weight = ins[0], ins[1]
    out = outs[0]
    bias = None if attrs["no_bias"] else ins[2]
    if not floats(out.dev, *ins, out):
        return NotImplemented
    m, k = _rows(data.shape, 1) if attrs["flatten"] else _rows(data.shape, data.ndim - 1)
    n = weight.shape[0]
    gemm(out, data, (0, k, 1, 0), weight, (0, 1, k, 0), m, n, k, bias=bias)
    return None


KERNELS = {"dot": dot, "batch_dot": batch_dot, "FullyConnected": fully_connected}
