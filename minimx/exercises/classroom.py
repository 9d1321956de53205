"""The files that turn a student copy into a GitHub Classroom assignment repository.

``make-student`` writes, next to the units:

- ``requirements.txt``: the requirement that installs minimx (and pytest, hypothesis), and Cython;
- ``.github/workflows/classroom.yml``: one autograding step per exercise, each running
  ``python -m minimx.exercises grade --exercise N.M --fail-under 100`` with the exercise's points
  as its ``max-score``, then GitHub Classroom's reporter, which adds the points up;
- ``.gitignore`` for the caches a local run leaves.

The workflow uses GitHub Classroom's published actions (``classroom-resources/
autograding-command-grader`` and ``autograding-grading-reporter``), the form a Classroom
assignment's autograding takes; a teacher who grades elsewhere keeps the JSON report of
``grade --json`` instead.
"""
from pathlib import Path

__all__ = ["write_classroom_files", "workflow_text"]

_HEAD = """\
# Written by `python -m minimx.exercises make-student`: the autograding of this assignment.
name: Autograding Tests
on: [push, workflow_dispatch, repository_dispatch]
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install minimx
        run: python -m pip install -r requirements.txt
"""

_STEP = """\
      - name: Exercise {id}
        id: {step}
        uses: classroom-resources/autograding-command-grader@v1
        with:
          test-name: "Exercise {id}: {title}"
          command: python -m minimx.exercises grade --exercise {id} --fail-under 100
          timeout: 10
          max-score: {points}
"""


def workflow_text(manifest):
    """The GitHub Actions workflow that grades every exercise of ``manifest``."""
    exercises = [e for u in manifest["units"] for e in u["exercises"]]
    steps = [_STEP.format(id=e["id"], step=e["marker"], title=e["title"].replace('"', "'"),
                          points=e["points"]) for e in exercises]
    env = "".join(f"          {e['marker'].upper()}_RESULTS: "
                  f"\"${{{{steps.{e['marker']}.outputs.result}}}}\"\n" for e in exercises)
    reporter = ("      - name: Autograding Reporter\n"
                "        uses: classroom-resources/autograding-grading-reporter@v1\n"
                "        env:\n" + env +
                "        with:\n"
                f"          runners: {','.join(e['marker'] for e in exercises)}\n")
    return _HEAD + "".join(steps) + reporter


def write_classroom_files(out, manifest, requirement):
    """Write requirements.txt, .gitignore and the workflow into the student folder ``out``."""
    out = Path(out)
    (out / "requirements.txt").write_text(
        "# minimx with its test extra (pytest, hypothesis). Pin the teacher's release, e.g.\n"
        "# minimx[test] @ git+https://github.com/<you>/minimx@v0.1.0\n" + requirement + "\n"
        "# Unit 6 compiles its .pyx files when tested (a C compiler is needed too).\n"
        "Cython>=3.0\n")
    (out / ".gitignore").write_text(
        "__pycache__/\n*.pyc\n.hypothesis/\n.pytest_cache/\n.benchmarks/\nreport.json\n")
    workflow = out / ".github" / "workflows" / "classroom.yml"
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(workflow_text(manifest))
