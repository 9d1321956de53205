"""A pytest plugin that writes each test's exercise markers and outcome to a JSON file.

The grader runs pytest in a subprocess with ``-p minimx.exercises.pytest_plugin`` and reads the
file named by ``$MINIMX_EXERCISES_RESULTS`` afterwards: a test process that crashes or hangs
cannot take the grader down with it.
"""
import json
import os

__all__ = ["pytest_collection_modifyitems", "pytest_collectreport", "pytest_runtest_logreport",
           "pytest_sessionfinish"]

_markers = {}      # nodeid -> marker names
_outcomes = {}     # nodeid -> {"outcome", "message", "duration"}
_collect_errors = []


def _message(report):
    """The failure's one-line summary: 'ExceptionType: message' where pytest has it."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", ""):
        text = crash.message
    else:   # a collection error: the last "E   ..." line names the exception
        text = str(report.longrepr or "")
        errors = [line[1:].strip() for line in text.splitlines()
                  if line.startswith("E ") and line[1:].strip()]
        text = errors[-1] if errors else text
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[0] if lines else "")[:300]


def _skip_reason(report):
    """The reason a test was skipped (pytest keeps it as (file, line, 'Skipped: reason'))."""
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return str(reason).removeprefix("Skipped: ").strip()[:300]


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        _markers[item.nodeid] = sorted({m.name for m in item.iter_markers()})


def pytest_collectreport(report):
    if report.failed:
        _collect_errors.append({"nodeid": report.nodeid, "message": _message(report)})


def pytest_runtest_logreport(report):
    entry = _outcomes.setdefault(report.nodeid, {"outcome": "passed", "message": "", "duration": 0.0})
    entry["duration"] += report.duration
    if report.failed and entry["outcome"] == "passed":
        entry["outcome"] = "failed" if report.when == "call" else "error"
        entry["message"] = _message(report)
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"
        entry["message"] = _skip_reason(report)


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("MINIMX_EXERCISES_RESULTS")
    if not path:
        return
    tests = [{"nodeid": nodeid, "markers": _markers.get(nodeid, []), **entry}
             for nodeid, entry in _outcomes.items()]
    with open(path, "w") as f:
        json.dump({"tests": tests, "collect_errors": _collect_errors, "exitstatus": int(exitstatus)},
                  f, indent=1)
