"""The test harness itself: hypothesis settings must not pile up across parametrized cases.

hypothesis's pytest plugin wraps a parametrized test's settings once per case; without the undo in
conftest.py the stack grew by one per case and, with no example database (derandomized runs, or
$CI set), each lookup walked it: test_op_table's ~2300 cases overflowed the recursion limit on CI.
"""
import pytest
from hypothesis import given, strategies as st


def _depth(s):
    n = 0
    while s is not None:
        n, s = n + 1, getattr(s, "_fallback", None)
    return n


@pytest.mark.parametrize("case", range(20))
@given(x=st.just(0))
def test_settings_do_not_stack_across_cases(case, x):
    assert _depth(test_settings_do_not_stack_across_cases._hypothesis_internal_use_settings) < 6
