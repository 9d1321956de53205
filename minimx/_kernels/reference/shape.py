"""numpy kernels of the shape family: data movement without arithmetic."""
import numpy as np

__all__ = ["KERNELS"]


def reshape(ins, outs, attrs):
    np.copyto(outs[0], ins[0].reshape(outs[0].shape))


def transpose(ins, outs, attrs):
    np.copyto(outs[0], np.transpose(ins[0], attrs["axes"] or None))


KERNELS = {"Reshape": reshape, "transpose": transpose}
