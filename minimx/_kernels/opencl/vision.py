"""Vision kernels on the device: GridGenerator, BilinearSampler (and its backward),
SpatialTransformer, ROIPooling and Correlation (and their backward passes).

Coordinates and weights are computed in ``A`` (double where the device has fp64, as the CPU
kernels compute in float64) and stored in the element type ``T``. The scatters of the backward
passes have no float atomics to lean on, so each work item owns a disjoint slice of the result:
BilinearSampler's and Correlation's data gradients one (image, channel) plane, ROIPooling's one
channel; each walks its contributions in the CPU kernel's order. All kernels are ONE program per dtype.
"""
import numpy as np

from .elemwise import _PREAMBLE, ctype, floats, launch_1d

__all__ = ["KERNELS"]

_SRC = _PREAMBLE + """
#pragma OPENCL FP_CONTRACT OFF
/* target grid: mode 0 affine (3, H*W) rows x, y, 1; mode 1 warp (2, H, W) pixel x, y */
__kernel void grid_dst(__global T* g, long go, long H, long W, int mode) {
  long p = get_global_id(0), hw = H * W;
  if (p >= (mode ? 2 : 3) * hw) return;
  long k = p / hw, j = p % hw;
  A v;
  if (mode) v = k == 0 ? (A)(j % W) : (A)(j / W);
  else v = k == 0 ? (A)-1 + (A)(j % W) * (A)2 / (A)(W - 1)
         : k == 1 ? (A)-1 + (A)(j / W) * (A)2 / (A)(H - 1) : (A)1;
  g[go + p] = (T)v;
}
A affine_pt(__global const T* th, long j, long H, long W, int r) {
  A x = (A)-1 + (A)(j % W) * (A)2 / (A)(W - 1), y = (A)-1 + (A)(j / W) * (A)2 / (A)(H - 1);
  return (A)th[3 * r] * x + (A)th[3 * r + 1] * y + (A)th[3 * r + 2];
}
/* out (N, 2, H*W) = theta[n] (2x3) @ (x, y, 1) */
__kernel void affine_grid(__global T* out, long oo, __global const T* th, long to, long H, long W,
                          long total) {
  long p = get_global_id(0);
  if (p >= total) return;
  long hw = H * W, n = p / (2 * hw), r = (p / hw) % 2;
  out[oo + p] = (T)affine_pt(th + to + n * 6, p % hw, H, W, (int)r);
}
/* out = (flow + pixel) / ((size - 1) / 2) - 1 */
__kernel void warp_grid(__global T* out, long oo, __global const T* f, long fo, long H, long W,
                        long total) {
  long p = get_global_id(0);
  if (p >= total) return;
  long hw = H * W, c = (p / hw) % 2, j = p % hw;
  A g = c == 0 ? (A)(j % W) : (A)(j / W);
  A hs = c == 0 ? (A)(W - 1) / (A)2 : (A)(H - 1) / (A)2;
  out[oo + p] = (T)(((A)f[fo + p] + g) / hs - (A)1);
}
/* bilinear sample of one plane at normalised (gx, gy); outside neighbours read 0 */
A sample(__global const T* d, long H, long W, A gx, A gy) {
  A x = (gx + 1) * (A)(W - 1) / (A)2, y = (gy + 1) * (A)(H - 1) / (A)2;
  A x0 = floor(x), y0 = floor(y);
  long l = (long)x0, t = (long)y0;
  A wx = 1 - (x - x0), wy = 1 - (y - y0), acc = 0;
  for (int dy = 0; dy < 2; dy++) for (int dx = 0; dx < 2; dx++) {
    long yy = t + dy, xx = l + dx;
    A w = (dy ? 1 - wy : wy) * (dx ? 1 - wx : wx);
    A v = (yy >= 0 && yy < H && xx >= 0 && xx < W) ? (A)d[yy * W + xx] : (A)0;
    acc = acc + v * w;
  }
  return acc;
}
/* out (N, C, h, w); grid (N, 2, h, w) (mode 0) or theta (N, 6) (mode 1: affine on the fly) */
__kernel void sampler(__global T* out, long oo, __global const T* d, long dof, __global const T* g,
                      long gof, long C, long H, long W, long h, long w, int mode, long total) {
  long p = get_global_id(0);
  if (p >= total) return;
  long hw = h * w, j = p % hw, c = (p / hw) % C, n = p / (C * hw);
  A gx, gy;
  if (mode) {
    gx = affine_pt(g + gof + n * 6, j, h, w, 0);
    gy = affine_pt(g + gof + n * 6, j, h, w, 1);
  } else {
    gx = (A)g[gof + n * 2 * hw + j];
    gy = (A)g[gof + n * 2 * hw + hw + j];
  }
  out[oo + p] = (T)sample(d + dof + (n * C + c) * H * W, H, W, gx, gy);
}
/* one work item per (n, c) plane of grad_data: zero it, then add weight * out_grad per point */
__kernel void bs_grad_data(__global T* gd, long gdo, __global const T* og, long ogo,
                           __global const T* g, long gof, long N, long C, long H, long W, long h,
                           long w) {
  long p = get_global_id(0);
  if (p >= N * C) return;
  long n = p / C, hw = h * w;
  __global T* plane = gd + gdo + p * H * W;
  for (long i = 0; i < H * W; i++) plane[i] = 0;
  for (long j = 0; j < hw; j++) {
    A x = ((A)g[gof + n * 2 * hw + j] + 1) * (A)(W - 1) / (A)2;
    A y = ((A)g[gof + n * 2 * hw + hw + j] + 1) * (A)(H - 1) / (A)2;
    A x0 = floor(x), y0 = floor(y), wx = 1 - (x - x0), wy = 1 - (y - y0);
    long l = (long)x0, t = (long)y0;
    A o = (A)og[ogo + p * hw + j];
    for (int dy = 0; dy < 2; dy++) for (int dx = 0; dx < 2; dx++) {
      long yy = t + dy, xx = l + dx;
      if (yy >= 0 && yy < H && xx >= 0 && xx < W)
        plane[yy * W + xx] = (T)((A)plane[yy * W + xx] + o * (dy ? 1 - wy : wy) * (dx ? 1 - wx : wx));
    }
  }
}
/* one work item per (n, point): the grid gradient, summed over channels */
__kernel void bs_grad_grid(__global T* gg, long ggo, __global const T* og, long ogo,
                           __global const T* d, long dof, __global const T* g, long gof, long N,
                           long C, long H, long W, long h, long w) {
  long p = get_global_id(0), hw = h * w;
  if (p >= N * hw) return;
  long n = p / hw, j = p % hw;
  A x = ((A)g[gof + n * 2 * hw + j] + 1) * (A)(W - 1) / (A)2;
  A y = ((A)g[gof + n * 2 * hw + hw + j] + 1) * (A)(H - 1) / (A)2;
  A x0 = floor(x), y0 = floor(y), wx = 1 - (x - x0), wy = 1 - (y - y0), gx = 0, gy = 0;
  long l = (long)x0, t = (long)y0;
  for (int dy = 0; dy < 2; dy++) for (int dx = 0; dx < 2; dx++) {
    long yy = t + dy, xx = l + dx;
    int in = yy >= 0 && yy < H && xx >= 0 && xx < W;
    A dot = 0;
    for (long c = 0; c < C; c++)
      dot += (A)og[ogo + (n * C + c) * hw + j] * (in ? (A)d[dof + ((n * C + c) * H + yy) * W + xx] : (A)0);
    A fy = dy ? 1 - wy : wy, fx = dx ? 1 - wx : wx;
    gx += dot * (fy * (dx ? 1 : -1));
    gy += dot * ((dy ? 1 : -1) * fx);
  }
  gg[ggo + n * 2 * hw + j] = (T)(gx * (A)(W - 1) / (A)2);
  gg[ggo + n * 2 * hw + hw + j] = (T)(gy * (A)(H - 1) / (A)2);
}
long round_away(T v) { A a = (A)v; return (long)(a < 0 ? -floor(-a + (A)0.5) : floor(a + (A)0.5)); }
/* one work item per (roi, channel, cell) */
__kernel void roi_pool(__global T* out, long oo, __global int* am, long amo, __global const T* d,
                       long dof, __global const T* rois, long ro, long B, long C, long H, long W,
                       long PH, long PW, T scale, long total) {
  long p = get_global_id(0);
  if (p >= total) return;
  long pw = p % PW, ph = (p / PW) % PH, c = (p / (PW * PH)) % C, r = p / (PW * PH * C);
  __global const T* roi = rois + ro + r * 5;
  long b = (long)roi[0];
  out[oo + p] = 0; am[amo + p] = -1;
  if (b < 0 || b >= B) return;
  long sw = round_away(roi[1] * scale), sh = round_away(roi[2] * scale);
  long ew = round_away(roi[3] * scale), eh = round_away(roi[4] * scale);
  T bh = (T)max(eh - sh + 1, 1L) / (T)PH, bw = (T)max(ew - sw + 1, 1L) / (T)PW;
  long h0 = clamp((long)floor((T)ph * bh) + sh, 0L, H);
  long h1 = clamp((long)ceil((T)(ph + 1) * bh) + sh, 0L, H);
  long w0 = clamp((long)floor((T)pw * bw) + sw, 0L, W);
  long w1 = clamp((long)ceil((T)(pw + 1) * bw) + sw, 0L, W);
  if (h1 <= h0 || w1 <= w0) return;
  __global const T* plane = d + dof + (b * C + c) * H * W;
  T best = -INFINITY;
  long k = h0 * W + w0;
  int first = 1;
  for (long y = h0; y < h1; y++) for (long x = w0; x < w1; x++) {
    T v = plane[y * W + x];
    if (v != v) v = -INFINITY;
    if (first || v > best) { best = v; k = y * W + x; first = 0; }
  }
  T lowest = (T)(-FLT_MAX);
  int found = best > lowest;
  out[oo + p] = found ? best : lowest;
  am[amo + p] = found ? (int)((b * C + c) * H * W + k) : -1;
}
/* one work item per channel: zero its planes, add each cell's gradient at its argmax */
__kernel void roi_grad(__global T* gd, long gdo, __global const T* og, long ogo,
                       __global const int* am, long amo, long B, long C, long HW, long cells) {
  long c = get_global_id(0);
  if (c >= C) return;
  for (long b = 0; b < B; b++) for (long i = 0; i < HW; i++) gd[gdo + (b * C + c) * HW + i] = 0;
  for (long q = 0; q < cells; q++) {
    long idx = am[amo + q];
    if (idx >= 0 && idx < B * C * HW && (idx / HW) % C == c) gd[gdo + idx] += og[ogo + q];
  }
}
/* Correlation: the geometry arguments of both kernels */
#define CORR_PARAMS long C, long H, long W, long TC, long TH, long TW, long K, long disp, \
  long s1, long s2, long pad, int mul
A at(__global const T* plane, long y, long x, long H, long W) {
  return (y >= 0 && y < H && x >= 0 && x < W) ? (A)plane[y * W + x] : (A)0;
}
/* one work item per output element (n, tc, i, j) */
__kernel void corr(__global T* out, long oo, __global const T* d1, long o1, __global const T* d2,
                   long o2, CORR_PARAMS, long total) {
  long p = get_global_id(0);
  if (p >= total) return;
  long j = p % TW, i = (p / TW) % TH, tc = (p / (TW * TH)) % TC, n = p / (TW * TH * TC);
  long radius = disp / s2, grid = 2 * radius + 1;
  long dx = (tc % grid - radius) * s2, dy = (tc / grid - radius) * s2;
  A acc = 0;
  for (long h = 0; h < K; h++) for (long w = 0; w < K; w++) {
    long y = disp + h + i * s1 - pad, x = disp + w + j * s1 - pad;
    A s = 0;
    for (long c = 0; c < C; c++) {
      A a = at(d1 + o1 + (n * C + c) * H * W, y, x, H, W);
      A b = at(d2 + o2 + (n * C + c) * H * W, y + dy, x + dx, H, W);
      s += mul ? a * b : fabs(a - b);
    }
    acc += s;
  }
  out[oo + p] = (T)(acc / (A)(K * K * C));
}
/* one work item per (n, c) plane of both gradients, walking the forward's loops */
__kernel void corr_grad(__global T* g1, long go1, __global T* g2, long go2, __global const T* og,
                        long oog, __global const T* d1, long o1, __global const T* d2, long o2,
                        long N, CORR_PARAMS) {
  long q = get_global_id(0);
  if (q >= N * C) return;
  long n = q / C, hw = H * W;
  __global const T* p1 = d1 + o1 + q * hw;
  __global const T* p2 = d2 + o2 + q * hw;
  g1 += go1 + q * hw; g2 += go2 + q * hw;
  for (long k = 0; k < hw; k++) { g1[k] = 0; g2[k] = 0; }
  long radius = disp / s2, grid = 2 * radius + 1;
  A norm = (A)(K * K * C);
  for (long tc = 0; tc < TC; tc++) {
    long dx = (tc % grid - radius) * s2, dy = (tc / grid - radius) * s2;
    for (long h = 0; h < K; h++) for (long w = 0; w < K; w++)
      for (long i = 0; i < TH; i++) for (long j = 0; j < TW; j++) {
        long y = disp + h + i * s1 - pad, x = disp + w + j * s1 - pad;
        long y2 = y + dy, x2 = x + dx;
        A g = (A)og[oog + ((n * TC + tc) * TH + i) * TW + j] / norm;
        A a = at(p1, y, x, H, W), b = at(p2, y2, x2, H, W);
        A u = mul ? g * b : g * (A)((a > b) - (a < b));
        A v = mul ? g * a : -g * (A)((a > b) - (a < b));
        if (y >= 0 && y < H && x >= 0 && x < W) g1[y * W + x] = (T)((A)g1[y * W + x] + u);
        if (y2 >= 0 && y2 < H && x2 >= 0 && x2 < W) g2[y2 * W + x2] = (T)((A)g2[y2 * W + x2] + v);
      }
  }
}
"""


