#!/usr/bin/env python3
"""The spread over training seeds of one run of jobs/results.sh: for every evaluation cell
(ways, shots, protocol) the mean over seeds of the mean test accuracy, the sample standard
deviation over seeds, the lowest and highest seed, and each seed's figure with its episode CI.
Reads the JSON lines of runs/results/log.txt (the last evaluation of each checkpoint counts).

  python3 jobs/seed_spread.py runs/results/log.txt NAME   (NAME and NAME-seedN runs)
"""
import json
import re
import statistics
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    log, name = sys.argv[1], sys.argv[2]
    run = re.compile(r"/" + re.escape(name) + r"(-seed(\d+))?/checkpoint-\d+\.h5$")
    cells = {}
    with open(log) as lines:
        for line in lines:
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            m = run.search(r.get("eval", ""))
            if not m or r.get("metric") != "accuracy":
                continue
            seed = int(m.group(2) or 0)
            cell = ("within" if r["within_domain"] else "across", r["ways"], r["shots"])
            cells.setdefault(cell, {})[seed] = (100 * r["mean"], 100 * r["ci95"])
    if not cells:
        sys.exit(f"jobs/seed_spread.py: no evaluation of {name} in {log}")
    print(f"{name}: mean over training seeds ± sample std (min..max); per seed: mean ± episode CI")
    for cell in sorted(cells):
        seeds = cells[cell]
        means = [seeds[s][0] for s in sorted(seeds)]
        std = statistics.stdev(means) if len(means) > 1 else float("nan")
        per_seed = ", ".join(f"seed {s}: {seeds[s][0]:.2f} ± {seeds[s][1]:.2f}" for s in sorted(seeds))
        print(f"  {cell[0]} {cell[1]}w{cell[2]}s: {statistics.mean(means):.2f} ± {std:.2f} "
              f"({min(means):.2f}..{max(means):.2f}, {len(means)} seeds)  [{per_seed}]")


if __name__ == "__main__":
    main()
