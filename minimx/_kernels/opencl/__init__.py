"""The OpenCL backend: ``mx.gpu(i)`` runs on OpenCL device i through pyopencl.

- ``device.py``: which devices ``mx.gpu(i)`` means (``MINIMX_OPENCL_DEVICE``), and per device a
  context, an in-order queue, a buffer pool and a program cache.
- ``array.py``: ``CLArray`` (a window of a pooled ``cl.Buffer``) and the storage functions.
- kernel families, each a ``KERNELS`` dict (``_FAMILIES`` lists them): ``elemwise.py`` (C
  expressions), ``reduce.py`` and ``reduce_extra.py`` (norm, prod, nansum, moments, cumsum ...),
  ``gemm.py`` (tiled GEMM: dot, batch_dot, FullyConnected), ``nn.py`` (softmax, Activation, SGD and
  Adam), ``nn_extra.py`` (LeakyReLU, the loss outputs, Dropout, UpSampling ...), ``pool.py``,
  ``norm.py`` (BatchNorm, LayerNorm, InstanceNorm, GroupNorm, L2Normalization, LRN), ``conv.py``
  (Convolution: im2col + GEMM) and ``deconv.py``, ``views.py`` and ``shape.py`` (reshapes, slices,
  concat, pad, tile ...: one strided copy), ``indexing.py`` and ``gather.py`` (pick, take,
  Embedding, gather/scatter, one_hot, where), ``sort.py`` (sort, argsort, topk), ``rand.py``
  (Philox-4x32-10 streams for the random ops), ``optim_extra.py`` (the other optimizer updates),
  ``misc.py`` (add_n, amp_multicast, khatri_rao ...), ``linalg.py`` (linalg_*: gemm, trsm, potrf,
  inverse, det ...), ``vision.py`` (GridGenerator, BilinearSampler, ROIPooling, Correlation ...).
- ``fallback.py``: every other kernel of the CPU table runs through THE HOST FALLBACK (copy to the
  host, CPU kernel, copy back, as one engine op). ``native_kernels()`` and
  ``fallback_report()`` say which is which.

A native kernel may return ``NotImplemented`` for a case it does not cover (float16, say); the
table then runs that call through the host fallback as well.

Importing this package needs no pyopencl: ``backend_for`` raises a clear MXNetError instead.
"""
import threading

from ..contract import Backend
from .device import available, devices, get_device, missing_reason, runtimes
from .fallback import fallback_report, host_fallback

__all__ = ["backend_for", "available", "devices", "num_devices", "missing_reason",
           "native_kernels", "fallback_report", "synchronize", "engine_sync"]

# The kernel families, each a module with a KERNELS dict (later families may not redefine a name).
_FAMILIES = ("elemwise", "reduce", "reduce_extra", "gemm", "nn", "nn_extra", "pool", "norm",
             "deconv", "views", "shape", "indexing", "gather", "sort", "rand", "optim_extra", "conv",
             "misc", "linalg", "vision")

_lock = threading.Lock()
_table = None
_native = None
_backends = {}


def _with_fallback(native, fallback):
    def kernel(ins, outs, attrs):
        if native(ins, outs, attrs) is NotImplemented:
            fallback(ins, outs, attrs)
    kernel.__name__ = getattr(native, "__name__", "kernel")
    kernel.native = native     # tests call it directly to tell native cases from fallback ones
    return kernel


def _build_table():
    from ..cpu import KERNELS as CPU_KERNELS
    import importlib
    native = {}
    for family in _FAMILIES:
        native.update(importlib.import_module(f".{family}", __name__).KERNELS)
    table = {}
    for name, cpu_kernel in CPU_KERNELS.items():
        fb = host_fallback(name, cpu_kernel)
        table[name] = _with_fallback(native[name], fb) if name in native else fb
    return table, frozenset(n for n in native if n in CPU_KERNELS)


def kernel_table():
    global _table, _native
    if _table is None:
        with _lock:
            if _table is None:
                _table, _native = _build_table()
    return _table


def native_kernels():
    """Names of the kernels with an OpenCL implementation (the rest use the host fallback)."""
    kernel_table()
    return _native


def engine_sync(var):
    """The engine's wait hook (``engine/devsync.py``): drain the queue of ``var``'s device, or all."""
    if var is None:
        synchronize()
        return
    ctx = getattr(var, "ctx", None)
    if ctx is not None and ctx.device_typeid == 2:
        synchronize(ctx.device_id)


def backend_for(device_id):
    """The Backend of ``mx.gpu(device_id)`` (raises MXNetError if pyopencl or the device is missing)."""
    b = _backends.get(device_id)
    if b is None:
        from .array import CLStorage
        dev = get_device(device_id)
        b = _backends.setdefault(device_id, Backend(f"opencl:{dev.device.name}", kernel_table(),
                                                    CLStorage(dev), device="opencl"))
    return b


def num_devices():
    return len(devices()) if missing_reason() is None else 0


def synchronize(device_id=None):
    """Wait until the device's queue (every device's, by default) has run everything queued."""
    for rt in runtimes():
        if device_id is None or rt.index == device_id:
            rt.finish()
