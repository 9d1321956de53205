"""The rnn family on the CPU backend: the numpy reference kernels, run with BLAS on one thread.

A recurrent layer is a chain of small products (batch x hidden by hidden x gates, once per step).
Left to itself, BLAS starts a thread per core for each of them and spends longer handing the work
around than computing (50x slower on a busy two-core machine), and fights the engine's workers for
the cores. ``gemm.limit_blas()`` pins it to one thread, as every GEMM kernel of this backend does.
"""
from ..reference.rnn import KERNELS as _REFERENCE
from .gemm import limit_blas

__all__ = ["KERNELS"]


def _one_blas_thread(kernel):
    def run(ins, outs, attrs):
        limit_blas()
        kernel(ins, outs, attrs)
    run.__name__ = run.__qualname__ = kernel.__name__
    run.__doc__ = kernel.__doc__
    return run


KERNELS = {name: _one_blas_thread(kernel) for name, kernel in _REFERENCE.items()}
