#!/usr/bin/env bash
# What the gather of global negatives costs (docs/pretraining.md "Speed: what the gather of global
# negatives costs"): NT-Xent steps with local and with global negatives on P ranks, the model and
# batch of jobs/pretraining-table.sh (Conv4 32 filters, 8 rows of 32 examples), REPEATS runs each;
# one line "ranks negatives seconds-per-step" per run.
#
#   bash bench/global-negatives.sh [REPEATS (3)] [RANKS... (2 4)]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
repeats="${1:-3}"
shift || true
ranks=("$@")
[[ ${#ranks[@]} -gt 0 ]] || ranks=(2 4)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for p in "${ranks[@]}"; do
  for negatives in local global; do
    for _ in $(seq "$repeats"); do
      mpirun -np "$p" --oversubscribe --bind-to none "$bin" bench step --algo nt_xent --negatives "$negatives" \
        --store "${GLYPHS:-data/glyphs}" --filters 32 --meta-batch 8 --examples-per-task 32 --iters 5 --warmup 1 \
        --threads 1 | tail -1 |
        /usr/bin/python3 -c "import json, sys; d = json.loads(sys.stdin.read()); print($p, '$negatives', round(d['seconds'] / d['iters'], 4))"
    done
  done
done
