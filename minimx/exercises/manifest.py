"""The exercise manifest (``exercises.json``): units, their exercises, markers and points.

A folder of exercises holds ``exercises.json``, a ``conftest.py`` that registers one pytest
marker per exercise, and one sub-folder per unit with a module and its ``test_*.py``.
"""
import json
from pathlib import Path

__all__ = ["MANIFEST_NAME", "ExerciseError", "find_exercises_dir", "load_manifest", "select_units"]

MANIFEST_NAME = "exercises.json"


class ExerciseError(Exception):
    """A problem with the exercise folder or the command line, reported without a traceback."""


def find_exercises_dir(path=None):
    """The folder that holds ``exercises.json``.

    Looked for, in order: ``path`` (or its ``tutorials/exercises``); the current folder; its
    ``tutorials/exercises``; the ``tutorials/exercises`` of the checkout minimx runs from.
    """
    if path is not None:
        candidates = [Path(path), Path(path) / "tutorials" / "exercises"]
    else:
        repo = Path(__file__).resolve().parents[2]
        candidates = [Path.cwd(), Path.cwd() / "tutorials" / "exercises",
                      repo / "tutorials" / "exercises"]
    for c in candidates:
        if (c / MANIFEST_NAME).is_file():
            return c.resolve()
    raise ExerciseError(f"no {MANIFEST_NAME} found in {', '.join(str(c) for c in candidates)}; "
                        "pass the exercises folder with --dir")


def load_manifest(folder):
    """Read and check ``folder/exercises.json``; returns its dict."""
    path = Path(folder) / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ExerciseError(f"{path}: cannot read the manifest: {e}") from None
    seen_ids, seen_markers = set(), set()
    for unit in manifest.get("units", []):
        for key in ("unit", "dir", "title", "exercises"):
            if key not in unit:
                raise ExerciseError(f"{path}: a unit lacks {key!r}: {unit}")
        if not (Path(folder) / unit["dir"]).is_dir():
            raise ExerciseError(f"{path}: unit {unit['unit']}: folder {unit['dir']!r} is missing")
        for ex in unit["exercises"]:
            for key in ("id", "marker", "points", "title"):
                if key not in ex:
                    raise ExerciseError(f"{path}: unit {unit['unit']}: an exercise lacks {key!r}")
            if ex["id"] in seen_ids or ex["marker"] in seen_markers:
                raise ExerciseError(f"{path}: exercise {ex['id']} (marker {ex['marker']}) "
                                    "is listed twice")
            seen_ids.add(ex["id"])
            seen_markers.add(ex["marker"])
    if not seen_ids:
        raise ExerciseError(f"{path}: no exercises listed")
    return manifest


def select_units(manifest, unit=None, exercise=None):
    """The units to grade: all, one unit number, or the unit holding one exercise id."""
    units = manifest["units"]
    if exercise is not None:
        units = [u for u in units if any(e["id"] == exercise for e in u["exercises"])]
        if not units:
            known = ", ".join(e["id"] for u in manifest["units"] for e in u["exercises"])
            raise ExerciseError(f"no exercise {exercise!r}; the manifest lists {known}")
        unit_dict = dict(units[0])
        unit_dict["exercises"] = [e for e in unit_dict["exercises"] if e["id"] == exercise]
        return [unit_dict]
    if unit is not None:
        units = [u for u in units if int(u["unit"]) == int(unit)]
        if not units:
            known = ", ".join(str(u["unit"]) for u in manifest["units"])
            raise ExerciseError(f"no unit {unit}; the manifest lists units {known}")
    return units
