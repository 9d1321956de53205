"""Device queues the engine's waits also drain.

An op on an OpenCL device finishes, for the engine, once it is enqueued on the device's in-order
queue; the device runs it later. Copies to the host block on that queue, so values are always
right; but ``wait_to_read`` / ``waitall`` promise that the work is *done* (benchmarks time with
them), so they call the functions registered here: ``fn(var)`` after waiting for ``var``, and
``fn(None)`` after waiting for everything.
"""

__all__ = ["SYNCS", "sync"]

SYNCS = []


def sync(var):
    for fn in SYNCS:
        fn(var)
