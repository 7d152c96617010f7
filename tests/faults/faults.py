#!/usr/bin/python3
"""cezanne's fault-injection suite: faults injected on purpose into real runs of the `cezanne`
binary, each trial classified, and the counts printed at the end.

Faults: malformed command lines and config files; random damage to stores and checkpoints
(flipped bytes, truncation, zeroed blocks, files swapped between stores, deleted files);
kill -9 of a random rank at a random moment of a 2-rank run; SIGUSR2/SIGTERM to a random rank,
to every rank or to the launcher at a random moment (start-up included); a stopped rank
(SIGSTOP); a full disk (a small tmpfs, as root).

Outcomes of a trial:
  ok             the command did what it should (finished, or stopped with status 75, and the
                 run resumed to the end bitwise equal to an uninterrupted one)
  clean error    non-zero status and one line naming the problem (bad input is refused)
  crash          a signal nobody sent, a core dump, more than one line of error, "terminate"
  hang           still running at its deadline (killed there)
  wrong success  status 0 on bad input, or a result that differs from the reference
  lost steps     a resumed run redid more steps than the checkpoint interval
  mismatch       a resumed run did not end bitwise equal to the uninterrupted one

  /usr/bin/python3 tests/faults/faults.py [--trials quick|full|N] [--seed S] [--binary PATH]

`quick` (the ctest entry `faults.quick`) runs about 90 trials in a few minutes; `full` about
700 (docs/faults.md has its summary). Exit status 1 when any trial crashed, hung, succeeded
wrongly, lost steps or mismatched.
"""
import argparse
import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py

BAD = ("crash", "hang", "wrong success", "lost steps", "mismatch")
OUTCOMES = ("ok", "clean error") + BAD
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2"]
STEPS, EVERY = 40, 4
RUN = ("--algo maml --filters 8 --ways 3 --shots 1 --queries 2 --meta-batch 4 --lr 0.01 "
       f"--threads 1 --val-every 10 --val-episodes 4 --steps {STEPS} --checkpoint-every {EVERY}")
SLURM_STEPS = 400  # long enough (several seconds) to be signalled mid-run
SLURM_RUN = RUN.replace(f"--steps {STEPS} --checkpoint-every {EVERY}",
                        f"--steps {SLURM_STEPS} --checkpoint-every 20")
SCRIPTS = ("Latin,Greek,Cyrillic,Armenian,Georgian,Hebrew,Arabic,Devanagari,Bengali,Thai,"
           "Ethiopic,Cherokee")


