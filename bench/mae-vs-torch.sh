#!/usr/bin/env bash
# The masked autoencoder's training step, `cezanne train --algo mae --model vit`, against the
# same model in PyTorch 1.13 (bench/mae_torch.py), in alternating rounds so that both see the
# same machine (shared hosts drift within minutes). Same architecture (the defaults: 28x28
# glyphs, patch 7, dim 64, depth 4, heads 4, MLP ratio 4, decoder 32 wide and 2 deep, mask ratio
# 0.75), batch (8 rows x 16 examples = 128 images), Adam, 2 threads. cezanne's step time comes
# from metrics.csv (its `seconds` column: time since the run started), PyTorch's from its own
# clock, both after WARMUP steps and both including drawing the batch. Prints each round, then
# the medians and cezanne's time over PyTorch's.
#
#   bash bench/mae-vs-torch.sh [ROUNDS] [STEPS] [WARMUP]   (default 3 rounds of 40 steps, 10 of
#                                                  them warm-up; needs a built
#                                                  build/, data/glyphs and Debian's python3-torch)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds="${1:-3}"
steps="${2:-40}"
warmup="${3:-10}"
store="${GLYPHS:-data/glyphs}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# median "FIGURES": the median of space-separated figures (the upper one of an even count).
median() {
  python3 -c 'import sys; v = sorted(map(float, sys.argv[1].split())); print(v[len(v) // 2])' "$1"
}
ours="" theirs=""
for round in $(seq 1 "$rounds"); do
  rm -rf "$out/run"
  build/cezanne train --algo mae --model vit --store "$store" --out "$out/run" --meta-batch 8 \
    --examples-per-task 16 --steps "$steps" --val-every 0 --checkpoint-every 1000000 --lr 0.001 \
    --threads 2 > /dev/null 2>&1
  a=$(awk -F, -v w="$warmup" -v n="$steps" 'NR == w + 1 { s = $7 } NR == n + 1 { printf "%.4f", ($7 - s) / (n - w) }' \
    "$out/run/metrics.csv")
  b=$(/usr/bin/python3 bench/mae_torch.py --store "$store" --rows 8 --examples 16 --steps "$steps" \
    --warmup "$warmup" --lr 0.001 --threads 2 |
    python3 -c "import json, sys; print(json.loads(sys.stdin.readlines()[-1])['seconds_per_step'])")
  echo "round $round: cezanne $a s/step, pytorch $b s/step (load $(cut -d' ' -f1 /proc/loadavg))"
  ours="$ours $a" theirs="$theirs $b"
done
m_ours=$(median "$ours") m_theirs=$(median "$theirs")
echo "median: cezanne $m_ours s/step, pytorch $m_theirs s/step; cezanne / pytorch = $(python3 -c "print(round($m_ours / $m_theirs, 2))")"
