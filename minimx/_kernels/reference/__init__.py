"""The numpy reference backend: every kernel of the contract, written for clarity.

Each family module defines ``KERNELS``, a dict from kernel name to function; they are merged here,
listed explicitly.
"""
from ..contract import Backend, HostStorage
from . import (contrib, conv, elemwise, im2col_ops, indexing, init, linalg, linalg_la, nn, norm, optim,
               optim_multi, pool, random, random_pdf, reduce, rnn, sequence, shape, sort, view,
               vision)

__all__ = ["KERNELS", "BACKEND"]

KERNELS = {}
for _family in (elemwise, init, shape, reduce, sort, indexing, linalg, conv, pool, nn, norm, random,
                optim, optim_multi, sequence, vision, view, linalg_la, contrib, rnn, random_pdf,
                im2col_ops):
    KERNELS.update(_family.KERNELS)

BACKEND = Backend("reference", KERNELS, HostStorage)
