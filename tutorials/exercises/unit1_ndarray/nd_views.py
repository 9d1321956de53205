"""Unit 1 (continued) - views and strides: how an n-d array sits in flat memory.

An array is a flat block of memory plus a shape. Its *strides* say how many bytes to step in
memory to move one place along each axis; a *view* is a second array over (part of) the same
block, so writing through it changes the original. Tutorial 01's "Views and copies" section is
the background.

Exercises
---------
1.4 ``strides_of(shape, itemsize)`` and ``flat_index(index, shape)``: row-major (C order)
    strides, and the position of an element in the flat block.
1.5 ``writes_through(kind, shape, i, j)``: for each kind of expression on an NDArray, does a write
    through the result change the original (a view), or not (a copy)?
1.6 ``sliding_windows(a, window, step)``: every window of a 1-d numpy array as the rows of a
    2-d *view*, built from strides alone, without copying a single element.

Run this unit's tests with ``python -m minimx.exercises grade --unit 1``.
"""
import numpy as np

__all__ = ["KINDS", "strides_of", "flat_index", "writes_through", "sliding_windows"]

# The kinds of expression exercise 1.5 asks about, for a 2-d NDArray ``x`` (i < j are row or
# column numbers). The tests build each one exactly as written here.
KINDS = {
    "first_axis_slice": "x[i:j]",
    "integer_index": "x[i]",
    "reshape": "x.reshape((-1,))",
    "transpose": "x.T",
    "fancy_index": "x[[i, j - 1]]",
    "axis1_slice": "x[:, i:j]",
    "stepped_slice": "x[i:j:2]",
    "slice_axis": "mx.nd.slice_axis(x, axis=0, begin=i, end=j)",
    "copy": "x.copy()",
}


def strides_of(shape, itemsize):
    """The row-major (C order) strides of an array, in bytes.

    Parameters
    ----------
    shape : tuple of int
        The array's shape; ``()`` for a scalar.
    itemsize : int
        Bytes per element (4 for float32).

    Returns
    -------
    tuple of int
        One stride per axis: the bytes between ``a[..., k, ...]`` and ``a[..., k + 1, ...]``.
        Equal to ``np.empty(shape, dtype).strides``.

    Notes
    -----
    In row-major order the *last* axis is contiguous: its stride is ``itemsize``. Each axis to
    its left steps over one whole block of the axes to its right, so its stride is the stride
    of the next axis times that axis's length: for shape (2, 3, 4) and itemsize 4, (48, 16, 4).
    """
    # BEGIN SOLUTION 1.4: walk the shape from the last axis to the first, multiplying as you go
    strides, step = [], itemsize
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return tuple(reversed(strides))
    # END SOLUTION


def flat_index(index, shape):
    """The position of ``a[index]`` in the row-major flat block of ``a``, counted in elements.

    Parameters
    ----------
    index : tuple of int
        One non-negative index per axis, each below that axis's length.
    shape : tuple of int
        The array's shape.

    Returns
    -------
    int
        ``k`` such that ``a.reshape(-1)[k] == a[index]``; equal to
        ``np.ravel_multi_index(index, shape)``.

    Notes
    -----
    Either sum ``index[d] * stride[d]`` with the strides of ``strides_of(shape, 1)``, or go
    left to right: ``k = k * shape[d] + index[d]`` (Horner's rule).
    """
    # BEGIN SOLUTION 1.4: k = k * shape[d] + index[d], for d from the first axis to the last
    k = 0
    for i, n in zip(index, shape):
        k = k * n + i
    return k
    # END SOLUTION


def writes_through(kind, shape, i, j):
    """Whether a write through ``KINDS[kind]`` changes ``x`` in minimx (and in MXNet 1.x).

    Parameters
    ----------
    kind : str
        A key of ``KINDS``.
    shape : tuple of int
        ``x``'s shape ``(rows, cols)``, both at least 1.
    i, j : int
        The numbers in the expression, ``0 <= i < j``: rows (``j <= rows``), except for
        ``"axis1_slice"``, where they are columns (``j <= cols``). Kinds without ``i`` or ``j``
        ignore them.

    Returns
    -------
    bool
        True when the expression returns a view of ``x`` (``y[:] = 0`` also zeroes part of
        ``x``), False when it returns a new array.

    Notes
    -----
    An MXNet view is one *contiguous* run of its parent's row-major memory: a chunk, an offset
    and a shape, with no strides. Indexing with ints and slices (``x[...]`` without lists)
    returns a view exactly when the elements it selects form one unbroken run; anything else,
    and every operator (``mx.nd.slice_axis`` and ``.T`` among them), writes a new array. So ask
    of each kind: which elements of the flat block does it select, for this shape, ``i`` and
    ``j``, and are they one run? numpy, which has strides, answers differently for some kinds.
    """
    if kind not in KINDS:
        raise ValueError(f"writes_through: unknown kind {kind!r}; use one of {sorted(KINDS)}")
    # BEGIN SOLUTION 1.5: decide per kind whether the selected elements are one contiguous run of x
    rows, cols = shape
    if kind in ("first_axis_slice", "integer_index", "reshape"):
        return True                                   # whole rows, next to each other
    if kind == "axis1_slice":
        return rows == 1 or (i == 0 and j == cols)    # one row, or every column
    if kind == "stepped_slice":
        return j - i <= 2                             # rows i, i + 2, ...: contiguous if only one
    return False                                      # fancy indexing and operators copy
    # END SOLUTION


def sliding_windows(a, window, step=1):
    """Every ``window``-long run of ``a``, ``step`` apart, as the rows of a 2-d view of ``a``.

    Parameters
    ----------
    a : numpy.ndarray
        1-d, any dtype; it may itself be a strided view (``b[::3]``).
    window : int
        The length of each window, ``1 <= window <= len(a)``.
    step : int, default 1
        How far each window starts after the previous one, ``>= 1``.

    Returns
    -------
    numpy.ndarray
        Shape ``((len(a) - window) // step + 1, window)``; row ``r`` is
        ``a[r * step : r * step + window]``. A read-only view: it shares ``a``'s memory
        (``np.shares_memory``), and no element is copied.

    Notes
    -----
    ``np.lib.stride_tricks.as_strided(a, shape, strides, writeable=False)`` makes an array with
    any shape and strides over ``a``'s memory. Moving along a row moves one element of ``a``
    (``a.strides[0]`` bytes, which is not the itemsize when ``a`` is strided); moving down one
    row moves ``step`` elements. Rows overlap, which is why the view must be read-only. MXNet
    cannot express this array at all: its views have no strides.
    """
    # BEGIN SOLUTION 1.6: as_strided with shape (rows, window) and strides (step * s, s), s = a.strides[0]
    s = a.strides[0]
    rows = (len(a) - window) // step + 1
    return np.lib.stride_tricks.as_strided(a, shape=(rows, window), strides=(step * s, s),
                                           writeable=False)
    # END SOLUTION
