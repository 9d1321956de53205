"""numpy kernels of the sequence family."""
import numpy as np  # noqa: F401

__all__ = ["KERNELS"]

KERNELS = {}
