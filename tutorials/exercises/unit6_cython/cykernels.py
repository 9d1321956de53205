"""Unit 6 - Cython kernels: a parallel elementwise loop, and a tiled matrix product.

minimx's CPU kernels (``minimx/_kernels/cpu/*.pyx``, tutorial 08) are typed Cython loops that
run without the GIL on OpenMP threads. Here you write two of your own, in ``.pyx`` files that
this module compiles on first use (into a cache in the temp folder, never into this folder),
and wraps for numpy arrays.

Exercises
---------
6.1 ``cy_elementwise.pyx: leaky_relu(x, slope, out)``: a typed ``prange`` loop under ``nogil``.
6.2 ``cy_matmul.pyx: matmul_tiled(a, b, out, tile)``: ``out += a @ b`` by blocks of ``tile``.

``leaky_relu`` and ``matmul`` below (given) compile your code and call it on float32 arrays. A
Cython syntax error fails only the exercise whose file holds it, with the compiler's message.
You need Cython (``pip install Cython``) and a C compiler. Check your work with
``python -m minimx.exercises grade --unit 6``; ``cython -a cy_matmul.pyx`` writes an HTML
page that shows (in yellow) the lines that still call into Python.
"""
import hashlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["leaky_relu", "matmul", "compile_pyx", "missing_reason"]

HERE = Path(__file__).resolve().parent
_loaded = {}


def missing_reason():
    """Why the Cython exercises cannot be built here (None when they can)."""
    try:
        import Cython  # noqa: F401
    except ImportError:
        return "Cython is not installed: pip install Cython (and have a C compiler)"
    return None


def _openmp_flags():
    if sys.platform == "win32":
        return ["/openmp"], []
    if sys.platform == "darwin":   # Apple clang: OpenMP only with libomp installed
        return [], []
    return ["-fopenmp"], ["-fopenmp"]


def compile_pyx(name):
    """Compile ``HERE/<name>.pyx`` (once per content) and return the imported extension module.

    The build goes to ``<temp>/minimx-exercises-<user>/<hash>/``, keyed by the source's hash, so
    an unchanged file is not compiled again and nothing is written next to the source.
    """
    reason = missing_reason()
    if reason:
        raise RuntimeError(reason)
    import Cython

    src = (HERE / f"{name}.pyx").read_text()
    compile_args, link_args = _openmp_flags()
    key = "\0".join([name, src, sys.version, Cython.__version__, *compile_args])
    key = hashlib.sha256(key.encode()).hexdigest()[:16]
    if (name, key) in _loaded:
        return _loaded[name, key]
    user = os.environ.get("USER") or str(os.getuid() if hasattr(os, "getuid") else "")
    cache = Path(tempfile.gettempdir()) / f"minimx-exercises-{user}"
    cache.mkdir(parents=True, exist_ok=True)
    lib = cache / key
    built = sorted(lib.glob(f"{name}.*"))
    if not built:
        # Build in a private folder and rename the finished library folder into place: two
        # graders building the same source at once never load a half-written file.
        with tempfile.TemporaryDirectory(prefix=f"{name}-", dir=cache) as work:
            _build(name, src, Path(work), compile_args, link_args)
            try:
                os.rename(Path(work) / "lib", lib)
            except OSError:      # another process finished first: use its build
                pass
        built = sorted(lib.glob(f"{name}.*"))
    spec = importlib.util.spec_from_file_location(name, built[0])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _loaded[name, key] = module
    return module


def _build(name, src, work, compile_args, link_args):
    """Cython to C, C to an extension module in ``work/lib``; a clear error if either fails."""
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension

    (work / f"{name}.pyx").write_text(src)
    # -O1: a fraction of -O2's compile time (grading compiles every changed file), most of its speed.
    optimise = [] if sys.platform == "win32" else ["-O1"]
    ext = Extension(name, [str(work / f"{name}.pyx")], extra_compile_args=optimise + compile_args,
                    extra_link_args=link_args)
    try:
        modules = cythonize([ext], build_dir=str(work / "c"), quiet=True,
                            compiler_directives={"language_level": 3})
    except Exception:   # Cython has printed the error and its line (pytest shows it)
        raise RuntimeError(f"{name}.pyx: Cython cannot compile it; run `cython -3 {name}.pyx` "
                           "to see the error and its line") from None
    try:
        cmd = Distribution({"ext_modules": modules}).get_command_obj("build_ext")
        cmd.build_lib, cmd.build_temp = str(work / "lib"), str(work / "tmp")
        cmd.ensure_finalized()
        cmd.run()
    except Exception as e:   # the C compiler has printed its error
        raise RuntimeError(f"{name}.pyx: the C compiler failed on Cython's output ({e}); is a "
                           "C compiler installed?") from None


def leaky_relu(x, slope):
    """LeakyReLU of a float32 array of any shape, by your ``cy_elementwise.leaky_relu`` (6.1)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    out = np.full(x.shape, np.nan, dtype=np.float32)    # an untouched element stays NaN
    compile_pyx("cy_elementwise").leaky_relu(x.reshape(-1), float(slope), out.reshape(-1))
    return out


def matmul(a, b, tile=32):
    """``a @ b`` for 2-d float32 arrays, by your ``cy_matmul.matmul_tiled`` (6.2)."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    b = np.ascontiguousarray(b, dtype=np.float32)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not chain")
    if tile < 1:
        raise ValueError(f"matmul: tile must be >= 1, got {tile}")
    out = np.zeros((a.shape[0], b.shape[1]), dtype=np.float32)
    compile_pyx("cy_matmul").matmul_tiled(a, b, out, int(tile))
    return out
