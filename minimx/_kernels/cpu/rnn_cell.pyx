"""Cython kernels of one recurrent step's pointwise work: the gates of LSTM, GRU and plain RNN cells.

``rnn.py`` runs a recurrent layer as one GEMM for the inputs of all steps, then per step one GEMM
``hp = h @ W_h.T`` and one call here. The naive step (numpy, ``_kernels/reference/rnn.py``) makes a
dozen temporaries per step (split, sigmoid through tanh, concatenate); here each element of the
batch x hidden grid is read once and every result is written straight into its preallocated slice:
the new state, the activations the backward needs (when asked for), the gate gradients into the
step's slice of ``dxp``.

The naive loop of the LSTM forward, for each batch row ``b`` and unit ``j`` (gates ``i, f, g, o``
stacked in MXNet's order, ``a_k = xp[b, kH + j] + (hp[b, kH + j] + bh[kH + j])``)::

    c' = s(a_f) c + s(a_i) tanh(a_g);  c' = clip(c', lo, hi);  h = s(a_o) tanh(c')

GRU (``r, z, n``): ``n = tanh(x_n + r (h_n + b_n))``, ``h' = (1 - z) n + z h``; RNN: ``h' = act(a)``.
Each backward kernel is the chain rule of its forward for one step; the incoming gradient is the sum
``d_a + (d_b + d_c)`` of up to three buffers (dy[t], the recurrent GEMM's ``dh``, GRU's direct
``z * dh``) so that no separate add is needed.

Optimisations: (1) each row is a few simple loops (gates, then state, then output) that GCC
vectorises, with float32 exp/tanh written branch-free for that (below); libm's scalar calls made
the kernel slower than numpy. (2) Above ``threads_for``'s threshold (batch x gates elements) the
batch rows are split over OpenMP threads with ``prange``; each row is independent. The bench LSTM
(32 x 1024 gates) stays on one thread: a fork/join would cost more than the row loop.

Arrays must be C-contiguous and of one dtype (float32 or float64, the fused ``real``); ``rnn.py``
checks its inputs and falls back to the numpy reference for everything else. An optional array
is passed as None.
"""
cimport numpy as cnp
from cython.parallel cimport prange
from libc.math cimport exp, tanh

from minimx._kernels.cpu.elemwise cimport real, threads_for

cnp.import_array()

__all__ = ["lstm_forward", "lstm_backward", "gru_forward", "gru_backward", "rnn_forward",
           "rnn_backward"]


