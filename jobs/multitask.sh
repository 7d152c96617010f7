#!/usr/bin/env bash
# The notes' multi-task question on the default glyph store: one network per writing system
# (share_nothing) against one shared network conditioned on the writing system in each way the
# notes list, under the uniform and the worst-task objective, over three training seeds. Every
# run sees the same steps, rows and examples: 143 writing systems, 1500 steps of 16 rows of 16
# examples (384,000 examples, each writing system about 168 rows), 2 ranks, Conv4 with 32
# filters, Adam 3e-3; each class's 20 examples split 14/2/4, so the test set is every writing
# system's unseen images of its own characters. concat_input concatenates a learned 8-value task
# embedding (--task-descriptor 8): a one-hot z would add 143 input channels and make its first
# convolution 4x the cost of the whole step; the others use the one-hot z where they use one. Then the table of docs/results.md
# (jobs/multitask_table.py).
#
#   bash jobs/multitask.sh                 every run (42), then the table
#   bash jobs/multitask.sh COND WEIGHTING SEED   one run (resumes when interrupted)
#   bash jobs/multitask.sh table           the table of the runs there are
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
store=data/glyphs
out=runs/multitask
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun --oversubscribe -np 2)
conditionings=(share_nothing concat_input concat_features additive multiplicative film multi_head)
weightings=(uniform worst_task)
steps=1500
mkdir -p "$out"
bash datasets/glyphs.sh "$store" > /dev/null

one() {
  local cond="$1" weighting="$2" seed="$3" name="$1-$2-seed$3" start=$SECONDS
  local ckpt="$out/$name/$(printf 'checkpoint-%08d.h5' "$steps")" descriptor=0
  [[ "$cond" == concat_input ]] && descriptor=8
  if [[ ! -f "$out/$name.json" ]]; then
    "${mpirun[@]}" "$bin" train --algo multitask --store "$store" --out "$out/$name" \
      --conditioning "$cond" --task-descriptor "$descriptor" --weighting "$weighting" --seed "$seed" --filters 32 \
      --meta-batch 16 --examples-per-task 16 --example-split 14/2/4 --steps "$steps" --lr 3e-3 \
      --val-every 500 --checkpoint-every 500 --threads 1 --log-seconds 60 --resume auto \
      >> "$out/$name.log" 2>&1 || { echo "$name: training failed (see $out/$name.log)"; return 1; }
    "${mpirun[@]}" "$bin" eval --checkpoint "$ckpt" --threads 1 2>> "$out/$name.log" | tail -1 > "$out/$name.json.tmp" &&
      mv "$out/$name.json.tmp" "$out/$name.json"
  fi
  echo "$name: $(grep -o '"mean":[0-9.e-]*' "$out/$name.json") ($((SECONDS - start)) s)"
}

case "${1:-all}" in
  table) /usr/bin/python3 jobs/multitask_table.py "$out" ;;
  all)
    for seed in 0 1 2; do
      for weighting in "${weightings[@]}"; do
        for cond in "${conditionings[@]}"; do one "$cond" "$weighting" "$seed"; done
      done
    done
    /usr/bin/python3 jobs/multitask_table.py "$out" ;;
  *) one "$1" "$2" "$3" ;;
esac
