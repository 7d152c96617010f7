#!/usr/bin/env bash
# Issue 21's prepared device script: everything the issue asks to show on a GPU host (H100/H200,
# Ubuntu 24.04, CUDA 13, NCCL 2.28), in one run of under ten minutes from a bare machine:
#
#   host      what the machine has (GPU, driver, compilers, libraries, PyTorch, profilers)
#   configure CMake in build-gpu/ for sm_90 with CUDA (and NCCL when found), Boost from .gpu-deps/
#   build     `cezanne` and the test programs that touch the GPU, with every core
#   tests     the GPU tests: every test whose name holds Cuda, Nccl or Gpu, in the programs that
#             name a CUDA device, and the every-backend cases of OpGradTest and DevicesTest
#             (every op's forward and derivatives against the CPU's, the MAML meta-gradient, the
#             NCCL test on one rank)
#   store     the store to train on: a carried one, else glyphs from the host's Noto fonts, else
#             `prepare synthetic`
#   train     the first 3 steps of a second-order MAML run on the CPU, then 60 steps of it with
#             --device cuda
#   eval      the first steps' losses of the two compared; the device run's checkpoint
#             meta-tested with --device cuda and on the CPU, on the same episodes
#   bench     bench/gpu-vs-torch.sh: issue 21's rows, cezanne and the PyTorch peers side by side
#   profile   one MAML meta-step's kernels under nsys (if on the PATH) or ncu: where the time goes
#
# Each stage is timed, has a timeout, and runs whatever the earlier ones did (a failed stage
# does not stop the next); all of them share a budget (CZ_BUDGET seconds, default 570) so the
# script ends inside the device tool's 600 s with its summary printed last. Everything returned
# is in OUT (the device tool's $OUT, else runs/gpu-check), 8 files: summary.txt, host.txt,
# build.log, tests.log, train.log, bench.log, profile.txt, kernels.csv. Work files (runs,
# stores, the peers' lines) go to a temporary folder.
#
#   bash jobs/gpu-check.sh [OUT]
#
# Environment: CZ_BUDGET, CZ_STAGES (a subset, e.g. "tests bench"; default all), CZ_BUILD_DIR
# (build-gpu), CZ_JOBS (nproc), CZ_STORE (a store directory to train on), CZ_DEVICE (cuda; cpu
# rehearses the script on a machine without a GPU, with tiny bench settings). The command for
# the device tool is in docs/gpu.md.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit
export OUT_DIR=${1:-${OUT:-runs/gpu-check}}
mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
export WORK; WORK=$(mktemp -d /tmp/cz-gpu-check.XXXXXX)
export BUILD=${CZ_BUILD_DIR:-build-gpu} JOBS=${CZ_JOBS:-$(nproc)} DEVICE=${CZ_DEVICE:-cuda}
export CZ="$BUILD/cezanne"
budget=${CZ_BUDGET:-570}
stages=${CZ_STAGES:-host configure build tests store train eval bench profile}
summary="$OUT_DIR/summary.txt"
began=$SECONDS
: > "$summary"
for f in host.txt build.log tests.log train.log bench.log profile.txt kernels.csv; do : > "$OUT_DIR/$f"; done

# The second-order MAML meta-step of issue 21's first row: the train run and the profile use it.
export MAML="--algo maml --model conv4 --ways 5 --shots 1 --queries 15 --meta-batch 32 --tasks-per-pass 32 --inner-steps 1 --inner-lr 0.4"
# The device run's length: two validations and checkpoints, so that eval has one even when the
# stage's timeout stops the run (it checkpoints on SIGTERM too).
export TRAIN="--steps 60 --val-every 30 --val-episodes 100 --checkpoint-every 30" EPISODES=200
if [[ $DEVICE == cpu ]]; then  # a rehearsal: small enough for a few cores
  MAML=${MAML/--meta-batch 32 --tasks-per-pass 32/--meta-batch 2 --tasks-per-pass 2}
  TRAIN="--steps 4 --val-every 2 --val-episodes 10 --checkpoint-every 2" EPISODES=20
  export BENCH_SIZES="--quick"
fi

# Boost.Program_options and the other packages staged by jobs/stage-gpu-deps.sh (the host has no
# Boost): the build and every run of cezanne need them, so it is unpacked here, in this shell. unpack.sh sets -e; this script does not.
if [[ -f .gpu-deps/unpack.sh ]]; then
  source .gpu-deps/unpack.sh >> "$OUT_DIR/build.log" 2>&1 || echo "unpacking .gpu-deps failed" >> "$OUT_DIR/build.log"
  set +e
