#!/usr/bin/env bash
# The table of unsupervised pre-training (docs/results.md "Unsupervised pre-training"): every
# method of docs/pretraining.md on the glyph store's train split without its labels, measured by
# 600 test episodes of the held-out writing systems, 5-way 1-shot and 5-shot, across and within
# writing systems, each line with its 95% interval over the episodes. Everything on 2 ranks
# (mpirun -np 2, one thread each), seed 0, Conv4 with 32 filters (the ViT's defaults for mae).
#   pre-training objectives (--meta-batch 8 rows of 32 examples = 256 per step, 128 per rank,
#   Adam 1e-3, $STEPS steps; mae 10 x $STEPS: its step sees a quarter of the patches and takes
#   about a tenth of a Conv4 step's time, so the budgets are about equal in time): autoencoder,
#   mae (and mae-long, mae-xlong: 20 and 40 x $STEPS), triplet (every negative), triplet with
#   semi-hard negatives, nt_xent with local and with global negatives (the same batch per rank),
#   moco (queue 4096) -> their frozen embedding, nearest centroid (eval --protocol few-shot);
#   meta-learners (ProtoNets, 5-way 1-shot, 5 queries, meta-batch 8, Adam 1e-3, $STEPS steps):
#   CACTUs (k-means of the nt_xent-global embedding, 1 partition of 500 clusters), augmentation
#   tasks, and the labelled episodes for reference; and nearest neighbour on pixels.
#
#   bash jobs/pretraining-table.sh          every run not there yet, then the table
#   STEPS=1000 bash jobs/pretraining-table.sh   a longer budget (in its own runs/ directory)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
steps="${STEPS:-500}"
out="runs/pretraining-table-$steps"
glyphs="${GLYPHS:-data/glyphs}"
mkdir -p "$out"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
two=(mpirun -np 2 --oversubscribe --bind-to none)
last() { echo "checkpoint-$(printf %08d "${budget:-$steps}").h5"; }  # the final checkpoint's name

train() {  # NAME ARGS...: trains runs/.../NAME once, for ${budget:-$steps} steps
  local name="$1" n="${budget:-$steps}"; shift
  [[ -f "$out/$name/$(last)" ]] && return 0
  "${two[@]}" "$bin" train --store "$glyphs" --filters 32 --seed 0 --threads 1 --steps "$n" --lr 1e-3 \
    --checkpoint-every "$n" --val-every 0 --log-seconds 60 --out "$out/$name" "$@" > "$out/$name.log" 2>&1 ||
    echo "$name: training failed (see $out/$name.log)"
}

evaluate() {  # NAME EVAL-ARGS...: the four settings of one checkpoint (or of the pixels baseline)
  local name="$1"; shift
  local shots within
  for shots in 1 5; do
    for within in "" --within-domain; do
      local file="$out/$name-5w${shots}s${within:+-within}.json"
      [[ -f "$file" ]] && continue
      "${two[@]}" "$bin" eval "$@" --ways 5 --shots "$shots" $within --episodes 600 --threads 1 2>> "$out/$name.log" |
        tail -1 > "$file.tmp" && mv "$file.tmp" "$file"
    done
  done
}

unlabelled() {  # NAME ARGS...: pre-train, then the frozen embedding's few-shot episodes
  local name="$1"; shift
  train "$name" --meta-batch 8 --examples-per-task 32 "$@"
  evaluate "$name" --checkpoint "$out/$name/$(last)" --protocol few-shot
}

episodic() {  # NAME ARGS...: meta-train ProtoNets, then its episodes
  local name="$1"; shift
  train "$name" --algo protonet --ways 5 --shots 1 --queries 5 --meta-batch 8 "$@"
  evaluate "$name" --checkpoint "$out/$name/$(last)"
}

evaluate pixels --baseline pixels --store "$glyphs"
unlabelled autoencoder --algo autoencoder
budget=$((10 * steps)) unlabelled mae --algo mae --model vit
budget=$((20 * steps)) unlabelled mae-long --algo mae --model vit   # still improving at 10x
budget=$((40 * steps)) unlabelled mae-xlong --algo mae --model vit  # and at 20x
unlabelled triplet --algo triplet --mining none
unlabelled triplet-semi-hard --algo triplet --mining semi-hard
unlabelled nt_xent-local --algo nt_xent --negatives local
unlabelled nt_xent-global --algo nt_xent --negatives global
unlabelled moco --algo moco --queue 4096
episodic cactus-protonet --pseudo-tasks cactus --encoder "$out/nt_xent-global/$(last)" --partitions 1 --clusters 500 \
  --kmeans-iterations 10
episodic augmentation-protonet --pseudo-tasks augmentation
episodic protonet
/usr/bin/python3 jobs/pretraining_table.py "$out"
