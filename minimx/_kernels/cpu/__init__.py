"""The CPU backend: Cython kernels (``*.pyx`` here) for the hot paths, the numpy reference for the rest.

The table starts as a copy of the reference table; each Cython family module then replaces the
kernels it implements, listed explicitly in its ``KERNELS`` dict.
"""
from ..contract import Backend, HostStorage
from ..reference import KERNELS as REFERENCE_KERNELS
from . import (copy, elemwise, elemwise_unary, gemm, im2col, indexing, norm, optim, optim_mp, pool,
               reduce, rnn, softmax)

__all__ = ["KERNELS", "BACKEND"]

KERNELS = dict(REFERENCE_KERNELS)
for _family in (elemwise, elemwise_unary, reduce, copy, indexing, gemm, im2col, pool, softmax,
                norm, optim, optim_mp, rnn):
    KERNELS.update(_family.KERNELS)

BACKEND = Backend("cpu", KERNELS, HostStorage)
