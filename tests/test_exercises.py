"""The classroom exercise kit (minimx.exercises, tutorials/exercises): stubbing, grading, and
a test of the tests: a typical student bug planted in each unit is caught by its hypothesis test."""
import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from minimx.exercises import ExerciseError, grade, load_manifest, make_student, run_tests, stub_source
from minimx.exercises.grader import score
from minimx.exercises.student import STUBBED_SUFFIXES

EXERCISES = Path(__file__).resolve().parents[1] / "tutorials" / "exercises"
MANIFEST = load_manifest(EXERCISES)
UNITS = {u["unit"]: u for u in MANIFEST["units"]}

# (unit, file, solution text, buggy text, the hypothesis test that must catch it)
PLANTED_BUGS = [
    [(1, "nd_basics.py", "shifted = x - x.max(axis=axis, keepdims=True)", "shifted = x",
      "test_softmax_matches_numpy"),                                # overflow: no max subtracted
     (1, "nd_views.py", "return tuple(reversed(strides))", "return tuple(strides)",
      "test_strides_match_numpy"),                                  # column-major (Fortran) strides
     (1, "nd_views.py", 'if kind in ("first_axis_slice", "integer_index", "reshape"):',
      'if kind in ("first_axis_slice", "integer_index"):',             # "reshape copies"
      "test_writes_through_matches_minimx"),
     (2, "custom_grad.py", "return dy * y * (1 - y)", "return y * (1 - y)",
      "test_sigmoid_forward_and_backward"),                          # head gradient ignored
     (3, "residual_mlp.py", "return F.relu(x + self.fc2(self.fc1(x)))",
      "return F.relu(self.fc2(self.fc1(x)))", "test_block_matches_numpy"),   # no skip connection
     (4, "hard_sigmoid.py", "inside = (out > 0) & (out < 1)", "inside = out == out",
      "test_backward_matches_library"),                             # gradient on the flat parts
     (5, "im2col.py", "return cols.reshape(n, c * kh * kw, oh * ow)",             # rows kernel-major
      "return cols.transpose(0, 2, 3, 1, 4, 5).reshape(n, c * kh * kw, oh * ow)",
      "test_conv2d_matches_library"),
     (6, "cy_matmul.pyx", "for bk in range((kd + tile - 1) // tile):",   # the ragged K block lost
      "for bk in range(kd // tile):", "test_cy_matmul_matches_numpy"),
     (7, "cl_matmul.cl", "t < (K + TS - 1) / TS;", "t < K / TS;",        # the ragged K tile lost
      "test_cl_matmul_matches_numpy"),
     (8, "engine_rules.py", "if reads & w_before or writes & (set(r_before) | w_before):",
      "if reads & w_before or writes & w_before:",                      # write after read ignored
      "test_schedule_matches_the_threaded_engine")],
    [(1, "nd_basics.py", "m = x.max(axis=axis, keepdims=True)",          # log(sum(exp(x))) overflows
      "m = x.max(axis=axis, keepdims=True) * 0", "test_logsumexp_matches_numpy"),
     (1, "nd_views.py", "return j - i <= 2", "return True",             # numpy's rule: slices are
      "test_writes_through_matches_minimx"),                        # views (x[0:3:2] copies)
     (1, "nd_views.py", "rows = (len(a) - window) // step + 1", "rows = (len(a) - window) // step",
      "test_sliding_windows_match_a_loop"),                         # the last window lost
     (2, "custom_grad.py", "g.flat[i] = (up - down) / (2 * eps)", "g.flat[i] = (up - down) / eps",
      "test_numeric_grad_matches_analytic"),                         # one step, not two
     (3, "residual_mlp.py", "return F.relu(x + self.fc2(self.fc1(x)))",
      "return x + F.relu(self.fc2(self.fc1(x)))", "test_block_matches_numpy"),  # relu misplaced
     (4, "hard_sigmoid.py", "np.clip(np.float32(alpha) * x + np.float32(beta), 0, 1)",
      "np.maximum(np.float32(alpha) * x + np.float32(beta), 0)", "test_forward_matches_library"),
     (5, "im2col.py", "out = np.full(x.shape[:2] + (oh, ow), -np.inf, dtype=x.dtype)",  # starts at 0
      "out = np.zeros(x.shape[:2] + (oh, ow), dtype=x.dtype)", "test_max_pool_matches_library"),
     (6, "cy_elementwise.pyx", "out[i] = v if v > 0 else slope * v",   # right only while slope <= 1
      "out[i] = max(v, slope * v)", "test_leaky_relu_matches_numpy"),
     (7, "cl_elementwise.cl", "if (i >= n) return;", "",                 # no guard: writes past n
      "test_axpby_matches_numpy"),
     (8, "tiny_engine.py", "deps.update(r for r in self._readers.get(v, ()) if not r.done)",
      "pass", "test_tiny_engine_matches_sequential_run")],            # a write ignores readers
]


