"""A fused elementwise kernel for the CPU: a small register machine that runs a whole group of
elementwise ops (``relu(x * 2 + 1) * sigmoid(y) - 0.5``) in one pass over memory.

The naive way runs one kernel per op, each reading its inputs from and writing its output to main
memory. Here a group is a ``Program``: a list of instructions ``(opcode, dst, a, b, f)`` over
registers, each register a block of ``BLOCK`` elements::

    for each block of BLOCK elements:           # the block's registers stay in the L1 cache
        for op, dst, a, b, f in program:
            reg[dst][0:m] = op(reg[a][0:m], reg[b][0:m])

Registers are numbered: the ``n_inputs`` input arrays first (read in place, no copy), then the
output array (only the last instruction writes it), then the constants (a block filled with one
scalar, once per thread), then the temporaries (this thread's scratch). Then:

1. Every instruction is one tight loop over a block, chosen outside the loop, so the compiler
   vectorises the plain arithmetic as in ``elemwise.pyx``.
2. Above ``PARALLEL_MIN`` elements the blocks are split into one band per thread for OpenMP's
   ``prange`` (``threads_for``: the budget the other kernels use); the GIL is released throughout.

**Same bits as the unfused kernels.** Each instruction computes what the kernel of the op it
stands for computes: the same formula (``maximum`` and ``relu`` let a NaN through, a comparison
gives 1 or 0), every result stored in the element type, and the same transcendental functions.
Those differ between kernels: ``elemwise_unary.pyx`` calls libm's ``expf`` below 2048 elements and
numpy's SIMD loops from there, and the numpy-reference kernels (``Activation``, ``sin``, ``log1p``
...) always call numpy's loops. So ``EXP_K``/``LOG_K``/``TANH_K`` make the same choice by the
array's size, and ``NP_UNARY``/``NP_BINARY`` call numpy's ufunc inner loop (its C function pointer,
found at import and checked against the ufunc on sample values) on the block. A program that
needs a loop that failed the check, or arrays it does not take (not C-contiguous float32/float64 of
one dtype and size, or an output partly overlapping an input), gets ``NotImplemented``: the caller
runs the ops one by one.
"""
cimport numpy as cnp
from cython.parallel cimport prange
from libc.math cimport (exp, expf, fabs, fabsf, hypot, hypotf, log, logf, pow, powf, sqrt, sqrtf,
                        tanh, tanhf)
from libc.stdlib cimport free, malloc

import numpy as np

from minimx.base import MXNetError
from minimx._kernels.cpu.elemwise cimport clashes, float_type, real, threads_for

cnp.import_array()

__all__ = ["Program", "OPCODES", "NP_UFUNCS", "BLOCK", "MAX_REGS", "NUMPY_MIN", "numpy_loop_ok"]

cdef enum:
    _BLOCK = 256         # elements per block: 1 KiB of float32 per register
    _MAX_REGS = 64
    _NUMPY_MIN = 2048    # elemwise_unary.pyx's _NUMPY_MIN: from here exp/log/tanh are numpy's

BLOCK, MAX_REGS, NUMPY_MIN = _BLOCK, _MAX_REGS, _NUMPY_MIN

cdef enum Opcode:
    # two registers -> one (the formulas of elemwise.pyx's _apply)
    ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, POWER, HYPOT,
    EQ, NE, GT, GE, LT, LE, AND, OR, XOR,
    # one register -> one (elemwise_unary.pyx's loops)
    NEGATIVE, ABS, SQUARE, SQRT, RELU, EXP_K, LOG_K, TANH_K,
    # numpy's inner loop number f of NP_UFUNCS on one or two registers
    NP_UNARY, NP_BINARY

OPCODES = {
    "add": ADD, "sub": SUB, "mul": MUL, "div": DIV, "maximum": MAXIMUM, "minimum": MINIMUM,
    "power": POWER, "hypot": HYPOT, "equal": EQ, "not_equal": NE, "greater": GT,
    "greater_equal": GE, "lesser": LT, "lesser_equal": LE, "logical_and": AND,
    "logical_or": OR, "logical_xor": XOR, "negative": NEGATIVE, "abs": ABS, "square": SQUARE,
    "sqrt": SQRT, "relu": RELU, "exp_k": EXP_K, "log_k": LOG_K, "tanh_k": TANH_K,
    "np_unary": NP_UNARY, "np_binary": NP_BINARY,
}

# The numpy ufuncs whose loops NP_UNARY/NP_BINARY call (f = the index here). The first three
# are also the loops EXP_K, LOG_K and TANH_K use from NUMPY_MIN elements.
NP_UFUNCS = ("exp", "log", "tanh", "sin", "cos", "tan", "log1p", "expm1", "log2", "log10",
             "sinh", "cosh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh",
             "cbrt", "floor", "ceil", "trunc", "logaddexp")
