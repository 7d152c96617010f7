#!/usr/bin/env bash
# The memorization problem of the notes (Yin et al. 2020), on glyphs: a store of 40 writing
# systems with exactly 5 characters each (24 for training), 5-way 1-shot episodes within one
# writing system. With label shuffling off every training writing system is always the same
# task with the same labels, so one network can solve all of them without looking at the
# support set; label shuffling or meta-regularization are the cures. MAML, 2 ranks; results to
# runs/memorization/log.txt (docs/results.md).
#
#   bash jobs/memorization.sh [NAME...]     (default: every run below)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
store=data/glyphs-memorization
out=runs/memorization
steps=300
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun --oversubscribe -np 2)
mkdir -p "$out"
log() { echo "$*" | tee -a "$out/log.txt"; }

if [[ ! -f "$store/manifest.h5" ]]; then
  scripts="Adlam,Ahom,Anatolian Hieroglyphs,Arabic,Armenian,Avestan,Balinese,Bamum,Bassa Vah,Batak,Bengali,Bhaiksuki,Brahmi,Buginese,Buhid,Canadian Aboriginal,Carian,Caucasian Albanian,Chakma,Cham,Cherokee,Coptic,Cuneiform,Cypriot,Cyrillic,Deseret,Devanagari,Dogra,Duployan,Egyptian Hieroglyphs,Elbasan,Elymaic,Ethiopic,Georgian,Glagolitic,Gothic,Grantha,Greek,Gujarati,Gunjala Gondi"
  "$bin" prepare glyphs --out "$store" --max-chars 5 --examples 20 --scripts "$scripts"
fi

# name, then the train options that differ
runs=(
  "no-shuffle|--shuffle-labels false"
  "shuffle|--shuffle-labels true"
  "no-shuffle-weight-noise|--shuffle-labels false --meta-reg weight_noise --meta-reg-scale 0.1"
  "no-shuffle-information|--shuffle-labels false --meta-reg information --meta-reg-scale 0.01"
  "no-shuffle-weight-noise-0.03|--shuffle-labels false --meta-reg weight_noise --meta-reg-scale 0.03"
  "no-shuffle-information-1|--shuffle-labels false --meta-reg information --meta-reg-scale 1"
  "no-shuffle-information-10|--shuffle-labels false --meta-reg information --meta-reg-scale 10"
  "no-shuffle-information-head-1|--shuffle-labels false --meta-reg information --meta-reg-params head --meta-reg-scale 1"
  "no-shuffle-information-head-10|--shuffle-labels false --meta-reg information --meta-reg-params head --meta-reg-scale 10"
  "no-shuffle-information-head-100|--shuffle-labels false --meta-reg information --meta-reg-params head --meta-reg-scale 100"
  "no-shuffle-weight-noise-head-0.3|--shuffle-labels false --meta-reg weight_noise --meta-reg-params head --meta-reg-scale 0.3"
)
for entry in "${runs[@]}"; do
  name="${entry%%|*}"
  if [[ $# -gt 0 && " $* " != *" $name "* ]]; then continue; fi
  read -r -a options <<< "${entry#*|}"
  start=$SECONDS
  log "\$ cezanne train --algo maml --store $store --out $out/$name --within-domain --ways 5 --shots 1 --queries 5 --meta-batch 8 --steps $steps ${options[*]}"
  "${mpirun[@]}" "$bin" train --algo maml --store "$store" --out "$out/$name" --within-domain --ways 5 \
    --shots 1 --queries 5 --meta-batch 8 --steps "$steps" --inner-lr 0.4 --val-every 100 \
    --val-episodes 100 --checkpoint-every 100 --log-seconds 60 --resume auto "${options[@]}" >> "$out/$name.log" 2>&1
  log "trained $name in $((SECONDS - start)) s"
  ckpt="$out/$name/$(printf 'checkpoint-%08d.h5' "$steps")"
  # Training writing systems with their fixed labels, the same with labels permuted (only the
  # support set tells the new assignment), and unseen writing systems.
  for eval in "--split train --shuffle-labels false" "--split train --shuffle-labels true" "--split test --shuffle-labels true"; do
    log "$("${mpirun[@]}" "$bin" eval --checkpoint "$ckpt" --within-domain --ways 5 --shots 1 --episodes 300 $eval 2>&1 | tail -1)"
  done
done
