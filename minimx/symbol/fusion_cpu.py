"""The CPU side of elementwise fusion: a group of steps becomes one ``_kernels/cpu/fused.pyx``
``Program``.

``fusion.py`` finds the groups (one algorithm for every backend); this module says which steps
the CPU interpreter can run and turns a group into instructions. Each step becomes a short
*recipe* of interpreter ops that computes exactly what the step's own CPU kernel computes, e.g.

- ``_plus_scalar`` (``elemwise.pyx``): ``add(x, s)``; ``_rminus_scalar``: ``sub(s, x)``;
- ``sigmoid`` (``elemwise_unary.pyx``): ``negative``, ``exp_k`` (libm or numpy by size, as the
  kernel chooses), ``add(t, 1)``, ``div(1, t)``;
- ``Activation(sigmoid)`` (the numpy reference's ``1 / (1 + np.exp(-x))``): the same with numpy's
  ``exp`` loop at every size; ``sin``, ``log1p`` ... (reference ``np.sin`` ...): numpy's loops.

A recipe is a list of ``(op, args, ufunc)``; an arg is ``("in", j)`` (the step's j-th input),
``("c", value)`` (a constant) or ``("t", k)`` (the recipe's k-th result). ``cpu_program`` then
numbers registers, reusing a temporary once its value is dead, so that a long chain needs few.

A step whose kernel is not the one modelled here (another backend's, a kernel replaced later)
is not fused: bit-for-bit equality with the unfused plan is the contract.
"""
import numpy as np

from .._kernels.scalar_ops import SCALAR_AS_BINARY

__all__ = ["cpu_recipe", "cpu_program"]

_C_BINARY = ("add", "sub", "mul", "div", "maximum", "minimum", "power", "hypot", "equal",
             "not_equal", "greater", "greater_equal", "lesser", "lesser_equal", "logical_and",
             "logical_or", "logical_xor")
_SCALAR = SCALAR_AS_BINARY      # scalar op -> (binary op, reflected)
X, ONE = ("in", 0), ("c", 1.0)
_SOFTSIGN = [("abs", (X,), None), ("add", (("t", 0), ONE), None),
             ("div", (X, ("t", 1)), None)]


def _sigmoid(exp_op, exp_ufunc):
    return [("negative", (X,), None), (exp_op, (("t", 0),), exp_ufunc),
            ("add", (("t", 1), ONE), None), ("div", (ONE, ("t", 2)), None)]


# elemwise_unary.pyx's kernels
_CYTHON_UNARY = {
    "negative": [("negative", (X,), None)], "abs": [("abs", (X,), None)],
    "relu": [("relu", (X,), None)], "square": [("square", (X,), None)],
    "sqrt": [("sqrt", (X,), None)], "exp": [("exp_k", (X,), None)],
    "log": [("log_k", (X,), None)], "tanh": [("tanh_k", (X,), None)],
    "sigmoid": _sigmoid("exp_k", None),
}
# the numpy reference's unary kernels (``_math(f)`` in the element type)
_NUMPY_MATH = ("sin", "cos", "tan", "log1p", "expm1", "log2", "log10", "sinh", "cosh", "arcsin",
               "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "cbrt", "floor", "ceil",
               "trunc")
_REFERENCE_UNARY = {name: [("np_unary", (X,), name)] for name in _NUMPY_MATH}
_REFERENCE_UNARY.update({
    "fix": [("np_unary", (X,), "trunc")],
    "rsqrt": [("sqrt", (X,), None), ("div", (ONE, ("t", 0)), None)],      # 1 / np.sqrt(x)
    "rcbrt": [("np_unary", (X,), "cbrt"), ("div", (ONE, ("t", 0)), None)],
    "reciprocal": [("div", (ONE, X), None)],
    "softsign": _SOFTSIGN,
})
# the numpy reference's Activation
_ACTIVATION = {
    "relu": [("relu", (X,), None)],            # np.maximum(x, 0): NaN through, -0 -> +0
    "sigmoid": _sigmoid("np_unary", "exp"),
    "tanh": [("np_unary", (X,), "tanh")],
    "softrelu": [("np_binary", (("c", 0.0), X), "logaddexp")],
    "softsign": _SOFTSIGN,
}


