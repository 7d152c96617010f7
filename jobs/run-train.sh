#!/usr/bin/env bash
# The body of jobs/train.sbatch and jobs/sweep.sbatch (sourced inside the job): run
# `cezanne train --resume auto` on every task with srun --mpi=pmix, then ask the run directory
# (`cezanne train ... --check-finished`: its newest valid checkpoint against --steps) whether the
# run reached its last step, since srun's status cannot be trusted for that (a failed launch of
# a requeued job has exited 0). Finished: the job ends COMPLETED. Not finished: the job
# requeues itself when the run stopped early (status 75: pre-emption signal, checkpoint
# written) or srun claimed success (status 0), up to CEZANNE_MAX_REQUEUES times, and ends FAILED
# otherwise (any other status, or the cap reached).
#
#   run_train OPTION...    (the options of `cezanne train`, e.g. --config FILE --out DIR)

run_train() {
  local bin="${CEZANNE_BIN:-build/cezanne}"
  local max_requeues="${CEZANNE_MAX_REQUEUES:-5}"
  local restarts="${SLURM_RESTART_COUNT:-0}"
  echo "== $(date -Is) job ${SLURM_JOB_ID} array task ${SLURM_ARRAY_TASK_ID:-none}, start $((restarts + 1)), ${SLURM_NTASKS:-1} task(s) on ${SLURM_JOB_NODELIST:-?}"
  echo "== cezanne train $*"
  local pid=""
  # Slurm's SIGTERM (scancel, time limit) reaches the ranks directly; the shell only waits for them.
  trap 'echo "== $(date -Is) SIGTERM: the ranks checkpoint and stop"' TERM
  # SIGUSR2 reaches this shell only when sent to it: `scancel --full` (every process of the job;
  # untrapped it would kill this shell and the job would end FAILED), `scancel --batch` or
  # `--signal=B:USR2@N` (this shell only). srun passes it on to the ranks (which may get it
  # twice: harmless).
  trap 'echo "== $(date -Is) SIGUSR2: passed to the ranks, which checkpoint and stop"; [[ -n $pid ]] && kill -USR2 "$pid" 2>/dev/null' USR2
  srun --mpi=pmix --kill-on-bad-exit=1 "$bin" train --resume auto "$@" &
  pid=$!
  wait "$pid"
  # A trapped signal interrupts `wait` (status > 128): wait until srun has ended, then take its
  # own status (bash keeps it for a second `wait`).
  while kill -0 "$pid" 2>/dev/null; do wait "$pid"; done
  wait "$pid"
  local status=$?
  trap - TERM
  trap 'echo "== $(date -Is) SIGUSR2 after the ranks ended: ignored"' USR2
  # Prints "cezanne train: OUT: step S of N (CHECKPOINT): finished" (or "not finished").
  if "$bin" train --resume auto "$@" --check-finished; then
    echo "== $(date -Is) cezanne train exited with status ${status}; the run reached its last step"
    exit 0
  fi
  local why
  if [[ $status -eq 75 ]]; then
    why="stopped with a checkpoint"
  elif [[ $status -eq 0 ]]; then
    why="srun exited with status 0 but the run has not reached its last step (a failed launch?)"
  else
    echo "== $(date -Is) cezanne train exited with status ${status}"
    exit "$status"
  fi
  if (( restarts < max_requeues )); then
    echo "== $(date -Is) ${why}; requeueing (start $((restarts + 2)) of at most $((max_requeues + 1)))"
    # The job's steps must be gone first: a requeued job that starts while the last srun's
    # step is still being torn down is killed as "non-startable" (Job credential revoked).
    local i
    for ((i = 0; i < 60; ++i)); do
      squeue -h -s -j "${SLURM_JOB_ID}" -o %i 2>/dev/null | grep -qv -e '\.batch$' -e '\.extern$' || break
      sleep 0.5
    done
    scontrol requeue "${SLURM_JOB_ID}"
    sleep 30  # Slurm ends this script as part of the requeue
    exit 0
  fi
  echo "== $(date -Is) ${why}; CEZANNE_MAX_REQUEUES=${max_requeues} reached, not requeueing"
  exit $(( status == 0 ? 1 : status ))
}