class Suite:
    def __init__(self, binary, root, rng):
        self.binary, self.root, self.rng = binary, root, rng
        self.counts = collections.defaultdict(collections.Counter)
        self.notes = []
        self.serial = 0
        self.env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                        OMPI_MCA_btl_vader_single_copy_mechanism="none")

    # --- running and judging --------------------------------------------------------------

    def fresh(self, tag):
        self.serial += 1
        return os.path.join(self.root, f"{tag.replace(' ', '_')}-{self.serial}")

    def start(self, argv):
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=self.env, start_new_session=True, text=True, errors="replace")

    @staticmethod
    def finish(proc, deadline):
        """(status, output, hung): the process group is killed at the deadline."""
        try:
            out, _ = proc.communicate(timeout=deadline)
            return proc.returncode, out, False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            return proc.returncode, out, True

    def cz(self, args, deadline=60, ranks=1):
        launcher = MPIRUN if ranks == 2 else []
        return self.finish(self.start(launcher + [self.binary] + args.split()), deadline)

    @staticmethod
    def gist(out):
        """cezanne's own lines of an output (not the launcher's banners), or its end."""
        own = [line for line in out.splitlines() if line.startswith("cezanne")]
        return " | ".join(own)[-400:] if own else out.strip()[-300:]

    def record(self, category, outcome, detail=""):
        self.counts[category][outcome] += 1
        if outcome in BAD:
            self.notes.append(f"{category}: {outcome}: {detail}"[:600])

    @staticmethod
    def is_crash(status, out):
        markers = ("terminate called", "Segmentation fault", "core dumped", "Aborted", "*** Error",
                   "signal 11", "signal 6")
        return status < 0 or status >= 128 or any(m in out for m in markers)

    def judge_refusal(self, category, status, out, hung, what):
        """Bad input: a clean error is the only right answer."""
        lines = [line for line in out.split("\n") if line.strip()]
        if hung:
            self.record(category, "hang", what)
        elif status == 0:
            self.record(category, "wrong success", f"{what} -> {out.strip()[-200:]}")
        elif self.is_crash(status, out) or len(lines) != 1 or not lines[0].startswith("cezanne"):
            self.record(category, "crash", f"{what} -> status {status}: {self.gist(out)}")
        else:
            self.record(category, "clean error")

    # --- references -------------------------------------------------------------------------

    def setup(self):
        self.store = os.path.join(self.root, "store")
        self.other = os.path.join(self.root, "other")
        for path, seed in ((self.store, 0), (self.other, 1)):
            status, out, _ = self.cz(f"prepare glyphs --out {path} --max-chars 8 --examples 6 "
                                     f"--seed {seed} --scripts {SCRIPTS}")
            assert status == 0, out
        self.reference = {}
        for ranks in (1, 2):
            out_dir = os.path.join(self.root, f"reference-{ranks}")
            status, out, _ = self.cz(f"train --store {self.store} --out {out_dir} {RUN}", ranks=ranks)
            assert status == 0, out
            self.reference[ranks] = state(final(out_dir))
        # The 1-rank run as it stood at step 3 * EVERY, for the damaged-checkpoint trials.
        self.midway = os.path.join(self.root, "midway-1")
        status, out, _ = self.cz(f"train --store {self.store} --out {self.midway} {RUN} "
                                 f"--stop-after {3 * EVERY}")
        assert status == 75, out
        self.baseline = self.cz(f"eval --baseline pixels --store {self.store} --ways 3 --shots 1 "
                                "--queries 2 --episodes 20")[1]

    def resume_and_compare(self, category, out_dir, ranks, reached, what):
        """Resumes `out_dir` to the end; judges lost steps and bitwise equality."""
        status, out, hung = self.cz(f"train --store {self.store} --out {out_dir} {RUN} --resume auto",
                                    ranks=ranks)
        if hung or status != 0:
            self.record(category, "hang" if hung else "crash",
                        f"{what}; resume -> status {status}: {self.gist(out)}")
            return
        resumed = 0
        for line in out.splitlines():
            if " at step " in line and "resumed from" in line:
                resumed = int(line.rsplit(" ", 1)[1])
        if reached - resumed > EVERY:
            self.record(category, "lost steps", f"{what}: reached {reached}, resumed at {resumed}")
        elif state(final(out_dir)) != self.reference[ranks]:
            self.record(category, "mismatch", what)
        else:
            self.record(category, "ok")

    # --- the faults ------------------------------------------------------------------------

    def bad_options(self):
        out_dir = self.fresh("refused")
        huge = self.rng.choice(["4294967297", "18446744073709551617", "-1", "-4294967295", "1e999",
                                "nan", "", "12abc", "0x10", "9223372036854775808"])
        base = f"train --store {self.store} --out {out_dir} {RUN}"
        option = self.rng.choice(["--shots", "--ways", "--meta-batch", "--filters", "--steps",
                                  "--queries", "--checkpoint-every", "--val-episodes", "--seed",
                                  "--lr", "--inner-steps", "--keep", "--threads"])
        eval_option = self.rng.choice(["--episodes", "--ways", "--shots", "--queries", "--seed"])
        # Seeds are any 64-bit unsigned integer: 2^32 + 1 and 2^63 are valid seeds, not malformed.
        seed_huge = huge if huge not in ("4294967297", "9223372036854775808") else "18446744073709551617"
        config = os.path.join(self.root, f"config-{self.serial}.ini")
        kind = self.rng.randrange(9)
        if kind == 0:
            value = seed_huge if option == "--seed" else huge
            args, what = f"{base} {option} {value}", f"train {option} '{value}'"
        elif kind == 1:
            value = seed_huge if eval_option == "--seed" else huge
            args = (f"eval --checkpoint {final(os.path.join(self.root, 'reference-1'))} "
                    f"{eval_option} {value}")
            what = f"eval {eval_option} '{value}'"
        elif kind == 2:
            args, what = f"{base} 200", "a stray positional word"
        elif kind == 3:
            args, what = f"{base} --config {self.root}", "--config DIRECTORY"
        elif kind == 4:
            with open(config, "w") as f:
                f.write(self.rng.choice(["shots = -3\n", "ways = many\n", "meta-bach = 4\n",
                                         "steps = 4294967297\n", "[section\n", "lr = \n"]))
            args, what = f"{base} --config {config}", f"config {open(config).read().strip()!r}"
        elif kind == 5:
            with open(config, "wb") as f:
                f.write(bytes(self.rng.randrange(256) for _ in range(200)))
            args, what = f"{base} --config {config}", "a binary config file"
        elif kind == 6:
            args, what = f"{base} --{self.rng.choice(['stpes', 'wasy', 'x'])} 3", "an unknown option"
        elif kind == 7:
            args = (f"prepare idx --images {config}.none --labels {config}.none --out {out_dir} "
                    f"--shard-mb {huge or 'x'}")
            what = f"prepare idx --shard-mb '{huge}'"
        else:
            args, what = f"bench step --algo maml --meta-batch {huge or 'x'}", f"bench step --meta-batch '{huge}'"
        if kind in (0, 1) and huge == "":
            args += " ''"  # an empty value, as a shell would pass it
        status, out, hung = self.finish(self.start([self.binary] + split_keeping_empty(args)), 60)
        self.judge_refusal("malformed options", status, out, hung, what)
        if os.path.exists(out_dir):
            self.record("malformed options", "wrong success", f"{what}: --out was created")

    def damaged_store(self):
        copy = self.fresh("store")
        shutil.copytree(self.store, copy)
        files = sorted(os.listdir(copy))
        target = os.path.join(copy, self.rng.choice(files))
        as_nobody = os.geteuid() == 0 and shutil.which("setpriv") and self.rng.random() < 0.2
        if as_nobody:  # root reads any file: a permission fault needs another user
            os.chmod(self.root, 0o755)
            os.chmod(target, 0o000)
            what = f"{os.path.basename(target)}: mode 000, read by user nobody"
            status, out, hung = self.finish(self.start(
                ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", self.binary, "info", copy]), 60)
            self.judge_refusal("damaged stores", status, out, hung, what)
            return
        what = damage(self.rng, target, self.other)
        status, out, hung = self.cz(f"info {copy}", deadline=60)
        if hung or self.is_crash(status, out):
            self.record("damaged stores", "hang" if hung else "crash", f"{what} -> {self.gist(out)}")
            return
        status_eval, out_eval, hung_eval = self.cz(
            f"eval --baseline pixels --store {copy} --ways 3 --shots 1 --queries 2 --episodes 20")
        if status == 0:
            # info verified every checksum: the examples must be the reference's
            if hung_eval or status_eval != 0 or out_eval != self.baseline:
                self.record("damaged stores", "wrong success", f"{what}: info passed, eval -> {out_eval[-200:]}")
            else:
                self.record("damaged stores", "ok")  # damage to bytes nothing reads
            return
        # info's summary ends "checksums  FAILED: <file>: <object>: ..." when a dataset fails
        last = out.strip().splitlines()[-1] if out.strip() else ""
        if last.startswith("checksums  FAILED: "):
            last = "cezanne info: " + last
        self.judge_refusal("damaged stores", status, last + "\n", False, what)
        if status_eval == 0 and out_eval != self.baseline:
            self.record("damaged stores", "wrong success", f"{what}: eval ran on it -> {out_eval[-200:]}")

    def damaged_checkpoint(self):
        out_dir = self.fresh("ckpt")
        shutil.copytree(self.midway, out_dir)
        what = damage(self.rng, final(out_dir), None)
        self.resume_and_compare("damaged checkpoints", out_dir, 1, 3 * EVERY, what)

    def interrupted(self, fault):
        """A 2-rank run hit by `fault` at a random moment, then resumed to the end."""
        out_dir = self.fresh(fault)
        proc = self.start(MPIRUN + [self.binary, "train", "--store", self.store, "--out", out_dir]
                          + RUN.split() + (["--watchdog", "1"] if fault == "stopped rank" else []))
        # a stopped rank is only a fault while the run has work left (it lasts about a second)
        time.sleep(self.rng.uniform(0.0, 0.6 if fault == "stopped rank" else 1.2))
        ranks = rank_pids(proc.pid)
        victim = self.rng.choice(ranks) if ranks else None
        if fault == "kill -9":
            targets, sig = ([victim] if victim else []), signal.SIGKILL
        elif fault == "stopped rank":
            targets, sig = ([victim] if victim else []), signal.SIGSTOP
        else:
            who = self.rng.choice(["a rank", "every rank", "the launcher"])
            sig = self.rng.choice([signal.SIGUSR2, signal.SIGTERM])
            # A signal in the time between exec and main() (dynamic loading: about 80 ms with
            # CUDA's libraries) kills any program that has not yet installed its handler, and the
            # launcher forwards its signals to every rank, including one it has just started:
            # wait until both ranks exist and catch the signal.
            ranks = started_ranks(proc, 2)
            victim = self.rng.choice(ranks) if ranks else None
            catching(ranks, sig)
            targets = {"a rank": [victim] if victim else [], "every rank": ranks,
                       "the launcher": [proc.pid]}[who]
            fault = f"{signal.Signals(sig).name} to {who}"
        for pid in targets:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        done = finished(out_dir)  # the run had written its last checkpoint before the fault
        if fault == "stopped rank" and done:
            # Stopped after its last collective and MPI_Finalize: only the launcher waits for
            # the process (mpirun has no time limit for that). Not a fault of the run.
            for pid in targets:
                os.kill(pid, signal.SIGCONT)
            self.finish(proc, 60)
            self.record("stopped rank", "skipped")
            return
        status, out, hung = self.finish(proc, 60)
        what = f"{fault} (status {status}): {self.gist(out)}"
        category = {"kill -9": "kill -9 of a rank", "stopped rank": "stopped rank"}.get(
            fault, "stop signals")
        if hung:
            self.record(category, "hang", what)
            return
        # mpirun ends a SIGTERM with status 1 whatever the ranks did (docs/training.md); the
        # resume below judges what they left.
        sigterm_to_mpirun = fault == "SIGTERM to the launcher" and status == 1
        # mpirun ending, its ranks done, dies of the signal it no longer forwards
        launcher_after_the_run = "the launcher" in fault and status == -sig and done
        if category == "stop signals" and status not in (0, 75) and not (
                sigterm_to_mpirun or launcher_after_the_run):
            self.record(category, "crash", what)
            return
        reached = last_step(out_dir)
        self.resume_and_compare(category, out_dir, 2, reached, what)

    def stopped_rank(self):
        self.interrupted("stopped rank")

    def requeue_race(self):
        """A 2-task jobs/train.sbatch job, signalled or requeued at a random moment, its requeued
        start forced at once (the race of a restart right after the previous step)."""
        if not self.slurm():
            self.record("Slurm requeue races", "skipped")
            return
        out_dir = self.fresh("slurm")
        config = out_dir + ".ini"
        with open(config, "w") as f:
            f.write(f"store = {self.store}\nout = {out_dir}\n")
            words = SLURM_RUN.split()
            for key, value in zip(words[::2], words[1::2]):
                f.write(f"{key[2:]} = {value}\n")
        source = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        job = subprocess.run(["sbatch", "--parsable", f"--chdir={source}", f"--output={out_dir}.log",
                              f"--export=ALL,CEZANNE_BIN={self.binary},CEZANNE_MAX_REQUEUES=3",
                              "jobs/train.sbatch", config], capture_output=True, text=True)
        if job.returncode != 0:
            self.record("Slurm requeue races", "crash", f"sbatch: {job.stderr.strip()}")
            return
        job_id = job.stdout.strip().split(";")[0]
        time.sleep(self.rng.uniform(0.5, 6.0))
        action = self.rng.choice([["scancel", "--signal=USR2", job_id],
                                  ["scancel", "--full", "--signal=USR2", job_id],
                                  ["scontrol", "requeue", job_id]])
        subprocess.run(action, capture_output=True)
        what = " ".join(action[:-1])
        deadline = time.time() + 300
        while time.time() < deadline:
            queue = subprocess.run(["squeue", "-h", "-j", job_id, "-o", "%r"], capture_output=True,
                                   text=True).stdout.split()
            if not queue:
                break
            if "BeginTime" in queue:  # start the requeued job at once: the race
                subprocess.run(["scontrol", "update", f"JobId={job_id}", "StartTime=now"],
                               capture_output=True)
            time.sleep(0.5)
        else:
            subprocess.run(["scancel", job_id], capture_output=True)
            self.record("Slurm requeue races", "hang", what)
            return
        fields = dict(w.split("=", 1) for w in subprocess.run(
            ["scontrol", "-o", "show", "job", job_id], capture_output=True, text=True).stdout.split()
            if "=" in w)
        done = finished(out_dir, SLURM_STEPS)
        what += f": {fields.get('JobState')} after {fields.get('Restarts')} restart(s)"
        if fields.get("JobState") != "COMPLETED":
            self.record("Slurm requeue races", "clean error" if not done else "crash", what)
            self.notes.append(f"Slurm requeue races: {what} (run at step {last_step(out_dir)})")
        elif not done:
            self.record("Slurm requeue races", "wrong success", what + ", run unfinished")
        elif state(final(out_dir)) != self.slurm_reference():
            self.record("Slurm requeue races", "mismatch", what)
        else:
            self.record("Slurm requeue races", "ok")

    def slurm(self):
        if not hasattr(self, "slurm_ok"):
            up = subprocess.run(["sinfo", "-h"], capture_output=True).returncode == 0
            if not up and shutil.which("slurmctld"):
                script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "slurm",
                                      "local-slurm.sh")
                up = subprocess.run(["bash", script], capture_output=True).returncode == 0
            self.slurm_ok = up
        return self.slurm_ok

    def slurm_reference(self):
        if not hasattr(self, "slurm_state"):
            out_dir = os.path.join(self.root, "reference-slurm")
            status, out, _ = self.cz(f"train --store {self.store} --out {out_dir} {SLURM_RUN}", ranks=2)
            assert status == 0, out
            self.slurm_state = state(final(out_dir))
        return self.slurm_state

    def full_disk(self):
        disk = self.fresh("disk")
        os.makedirs(disk)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", disk],
                          capture_output=True).returncode != 0:
            self.record("full disk", "skipped")
            return
        try:
            out_dir = os.path.join(disk, "run")
            st = os.statvfs(disk)
            left = self.rng.randrange(0, 400_000)
            subprocess.run(["fallocate", "-l", str(max(1, st.f_bavail * st.f_frsize - left)),
                            os.path.join(disk, "filler")], check=True)
            status, out, hung = self.cz(f"train --store {self.store} --out {out_dir} {RUN}")
            what = f"{left} bytes free -> status {status}: {self.gist(out)}"
            if hung or self.is_crash(status, out):
                self.record("full disk", "hang" if hung else "crash", what)
                return
            if status != 0 and "No space left on device" not in out.strip().splitlines()[-1]:
                self.record("full disk", "crash", what)
                return
            os.remove(os.path.join(disk, "filler"))
            self.resume_and_compare("full disk", out_dir, 1, last_step(out_dir), what)
        finally:
            subprocess.run(["umount", disk], capture_output=True)

    # --- report ---------------------------------------------------------------------------

    def report(self, seconds):
        width = max(len(c) for c in self.counts) + 2
        print(f"\n{'fault':<{width}}{'trials':>7}" + "".join(f"{o:>15}" for o in OUTCOMES))
        total = collections.Counter()
        for category, counts in self.counts.items():
            trials = sum(counts[o] for o in OUTCOMES)
            total.update({o: counts[o] for o in OUTCOMES})
            print(f"{category:<{width}}{trials:>7}" + "".join(f"{counts[o]:>15}" for o in OUTCOMES)
                  + (f"   ({counts['skipped']} skipped)" if counts["skipped"] else ""))
        print(f"{'total':<{width}}{sum(total.values()):>7}" + "".join(f"{total[o]:>15}" for o in OUTCOMES))
        print(f"{sum(total.values())} trials in {seconds:.0f} s: "
              + ", ".join(f"{total[o]} {o}" for o in BAD))
        for note in self.notes:
            print("  " + note)
        return sum(total[o] for o in BAD) == 0


