"""The op table: every op declared once, grouped by family. Importing this fills ``REGISTRY``.

Families are listed explicitly; a new family module is added here. To find every part of one
op (declaration, gradient rule, kernel on each backend): ``python -m minimx.ops.locate NAME``.
"""
from . import (contrib, conv, elemwise, indexing, init, linalg, linalg_la, nn, norm, optim, pool,
               im2col_ops, random, random_pdf, reduce, rnn, sequence, shape, sort, view, vision)
from . import custom
from .opdef import NO_GRAD, REGISTRY, Domain, OpDef, Param, get_op

__all__ = ["REGISTRY", "OpDef", "Param", "Domain", "NO_GRAD", "get_op", "FAMILIES", "all_ops"]

FAMILIES = (elemwise, init, shape, reduce, sort, indexing, linalg, conv, pool, nn, norm, random, optim,
            sequence, vision, view, linalg_la, contrib, rnn, random_pdf, im2col_ops, custom)


def all_ops():
    """Every OpDef once (aliases folded), sorted by name."""
    seen = {id(op): op for op in REGISTRY.values()}
    return sorted(seen.values(), key=lambda op: op.name)
