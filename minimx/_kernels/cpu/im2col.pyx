"""Cython kernels: im2col (being written)."""

KERNELS = {}