# --- helpers ---------------------------------------------------------------------------------

def split_keeping_empty(args):
    return ["" if word == "''" else word for word in args.split(" ") if word != ""]


def finished(out_dir, steps=STEPS):
    """Whether the run directory holds the checkpoint of its last step."""
    return os.path.exists(os.path.join(out_dir, f"checkpoint-{steps:08d}.h5"))


def final(out_dir):
    names = sorted(n for n in os.listdir(out_dir) if n.startswith("checkpoint-") and n.endswith(".h5"))
    return os.path.join(out_dir, names[-1])


def state(path):
    """Every parameter's and optimizer entry's bytes, and the step counters."""
    with h5py.File(path, "r") as f:
        out = {k: f.attrs[k].item() for k in ("step", "optimizer_steps")}
        for group in ("params", "optimizer"):
            for name in f[group]:
                out[f"{group}/{name}"] = f[group][name][()].tobytes()
    return out


def last_step(out_dir):
    """The last step rank 0 logged before the fault (metrics.jsonl), 0 for none."""
    try:
        with open(os.path.join(out_dir, "metrics.jsonl")) as f:
            steps = [int(line.split('"step":')[1].split(",")[0]) for line in f if '"step":' in line]
        return max(steps, default=0)
    except OSError:
        return 0


