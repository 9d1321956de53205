"""One OpenCL kernel for a chain (or tree) of elementwise ops: ``out = f(g(h(x, a), s), b)``.

A hybridized graph on an OpenCL device runs ``relu(x * 2 + 1) * sigmoid(y) - 0.5`` as five
kernels, each reading its inputs from and writing its output to device memory. The fusion pass
(``minimx/symbol/fusion.py``) hands such a group to ``fused_kernel`` as a small *program*, and
this module writes ONE kernel for it: every intermediate value lives in a register.

A program is a ``FusedProgram``: ``n_inputs`` arrays and ``scalars`` (passed as kernel
arguments, so the program is built once per structure and dtype, whatever the scalar values),
then ``steps``, each ``(expr, slots)``: a C expression from ``elemwise.py``'s tables over ``x``
(one slot) or ``a``, ``b`` (two slots). Slots number the registers: the inputs first, then the
scalars, then the result of each step; the last step's result is the output.

Each step's value is cast to the element type ``T`` as the unfused kernel's store would, and
``FP_CONTRACT`` is off so ``a * b + c`` is not turned into an fma: fused and unfused results are
the same bits.
"""
import numpy as np

from .elemwise import _PREAMBLE, ctype, floats, launch_1d

__all__ = ["FusedProgram", "fused_kernel", "fused_source"]


class FusedProgram:
    """A group of elementwise steps over same-shape arrays (see the module docstring).

    Parameters
    ----------
    n_inputs : int
        Arrays read (registers ``0 .. n_inputs-1``).
    scalars : tuple of float
        Scalar operands (the next registers), cast to the element type at launch.
    steps : tuple of (str, tuple of int)
        ``(C expression over x or a/b, register slots it reads)``; step ``k`` writes register
        ``n_inputs + len(scalars) + k``.
    """
    __slots__ = ("n_inputs", "scalars", "steps")

    def __init__(self, n_inputs, scalars, steps):
        self.n_inputs, self.scalars = n_inputs, tuple(scalars)
        self.steps = tuple((expr, tuple(slots)) for expr, slots in steps)
        first = n_inputs + len(self.scalars)
        for k, (expr, slots) in enumerate(self.steps):
            if len(slots) not in (1, 2) or any(not 0 <= s < first + k for s in slots):
                raise ValueError(f"fused program step {k} ({expr!r}) reads slots {slots}: "
                                 f"each step reads 1 or 2 registers written before it")

    @property
    def structure(self):
        """What the generated source depends on (not the scalar values)."""
        return self.n_inputs, len(self.scalars), self.steps

    def __repr__(self):
        return f"<FusedProgram {self.n_inputs} inputs, {len(self.steps)} steps>"


def fused_source(program, T):
    """The OpenCL C source of ``program`` for element type ``T`` (kernel name ``fused``)."""
    n, m = program.n_inputs, len(program.scalars)
    params = [f"__global const T* in{k}, long io{k}" for k in range(n)]
    params += [f"T s{k}" for k in range(m)]
    body = [f"T r{k} = in{k}[io{k} + i];" for k in range(n)]
    body += [f"T r{n + k} = s{k};" for k in range(m)]
    reg = n + m
    for expr, slots in program.steps:
        if len(slots) == 1:
            load = f"T x = r{slots[0]};"
        else:
            load = f"T a = r{slots[0]}; T b = r{slots[1]};"
        body.append(f"T r{reg}; {{ {load} r{reg} = (T)({expr}); }}")
        reg += 1
    body.append(f"out[oo + i] = r{reg - 1};")
    lines = "\n  ".join(body)
    return (f"{_PREAMBLE}#pragma OPENCL FP_CONTRACT OFF\n#define T {T}\n"
            f"__kernel void fused(__global T* out, long oo, {', '.join(params)}, long n) {{\n"
            f"  long i = get_global_id(0);\n  if (i >= n) return;\n  {lines}\n}}\n")


def fused_kernel(program):
    """A kernel ``(ins, outs, attrs)`` computing ``program`` in one launch.

    ``ins`` are the program's ``n_inputs`` arrays, ``outs[0]`` the result; ``attrs`` is unused.
    Returns ``NotImplemented`` unless every array is contiguous float32 (or float64 on a device
    with fp64) of one dtype and one shape; the fusion pass checks that when it builds the plan,
    so that only happens on a float64 graph on a device without fp64.
    """
    sources = {}     # element type -> source (the device caches the built program by source)

    def kernel(ins, outs, attrs):
        out = outs[0]
        dev = out.dev
        if len(ins) != program.n_inputs or not floats(dev, out, *ins) or \
                any(x.shape != out.shape for x in ins):
            return NotImplemented
        T = ctype(out.dtype)
        src = sources.get(T)
        if src is None:
            src = sources[T] = fused_source(program, T)
        k = dev.kernel(src, "fused")
        args = []
        for x in ins:
            args += [x.buf, np.int64(x.offset)]
        # Scalars are cast to the element type first, as the unfused scalar kernels do.
        args += [np.array(s).astype(out.dtype)[()] for s in program.scalars]
        launch_1d(dev, k, out.size, out.buf, np.int64(out.offset), *args, np.int64(out.size))
        return None

    kernel.program = program
    return kernel
