"""pytest settings of the exercise units: markers from exercises.json, a bounded hypothesis run.

The markers (one per exercise) are registered from the manifest, so ``--strict-markers`` turns
a misspelt marker into an error instead of a test that silently earns no points.
"""
import json
import os
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings

MANIFEST = json.loads((Path(__file__).parent / "exercises.json").read_text())

# Derandomized and without an example database: every run, the student's and the grader's,
# draws the same examples, so a grade is reproducible. No "explain" phase: it would write patch
# files into the students' repository. The grader ($MINIMX_EXERCISES_GRADING) needs only pass or
# fail, so it skips shrinking too, which takes minutes on a stubbed exercise; a student running
# pytest here gets the smallest failing example.
_PHASES = (Phase.explicit, Phase.reuse, Phase.generate)
if not os.environ.get("MINIMX_EXERCISES_GRADING"):
    _PHASES += (Phase.shrink,)
settings.register_profile("exercises", max_examples=25, deadline=None, derandomize=True,
                          database=None, phases=_PHASES, report_multiple_bugs=False,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("exercises")


def pytest_configure(config):
    for unit in MANIFEST["units"]:
        for ex in unit["exercises"]:
            config.addinivalue_line(
                "markers", f"{ex['marker']}: Exercise {ex['id']} ({ex['points']} points): {ex['title']}")
