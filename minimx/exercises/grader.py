"""The autograder: run the units' tests, score each exercise, print a table, write a JSON report.

Steps of ``grade``:

1. read ``exercises.json`` and pick the units (all, ``--unit N`` or ``--exercise N.M``);
2. run pytest once, in a subprocess, on those unit folders, with ``pytest_plugin`` recording
   every test's markers and outcome (a collection error in one unit leaves the others running);
3. an exercise earns its points when it has tests and every one of them passed, else 0;
4. print a table and, if asked, write a JSON report.

The report has one entry per exercise under ``"tests"`` with ``name``, ``status``
(``"pass"``/``"fail"``, or ``"skipped"`` with 0 points and the skip's reason when every test
that did not pass was skipped, e.g. without pyopencl), ``score``, ``max_score`` and
``message``: the fields GitHub Classroom's autograding reporter shows; an LMS can read
``score``/``max_score`` at the top.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .manifest import ExerciseError, find_exercises_dir, load_manifest, select_units

__all__ = ["grade", "run_tests", "score", "format_table"]


def run_tests(folder, units, markers=None, extra_args=(), timeout=900):
    """Run pytest on ``units``' folders; returns the plugin's record.

    The record is a dict: ``tests`` (nodeid, markers, outcome, message, duration of each),
    ``collect_errors``, ``exitstatus`` and ``output`` (pytest's own output).
    """
    folder = Path(folder)
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.json"
        cmd = [sys.executable, "-m", "pytest", "-q", "-rN", "--no-header", "-p", "no:cacheprovider",
               "-p", "no:xdist", "-p", "no:benchmark", "-p", "minimx.exercises.pytest_plugin",
               "-c", str(folder / "pytest.ini"), "--rootdir", str(folder),
               "--continue-on-collection-errors"]
        if markers:
            cmd += ["-m", " or ".join(markers)]
        cmd += list(extra_args) + [u["dir"] for u in units]
        # No bytecode, hypothesis's files in the temporary folder: grading leaves nothing behind
        # in a student's repository.
        env = dict(os.environ, MINIMX_EXERCISES_RESULTS=str(results), MINIMX_EXERCISES_GRADING="1",
                   PYTHONDONTWRITEBYTECODE="1", HYPOTHESIS_STORAGE_DIRECTORY=str(Path(tmp) / "hyp"))
        try:
            proc = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ExerciseError(f"the tests did not finish within {timeout} s") from None
        if not results.is_file():
            raise ExerciseError("pytest did not run the tests:\n" + (proc.stdout + proc.stderr)[-3000:])
        record = json.loads(results.read_text())
    record["output"] = proc.stdout + proc.stderr
    return record


def score(units, record):
    """The per-exercise scores of ``units`` from a ``run_tests`` record (the report's dict)."""
    entries = []
    for unit in units:
        for ex in unit["exercises"]:
            tests = [t for t in record["tests"] if ex["marker"] in t["markers"]]
            passed = [t for t in tests if t["outcome"] == "passed"]
            ok = bool(tests) and len(passed) == len(tests)
            # Failures before skips: the message names a real failure where there is one.
            failing = sorted((t for t in tests if t["outcome"] != "passed"),
                             key=lambda t: t["outcome"] == "skipped")
            # Skipped everywhere it did not pass (no pyopencl, say): 0 points, and the report
            # says why, so a student or teacher sees it was not graded rather than failed.
            skipped = bool(failing) and all(t["outcome"] == "skipped" for t in failing)
            if ok:
                message = ""
            elif skipped:
                message = (f"not graded, {len(failing)} test(s) skipped: "
                           f"{failing[0]['message'] or 'no reason given'}")
            elif failing:
                message = f"{failing[0]['nodeid']}: {failing[0]['message']}"
            else:
                errors = [e for e in record["collect_errors"] if e["nodeid"].startswith(unit["dir"])]
                message = ("collection error: " + errors[0]["message"]) if errors else "no tests found"
            entries.append({
                "name": f"Exercise {ex['id']}: {ex['title']}", "unit": unit["unit"],
                "exercise": ex["id"], "marker": ex["marker"],
                "status": "pass" if ok else "skipped" if skipped else "fail",
                "score": ex["points"] if ok else 0, "max_score": ex["points"],
                "tests_passed": len(passed), "tests_total": len(tests), "message": message})
    total = sum(e["score"] for e in entries)
    max_total = sum(e["max_score"] for e in entries)
    return {"version": 1, "tests": entries, "score": total, "max_score": max_total,
            "percent": round(100.0 * total / max_total, 1) if max_total else 0.0}


def format_table(report):
    """A plain-text score table, one row per exercise, then the total."""
    rows = [("exercise", "title", "tests", "points")]
    for e in report["tests"]:
        rows.append((e["exercise"], e["name"].split(": ", 1)[1],
                     f"{e['tests_passed']}/{e['tests_total']}", f"{e['score']}/{e['max_score']}"))
    rows.append(("total", "", "", f"{report['score']}/{report['max_score']} ({report['percent']:g}%)"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    failed = [e for e in report["tests"] if e["status"] != "pass"]
    for e in failed:
        lines.append(f"  {e['exercise']}: {e['message']}")
    return "\n".join(lines)


def grade(folder=None, unit=None, exercise=None, json_path=None, verbose=False, out=None):
    """Grade the exercises in ``folder``; returns the report dict (see the module docstring).

    Parameters
    ----------
    folder : str or Path, optional
        The folder with ``exercises.json`` (see ``find_exercises_dir``).
    unit : int, optional
        Grade this unit only.
    exercise : str, optional
        Grade this exercise only (``"2.1"``).
    json_path : str or Path, optional
        Also write the report there.
    verbose : bool
        Print pytest's own output too.
    out : file, optional
        Where the table goes; ``sys.stdout`` by default, ``False`` for nowhere.
    """
    folder = find_exercises_dir(folder)
    manifest = load_manifest(folder)
    units = select_units(manifest, unit=unit, exercise=exercise)
    markers = [e["marker"] for u in units for e in u["exercises"]] if exercise else None
    record = run_tests(folder, units, markers=markers)
    report = score(units, record)
    report["title"] = manifest.get("title", "")
    if out is not False:
        stream = out or sys.stdout
        if verbose:
            print(record["output"], file=stream)
        print(f"{report['title'] or 'exercises'}: {folder}", file=stream)
        print(format_table(report), file=stream)
    if json_path:
        Path(json_path).write_text(json.dumps(report, indent=2) + "\n")
    return report
