"""numpy kernels of the vision family."""
import numpy as np  # noqa: F401

__all__ = ["KERNELS"]

KERNELS = {}