def _test_functions(unit):
    path = EXERCISES / unit["dir"] / f"test_unit{unit['unit']}.py"
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            marks = [d.attr for d in node.decorator_list
                     if isinstance(d, ast.Attribute) and isinstance(d.value, ast.Attribute)
                     and d.value.attr == "mark"]
            hyp = any(isinstance(d, ast.Call) and getattr(d.func, "id", "") == "given"
                      for d in node.decorator_list)
            yield node.name, marks, hyp


def _mixed_tree(tmp_path, stubbed_units):
    """A student copy whose units other than ``stubbed_units`` are the teacher's solutions."""
    out = tmp_path / "student"
    make_student(out, src=EXERCISES)
    for unit in MANIFEST["units"]:
        if unit["unit"] not in stubbed_units:
            shutil.rmtree(out / unit["dir"])
            shutil.copytree(EXERCISES / unit["dir"], out / unit["dir"],
                            ignore=shutil.ignore_patterns("__pycache__"))
    return out


# -- the manifest and the units agree ------------------------------------------------------------

@pytest.mark.parametrize("unit", sorted(UNITS))
def test_every_test_has_one_exercise_marker_of_its_unit(unit):
    markers = {e["marker"] for e in UNITS[unit]["exercises"]}
    seen = set()
    for name, marks, _ in _test_functions(UNITS[unit]):
        ours = [m for m in marks if m.startswith("ex")]
        assert len(ours) == 1 and ours[0] in markers, f"unit {unit}: {name} has markers {marks}"
        seen.add(ours[0])
    assert seen == markers, f"unit {unit}: exercises without tests: {markers - seen}"


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_every_exercise_has_a_solution_and_a_hypothesis_test(unit):
    u = UNITS[unit]
    assert any(hyp for _, _, hyp in _test_functions(u)), f"unit {unit} has no hypothesis test"
    sources = "".join(p.read_text() for p in sorted((EXERCISES / u["dir"]).iterdir())
                      if p.suffix in STUBBED_SUFFIXES and not p.name.startswith("test_"))
    for ex in u["exercises"]:
        assert f"BEGIN SOLUTION {ex['id']}:" in sources, f"exercise {ex['id']} has no solution region"


def test_at_least_eight_units_with_points():
    assert len(UNITS) >= 8
    assert all(e["points"] > 0 for u in MANIFEST["units"] for e in u["exercises"])


# -- stubbing -------------------------------------------------------------------------------------

def test_stub_source_replaces_regions_and_keeps_the_rest():
    src = ("def f(x):\n"
           "    \"\"\"Doc.\"\"\"\n"
           "    # BEGIN SOLUTION 1.1: return twice x\n"
           "    y = x * 2\n"
           "    return y\n"
           "    # END SOLUTION\n"
           "\n"
           "def g():\n"
           "    return 3\n")
    new, ids = stub_source(src)
    assert ids == ["1.1"]
    assert new == ("def f(x):\n"
                   "    \"\"\"Doc.\"\"\"\n"
                   "    raise NotImplementedError(\"Exercise 1.1: return twice x\")\n"
                   "\n"
                   "def g():\n"
                   "    return 3\n")
    namespace = {}
    exec(compile(new, "<stub>", "exec"), namespace)
    assert namespace["g"]() == 3
    with pytest.raises(NotImplementedError, match=r"Exercise 1\.1: return twice x"):
        namespace["f"](1)


