#!/usr/bin/env bash
# demo.sh — what `make demo` runs after building (placeholder: prints the build's versions).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
"${CEZANNE_BUILD_DIR:-build}/cezanne" info --version
