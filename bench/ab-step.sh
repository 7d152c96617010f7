#!/usr/bin/env bash
# A/B of the meta-step between two builds (e.g. before and after a change): alternating rounds
# of `bench step --algo maml|protonet --iters 20 --warmup 2 --meta-batch 8`, then the mean
# tasks/s of each and the change. Build the old one with e.g.
#   git worktree add /tmp/old REV && cmake -S /tmp/old -B /tmp/old/build -DCMAKE_BUILD_TYPE=Release && cmake --build /tmp/old/build --target cezanne
#
#   bash bench/ab-step.sh OLD_BINARY NEW_BINARY [ROUNDS]      (default 3)
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: bash bench/ab-step.sh OLD_BINARY NEW_BINARY [ROUNDS]" >&2; exit 2; }
old="$1" new="$2" rounds="${3:-3}"
declare -A total
for round in $(seq "$rounds"); do
  for algo in maml protonet; do
    for side in old new; do
      bin="$old"; [[ $side == new ]] && bin="$new"
      line=$("$bin" bench step --algo "$algo" --iters 20 --warmup 2 --meta-batch 8)
      rate=$(sed -n 's/.*"tasks_per_s":\([0-9.]*\).*/\1/p' <<< "$line")
      loss=$(sed -n 's/.*"last_loss":\([0-9.e-]*\).*/\1/p' <<< "$line")
      echo "round $round $algo $side: $rate tasks/s, last loss $loss"
      total[$algo-$side]=$(awk -v a="${total[$algo-$side]:-0}" -v b="$rate" 'BEGIN { print a + b }')
    done
  done
done
for algo in maml protonet; do
  awk -v o="${total[$algo-old]}" -v n="${total[$algo-new]}" -v r="$rounds" -v a="$algo" \
    'BEGIN { printf "%s: old %.2f, new %.2f tasks/s (%+.1f%%)\n", a, o / r, n / r, 100 * (n / o - 1) }'
done
