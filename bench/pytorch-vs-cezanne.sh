#!/usr/bin/env bash
# `cezanne bench step` against the same meta-step in PyTorch 1.13 (bench/pytorch_reference.py:
# functional parameters + autograd.grad, batch norm per task as in cezanne), in alternating
# rounds so that all see the same machine (shared hosts drift by 30% within minutes). For MAML
# and ProtoNets on Conv4 (2 threads) and sinusoid MAML (1 thread) it runs cezanne and the
# reference's fastest variant with cezanne's semantics (`--variant best`), and for ProtoNets
# also the usual all-tasks-in-one-batch variant (batch norm across tasks); it prints each round,
# then the medians of tasks/s and peak RSS and cezanne's speed-up over each PyTorch variant.
#
#   bash bench/pytorch-vs-cezanne.sh [ROUNDS]     (default 3; needs a built build/ and
#                                                  Debian's python3-torch)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds="${1:-3}"
conv4=(--model conv4 --ways 5 --shots 1 --queries 15 --meta-batch 8 --inner-steps 1 --inner-lr 0.4
       --image 28 --filters 64 --iters 6 --warmup 2 --threads 2)
sinusoid=(--algo maml --model mlp --shots 10 --queries 10 --meta-batch 25 --inner-steps 1
          --inner-lr 0.01 --iters 200 --warmup 5 --threads 1)
# field NAME: the value of a field of the JSON line on stdin ("none" if it has none).
field() {
  python3 -c "import json, sys; print(json.loads(sys.stdin.readlines()[-1]).get('$1', 'none'))"
}
# median "FIGURES": the median of space-separated figures (the upper one of an even count).
median() {
  python3 -c 'import sys; v = sorted(map(float, sys.argv[1].split())); print(v[len(v) // 2])' "$1"
}

# run PROGRAM OPTIONS...: the JSON line of cezanne or of the reference's --variant PROGRAM.
run() {
  local program="$1"; shift
  if [[ $program == cezanne ]]; then build/cezanne bench step "$@"
  else /usr/bin/python3 bench/pytorch_reference.py --variant "$program" "$@"; fi
}

# label: what ran, from its JSON line on stdin (for the reference: its variant and batch norm).
label() {
  local json variant bn; json=$(cat)
  variant=$(field variant <<< "$json"); bn=$(field bn <<< "$json")
  if [[ $variant == none ]]; then echo cezanne
  elif [[ $bn == none ]]; then echo "pytorch $variant"
  else echo "pytorch $variant (bn $bn)"; fi
}

# compare NAME "PROGRAMS" OPTIONS...: ROUNDS rounds of the PROGRAMS in turn (cezanne first).
compare() {
  local name="$1" programs; read -ra programs <<< "$2"; shift 2
  local -A speed rss label
  for ((i = 1; i <= rounds; ++i)); do
    local line="$name round $i:"
    for p in "${programs[@]}"; do
      local json; json=$(run "$p" "$@")
      speed[$p]+=" $(field tasks_per_s <<< "$json")"; rss[$p]+=" $(field peak_rss_mb <<< "$json")"
      label[$p]=$(label <<< "$json")
      line+=$(printf ' %s %.1f tasks/s %.0f MB,' "${label[$p]}" "${speed[$p]##* }" "${rss[$p]##* }")
    done
    echo "${line%,}"
  done
  echo "$name, medians of $rounds rounds:"
  local cs; cs=$(median "${speed[cezanne]}")
  for p in "${programs[@]}"; do
    local s; s=$(median "${speed[$p]}")
    printf '  %-33s %8.1f tasks/s %5.0f MB' "${label[$p]}" "$s" "$(median "${rss[$p]}")"
    if [[ $p == cezanne ]]; then echo; continue; fi
    printf ', speed-up %.2fx\n' "$(python3 -c "print($cs / $s)")"
  done
}

compare maml "cezanne best" --algo maml "${conv4[@]}"
compare protonet "cezanne best batched" --algo protonet "${conv4[@]}"
compare sinusoid "cezanne best" "${sinusoid[@]}"
