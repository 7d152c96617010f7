#!/usr/bin/env bash
# The trainer's step of a linear probe against full fine-tuning (docs/transfer.md): bench step
# on the transfer target (Gujarati, 60 classes, 2 rows of 32 images, Conv4 64 filters, one
# process, 1 thread), with and without --freeze 'block*', in alternating rounds.
#
#   bash bench/linear-probe-step.sh [ROUNDS]      (default 3)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
bash datasets/glyphs.sh data/glyphs > /dev/null
step=("$bin" bench step --algo multitask --store data/glyphs --tasks Gujarati --meta-batch 2
      --examples-per-task 32 --filters 64 --iters 50 --threads 1)
for round in $(seq "${1:-3}"); do
  full=$("${step[@]}" | sed -n 's/.*"steps_per_s":\([0-9.]*\).*/\1/p')
  probe=$("${step[@]}" --freeze 'block*' | sed -n 's/.*"steps_per_s":\([0-9.]*\).*/\1/p')
  echo "round $round: full fine-tuning $full steps/s, linear probe $probe steps/s"
done
