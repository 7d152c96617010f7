#!/usr/bin/env python3
"""Where a GPU run's time goes, from Nsight Compute's per-kernel durations: the kernels grouped
by name, each group's launches, total and mean time and share, largest first. Reads the CSV of

  ncu --metrics gpu__time_duration.sum --csv --print-units base --print-kernel-base function \\
      --cache-control none --clock-control none --log-file KERNELS.csv PROGRAM ...

(jobs/gpu-check.sh profiles one `cezanne bench step` meta-step so). ncu runs the kernels one at
a time, so the sum is the GPU's busy time without overlap; with --wall-seconds (the same work's
time without the profiler) the rest of that time is the GPU waiting for launches.

  python3 bench/kernel_profile.py KERNELS.csv [--top 25] [--wall-seconds S] [--launch-cap N]
"""
import argparse
import csv
import sys
from collections import defaultdict

UNITS = {"nsecond": 1e-9, "ns": 1e-9, "usecond": 1e-6, "us": 1e-6, "msecond": 1e-3, "ms": 1e-3,
         "second": 1.0, "s": 1.0}


def durations(path):
    """(kernel name, seconds) of every profiled launch in ncu's CSV (lines before the header,
    such as ncu's ==PROF== messages and the program's own output, are skipped)."""
    with open(path, newline="", errors="replace") as f:
        lines = f.read().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith('"ID"')), None)
    if start is None:
        raise SystemExit(f"{path}: no ncu CSV header (a line starting with \"ID\")")
    rows = csv.DictReader(lines[start:])
    name_field = next((f for f in ("Kernel Name", "Function Name", "Name") if f in rows.fieldnames),
                      None)
    if name_field is None or "Metric Value" not in rows.fieldnames:
        raise SystemExit(f"{path}: unexpected columns {rows.fieldnames}")
    out = []
    for row in rows:
        if row.get("Metric Name", "gpu__time_duration.sum") != "gpu__time_duration.sum":
            continue
        value = (row["Metric Value"] or "").replace(",", "")
        try:
            out.append((row[name_field], float(value) * UNITS.get(row.get("Metric Unit", "ns"), 1e-9)))
        except ValueError:
            continue
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv")
    ap.add_argument("--top", type=int, default=25, help="kernel groups listed")
    ap.add_argument("--wall-seconds", type=float,
                    help="the profiled work's time without the profiler (one meta-step)")
    ap.add_argument("--launch-cap", type=int, help="ncu's --launch-count, to say when it was hit")
    a = ap.parse_args()
    launches = durations(a.csv)
    if not launches:
        sys.exit(f"{a.csv}: no kernel durations")
    groups = defaultdict(lambda: [0, 0.0])
    for name, seconds in launches:
        groups[name][0] += 1
        groups[name][1] += seconds
    total = sum(s for _, s in launches)
    print(f"{len(launches)} kernel launches, {total * 1e3:.3f} ms of GPU time "
          f"(kernels one at a time, no overlap), {len(groups)} distinct kernels"
          + (" -- the launch cap was reached: later kernels are missing"
             if a.launch_cap and len(launches) >= a.launch_cap else ""))
    if a.wall_seconds:
        print(f"without the profiler the work took {a.wall_seconds * 1e3:.3f} ms: the kernels are "
              f"{100 * total / a.wall_seconds:.0f}% of it, the rest is the GPU waiting for work")
    print(f"{'share':>6} {'total ms':>9} {'launches':>8} {'mean us':>8}  kernel")
    for name, (count, seconds) in sorted(groups.items(), key=lambda g: -g[1][1])[:a.top]:
        print(f"{100 * seconds / total:>5.1f}% {seconds * 1e3:>9.3f} {count:>8} "
              f"{seconds / count * 1e6:>8.1f}  {name[:110]}")


if __name__ == "__main__":
    main()
