#!/usr/bin/env bash
# The default store: every writing system of the installed Noto fonts rendered as 28x28 glyphs,
# 20 distorted examples per character, at most 60 characters per writing system (docs/glyphs.md).
# Builds it once; a store already at the path is left as it is. Ends with `cezanne info` (the
# checksums are verified by the jobs that read it, not here: a full read takes a while).
#
#   bash datasets/glyphs.sh [STORE]      (default data/glyphs in the repository; a STORE given is
#                                         relative to where you are; CEZANNE_BUILD_DIR picks the build)
set -euo pipefail
if [[ -n "${1:-}" && "$1" != /* ]]; then set -- "$PWD/$1"; fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${CEZANNE_BUILD_DIR:-build}/cezanne"
store="${1:-data/glyphs}"
if [[ ! -f "$store/manifest.h5" ]]; then
  echo "== building the default glyph store in $store (writing systems rendered from fonts-noto-core)"
  mkdir -p "$(dirname "$store")"
  "$bin" prepare glyphs --out "$store"
fi
"$bin" info --no-verify "$store"
