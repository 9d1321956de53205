"""numpy kernels of the indexing family."""
import numpy as np  # noqa: F401

__all__ = ["KERNELS"]

KERNELS = {}