def catching(pids, sig, seconds=5.0):
    """Waits until every process of `pids` catches `sig` (/proc/PID/status SigCgt)."""
    deadline = time.time() + seconds
    for pid in pids:
        while time.time() < deadline:
            try:
                with open(f"/proc/{pid}/status") as f:
                    mask = next(int(line.split()[1], 16) for line in f if line.startswith("SigCgt"))
            except (OSError, StopIteration):
                break  # gone
            if mask & (1 << (sig - 1)):
                break
            time.sleep(0.002)


def started_ranks(proc, count, seconds=10.0):
    """The ranks below the launcher `proc` once `count` of them run cezanne (or it has ended)."""
    deadline = time.time() + seconds
    ranks = rank_pids(proc.pid)
    while len(ranks) < count and proc.poll() is None and time.time() < deadline:
        time.sleep(0.002)
        ranks = rank_pids(proc.pid)
    return ranks


def rank_pids(launcher):
    """The cezanne processes below the launcher."""
    children = collections.defaultdict(list)
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
                children[parent].append(int(pid))
            except (OSError, IndexError, ValueError):
                pass
    found, todo = [], [launcher]
    while todo:
        for child in children.get(todo.pop(), []):
            todo.append(child)
            try:
                with open(f"/proc/{child}/comm") as f:
                    if f.read().strip() == "cezanne":
                        found.append(child)
            except OSError:
                pass
    return found


