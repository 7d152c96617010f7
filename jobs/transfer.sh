#!/usr/bin/env bash
# Transfer learning (notes: "Transfer learning"): which source transfers best, under which
# fine-tuning recipe, with how few target examples. Targets: Gujarati, a writing system of the
# glyph store's test split (no source trained on it; 60 characters, each's 20 images split
# 14/2/4 by example), and Fashion-MNIST (datasets/fashion-mnist.sh: the t10k files, 1000 images
# per class split 14/1/2 -> 825/58/117), a far domain. K labelled train examples per class
# (K = 1, 5, 10, all), drawn by the seed. Sources, each Conv4 with 64 filters and loaded into
# the target's body (--init-params 'block*'; the target gets a fresh head of its own width):
#   random     no source;
#   multitask  multi-task pre-training (multi_head, 1500 steps of 16 rows of 16) on the glyph
#              store's train-split writing systems (trained here);
#   protonet   ProtoNets 20-way, 800 steps (jobs/results.sh protonet);
#   maml       MAML 20-way with the zeroing trick, 2300 steps (jobs/results.sh maml20z2300).
# Recipes: linear_probe (--freeze 'block*'), full, head_first (--head-first), gradual
# (--unfreeze-every 50), discriminative (--lr-decay 0.5), first_layer (--trainable
# 'block0.*,head.*'). Every run: 2 ranks, 2 rows of min(32, K x classes) examples per step,
# Adam 3e-3 with the fresh head at 10x (--lr-scale 'head.*=10'), at most 300 steps,
# validation every 20 on the target's val examples, early stop after 3 validations without
# improvement (patience 3; head_first's first phase ends likewise);
# the test accuracy of best.h5 (the best validation step). Seeds 0, 1, 2 (source seed = run
# seed). Then the tables of docs/results.md (jobs/transfer_table.py).
#
#   bash jobs/transfer.sh                    sources, every run, the tables
#   bash jobs/transfer.sh sources            the multi-task sources only
#   bash jobs/transfer.sh TARGET K SOURCE RECIPE SEED    one run
#   bash jobs/transfer.sh table              the tables of the runs there are
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
out=runs/transfer
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun --oversubscribe -np 2)
targets=(gujarati fashion)
shots=(1 5 10 all)
sources=(random multitask protonet maml)
recipes=(linear_probe full head_first gradual discriminative first_layer)
mkdir -p "$out"
bash datasets/glyphs.sh data/glyphs > /dev/null
bash datasets/fashion-mnist.sh data/fashion-mnist > /dev/null

seed_suffix() { [[ "$1" == 0 ]] && echo "" || echo "-seed$1"; }

# The multi-task source of seed S: every writing system of the train split.
multitask_source() {
  local seed="$1" dir="$out/source-multitask-seed$1"
  if [[ ! -f "$dir/checkpoint-00001500.h5" ]]; then
    local tasks
    tasks="$(/usr/bin/python3 -c '
import h5py
f = h5py.File("data/glyphs/manifest.h5", "r")
names = [n.decode() if isinstance(n, bytes) else n for n in f["domains/name"][:]]
print(",".join(n for n, s in zip(names, f["domains/split"][:]) if s == 0))')"
    "${mpirun[@]}" "$bin" train --algo multitask --store data/glyphs --tasks "$tasks" --out "$dir" \
      --conditioning multi_head --filters 64 --meta-batch 16 --examples-per-task 16 --steps 1500 \
      --lr 3e-3 --seed "$seed" --val-every 500 --checkpoint-every 500 --threads 1 --log-seconds 60 \
      --resume auto >> "$dir.log" 2>&1 || { echo "multitask source seed $seed failed (see $dir.log)"; return 1; }
  fi
  echo "$dir/checkpoint-00001500.h5"
}

source_checkpoint() {  # source_checkpoint SOURCE SEED
  case "$1" in
    random) echo "" ;;
    multitask) multitask_source "$2" ;;
    protonet) echo "runs/results/protonet$(seed_suffix "$2")/checkpoint-00000800.h5" ;;
    maml) echo "runs/results/maml20z2300$(seed_suffix "$2")/checkpoint-00002300.h5" ;;
  esac
}

recipe_options() {
  case "$1" in
    linear_probe) echo "--freeze block*" ;;
    full) echo "" ;;
    head_first) echo "--head-first" ;;
    gradual) echo "--unfreeze-every 50" ;;
    discriminative) echo "--lr-decay 0.5" ;;
    first_layer) echo "--trainable block0.*,head.*" ;;
  esac
}

one() {  # one TARGET K SOURCE RECIPE SEED
  local target="$1" k="$2" src="$3" recipe="$4" seed="$5"
  local name="$target-k$k-$src-$recipe-seed$seed" store task classes split
  case "$target" in
    gujarati) store=data/glyphs task=Gujarati classes=60 split=14/2/4 ;;
    fashion) store=data/fashion-mnist task=Fashion-MNIST classes=10 split=14/1/2 ;;
  esac
  [[ -f "$out/$name.json" ]] && return 0
  local ckpt init=()
  ckpt="$(source_checkpoint "$src" "$seed")" || return 1
  if [[ -n "$ckpt" ]]; then
    [[ -f "$ckpt" ]] || { echo "$name: no source $ckpt (run jobs/results.sh for protonet/maml)"; return 1; }
    init=(--init-from "$ckpt" --init-params 'block*')
  fi
  local train_examples=0 per_row=32
  if [[ "$k" != all ]]; then train_examples="$k"; (( k * classes < 32 )) && per_row=$((k * classes)); fi
  # shellcheck disable=SC2046
  "${mpirun[@]}" "$bin" train --algo multitask --store "$store" --tasks "$task" --out "$out/$name" \
    --conditioning multi_head --filters 64 --train-examples "$train_examples" --examples-per-task "$per_row" \
    --example-split "$split" --meta-batch 2 --steps 300 --lr 3e-3 --seed "$seed" --val-every 20 --early-stop \
    --patience 3 --lr-scale 'head.*=10' --checkpoint-every 300 --keep 1 --threads 1 --log-seconds 60 "${init[@]}" $(recipe_options "$recipe") \
    > "$out/$name.log" 2>&1 || { echo "$name: training failed (see $out/$name.log)"; return 1; }
  "${mpirun[@]}" "$bin" eval --checkpoint "$out/$name/best.h5" --threads 1 2>> "$out/$name.log" | tail -1 > "$out/$name.json.tmp" &&
    mv "$out/$name.json.tmp" "$out/$name.json"
  rm -f "$out/$name"/checkpoint-*.h5  # best.h5 is what is evaluated
  echo "$name: $(grep -o '"mean":[0-9.e-]*' "$out/$name.json")"
}

case "${1:-all}" in
  table) /usr/bin/python3 jobs/transfer_table.py "$out" ;;
  sources) for seed in 0 1 2; do multitask_source "$seed"; done ;;
  all)
    for seed in 0 1 2; do multitask_source "$seed" > /dev/null || exit 1; done
    for seed in 0 1 2; do
      for target in "${targets[@]}"; do
        for k in "${shots[@]}"; do
          for src in "${sources[@]}"; do
            for recipe in "${recipes[@]}"; do one "$target" "$k" "$src" "$recipe" "$seed"; done
          done
        done
      done
    done
    /usr/bin/python3 jobs/transfer_table.py "$out" ;;
  *) one "$1" "$2" "$3" "$4" "$5" ;;
esac
