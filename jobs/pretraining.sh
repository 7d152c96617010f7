#!/usr/bin/env bash
# The figures of docs/pretraining.md: a VAE (784-400-20) on the glyph store (held-out writing
# systems) and on Fashion-MNIST (split by example), its frozen embedding by every protocol
# (few-shot nearest centroid, k-NN, linear probe), the pixels baseline, and CACTUs-ProtoNets
# (5 k-means partitions of 500 clusters of the glyph VAE's embedding of the train split) with its
# 600-episode meta-test. One JSON line per figure in runs/pretraining/*.json. On a shared 2-core
# machine: about 40 minutes, most of it the glyph k-NN (37800 leave-one-out queries), the glyph
# probe (1890 classes) and CACTUs-ProtoNets' 400 steps.
#
#   bash jobs/pretraining.sh            everything not there yet
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
out=runs/pretraining
glyphs="${GLYPHS:-data/glyphs}"
fashion="${FASHION:-data/fashion-mnist}"
mkdir -p "$out"

figure() {  # NAME ARGS...: one eval line into $out/NAME.json, once
  local name="$1"; shift
  [[ -f "$out/$name.json" ]] || "$bin" eval "$@" --threads 1 > "$out/$name.json" || { echo "$name failed"; rm -f "$out/$name.json"; }
}

vae() {  # NAME STORE STEPS SPLIT_BY
  [[ -f "$out/vae-$1/checkpoint-$(printf %08d "$3").h5" ]] || "$bin" train --algo vae --model mlp --store "$2" \
    --out "$out/vae-$1" --hidden 400 --latent 20 --meta-batch 4 --examples-per-task 25 --steps "$3" --lr 1e-3 \
    --split-by "$4" --threads 1 --log-seconds 60 > "$out/vae-$1.log" 2>&1
}

vae glyphs "$glyphs" 500 class
vae fashion "$fashion" 1000 example
g="$out/vae-glyphs/checkpoint-00000500.h5" f="$out/vae-fashion/checkpoint-00001000.h5"
figure glyphs-vae-fewshot-5w1s --checkpoint "$g" --protocol few-shot --ways 5 --shots 1
figure glyphs-vae-fewshot-5w1s-within --checkpoint "$g" --protocol few-shot --ways 5 --shots 1 --within-domain
figure glyphs-vae-fewshot-5w5s --checkpoint "$g" --protocol few-shot --ways 5 --shots 5
figure glyphs-pixels-5w1s --baseline pixels --store "$glyphs" --ways 5 --shots 1
figure glyphs-pixels-5w1s-within --baseline pixels --store "$glyphs" --ways 5 --shots 1 --within-domain
figure glyphs-pixels-5w5s --baseline pixels --store "$glyphs" --ways 5 --shots 5
figure glyphs-vae-knn1 --checkpoint "$g" --protocol knn --neighbours 1
figure glyphs-vae-knn5 --checkpoint "$g" --protocol knn --neighbours 5
figure glyphs-vae-probe --checkpoint "$g" --protocol probe
figure fashion-vae-fewshot-5w1s --checkpoint "$f" --protocol few-shot --ways 5 --shots 1
figure fashion-vae-fewshot-5w5s --checkpoint "$f" --protocol few-shot --ways 5 --shots 5
figure fashion-vae-knn1 --checkpoint "$f" --protocol knn --neighbours 1
figure fashion-vae-probe --checkpoint "$f" --protocol probe

c="$out/cactus-protonet"
[[ -f "$c/checkpoint-00000400.h5" ]] || "$bin" train --algo protonet --store "$glyphs" --out "$c" \
  --pseudo-tasks cactus --encoder "$g" --partitions 5 --clusters 500 --kmeans-iterations 20 --filters 32 \
  --ways 5 --shots 1 --queries 5 --meta-batch 8 --steps 400 --val-every 100 --val-episodes 100 --lr 1e-3 \
  --threads 2 --log-seconds 60 > "$c.log" 2>&1
figure glyphs-cactus-protonet-5w1s --checkpoint "$c/checkpoint-00000400.h5" --ways 5 --shots 1
figure glyphs-cactus-protonet-5w1s-within --checkpoint "$c/checkpoint-00000400.h5" --ways 5 --shots 1 --within-domain
figure glyphs-cactus-protonet-5w5s --checkpoint "$c/checkpoint-00000400.h5" --ways 5 --shots 5
cat "$out"/*.json
