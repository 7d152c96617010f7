#!/usr/bin/env bash
# Augmentation tasks (docs/pretraining.md#augmentation-tasks): ProtoNets meta-trained without
# labels on augmentation tasks of the glyph store's train split, against the same ProtoNets
# meta-trained on labelled episodes, on augmentation tasks without augmentations (every shot
# and query the example itself), and untrained. Every arm: Conv4 with 32 filters, 5-way 1-shot
# 5-query episodes, 4 per step, Adam 1e-3, 400 steps, one process on 1 thread; then the test
# accuracy on 600 real 5-way 1-shot (15-query) episodes of the test writing systems, and the
# nearest-neighbour-on-pixels baseline. Seeds 0, 1, 2 (or those given).
#
#   bash jobs/augmentation-tasks.sh [SEED...]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
out=runs/augmentation-tasks
seeds=("$@")
[ $# -eq 0 ] && seeds=(0 1 2)
bash datasets/glyphs.sh data/glyphs > /dev/null
mkdir -p "$out"
common=(--algo protonet --store data/glyphs --filters 32 --ways 5 --shots 1 --queries 5 --meta-batch 4
        --val-every 100 --val-episodes 50 --threads 1)
declare -A arm=(
  [augmentation]="--pseudo-tasks augmentation --steps 400 --lr 0.001"
  [no_augmentation]="--pseudo-tasks augmentation --augment none --steps 400 --lr 0.001"
  [labelled]="--steps 400 --lr 0.001"
  [untrained]="--steps 1 --lr 1e-9"
)
arms=(untrained no_augmentation augmentation labelled)
one() {  # ARM SEED: train (unless done) and evaluate
  local name=$1 seed=$2 dir="$out/$1-s$2" steps
  steps=$([ "$1" = untrained ] && echo 1 || echo 400)
  local ckpt="$dir/checkpoint-$(printf %08d "$steps").h5"
  [ -f "$ckpt" ] || "$bin" train "${common[@]}" ${arm[$name]} --seed "$seed" --out "$dir" > "$dir.log" 2>&1
  [ -f "$dir.eval" ] || "$bin" eval --checkpoint "$ckpt" --episodes 600 --threads 1 > "$dir.eval" 2>&1
}
for seed in "${seeds[@]}"; do
  for name in "${arms[@]}"; do one "$name" "$seed" & done
  wait
done
[ -f "$out/pixels.eval" ] || "$bin" eval --baseline pixels --store data/glyphs --episodes 600 --threads 1 > "$out/pixels.eval"
/usr/bin/env python3 - "$out" "${arms[@]}" <<'PY'
import json, statistics, sys, glob, os
out, arms = sys.argv[1], sys.argv[2:]
def result(f):
    return json.loads(open(f).read().strip().splitlines()[-1])
print("| meta-training | test accuracy, 5-way 1-shot (per seed, ± 95% CI of 600 episodes) | mean over seeds |")
print("|---|---|---|")
for a in arms:
    rs = [result(f) for f in sorted(glob.glob(os.path.join(out, a + "-s*.eval")))]
    cells = ", ".join(f"{100*r['mean']:.1f} ± {100*r['ci95']:.1f}" for r in rs)
    print(f"| {a} | {cells} | {100*statistics.mean(r['mean'] for r in rs):.1f} |")
p = result(os.path.join(out, "pixels.eval"))
print(f"| nearest neighbour on pixels | {100*p['mean']:.1f} ± {100*p['ci95']:.1f} | |")
PY
