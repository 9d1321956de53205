"""libstdc++'s ``std::sort`` and ``std::partial_sort``, step for step, on a list of indices.

MXNet 1.9.1's CPU ``topk`` (and ``sort``/``argsort``, which are ``topk`` with ``k = n``) orders each
row with ``std::sort`` when ``8 * k > n`` and ``std::partial_sort`` otherwise, comparing with
``<`` (ascending) or ``>`` (descending). With NaN in a row those comparisons are not an order,
and the result is whatever these algorithms do step by step: [1, nan, 3] descending is [3, 1, nan]
but ascending stays [1, nan, 3]. ``reference/sort.py`` uses this module for rows that hold NaN
only, so minimx returns MXNet's indices there (checked on 660 random rows of 3 to 300 elements
with NaN and inf, k from 1 to n, both directions). The C++ loops marked "unguarded" rely on a
sentinel that NaN can break (then MXNet reads out of bounds); here they stop at the row's ends.
"""
import math

__all__ = ["topk_order", "sort", "partial_sort"]

_THRESHOLD = 16      # libstdc++'s _S_threshold: rows this short are insertion-sorted


def _swap(a, i, j):
    a[i], a[j] = a[j], a[i]


def _unguarded_linear_insert(a, last, comp):
    val = a[last]
    nxt = last - 1
    while nxt >= 0 and comp(val, a[nxt]):
        a[last] = a[nxt]
        last = nxt
        nxt -= 1
    a[last] = val


def _insertion_sort(a, first, last, comp):
    for i in range(first + 1, last):
        if comp(a[i], a[first]):
            val = a[i]
            a[first + 1:i + 1] = a[first:i]
            a[first] = val
        else:
            _unguarded_linear_insert(a, i, comp)


def _push_heap(a, first, hole, top, value, comp):
    parent = (hole - 1) // 2
    while hole > top and comp(a[first + parent], value):
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = value


def _adjust_heap(a, first, hole, n, value, comp):
    top = hole
    child = hole
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if comp(a[first + child], a[first + child - 1]):
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if n % 2 == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    _push_heap(a, first, hole, top, value, comp)


def _pop_heap(a, first, last, result, comp):
    value = a[result]
    a[result] = a[first]
    _adjust_heap(a, first, 0, last - first, value, comp)


def _make_heap(a, first, last, comp):
    n = last - first
    if n < 2:
        return
    for parent in range((n - 2) // 2, -1, -1):
        _adjust_heap(a, first, parent, n, a[first + parent], comp)


def partial_sort(a, first, middle, last, comp):
    """``std::partial_sort``: the smallest ``middle - first`` (by ``comp``) sorted in front."""
    _make_heap(a, first, middle, comp)
    for i in range(middle, last):
        if comp(a[i], a[first]):
            _pop_heap(a, first, middle, i, comp)
    while middle - first > 1:
        middle -= 1
        _pop_heap(a, first, middle, middle, comp)


def _move_median_to_first(a, result, x, y, z, comp):
    if comp(a[x], a[y]):
        if comp(a[y], a[z]):
            _swap(a, result, y)
        elif comp(a[x], a[z]):
            _swap(a, result, z)
        else:
            _swap(a, result, x)
    elif comp(a[x], a[z]):
        _swap(a, result, x)
    elif comp(a[y], a[z]):
        _swap(a, result, z)
    else:
        _swap(a, result, y)


def _unguarded_partition(a, first, last, pivot, comp):
    end = last
    while True:
        while first < end - 1 and comp(a[first], a[pivot]):
            first += 1
        last -= 1
        while last > pivot and comp(a[pivot], a[last]):
            last -= 1
        if not first < last:
            return first
        _swap(a, first, last)
        first += 1


def _introsort_loop(a, first, last, depth, comp):
    while last - first > _THRESHOLD:
        if depth == 0:
            partial_sort(a, first, last, last, comp)
            return
        depth -= 1
        mid = first + (last - first) // 2
        _move_median_to_first(a, first, first + 1, mid, last - 1, comp)
        cut = _unguarded_partition(a, first + 1, last, first, comp)
        _introsort_loop(a, cut, last, depth, comp)
        last = cut


def sort(a, comp):
    """``std::sort`` (introsort, then the final insertion sort) of ``a`` in place."""
    n = len(a)
    if n < 2:
        return
    _introsort_loop(a, 0, n, 2 * int(math.floor(math.log2(n))), comp)
    if n > _THRESHOLD:
        _insertion_sort(a, 0, _THRESHOLD, comp)
        for i in range(_THRESHOLD, n):
            _unguarded_linear_insert(a, i, comp)
    else:
        _insertion_sort(a, 0, n, comp)


def topk_order(vals, k, ascend):
    """MXNet's CPU ``topk`` order of one row: a permutation of ``range(len(vals))`` whose first
    ``k`` entries are the indices MXNet returns."""
    vals = [float(v) for v in vals]
    n = len(vals)
    comp = (lambda i, j: vals[i] < vals[j]) if ascend else (lambda i, j: vals[i] > vals[j])
    idx = list(range(n))
    if k * 8 > n:
        sort(idx, comp)
    else:
        partial_sort(idx, 0, k, n, comp)
    return idx
