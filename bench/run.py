"""minimx's benchmark: minimx side by side with MXNet 1.9.1, numpy and PyTorch, in one run.

    python bench/run.py                      # everything (about 2-4 minutes on 2 cores)
    python bench/run.py --only per_op,gemm   # some workloads
    python bench/run.py --targets-only --rounds 3

Steps:

1. Find each framework's interpreter: minimx and numpy run on this Python; MXNet 1.9.1 and PyTorch
   on their own virtual environments (``--mxnet-python`` / ``MINIMX_BENCH_MXNET_PYTHON``,
   ``--torch-python`` / ``MINIMX_BENCH_TORCH_PYTHON``). A missing one is skipped, with the command that
   creates it.
2. For each workload of ``workloads.py`` and each of its runs, start a fresh ``child.py`` subprocess
   with the same base environment plus the workload's and the run's variables; it times ``--repeats``
   calls after ``--warmup`` calls. ``--rounds`` repeats the whole set of runs, interleaved, to spread
   the machine's noise evenly.
3. Print a table per workload: best and median time, the workload's metric (us/op, GB/s, GFLOP/s),
   and the time ratio minimx / that run; then each target as PASS or MISS with its margin.
4. Write everything to ``bench/results.json`` (``--json``) so the README's numbers can be refreshed.

A run that fails (an op minimx does not have yet, a crash, a time-out) shows its error in its cell;
the benchmark goes on.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import workloads  # noqa: E402 - bench/ is not a package; the child imports it the same way

# Set per run by the workloads; removed from the inherited environment so a stray export in the
# caller's shell cannot change what a run measures.
CONTROLLED = ("MINIMX_ENGINE_TYPE", "MXNET_ENGINE_TYPE", "MINIMX_CPU_WORKER_NTHREADS",
              "MXNET_CPU_WORKER_NTHREADS")

SETUP = {
    "mxnet": "python3 -m venv ../mxnet-venv && ../mxnet-venv/bin/pip install numpy==1.23.5 mxnet==1.9.1",
    "torch": "python3 -m venv ../torch-venv && ../torch-venv/bin/pip install torch==2.13.0 numpy",
}


def parse_args(argv=None):
    venv = os.path.normpath(os.path.join(REPO, ".."))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", help="comma-separated workload names: "
                   + ", ".join(w.name for w in workloads.WORKLOADS))
    p.add_argument("--targets-only", action="store_true", help="skip the informative extras")
    p.add_argument("--train", action="store_true",
                   help="the training workloads only (train_mlp, train_lenet, resnet18, lstm)")
    p.add_argument("--frameworks", default="minimx,mxnet,numpy,torch",
                   help="comma-separated subset of minimx,mxnet,numpy,torch")
    p.add_argument("--repeats", type=int, default=5, help="timed calls per run (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="untimed calls first (default 1)")
    p.add_argument("--rounds", type=int, default=1,
                   help="measure every run this many times, interleaved, in fresh processes")
    p.add_argument("--stat", choices=("best", "median"), default="best",
                   help="statistic used for metrics, ratios and targets (default best)")
    p.add_argument("--timeout", type=float, default=300, help="seconds per subprocess")
    p.add_argument("--mxnet-python", default=os.environ.get(
        "MINIMX_BENCH_MXNET_PYTHON", os.path.join(venv, "mxnet-venv", "bin", "python")))
    p.add_argument("--torch-python", default=os.environ.get(
        "MINIMX_BENCH_TORCH_PYTHON", os.path.join(venv, "torch-venv", "bin", "python")))
    p.add_argument("--json", default=os.path.join(HERE, "results.json"),
                   help="where to write the results ('' for nowhere)")
    p.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    p.add_argument("-v", "--verbose", action="store_true", help="print each measurement as it ends")
    return p.parse_args(argv)


def interpreters(args):
    """framework -> argv prefix, or a message saying why it is skipped."""
    found = {"minimx": [sys.executable], "numpy": [sys.executable]}
    for fw, path, flag, var in (("mxnet", args.mxnet_python, "--mxnet-python", "MINIMX_BENCH_MXNET_PYTHON"),
                                ("torch", args.torch_python, "--torch-python", "MINIMX_BENCH_TORCH_PYTHON")):
        if os.path.exists(path):
            # -W ignore: MXNet 1.9.1 warns about numpy aliases on import.
            found[fw] = [path, "-W", "ignore"] if fw == "mxnet" else [path]
        else:
            found[fw] = (f"{fw} column skipped: {path} not found. Create it (from the repo root) with\n"
                         f"    {SETUP[fw]}\n  or point {flag} / {var} at its python.")
    wanted = set(args.frameworks.split(","))
    return {fw: v if fw in wanted else "not selected (--frameworks)" for fw, v in found.items()}


def base_env():
    env = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def measure(workload, run, interp, args):
    """Run one child process; return its parsed result (times or an error)."""
    if isinstance(interp, str):
        return {"skipped": interp.split(" Create it")[0]}
    env = base_env()
    env.update(workload.env)
    env.update(run.env)
    cmd = interp + [os.path.join(HERE, "child.py"), workload.name, run.framework,
                    str(max(args.repeats, workload.min_repeats)), str(args.warmup)]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.timeout,
                              cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {args.timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line[len("BENCH_RESULT "):])
    tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
    return {"error": f"exit {proc.returncode}: {tail}", "stderr": proc.stderr[-4000:]}


def merge(results):
    """Pool the times of several rounds; keep the first error if no round succeeded."""
    ok = [r for r in results if "times" in r]
    if not ok:
        return results[0]
    merged = dict(ok[-1])
    merged["times"] = [t for r in ok for t in r["times"]]
    merged["cpu"] = [t for r in ok for t in r.get("cpu", [])]
    failed = [r["error"] for r in results if "error" in r]
    if failed:
        merged["round_errors"] = failed
    return merged


def stat(result, which):
    times = result.get("times")
    if not times:
        return None
    return min(times) if which == "best" else statistics.median(times)


def checks_agree(check, ref):
    if check["shapes"] != ref["shapes"]:
        return f"shape {check['shapes']} != {ref['shapes']}"
    # float32 results summed in another order differ in the last digits; 1e-3 is far above that.
    if abs(check["sum"] - ref["sum"]) > 1e-3 * max(abs(ref["sum"]), ref["absmax"], 1e-6):
        return f"sum {check['sum']:.6g} vs {ref['sum']:.6g}"
    if abs(check["absmax"] - ref["absmax"]) > 1e-3 * max(ref["absmax"], 1e-6):
        return f"largest magnitude {check['absmax']:.6g} vs {ref['absmax']:.6g}"
    return None


def check_results(runs, prefer=("mxnet", "numpy", "torch", "minimx")):
    """Mark every run whose result differs from the reference's (the first framework of
    ``prefer`` that has a result: MXNet's, else numpy's, else torch's, unless the workload says)."""
    by_fw = {}
    for run, res in runs:
        if "check" in res:
            by_fw.setdefault(run.framework, res["check"])
    ref_fw = next((fw for fw in prefer if fw in by_fw), None)
    for run, res in runs:
        if "check" in res and ref_fw is not None:
            res["mismatch"] = checks_agree(res["check"], by_fw[ref_fw])
            res["checked_against"] = ref_fw


