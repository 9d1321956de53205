"""Cython kernels: elemwise (being written)."""

KERNELS = {}
