"""Cython kernels: reduce (being written)."""

KERNELS = {}
