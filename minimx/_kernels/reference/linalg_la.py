"""numpy kernels of the linalg_la family: LAPACK-style factorizations and triangle/diagonal moves.

numpy's ``linalg`` functions are batched over leading axes already, which is MXNet's batch mode.
Kernels that read one triangle of ``A`` mask it first, so the other triangle never matters.
"""
import numpy as np

__all__ = ["KERNELS", "tri_indices"]


def _tri(a, lower):
    return np.tril(a) if lower else np.triu(a)


def tri_indices(n, offset, lower):
    """Row-major (row, col) indices of the triangle ``extracttrian`` reads from an n x n matrix."""
    if offset > 0 or (offset == 0 and not lower):
        return np.triu_indices(n, offset)
    return np.tril_indices(n, offset)


def linalg_inverse(ins, outs, attrs):
    # numpy raises LinAlgError for a singular matrix (MXNet: "getrf failed").
    outs[0][...] = np.linalg.inv(ins[0])


def linalg_det(ins, outs, attrs):
    outs[0][...] = np.linalg.det(ins[0]).reshape(outs[0].shape)


def linalg_slogdet(ins, outs, attrs):
    sign, logabs = np.linalg.slogdet(ins[0])
    outs[0][...] = np.reshape(sign, outs[0].shape)
    outs[1][...] = np.reshape(logabs, outs[1].shape)


def linalg_trmm(ins, outs, attrs):
    a, b = ins
    a = _tri(a, attrs["lower"])
    if attrs["transpose"]:
        a = a.swapaxes(-1, -2)
    res = np.matmul(b, a) if attrs["rightside"] else np.matmul(a, b)
    outs[0][...] = res * res.dtype.type(attrs["alpha"])


def linalg_potri(ins, outs, attrs):
    inv = np.linalg.inv(_tri(ins[0], attrs["lower"]))
    inv_t = inv.swapaxes(-1, -2)
    # lower: (L L^T)^-1 = L^-T L^-1; upper: (U^T U)^-1 = U^-1 U^-T
    outs[0][...] = np.matmul(inv_t, inv) if attrs["lower"] else np.matmul(inv, inv_t)


def linalg_gelqf(ins, outs, attrs):
    # A = L Q  <=>  A^T = Q^T L^T: the QR factorization of A^T (LAPACK's Householder signs).
    q, r = np.linalg.qr(ins[0].swapaxes(-1, -2))
    outs[0][...] = q.swapaxes(-1, -2)
    outs[1][...] = r.swapaxes(-1, -2)


def linalg_syevd(ins, outs, attrs):
    low = np.tril(ins[0])
    sym = low + np.tril(low, -1).swapaxes(-1, -2)           # the lower triangle, mirrored
    lam, vec = np.linalg.eigh(sym)
    u = vec.swapaxes(-1, -2)                                # eigenvectors in the rows
    if u.size:
        # MXNet's sign convention: each row's largest-magnitude entry is positive.
        big = np.take_along_axis(u, np.abs(u).argmax(axis=-1)[..., None], axis=-1)
        u = u * np.where(big < 0, -1, 1).astype(u.dtype)
    outs[0][...] = u
    outs[1][...] = lam


def linalg_sumlogdiag(ins, outs, attrs):
    diag = np.diagonal(ins[0], axis1=-2, axis2=-1)
    outs[0][...] = np.log(diag).sum(axis=-1).reshape(outs[0].shape)


def linalg_extractdiag(ins, outs, attrs):
    outs[0][...] = np.diagonal(ins[0], attrs["offset"], axis1=-2, axis2=-1)


def linalg_makediag(ins, outs, attrs):
    out, k = outs[0], attrs["offset"]
    out[...] = 0
    i = np.arange(ins[0].shape[-1])
    rows, cols = (i, i + k) if k >= 0 else (i - k, i)
    out[..., rows, cols] = ins[0]


def linalg_extracttrian(ins, outs, attrs):
    rows, cols = tri_indices(ins[0].shape[-1], attrs["offset"], attrs["lower"])
    outs[0][...] = ins[0][..., rows, cols]


def linalg_maketrian(ins, outs, attrs):
    out = outs[0]
    out[...] = 0
    rows, cols = tri_indices(out.shape[-1], attrs["offset"], attrs["lower"])
    out[..., rows, cols] = ins[0]


KERNELS = {
    "_linalg_inverse": linalg_inverse,
    "_linalg_det": linalg_det,
    "_linalg_slogdet": linalg_slogdet,
    "_linalg_trmm": linalg_trmm,
    "_linalg_potri": linalg_potri,
    "_linalg_gelqf": linalg_gelqf,
    "_linalg_syevd": linalg_syevd,
    "_linalg_sumlogdiag": linalg_sumlogdiag,
    "_linalg_extractdiag": linalg_extractdiag,
    "_linalg_makediag": linalg_makediag,
    "_linalg_extracttrian": linalg_extracttrian,
    "_linalg_maketrian": linalg_maketrian,
}
