# Sourced by the recipes: $repo (the repository) and $bin (build/cezanne, or under
# CEZANNE_BUILD_DIR, relative to the repository unless absolute).
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CEZANNE_BUILD_DIR:-build}"
[[ "$build" == /* ]] || build="$repo/$build"
bin="$build/cezanne"
