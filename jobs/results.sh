#!/usr/bin/env bash
# Reproduces the tables of docs/results.md: meta-trains each learner on the default glyph store
# on 2 ranks, then meta-tests it (600 episodes of unseen writing systems, across and within one
# writing system) and runs the nearest-neighbour-on-pixels baseline on the same episodes.
# Every command and its JSON line go to runs/results/log.txt; training logs to runs/results/<name>.log.
#
#   bash jobs/results.sh [NAME...]     (default: every run below, in order)
#   bash jobs/results.sh eval:NAME     (evaluate an existing run again)
#   bash jobs/results.sh NAME@seedN    (the same run with training seed N, in runs/results/NAME-seedN;
#                                       NAME itself is seed 0)
#   bash jobs/results.sh spread NAME   (mean and spread over the training seeds of NAME in log.txt)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
store=data/glyphs
out=runs/results
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun --oversubscribe -np 2)
mkdir -p "$out"
bash datasets/glyphs.sh "$store" > /dev/null

log() { echo "$*" | tee -a "$out/log.txt"; }

# train NAME STEPS OPTION...: meta-train into runs/results/NAME (resumes when interrupted);
# the options give the meta-batch and the validation interval.
train() {
  local name="$1" steps="$2"; shift 2
  local start=$SECONDS
  log "\$ cezanne train --store $store --out $out/$name --steps $steps --val-episodes 100 $*"
  "${mpirun[@]}" "$bin" train --store "$store" --out "$out/$name" --steps "$steps" \
    --val-episodes 100 --checkpoint-every 100 --log-seconds 60 --resume auto "$@" \
    >> "$out/$name.log" 2>&1
  log "trained $name in $((SECONDS - start)) s (2 ranks, 2 cores)"
}

# evaluate NAME STEPS WAYS SHOTS [EVAL OPTION...]: 600 test episodes of the checkpoint.
evaluate() {
  local name="$1" steps="$2" ways="$3" shots="$4"; shift 4
  local ckpt="$out/$name/$(printf 'checkpoint-%08d.h5' "$steps")"
  log "$("${mpirun[@]}" "$bin" eval --checkpoint "$ckpt" --ways "$ways" --shots "$shots" --episodes 600 "$@" 2>&1 | tail -1)"
}

