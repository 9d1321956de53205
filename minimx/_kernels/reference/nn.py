"""numpy kernels of the nn family."""
import numpy as np  # noqa: F401

__all__ = ["KERNELS"]

KERNELS = {}
