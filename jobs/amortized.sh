#!/usr/bin/env bash
# Amortized inference over tasks and calibration (notes: "Latent variable models"; docs/learn.md
# "Amortized inference and calibration"). Two comparisons, every run on 1 process, 1 thread, two
# runs at a time on the 2 cores:
#   sinusoids, K = 5 and 10 support points (10 query points while training): the neural process
#     (--hidden 64, 10 latent samples, meta-batch 25, 5000 steps, Adam 1e-3) against MAML
#     (meta-batch 25, 2 inner steps of 0.01 with the multi-step loss, 20000 steps, the same 2
#     steps at test) — MSE, Gaussian NLL and coverage of the central 95% interval (MAML: a
#     point estimate, n/a); seeds 0, 1, 2;
#   glyphs (data/glyphs or $GLYPHS), 5-way 1-shot across writing systems: the
#     amortized head (versa, 10 sampled heads in the ELBO, β = 1; and versa_beta01, the KL
#     weighted β = 0.1) against ProtoNets, Conv4 with 32 filters, meta-batch 8, 15 queries per
#     class, 500 steps, Adam 1e-3 — accuracy and ECE (15 bins) on 600 test episodes and on 600
#     val episodes, and the reliability diagrams; seeds 0, 1, 2;
#   and, apart (`curve`), the same glyph set-up trained 16 times longer: versa (β = 1) and
#     ProtoNets, seed 0, 8000 steps, every 1000th step's checkpoint on 300 test and 300 val
#     episodes (runs/amortized/curve-LEARNER/checkpoint-N-{test,val}.json).
# Then the tables of docs/results.md (jobs/amortized_table.py).
#
#   bash jobs/amortized.sh           every run, the tables
#   bash jobs/amortized.sh glyphs    the glyph runs only (versa at β = 1 and 0.1, ProtoNets), the tables
#   bash jobs/amortized.sh curve     the two 8000-step glyph runs (about 40 minutes), the tables
#   bash jobs/amortized.sh table     the tables of the runs there are
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
out=runs/amortized
glyphs="${GLYPHS:-data/glyphs}"
mkdir -p "$out"

# run NAME TRAIN-OPTIONS... -- EVAL-OPTIONS...: trains runs/amortized/NAME, evaluates its last
# checkpoint into NAME.json.
run() {
  local name="$1" checkpoint
  shift
  local train=() eval=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do train+=("$1"); shift; done
  shift
  eval=("$@")
  [[ -f "$out/$name.json" ]] && return 0
  "$bin" train "${train[@]}" --out "$out/$name" --threads 1 --log-seconds 60 > "$out/$name.log" 2>&1 ||
    { echo "$name: training failed (see $out/$name.log)"; return 1; }
  checkpoint="$(ls "$out/$name"/checkpoint-*.h5 | tail -1)"
  evaluate "$checkpoint" "$out/$name.json" "$out/$name.log" "${eval[@]}"
  echo "$name: $(cat "$out/$name.json")"
}

# evaluate CHECKPOINT JSON LOG EVAL-OPTIONS...: the eval line of CHECKPOINT into JSON (kept if there).
evaluate() {
  local checkpoint="$1" json="$2" log="$3"
  shift 3
  [[ -f "$json" ]] && return 0
  "$bin" eval --checkpoint "$checkpoint" --threads 1 "$@" 2>> "$log" | tail -1 > "$json.tmp" && mv "$json.tmp" "$json"
}

# The glyph learners' training set-up (the steps apart).
glyph_options=(--store "$glyphs" --filters 32 --ways 5 --shots 1 --queries 15 --meta-batch 8 --lr 1e-3 --val-every 0
               --val-episodes 50)

