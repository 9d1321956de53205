"""THE HOST FALLBACK: how an op without an OpenCL kernel still runs on ``mx.gpu()``.

``host_fallback(name, cpu_kernel)`` wraps a CPU kernel as an OpenCL-backend kernel that copies its
inputs to the host, runs the CPU kernel there, and copies the outputs back: one engine op, issued
by the device's worker, so the engine's ordering is unchanged. It is slow (two trips over the bus)
and exists so whole networks run on ``mx.gpu()`` while native kernels land one family at a time.

It is clearly marked, not silent:

- ``FALLBACK_CALLS`` counts each fallback kernel's calls (``fallback_report()`` lists them);
- ``MINIMX_OPENCL_FALLBACK=error`` turns every fallback into an MXNetError naming the op,
  ``=warn`` (the default) warns once per kernel, naming it, and ``=allow`` just counts.

Inputs an op mutates (optimizer states, BatchNorm's running statistics) are found by comparing the
host copies before and after the CPU kernel, and the changed ones are written back.
"""
import os
import warnings
from collections import Counter

import numpy as np

from ...base import MXNetError
from .array import CLArray, CLStorage

__all__ = ["host_fallback", "FALLBACK_CALLS", "fallback_report"]

FALLBACK_CALLS = Counter()
_warned = set()


def _mode():
    return os.environ.get("MINIMX_OPENCL_FALLBACK", "warn").lower()


def fallback_report():
    """``{kernel name: calls}`` of the kernels that ran through the host fallback so far."""
    return dict(FALLBACK_CALLS)


def host_fallback(name, cpu_kernel):
    """An OpenCL-backend kernel that runs ``cpu_kernel`` on host copies of its arguments."""
    def kernel(ins, outs, attrs):
        mode = _mode()
        if mode == "error":
            raise MXNetError(f"{name}: no OpenCL kernel yet, and MINIMX_OPENCL_FALLBACK=error "
                             "forbids the host fallback\n  hint: unset it to run the op on the "
                             "host (copy, CPU kernel, copy back)")
        if mode == "warn" and name not in _warned:
            _warned.add(name)
            warnings.warn(f"minimx OpenCL: {name} has no OpenCL kernel for these inputs; it runs "
                          "on the host (copy, CPU kernel, copy back). Set "
                          "MINIMX_OPENCL_FALLBACK=allow to silence this, =error to forbid it",
                          stacklevel=2)
        FALLBACK_CALLS[name] += 1
        host_ins = tuple(CLStorage.to_numpy(x) if isinstance(x, CLArray) else x for x in ins)
        before = [np.array(h, copy=True) if isinstance(x, CLArray) else None
                  for x, h in zip(ins, host_ins)]
        host_outs = tuple(np.empty(o.shape, o.dtype) for o in outs)
        cpu_kernel(host_ins, host_outs, attrs)
        for x, h, old in zip(ins, host_ins, before):
            if old is not None and not np.array_equal(old.reshape(-1).view(np.uint8), h.reshape(-1).view(np.uint8)):
                CLStorage.from_numpy(h, x)
        for o, h in zip(outs, host_outs):
            CLStorage.from_numpy(h, o)
    kernel.__name__ = f"host_fallback_{name}"
    kernel.host_fallback = True
    return kernel