def evaluate(target, times):
    """The target's ratio, PASS/MISS and margin, as a dict (value None if a run has no time)."""
    numer, denom = times.get(target.numer), times.get(target.denom)
    out = {"what": target.what, "numer": target.numer, "denom": target.denom, "bound": target.bound,
           "at_least": target.at_least, "value": None, "status": "N/A"}
    if numer is None or denom is None:
        missing = target.numer if numer is None else target.denom
        out["text"] = f"{target.what}: n/a (no time for '{missing}')"
        return out
    value = numer / denom
    out["value"] = value
    if target.bound is None:
        out["status"] = "INFO"
        out["text"] = f"{target.what} = {value:.2f}"
        return out
    sign = ">=" if target.at_least else "<="
    ok = value >= target.bound if target.at_least else value <= target.bound
    off = value / target.bound if target.at_least else target.bound / value   # > 1 means headroom
    out["status"] = "PASS" if ok else "MISS"
    # margin > 0: room to spare; < 0: how far off (in the ratio's own units)
    out["margin"] = margin = value - target.bound if target.at_least else target.bound - value
    if ok:
        out["text"] = (f"{target.what} = {value:.2f} (target {sign} {target.bound}): PASS, "
                       f"margin {margin:+.2f} ({(off - 1) * 100:.0f}% headroom)")
    else:
        out["text"] = (f"{target.what} = {value:.2f} (target {sign} {target.bound}): MISS by "
                       f"{abs(value - target.bound):.2f} (the ratio must improve {1 / off:.2f}x)")
    return out


def fmt_time(t):
    if t is None:
        return "-"
    if t >= 1:
        return f"{t:.3f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.2f} ms"
    return f"{t * 1e6:.1f} us"


def fmt_metric(v):
    return "-" if v is None else (f"{v:.1f}" if v >= 10 else f"{v:.3g}")


def cpu_share(res):
    """Process CPU time / wall time over all timed calls: about the number of busy cores."""
    cpu, wall = sum(res.get("cpu") or [0.0]), sum(res["times"])
    return f"{cpu / wall:.2f}" if cpu and wall else "-"


def describe(run, res):
    info = res.get("info", {})
    env = " ".join(f"{k}={v}" for k, v in run.env.items())
    if run.framework in ("minimx", "mxnet") and info:
        extra = info.get("engine", "")
        if not extra.startswith("Naive"):
            extra += f", {info.get('cpu_workers', '?')} workers"
    elif run.framework == "torch":
        extra = f"{info.get('threads', '?')} threads" if info else ""
    else:
        extra = ""
    return ", ".join(x for x in (env, extra, run.note) if x)


