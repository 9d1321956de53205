"""Cython kernels: norm (being written)."""

KERNELS = {}
