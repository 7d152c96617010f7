#!/usr/bin/env bash
# Fashion-MNIST's test set as one store: the t10k files of Debian's dataset-fashion-mnist
# (cmake/install-deps.sh installs it), one domain "Fashion-MNIST" of 10 classes, 1000 28x28
# examples each, light objects on black like the glyph store's strokes (so no --invert).
# It is the far-domain target of transfer learning (jobs/transfer.sh), whose multi-task source
# takes every class of the domain and splits each class by example itself: so every class stays
# in the store's train split (--val-fraction 0 --test-fraction 0).
# Builds it once; a store already at the path is left as it is. Ends with `cezanne info STORE`,
# which verifies every checksum.
#
#   bash datasets/fashion-mnist.sh [STORE]   (default data/fashion-mnist in the repository; a STORE
#                                             given is relative to where you are; CEZANNE_BUILD_DIR
#                                             picks the build, FASHION_MNIST_DIR the IDX files' folder)
set -euo pipefail
usage="usage: bash datasets/fashion-mnist.sh [STORE]"
if [[ $# -gt 1 ]]; then echo "$usage" >&2; exit 2; fi
source "$(dirname "${BASH_SOURCE[0]}")/binary.sh"
store="${1:-$repo/data/fashion-mnist}"
src="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
images="$src/t10k-images-idx3-ubyte.gz"
labels="$src/t10k-labels-idx1-ubyte.gz"
# Fashion-MNIST's label names, 0..9, without '/' or ',' (T-shirt/top, Ankle boot)
classes=T-shirt_top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle_boot

if [[ ! -f "$store/manifest.h5" ]]; then
  for f in "$images" "$labels"; do
    if [[ ! -f "$f" ]]; then
      echo "fashion-mnist.sh: $f missing: install dataset-fashion-mnist (bash cmake/install-deps.sh)" >&2
      exit 1
    fi
  done
  echo "== building the Fashion-MNIST store in $store (t10k files of dataset-fashion-mnist)"
  mkdir -p "$(dirname "$store")"
  "$bin" prepare idx --images "$images" --labels "$labels" --class-names "$classes" \
    --domain-name Fashion-MNIST --val-fraction 0 --test-fraction 0 --out "$store"
fi
if ! "$bin" info "$store"; then
  echo "fashion-mnist.sh: the store in $store does not verify (above): remove it and run again" >&2
  exit 1
fi