sinusoid() {  # sinusoid LEARNER K SEED
  local learner="$1" k="$2" seed="$3"
  local common=(--model mlp --shots "$k" --queries 10 --meta-batch 25 --lr 1e-3 --seed "$seed" --val-every 0 --val-episodes 50)
  case "$learner" in
    neural_process) run "$learner-k$k-seed$seed" --algo neural_process "${common[@]}" --hidden 64 --samples 10 \
                      --steps 5000 --checkpoint-every 5000 -- ;;
    maml) run "$learner-k$k-seed$seed" --algo maml "${common[@]}" --inner-lr 0.01 --inner-steps 2 --multi-step-loss \
            --steps 20000 --checkpoint-every 20000 -- ;;
  esac
}

glyph() {  # glyph LEARNER SEED (LEARNER: versa, versa_beta01 or protonet)
  local learner="$1" seed="$2" algo="$1" extra=()
  case "$learner" in
    versa) extra=(--samples 10) ;;
    versa_beta01) algo=versa extra=(--samples 10 --beta 0.1) ;;
  esac
  run "$learner-5w1s-seed$seed" --algo "$algo" "${glyph_options[@]}" --steps 500 --checkpoint-every 500 --seed "$seed" \
    "${extra[@]}" -- --ways 5 --shots 1 --episodes 600 --reliability "$out/$learner-5w1s-seed$seed-reliability.png" || return 1
  # The same checkpoint on the val split (NAME-val.json).
  local name="$learner-5w1s-seed$seed"
  evaluate "$(ls "$out/$name"/checkpoint-*.h5 | tail -1)" "$out/$name-val.json" "$out/$name.log" --ways 5 --shots 1 \
    --episodes 600 --split val
}

curve() {  # curve LEARNER (versa or protonet): seed 0 for 8000 steps, each 1000th step's checkpoint evaluated
  local learner="$1" dir="$out/curve-$1" checkpoint split
  [[ -f "$dir/checkpoint-00008000.h5" ]] ||
    "$bin" train --algo "$learner" "${glyph_options[@]}" --steps 8000 --checkpoint-every 1000 --keep 8 --seed 0 \
      --out "$dir" --threads 1 --log-seconds 60 > "$dir.log" 2>&1 || { echo "curve-$learner: training failed (see $dir.log)"; return 1; }
  for checkpoint in "$dir"/checkpoint-*.h5; do
    for split in test val; do
      evaluate "$checkpoint" "${checkpoint%.h5}-$split.json" "$dir.log" --ways 5 --shots 1 --episodes 300 --split "$split"
    done
  done
}

case "${1:-all}" in
  table) ;;
  all)
    start=$SECONDS
    # Two queues of about equal length (about 10 minutes each here), one per core.
    (for seed in 0 1 2; do glyph versa "$seed"; done
     for k in 5 10; do for seed in 0 1 2; do sinusoid neural_process "$k" "$seed"; done; done
     sinusoid maml 10 2) &
    (for seed in 0 1 2; do glyph protonet "$seed"; done
     for seed in 0 1 2; do glyph versa_beta01 "$seed"; done
     for k in 5 10; do for seed in 0 1 2; do [[ "$k-$seed" == 10-2 ]] || sinusoid maml "$k" "$seed"; done; done) &
    wait
    echo "wall time: $((SECONDS - start)) s" ;;
  glyphs)
    start=$SECONDS
    # Two queues of about equal length: a versa run trains about twice as long as a ProtoNets one.
    (for seed in 0 1 2; do glyph versa "$seed"; done; glyph versa_beta01 2) &
    (for seed in 0 1 2; do glyph protonet "$seed"; done; for seed in 0 1; do glyph versa_beta01 "$seed"; done) &
    wait
    echo "wall time: $((SECONDS - start)) s" ;;
  curve)
    start=$SECONDS
    curve versa & curve protonet &
    wait
    echo "wall time: $((SECONDS - start)) s" ;;
  *) echo "usage: bash jobs/amortized.sh [glyphs|curve|table]"; exit 2 ;;
esac
/usr/bin/python3 jobs/amortized_table.py "$out"
