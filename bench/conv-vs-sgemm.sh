#!/usr/bin/env bash
# conv2d forward+backward over Conv4's four layers against cblas_sgemm at Conv4's layer-2 shape,
# measured in alternating rounds so that both see the same machine (shared hosts drift by 30%
# within minutes). Prints each round and the median ratio.
#
#   bash bench/conv-vs-sgemm.sh [ROUNDS]     (default 5; needs a built build/)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds="${1:-5}"
# The GFLOP/s counter of a single-benchmark run (the last CSV field of its one row).
gflops() { "$@" --benchmark_min_time=1 --benchmark_format=csv 2>/dev/null | tail -1 | awk -F, '{print $NF}'; }
ratios=()
for ((i = 1; i <= rounds; ++i)); do
  sgemm=$(gflops build/bench/bench_Gemm --benchmark_filter='BM_cblas_sgemm/64/576/15680')
  conv=$(gflops build/bench/bench_Conv --benchmark_filter='BM_conv4_stack_forward_backward')
  ratio=$(python3 -c "print(f'{$conv / $sgemm:.3f}')")
  ratios+=("$ratio")
  printf 'round %d: sgemm %.1f GFLOP/s, conv4 stack %.1f GFLOP/s, ratio %s\n' "$i" "$(python3 -c "print($sgemm/1e9)")" \
    "$(python3 -c "print($conv/1e9)")" "$ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n | python3 -c 'import sys; v = [float(x) for x in sys.stdin]; print(f"median ratio {v[len(v)//2]:.3f} over {len(v)} rounds")'
