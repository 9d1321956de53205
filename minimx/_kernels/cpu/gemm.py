"""GEMM for the CPU backend (being written)."""

KERNELS = {}