cdef enum:
    N_UFUNCS = 23

ctypedef void (*loop_t)(char**, cnp.npy_intp*, cnp.npy_intp*, void*) noexcept nogil

cdef loop_t _loops[N_UFUNCS][2]          # [ufunc][0: float32, 1: float64]; NULL if unusable
cdef void* _loop_data[N_UFUNCS][2]

ctypedef struct Instr:
    int op, dst, a, b, f


# -- numpy's inner loops ---------------------------------------------------------------------------
cdef bint _find_loop(int k, object name, int which):
    """Take ufunc ``name``'s inner loop for float32 (which=0) or float64; True if it agrees with
    the ufunc itself on sample values (numpy could route a call elsewhere in a future version)."""
    uf = getattr(np, name)
    code = "f" if which == 0 else "d"
    sig = code * uf.nin + "->" + code
    if sig not in uf.types:
        return False
    cdef cnp.ufunc u = uf
    cdef int i = uf.types.index(sig)
    if u.functions == NULL or u.functions[i] == NULL:     # a loop numpy keeps elsewhere
        return False
    # numpy's float loops touch no Python object: safe to call without the GIL (as numpy does).
    _loops[k][which] = <loop_t>u.functions[i]
    _loop_data[k][which] = u.data[i]
    rng = np.random.default_rng(7)
    dtype = np.float32 if which == 0 else np.float64
    n = 3 * _BLOCK + 7
    args = [np.ascontiguousarray(rng.standard_normal(n) * 30, dtype) for _ in range(uf.nin)]
    for a in args:
        a[:8] = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-30, 0.5, -0.75]
    with np.errstate(all="ignore"):
        want = uf(*args)
    got = np.empty_like(want)
    _call_loop(k, which, args, got, n)
    if not np.array_equal(want.view(np.uint8), got.view(np.uint8)):
        _loops[k][which] = NULL
        return False
    return True


cdef void _call_loop(int k, int which, list ins, cnp.ndarray out, cnp.npy_intp n) except *:
    cdef char* args[3]
    cdef cnp.npy_intp steps[3]
    cdef int j, nin = len(ins)
    for j in range(nin):
        args[j] = <char*>cnp.PyArray_DATA(<cnp.ndarray>ins[j])
        steps[j] = out.itemsize
    args[nin] = <char*>cnp.PyArray_DATA(out)
    steps[nin] = out.itemsize
    with nogil:
        _loops[k][which](args, &n, steps, _loop_data[k][which])


cdef bint _checked = False


cdef void _check_loops() except *:
    """Find and check every loop once (on the first Program, not at import)."""
    global _checked
    if not _checked:
        for k, name in enumerate(NP_UFUNCS):
            _find_loop(k, name, 0)
            _find_loop(k, name, 1)
        _checked = True


def numpy_loop_ok(name, dtype):
    """True if the fused kernel may call ufunc ``name``'s inner loop for ``dtype``."""
    _check_loops()
    k = NP_UFUNCS.index(name)
    return _loops[k][0 if np.dtype(dtype) == np.float32 else 1] != NULL


# -- one block ------------------------------------------------------------------------------------
cdef inline void _np_call(int f, real* o, real* a, real* b, Py_ssize_t m) noexcept nogil:
    cdef char* args[3]
    cdef cnp.npy_intp steps[3]
    cdef cnp.npy_intp n = m
    cdef int w = 0 if real is float else 1
    args[0] = <char*>a
    if b == NULL:                           # unary loop: (in, out)
        args[1] = <char*>o
    else:
        args[1] = <char*>b
        args[2] = <char*>o
    steps[0] = steps[1] = steps[2] = sizeof(real)
    _loops[f][w](args, &n, steps, _loop_data[f][w])