# every_cell NAME STEPS MAX_WAYS [EVAL OPTION...]: 5w1s, 5w5s (and 20w1s when the model admits
# 20 ways), both protocols.
every_cell() {
  local name="$1" steps="$2" max_ways="$3"; shift 3
  for protocol in "" "--within-domain"; do
    evaluate "$name" "$steps" 5 1 $protocol "$@"
    evaluate "$name" "$steps" 5 5 $protocol "$@"
    if (( max_ways >= 20 )); then evaluate "$name" "$steps" 20 1 $protocol "$@"; fi
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

# Each run: meta-steps, the widest episode it is evaluated on (20 for the metric learners and the
# 20-way models; the 5-way heads of the MAML family and the black-box learners stop at 5), its
# training options and, optionally, options of its evaluations.
declare -A STEPS WAYS OPTIONS EVAL_OPTIONS
add() { STEPS[$1]=$2; WAYS[$1]=$3; OPTIONS[$1]="$4"; EVAL_OPTIONS[$1]="${5:-}"; }
add demo 400 20 "--meta-batch 8 --val-every 50 --algo protonet --ways 5 --shots 1 --queries 5"
add protonet 800 20 "--meta-batch 8 --val-every 100 --algo protonet --ways 20 --shots 1 --queries 5"
add maml30 3500 5 "--meta-batch 8 --val-every 500 --algo maml --ways 5 --shots 1 --queries 5 --inner-lr 0.4 --test-inner-steps 3 --schedule cosine"
add maml20 1800 20 "--val-every 600 --meta-batch 4 --algo maml --ways 20 --shots 1 --queries 5 --inner-lr 0.4 --test-inner-steps 3 --schedule cosine"
add maml30z 4000 5 "--meta-batch 8 --val-every 500 --algo maml --ways 5 --shots 1 --queries 5 --inner-lr 0.4 --zero-head --schedule cosine"
add maml20z2300 2300 20 "--val-every 500 --meta-batch 4 --algo maml --ways 20 --shots 1 --queries 5 --inner-lr 0.4 --zero-head --schedule cosine"
add maml20z 2000 20 "--val-every 500 --meta-batch 4 --algo maml --ways 20 --shots 1 --queries 5 --inner-lr 0.4 --zero-head --schedule cosine"
add maml-zero 500 5 "--meta-batch 8 --val-every 100 --algo maml --ways 5 --shots 1 --queries 5 --inner-lr 0.4 --test-inner-steps 3 --zero-head" "--test-inner-steps 1"
add maml 500 5 "--meta-batch 8 --val-every 100 --algo maml --ways 5 --shots 1 --queries 5 --inner-lr 0.4 --test-inner-steps 3"
add fomaml 200 5 "--meta-batch 8 --val-every 100 --algo fomaml --ways 5 --shots 1 --queries 5 --inner-lr 0.1 --test-inner-steps 3"
add anil 200 5 "--meta-batch 8 --val-every 100 --algo anil --ways 5 --shots 1 --queries 5 --inner-lr 0.4 --test-inner-steps 3" "--test-inner-steps 10"
add matching 200 20 "--meta-batch 8 --val-every 100 --algo matching --ways 5 --shots 1 --queries 5"
add siamese 200 20 "--meta-batch 8 --val-every 100 --algo siamese --ways 5 --shots 1 --queries 5"
add mann 2000 5 "--meta-batch 8 --val-every 250 --algo mann --ways 5 --shots 1 --queries 5 --hidden 256 --lr 0.003"
add mann5 3000 5 "--meta-batch 8 --val-every 250 --algo mann --ways 5 --shots 5 --queries 5 --hidden 256 --lr 0.003"
add mannm5 1000 5 "--meta-batch 8 --val-every 250 --algo mann --memory --ways 5 --shots 5 --queries 5 --hidden 256 --lr 0.003"
add mannm20 1500 20 "--meta-batch 8 --val-every 500 --algo mann --memory --ways 20 --shots 1 --queries 2 --hidden 256 --lr 0.003"
add mannm 1000 5 "--meta-batch 8 --val-every 250 --algo mann --memory --ways 5 --shots 1 --queries 5 --hidden 256 --lr 0.003"
add set_encoder 200 5 "--meta-batch 8 --val-every 100 --algo set_encoder --ways 5 --shots 1 --queries 5"
add fomaml20 200 20 "--meta-batch 8 --val-every 100 --algo fomaml --ways 20 --shots 1 --queries 5 --inner-lr 0.1 --test-inner-steps 3"
add anil20 800 20 "--meta-batch 8 --val-every 100 --algo anil --ways 20 --shots 1 --queries 5 --inner-lr 0.4 --test-inner-steps 3" "--test-inner-steps 10"
add set_encoder20 200 20 "--meta-batch 8 --val-every 100 --algo set_encoder --ways 20 --shots 1 --queries 5"

# NAME trains and evaluates; eval:NAME only evaluates the run's last checkpoint; NAME@seedN is
# NAME with --seed N, trained into runs/results/NAME-seedN.
run() {
  local spec="${1#eval:}"
  if [[ "$1" == baseline ]]; then baseline; return; fi
  local name="${spec%@seed*}" dir="$spec" seed_option=""
  if [[ "$spec" == *@seed* ]]; then
    local seed="${spec##*@seed}"
    if [[ ! "$seed" =~ ^[0-9]+$ ]]; then echo "jobs/results.sh: bad seed in '$1'" >&2; exit 2; fi
    dir="$name-seed$seed" seed_option="--seed $seed"
  fi
  if [[ -z "${STEPS[$name]:-}" ]]; then echo "jobs/results.sh: unknown run '$1'" >&2; exit 2; fi
  if [[ "$1" != eval:* ]]; then train "$dir" "${STEPS[$name]}" ${OPTIONS[$name]} $seed_option || return; fi
  every_cell "$dir" "${STEPS[$name]}" "${WAYS[$name]}" ${EVAL_OPTIONS[$name]}
}

if [[ "${1:-}" == spread ]]; then
  shift
  for name in "$@"; do python3 jobs/seed_spread.py "$out/log.txt" "$name"; done
  exit 0
fi
if [[ $# -eq 0 ]]; then
  set -- baseline protonet maml30z maml20z2300 maml20z maml30 maml20 maml-zero maml fomaml anil matching siamese mann mann5 mannm5 mannm20 mannm set_encoder fomaml20 anil20 set_encoder20
fi
for name in "$@"; do run "$name"; done
