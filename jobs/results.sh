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

# train NAME STEPS OPTION...: meta-train into runs/results/NAME (resumes when interrupted).
train() {
  local name="$1" steps="$2"; shift 2
  local start=$SECONDS
  log "\$ cezanne train --store $store --out $out/$name --steps $steps --meta-batch 8 --val-every 100 --val-episodes 100 $*"
  "${mpirun[@]}" "$bin" train --store "$store" --out "$out/$name" --steps "$steps" --meta-batch 8 \
    --val-every 100 --val-episodes 100 --checkpoint-every 100 --log-seconds 60 --resume auto "$@" \
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
    protonet) train protonet 800 --algo protonet --ways 20 --shots 1 --queries 5 && every_cell protonet 800 20 ;;
    maml) train maml 600 --algo maml --ways 5 --shots 1 --queries 5 --inner-lr 0.4 --test-inner-steps 3 && every_cell maml 600 5 ;;
    fomaml) train fomaml 300 --algo fomaml --ways 5 --shots 1 --queries 5 --inner-lr 0.1 --test-inner-steps 3 && every_cell fomaml 300 5 ;;
    anil) train anil 300 --algo anil --ways 5 --shots 1 --queries 5 --inner-lr 0.4 --test-inner-steps 3 && every_cell anil 300 5 ;;
    matching) train matching 300 --algo matching --ways 5 --shots 1 --queries 5 && every_cell matching 300 20 ;;
    siamese) train siamese 300 --algo siamese --ways 5 --shots 1 --queries 5 && every_cell siamese 300 20 ;;
    mann) train mann 300 --algo mann --ways 5 --shots 1 --queries 5 && every_cell mann 300 5 ;;
    set_encoder) train set_encoder 300 --algo set_encoder --ways 5 --shots 1 --queries 5 && every_cell set_encoder 300 5 ;;
    *) echo "jobs/results.sh: unknown run '$1'" >&2; exit 2 ;;
  esac
}

if [[ $# -eq 0 ]]; then set -- baseline protonet maml fomaml anil matching siamese mann set_encoder; fi
for name in "$@"; do run "$name"; done
