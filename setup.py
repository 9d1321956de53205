"""Builds minimx's Cython kernels (``minimx/_kernels/cpu/*.pyx``).

Compiler directives live here and nowhere else. ``MINIMX_CYTHON_DEBUG=1`` turns bounds checks and
wraparound back on (and drops ``-O3``) so that an out-of-range index in a kernel raises IndexError
instead of corrupting memory: use it while writing a new kernel.
"""
import os
import sys
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("MINIMX_CYTHON_DEBUG", "0") == "1"

if sys.platform == "win32":
    openmp_compile, openmp_link = ["/openmp"], []
elif sys.platform == "darwin":
    openmp_compile, openmp_link = ["-Xpreprocessor", "-fopenmp"], ["-lomp"]
else:
    openmp_compile, openmp_link = ["-fopenmp"], ["-fopenmp"]

# -fno-math-errno lets GCC vectorise sqrt (kernels never read errno); unlike -ffast-math it keeps
# IEEE results. NB: not -fno-trapping-math: with it GCC 12 folds (double)(float)x back to x and
# silently skips float32 rounding of hyperparameters.
optimise = ["-O0", "-g"] if DEBUG else ["-O3", "-fno-math-errno"]

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": not DEBUG,
    "nonecheck": DEBUG,
}

# Each .pyx under minimx/_kernels/cpu is one extension module of the same dotted name.
kernel_dir = Path("minimx") / "_kernels" / "cpu"
extensions = [
    Extension(
        ".".join(pyx.with_suffix("").parts),
        [str(pyx)],
        include_dirs=[numpy.get_include()],
        extra_compile_args=optimise + openmp_compile,
        extra_link_args=openmp_link,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    for pyx in sorted(kernel_dir.glob("*.pyx"))
    # MINIMX_ONLY=name builds one module (tools/build_kernel.sh uses it while a kernel is written).
    if os.environ.get("MINIMX_ONLY") in (None, "", pyx.stem)
]

setup(ext_modules=cythonize(extensions, compiler_directives=directives))