def damage(rng, path, other_store):
    """Damages `path` one random way; returns what was done."""
    size = os.path.getsize(path)
    name = os.path.basename(path)
    kinds = ["flip", "truncate", "zero", "delete"] + (["swap"] if other_store else [])
    kind = rng.choice(kinds)
    if kind == "flip":
        with open(path, "r+b") as f:
            spots = sorted(rng.randrange(size) for _ in range(rng.choice([1, 1, 2, 8])))
            for at in spots:
                f.seek(at)
                byte = f.read(1)[0]
                f.seek(at)
                f.write(bytes([byte ^ (1 << rng.randrange(8))]))
        return f"{name}: bits flipped at {spots}"
    if kind == "truncate":
        keep = rng.randrange(size)
        os.truncate(path, keep)
        return f"{name}: truncated to {keep} of {size} bytes"
    if kind == "zero":
        at, length = rng.randrange(size), rng.choice([16, 512, 4096])
        with open(path, "r+b") as f:
            f.seek(at)
            f.write(bytes(min(length, size - at)))
        return f"{name}: {length} bytes zeroed at {at}"
    if kind == "delete":
        os.remove(path)
        return f"{name}: deleted"
    shutil.copyfile(os.path.join(other_store, name), path)
    return f"{name}: replaced by the same file of another store"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", default="quick", help="quick, full or a number per fault")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--binary", default=os.environ.get("CEZANNE_BINARY", "build/cezanne"))
    a = ap.parse_args()
    per = {"quick": 8, "full": 60}.get(a.trials) or int(a.trials)
    rng = random.Random(a.seed)
    start = time.time()
    with tempfile.TemporaryDirectory(prefix="cezanne-faults-") as root:
        suite = Suite(os.path.abspath(a.binary), root, rng)
        suite.setup()
        plan = ([suite.bad_options] * 3 + [suite.damaged_store] * 3 + [suite.damaged_checkpoint] * 2
                + [lambda: suite.interrupted("kill -9")] + [lambda: suite.interrupted("signal")] * 2
                + [suite.stopped_rank, suite.full_disk])
        if a.trials != "quick":
            plan.append(suite.requeue_race)
        for trial in range(per):
            for fault in plan:
                if fault in (suite.stopped_rank, suite.full_disk, suite.requeue_race) and trial % 3:
                    continue  # the slowest faults, every third round
                fault()
        ok = suite.report(time.time() - start)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
