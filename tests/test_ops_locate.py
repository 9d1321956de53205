"""``python -m minimx.ops.locate NAME`` finds every op's declaration, gradient and kernels."""
import re

import pytest

from minimx.ops import all_ops
from minimx.ops.locate import locate, main

_PLACE = re.compile(r"^(\S+\.(?:py|pyx))(?::(\d+))?$")


def _check_place(where, expect=None):
    """``where`` is ``file`` or ``file:line`` of an existing file; the line, if given, exists
    (and holds ``expect``)."""
    m = _PLACE.match(where)
    assert m, where
    with open(m.group(1)) as f:        # relative to the current folder, as printed
        lines = f.read().splitlines()
    if m.group(2):
        line = lines[int(m.group(2)) - 1]
        if expect is not None:
            assert expect in line, (where, line)


@pytest.mark.parametrize("op", [op for op in all_ops() if op.kernel is not None],
                         ids=lambda op: op.name)
def test_every_kernel_op_is_found_in_its_places(op):
    found = locate(op.name)
    _check_place(found["declaration"], op.name)
    for backend in ("cpu", "reference"):
        _check_place(found[f"kernel/{backend}"])
    if callable(op.grad):
        _check_place(found["gradient"])


def test_the_command_prints_the_places(capsys):
    assert main(["Pooling"]) == 0
    out = capsys.readouterr().out
    assert "minimx/ops/pool.py:" in out and "_kernels/cpu/pool.pyx:" in out
