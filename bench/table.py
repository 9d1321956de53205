"""Print ``bench/results.json`` as the Markdown tables of ``bench/README.md``.

    python bench/run.py --rounds 3 && python bench/table.py > /tmp/table.md

then paste the output over the README's "Results" section. One table per workload (time, metric,
time ratio minimx / run, CPU/wall), then the targets with PASS/MISS.
"""
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def fmt_time(t):
    if t >= 1:
        return f"{t:.3f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.2f} ms"
    return f"{t * 1e6:.1f} us"


def fmt(v, digits=2):
    return "-" if v is None else f"{v:.{digits}f}"


def main(path=None):
    path = path or os.path.join(HERE, "results.json")
    with open(path) as f:
        doc = json.load(f)
    m, s = doc["machine"], doc["settings"]
    print(f"Measured {doc['date']} on {m['cpu']} ({m['cores']} cores), load average "
          f"{m['loadavg_start'][0]} at start and {m['loadavg_end'][0]} at end; {s['stat']} of "
          f"{s['repeats']} calls after {s['warmup']} warm-up, {s['rounds']} round(s), each run in a "
          "fresh process.\n")
    for w in doc["workloads"]:
        print(f"**{w['name']}** ({w['group']}): {w['title']}\n")
        print(f"| run | version | best | median | {w['unit']} | minimx / run (time) | cpu/wall |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for r in w["runs"]:
            version = r.get("info", {}).get("version", "")
            if "times" not in r:
                why = r.get("error") or r.get("skipped", "")
                print(f"| {r['label']} | {version} | {'error' if 'error' in r else 'skipped'}: "
                      f"{why[:70].replace('|', '/')} | | | | |")
                continue
            cpu = sum(r.get("cpu") or [0.0]) / sum(r["times"])
            metric = f"{r['metric']:.1f}" if r["metric"] >= 10 else f"{r['metric']:.3g}"
            print(f"| {r['label']} | {version} | {fmt_time(r['best'])} | "
                  f"{fmt_time(statistics.median(r['times']))} | {metric} | "
                  f"{fmt(r.get('minimx_over_this'))} | {cpu:.2f} |")
        print()
        for t in w["targets"]:
            print(f"- {t['status']}: {t['text']}")
        print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
