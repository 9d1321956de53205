"""numpy kernels of the conv family."""
import numpy as np  # noqa: F401

__all__ = ["KERNELS"]

KERNELS = {}
