"""numpy kernels of the norm family."""
import numpy as np  # noqa: F401

__all__ = ["KERNELS"]

KERNELS = {}