def report(workload, runs, stat_name):
    """Print one workload's table and targets; return them for the JSON file."""
    times = {run.label: stat(res, stat_name) for run, res in runs}
    base = times.get("minimx")
    print(f"\n== {workload.name} [{workload.group}]: {workload.title}")
    print(f"   {workload.measures}")
    print(f"   {'run':<17}{'version':<10}{'best':>11}{'median':>11}{workload.unit:>10}  "
          f"{'minimx/this':>11}{'cpu/wall':>9}  setup")
    rows = []
    for run, res in runs:
        version = res.get("info", {}).get("version", "")
        if "times" not in res:
            msg = res.get("error") or res.get("skipped", "")
            kind = "ERROR" if "error" in res else "skipped"
            print(f"   {run.label:<17}{version:<10}{kind}: {msg[:90]}")
            rows.append({"label": run.label, "framework": run.framework, "env": run.env, **res})
            continue
        t = times[run.label]
        metric = workload.metric(t)
        ratio = base / t if base is not None else None
        flag = f"  RESULT DIFFERS ({res['mismatch']})" if res.get("mismatch") else ""
        print(f"   {run.label:<17}{version:<10}{fmt_time(min(res['times'])):>11}"
              f"{fmt_time(statistics.median(res['times'])):>11}{fmt_metric(metric):>10}  "
              f"{'-' if ratio is None else f'{ratio:.2f}':>11}{cpu_share(res):>9}  "
              f"{describe(run, res)}{flag}")
        rows.append({"label": run.label, "framework": run.framework, "env": run.env, **res,
                     "best": min(res["times"]), "median": statistics.median(res["times"]),
                     "time": t, "metric": metric, "minimx_over_this": ratio})
    targets = [evaluate(tg, times) for tg in workload.targets]
    for tg in targets:
        tag = tg["status"] if tg["status"] in ("PASS", "MISS") else "info"
        print(f"   {tag:>5}  {tg['text']}")
    return {"name": workload.name, "title": workload.title, "group": workload.group,
            "measures": workload.measures, "unit": workload.unit, "env": workload.env,
            "runs": rows, "targets": targets}


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "loadavg_start": _loadavg()}


def _loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def main(argv=None):
    args = parse_args(argv)
    chosen = workloads.WORKLOADS
    if args.only:
        chosen = [workloads.get(n.strip()) for n in args.only.split(",") if n.strip()]
    if args.targets_only:
        chosen = [w for w in chosen if w.group == "target"]
    if args.train:
        chosen = [w for w in chosen if w.group == "train"]
    interps = interpreters(args)
    info = machine()
    print(f"minimx benchmark: {info['cpu']} x {info['cores']} cores, {info['platform']}, "
          f"load {info['loadavg_start']}")
    print(f"statistic: {args.stat} of {args.repeats} calls (more where a workload asks) after "
          f"{args.warmup} warm-up, "
          f"x {args.rounds} round(s); each run in a fresh process")
    print("minimx/this: minimx time / this run's time (below 1: minimx is faster); "
          "cpu/wall: process CPU time / wall time (about the cores kept busy)")
    for fw in ("mxnet", "torch"):
        if isinstance(interps[fw], str) and not interps[fw].startswith("not selected"):
            print("NOTE: " + interps[fw])
    load = info["loadavg_start"]
    if load and load[0] > 0.5 * (info["cores"] or 1):
        print(f"WARNING: the machine is busy (load {load[0]} on {info['cores']} cores): times are "
              "inflated and ratios less reliable, the parallel speed-up (chains) most of all; "
              "see each run's cpu/wall, and consider --rounds 3 when the machine is quieter.")
    if os.environ.get("OPENBLAS_CORETYPE"):
        print("NOTE: OPENBLAS_CORETYPE is set; it slows current OpenBLAS builds (numpy, minimx). "
              "Unset it together with OPENBLAS_L2_SIZE for this command to measure the fast kernels.")
    results = []
    for workload in chosen:
        rounds = {run.label: [] for run in workload.runs}
        for _ in range(args.rounds):
            for run in workload.runs:
                res = measure(workload, run, interps[run.framework], args)
                rounds[run.label].append(res)
                if args.verbose:
                    print(f"   ... {workload.name} / {run.label}: "
                          + (fmt_time(min(res["times"])) if "times" in res
                             else res.get("error") or res.get("skipped")), flush=True)
        runs = [(run, merge(rounds[run.label])) for run in workload.runs]
        check_results(runs, workload.check_order)
        results.append(report(workload, runs, args.stat))
        sys.stdout.flush()
    info["loadavg_end"] = _loadavg()
    summary = [(w["name"], t) for w in results for t in w["targets"] if t["status"] in ("PASS", "MISS")]
    print("\n== targets")
    for name, t in summary:
        print(f"   {t['status']:>5}  {name}: {t['text']}")
    print(f"   load average at start {info['loadavg_start']}, at end {info['loadavg_end']}")
    if args.json:
        doc = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": info,
               "settings": {k: getattr(args, k) for k in ("repeats", "warmup", "rounds", "stat")},
               "interpreters": {k: v if isinstance(v, list) else None for k, v in interps.items()},
               "workloads": results}
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
        print(f"   results written to {os.path.relpath(args.json)}")
    missed = any(t["status"] == "MISS" for _, t in summary)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
