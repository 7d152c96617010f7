#!/usr/bin/env bash
# The store at scale (docs/scaling.md "A store of a million classes"): a synthetic store of 10^6
# classes (4 grey 8x8 images each, ~0.9 MiB shards: 272 shards), then P = 1, 2, 4, 8, 16
# concurrent readers (independent processes started together by mpirun, each opening the
# store and sampling 2000 5-way 1-shot episodes with 3 queries on the calling thread, cold then
# warm cache), and the episodes per second a Conv4 ProtoNets step consumes on one thread (bench
# step, meta-batch 8, 5-way 1-shot, 15 queries, 28x28) for the ratio. Every process's JSON line
# goes to runs/store-scale/readers-P.jsonl; the table (jobs/store_scale_table.py) gives per P the
# slowest reader's open time, metadata memory and episodes/s.
#
#   bash jobs/store-scale.sh            the store if absent, every P, the table
#   STORE=DIR bash jobs/store-scale.sh  another store (made there if absent)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
out=runs/store-scale
store="${STORE:-$out/store}"
mkdir -p "$out"
[[ -d "$store" ]] || "$bin" prepare synthetic --out "$store" --classes 1000000 --examples 4 --size 8 --shard-mb 0.9
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for p in 1 2 4 8 16; do
  mpirun -n "$p" --oversubscribe --bind-to none "$bin" bench sampler --store "$store" --queries 3 --episodes 2000 \
    > "$out/readers-$p.jsonl"
done
"$bin" bench step --algo protonet --meta-batch 8 --threads 1 --iters 5 | tail -1 > "$out/step.json"
/usr/bin/python3 jobs/store_scale_table.py "$out"
