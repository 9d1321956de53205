"""Numerical helpers shared by hand-written gradient tests."""
import numpy as np

__all__ = ["central_differences"]


def central_differences(f, x, eps=1e-6):
    """The gradient of the scalar ``f(x)`` by central differences (numpy float64 in and out)."""
    out = np.zeros_like(x)
    for k in range(x.size):
        p, m = x.copy(), x.copy()
        p.flat[k] += eps
        m.flat[k] -= eps
        out.flat[k] = (f(p) - f(m)) / (2 * eps)
    return out
