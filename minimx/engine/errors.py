"""How an op's failure is recorded and raised again at a wait."""
import os
import sys

from ..base import MXNetError

__all__ = ["OpFailure", "push_site", "wrap_failure", "check_vars", "raise_first_unreported",
           "interruption"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def push_site(depth=2):
    """'file.py:LINE in func' for the innermost frame outside the minimx package (the user's line)."""
    frame = sys._getframe(depth)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "<minimx internals>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


class OpFailure:
    """What a failed op leaves on the variables it writes: enough to raise a fresh error later."""
    __slots__ = ("name", "where", "cause", "reported")

    def __init__(self, name, where, cause):
        self.name = name
        self.where = where
        self.cause = cause
        self.reported = False      # raised at a wait already: wait_all does not raise it again

    def message(self):
        cause = self.cause
        text = str(cause) if isinstance(cause, MXNetError) else f"{type(cause).__name__}: {cause}"
        return f"operator {self.name} (pushed at {self.where}) failed: {text}"

    def raise_(self):
        self.reported = True
        raise MXNetError(self.message()) from self.cause


def wrap_failure(opr, exc):
    return OpFailure(opr.name, opr.where or "<unknown line>", exc)


def check_vars(vars_):
    """Raise the stored failure of the first failed variable, if any."""
    for v in vars_:
        if v.exc is not None:
            v.exc.raise_()


def raise_first_unreported(failures):
    """``wait_all``'s rule (MXNet's): raise the first failure no earlier wait has raised."""
    for failure in failures:
        if not failure.reported:
            failure.raise_()


def interruption(exc, failure):
    """A KeyboardInterrupt (or SystemExit) in an op run on the main thread: the op's outputs are
    marked failed (they may be half-written), but the interrupt itself goes on to the user now,
    not at a later wait, and ``wait_all`` does not raise it a second time. None for an error."""
    if isinstance(exc, Exception):
        return None
    failure.reported = True
    return exc
