"""Inputs for generated op tests, drawn from each op's declared Domain (shared by the op-table and
gradient suites)."""
import numpy as np
from hypothesis import strategies as st

from minimx.ops.elemwise import broadcast_shape

__all__ = ["draw_inputs", "values"]


def values(rng, shape, dtype, domain):
    low, high = domain.low, domain.high
    if np.dtype(dtype).kind in "iub" or domain.integer:
        if np.dtype(dtype) == np.bool_:
            return rng.integers(0, 2, size=shape).astype(np.bool_)
        info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
        lo = int(np.ceil(low)) if info is None else max(int(np.ceil(low)), info.min)
        hi = int(np.floor(high)) if info is None else min(int(np.floor(high)), info.max)
        return rng.integers(lo, hi + 1, size=shape).astype(dtype)
    x = rng.uniform(low, high, size=shape)
    for point in domain.away_from:
        near = np.abs(x - point) < 0.1
        x[near] = point + np.where(x[near] >= point, 0.1, -0.1)
    return x.astype(dtype)


def draw_inputs(data, op, dtype, attrs):
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    dom = op.domain
    if dom.make_inputs is not None:
        return [np.asarray(a) for a in dom.make_inputs(rng, dtype, attrs)]
    n = len(op.inputs) if not op.variadic else data.draw(st.integers(1, 3), label="n_inputs")
    if n == 0:
        return []
    lo, hi = dom.ndim
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=lo, max_size=hi), label="shape"))
    shapes = [shape] * n
    if op.shape is broadcast_shape and n == 2:
        # Broadcasting: put 1s in one operand, and maybe drop its leading axes.
        other = tuple(1 if data.draw(st.booleans(), label="bcast") else s for s in shape)
        cut = data.draw(st.integers(0, len(other) - 1), label="cut")
        shapes = [shape, other[cut:]] if data.draw(st.booleans(), label="swap") else [other[cut:], shape]
    return [values(rng, s, dtype, dom) for s in shapes]
