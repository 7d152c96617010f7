#!/usr/bin/env bash
# The VAE figures of docs/results.md (notes: "Latent variable models"): cezanne's MLP VAE
# (784-400-20, Bernoulli pixels) against the same model in PyTorch (bench/vae_torch.py), on the
# glyph store (train on the train split's classes, bounds on the held-out test classes) and on
# Fashion-MNIST (its store has every class in the train split: trained and evaluated on the
# train split, an in-sample figure). Budget, sized for a shared 2-core machine (about 10 minutes
# for everything): 500 Adam steps (lr 1e-3) of 4 rows x 25 = 100 examples, one thread per run;
# bounds on 100 evenly spaced examples with k = 5000 (IWAE-5000); seeds 0, 1, 2 of each. Then
# the table (jobs/vae_table.py) and the sample grids of seed 0 (docs/vae-*.png).
#
#   bash jobs/vae.sh             every run, the table, the grids
#   bash jobs/vae.sh table       the table of the runs there are
# GLYPHS and FASHION name the stores (default data/glyphs and data/fashion-mnist).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
out=runs/vae
glyphs="${GLYPHS:-data/glyphs}"
fashion="${FASHION:-data/fashion-mnist}"
steps=500 rows=4 examples=25 eval_examples=100 k=5000
mkdir -p "$out"

run() {  # STORE_NAME STORE EVAL_SPLIT SEED
  local name="$1" store="$2" split="$3" seed="$4" dir="$out/$1-cezanne-seed$4"
  local splitno; case "$split" in train) splitno=0 ;; val) splitno=1 ;; *) splitno=2 ;; esac
  if [[ ! -f "$dir.json" ]]; then
    rm -rf "$dir"
    "$bin" train --algo vae --model mlp --store "$store" --out "$dir" --hidden 400 --latent 20 \
      --meta-batch "$rows" --examples-per-task "$examples" --steps "$steps" --lr 1e-3 --seed "$seed" \
      --val-every 0 --val-episodes 20 --val-split "$([[ $split == test ]] && echo val || echo "$split")" --iwae-samples 10 --checkpoint-every "$steps" --threads 1 \
      --log-seconds 60 > "$dir.log" 2>&1 || { echo "cezanne $name seed $seed failed (see $dir.log)"; return 1; }
    "$bin" eval --checkpoint "$dir/checkpoint-$(printf %08d "$steps").h5" --split "$split" \
      --episodes "$eval_examples" --iwae-samples "$k" --threads 1 > "$dir.json" 2>> "$dir.log"
  fi
  if [[ ! -f "$out/$name-pytorch-seed$seed.json" ]]; then
    /usr/bin/python3 bench/vae_torch.py --store "$store" --split "$splitno" --hidden 400 --latent 20 \
      --rows "$rows" --examples "$examples" --steps "$steps" --lr 1e-3 --seed "$seed" \
      --eval-examples "$eval_examples" --iwae-samples "$k" > "$out/$name-pytorch-seed$seed.json"
  fi
}

if [[ "${1:-}" != table ]]; then
  for seed in 0 1 2; do
    run glyphs "$glyphs" test "$seed"
    run fashion "$fashion" train "$seed"
  done
fi
/usr/bin/python3 jobs/vae_table.py "$out"
if [[ "${1:-}" != table ]]; then
  "$bin" sample --checkpoint "$out/glyphs-cezanne-seed0/checkpoint-$(printf %08d "$steps").h5" --out docs/vae-glyphs > /dev/null
  "$bin" sample --checkpoint "$out/fashion-cezanne-seed0/checkpoint-$(printf %08d "$steps").h5" --split train \
    --out docs/vae-fashion > /dev/null
fi
