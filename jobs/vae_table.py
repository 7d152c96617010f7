#!/usr/bin/env python3
"""The VAE table of docs/results.md from the eval lines jobs/vae.sh leaves.

Reads RUN_DIR/<store>-<framework>-seed<N>.json (cezanne eval's line, or bench/vae_torch.py's)
and prints a Markdown table: per store and framework, the ELBO and the IWAE-k bound in nats per
example, each the mean over seeds +- the 95% t-interval over seeds (the number of seeds when
fewer than 3), then cezanne minus PyTorch.

    python3 jobs/vae_table.py runs/vae
"""
import json
import math
import re
import sys
from collections import defaultdict
from pathlib import Path

from multitask_table import interval  # mean and 95% t-interval over seeds

STORES = {"glyphs": "glyph store (test classes)", "fashion": "Fashion-MNIST (test part of every class)"}


def cell(values):
    if not values:
        return "–"
    mean, ci = interval(values)
    text = f"{mean:.2f}" + ("" if math.isnan(ci) else f" ± {ci:.2f}")
    return text + ("" if len(values) >= 3 else f" ({len(values)})")


def main(run_dir):
    runs = defaultdict(lambda: defaultdict(list))  # (store, framework) -> metric -> values
    k = None
    for path in sorted(Path(run_dir).glob("*-seed*.json")):
        name = re.fullmatch(r"([a-z]+)-([a-z]+)-seed[0-9]+", path.stem)  # not the -ids.json lists
        if not name:
            continue
        store, framework = name.groups()
        text = path.read_text().strip()
        if not text:
            continue
        line = json.loads(text.splitlines()[-1])
        k = line["iwae_samples"]
        for metric in ("elbo", "iwae"):
            runs[(store, framework)][metric].append(line[metric]["mean"])
    print(f"| store | framework | ELBO (nats) | IWAE-{k} (nats) |")
    print("|---|---|---|---|")
    for store, label in STORES.items():
        for framework in ("cezanne", "pytorch"):
            r = runs.get((store, framework))
            if r:
                print(f"| {label} | {framework} | {cell(r['elbo'])} | {cell(r['iwae'])} |")
        a, b = runs.get((store, "cezanne")), runs.get((store, "pytorch"))
        if a and b:
            d = {m: sum(a[m]) / len(a[m]) - sum(b[m]) / len(b[m]) for m in ("elbo", "iwae")}
            print(f"| {label} | cezanne − PyTorch | {d['elbo']:+.2f} | {d['iwae']:+.2f} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/vae")
