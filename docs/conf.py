"""Sphinx configuration of minimx's documentation: the API reference and the tutorials.

Build it with ``python -m sphinx -W -b html docs docs/_build/html`` (``pip install -e '.[docs]'``).

- The API pages use ``autodoc`` with ``napoleon`` reading the numpydoc docstrings (napoleon ships
  with Sphinx, so the only extra requirement is MyST for the Markdown pages).
- The tutorials (jupytext percent-format ``tutorials/NN_*.py``) become MyST Markdown pages in
  ``docs/tutorials_generated/`` when this file is read: Markdown cells as text, code cells as
  highlighted code. Nothing is executed and nothing is downloaded; ``tests/test_tutorials.py``
  is what runs them.
"""
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))   # the checkout's minimx, also when it is not installed

project = "minimx"
author = "the minimx authors"
copyright = "the minimx authors; Apache-2.0"
release = "0.1.0"

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = []

autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "none"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
myst_heading_anchors = 3
# The tutorials link to repository files (``../minimx/...``) that are not pages of this site.
suppress_warnings = ["myst.xref_missing", "myst.header"]


def _percent_to_myst(text, source_name):
    """A jupytext percent-format script as MyST Markdown (cells in order, nothing executed)."""
    text = re.sub(r"\A# ---\n(?:#.*\n)*?# ---\n", "", text)    # the jupytext header
    out = [f"<!-- Generated from tutorials/{source_name} by docs/conf.py: edit that file. -->\n"]
    for cell in re.split(r"^# %%", text, flags=re.M)[1:]:
        header, _, body = cell.partition("\n")
        if "[markdown]" in header:
            lines = [re.sub(r"^# ?", "", line) for line in body.rstrip().splitlines()]
            out.append("\n".join(lines).strip() + "\n")
        elif body.strip():
            out.append("```python\n" + body.strip("\n") + "\n```\n")
    return "\n".join(out)


def _write_tutorial_pages():
    target = DOCS / "tutorials_generated"
    target.mkdir(exist_ok=True)
    wanted = set()
    for src in sorted((ROOT / "tutorials").glob("[0-9][0-9]_*.py")):
        page = target / (src.stem + ".md")
        wanted.add(page.name)
        text = _percent_to_myst(src.read_text(), src.name)
        if not page.is_file() or page.read_text() != text:   # unchanged pages are not rebuilt
            page.write_text(text)
    for stale in target.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()


_write_tutorial_pages()

_LITERAL = re.compile(r"(``.*?``)")


def _escape_bars(app, what, name, obj, options, lines):
    """Op formulas write absolute values as ``|x|``, which reStructuredText reads as a
    substitution reference; escape such bars in prose (not in literals, tables or code blocks)."""
    in_code, code_indent = False, 0
    for i, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if in_code and line.strip() and indent <= code_indent:
            in_code = False
        if not in_code and line.rstrip().endswith("::"):
            in_code, code_indent = True, indent
            continue
        if in_code or "|" not in line or line.lstrip().startswith(("|", "+-", "+=")):
            continue
        parts = _LITERAL.split(line)
        lines[i] = "".join(p if p.startswith("``") else p.replace("|", "\\|") for p in parts)


def setup(app):
    app.connect("autodoc-process-docstring", _escape_bars)