cdef void _block(const Instr* code, int ncode, real** r, Py_ssize_t m, bint big) noexcept nogil:
    """Run the program on one block of ``m`` elements; ``big``: numpy's loops for EXP_K..TANH_K."""
    cdef int k, op
    cdef Py_ssize_t i
    cdef real* o
    cdef real* a
    cdef real* b
    cdef real zero = 0
    for k in range(ncode):
        op = code[k].op
        o = r[code[k].dst]
        a = r[code[k].a]
        b = r[code[k].b] if code[k].b >= 0 else NULL
        if op == ADD:
            for i in range(m):
                o[i] = a[i] + b[i]
        elif op == SUB:
            for i in range(m):
                o[i] = a[i] - b[i]
        elif op == MUL:
            for i in range(m):
                o[i] = a[i] * b[i]
        elif op == DIV:
            for i in range(m):
                o[i] = a[i] / b[i]
        elif op == MAXIMUM:                 # MXNet: a NaN lhs wins, else the larger
            for i in range(m):
                o[i] = a[i] if (a[i] != a[i]) | (a[i] > b[i]) else b[i]
        elif op == MINIMUM:
            for i in range(m):
                o[i] = a[i] if (a[i] != a[i]) | (a[i] < b[i]) else b[i]
        elif op == POWER:
            for i in range(m):
                o[i] = powf(a[i], b[i]) if real is float else pow(a[i], b[i])
        elif op == HYPOT:
            for i in range(m):
                o[i] = hypotf(a[i], b[i]) if real is float else hypot(a[i], b[i])
        elif op == EQ:
            for i in range(m):
                o[i] = a[i] == b[i]
        elif op == NE:
            for i in range(m):
                o[i] = a[i] != b[i]
        elif op == GT:
            for i in range(m):
                o[i] = a[i] > b[i]
        elif op == GE:
            for i in range(m):
                o[i] = a[i] >= b[i]
        elif op == LT:
            for i in range(m):
                o[i] = a[i] < b[i]
        elif op == LE:
            for i in range(m):
                o[i] = a[i] <= b[i]
        elif op == AND:
            for i in range(m):
                o[i] = (a[i] != 0) & (b[i] != 0)
        elif op == OR:
            for i in range(m):
                o[i] = (a[i] != 0) | (b[i] != 0)
        elif op == XOR:
            for i in range(m):
                o[i] = (a[i] != 0) ^ (b[i] != 0)
        elif op == NEGATIVE:
            for i in range(m):
                o[i] = -a[i]
        elif op == ABS:
            for i in range(m):
                o[i] = fabsf(a[i]) if real is float else fabs(a[i])
        elif op == SQUARE:
            for i in range(m):
                o[i] = a[i] * a[i]
        elif op == SQRT:                    # correctly rounded everywhere: libm = numpy
            for i in range(m):
                o[i] = sqrtf(a[i]) if real is float else sqrt(a[i])
        elif op == RELU:                    # MXNet: NaN passes through
            for i in range(m):
                o[i] = a[i] if (a[i] != a[i]) | (a[i] > zero) else zero
        elif op == EXP_K or op == LOG_K or op == TANH_K:
            if big:                         # the unfused kernel calls numpy from NUMPY_MIN on
                _np_call(op - EXP_K, o, a, NULL, m)
            elif op == EXP_K:
                for i in range(m):
                    o[i] = expf(a[i]) if real is float else exp(a[i])
            elif op == LOG_K:
                for i in range(m):
                    o[i] = logf(a[i]) if real is float else log(a[i])
            else:
                for i in range(m):
                    o[i] = tanhf(a[i]) if real is float else tanh(a[i])
        elif op == NP_UNARY:
            _np_call(code[k].f, o, a, NULL, m)
        else:                               # NP_BINARY
            _np_call(code[k].f, o, a, b, m)


cdef void _band(const Instr* code, int ncode, int n_in, int n_regs, real** ins, real* out,
                const double* consts, int n_const, real* scratch, Py_ssize_t lo, Py_ssize_t hi,
                bint big) noexcept nogil:
    """Blocks ``lo..hi`` (element offsets) with this thread's ``scratch`` as its registers."""
    cdef real* r[_MAX_REGS]
    cdef int first = n_in + 1, k
    cdef Py_ssize_t off, m, i
    for k in range(first, n_regs):
        r[k] = scratch + (k - first) * _BLOCK
    for k in range(n_const):                # constants: cast to the element type, as MXNet does
        for i in range(_BLOCK):
            r[first + k][i] = <real>consts[k]
    off = lo
    while off < hi:
        m = min(<Py_ssize_t>_BLOCK, hi - off)
        for k in range(n_in):
            r[k] = ins[k] + off
        r[n_in] = out + off
        _block(code, ncode, r, m, big)
        off += m


