#!/usr/bin/env bash
# Issue 21's speed rows side by side on one device: the PyTorch peers (bench/torch_peers.py: a
# loop over tasks and torch.func vmap, one process for all rows), then `cezanne bench step
# --device DEVICE` for each row, on the same device, then one table of tasks/s, peak memory and
# cezanne's ratio to vmap. The rows, their sizes and step counts are torch_peers.py's (ROWS,
# ITERS), so both sides run the same meta-steps. Without a PyTorch that sees the device, the
# peer columns are the issue's quoted figures (H200, PyTorch 2.11), marked q.
#
#   bash bench/gpu-vs-torch.sh [--device cuda] [--build build] [--out DIR] [--rows maml,...]
#                              [--timeout SECONDS] [--budget SECONDS] [--quick]
#
# --quick: meta-batch 2, one timed step and none before it (a smoke test of the plumbing, e.g.
# --device cpu on a machine without a GPU). --timeout: the limit of the peers' process and of
# each cezanne row (default 180 s); --budget: of all of them together (default none), so that
# the table is printed in time. --out keeps each row's bench step line (cezanne-ROW.json) and
# the peers' lines (torch.jsonl, torch.err, torch.status); by default they go to a temporary
# folder. The python that imports torch is the first of $PYTHON, python3 and /usr/bin/python3
# that does; the table needs only python3.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit
device=cuda build=build out="" rows="" limit=180 budget=0 sizes=()
while (($#)); do
  case "$1" in
    --device) device="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    --timeout) limit="$2"; shift 2 ;;
    --budget) budget="$2"; shift 2 ;;
    --quick) sizes=(--meta-batch 2 --iters 1 --warmup 0); shift ;;
    *) echo "gpu-vs-torch.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
if [[ -z $out ]]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
peers="bench/torch_peers.py"
rows=${rows:-$(python3 -c "import sys; sys.path.insert(0, 'bench'); import torch_peers; print(','.join(torch_peers.ROWS))")}
began=$SECONDS

# limited: the timeout of the next process, from --timeout and what is left of --budget (0 when
# nothing is).
limited() {
  local left=$((budget - (SECONDS - began)))
  if ((budget == 0 || left >= limit)); then echo "$limit"
  elif ((left >= 5)); then echo "$left"
  else echo 0; fi
}
# ended RC SECONDS: how a process under `timeout SECONDS` ended, if it failed.
ended() {
  case $1 in
    0) ;;
    124 | 137) echo "timed out after $2 s" ;;
    *) echo "exit $1" ;;
  esac
}

torch_python=""
for candidate in ${PYTHON:-} python3 /usr/bin/python3; do
  if "$candidate" -c "import torch" 2> /dev/null; then torch_python=$candidate; break; fi
done
: > "$out/torch.jsonl"
: > "$out/torch.status"
if [[ -z $torch_python ]]; then
  echo "== no python with torch here: the peers are issue 21's quoted figures"
elif [[ $device == cuda* ]] && ! "$torch_python" -c "import sys, torch; sys.exit(not torch.cuda.is_available())"; then
  echo "== $torch_python's torch sees no CUDA device: the peers are issue 21's quoted figures"
else
  echo "== PyTorch peers ($torch_python, torch $("$torch_python" -c 'import torch; print(torch.__version__)')) on $device"
  t=$(limited)
  if ((t == 0)); then
    echo "skipped: the budget of $budget s is spent" | tee "$out/torch.status"
  else
    timeout -k 10 "$t" "$torch_python" "$peers" --device "$device" --rows "$rows" "${sizes[@]}" \
      > "$out/torch.jsonl" 2> "$out/torch.err"
    ended $? "$t" > "$out/torch.status"
    cat "$out/torch.jsonl"
    [[ -s $out/torch.status ]] && echo "the peers' process: $(cat "$out/torch.status"); $(tail -1 "$out/torch.err")"
  fi
fi

echo "== cezanne bench step --device $device ($build/cezanne)"
for row in ${rows//,/ }; do
  read -ra options <<< "$(python3 "$peers" --cezanne-options "$row" "${sizes[@]}")"
  echo "$row: $build/cezanne bench step ${options[*]} --device $device"
  t=$(limited)
  if ((t == 0)); then
    echo "skipped: the budget of $budget s is spent" | tee "$out/cezanne-$row.json"
    continue
  fi
  timeout -k 10 "$t" "$build/cezanne" bench step "${options[@]}" --device "$device" \
    > "$out/cezanne-$row.json" 2>&1
  ended $? "$t" >> "$out/cezanne-$row.json"
  tail -1 "$out/cezanne-$row.json"
done

echo "== side by side (device $device)"
python3 "$peers" --table "$out" --rows "$rows"
