"""Cython kernels: pool (being written)."""

KERNELS = {}
