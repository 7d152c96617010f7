#!/usr/bin/env bash
# Installs every system package cezanne needs to build and test (Debian 12, Ubuntu 24.04).
#
# Idempotent: when every package is already installed it does nothing (no apt-get update),
# so `make demo` / `make test` can call it on every run. Must run as root (or with sudo
# available) the first time, when something is missing.
#
# CUDA and NCCL are optional and not installed here: the CPU build is complete without them.
set -euo pipefail

# The one list of packages. Keep it sorted by purpose; add new dependencies here only.
PACKAGES=(
  # toolchain
  build-essential cmake pkg-config
  # distribution: MPI and the Slurm/PMIx stack the job tests start on localhost
  libopenmpi-dev openmpi-bin slurm-wlm munge libpmix-dev
  # data store
  libhdf5-dev hdf5-tools python3-h5py zlib1g-dev
  # CLI, math, tests, benchmarks
  libboost-program-options-dev libopenblas-dev libopenblas-openmp-dev libgtest-dev libgmock-dev libbenchmark-dev
  # glyph importer and plots
  libfreetype-dev libpng-dev fonts-noto-core gnuplot-nox
  # data sets of datasets/ recipes (Fashion-MNIST IDX files: the far-domain target of transfer learning)
  dataset-fashion-mnist
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Abbrev}' "${pkg}" 2>/dev/null || true)"
  if [[ "${status}" != ii* ]]; then
    missing+=("${pkg}")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} missing package(s): ${missing[*]}"

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: missing packages and not root (and no sudo): ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  "${missing[@]}"
echo "install-deps: done"
