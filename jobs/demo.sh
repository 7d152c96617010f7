#!/usr/bin/env bash
# What `make demo` runs after building: the default glyph store (built from the installed fonts
# once), ProtoNets meta-trained on 2 MPI ranks for a few minutes (jobs/configs/demo.ini), the
# evaluation protocol on writing systems never seen in training, and the training curves.
# Running it again continues the run where it stopped (--resume auto) and re-evaluates.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
store=data/glyphs
run=runs/demo-protonet
steps=400
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun --oversubscribe -np 2)

bash datasets/glyphs.sh "$store" | sed -n '/^==/p;/^split/,/^total/p'

echo "== meta-training ProtoNets (Conv4, 5-way 1-shot) on 2 ranks: $run"
"${mpirun[@]}" "$bin" train --config jobs/configs/demo.ini --resume auto

checkpoint="$run/$(printf 'checkpoint-%08d.h5' "$steps")"
field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }
evaluate() {  # evaluate LABEL [eval options]: 600 test episodes, mean and 95% CI
  local label="$1"; shift
  local line
  line="$("${mpirun[@]}" "$bin" eval --checkpoint "$checkpoint" --ways 5 --shots 1 --queries 15 --episodes 600 "$@")"
  echo "$line" > "$run/eval-$label.json"
  awk -v m="$(field mean <<< "$line")" -v c="$(field ci95 <<< "$line")" -v l="$label" \
    'BEGIN { printf "   5-way 1-shot, %s: %.2f%% ± %.2f%% (600 episodes)\n", l, 100 * m, 100 * c }'
}
echo "== meta-test on the held-out writing systems"
evaluate "across-writing-systems"
evaluate "within-one-writing-system" --within-domain

"$bin" plot "$run" --title "ProtoNets 5-way 1-shot, glyph store, 2 ranks" > /dev/null
echo "== done"
echo "   curves:      $run/curves.png"
echo "   metrics:     $run/metrics.csv (and metrics.jsonl)"
echo "   checkpoint:  $checkpoint (h5py-readable: docs/checkpoints.md)"
echo "   results:     $run/eval-*.json"