def test_stub_source_opencl_and_quotes():
    new, ids = stub_source("__kernel void k() {\n  // BEGIN SOLUTION 5.2: add a and b\n  c = a + b;\n"
                           "  // END SOLUTION\n}\n", ".cl")
    assert ids == ["5.2"] and "c = a + b" not in new
    assert "  // Exercise 5.2: add a and b (write the code here)\n" in new
    new, _ = stub_source('# BEGIN SOLUTION 2.1: say "hi"\npass\n# END SOLUTION\n')
    assert new == 'raise NotImplementedError("Exercise 2.1: say \\"hi\\"")\n'


@pytest.mark.parametrize("src, match", [
    ("# BEGIN SOLUTION 1.1: x\nx = 1\n", "never closed"),
    ("x = 1\n# END SOLUTION\n", "without a BEGIN"),
    ("# BEGIN SOLUTION: do it\nx = 1\n# END SOLUTION\n", "N.M: what"),
    ("# BEGIN SOLUTION 1.1: a\n# BEGIN SOLUTION 1.2: b\n# END SOLUTION\n", "inside the region"),
    ("if True:\n# BEGIN SOLUTION 1.1: a\n    x = 1\n# END SOLUTION\n", "does not parse"),
])
def test_stub_source_errors_name_the_line(src, match):
    with pytest.raises(ExerciseError, match=match):
        stub_source(src, ".py", "unit.py")


def test_make_student_writes_a_classroom_repository(tmp_path):
    out = tmp_path / "student"
    result = make_student(out, src=EXERCISES)
    ids = {e["id"] for u in MANIFEST["units"] for e in u["exercises"]}
    assert set(result["stubbed"]) == ids
    for path in (p for p in out.rglob("*") if p.suffix in STUBBED_SUFFIXES):
        text = path.read_text()
        assert "SOLUTION" not in text, f"{path} still holds a solution marker"
        if path.suffix == ".py":
            ast.parse(text)
    pyx = (out / "unit6_cython" / "cy_matmul.pyx").read_text()
    assert "    raise NotImplementedError(\"Exercise 6.2: " in pyx      # inside the def: it compiles
    assert "// Exercise 7.1: " in (out / "unit7_opencl" / "cl_elementwise.cl").read_text()
    stub = (out / "unit1_ndarray" / "nd_basics.py").read_text()
    assert "raise NotImplementedError(\"Exercise 1.1: " in stub
    assert (out / "exercises.json").is_file() and (out / "conftest.py").is_file()
    readme = (out / "README.md").read_text()
    assert "For students" in readme and "For teachers" not in readme and "TEACHERS" not in readme
    assert "minimx" in (out / "requirements.txt").read_text()
    workflow = (out / ".github" / "workflows" / "classroom.yml").read_text()
    for e in (e for u in MANIFEST["units"] for e in u["exercises"]):
        assert f"grade --exercise {e['id']} --fail-under 100" in workflow
        assert f"max-score: {e['points']}" in workflow
    with pytest.raises(ExerciseError, match="not empty"):
        make_student(out, src=EXERCISES)
    with pytest.raises(ExerciseError, match="outside"):
        make_student(EXERCISES / "student", src=EXERCISES)


def test_cli_errors_exit_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "minimx.exercises", "grade", "--dir", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "exercises.json" in proc.stderr


