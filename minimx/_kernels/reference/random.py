"""numpy kernels of the random family."""
import numpy as np  # noqa: F401

__all__ = ["KERNELS"]

KERNELS = {}
