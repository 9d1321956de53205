"""Shape ops: reshape (MXNet's special codes), transpose, and the shape helpers NDArray uses."""
from ..base import MXNetError, prod
from .opdef import OpDef, Param, fail
from .params import Bool, OptAxes, Shape

__all__ = ["infer_reshape"]


def infer_reshape(src, target, reverse=False):
    """The shape MXNet's ``reshape`` gives ``src`` for ``target`` with special codes.

    ``0`` copies the input axis, ``-1`` infers one axis, ``-2`` copies all remaining axes, ``-3``
    merges two axes, ``-4`` splits one axis into the next two values (one may be -1). With
    ``reverse=True`` the codes are matched from the right.
    """
    src = tuple(src)
    target = tuple(int(t) for t in target)
    if reverse:
        src_r, target_r = src[::-1], list(target[::-1])
        # -4's two split values keep their order when read backwards.
        i = 0
        while i < len(target_r):
            if target_r[i] == -4 and i >= 2:
                target_r[i - 2], target_r[i - 1] = target_r[i - 1], target_r[i - 2]
                target_r = target_r[:i - 2] + [-4] + target_r[i - 2:i] + target_r[i + 1:]
            i += 1
        return tuple(reversed(infer_reshape(src_r, tuple(target_r), False)))
    out, infer_at = [], None
    i = j = 0
    while j < len(target):
        t = target[j]
        if t > 0:
            out.append(t)
            i += 1
        elif t == 0:
            if i >= len(src):
                raise MXNetError(f"reshape: code 0 at position {j} has no input axis to copy "
                                 f"(input shape {src}, target {target})")
            out.append(src[i])
            i += 1
        elif t == -1:
            if infer_at is not None:
                raise MXNetError(f"reshape: only one -1 is allowed in {target}")
            infer_at = len(out)
            out.append(1)
            i += 1
        elif t == -2:
            out.extend(src[i:])
            i = len(src)
        elif t == -3:
            if i + 1 >= len(src):
                raise MXNetError(f"reshape: code -3 needs two input axes at position {i} of {src}")
            out.append(src[i] * src[i + 1])
            i += 2
        elif t == -4:
            if j + 2 >= len(target) or i >= len(src):
                raise MXNetError(f"reshape: code -4 must be followed by two values, got {target}")
            d1, d2 = target[j + 1], target[j + 2]
            if d1 == -1 and d2 == -1:
                raise MXNetError("reshape: at most one of the two values after -4 may be -1")
            if d1 == -1:
                d1 = src[i] // d2 if d2 else 0
            if d2 == -1:
                d2 = src[i] // d1 if d1 else 0
            if d1 * d2 != src[i]:
                raise MXNetError(f"reshape: -4 splits axis {i} of size {src[i]} into {d1} x {d2}, "
                                 "which does not multiply back")
            out.extend((d1, d2))
            i += 1
            j += 2
        else:
            raise MXNetError(f"reshape: invalid code {t} in {target}")
        j += 1
    if infer_at is not None:
        known = prod(out)
        if known == 0 or prod(src) % known:
            raise MXNetError(f"reshape: cannot infer -1: {prod(src)} elements of {src} do not "
                             f"divide into {tuple(out)}")
        out[infer_at] = prod(src) // known
    if prod(out) != prod(src):
        raise MXNetError(f"reshape: target {target} gives shape {tuple(out)} with {prod(out)} "
                         f"elements, but the input {src} has {prod(src)}\n"
                         "  hint: the number of elements must stay the same")
    return tuple(out)


def _reshape_shape(attrs, data):
    try:
        return infer_reshape(data, attrs["shape"], attrs["reverse"])
    except MXNetError as e:
        fail(str(e))


Reshape = OpDef("Reshape", params=(Param("shape", Shape, (), "the target shape (codes allowed)"),
                                   Param("reverse", Bool, False, "match codes from the right")),
                shape=_reshape_shape, aliases=("reshape",), formula="out = data viewed as shape",
                family="shape")


def _transpose_shape(attrs, data):
    axes = attrs["axes"]
    if not axes:
        return tuple(reversed(data))
    if sorted(a % len(data) if -len(data) <= a < len(data) else a for a in axes) != list(range(len(data))):
        fail(f"axes {axes} is not a permutation of the {len(data)} axes of the input",
             f"give each of 0..{len(data) - 1} once")
    return tuple(data[a] for a in axes)


transpose = OpDef("transpose", params=(Param("axes", OptAxes, (), "the permutation; () reverses"),),
                  shape=_transpose_shape, formula="out[i_axes[0], ...] = data[i_0, ...]",
                  family="shape")