def _kernel_tables():
    from .._kernels.cpu import elemwise, elemwise_unary
    from .._kernels.reference import KERNELS as reference
    return elemwise.KERNELS, elemwise_unary.KERNELS, reference


def _interpreter():
    """``_kernels/cpu/fused``, or None in a checkout built before it existed (then nothing
    fuses: run ``python3 setup.py build_ext --inplace``)."""
    try:
        from .._kernels.cpu import fused
    except ImportError:
        return None
    return fused


def cpu_recipe(st):
    """The interpreter ops computing step ``st`` as its CPU kernel does, or None.

    The caller has checked that ``st`` is elementwise over one float dtype and shape
    (``fusion._elementwise_ok``); this checks that its kernel is the one a recipe models.
    """
    if _interpreter() is None:
        return None
    binary, unary, reference = _kernel_tables()
    name, n, kernel = st.op.kernel, len(st.refs), st.kernel
    if n == 2 and name.startswith("broadcast_") and name[10:] in _C_BINARY:
        return [(name[10:], (X, ("in", 1)), None)] if kernel is binary.get(name) else None
    if n != 1:
        return None
    if name in _SCALAR and kernel in (binary.get(name), reference.get(name)):
        op, reflected = _SCALAR[name]
        s = ("c", float(st.attrs["scalar"]))
        return [(op, (s, X) if reflected else (X, s), None)]
    if name in _CYTHON_UNARY and kernel is unary.get(name):
        return _CYTHON_UNARY[name]
    if name in _REFERENCE_UNARY and kernel is reference.get(name):
        return _REFERENCE_UNARY[name]
    if name == "Activation" and kernel is reference.get(name):
        return _ACTIVATION.get(st.attrs.get("act_type"))
    return None


def _const_key(value):
    # -0.0 and 0.0 (and NaN payloads) are different constants: key by bits.
    return np.float64(value).tobytes()


def cpu_program(nodes, steps, inputs):
    """The ``Program`` of a group, or None when it needs more registers than the machine has.

    Parameters
    ----------
    nodes : list of int
        The group's nodes in graph order (the last is its root).
    steps : list
        The plan's steps.
    inputs : list of (int, int)
        The group's external operands: register ``k`` is ``inputs[k]``.
    """
    fused = _interpreter()
    n_in = len(inputs)
    out_reg = n_in
    consts, const_reg = [], {}
    where = {r: ("r", k) for k, r in enumerate(inputs)}    # value -> register or virtual
    micro = []                                               # (op, operands, ufunc)
    for i in nodes:
        st = steps[i]
        local = []
        for op, args, ufunc in cpu_recipe(st):
            srcs = []
            for kind, v in args:
                if kind == "in":
                    srcs.append(where[st.refs[v]])
                elif kind == "t":
                    srcs.append(local[v])
                else:
                    key = _const_key(v)
                    if key not in const_reg:
                        const_reg[key] = out_reg + 1 + len(consts)
                        consts.append(v)
                    srcs.append(("r", const_reg[key]))
            micro.append((op, srcs, ufunc))
            local.append(("v", len(micro) - 1))
        where[(i, 0)] = local[-1]
    last_use = {}
    for k, (_, srcs, _) in enumerate(micro):
        for s in srcs:
            last_use[s] = k
    first_temp = out_reg + 1 + len(consts)
    free, n_regs, reg_of, code = [], first_temp, {}, []
    for k, (op, srcs, ufunc) in enumerate(micro):
        regs = [reg_of[s] if s[0] == "v" else s[1] for s in srcs]
        for s in set(srcs):      # dead after this instruction: its register may be the dst
            if s[0] == "v" and last_use[s] == k:
                free.append(reg_of[s])
        if k == len(micro) - 1:
            dst = out_reg
        elif free:
            dst = free.pop()
        else:
            dst, n_regs = n_regs, n_regs + 1
        reg_of[("v", k)] = dst
        f = fused.NP_UFUNCS.index(ufunc) if ufunc is not None else 0
        code.append((fused.OPCODES[op], dst, regs[0], regs[1] if len(regs) > 1 else -1, f))
    if n_regs > fused.MAX_REGS:
        return None
    return fused.Program(n_in, consts, code, n_regs)