# -- vectorisable float32 exp and tanh ------------------------------------------------------------
# libm's tanhf/expf are scalar calls (~10 ns each, 5 per LSTM unit): with them this kernel was
# slower than numpy's SIMD loops. These are branch-free (selects on the bit patterns: GCC will not
# if-convert a ?: whose arm does float math, as float ops may trap), so GCC vectorises the gate
# loops around them. exp: x = n ln2 + r (|r| <= ln2/2, ln2 split in two so n ln2 is exact),
# exp(r) by its Taylor polynomial (error < 1 ulp), 2^n built in the exponent bits from the
# rounding constant's low bits. tanh = e / (e + 2) with e = expm1(2|x|), by its Taylor polynomial
# below ln2/2 (no cancellation). float64 keeps libm (GCC does not vectorise the 64-bit selects
# with SSE2, and float64 is not the fast path).
cdef extern from *:
    """
    #include <math.h>
    #include <stdint.h>
    #include <string.h>
    static inline float mxr_self(int c, float a, float b) {   /* c ? a : b, as GCC vectorises */
        uint32_t ia, ib, m = -(uint32_t)c;
        memcpy(&ia, &a, 4); memcpy(&ib, &b, 4);
        ia = (ia & m) | (ib & ~m);
        memcpy(&a, &ia, 4);
        return a;
    }
    static inline float mxr_expf(float x) {
        x = mxr_self(x < -87.0f, -87.0f, x);
        x = mxr_self(x > 88.0f, 88.0f, x);
        float t = x * 1.44269504088896341f + 12582912.0f;    /* 1.5 * 2^23: rounds to integer */
        float n = t - 12582912.0f;
        float r = x - n * 0.693359375f;
        r = r - n * -2.12194440e-4f;
        float p = 1.98412698e-4f;
        p = p * r + 1.38888889e-3f; p = p * r + 8.33333333e-3f; p = p * r + 4.16666667e-2f;
        p = p * r + 1.66666667e-1f; p = p * r + 0.5f; p = p * r + 1.0f; p = p * r + 1.0f;
        uint32_t b; memcpy(&b, &t, 4);
        b = (b + 127u) << 23;                      /* low bits of t hold n */
        float s; memcpy(&s, &b, 4);
        return p * s;
    }
    static inline float mxr_tanhf(float x) {
        float y = 2.0f * fabsf(x);
        float q = 2.48015873e-5f;                  /* expm1(y) / y for y < ln2/2 */
        q = q * y + 1.98412698e-4f; q = q * y + 1.38888889e-3f; q = q * y + 8.33333333e-3f;
        q = q * y + 4.16666667e-2f; q = q * y + 1.66666667e-1f; q = q * y + 0.5f;
        q = q * y + 1.0f;
        float e = mxr_self(y < 0.34657359f, q * y, mxr_expf(y) - 1.0f);
        return copysignf(e / (e + 2.0f), x);
    }
    """
    float mxr_expf(float x) nogil
    float mxr_tanhf(float x) nogil


cdef inline real _tanh(real x) noexcept nogil:
    if real is float:
        return mxr_tanhf(x)
    else:
        return tanh(x)


cdef inline real _sigmoid(real x) noexcept nogil:
    cdef real one = 1
    if real is float:
        return one / (one + mxr_expf(-x))     # exp clamps: ~0 below -87, never inf
    else:
        return one / (one + exp(-x))          # exp(745+) = inf gives 0: no trap in C


# -- one batch row of each kernel (simple loops: GCC vectorises each) ------------------------------
cdef void _lstm_fwd_row(const real* xp, const real* hp, const real* bh, const real* c_in,
                        real* c_out, real* h, real* act, real* tc, real* craw, Py_ssize_t n,
                        bint clip, real lo, real hi) noexcept nogil:
    # act (s(i), s(f), tanh(g), s(o)) and tc are always written: scratch when not kept.
    cdef Py_ssize_t j
    cdef real cn
    for j in range(2 * n):
        act[j] = _sigmoid(xp[j] + (hp[j] + bh[j]))
    for j in range(2 * n, 3 * n):
        act[j] = _tanh(xp[j] + (hp[j] + bh[j]))
    for j in range(3 * n, 4 * n):
        act[j] = _sigmoid(xp[j] + (hp[j] + bh[j]))
    for j in range(n):
        c_out[j] = act[n + j] * c_in[j] + act[j] * act[2 * n + j]
    if craw != NULL:
        for j in range(n):
            craw[j] = c_out[j]
    if clip:
        for j in range(n):                    # NaN stays NaN, as np.clip
            cn = c_out[j]
            cn = lo if cn < lo else cn
            c_out[j] = hi if cn > hi else cn
    for j in range(n):
        tc[j] = _tanh(c_out[j])
    for j in range(n):
        h[j] = act[3 * n + j] * tc[j]