def test_score_reports_skipped_exercises_as_not_graded():
    # A unit skipped for want of a dependency (pyopencl, Cython) earns 0 points, but the report
    # says it was skipped, and why, instead of failing it silently.
    unit = {"unit": 7, "dir": "unit7_opencl", "exercises": [
        {"id": "7.1", "marker": "ex7_1", "points": 3, "title": "t1"},
        {"id": "7.2", "marker": "ex7_2", "points": 4, "title": "t2"}]}
    tests = [{"nodeid": "unit7_opencl/test_unit7.py::a", "markers": ["ex7_1"], "outcome": "skipped",
              "message": "no OpenCL here: pyopencl is not installed"},
             {"nodeid": "unit7_opencl/test_unit7.py::b", "markers": ["ex7_2"], "outcome": "passed",
              "message": ""},
             {"nodeid": "unit7_opencl/test_unit7.py::c", "markers": ["ex7_2"], "outcome": "skipped",
              "message": "why"},
             {"nodeid": "unit7_opencl/test_unit7.py::d", "markers": ["ex7_2"], "outcome": "failed",
              "message": "AssertionError: x"}]
    report = score([unit], {"tests": tests, "collect_errors": []})
    e71, e72 = report["tests"]
    assert (e71["status"], e71["score"]) == ("skipped", 0)
    assert e71["message"] == "not graded, 1 test(s) skipped: no OpenCL here: pyopencl is not installed"
    assert (e72["status"], e72["score"]) == ("fail", 0) and "skipped" not in e72["message"]
    assert e72["message"] == "unit7_opencl/test_unit7.py::d: AssertionError: x"
    assert report["max_score"] == 7 and report["score"] == 0


# -- grading: solutions score full, stubs score 0, a stubbed unit leaves the others passing -------

def test_grade_unit1_stubbed_others_solved(tmp_path):
    out = _mixed_tree(tmp_path, stubbed_units={1})
    report = grade(out, json_path=tmp_path / "report.json", out=False)
    for e in report["tests"]:
        if e["unit"] == 1:
            assert e["score"] == 0 and e["status"] == "fail"
            assert f"NotImplementedError: Exercise {e['exercise']}:" in e["message"]
        else:
            assert e["score"] == e["max_score"], f"{e['name']}: {e['message']}"
    assert json.loads((tmp_path / "report.json").read_text()) == json.loads(json.dumps(report))
    assert not list(out.rglob("__pycache__")) and not (out / ".hypothesis").exists()


def test_grade_cli_unit1_solved_others_stubbed(tmp_path):
    out = _mixed_tree(tmp_path, stubbed_units=set(UNITS) - {1})
    # A student's syntax error in unit 4 costs that unit's points only.
    broken = out / UNITS[4]["dir"] / "hard_sigmoid.py"
    broken.write_text(broken.read_text() + "\ndef oops(:\n")
    proc = subprocess.run([sys.executable, "-m", "minimx.exercises", "grade", "--json", "r.json",
                           "--fail-under", "100"], cwd=out, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr    # below 100%
    report = json.loads((out / "r.json").read_text())
    for e in report["tests"]:
        assert e["score"] == (e["max_score"] if e["unit"] == 1 else 0), e
        if e["unit"] == 4:
            assert e["message"].startswith("collection error") and "SyntaxError" in e["message"], e
    unit1 = sum(e["points"] for e in UNITS[1]["exercises"])
    assert report["score"] == unit1 and report["max_score"] == sum(
        e["max_score"] for e in report["tests"])
    assert "total" in proc.stdout and f"{unit1}/{report['max_score']}" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "minimx.exercises", "grade", "--exercise", "1.2",
                           "--fail-under", "100"], cwd=out, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- a test of the tests ---------------------------------------------------------------------------

@pytest.mark.parametrize("bugs", PLANTED_BUGS, ids=["bugsA", "bugsB"])
def test_planted_bug_is_caught_by_the_hypothesis_test(tmp_path, bugs):
    tree = tmp_path / "buggy"
    shutil.copytree(EXERCISES, tree, ignore=shutil.ignore_patterns("__pycache__"))
    for unit, name, good, bad, _ in bugs:
        path = tree / UNITS[unit]["dir"] / name
        text = path.read_text()
        assert text.count(good) == 1, f"{name}: the planted bug's anchor {good!r} moved"
        path.write_text(text.replace(good, bad))
    names = [b[4] for b in bugs]
    record = run_tests(tree, MANIFEST["units"], extra_args=["-k", " or ".join(names)])
    outcome = {t["nodeid"].split("::")[-1]: t for t in record["tests"]}
    for unit, name, _, bad, test in bugs:
        assert test in outcome, f"{test} did not run:\n{record['output'][-2000:]}"
        t = outcome[test]
        assert t["outcome"] == "failed", f"unit {unit}: {test} missed the bug {bad!r}"
        assert "NotImplementedError" not in t["message"] and "ImportError" not in t["message"]
