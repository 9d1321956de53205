"""The documentation (docs/): every documented module imports, and Sphinx builds it with warnings
as errors. The build takes about 30 s of CPU (80 s on a busy 2-core machine), so it is slow."""
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
API_PAGES = sorted((DOCS / "api").glob("*.rst"))


def _automodules():
    for page in API_PAGES:
        for name in re.findall(r"^\.\. automodule:: (\S+)", page.read_text(), flags=re.M):
            yield page.name, name


def test_every_documented_module_imports():
    names = [name for _, name in _automodules()]
    assert len(names) == len(set(names)), "a module is documented twice"
    for name in names:
        importlib.import_module(name)


@pytest.mark.parametrize("module", [
    "minimx.ndarray.ndarray", "minimx.autograd", "minimx.gluon.block", "minimx.gluon.trainer",
    "minimx.gluon.nn.dense", "minimx.gluon.loss_classification", "minimx.data.dataloader",
    "minimx.symbol.symbol", "minimx.optimizer.sgd", "minimx.initializer", "minimx.metric"])
def test_the_public_api_is_covered(module):
    assert module in {name for _, name in _automodules()}


@pytest.mark.slow
def test_sphinx_builds_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    html = tmp_path / "html"
    for page in ["index.html", "api/ndarray.html", "api/gluon_nn.html", "exercises.html"]:
        assert (html / page).is_file(), page
    assert "FullyConnected" in (html / "api" / "ndarray.html").read_text()
    tutorials = sorted((DOCS.parent / "tutorials").glob("[0-9][0-9]_*.py"))
    for t in tutorials:
        assert (html / "tutorials_generated" / (t.stem + ".html")).is_file(), t.name
