"""numpy kernels of the linalg family."""
import numpy as np  # noqa: F401

__all__ = ["KERNELS"]

KERNELS = {}