def _k(dev, name, dtype):
    acc = "double" if dev.fp64 else "float"
    return dev.kernel(_SRC, name, (f"-DT={ctype(dtype)}", f"-DA={acc}"))


def _i(v):
    return np.int64(v)


def grid_generator(ins, outs, attrs):
    data = ins[0]
    out, dst = outs
    dev = out.dev
    if not floats(dev, data, out, dst):
        return NotImplemented
    affine = attrs["transform_type"] == "affine"
    h, w = attrs["target_shape"] if affine else data.shape[2:]
    launch_1d(dev, _k(dev, "grid_dst", out.dtype), dst.size, dst.buf, _i(dst.offset), _i(h), _i(w),
              np.int32(0 if affine else 1))
    name = "affine_grid" if affine else "warp_grid"
    launch_1d(dev, _k(dev, name, out.dtype), out.size, out.buf, _i(out.offset), data.buf,
              _i(data.offset), _i(h), _i(w), _i(out.size))
    return None


def _sample(out, data, grid, mode):
    dev = out.dev
    (c, hh, ww), (h, w) = data.shape[1:], out.shape[2:]
    launch_1d(dev, _k(dev, "sampler", out.dtype), out.size, out.buf, _i(out.offset), data.buf,
              _i(data.offset), grid.buf, _i(grid.offset), _i(c), _i(hh), _i(ww), _i(h), _i(w),
              np.int32(mode), _i(out.size))


