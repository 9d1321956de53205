"""OpenCL devices: discovery, and one context, in-order queue, buffer pool and program cache each.

Which devices ``mx.gpu(i)`` means:

- ``MINIMX_OPENCL_DEVICE`` unset: every OpenCL device of type GPU, platforms in the order the ICD
  loader lists them (``mx.gpu(0)`` is the first).
- ``MINIMX_OPENCL_DEVICE`` set: a comma-separated list of selectors, one per ``mx.gpu(i)``. A selector
  is ``P:D`` (platform P's device D), ``N`` (the N-th device of all platforms), or a piece of the
  name ``"<platform> <device> <type>"``, case-insensitive: ``pocl``, ``cpu``, ``nvidia``. So
  ``MINIMX_OPENCL_DEVICE=cpu`` runs ``mx.gpu(0)`` on PoCL's CPU device (how CI tests this backend).

Why an in-order queue per device: every op of the device is enqueued by the engine in dependency
order, so the queue's order is already a correct order. Copies to and from the host are blocking
(they wait for the queue to drain up to them), which is what makes the engine's read/write order
hold across devices. The buffer pool may hand a freed buffer to a new array while a kernel that
used it is still queued: any kernel that uses it again is queued after that one.
"""
import os
import tempfile
import threading

from ...base import MXNetError

__all__ = ["cl", "available", "devices", "get_device", "Device", "missing_reason", "runtimes"]

try:   # pyopencl is an optional extra
    import pyopencl as cl
    import pyopencl.tools as _cltools
    _IMPORT_ERROR = None
except ImportError as _e:   # pragma: no cover - depends on the installation
    cl = None
    _IMPORT_ERROR = _e

_INSTALL_HINT = ("install the OpenCL extra: pip install 'minimx[opencl]' (with a GPU driver's "
                 "OpenCL ICD), or pip install 'minimx[pocl]' for PoCL's CPU device")

_lock = threading.Lock()
_devices = None     # the selected pyopencl devices, in mx.gpu order
_runtimes = {}      # device id -> Device


def _all_devices():
    out = []
    _default_pocl_cache()     # PoCL reads it when the platform starts
    try:
        platforms = cl.get_platforms()
    except cl.Error:    # no ICD registered at all
        return out
    for p_index, platform in enumerate(platforms):
        try:
            devs = platform.get_devices()
        except cl.Error:
            continue
        for d_index, dev in enumerate(devs):
            out.append((p_index, d_index, platform, dev))
    return out


def _label(platform, dev):
    return f"{platform.name} {dev.name} {cl.device_type.to_string(dev.type)}".lower()


def _select(selector, everything):
    selector = selector.strip()
    if ":" in selector and selector.replace(":", "").isdigit():
        p, d = (int(s) for s in selector.split(":", 1))
        hits = [e for e in everything if e[0] == p and e[1] == d]
    elif selector.isdigit():
        hits = everything[int(selector):int(selector) + 1]
    else:
        hits = [e for e in everything if selector.lower() in _label(e[2], e[3])]
    if not hits:
        listed = "; ".join(f"{p}:{d} {plat.name} / {dev.name}" for p, d, plat, dev in everything)
        raise MXNetError(f"MINIMX_OPENCL_DEVICE={os.environ.get('MINIMX_OPENCL_DEVICE')!r}: no "
                         f"OpenCL device matches {selector!r}; devices found: {listed or 'none'}")
    return hits[0][3]


def missing_reason():
    """Why the OpenCL backend cannot run (None when it can)."""
    if cl is None:
        return f"pyopencl is not installed ({_IMPORT_ERROR}); {_INSTALL_HINT}"
    if not devices():
        return ("no OpenCL GPU found; set MINIMX_OPENCL_DEVICE (e.g. 'cpu' for PoCL's CPU device) "
                f"or {_INSTALL_HINT}")
    return None


def available():
    return missing_reason() is None


def devices():
    """The pyopencl devices ``mx.gpu(0), mx.gpu(1), ...`` run on (found once per process)."""
    global _devices
    if cl is None:
        return []
    if _devices is None:
        with _lock:
            if _devices is None:
                everything = _all_devices()
                spec = os.environ.get("MINIMX_OPENCL_DEVICE", "").strip()
                if spec:
                    _devices = [_select(s, everything) for s in spec.split(",") if s.strip()]
                else:
                    _devices = [e[3] for e in everything if e[3].type & cl.device_type.GPU]
    return _devices


def get_device(device_id):
    """The ``Device`` of ``mx.gpu(device_id)`` (made on first use); a clear error if none."""
    rt = _runtimes.get(device_id)
    if rt is not None:
        return rt
    reason = missing_reason()
    if reason is not None:
        raise MXNetError(f"gpu({device_id}): minimx runs mx.gpu() on OpenCL devices: {reason}")
    devs = devices()
    if device_id >= len(devs):
        raise MXNetError(f"gpu({device_id}): only {len(devs)} OpenCL device(s) selected "
                         f"({', '.join(d.name for d in devs)}); use gpu(0)..gpu({len(devs) - 1})")
    with _lock:
        rt = _runtimes.get(device_id)
        if rt is None:
            rt = _runtimes[device_id] = Device(device_id, devs[device_id])
    return rt


class Device:
    """One OpenCL device: its context, in-order queue, buffer pool and compiled programs."""

    def __init__(self, index, cl_device):
        self.index = index
        self.device = cl_device
        self.context = cl.Context([cl_device])
        self.queue = cl.CommandQueue(self.context)          # in order (no out-of-order flag)
        self.pool = _cltools.MemoryPool(_cltools.ImmediateAllocator(self.queue))
        self.fp64 = bool(getattr(cl_device, "double_fp_config", 0))
        self.max_group = cl_device.max_work_group_size
        self.is_cpu = bool(cl_device.type & cl.device_type.CPU)
        # Inline ops may enqueue from the user's thread while the issuing worker enqueues too:
        # pyopencl's set-args-then-enqueue on a shared Kernel object must not interleave.
        self.lock = threading.Lock()
        self._programs = {}
        self._kernels = {}
        self.families = {}     # elemwise.py's (family, table, op, type) -> (kernel, extra args)

    def __repr__(self):
        return f"<OpenCL device gpu({self.index}): {self.device.name}>"

    def kernel(self, source, name, options=()):
        """The kernel ``name`` of program ``source``, built once per device and process."""
        key = (source, name, tuple(options))
        k = self._kernels.get(key)
        if k is None:
            prg = self._programs.get((source, tuple(options)))
            if prg is None:
                try:
                    prg = cl.Program(self.context, source).build(options=list(options))
                except cl.RuntimeError as e:
                    raise MXNetError(f"OpenCL build failed on {self.device.name}: {e}") from None
                self._programs[(source, tuple(options))] = prg
            k = self._kernels[key] = getattr(prg, name)
        return k

    def launch(self, kernel, gsize, lsize, *args):
        """Enqueue ``kernel`` (no wait: the in-order queue keeps the order)."""
        if not gsize or 0 in gsize:
            return None
        with self.lock:
            return kernel(self.queue, gsize, lsize, *args)

    def finish(self):
        self.queue.finish()


def _default_pocl_cache():
    """PoCL caches compiled kernels under ``POCL_CACHE_DIR``; default it into the temp dir so a
    read-only home does not break builds (tests set their own per session)."""
    if "POCL_CACHE_DIR" not in os.environ:
        os.environ["POCL_CACHE_DIR"] = os.path.join(tempfile.gettempdir(), "minimx-pocl-cache")


def runtimes():
    """The devices made so far (for ``waitall``)."""
    return list(_runtimes.values())
