#!/usr/bin/env bash
# Rebuild one Cython kernel module in place while you work on it, e.g.
#   tools/build_kernel.sh reduce            (MINIMX_CYTHON_DEBUG=1 for bounds checks)
# `pip install -e .` rebuilds all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
MINIMX_ONLY="$1" python setup.py -q build_ext --inplace --build-temp "build/tmp-$1"
