"""numpy kernels of the pool family."""
import numpy as np  # noqa: F401

__all__ = ["KERNELS"]

KERNELS = {}
