"""numpy kernels that fill arrays from parameters."""
import numpy as np

__all__ = ["KERNELS"]


def zeros(ins, outs, attrs):
    outs[0].fill(0)


def ones(ins, outs, attrs):
    outs[0].fill(1)


def full(ins, outs, attrs):
    outs[0].fill(attrs["value"])


def arange(ins, outs, attrs):
    start, stop, step, repeat = attrs["start"], attrs["stop"], attrs["step"], attrs["repeat"]
    if stop is None:
        start = 0.0
    n = outs[0].shape[0] // max(repeat, 1)
    # MXNet computes start + i * step in float64 and then casts to the output type.
    values = start + np.arange(n, dtype=np.float64) * step
    np.copyto(outs[0], np.repeat(values, repeat), casting="unsafe")


def linspace(ins, outs, attrs):
    values = np.linspace(attrs["start"], attrs["stop"], attrs["num"], endpoint=attrs["endpoint"])
    np.copyto(outs[0], values, casting="unsafe")


def eye(ins, outs, attrs):
    out = outs[0]
    np.copyto(out, np.eye(out.shape[0], out.shape[1], attrs["k"]), casting="unsafe")


KERNELS = {
    "_zeros": zeros, "_ones": ones, "_full": full, "_arange": arange, "_linspace": linspace,
    "_eye": eye, "zeros_like": zeros, "ones_like": ones,
}