cdef void _run(const Instr* code, int ncode, int n_in, int n_regs, real** ins, real* out,
               const double* consts, int n_const, real* scratch, Py_ssize_t n,
               int nthreads) noexcept nogil:
    """The program over n elements; ``scratch``: ``nthreads`` register files, one per thread."""
    cdef bint big = n >= _NUMPY_MIN
    cdef Py_ssize_t t, step, per = (n_regs - n_in - 1) * _BLOCK
    if nthreads <= 1:
        _band(code, ncode, n_in, n_regs, ins, out, consts, n_const, scratch, 0, n, big)
        return
    step = ((n + nthreads - 1) // nthreads + _BLOCK - 1) // _BLOCK * _BLOCK    # whole blocks
    for t in prange(nthreads, num_threads=nthreads, schedule="static"):
        if t * step < n:
            _band(code, ncode, n_in, n_regs, ins, out, consts, n_const, scratch + t * per,
                  t * step, min(t * step + step, n), big)


# -- the kernel ------------------------------------------------------------------------------------
cdef class Program:
    """A fused kernel ``program(ins, outs, attrs)`` (see the module docstring).

    Parameters
    ----------
    n_inputs : int
        Input arrays (registers ``0 .. n_inputs-1``); register ``n_inputs`` is the output.
    consts : sequence of float
        Constant registers ``n_inputs+1 ...``, cast to the element type at run time.
    code : sequence of (int, int, int, int, int)
        ``(opcode, dst, a, b, f)``: ``b`` is -1 for a one-operand op, ``f`` the ``NP_UFUNCS``
        index for NP_UNARY/NP_BINARY (and ignored otherwise). The last writes the output.
    n_regs : int
        Registers in all (inputs, output, constants, temporaries), at most ``MAX_REGS``.
    """
    cdef Instr* code
    cdef int ncode, n_in, n_regs, n_const
    cdef double* consts
    cdef readonly tuple ufuncs          # the NP_UFUNCS indices the program calls (EXP_K: 0 ...)
    cdef readonly tuple listing

    def __cinit__(self):
        self.code, self.consts = NULL, NULL

    def __init__(self, int n_inputs, consts, code, int n_regs):
        _check_loops()
        consts, code = [float(c) for c in consts], [tuple(int(v) for v in c) for c in code]
        first = n_inputs + 1 + len(consts)
        if not code or n_regs > _MAX_REGS or n_regs < first:
            raise MXNetError(f"fused Program: {len(code)} instructions over {n_regs} registers; "
                             f"need 1+ instructions and {first}..{_MAX_REGS} registers")
        for k, (op, dst, a, b, f) in enumerate(code):
            if not (ADD <= op <= NP_BINARY and 0 <= a < n_regs and -1 <= b < n_regs
                    and (dst == n_inputs) == (k == len(code) - 1)
                    and (dst == n_inputs or first <= dst < n_regs)
                    and (b >= 0) == (op <= XOR or op == NP_BINARY)
                    and (op < NP_UNARY or 0 <= f < N_UFUNCS)):
                raise MXNetError(f"fused Program: instruction {k} {(op, dst, a, b, f)} is not "
                                 f"valid over {n_inputs} inputs and {n_regs} registers")
        self.n_in, self.n_regs, self.ncode, self.n_const = n_inputs, n_regs, len(code), len(consts)
        self.code = <Instr*>malloc(len(code) * sizeof(Instr))
        self.consts = <double*>malloc((len(consts) + 1) * sizeof(double))
        if self.code == NULL or self.consts == NULL:
            raise MemoryError()
        for k, (op, dst, a, b, f) in enumerate(code):
            self.code[k].op, self.code[k].dst, self.code[k].a = op, dst, a
            self.code[k].b, self.code[k].f = b, f
        for k, c in enumerate(consts):
            self.consts[k] = c
        used = {f for op, _, _, _, f in code if op >= NP_UNARY}
        used |= {op - EXP_K for op, *_ in code if EXP_K <= op <= TANH_K}
        self.ufuncs = tuple(sorted(used))
        self.listing = tuple(code)

    def __dealloc__(self):
        free(self.code)
        free(self.consts)

    def __repr__(self):
        return f"<fused.Program {self.n_in} inputs, {self.ncode} instructions>"

    def __call__(self, ins, outs, attrs):
        out = outs[0]
        cdef int t = float_type(out, True), k, which
        if t < 0 or len(ins) != self.n_in:
            return NotImplemented
        cdef Py_ssize_t n = cnp.PyArray_SIZE(<cnp.ndarray>out)
        for x in ins:
            if float_type(x, False) != t or cnp.PyArray_SIZE(<cnp.ndarray>x) != n or \
                    clashes(x, out):
                return NotImplemented
        which = 0 if t == cnp.NPY_FLOAT32 else 1
        for k in self.ufuncs:
            if _loops[k][which] == NULL:
                return NotImplemented
        if n == 0:
            return None
        cdef int nthreads = threads_for(n)
        cdef void* ptrs[_MAX_REGS]
        for k in range(self.n_in):
            ptrs[k] = cnp.PyArray_DATA(<cnp.ndarray>ins[k])
        cdef void* po = cnp.PyArray_DATA(<cnp.ndarray>out)
        # Each thread's registers: a few KiB, allocated here where a failure can raise.
        cdef cnp.ndarray regs = np.empty(
            nthreads * (self.n_regs - self.n_in - 1) * _BLOCK + 1, out.dtype)
        cdef void* ps = cnp.PyArray_DATA(regs)
        with nogil:
            if which == 0:
                _run(self.code, self.ncode, self.n_in, self.n_regs, <float**>ptrs, <float*>po,
                     self.consts, self.n_const, <float*>ps, n, nthreads)
            else:
                _run(self.code, self.ncode, self.n_in, self.n_regs, <double**>ptrs,
                     <double*>po, self.consts, self.n_const, <double*>ps, n, nthreads)
        return None

