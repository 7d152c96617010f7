// Pre-emption signals: SIGUSR2 (Slurm's --signal=USR2@N before the time limit) and SIGTERM
// (scancel, pre-emption) ask a run to checkpoint at the next step boundary and exit.
#pragma once

namespace cz::train {

/// Installs handlers for SIGUSR2 and SIGTERM that only record the signal (async-signal-safe);
/// the trainer polls stop_signal() before its first step and once per step, and agrees with the
/// other ranks. `cezanne train` calls it first thing, so a signal during set-up is not fatal.
/// Idempotent.
void install_stop_handlers();

/// The first stop signal received (SIGUSR2 or SIGTERM), or 0.
int stop_signal();

/// Forgets a received signal (tests).
void clear_stop_signal();

}  // namespace cz::train