cdef void _lstm_bwd_row(const real* d_a, const real* d_b, real* dc, const real* act,
                        const real* c_prev, const real* tc, const real* craw, real* dxp,
                        Py_ssize_t n, bint clip, real lo, real hi) noexcept nogil:
    # dxp's o slice holds the incoming gradient of h first (read back below).
    cdef Py_ssize_t j
    cdef real one = 1
    cdef real dn, si, sf, tg, so, t, dcn
    if d_b != NULL:
        for j in range(n):
            dxp[3 * n + j] = d_a[j] + d_b[j]
    else:
        for j in range(n):
            dxp[3 * n + j] = d_a[j]
    for j in range(n):
        t = tc[j]
        dc[j] = dc[j] + dxp[3 * n + j] * act[3 * n + j] * (one - t * t)
    if clip:                                   # no gradient through a clipped state
        for j in range(n):
            dc[j] = dc[j] * <real>((craw[j] >= lo) & (craw[j] <= hi))
    for j in range(n):
        dn, dcn = dxp[3 * n + j], dc[j]
        si, sf, tg, so = act[j], act[n + j], act[2 * n + j], act[3 * n + j]
        t = tc[j]
        dxp[j] = dcn * tg * si * (one - si)
        dxp[n + j] = dcn * c_prev[j] * sf * (one - sf)
        dxp[2 * n + j] = dcn * si * (one - tg * tg)
        dxp[3 * n + j] = dn * t * so * (one - so)
        dc[j] = dcn * sf


cdef void _gru_fwd_row(const real* xp, const real* hp, const real* bh, const real* h_prev,
                       real* h, real* act, real* hn, Py_ssize_t n) noexcept nogil:
    # act (r, z, n) and hn (h_n + b_n) are always written: scratch when not kept.
    cdef Py_ssize_t j
    cdef real one = 1
    cdef real z
    for j in range(2 * n):
        act[j] = _sigmoid(xp[j] + (hp[j] + bh[j]))
    for j in range(n):
        hn[j] = hp[2 * n + j] + bh[2 * n + j]
    for j in range(n):
        act[2 * n + j] = _tanh(xp[2 * n + j] + act[j] * hn[j])
    for j in range(n):
        z = act[n + j]
        h[j] = (one - z) * act[2 * n + j] + z * h_prev[j]


cdef void _gru_bwd_row(const real* d_a, const real* d_b, const real* d_c, const real* h_prev,
                       const real* act, const real* hn, real* dxp, real* dhp, real* ddir,
                       Py_ssize_t n) noexcept nogil:
    # ddir holds the incoming gradient of h first; it may also be d_c (same element, read first).
    cdef Py_ssize_t j
    cdef real one = 1
    cdef real dn, r, z, g, dz, dan, dr
    if d_c != NULL:
        for j in range(n):
            ddir[j] = d_a[j] + (d_b[j] + d_c[j])
    elif d_b != NULL:
        for j in range(n):
            ddir[j] = d_a[j] + d_b[j]
    else:
        for j in range(n):
            ddir[j] = d_a[j]
    for j in range(n):
        dn = ddir[j]
        r, z, g = act[j], act[n + j], act[2 * n + j]
        dz = dn * (h_prev[j] - g) * z * (one - z)
        dan = dn * (one - z) * (one - g * g)
        dr = dan * hn[j] * r * (one - r)
        dxp[j], dxp[n + j], dxp[2 * n + j] = dr, dz, dan
        dhp[j], dhp[n + j], dhp[2 * n + j] = dr, dz, dan * r
        ddir[j] = dn * z


