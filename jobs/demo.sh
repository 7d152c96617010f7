#!/usr/bin/env bash
# What `make demo` runs after building. Until the training driver lands, this is the largest
# real job cezanne has: build the default glyph store from the installed fonts (once), describe
# and verify it, draw episodes from it, time meta-training steps and the meta-gradient
# allreduce on 2 MPI ranks.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
store="${CEZANNE_STORE:-data/glyphs}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

if [[ ! -f "$store/manifest.h5" ]]; then
  echo "== building the default glyph store in $store (writing systems rendered from fonts-noto-core)"
  mkdir -p "$(dirname "$store")"
  time "$bin" prepare glyphs --out "$store"
fi

echo "== the store: domains, classes and examples per split, checksums verified"
"$bin" info "$store"

echo "== episodes per second: 5-way 1-shot and 20-way 5-shot, 15 queries, within one writing system"
"$bin" bench sampler --store "$store" --ways 5 --shots 1 --queries 15 --within-domain
"$bin" bench sampler --store "$store" --ways 20 --shots 5 --queries 15 --within-domain

echo "== meta-training steps (ProtoNets and MAML, Conv4, 5-way 1-shot, meta-batch 8) on 2 ranks"
mpirun --oversubscribe -np 2 "$bin" bench step --algo protonet --model conv4 --meta-batch 8 --iters 4 --warmup 1
mpirun --oversubscribe -np 2 "$bin" bench step --algo maml --model conv4 --meta-batch 8 --iters 4 --warmup 1

echo "== allreduce of a meta-gradient buffer on 2 ranks (time, algbw, busbw)"
mpirun --oversubscribe -np 2 "$bin" bench allreduce --bytes 1K..64M

echo "== done: store in $store (docs/store.md tells how to read it with h5py)"
