"""Cython kernels: copy (being written)."""

KERNELS = {}
