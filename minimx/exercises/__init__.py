"""The classroom exercise kit: make the student version of the exercises, and grade it.

The exercises live in ``tutorials/exercises/`` (one folder per unit, solutions marked in place
with ``BEGIN SOLUTION``/``END SOLUTION``, one pytest marker per exercise, points in
``exercises.json``). From the command line::

    python -m minimx.exercises make-student OUT     # the students' repository, solutions stubbed
    python -m minimx.exercises grade [--unit N] [--exercise N.M] [--json report.json]

See ``tutorials/exercises/README.md`` for the teacher's workflow and GitHub Classroom.
"""
from .grader import format_table, grade, run_tests, score
from .manifest import ExerciseError, find_exercises_dir, load_manifest
from .student import make_student, stub_source

__all__ = ["grade", "make_student", "stub_source", "run_tests", "score", "format_table",
           "load_manifest", "find_exercises_dir", "ExerciseError"]
