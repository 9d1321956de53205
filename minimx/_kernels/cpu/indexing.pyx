"""Cython kernels: indexing (being written)."""

KERNELS = {}
