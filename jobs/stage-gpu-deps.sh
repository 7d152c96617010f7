#!/usr/bin/env bash
# Stages, on this Debian 12 machine, the build dependencies a GPU host (Ubuntu 24.04 with CUDA,
# NCCL, Open MPI, HDF5, OpenBLAS and GoogleTest) may lack, as .deb files in one folder that
# travels with the checkout (`carry: [".gpu-deps"]`): Boost.Program_options (the shared
# stage.sh), and Google Benchmark, FreeType, libpng and zlib's headers with the runtime libraries
# they link to. On the host, `source .gpu-deps/unpack.sh` unpacks them into /opt/cz-deps, and
# jobs/gpu-check.sh puts /opt/cz-deps/usr on CMake's prefix path (docs/gpu.md).
#
#   bash jobs/stage-gpu-deps.sh [DIR]      (default .gpu-deps; add /DIR/ to .git/info/exclude)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir=${1:-.gpu-deps}
bash ../shared/gpu-host/stage.sh "$dir" > /dev/null
cd "$dir"
apt-get download -q libbenchmark-dev libbenchmark1debian libfreetype-dev libfreetype6 libbrotli1 \
  libpng-dev libpng16-16 zlib1g-dev 2> /dev/null
ls -1 "$PWD"
