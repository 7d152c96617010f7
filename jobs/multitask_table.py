#!/usr/bin/env python3
"""The multi-task table of docs/results.md from the eval lines jobs/multitask.sh leaves.

Reads RUN_DIR/<conditioning>-<weighting>-seed<N>.json (what `cezanne eval` printed for each
run) and prints a Markdown table: per conditioning and objective, the mean over tasks of the
test accuracy and the worst task's accuracy (each the mean over training seeds +- the 95%
t-interval over seeds), and against share_nothing under the same objective, how many writing
systems gain and lose from sharing (the per-task accuracy averaged over seeds; in brackets those
whose difference exceeds 1.96 standard errors of the test-set noise).

    python3 jobs/multitask_table.py runs/multitask
"""
import json
import math
import statistics
import sys
from collections import Counter
from pathlib import Path

CONDITIONINGS = ["share_nothing", "concat_input", "concat_features", "additive",
                 "multiplicative", "film", "multi_head"]
WEIGHTINGS = ["uniform", "worst_task"]
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776}  # Student t, two-sided 95%


def interval(values):
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, float("nan")
    return mean, T975.get(len(values) - 1, 1.96) * statistics.stdev(values) / math.sqrt(len(values))


def load(root):
    runs = {}
    for path in sorted(Path(root).glob("*-seed*.json")):
        name, seed = path.stem.rsplit("-seed", 1)
        cond, weighting = next((c, name[len(c) + 1:]) for c in CONDITIONINGS if name.startswith(c + "-"))
        line = json.loads(path.read_text().strip().splitlines()[-1])
        runs.setdefault((cond, weighting), {})[int(seed)] = line
    return runs


def per_task(seeds):
    """task -> (seed-mean accuracy, examples per seed)"""
    tasks = {}
    for line in seeds.values():
        for t in line["per_task"]:
            tasks.setdefault(t["task"], []).append((t["accuracy"], t["examples"]))
    return {k: (statistics.fmean(a for a, _ in v), v[0][1] * len(v)) for k, v in tasks.items()}


def main(root):
    runs = load(root)
    if not runs:
        sys.exit(f"{root}: no <conditioning>-<weighting>-seed<N>.json files")
    print("| conditioning | objective | seeds | mean task accuracy | worst task accuracy | worst task (most often) | gain / lose vs share_nothing (significant) |")
    print("|---|---|---|---|---|---|---|")
    for weighting in WEIGHTINGS:
        for cond in CONDITIONINGS:
            seeds = runs.get((cond, weighting))
            if not seeds:
                continue
            mean, mean_ci = interval([100 * s["mean"] for s in seeds.values()])
            worst, worst_ci = interval([100 * s["worst"]["accuracy"] for s in seeds.values()])
            name, _ = Counter(s["worst"]["task"] for s in seeds.values()).most_common(1)[0]
            versus = "—"
            base = runs.get(("share_nothing", weighting))
            if cond != "share_nothing" and base:
                mine, theirs = per_task(seeds), per_task(base)
                gain = lose = sig_gain = sig_lose = 0
                for task, (p, n) in mine.items():
                    q, m = theirs[task]
                    se = math.sqrt(p * (1 - p) / n + q * (1 - q) / m)
                    gain += p > q
                    lose += p < q
                    sig_gain += p - q > 1.96 * se
                    sig_lose += q - p > 1.96 * se
                versus = f"{gain} / {lose} ({sig_gain} / {sig_lose})"
            print(f"| {cond} | {weighting} | {len(seeds)} | {mean:.2f} ± {mean_ci:.2f} | {worst:.2f} ± {worst_ci:.2f} | {name} | {versus} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/multitask")
