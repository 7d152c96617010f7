"""The table of jobs/store-scale.sh: per number of concurrent readers, the slowest reader."""
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1])
step = json.loads((out / "step.json").read_text())
consumed = step["tasks_per_s"]
print(f"Conv4 ProtoNets step (1 thread, meta-batch {step['meta_batch']}): {consumed:.1f} episodes/s consumed")
print("| readers | open (s), slowest | metadata (MiB), largest | episodes/s cold, slowest | episodes/s warm, slowest "
      "| x a Conv4 step | warm episodes per CPU second, slowest |")
print("|---|---|---|---|---|---|---|")
for p in (1, 2, 4, 8, 16):
    path = out / f"readers-{p}.jsonl"
    if not path.exists():
        continue
    lines = [json.loads(l) for l in path.read_text().splitlines() if l.startswith("{")]
    cold = [l for l in lines if l["mode"] == "cold"]
    warm = [l for l in lines if l["mode"] == "warm"]
    slowest_warm = min(l["episodes_per_s"] for l in warm)
    print(f"| {p} | {max(l['open_s'] for l in cold):.2f} | {max(l['open_mb'] for l in cold):.0f} | "
          f"{min(l['episodes_per_s'] for l in cold):.0f} | {slowest_warm:.0f} | {slowest_warm / consumed:.0f} | "
          f"{min(l['episodes'] / l['cpu_seconds'] for l in warm):.0f} |")
