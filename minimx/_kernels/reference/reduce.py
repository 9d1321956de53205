"""numpy kernels of the reduce family."""
import numpy as np  # noqa: F401

__all__ = ["KERNELS"]

KERNELS = {}
