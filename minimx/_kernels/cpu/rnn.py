"""The rnn family on the CPU backend: the numpy reference kernels, with BLAS threads from the budget.

A recurrent layer is a chain of small products (batch x hidden by hidden x gates, once per step).
Left to itself, BLAS starts a thread per core for each of them and spends longer handing the work
around than computing (50x slower on a busy two-core machine), and fights the engine's workers for
the cores. So ``gemm.limit_blas()`` pins BLAS to one thread, as for every GEMM kernel of this
backend. Where OpenBLAS lets ``blas_threads.blas_call`` raise the count for one kernel, the layer
asks the thread budget for as many threads as one step's product can use (``gemm.threads_for``): with the
engine idle, the 2x256 LSTM's 32x256x1024 products run on both cores of a two-core machine.
"""
from ..reference.rnn import KERNELS as _REFERENCE
from .blas_threads import blas_call
from .gemm import blas_threads, limit_blas, threads_for

__all__ = ["KERNELS"]


def _budgeted_blas(kernel):
    def run(ins, outs, attrs):
        limit_blas()
        x, wh = ins[0], ins[2]
        batch = x.shape[1] if x.ndim == 3 else 1
        nthreads = threads_for(batch * wh.size, batch) if blas_threads() else 1
        if nthreads > 1:
            flops = x.shape[0] * batch * wh.size      # the recurrent products: what threads help
            blas_call(lambda: kernel(ins, outs, attrs), nthreads, flops, "rnn")
        else:
            kernel(ins, outs, attrs)
    run.__name__ = run.__qualname__ = kernel.__name__
    run.__doc__ = kernel.__doc__
    return run


KERNELS = {name: _budgeted_blas(kernel) for name, kernel in _REFERENCE.items()}