fi
export CZ_DEPS_CMAKE_ARGS=${CZ_DEPS_CMAKE_ARGS:-}
# The other staged packages (jobs/stage-gpu-deps.sh: Google Benchmark, FreeType, libpng, zlib).
[[ -d /opt/cz-deps/usr/include ]] && CZ_DEPS_CMAKE_ARGS+=" -DCMAKE_PREFIX_PATH=/opt/cz-deps/usr"

stage_host() {
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
  nvidia-smi -L
  uname -a; head -2 /etc/os-release; nproc; free -g | head -2
  for tool in nvcc cmake ninja g++ mpiexec nsys ncu python3; do
    printf '%-8s %s\n' "$tool" "$(command -v "$tool" || echo 'not on the PATH')"
  done
  nvcc --version | tail -2; cmake --version | head -1; g++ --version | head -1
  mpiexec --version 2>&1 | head -1
  python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'sees', torch.cuda.device_count(), 'GPU(s)')" 2>&1 | tail -1
  ls /usr/local/cuda/include/nccl.h /usr/include/nccl.h 2>&1
  ls /opt/nvidia/nsight-compute/*/ncu /usr/local/cuda/bin/ncu /usr/local/cuda/bin/nsys 2>&1
  dpkg-query -W -f '${Package} ${Version}\n' libhdf5-dev libopenmpi-dev libopenblas-dev \
    libgtest-dev libbenchmark-dev libfreetype-dev libpng-dev zlib1g-dev libboost-program-options-dev \
    fonts-noto-core 2>&1
  ls .gpu-deps 2>&1
  echo "carried store: ${CZ_STORE:-none named}; data/: $(ls data 2>&1 | tr '\n' ' ')"
}

stage_configure() {
  local generator=()  # Ninja where there is one, unless build-gpu/ was made by another generator
  [[ ! -f $BUILD/CMakeCache.txt ]] && command -v ninja > /dev/null && generator=(-G Ninja)
  # shellcheck disable=SC2086  # CZ_DEPS_CMAKE_ARGS is a list of -D arguments
  cmake -S . -B "$BUILD" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCEZANNE_WITH_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DCEZANNE_MPI_TEST_RANKS=1 $CZ_DEPS_CMAKE_ARGS
  grep -E '^CEZANNE_WITH_(CUDA|NCCL)|^CMAKE_CUDA_ARCHITECTURES' "$BUILD/CMakeCache.txt"
}

# The test programs that name a CUDA device or NCCL, and the two whose every-backend cases the
# issue names (they may list the devices without naming CUDA): tests/<module>/<Name>Test.cpp is
# the target test_<module>_<Name>Test (cmake/CezanneTests.cmake).
gpu_test_targets() {
  { grep -rlE 'Device::cuda|cuda::device_count|Nccl|NCCL' tests --include='*Test.cpp'
    ls tests/autograd/OpGradTest.cpp tests/learn/DevicesTest.cpp 2> /dev/null
  } | sort -u | sed -E 's|^tests/(.*)/([^/]*)\.cpp$|test_\1_\2|; s|/|_|g'
}

stage_build() {
  local targets; targets=$(gpu_test_targets | tr '\n' ' ')
  echo "targets: cezanne $targets"
  # shellcheck disable=SC2086
  cmake --build "$BUILD" -j"$JOBS" --target cezanne $targets
}

stage_tests() {
  # One rank for the MPI tests (CEZANNE_MPI_TEST_RANKS=1): one GPU, and NCCL refuses two ranks
  # on one device.
  ctest --test-dir "$BUILD" -R 'Cuda|CUDA|Nccl|NCCL|Gpu|GPU|EveryBackendComputesTheSame|^learn\.Devices\.' \
    --no-tests=error --output-on-failure \
    -j8 --timeout 240 > "$WORK/ctest.out" 2>&1
  local rc=$?
  cat "$WORK/ctest.out"
  { grep -E 'tests passed|tests failed' "$WORK/ctest.out"
    echo "skipped: $(grep -c '(Skipped)' "$WORK/ctest.out")"
    grep -E '\((Failed|Timeout|SEGFAULT|Subprocess aborted|Not Run)\)' "$WORK/ctest.out" | head -20
  } > "$WORK/tests.result"
  return $rc
}

stage_store() {
  local store=${CZ_STORE:-}
  if [[ -z $store ]]; then
    for candidate in data/gpu-glyphs data/glyphs; do
      [[ -f $candidate/manifest.h5 ]] && { store=$candidate; break; }
    done
  fi
  if [[ -n $store ]]; then
    echo "carried store: $store"
  elif ls /usr/share/fonts/truetype/noto/*.ttf > /dev/null 2>&1; then
    store="$WORK/glyphs"
    "$CZ" prepare glyphs --out "$store" --max-chars 10 || return
  else
    echo "no carried store and no Noto fonts: a synthetic store (the run proves the device path, not accuracy)"
    store="$WORK/synthetic"
    "$CZ" prepare synthetic --out "$store" --classes 2000 --examples 20 --size 28 --domains 50 || return
  fi
  "$CZ" info "$store" | sed -n '1,4p;/^split/,/^total/p'
  echo "$store" > "$WORK/store"
  echo "store: $store" > "$WORK/store.result"
}

# losses RUN STEPS: the loss column of RUN's metrics.csv for steps 1..STEPS.
losses() { awk -F, -v n="$2" 'NR > 1 && $1 <= n { print $2 }' "$1/metrics.csv"; }

# The first 3 steps on the CPU (their losses are compared in stage_eval), then the run on the
# device.
stage_train() {
  local store; store=$(cat "$WORK/store" 2> /dev/null) || { echo "no store"; return 1; }
  # shellcheck disable=SC2086
  "$CZ" train $MAML --store "$store" --device cpu --out "$WORK/run-cpu" --steps 3 --val-every 0 \
    --checkpoint-every 1000 --log-seconds 5 || return
  # shellcheck disable=SC2086
  "$CZ" train $MAML $TRAIN --store "$store" --device "$DEVICE" --out "$WORK/run" --log-seconds 5 || return
  echo "$DEVICE run: $(tail -1 "$WORK/run/metrics.jsonl")" | tee "$WORK/train.result"
}

stage_eval() {
  if [[ -s $WORK/run/metrics.csv && -s $WORK/run-cpu/metrics.csv ]]; then
    paste -d' ' <(losses "$WORK/run" 3) <(losses "$WORK/run-cpu" 3) | awk '
      { d = ($1 - $2) / ($2 == 0 ? 1 : $2); d = d < 0 ? -d : d; if (d > m) m = d
        printf "step %d: loss %s on the device, %s on the CPU, relative difference %.1e\n", NR, $1, $2, d }
      END { printf "largest relative difference of the first steps'"'"' losses: %.1e\n", m }' |
      tee "$WORK/eval.result"
  fi
  local checkpoint; checkpoint=$(find "$WORK/run" -name 'checkpoint-*.h5' 2> /dev/null | sort | tail -1)
  [[ -n $checkpoint ]] || { echo "no checkpoint of the train stage" | tee -a "$WORK/eval.result"; return 1; }
  "$CZ" eval --checkpoint "$checkpoint" --device "$DEVICE" --episodes "$EPISODES" > "$WORK/eval-device.json" || return
  "$CZ" eval --checkpoint "$checkpoint" --device cpu --episodes "$EPISODES" > "$WORK/eval-cpu.json" || return
  cat "$WORK/eval-device.json" "$WORK/eval-cpu.json"
  python3 - "$WORK/eval-device.json" "$WORK/eval-cpu.json" << 'EOF' | tee -a "$WORK/eval.result"
import json, sys
device, cpu = (json.loads(open(p).read().splitlines()[-1]) for p in sys.argv[1:3])
print(f"eval of {device['eval'].split('/')[-1]} on {device['episodes']} test episodes: "
      f"{100 * device['mean']:.2f}% +- {100 * device['ci95']:.2f} on the device, "
      f"{100 * cpu['mean']:.2f}% +- {100 * cpu['ci95']:.2f} on the CPU "
      f"(difference {100 * (device['mean'] - cpu['mean']):+.2f} points)")
EOF
}

stage_bench() {
  # shellcheck disable=SC2086
  bash bench/gpu-vs-torch.sh --device "$DEVICE" --build "$BUILD" --out "$WORK/bench" \
    --timeout 90 --budget $((STAGE_LIMIT - 5)) ${BENCH_SIZES:-} | tee "$WORK/bench.out"
  sed -n '/^== side by side/,$p' "$WORK/bench.out" > "$WORK/bench.result"
}

stage_profile() {
  local step maml; read -ra maml <<< "$MAML"
  step=("$CZ" bench step "${maml[@]}" --device "$DEVICE" --iters 1 --warmup 0)
  local wall; wall=$(python3 -c "import json, sys; l = json.loads(open(sys.argv[1]).read().splitlines()[-1]); print(l['seconds'] / l['iters'])" \
    "$WORK/bench/cezanne-maml.json" 2> /dev/null)
  if command -v nsys > /dev/null; then
    echo "== nsys profile --stats=true: ${step[*]}"
    nsys profile --stats=true --force-overwrite=true -o "$WORK/maml" "${step[@]}" > "$WORK/nsys.out" 2>&1
    cat "$WORK/nsys.out"
    if grep -q 'cuda_gpu_kern_sum' "$WORK/nsys.out"; then
      sed -n '/cuda_gpu_kern_sum/,/^$/p' "$WORK/nsys.out" | head -40 > "$WORK/profile.result"
      return 0
    fi
    echo "nsys gave no kernel summary; trying ncu"
  fi
  local ncu; ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu /usr/local/cuda/bin/ncu 2> /dev/null | tail -1)
  [[ -n $ncu ]] || { echo "neither nsys nor ncu is installed: no kernel profile" | tee "$WORK/profile.result"; return 1; }
  local cap=2500 csv="$OUT_DIR/kernels.csv"
  echo "== $ncu (one meta-step, parameter initialization and Adam included): ${step[*]}"
  # Short kernel names, times in ns, caches and clocks as the program leaves them; if this ncu
  # refuses one of those options, once more with the essential ones only.
  "$ncu" --metrics gpu__time_duration.sum --csv --print-units base --print-kernel-base function \
    --cache-control none --clock-control none --launch-count "$cap" --log-file "$csv" "${step[@]}" ||
    grep -q '^"ID"' "$csv" ||
    "$ncu" --metrics gpu__time_duration.sum --csv --launch-count "$cap" --log-file "$csv" "${step[@]}" ||
    return
  python3 bench/kernel_profile.py "$csv" --launch-cap "$cap" ${wall:+--wall-seconds "$wall"} |
    tee "$WORK/profile.result"
}
export -f stage_host stage_configure gpu_test_targets stage_build stage_tests stage_store losses \
  stage_train stage_eval stage_bench stage_profile
export MAML TRAIN EPISODES BENCH_SIZES LD_LIBRARY_PATH CZ_STORE="${CZ_STORE:-}"

# run NAME LIMIT LOG: stage_NAME under a timeout of LIMIT seconds, or what is left of the budget
# (less a reserve for the summary), its output appended to LOG; one line per stage and the
# stage's result lines in the summary.
run() {
  local name=$1 limit=$2 log="$OUT_DIR/$3"
  [[ " $stages " == *" $name "* ]] || return 0
  local left=$((budget - (SECONDS - began) - 10))
  ((left < limit)) && limit=$left
  if ((limit < 5)); then
    printf '%-9s skipped: the budget of %d s is spent\n' "$name" "$budget" | tee -a "$summary"
    return
  fi
  echo "== $name (timeout $limit s) $(date -u +%T)" >> "$log"
  local start=$SECONDS group rc verdict
  STAGE_LIMIT=$limit timeout -k 10 "$limit" bash -o pipefail -c "stage_$name" >> "$log" 2>&1 &
  group=$!  # timeout leads a process group of its own, and signals all of it when time is up
  wait "$group"
  rc=$?
  # What the signal left finishing its work (train writes a checkpoint on SIGTERM) ends before
  # the next stage starts: 15 s, then KILL.
  for ((i = 0; i < 30; ++i)); do
    kill -0 -- "-$group" 2> /dev/null || break
    sleep 0.5
  done
  kill -0 -- "-$group" 2> /dev/null && kill -KILL -- "-$group"
  case $rc in
    0) verdict=ok ;;
    124 | 137) verdict="TIMED OUT after $limit s" ;;
    *) verdict="FAILED (exit $rc; see $3)" ;;
  esac
  printf '%-9s %s, %d s\n' "$name" "$verdict" $((SECONDS - start)) | tee -a "$summary"
  if [[ -s $WORK/$name.result ]]; then sed 's/^/    /' "$WORK/$name.result" | tee -a "$summary"; fi
}

echo "gpu-check $(git rev-parse --short HEAD 2> /dev/null) on $(nvidia-smi --query-gpu=name --format=csv,noheader 2> /dev/null | head -1), device $DEVICE, budget $budget s, $(date -u +%FT%TZ)" | tee -a "$summary"
# Each stage's cap: what it should need with room to spare, so that a slow one leaves the later
# ones their share (the bench's cezanne rows and peers have their own limits inside it).
run host 30 host.txt
run configure 90 build.log
run build 330 build.log
run tests 100 tests.log
run store 30 train.log
run train 90 train.log
run eval 45 train.log
run bench 200 bench.log
run profile 90 profile.txt
printf 'total %d s; logs in %s\n' $((SECONDS - began)) "$OUT_DIR" | tee -a "$summary"
rm -rf "$WORK"
echo
echo "==== summary"
cat "$summary"
