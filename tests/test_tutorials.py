"""Run every numbered tutorial end to end, as a student would: ``python tutorials/NN_name.py``.

A tutorial passes when it exits with status 0: its Check sections are plain ``assert``s, so a
library bug that breaks a claim the tutorial makes fails here. The default run sets
``MINIMX_TUTORIAL_FAST=1`` (shorter training, the same checks); the full-length runs are marked
``slow``. Pictures go to a temporary folder (``MINIMX_TUTORIAL_OUT``).
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TUTORIALS_DIR = Path(__file__).resolve().parent.parent / "tutorials"
TUTORIALS = sorted(TUTORIALS_DIR.glob("[0-9][0-9]_*.py"))
SECTIONS = ("Goal", "Code", "Check", "Under the hood", "Summary", "Exercises")
FAST_TIMEOUT_S = 150     # each tutorial takes well under a minute on two cores
FULL_TIMEOUT_S = 600


def _run(path, fast, tmp_path, timeout):
    # The checkout under test goes first on the path, whatever copy of minimx is installed.
    root = str(TUTORIALS_DIR.parent)
    pythonpath = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, MINIMX_TUTORIAL_OUT=str(tmp_path), MPLBACKEND="Agg",
               PYTHONPATH=pythonpath)
    if fast:
        env["MINIMX_TUTORIAL_FAST"] = "1"
    else:
        env.pop("MINIMX_TUTORIAL_FAST", None)
    # Run from a scratch folder so that nothing a tutorial writes lands in the checkout.
    proc = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, f"{path.name} failed (exit {proc.returncode}):\n{proc.stdout[-6000:]}"


def test_tutorials_found():
    assert len(TUTORIALS) >= 7, TUTORIALS
    numbers = [int(p.name[:2]) for p in TUTORIALS]
    assert numbers == list(range(1, len(TUTORIALS) + 1)), "tutorials are numbered 01, 02, ..."


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_layout(path):
    """Each tutorial is a jupytext percent-format script with the six sections, in order."""
    text = path.read_text()
    assert "format_name: percent" in text.split("# %%")[0], "jupytext header missing"
    headings = re.findall(r"^# ## (.+)$", text, flags=re.M)
    found = [h for h in headings if h in SECTIONS]
    assert found == list(SECTIONS), f"{path.name}: sections {found}, want {list(SECTIONS)}"
    assert re.search(r"^assert ", text.split("# ## Check")[1], flags=re.M), "Check has no assert"


def test_readme_lists_every_tutorial():
    readme = (TUTORIALS_DIR / "README.md").read_text()
    for path in TUTORIALS:
        assert path.name in readme, f"tutorials/README.md does not mention {path.name}"


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs_fast(path, tmp_path):
    _run(path, True, tmp_path, FAST_TIMEOUT_S)


@pytest.mark.slow
@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs_full(path, tmp_path):
    _run(path, False, tmp_path, FULL_TIMEOUT_S)