def bilinear_sampler(ins, outs, attrs):
    data, grid = ins
    out = outs[0]
    if not floats(out.dev, data, grid, out):
        return NotImplemented
    _sample(out, data, grid, 0)
    return None


def spatial_transformer(ins, outs, attrs):
    data, loc = ins
    out, dst, src = outs
    dev = out.dev
    if not floats(dev, data, loc, *outs):
        return NotImplemented
    h, w = attrs["target_shape"]
    launch_1d(dev, _k(dev, "grid_dst", out.dtype), dst.size, dst.buf, _i(dst.offset), _i(h), _i(w),
              np.int32(0))
    launch_1d(dev, _k(dev, "affine_grid", out.dtype), src.size, src.buf, _i(src.offset), loc.buf,
              _i(loc.offset), _i(h), _i(w), _i(src.size))
    _sample(out, data, loc, 1)     # the grid again in A precision, as the CPU kernel samples it
    return None


def backward_bilinear_sampler(ins, outs, attrs):
    og, data, grid = ins
    gd, gg = outs
    dev = gd.dev
    if not floats(dev, *ins, *outs):
        return NotImplemented
    n, c, hh, ww = data.shape
    h, w = og.shape[2:]
    dims = (_i(n), _i(c), _i(hh), _i(ww), _i(h), _i(w))
    launch_1d(dev, _k(dev, "bs_grad_data", gd.dtype), n * c, gd.buf, _i(gd.offset), og.buf,
              _i(og.offset), grid.buf, _i(grid.offset), *dims)
    launch_1d(dev, _k(dev, "bs_grad_grid", gd.dtype), n * h * w, gg.buf, _i(gg.offset), og.buf,
              _i(og.offset), data.buf, _i(data.offset), grid.buf, _i(grid.offset), *dims)
    return None


