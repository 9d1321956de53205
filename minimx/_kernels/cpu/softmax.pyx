"""Cython kernels: softmax (being written)."""

KERNELS = {}
