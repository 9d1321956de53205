"""Unit 7 - OpenCL kernels, built and launched through pyopencl.

minimx's ``mx.gpu()`` runs OpenCL C kernels (``minimx/_kernels/opencl``, tutorial 09). Here you
write two in ``.cl`` files; this module (given) makes the context and queue, copies arrays to
device buffers, builds your program, launches it and copies the result back: the steps of every
OpenCL host program.

Exercises
---------
7.1 ``cl_elementwise.cl: axpby``: ``out = a * x + b * y``, one work-item per element, guarded.
7.2 ``cl_matmul.cl: matmul_tiled``: ``c = a @ b`` by TS x TS tiles staged in ``__local`` memory.

Any OpenCL device will do: without a GPU, PoCL's CPU device (``pip install pyopencl
pocl-binary-distribution``). ``MINIMX_OPENCL_DEVICE`` picks one as it does for ``mx.gpu()``
(``cpu``, ``nvidia``, ``0:1``, ...); unset, a GPU if there is one, else the first device. Without
pyopencl or a device the tests are skipped, and the grader reports the exercise as skipped with
the reason (0 points: it could not be checked). Check your work with
``python -m minimx.exercises grade --unit 7``.
"""
import os
import re
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["axpby", "matmul", "missing_reason", "device_name", "GROUP", "TS"]

HERE = Path(__file__).resolve().parent
GROUP = 64      # work-group size of axpby: its global size is n rounded up to a multiple of it
TS = 8          # tile edge of matmul_tiled (build option -D TS=8)
_STUB = re.compile(r"//\s*(Exercise \d+\.\d+: .*) \(write the code here\)")
_state = {}


def _runtime():
    """(pyopencl, context, queue), made once; raises RuntimeError with the reason if impossible."""
    if "queue" in _state:
        return _state["cl"], _state["ctx"], _state["queue"]
    try:
        import pyopencl as cl
    except ImportError as e:
        raise RuntimeError(f"pyopencl is not installed ({e}): pip install pyopencl "
                           "pocl-binary-distribution (PoCL: an OpenCL device on the CPU)") from None
    # PoCL caches compiled kernels here; the default under $HOME may be read-only.
    os.environ.setdefault("POCL_CACHE_DIR", os.path.join(tempfile.gettempdir(), "minimx-pocl-cache"))
    try:
        found = [(p, d) for p in cl.get_platforms() for d in p.get_devices()]
    except cl.Error as e:
        found, error = [], e
    else:
        error = None
    if not found:
        raise RuntimeError(f"no OpenCL device found ({error or 'no devices'}): pip install "
                           "pocl-binary-distribution for PoCL's CPU device")
    want = os.environ.get("MINIMX_OPENCL_DEVICE", "").split(",")[0].strip().lower()
    labels = [f"{p.name} {d.name} {cl.device_type.to_string(d.type)}".lower() for p, d in found]
    if want:
        hits = [d for (p, d), label in zip(found, labels) if want in label]
        if not hits:
            raise RuntimeError(f"MINIMX_OPENCL_DEVICE={want!r} matches none of: {'; '.join(labels)}")
    else:
        hits = [d for _, d in found if d.type & cl.device_type.GPU] or [found[0][1]]
    ctx = cl.Context([hits[0]])
    _state.update(cl=cl, ctx=ctx, queue=cl.CommandQueue(ctx))
    return cl, ctx, _state["queue"]


def missing_reason():
    """Why the OpenCL exercises cannot run here (None when they can)."""
    try:
        _runtime()
    except RuntimeError as e:
        return str(e)
    return None


def device_name():
    return _runtime()[1].devices[0].name


def _kernel(name, kernel, options=()):
    """Build ``HERE/<name>.cl``; returns (its kernel ``kernel``, the source). A build error shows
    the compiler's log."""
    cl, ctx, _ = _runtime()
    src = (HERE / f"{name}.cl").read_text()
    key = (src, kernel, tuple(options))
    if key not in _state:       # built once per source text and process
        try:
            prg = cl.Program(ctx, src).build(options=list(options))
        except cl.RuntimeError as e:
            raise RuntimeError(f"{name}.cl does not build:\n{e}") from None
        _state[key] = cl.Kernel(prg, kernel)
    return _state[key], src


def _untouched(out, src, what):
    """Raise NotImplementedError if the kernel wrote nothing and its body is still the stub."""
    stub = _STUB.search(src)
    if stub and np.isnan(out).all():
        raise NotImplementedError(f"{stub.group(1)} ({what} wrote nothing)")


def _round_up(n, m):
    return (n + m - 1) // m * m


def axpby(a, x, b, y):
    """``a * x + b * y`` for 1-d float32 arrays by your ``axpby`` kernel (7.1).

    Returns ``(result, tail)``: ``tail`` is what the kernel left in the output buffer past the
    end, which must still be NaN (the buffer is filled with NaN before the launch).
    """
    cl, ctx, queue = _runtime()
    x = np.ascontiguousarray(x, dtype=np.float32)
    y = np.ascontiguousarray(y, dtype=np.float32)
    n = x.size
    padded = _round_up(max(n, 1), GROUP) + GROUP     # room for work-items past the end
    host_x, host_y = np.zeros(padded, np.float32), np.zeros(padded, np.float32)
    host_x[:n], host_y[:n] = x, y
    host_out = np.full(padded, np.nan, np.float32)
    mf = cl.mem_flags
    bx = cl.Buffer(ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=host_x)
    by = cl.Buffer(ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=host_y)
    bout = cl.Buffer(ctx, mf.READ_WRITE | mf.COPY_HOST_PTR, hostbuf=host_out)
    kernel, src = _kernel("cl_elementwise", "axpby")
    kernel(queue, (_round_up(max(n, 1), GROUP),), (GROUP,), np.float32(a), bx, np.float32(b), by,
              bout, np.int32(n))
    cl.enqueue_copy(queue, host_out, bout)      # blocking: waits for the kernel
    _untouched(host_out[:n], src, "axpby")
    return host_out[:n].copy(), host_out[n:].copy()


def matmul(a, b):
    """``a @ b`` for 2-d float32 arrays by your ``matmul_tiled`` kernel (7.2)."""
    cl, ctx, queue = _runtime()
    a = np.ascontiguousarray(a, dtype=np.float32)
    b = np.ascontiguousarray(b, dtype=np.float32)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not chain")
    (m, k), n = a.shape, b.shape[1]
    mf = cl.mem_flags
    ba = cl.Buffer(ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=a)
    bb = cl.Buffer(ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=b)
    out = np.full((m, n), np.nan, np.float32)
    bc = cl.Buffer(ctx, mf.READ_WRITE | mf.COPY_HOST_PTR, hostbuf=out)
    kernel, src = _kernel("cl_matmul", "matmul_tiled", [f"-D TS={TS}"])
    kernel(queue, (_round_up(n, TS), _round_up(m, TS)), (TS, TS), ba, bb, bc,
           np.int32(m), np.int32(n), np.int32(k))
    cl.enqueue_copy(queue, out, bc)
    _untouched(out, src, "matmul_tiled")
    return out
