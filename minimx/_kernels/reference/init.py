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
    # MXNet casts start and step to the output type first and computes start + i * step in that
    # type (float32: arange(0, 1, 0.1)[9] is 0.90000004; int: arange(0.5, 5, 1.5) is [0, 1, 2]).
    # float16 arithmetic goes through float32, as mshadow's half_t does.
    dt = np.dtype(np.float32) if outs[0].dtype == np.float16 else outs[0].dtype
    with np.errstate(over="ignore", invalid="ignore"):
        values = np.asarray(start).astype(dt) + np.arange(n).astype(dt) * np.asarray(step).astype(dt)
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
