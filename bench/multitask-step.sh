#!/usr/bin/env bash
# The speed table of docs/multitask.md: the multi-task step of 16 rows x 16 examples over the
# 143 writing systems against the single-task step of one row of 256 examples, independent
# networks and gradient surgery, each `cezanne bench step --algo multitask` (Conv4-32, one rank,
# 20 timed steps after 3), in alternating rounds so that all see the same machine. Prints each
# round's steps/s and peak RSS, then the median ratio of the multi-task to the single-task step.
#
#   bash bench/multitask-step.sh [ROUNDS]     (default 3; needs a built build/ and data/glyphs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds="${1:-3}"
bash datasets/glyphs.sh
bench() { build/cezanne bench step --algo multitask --store data/glyphs --filters 32 --iters 20 --warmup 3 "$@"; }
field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }
declare -A cases=(
  [multi_task]="--meta-batch 16 --examples-per-task 16"
  [single_task]="--meta-batch 1 --examples-per-task 256 --tasks Latin"
  [share_nothing]="--meta-batch 16 --examples-per-task 16 --conditioning share_nothing"
  [pcgrad]="--meta-batch 16 --examples-per-task 16 --weighting pcgrad"
)
ratios=()
for ((i = 1; i <= rounds; ++i)); do
  declare -A rate=()
  for name in multi_task single_task share_nothing pcgrad; do
    line=$(bench ${cases[$name]})
    rate[$name]=$(field steps_per_s <<< "$line")
    echo "round $i $name: $(field steps_per_s <<< "$line") steps/s, peak RSS $(field peak_rss_mb <<< "$line") MB"
  done
  ratios+=("$(awk -v m="${rate[multi_task]}" -v s="${rate[single_task]}" 'BEGIN { printf "%.3f", s / m }')")
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ r[NR] = $1 } END { print "multi-task / single-task step time, median over " NR " rounds: " r[int((NR + 1) / 2)] }'
