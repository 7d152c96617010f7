#!/usr/bin/env bash
# `cezanne bench step` against the same meta-step in PyTorch 1.13 (bench/pytorch_reference.py:
# functional parameters + autograd.grad, as PyTorch meta-learning libraries do it), in
# alternating rounds so that both see the same machine (shared hosts drift by 30% within
# minutes). For MAML and ProtoNets on Conv4 (2 threads) and sinusoid MAML (1 thread) it prints
# each round and the medians of tasks/s and peak RSS, and cezanne's speed-up.
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
# field NAME: the value of a number field of the JSON line on stdin.
field() { python3 -c "import json, sys; print(json.loads(sys.stdin.readlines()[-1])['$1'])"; }
median() { printf '%s\n' "$@" | sort -g | python3 -c 'import sys; v = [float(x) for x in sys.stdin]; print(v[len(v) // 2])'; }

compare() {
  local name="$1"; shift
  local cz_speed=() cz_rss=() pt_speed=() pt_rss=()
  for ((i = 1; i <= rounds; ++i)); do
    local cz pt
    cz=$(build/cezanne bench step "$@")
    pt=$(/usr/bin/python3 bench/pytorch_reference.py "$@")
    cz_speed+=("$(field tasks_per_s <<< "$cz")"); cz_rss+=("$(field peak_rss_mb <<< "$cz")")
    pt_speed+=("$(field tasks_per_s <<< "$pt")"); pt_rss+=("$(field peak_rss_mb <<< "$pt")")
    printf '%s round %d: cezanne %.1f tasks/s %.0f MB, pytorch %.1f tasks/s %.0f MB\n' "$name" "$i" \
      "${cz_speed[-1]}" "${cz_rss[-1]}" "${pt_speed[-1]}" "${pt_rss[-1]}"
  done
  local cs ps
  cs=$(median "${cz_speed[@]}"); ps=$(median "${pt_speed[@]}")
  printf '%s median: cezanne %.1f tasks/s %.0f MB, pytorch %.1f tasks/s %.0f MB, speed-up %.2fx\n' "$name" \
    "$cs" "$(median "${cz_rss[@]}")" "$ps" "$(median "${pt_rss[@]}")" "$(python3 -c "print($cs / $ps)")"
}

compare maml --algo maml "${conv4[@]}"
compare protonet --algo protonet "${conv4[@]}"
compare sinusoid "${sinusoid[@]}"
