"""Cython kernels: fused optimizer updates (being written)."""

KERNELS = {}
