"""minimx: a teaching-grade, fast re-creation of Apache MXNet 1.x. ``import minimx as mx``."""
from . import autograd, base, engine, ndarray
from . import ndarray as nd
from . import optimizer
from . import metric
from . import random
from . import initializer, lr_scheduler
from . import initializer as init
from . import test_utils
from . import name
from .attribute import AttrScope
from . import symbol
from . import symbol as sym
from . import gluon
from . import visualization
from . import visualization as viz
from . import image
from . import image as img
from . import profiler
from . import kvstore
from . import kvstore as kv
from . import operator
from .base import MXNetError
from .context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus

__version__ = "0.1.0"

__all__ = ["autograd", "nd", "ndarray", "engine", "base", "MXNetError", "Context", "cpu", "gpu", "cpu_pinned",
           "current_context", "num_gpus", "random", "test_utils", "lr_scheduler",
           "initializer", "init", "optimizer", "metric", "name", "AttrScope", "gluon", "image", "img", "profiler", "kvstore", "kv",
           "symbol", "sym", "visualization", "viz", "operator"]