def roi_pooling(ins, outs, attrs):
    data, rois = ins
    out, am = outs
    dev = out.dev
    if not floats(dev, data, rois, out) or am.dtype != np.int32:
        return NotImplemented
    b, c, hh, ww = data.shape
    ph, pw = out.shape[2:]
    # MXNet scales in the data's dtype by a float32 scale
    scale = np.asarray(np.float32(attrs["spatial_scale"])).astype(data.dtype)[()]
    launch_1d(dev, _k(dev, "roi_pool", out.dtype), out.size, out.buf, _i(out.offset), am.buf,
              _i(am.offset), data.buf, _i(data.offset), rois.buf, _i(rois.offset), _i(b), _i(c),
              _i(hh), _i(ww), _i(ph), _i(pw), scale, _i(out.size))
    return None


def backward_roi_pooling(ins, outs, attrs):
    og, am, data = ins
    gd = outs[0]
    dev = gd.dev
    if not floats(dev, og, gd) or am.dtype != np.int32:
        return NotImplemented
    b, c, hh, ww = gd.shape
    launch_1d(dev, _k(dev, "roi_grad", gd.dtype), c, gd.buf, _i(gd.offset), og.buf, _i(og.offset),
              am.buf, _i(am.offset), _i(b), _i(c), _i(hh * ww), _i(og.size))
    return None


