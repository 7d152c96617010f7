#!/usr/bin/env bash
# A store from a folder in the Omniglot layout, ROOT/<alphabet>/<character>/*.png (alphabet ->
# domain, character -> class), resized to 28x28 and inverted to light strokes on black so that it
# looks like the glyph store the models train on. Split by alphabet (prepare's defaults: 0.2 of the
# alphabets each for val and test); extra `prepare images` options after STORE override that, e.g.
# --test-fraction 1 --val-fraction 0 for a store that is all test data to evaluate a model on.
# Refuses a STORE that already exists (it may hold other images). Ends with `cezanne info STORE`.
#
#   bash datasets/omniglot.sh ROOT [STORE [prepare images options...]]
#        (default STORE data/omniglot in the repository; paths are relative to where you are;
#         CEZANNE_BUILD_DIR picks the build)
set -euo pipefail
usage="usage: bash datasets/omniglot.sh ROOT [STORE [prepare images options...]]  (ROOT/<alphabet>/<character>/*.png)"
if [[ $# -lt 1 ]]; then echo "$usage" >&2; exit 2; fi
if [[ ! -d "$1" ]]; then echo "omniglot.sh: no such folder: $1 ($usage)" >&2; exit 2; fi
source "$(dirname "${BASH_SOURCE[0]}")/binary.sh"
root="$1"
store="${2:-$repo/data/omniglot}"
shift $(( $# < 2 ? $# : 2 ))
if [[ -e "$store" ]]; then
  echo "omniglot.sh: $store already exists: remove it to build it again" >&2
  exit 1
fi

echo "== building a store in $store from the Omniglot-layout folder $root"
mkdir -p "$(dirname "$store")"
"$bin" prepare images --root "$root" --layout omniglot --size 28 --invert --out "$store" "$@"
"$bin" info "$store"