cdef void _rnn_fwd_row(bint relu, const real* xp, const real* hp, const real* bh, real* h,
                       Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t j
    cdef real a, zero = 0
    if relu:
        for j in range(n):
            a = xp[j] + (hp[j] + bh[j])
            h[j] = a if (a > zero) | (a != a) else zero     # NaN passes, as np.maximum
    else:
        for j in range(n):
            h[j] = _tanh(xp[j] + (hp[j] + bh[j]))


cdef void _rnn_bwd_row(bint relu, const real* d_a, const real* d_b, const real* y, real* dxp,
                       Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t j
    cdef real one = 1, zero = 0
    if d_b != NULL:
        for j in range(n):
            dxp[j] = d_a[j] + d_b[j]
    else:
        for j in range(n):
            dxp[j] = d_a[j]
    if relu:                                   # y > 0 exactly where the pre-activation was
        for j in range(n):
            dxp[j] = dxp[j] * (one if y[j] > zero else zero)
    else:
        for j in range(n):
            dxp[j] = dxp[j] * (one - y[j] * y[j])


# -- the batch loops: prange over rows (nt = 1 runs them on the calling thread) --------------------
cdef inline real* _at(real* p, Py_ssize_t off) noexcept nogil:
    return NULL if p == NULL else p + off


cdef void _lstm_fwd(real* xp, real* hp, real* bh, real* c_in, real* c_out, real* h, real* act,
                    real* tc, real* craw, Py_ssize_t rows, Py_ssize_t n, bint clip, real lo,
                    real hi, int nt) noexcept nogil:
    cdef Py_ssize_t b
    for b in prange(rows, num_threads=nt, schedule="static"):
        _lstm_fwd_row(xp + 4 * n * b, hp + 4 * n * b, bh, c_in + n * b, c_out + n * b,
                      h + n * b, _at(act, 4 * n * b), _at(tc, n * b), _at(craw, n * b), n,
                      clip, lo, hi)


cdef void _lstm_bwd(real* d_a, real* d_b, real* dc, real* act, real* c_prev, real* tc, real* craw,
                    real* dxp, Py_ssize_t rows, Py_ssize_t n, bint clip, real lo, real hi,
                    int nt) noexcept nogil:
    cdef Py_ssize_t b
    for b in prange(rows, num_threads=nt, schedule="static"):
        _lstm_bwd_row(d_a + n * b, _at(d_b, n * b), dc + n * b, act + 4 * n * b,
                      c_prev + n * b, tc + n * b, _at(craw, n * b), dxp + 4 * n * b, n,
                      clip, lo, hi)


cdef void _gru_fwd(real* xp, real* hp, real* bh, real* h_prev, real* h, real* act, real* hn,
                   Py_ssize_t rows, Py_ssize_t n, int nt) noexcept nogil:
    cdef Py_ssize_t b
    for b in prange(rows, num_threads=nt, schedule="static"):
        _gru_fwd_row(xp + 3 * n * b, hp + 3 * n * b, bh, h_prev + n * b, h + n * b,
                     _at(act, 3 * n * b), _at(hn, n * b), n)


cdef void _gru_bwd(real* d_a, real* d_b, real* d_c, real* h_prev, real* act, real* hn, real* dxp,
                   real* dhp, real* ddir, Py_ssize_t rows, Py_ssize_t n, int nt) noexcept nogil:
    cdef Py_ssize_t b
    for b in prange(rows, num_threads=nt, schedule="static"):
        _gru_bwd_row(d_a + n * b, _at(d_b, n * b), _at(d_c, n * b), h_prev + n * b,
                     act + 3 * n * b, hn + n * b, dxp + 3 * n * b, dhp + 3 * n * b,
                     ddir + n * b, n)


cdef void _rnn_fwd(bint relu, real* xp, real* hp, real* bh, real* h, Py_ssize_t rows,
                   Py_ssize_t n, int nt) noexcept nogil:
    cdef Py_ssize_t b
    for b in prange(rows, num_threads=nt, schedule="static"):
        _rnn_fwd_row(relu, xp + n * b, hp + n * b, bh, h + n * b, n)


cdef void _rnn_bwd(bint relu, real* d_a, real* d_b, real* y, real* dxp, Py_ssize_t rows,
                   Py_ssize_t n, int nt) noexcept nogil:
    cdef Py_ssize_t b
    for b in prange(rows, num_threads=nt, schedule="static"):
        _rnn_bwd_row(relu, d_a + n * b, _at(d_b, n * b), y + n * b, dxp + n * b, n)


# -- Python entry points: check with the GIL, then run without it ----------------------------------
cdef void* _ptr(object a, int t, Py_ssize_t size, str name) except? NULL:
    """The data of ``a`` (None: NULL) after checking dtype, C-contiguity and element count."""
    if a is None:
        return NULL
    if type(a) is not cnp.ndarray:
        raise TypeError(f"rnn_cell: {name} must be a numpy array, got {type(a).__name__}")
    cdef cnp.ndarray arr = <cnp.ndarray>a
    if (not cnp.PyArray_ISCARRAY_RO(arr) or cnp.PyArray_TYPE(arr) != t
            or cnp.PyArray_SIZE(arr) != size):
        want = "float32" if t == cnp.NPY_FLOAT32 else "float64"
        raise ValueError(f"rnn_cell: {name} must be a C-contiguous {want} array of {size} "
                         f"elements, got {a.dtype} {a.shape}")
    return cnp.PyArray_DATA(arr)


cdef int _dtype(object a) except -1:
    cdef int t = cnp.PyArray_TYPE(<cnp.ndarray?>a)
    if t != cnp.NPY_FLOAT32 and t != cnp.NPY_FLOAT64:
        raise ValueError(f"rnn_cell: float32 or float64 only, got {a.dtype}")
    return t


cdef int _threads(Py_ssize_t rows, Py_ssize_t width):
    return max(1, min(threads_for(rows * width), <int>rows))


def lstm_forward(xp, hp, bh, c_in, c_out, h, act, tc, craw, bint clip, double lo, double hi):
    """One LSTM step: ``xp, hp`` (rows, 4n), ``bh`` (4n,), ``c_in`` (rows, n) -> ``c_out, h``
    (rows, n; ``c_out`` may be ``c_in``). Also writes ``act`` (rows, 4n: s(i), s(f), tanh(g),
    s(o)) and ``tc`` (tanh(c_out)), and ``craw`` (c before clipping) unless None: the backward
    needs them. ``act`` must not be ``hp`` (an alias stops GCC's vector loops)."""
    cdef int t = _dtype(xp)
    cdef Py_ssize_t rows = c_in.shape[0], n = c_in.shape[1]
    cdef void* pxp = _ptr(xp, t, rows * 4 * n, "xp")
    cdef void* php = _ptr(hp, t, rows * 4 * n, "hp")
    cdef void* pbh = _ptr(bh, t, 4 * n, "bh")
    cdef void* pci = _ptr(c_in, t, rows * n, "c_in")
    cdef void* pco = _ptr(c_out, t, rows * n, "c_out")
    cdef void* ph = _ptr(h, t, rows * n, "h")
    cdef void* pa = _ptr(act, t, rows * 4 * n, "act")
    cdef void* ptc = _ptr(tc, t, rows * n, "tc")
    cdef void* pcr = _ptr(craw, t, rows * n, "craw")
    if pa == NULL or ptc == NULL:
        raise ValueError("rnn_cell.lstm_forward: act and tc are required (scratch if not kept)")
    cdef int nt = _threads(rows, 4 * n)
    with nogil:
        if t == cnp.NPY_FLOAT32:
            _lstm_fwd(<float*>pxp, <float*>php, <float*>pbh, <float*>pci, <float*>pco, <float*>ph,
                      <float*>pa, <float*>ptc, <float*>pcr, rows, n, clip, <float>lo, <float>hi, nt)
        else:
            _lstm_fwd(<double*>pxp, <double*>php, <double*>pbh, <double*>pci, <double*>pco,
                      <double*>ph, <double*>pa, <double*>ptc, <double*>pcr, rows, n, clip, lo, hi,
                      nt)


def lstm_backward(d_a, d_b, dc, act, c_prev, tc, craw, dxp, bint clip, double lo, double hi):
    """One LSTM step back: the gradient of h is ``d_a + d_b`` (``d_b`` may be None); ``dc``
    (rows, n) holds the gradient of c on entry and that of the previous c on exit; the gate
    gradients go to ``dxp`` (rows, 4n). ``craw`` is needed only when ``clip``."""
    cdef int t = _dtype(dc)
    cdef Py_ssize_t rows = dc.shape[0], n = dc.shape[1]
    cdef void* pda = _ptr(d_a, t, rows * n, "d_a")
    cdef void* pdb = _ptr(d_b, t, rows * n, "d_b")
    cdef void* pdc = _ptr(dc, t, rows * n, "dc")
    cdef void* pa = _ptr(act, t, rows * 4 * n, "act")
    cdef void* pcp = _ptr(c_prev, t, rows * n, "c_prev")
    cdef void* ptc = _ptr(tc, t, rows * n, "tc")
    cdef void* pcr = _ptr(craw, t, rows * n, "craw") if clip else NULL
    cdef void* pdx = _ptr(dxp, t, rows * 4 * n, "dxp")
    if (pda == NULL or pa == NULL or pcp == NULL or ptc == NULL or pdx == NULL
            or (clip and pcr == NULL)):
        raise ValueError("rnn_cell.lstm_backward: only d_b (and craw without clip) may be None")
    cdef int nt = _threads(rows, 4 * n)
    with nogil:
        if t == cnp.NPY_FLOAT32:
            _lstm_bwd(<float*>pda, <float*>pdb, <float*>pdc, <float*>pa, <float*>pcp, <float*>ptc,
                      <float*>pcr, <float*>pdx, rows, n, clip, <float>lo, <float>hi, nt)
        else:
            _lstm_bwd(<double*>pda, <double*>pdb, <double*>pdc, <double*>pa, <double*>pcp,
                      <double*>ptc, <double*>pcr, <double*>pdx, rows, n, clip, lo, hi, nt)


def gru_forward(xp, hp, bh, h_prev, h, act, hn):
    """One GRU step: ``xp, hp`` (rows, 3n), ``bh`` (3n,), ``h_prev`` (rows, n) -> ``h``. Also
    writes ``act`` (rows, 3n: r, z, n) and ``hn`` (rows, n: h_n + b_n), which the backward needs."""
    cdef int t = _dtype(xp)
    cdef Py_ssize_t rows = h_prev.shape[0], n = h_prev.shape[1]
    cdef void* pxp = _ptr(xp, t, rows * 3 * n, "xp")
    cdef void* php = _ptr(hp, t, rows * 3 * n, "hp")
    cdef void* pbh = _ptr(bh, t, 3 * n, "bh")
    cdef void* phv = _ptr(h_prev, t, rows * n, "h_prev")
    cdef void* ph = _ptr(h, t, rows * n, "h")
    cdef void* pa = _ptr(act, t, rows * 3 * n, "act")
    cdef void* phn = _ptr(hn, t, rows * n, "hn")
    if pa == NULL or phn == NULL:
        raise ValueError("rnn_cell.gru_forward: act and hn are required (scratch if not kept)")
    cdef int nt = _threads(rows, 3 * n)
    with nogil:
        if t == cnp.NPY_FLOAT32:
            _gru_fwd(<float*>pxp, <float*>php, <float*>pbh, <float*>phv, <float*>ph, <float*>pa,
                     <float*>phn, rows, n, nt)
        else:
            _gru_fwd(<double*>pxp, <double*>php, <double*>pbh, <double*>phv, <double*>ph,
                     <double*>pa, <double*>phn, rows, n, nt)


def gru_backward(d_a, d_b, d_c, h_prev, act, hn, dxp, dhp, ddir):
    """One GRU step back: the gradient of h is ``d_a + (d_b + d_c)`` (``d_b``, ``d_c`` may be
    None). Writes the gate gradients of the input half (``dxp``, rows x 3n), of the recurrent half
    (``dhp``: its n part is scaled by r) and the direct part ``z * dh`` of the previous h (``ddir``)."""
    cdef int t = _dtype(h_prev)
    cdef Py_ssize_t rows = h_prev.shape[0], n = h_prev.shape[1]
    cdef void* pda = _ptr(d_a, t, rows * n, "d_a")
    cdef void* pdb = _ptr(d_b, t, rows * n, "d_b")
    cdef void* pdc = _ptr(d_c, t, rows * n, "d_c")
    cdef void* php = _ptr(h_prev, t, rows * n, "h_prev")
    cdef void* pa = _ptr(act, t, rows * 3 * n, "act")
    cdef void* phn = _ptr(hn, t, rows * n, "hn")
    cdef void* pdx = _ptr(dxp, t, rows * 3 * n, "dxp")
    cdef void* pdh = _ptr(dhp, t, rows * 3 * n, "dhp")
    cdef void* pdd = _ptr(ddir, t, rows * n, "ddir")
    if pda == NULL or pa == NULL or phn == NULL or pdx == NULL or pdh == NULL or pdd == NULL:
        raise ValueError("rnn_cell.gru_backward: only d_b and d_c may be None")
    if pdb == NULL and pdc != NULL:
        pdb, pdc = pdc, NULL
    cdef int nt = _threads(rows, 3 * n)
    with nogil:
        if t == cnp.NPY_FLOAT32:
            _gru_bwd(<float*>pda, <float*>pdb, <float*>pdc, <float*>php, <float*>pa, <float*>phn,
                     <float*>pdx, <float*>pdh, <float*>pdd, rows, n, nt)
        else:
            _gru_bwd(<double*>pda, <double*>pdb, <double*>pdc, <double*>php, <double*>pa,
                     <double*>phn, <double*>pdx, <double*>pdh, <double*>pdd, rows, n, nt)


def rnn_forward(bint relu, xp, hp, bh, h):
    """One plain RNN step: ``h = act(xp + (hp + bh))``, all (rows, n) but ``bh`` (n,)."""
    cdef int t = _dtype(xp)
    cdef Py_ssize_t rows = h.shape[0], n = h.shape[1]
    cdef void* pxp = _ptr(xp, t, rows * n, "xp")
    cdef void* php = _ptr(hp, t, rows * n, "hp")
    cdef void* pbh = _ptr(bh, t, n, "bh")
    cdef void* ph = _ptr(h, t, rows * n, "h")
    cdef int nt = _threads(rows, n)
    with nogil:
        if t == cnp.NPY_FLOAT32:
            _rnn_fwd(relu, <float*>pxp, <float*>php, <float*>pbh, <float*>ph, rows, n, nt)
        else:
            _rnn_fwd(relu, <double*>pxp, <double*>php, <double*>pbh, <double*>ph, rows, n, nt)


def rnn_backward(bint relu, d_a, d_b, y, dxp):
    """One plain RNN step back: ``dxp = (d_a + d_b) * act'``, from the step's output ``y``."""
    cdef int t = _dtype(y)
    cdef Py_ssize_t rows = y.shape[0], n = y.shape[1]
    cdef void* pda = _ptr(d_a, t, rows * n, "d_a")
    cdef void* pdb = _ptr(d_b, t, rows * n, "d_b")
    cdef void* py = _ptr(y, t, rows * n, "y")
    cdef void* pdx = _ptr(dxp, t, rows * n, "dxp")
    if pda == NULL or py == NULL or pdx == NULL:
        raise ValueError("rnn_cell.rnn_backward: only d_b may be None")
    cdef int nt = _threads(rows, n)
    with nogil:
        if t == cnp.NPY_FLOAT32:
            _rnn_bwd(relu, <float*>pda, <float*>pdb, <float*>py, <float*>pdx, rows, n, nt)
        else:
            _rnn_bwd(relu, <double*>pda, <double*>pdb, <double*>py, <double*>pdx, rows, n, nt)
