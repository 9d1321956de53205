"""numpy kernels of the sort family."""
import numpy as np  # noqa: F401

__all__ = ["KERNELS"]

KERNELS = {}
