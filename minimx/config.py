"""Every environment variable minimx reads, read here and nowhere else.

========================== ================================================ =================
variable                   meaning                                          default
========================== ================================================ =================
MINIMX_ENGINE_TYPE         ``ThreadedEngine`` or ``NaiveEngine`` (also       ThreadedEngine
                           MXNet's ``MXNET_ENGINE_TYPE``)
MINIMX_CPU_WORKER_NTHREADS engine worker threads for the CPU (also MXNet's    number of cores
                           ``MXNET_CPU_WORKER_NTHREADS``)
MINIMX_MAX_INFLIGHT        ops queued in the engine before ``push`` blocks    4096
MINIMX_INLINE_LIMIT        an op whose estimated work is at most this many    16384
                           elements runs on the pushing thread when ready
MINIMX_NUM_THREADS         the thread budget: cores shared by engine          number of cores
                           workers, BLAS and OpenMP
OMP_NUM_THREADS            caps the threads of one kernel (as it caps BLAS;   number of cores
                           also ``OPENBLAS_NUM_THREADS``)
MINIMX_OPTIMIZER_AGGREGA… weights per fused optimizer update (also MXNet's   4 (SGD), 45 (LAMB)
TION_SIZE                  ``MXNET_OPTIMIZER_AGGREGATION_SIZE``)
MINIMX_UPDATE_ON_KVSTORE   whether gluon.Trainer updates weights inside the   1
                           kvstore (also MXNet's ``MXNET_UPDATE_ON_KVSTORE``)
MINIMX_BACKEND             ``cpu`` (Cython) or ``reference`` (numpy) for      cpu
                           ``mx.cpu()``
MINIMX_OPENCL_DEVICE       OpenCL device used for ``mx.gpu()``: platform or   (GPUs only)
                           device name, or an index
MINIMX_CPU_FUSION          ``0`` turns off elementwise fusion of hybridized   1
                           graphs on the CPU (for A/B comparisons)
MINIMX_GRAPH_SEGMENTS      ``0`` runs a hybridized CPU graph as one engine    1
                           op, independent branches included (for A/B)
MXNET_HOME                 where datasets are kept (``$MXNET_HOME/datasets``) ``~/.mxnet``
MXNET_GLUON_REPO           the base URL datasets are downloaded from          MXNet's repository
========================== ================================================ =================
"""
import os

__all__ = ["optimizer_aggregation_size", "kernel_threads_cap", "engine_type", "cpu_worker_nthreads", "max_inflight", "inline_limit", "num_threads",
           "cpu_backend", "cpu_fusion", "graph_segments", "opencl_device", "update_on_kvstore", "data_dir", "gluon_repo"]


def _get(name, mxnet_name=None, default=None):
    value = os.environ.get(name)
    if value is None and mxnet_name is not None:
        value = os.environ.get(mxnet_name)
    return default if value in (None, "") else value


def num_threads():
    """The thread budget: how many cores minimx may keep busy at once."""
    return max(1, int(_get("MINIMX_NUM_THREADS", default=os.cpu_count() or 1)))


def kernel_threads_cap():
    """The most threads one kernel may use, from OMP_NUM_THREADS/OPENBLAS_NUM_THREADS (None: no cap)."""
    value = _get("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    try:
        return max(1, int(value)) if value is not None else None
    except ValueError:
        return None


def engine_type():
    """'ThreadedEngine' or 'NaiveEngine' (MXNet's 'ThreadedEnginePerDevice' means threaded)."""
    name = _get("MINIMX_ENGINE_TYPE", "MXNET_ENGINE_TYPE", "ThreadedEngine")
    return "NaiveEngine" if name.lower().startswith("naive") else "ThreadedEngine"


def cpu_worker_nthreads():
    return max(1, int(_get("MINIMX_CPU_WORKER_NTHREADS", "MXNET_CPU_WORKER_NTHREADS",
                           num_threads())))


def max_inflight():
    return max(1, int(_get("MINIMX_MAX_INFLIGHT", default=4096)))


def inline_limit():
    return int(_get("MINIMX_INLINE_LIMIT", default=16384))


def optimizer_aggregation_size(default):
    """How many weights an optimizer updates in one fused call (MXNet's variable of that name)."""
    return int(_get("MINIMX_OPTIMIZER_AGGREGATION_SIZE", "MXNET_OPTIMIZER_AGGREGATION_SIZE", default))


def update_on_kvstore():
    """Trainer's default for update_on_kvstore when it is not given (MXNet's variable of that name)."""
    return bool(int(_get("MINIMX_UPDATE_ON_KVSTORE", "MXNET_UPDATE_ON_KVSTORE", 1)))


def cpu_backend():
    return _get("MINIMX_BACKEND", default="cpu")


def cpu_fusion():
    """Whether hybridized graphs on the CPU fuse elementwise groups (``MINIMX_CPU_FUSION``)."""
    return _get("MINIMX_CPU_FUSION", default="1") != "0"


def graph_segments():
    """Whether hybridized graphs on the CPU run independent branches as separate engine ops
    (``MINIMX_GRAPH_SEGMENTS``)."""
    return _get("MINIMX_GRAPH_SEGMENTS", default="1") != "0"


def opencl_device():
    return _get("MINIMX_OPENCL_DEVICE")


def data_dir():
    """MXNet's data folder: ``$MXNET_HOME``, or ``~/.mxnet``."""
    return os.path.expanduser(_get("MXNET_HOME", default=os.path.join("~", ".mxnet")))


def gluon_repo():
    """The base URL of MXNet's dataset repository (``MXNET_GLUON_REPO``), ending in a slash."""
    url = _get("MXNET_GLUON_REPO", default="https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/")
    return url if url.endswith("/") else url + "/"
