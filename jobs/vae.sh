#!/usr/bin/env bash
# The VAE figures of docs/results.md (notes: "Latent variable models"): cezanne's MLP VAE
# (784-400-20, Bernoulli pixels) against the same model in PyTorch (bench/vae_torch.py), on the
# glyph store (train on the train split's classes, bounds on the held-out test classes) and on
# Fashion-MNIST (its store has every class in the train split, so it is split by example:
# --split-by example trains on the 14/2/4 train part of every class and the bounds are on the test
# part of the same classes; PyTorch reads the same example ids from cezanne eval --list-examples). Budget, sized for a shared 2-core machine (about 10 minutes
# for everything): 500 Adam steps (lr 1e-3) of 4 rows x 25 = 100 examples, one thread per run;
# bounds on 100 evenly spaced examples with k = 5000 (IWAE-5000); seeds 0, 1, 2 of each. Then
# the table (jobs/vae_table.py) and the sample grids of seed 0 (docs/vae-*.png).
#
#   bash jobs/vae.sh             every run, the table, the grids
#   bash jobs/vae.sh table       the table of the runs there are
#   bash jobs/vae.sh fewshot     the frozen embedding of a convolutional VAE in ProtoNets: a conv
#                                VAE (32 filters, 500 steps, seed 0) on the glyph store, its
#                                encoder loaded into a ProtoNets Conv4 (--init-params 'block*'),
#                                one step at lr 1e-9 (no change), 600 test episodes of 5-way
#                                1-shot; against a random Conv4 the same way and the pixels
#                                baseline (about 1 minute)
# GLYPHS and FASHION name the stores (default data/glyphs and data/fashion-mnist).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
out=runs/vae
glyphs="${GLYPHS:-data/glyphs}"
fashion="${FASHION:-data/fashion-mnist}"
steps=500 rows=4 examples=25 eval_examples=100 k=5000
mkdir -p "$out"

run() {  # STORE_NAME STORE SPLIT_BY SEED (bounds on the test split: held-out classes or examples)
  local name="$1" store="$2" split_by="$3" seed="$4" dir="$out/$1-cezanne-seed$4"
  local checkpoint="$dir/checkpoint-$(printf %08d "$steps").h5"
  if [[ ! -f "$dir.json" ]]; then
    rm -rf "$dir"
    "$bin" train --algo vae --model mlp --store "$store" --out "$dir" --hidden 400 --latent 20 \
      --meta-batch "$rows" --examples-per-task "$examples" --steps "$steps" --lr 1e-3 --seed "$seed" \
      --val-every 0 --val-episodes 20 --split-by "$split_by" --iwae-samples 10 --checkpoint-every "$steps" --threads 1 \
      --log-seconds 60 > "$dir.log" 2>&1 || { echo "cezanne $name seed $seed failed (see $dir.log)"; return 1; }
    "$bin" eval --checkpoint "$checkpoint" --split test \
      --episodes "$eval_examples" --iwae-samples "$k" --threads 1 > "$dir.json" 2>> "$dir.log"
  fi
  if [[ ! -f "$out/$name-pytorch-seed$seed.json" ]]; then
    local ids=()
    if [[ $split_by == example ]]; then
      for split in train test; do
        "$bin" eval --checkpoint "$checkpoint" --split "$split" --list-examples > "$dir-$split-ids.json" || return 1
      done
      ids=(--train-ids "$dir-train-ids.json" --eval-ids "$dir-test-ids.json")
    fi
    /usr/bin/python3 bench/vae_torch.py --store "$store" --split 2 "${ids[@]}" --hidden 400 --latent 20 \
      --rows "$rows" --examples "$examples" --steps "$steps" --lr 1e-3 --seed "$seed" \
      --eval-examples "$eval_examples" --iwae-samples "$k" > "$out/$name-pytorch-seed$seed.json"
  fi
}

if [[ "${1:-}" == fewshot ]]; then
  vae="$out/fewshot-conv-vae"
  [[ -f "$vae/checkpoint-00000500.h5" ]] || "$bin" train --algo vae --model conv4 --filters 32 --store "$glyphs" \
    --out "$vae" --meta-batch "$rows" --examples-per-task "$examples" --steps 500 --lr 1e-3 --seed 0 --val-every 0 \
    --val-episodes 20 --iwae-samples 10 --checkpoint-every 500 --threads 1 --log-seconds 60 > "$vae.log" 2>&1
  for source in vae random; do
    init=(); [[ $source == vae ]] && init=(--init-from "$vae/checkpoint-00000500.h5" --init-params 'block*')
    rm -rf "$out/fewshot-protonet-$source"
    "$bin" train --algo protonet --store "$glyphs" --out "$out/fewshot-protonet-$source" --filters 32 --ways 5 \
      --shots 1 --queries 15 --meta-batch 1 --steps 1 --lr 1e-9 --val-episodes 2 --threads 1 "${init[@]}" \
      >> "$vae.log" 2>&1
    "$bin" eval --checkpoint "$out/fewshot-protonet-$source/checkpoint-00000001.h5" --ways 5 --shots 1 \
      --episodes 600 --threads 1 | tee "$out/fewshot-$source.json"
  done
  "$bin" eval --baseline pixels --store "$glyphs" --ways 5 --shots 1 --episodes 600 --threads 1 | tee "$out/fewshot-pixels.json"
  exit 0
fi
if [[ "${1:-}" != table ]]; then
  for seed in 0 1 2; do
    run glyphs "$glyphs" class "$seed"
    run fashion "$fashion" example "$seed"
  done
fi
/usr/bin/python3 jobs/vae_table.py "$out"
if [[ "${1:-}" != table ]]; then
  "$bin" sample --checkpoint "$out/glyphs-cezanne-seed0/checkpoint-$(printf %08d "$steps").h5" --out docs/vae-glyphs > /dev/null
  "$bin" sample --checkpoint "$out/fashion-cezanne-seed0/checkpoint-$(printf %08d "$steps").h5" \
    --out docs/vae-fashion > /dev/null
fi
