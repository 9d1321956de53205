"""Differential sweep: run everyday MXNet 1.x NDArray snippets under real MXNet and under minimx.

Usage::

    python tools/diff_mxnet.py            # run all snippets, print those whose outputs differ
    python tools/diff_mxnet.py -k pad     # only snippets whose source contains 'pad'
    python tools/diff_mxnet.py --all      # print every snippet's two outputs

Each snippet is a string of Python using ``mx`` and ``np``; it prints what it computed. Both
interpreters run all snippets in one process each (``--child``), printing a separator line per snippet;
an exception is printed as ``EXC <TypeName>: <first words>``. Outputs are compared line by line, token
by token: numbers with a tolerance (kernel differences in the last float32 ulp are expected), other text
exactly, exception lines by kind only: minimx's exception must be an instance of every kind (``MXNetError``,
``ValueError``, ``TypeError``, ...) that MXNet's is (minimx's messages are meant to differ). If MXNet's process dies on a snippet (a crash), the snippet is marked CRASH and
the run resumes at the next one.
"""
import argparse
import json
import os
import re
import subprocess
import sys

MXNET_PY = os.environ.get("MXNET_PY", "/work/mxnet-venv/bin/python")
SEP = "=====SNIPPET====="

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from diff_mxnet_snippets import SNIPPETS  # noqa: E402


CHILD = r'''
import sys, io, json, contextlib, traceback, warnings
warnings.filterwarnings("ignore")
import numpy as np
if sys.argv[1] == "mxnet":
    import mxnet as mx
else:
    import minimx as mx
snips = json.load(open(sys.argv[2]))
KINDS = {"TypeError", "ValueError", "IndexError", "KeyError", "AttributeError", "RuntimeError",
         "NotImplementedError", "ZeroDivisionError", "OSError", "MXNetError", "AssertionError"}
start = int(sys.argv[3])
for i in range(start, len(snips)):
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            exec(snips[i], {"mx": mx, "np": np, "__name__": "__snippet__"})
            mx.nd.waitall()
    except BaseException as e:
        msg = " ".join(str(e).split()[:6])
        try:
            mx.nd.waitall()   # do not let an async failure surface in the next snippet
        except BaseException:
            pass
        kinds = sorted({c.__name__ for c in type(e).__mro__ if c.__name__ in KINDS})
        buf.write("EXC %s [%s]: %s\n" % (type(e).__name__, ",".join(kinds), msg))
    sys.stdout.write("%s %d\n%s" % ("''' + SEP + r'''", i, buf.getvalue()))
    sys.stdout.flush()
'''


def run_all(which, snips):
    """Run every snippet in one interpreter; returns a list of output strings (CRASH on a dead process)."""
    exe = MXNET_PY if which == "mxnet" else sys.executable
    path = "/tmp/diff_mxnet_snips_%d.json" % os.getpid()
    with open(path, "w") as f:
        json.dump(snips, f)
    outs = [None] * len(snips)
    start = 0
    while start < len(snips):
        p = subprocess.run([exe, "-W", "ignore", "-c", CHILD, which, path, str(start)],
                           capture_output=True, text=True, timeout=900)
        last = start - 1
        cur, lines = None, []
        for line in p.stdout.splitlines():
            if line.startswith(SEP):
                if cur is not None:
                    outs[cur] = "\n".join(lines)
                cur, lines = int(line.split()[1]), []
                last = cur
            else:
                lines.append(line)
        if cur is not None:
            if p.returncode == 0:
                outs[cur] = "\n".join(lines)
            else:
                # the process died inside the snippet after the last separator
                outs[cur] = None
                last = cur - 1
        if p.returncode == 0 and last == len(snips) - 1:
            break
        crashed = last + 1
        if crashed >= len(snips):
            break
        outs[crashed] = "CRASH rc=%d %s" % (p.returncode, p.stderr.strip().splitlines()[-1:] )
        start = crashed + 1
    return outs


_NUM = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\.?$|^[-+]?(inf|nan)$", re.I)
_TOK = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|[-+]?inf|nan|\w+|\S", re.I)


def _close(a, b):
    fa, fb = float(a), float(b)
    if fa != fa and fb != fb:
        return True
    if fa == fb:
        return True
    return abs(fa - fb) <= 1e-5 + 2e-4 * max(abs(fa), abs(fb))


def _kinds(line):
    m = re.match(r"EXC \w+ \[([\w,]*)\]", line)
    return set(m.group(1).split(",")) - {""} if m else None


def same_line(a, b):
    """Compare one output line: exception lines by type, numbers within tolerance, text exactly."""
    if a.startswith("EXC ") or b.startswith("EXC "):
        # equal when minimx's exception is an instance of every kind MXNet's is (MXNetError,
        # ValueError, ...): minimx may add MXNetError to a builtin type, never drop one
        ka, kb = _kinds(a), _kinds(b)
        return ka is not None and kb is not None and ka <= kb
    if a == b:
        return True
    xa, xb = _TOK.findall(a), _TOK.findall(b)
    if len(xa) != len(xb):
        return False
    for u, v in zip(xa, xb):
        if u == v:
            continue
        if _NUM.match(u) and _NUM.match(v) and _close(u, v):
            continue
        return False
    # spacing may differ only where numbers are formatted differently; require same text otherwise
    return True


def same(a, b):
    if a is None or b is None:
        return a == b
    la, lb = a.splitlines(), b.splitlines()
    return len(la) == len(lb) and all(same_line(x, y) for x, y in zip(la, lb))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default=None, help="only snippets containing this text")
    ap.add_argument("--all", action="store_true", help="print every snippet")
    args = ap.parse_args()
    snips = [s.strip("\n") for s in SNIPPETS if args.k is None or args.k in s]
    ref = run_all("mxnet", snips)
    got = run_all("minimx", snips)
    ndiff = 0
    for i, (s, r, g) in enumerate(zip(snips, ref, got)):
        d = not same(r, g)
        ndiff += d
        if d or args.all:
            print("#%d %s\n%s" % (i, "DIFF" if d else "same", s))
            rl, gl = (r or "").splitlines(), (g or "").splitlines()
            w = max([len(x) for x in rl] + [12])
            print("  %-*s | %s" % (w, "mxnet", "minimx"))
            for j in range(max(len(rl), len(gl))):
                x = rl[j] if j < len(rl) else ""
                y = gl[j] if j < len(gl) else ""
                mark = " " if j < len(rl) and j < len(gl) and same_line(x, y) else "*"
                print("%s %-*s | %s" % (mark, w, x, y))
            print()
    print("%d snippets, %d differ" % (len(snips), ndiff))


if __name__ == "__main__":
    main()
