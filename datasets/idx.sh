#!/usr/bin/env bash
# A store from any MNIST-format IDX pair (images [n, H, W] or [n, H, W, C], labels [n], uint8,
# raw or .gz): one domain, one class per label value. Extra `prepare idx` options after STORE are
# passed on (--class-names A,B,..., --domain-name NAME, --invert for dark-on-light images,
# --val-fraction/--test-fraction: by default 0.2 of the classes each). datasets/fashion-mnist.sh
# is this importer with Fashion-MNIST's options fixed.
# Refuses a STORE that already exists (it may hold other images). Ends with `cezanne info STORE`.
#
#   bash datasets/idx.sh IMAGES LABELS STORE [prepare idx options...]
#        (paths are relative to where you are; CEZANNE_BUILD_DIR picks the build)
set -euo pipefail
usage="usage: bash datasets/idx.sh IMAGES LABELS STORE [prepare idx options...]"
if [[ $# -lt 3 ]]; then echo "$usage" >&2; exit 2; fi
for f in "$1" "$2"; do
  if [[ ! -f "$f" ]]; then echo "idx.sh: no such file: $f ($usage)" >&2; exit 2; fi
done
source "$(dirname "${BASH_SOURCE[0]}")/binary.sh"
images="$1" labels="$2" store="$3"
shift 3
if [[ -e "$store" ]]; then
  echo "idx.sh: $store already exists: remove it to build it again" >&2
  exit 1
fi

echo "== building a store in $store from $images and $labels"
mkdir -p "$(dirname "$store")"
"$bin" prepare idx --images "$images" --labels "$labels" --out "$store" "$@"
"$bin" info "$store"
