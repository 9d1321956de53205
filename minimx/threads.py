"""The thread budget: one count of how many cores minimx may keep busy.

Engine workers, BLAS and OpenMP loops all draw from the same cores. If each took every core, two
independent matmuls on two engine workers would run four threads on two cores and slow down. So the
engine keeps ``demand`` (ops ready or running) up to date, and a kernel that can split its work asks
``kernel_threads()`` how many threads it may use: all cores when it runs alone, one when every core
already has an op.
"""
from . import config

__all__ = ["budget", "kernel_threads", "set_kernel_threads"]


class _Budget:
    __slots__ = ("total", "kernel_cap", "demand", "waiting")

    def __init__(self):
        self.total = config.num_threads()
        # OMP_NUM_THREADS (or OPENBLAS_NUM_THREADS) caps one kernel's threads, as it caps BLAS.
        self.kernel_cap = min(self.total, config.kernel_threads_cap() or self.total)
        self.demand = 0    # written by the engine under its lock; read here without one (a hint)
        # Threads asleep in an engine wait (wait_to_read, waitall), written by the engine under its
        # lock. While none waits, the thread that pushes ops (the main thread) is running Python
        # on a core of its own: kernels whose threads must all run at once (OpenBLAS's) ask.
        self.waiting = 0


budget = _Budget()


def kernel_threads():
    """Threads a kernel may use now: the cores not claimed by other ready or running ops."""
    return max(1, min(budget.kernel_cap, budget.total - budget.demand + 1))


def set_kernel_threads(n):
    """Cap the threads of one kernel (like OMP_NUM_THREADS); returns the previous cap."""
    prev, budget.kernel_cap = budget.kernel_cap, max(1, min(int(n), budget.total))
    return prev
