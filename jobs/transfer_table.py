#!/usr/bin/env python3
"""The transfer-learning tables of docs/results.md from the eval lines jobs/transfer.sh leaves.

Reads RUN_DIR/<target>-k<K>-<source>-<recipe>-seed<N>.json (what `cezanne eval` printed for the
best.h5 of each fine-tuning run: the target task's test accuracy) and prints, per target, a
Markdown table of test accuracy (%) by source and recipe (rows) and K (columns), each the mean
over seeds +- the 95% t-interval over seeds, with the number of seeds when fewer than 3; then the
two claims of the notes: MAML's initialization against the other sources at K = 1 (best recipe
of each), and head first against full fine-tuning (per source and K, how often it is ahead).

    python3 jobs/transfer_table.py runs/transfer
"""
import json
import math
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from multitask_table import interval  # mean and 95% t-interval over seeds

TARGETS = {"gujarati": "Gujarati (held-out writing system, 60 characters)",
           "fashion": "Fashion-MNIST (far domain, 10 classes)"}
SHOTS = ["1", "5", "10", "all"]
SOURCES = ["random", "multitask", "protonet", "maml"]
RECIPES = ["linear_probe", "full", "head_first", "gradual", "discriminative", "first_layer"]
NAME = re.compile(r"(\w+)-k(\w+)-(\w+)-(\w+)-seed(\d+)\.json$")


def cell(values):
    if not values:
        return "–"
    mean, ci = interval([100 * v for v in values])
    text = f"{mean:.1f}" + ("" if math.isnan(ci) else f" ± {ci:.1f}")
    return text + ("" if len(values) >= 3 else f" ({len(values)})")


def main(run_dir):
    runs = defaultdict(list)  # (target, k, source, recipe) -> accuracies over seeds
    for path in sorted(Path(run_dir).glob("*-seed*.json")):
        m = NAME.search(path.name)
        if not m or m.group(1) not in TARGETS:
            continue
        line = json.loads(path.read_text())
        runs[m.group(1, 2, 3, 4)].append(line["mean"])
    for target, title in TARGETS.items():
        if not any(key[0] == target for key in runs):
            continue
        print(f"\n**{title}** — test accuracy (%), mean ± 95% CI over seeds\n")
        print("| source | recipe | " + " | ".join(f"K = {k}" for k in SHOTS) + " |")
        print("|---|---|" + "---|" * len(SHOTS))
        for source in SOURCES:
            for recipe in RECIPES:
                row = [cell(runs.get((target, k, source, recipe), [])) for k in SHOTS]
                if all(c == "–" for c in row):
                    continue
                print(f"| {source} | {recipe} | " + " | ".join(row) + " |")
        # The notes' claims.
        best = {}
        for source in SOURCES:
            means = [(statistics.fmean(v), r) for (t, k, s, r), v in runs.items()
                     if t == target and k == "1" and s == source and v]
            if means:
                best[source] = max(means)
        if best:
            print("\nK = 1, each source's best recipe: " +
                  ", ".join(f"{s} {100 * m:.1f} ({r})" for s, (m, r) in best.items()))
        ahead = behind = 0
        for source in SOURCES:
            for k in SHOTS:
                a, b = runs.get((target, k, source, "head_first")), runs.get((target, k, source, "full"))
                if a and b:
                    ahead += statistics.fmean(a) > statistics.fmean(b)
                    behind += statistics.fmean(a) < statistics.fmean(b)
        if ahead + behind:
            print(f"Head first vs full fine-tuning: ahead in {ahead}, behind in {behind} of the (source, K) pairs.")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/transfer")
