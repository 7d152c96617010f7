#!/usr/bin/env bash
# The body of jobs/train.sbatch and jobs/sweep.sbatch (sourced inside the job): run
# `cezanne train --resume auto` on every task with srun --mpi=pmix and requeue the job when
# the run stopped early (status 75: pre-emption signal, checkpoint written), up to
# CEZANNE_MAX_REQUEUES times.
#
#   run_train OPTION...    (the options of `cezanne train`, e.g. --config FILE --out DIR)

run_train() {
  local bin="${CEZANNE_BIN:-build/cezanne}"
  local max_requeues="${CEZANNE_MAX_REQUEUES:-5}"
  local restarts="${SLURM_RESTART_COUNT:-0}"
  echo "== $(date -Is) job ${SLURM_JOB_ID} array task ${SLURM_ARRAY_TASK_ID:-none}, start $((restarts + 1)), ${SLURM_NTASKS:-1} task(s) on ${SLURM_JOB_NODELIST:-?}"
  echo "== cezanne train $*"
  # Slurm's SIGTERM (scancel, time limit) reaches the ranks directly; the shell only waits for them.
  trap 'echo "== $(date -Is) SIGTERM: the ranks checkpoint and stop"' TERM
  srun --mpi=pmix --kill-on-bad-exit=1 "$bin" train --resume auto "$@" &
  local pid=$!
  local status=0
  wait "$pid" || status=$?
  # A trapped signal interrupts `wait`; wait again for srun's own status.
  while kill -0 "$pid" 2>/dev/null; do wait "$pid" || status=$?; done
  trap - TERM
  if [[ $status -eq 75 ]]; then
    if (( restarts < max_requeues )); then
      echo "== $(date -Is) stopped with a checkpoint; requeueing (start $((restarts + 2)) of at most $((max_requeues + 1)))"
      scontrol requeue "${SLURM_JOB_ID}"
      sleep 30  # Slurm ends this script as part of the requeue
      exit 0
    fi
    echo "== $(date -Is) stopped with a checkpoint; CEZANNE_MAX_REQUEUES=${max_requeues} reached, not requeueing"
  else
    echo "== $(date -Is) cezanne train exited with status ${status}"
  fi
  exit "$status"
}
