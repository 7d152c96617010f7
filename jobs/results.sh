#!/usr/bin/env bash
# Reproduces the tables of docs/results.md: meta-trains each learner on the default glyph store
# on 2 ranks, then meta-tests it (600 episodes of unseen writing systems, across and within one
# writing system) and runs the nearest-neighbour-on-pixels baseline on the same episodes.
# Every command and its JSON line go to runs/results/log.txt; training logs to runs/results/<name>.log.
#
#   bash jobs/results.sh [NAME...]     (default: every run below, in order)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
store=data/glyphs
out=runs/results
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun --oversubscribe -np 2)
mkdir -p "$out"

log() { echo "$*" | tee -a "$out/log.txt"; }

# train NAME STEPS OPTION...: meta-train into runs/results/NAME (resumes when interrupted);
# validation every 100 steps unless the options say otherwise.
train() {
  local name="$1" steps="$2"; shift 2
  local start=$SECONDS
  log "\$ cezanne train --store $store --out $out/$name --steps $steps --meta-batch 8 --val-episodes 100 $*"
  "${mpirun[@]}" "$bin" train --store "$store" --out "$out/$name" --steps "$steps" --meta-batch 8 \
    --val-episodes 100 --checkpoint-every 100 --log-seconds 60 --resume auto "$@" \
    >> "$out/$name.log" 2>&1
  log "trained $name in $((SECONDS - start)) s (2 ranks, 2 cores)"
}

# evaluate NAME STEPS WAYS SHOTS [--within-domain]: 600 test episodes of the checkpoint.
evaluate() {
  local name="$1" steps="$2" ways="$3" shots="$4"; shift 4
  local ckpt="$out/$name/$(printf 'checkpoint-%08d.h5' "$steps")"
  log "$("${mpirun[@]}" "$bin" eval --checkpoint "$ckpt" --ways "$ways" --shots "$shots" --episodes 600 "$@" 2>&1 | tail -1)"
}

# every_cell NAME STEPS MAX_WAYS: 5w1s, 5w5s (and 20w1s when the model admits 20 ways), both protocols.
every_cell() {
  local name="$1" steps="$2" max_ways="$3"
  for protocol in "" "--within-domain"; do
    evaluate "$name" "$steps" 5 1 $protocol
    evaluate "$name" "$steps" 5 5 $protocol
    if (( max_ways >= 20 )); then evaluate "$name" "$steps" 20 1 $protocol; fi
  done
}

# five_way_one_shot NAME STEPS: the 5-way 1-shot cells only (the shorter runs).
five_way_one_shot() {
  evaluate "$1" "$2" 5 1
  evaluate "$1" "$2" 5 1 --within-domain
}

baseline() {
  for protocol in "" "--within-domain"; do
    for ws in "5 1" "5 5" "20 1"; do
      set -- $ws
      log "$("${mpirun[@]}" "$bin" eval --baseline pixels --store "$store" --ways "$1" --shots "$2" --episodes 600 $protocol 2>&1 | tail -1)"
    done
  done
}

run() {
  case "$1" in
    baseline) baseline ;;
    protonet) train protonet 800 --val-every 100 --algo protonet --ways 20 --shots 1 --queries 5 && every_cell protonet 800 20 ;;
    maml30) train maml30 3500 --val-every 500 --algo maml --ways 5 --shots 1 --queries 5 --inner-lr 0.4 \
      --test-inner-steps 3 --schedule cosine && every_cell maml30 3500 5 ;;
    maml) train maml 500 --val-every 100 --algo maml --ways 5 --shots 1 --queries 5 --inner-lr 0.4 --test-inner-steps 3 && every_cell maml 500 5 ;;
    fomaml) train fomaml 200 --val-every 100 --algo fomaml --ways 5 --shots 1 --queries 5 --inner-lr 0.1 --test-inner-steps 3 && five_way_one_shot fomaml 200 ;;
    anil) train anil 200 --val-every 100 --algo anil --ways 5 --shots 1 --queries 5 --inner-lr 0.4 --test-inner-steps 3 && five_way_one_shot anil 200 ;;
    matching) train matching 200 --val-every 100 --algo matching --ways 5 --shots 1 --queries 5 && five_way_one_shot matching 200 ;;
    siamese) train siamese 200 --val-every 100 --algo siamese --ways 5 --shots 1 --queries 5 && five_way_one_shot siamese 200 ;;
    mann) train mann 200 --val-every 100 --algo mann --ways 5 --shots 1 --queries 5 && five_way_one_shot mann 200 ;;
    set_encoder) train set_encoder 200 --val-every 100 --algo set_encoder --ways 5 --shots 1 --queries 5 && five_way_one_shot set_encoder 200 ;;
    *) echo "jobs/results.sh: unknown run '$1'" >&2; exit 2 ;;
  esac
}

if [[ $# -eq 0 ]]; then set -- baseline protonet maml30 maml fomaml anil matching siamese mann set_encoder; fi
for name in "$@"; do run "$name"; done
