#!/usr/bin/env python3
"""The amortized-inference tables of docs/results.md from the eval lines jobs/amortized.sh leaves.

Reads RUN_DIR/<learner>-k<K>-seed<N>.json (sinusoids: neural_process, maml) and
RUN_DIR/<learner>-5w1s-seed<N>.json (glyphs: versa, versa_beta01, protonet), each the JSON line `cezanne eval`
printed, and prints two Markdown tables: sinusoid MSE, Gaussian NLL and 95% interval coverage
per learner and K; 5-way 1-shot accuracy and ECE per learner, on the test split and (from
<learner>-5w1s-seed<N>-val.json) on the val split, and versa's shots coefficient (the slope of
its posterior's log variance in log n, read from the checkpoint the eval line names). Every cell is the mean over seeds
± the 95% t-interval over seeds (the number of seeds in parentheses when fewer than 3); a
learner without a variance (MAML) has "n/a" for NLL and coverage. With the runs of
`jobs/amortized.sh curve` (RUN_DIR/curve-<learner>/checkpoint-<step>-{test,val}.json), a third
table: versa's and ProtoNets' accuracy, ECE and mean confidence less accuracy at every 1000th
step, and versa's shots coefficient.

    python3 jobs/amortized_table.py runs/amortized
"""
import json
import math
import re
import sys
from collections import defaultdict
from pathlib import Path

from multitask_table import interval  # mean and 95% t-interval over seeds

NAME = re.compile(r"(\w+)-(k\d+|5w1s)-seed(\d+)\.json$")
LABELS = {"neural_process": "neural process", "maml": "MAML (point estimate)",
          "versa": "amortized head (versa)", "versa_beta01": "amortized head (versa), β = 0.1",
          "protonet": "ProtoNets"}


def eval_line(path):
    """The JSON line `cezanne eval` printed, the last line of the file."""
    return json.loads(Path(path).read_text().strip().splitlines()[-1])


def shots_coefficient(checkpoint):
    """versa's head_log_var.shots in a checkpoint: its posterior's log variance per unit of log n."""
    import h5py
    with h5py.File(checkpoint, "r") as f:
        return float(f["params/head_log_var.shots"][0])


def cell(values, scale=1.0, digits=3):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    mean, ci = interval([scale * v for v in values])
    text = f"{mean:.{digits}f}" + ("" if math.isnan(ci) else f" ± {ci:.{digits}f}")
    return text + ("" if len(values) >= 3 else f" ({len(values)})")


def main(run_dir):
    runs = defaultdict(list)  # (learner, setting) -> eval lines over seeds
    for path in sorted(Path(run_dir).glob("*-seed*.json")):
        m = NAME.search(path.name)
        if m:
            runs[m.group(1, 2)].append(dict(eval_line(path), run=path.with_suffix("")))
    print("\n**Sinusoids** (600 test tasks, 15 query points each): mean over seeds ± 95% CI over seeds\n")
    print("| learner | K | MSE | NLL | coverage of the 95% interval (%) |")
    print("|---|---|---|---|---|")
    for k in ("k5", "k10"):
        for learner in ("neural_process", "maml"):
            lines = runs.get((learner, k), [])
            if lines:
                print(f"| {LABELS[learner]} | {k[1:]} | {cell([l['mean'] for l in lines])} | "
                      f"{cell([l.get('nll') for l in lines])} | {cell([l.get('coverage95') for l in lines], 100, 1)} |")
    print("\n**Glyphs, 5-way 1-shot across writing systems** (600 test episodes, 15 queries per class): "
          "mean over seeds ± 95% CI over seeds\n")
    print("| learner | accuracy (%) | ECE, 15 bins (%) | val split: accuracy (%) | val split: ECE (%) "
          "| shots coefficient |")
    print("|---|---|---|---|---|---|")
    for learner in ("versa", "versa_beta01", "protonet"):
        lines = runs.get((learner, "5w1s"), [])
        val = [eval_line(p) for p in sorted(Path(run_dir).glob(f"{learner}-5w1s-seed*-val.json"))]
        shots = [shots_coefficient(l["run"] / Path(l["eval"]).name) if learner != "protonet" else None
                 for l in lines]
        if lines:
            print(f"| {LABELS[learner]} | {cell([l['mean'] for l in lines], 100, 2)} | "
                  f"{cell([l.get('ece') for l in lines], 100, 2)} | {cell([l['mean'] for l in val], 100, 2)} | "
                  f"{cell([l.get('ece') for l in val], 100, 2)} | {cell(shots)} |")
    curve(Path(run_dir))


def curve(run_dir):
    """The table of the two 8000-step runs, one row per evaluated step (seed 0, 300 episodes)."""
    evals = {}  # (learner, step, split) -> eval line
    for learner in ("versa", "protonet"):
        for path in (run_dir / f"curve-{learner}").glob("checkpoint-*-*.json"):
            step, split = re.search(r"checkpoint-(\d+)-(test|val)\.json$", path.name).groups()
            evals[learner, int(step), split] = eval_line(path)
    steps = sorted({step for (_, step, _) in evals})
    if not steps:
        return
    print("\n**Glyphs, trained longer** (seed 0, 300 test and 300 val episodes a checkpoint): accuracy, ECE and "
          "mean confidence less accuracy (negative: underconfident), in %; versa's shots coefficient\n")
    print("| step | versa: test acc. | test ECE | test conf. − acc. | val ECE | shots coef. "
          "| ProtoNets: test acc. | test ECE | test conf. − acc. | val ECE |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for step in steps:
        row = [str(step)]
        versa = run_dir / "curve-versa" / f"checkpoint-{step:08d}.h5"
        for learner in ("versa", "protonet"):
            test, val = evals.get((learner, step, "test")), evals.get((learner, step, "val"))
            row += [f"{100 * test['mean']:.2f}", f"{100 * test['ece']:.2f}",
                    f"{100 * (test['confidence'] - test['mean']):+.2f}"] if test else ["", "", ""]
            row += [f"{100 * val['ece']:.2f}"] if val else [""]
            if learner == "versa":
                row += [f"{shots_coefficient(versa):.3f}"] if versa.exists() else [""]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/amortized")
