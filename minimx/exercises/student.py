"""``make-student``: copy the exercises with every marked solution replaced by a stub.

A solution is marked in place, in ``.py``, ``.pyx`` and ``.cl`` files::

    # BEGIN SOLUTION 1.1: subtract the max along `axis`, exponentiate, divide by the sum
    ...the teacher's code...
    # END SOLUTION

(``//`` instead of ``#`` in OpenCL C). In the student copy the lines from BEGIN to END become
one line at the BEGIN comment's indentation: ``raise NotImplementedError("Exercise 1.1: subtract
...")`` in Python and Cython, so the module still imports and only calling the unfinished
function fails; ``// Exercise 1.1: ... (write the code here)`` in OpenCL C, where a missing
kernel body fails the test that launches it. Markdown files lose what stands between
``<!-- BEGIN TEACHERS ONLY -->`` and ``<!-- END TEACHERS ONLY -->``.
"""
import ast
import json
import re
import shutil
from pathlib import Path

from .classroom import write_classroom_files
from .manifest import ExerciseError, find_exercises_dir, load_manifest

__all__ = ["stub_source", "make_student", "STUBBED_SUFFIXES"]

STUBBED_SUFFIXES = (".py", ".pyx", ".pxd", ".cl")
_BEGIN = re.compile(r"^(?P<indent>[ \t]*)(?:#|//)\s*BEGIN SOLUTION\b\s*(?P<rest>.*)$")
_END = re.compile(r"^[ \t]*(?:#|//)\s*END SOLUTION\b")
_ID = re.compile(r"^(?P<id>\d+\.\d+)\s*:\s*(?P<what>\S.*)$")
# Markdown between these comments (the teachers' notes of a README) is left out of the copy.
_TEACHERS = re.compile(r"<!-- BEGIN TEACHERS ONLY -->.*?<!-- END TEACHERS ONLY -->\n?", re.S)
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache", ".benchmarks",
                                  "*.so", "*.c")


def stub_source(text, suffix=".py", where="<source>"):
    """``text`` with each solution region replaced by its stub; returns (new text, exercise ids)."""
    out, ids, region = [], [], None
    for lineno, line in enumerate(text.splitlines(keepends=True), 1):
        begin, end = _BEGIN.match(line), _END.match(line)
        if begin:
            if region is not None:
                raise ExerciseError(f"{where}:{lineno}: BEGIN SOLUTION inside the region opened at "
                                    f"line {region}")
            m = _ID.match(begin["rest"].strip())
            if not m:
                raise ExerciseError(f"{where}:{lineno}: write the BEGIN line as "
                                    "'BEGIN SOLUTION N.M: what the student must do'")
            message = f"Exercise {m['id']}: {m['what'].strip()}"
            if suffix == ".cl":
                out.append(f"{begin['indent']}// {message} (write the code here)\n")
            else:
                out.append(f"{begin['indent']}raise NotImplementedError({json.dumps(message)})\n")
            ids.append(m["id"])
            region = lineno
        elif end:
            if region is None:
                raise ExerciseError(f"{where}:{lineno}: END SOLUTION without a BEGIN SOLUTION")
            region = None
        elif region is None:
            out.append(line)
    if region is not None:
        raise ExerciseError(f"{where}:{region}: BEGIN SOLUTION is never closed by END SOLUTION")
    new = "".join(out)
    if suffix == ".py":
        try:
            ast.parse(new, where)
        except SyntaxError as e:
            raise ExerciseError(f"{where}: the student version does not parse ({e}); put BEGIN and "
                                "END SOLUTION around whole statements") from None
    return new, ids


def make_student(out, src=None, force=False, requirement="minimx[test]"):
    """Write the student version of the exercises in ``src`` to the folder ``out``.

    Parameters
    ----------
    out : str or Path
        The new folder: the root of the students' repository (it must not exist or be empty,
        unless ``force``).
    src : str or Path, optional
        The teacher's exercises folder (see ``find_exercises_dir``).
    force : bool
        Write into a non-empty ``out`` (files of the same name are replaced).
    requirement : str
        The pip requirement that installs minimx in the students' CI (``requirements.txt``).

    Returns
    -------
    dict
        ``{"out": path, "stubbed": {exercise id: number of regions}, "files": [stubbed files]}``.
    """
    src = find_exercises_dir(src)
    manifest = load_manifest(src)
    out = Path(out).resolve()
    if out == src or src in out.parents:
        raise ExerciseError(f"{out}: write the student version outside the exercises folder {src}")
    if out.exists() and any(out.iterdir()) and not force:
        raise ExerciseError(f"{out} exists and is not empty (use --force to write into it)")
    shutil.copytree(src, out, ignore=_IGNORED, dirs_exist_ok=True)
    stubbed, files = {}, []
    for path in sorted(out.rglob("*")):
        if path.suffix not in STUBBED_SUFFIXES or not path.is_file():
            continue
        text = path.read_text()
        if "SOLUTION" not in text:
            continue
        new, ids = stub_source(text, path.suffix, str(path.relative_to(out)))
        if ids:
            path.write_text(new)
            files.append(str(path.relative_to(out)))
            for i in ids:
                stubbed[i] = stubbed.get(i, 0) + 1
    for path in sorted(out.rglob("*.md")):
        text = path.read_text()
        if _TEACHERS.search(text):
            path.write_text(_TEACHERS.sub("", text))
    known = {e["id"] for u in manifest["units"] for e in u["exercises"]}
    unknown = sorted(set(stubbed) - known)
    if unknown:
        raise ExerciseError(f"solution regions name exercises the manifest lacks: {', '.join(unknown)}")
    write_classroom_files(out, manifest, requirement)
    return {"out": str(out), "stubbed": stubbed, "files": files}