def _corr_geometry(data, out, attrs):
    n, c, h, w = data.shape
    tc, th, tw = out.shape[1:]
    return (_i(c), _i(h), _i(w), _i(tc), _i(th), _i(tw), _i(attrs["kernel_size"]),
            _i(attrs["max_displacement"]), _i(attrs["stride1"]), _i(attrs["stride2"]),
            _i(attrs["pad_size"]), np.int32(bool(attrs["is_multiply"])))


def correlation(ins, outs, attrs):
    d1, d2 = ins
    out = outs[0]
    dev = out.dev
    if not floats(dev, d1, d2, out):
        return NotImplemented
    launch_1d(dev, _k(dev, "corr", out.dtype), out.size, out.buf, _i(out.offset), d1.buf,
              _i(d1.offset), d2.buf, _i(d2.offset), *_corr_geometry(d1, out, attrs), _i(out.size))
    return None


def backward_correlation(ins, outs, attrs):
    og, d1, d2 = ins
    g1, g2 = outs
    dev = g1.dev
    if not floats(dev, *ins, *outs):
        return NotImplemented
    n, c = d1.shape[:2]
    launch_1d(dev, _k(dev, "corr_grad", g1.dtype), n * c, g1.buf, _i(g1.offset), g2.buf,
              _i(g2.offset), og.buf, _i(og.offset), d1.buf, _i(d1.offset), d2.buf, _i(d2.offset),
              _i(n), *_corr_geometry(d1, og, attrs))
    return None


KERNELS = {
    "GridGenerator": grid_generator, "BilinearSampler": bilinear_sampler,
    "SpatialTransformer": spatial_transformer,
    "_backward_BilinearSampler": backward_bilinear_sampler,
    "ROIPooling": roi_pooling, "_backward_ROIPooling": backward_roi_pooling,
    "Correlation": correlation, "_backward_Correlation": backward_correlation,
}
