#!/usr/bin/env python3
"""The PyTorch peers of issue 21's rows: each meta-step as a loop over tasks (learn2learn style)
and with torch.func (vmap over the tasks, grad for the inner loop), on a GPU or, as a smoke
test, on the CPU. Prints one JSON line per row and variant.

The models, losses and the loop variant are bench/pytorch_reference.py's (Conv4 with conv bias,
batch norm on batch statistics per task, the sinusoid MLP 1-40-40-1 ReLU, Adam outer step), so
the peers compute what `cezanne bench step` computes:

  loop   one task at a time: inner steps with torch.autograd.grad (create_graph for
         second-order MAML), the query loss, a backward per task (learn2learn's examples)
  vmap   torch.func.vmap over the tasks of a per-task loss whose inner steps use
         torch.func.grad, one backward of the mean (functorch's MAML example); batch norm's
         statistics are per task because vmap maps them. functorch on PyTorch 1.13.

The rows (--rows; their sizes are issue 21's, the rest bench step's defaults):

  maml         second-order MAML, Conv4 (64 filters), 28x28, 5-way 1-shot 15 queries, 1 inner
               step (lr 0.4), meta-batch 32
  fomaml       the same, first-order
  maml-20way   second-order MAML, 20-way 1-shot 15 queries, 5 inner steps, meta-batch 16
  protonet     ProtoNets, Conv4, 5-way 1-shot 15 queries, meta-batch 32
  sinusoid     second-order MAML on sinusoids, K = 10 support and 10 query points, 1 inner step
               (lr 0.01), meta-batch 25

Timing: --warmup untimed steps, then --iters steps between two CUDA events (wall clock on the
CPU); tasks_per_s = iters * meta_batch / seconds. Memory: peak_mb is
torch.cuda.max_memory_allocated over the timed steps (reset after warm-up, so parameters, Adam's
moments and the batch count, as in bench step's peak_allocated_mb); on the CPU the process's
peak RSS, which only grows from row to row. TF32 is off unless --tf32 (cezanne computes in f32).
Before timing, each vmap line's meta-gradient is compared with the loop's from the same
parameters and batch (grad_vs_loop: relative L2 difference).

Without torch, --cezanne-options and --table still work (bench/gpu-vs-torch.sh uses them), and
--table puts the issue's quoted figures (H200, PyTorch 2.11) where no peer was measured:

  python3 bench/torch_peers.py --device cuda                        # every row, both variants
  /usr/bin/python3 bench/torch_peers.py --device cpu --meta-batch 2 --iters 1 --warmup 0
  python3 bench/torch_peers.py --cezanne-options maml               # bench step's options
  python3 bench/torch_peers.py --table DIR                          # DIR/cezanne-ROW.json, DIR/torch.jsonl
"""
import argparse
import gc
import json
import os
import resource
import sys
import time
import types

# Each row: bench step's options (the peers read the same ones), and issue 21's figures on an
# H200 with PyTorch 2.11: tasks/s of the loop and of vmap, vmap's memory in GB where quoted.
ROWS = {
    "maml": dict(algo="maml", model="conv4", ways=5, shots=1, queries=15, meta_batch=32,
                 inner_steps=1, inner_lr=0.4, label="MAML 2nd order 5w1s"),
    "fomaml": dict(algo="fomaml", model="conv4", ways=5, shots=1, queries=15, meta_batch=32,
                   inner_steps=1, inner_lr=0.4, label="MAML 1st order 5w1s"),
    "maml-20way": dict(algo="maml", model="conv4", ways=20, shots=1, queries=15, meta_batch=16,
                       inner_steps=5, inner_lr=0.4, label="MAML 20w1s 5 steps"),
    "protonet": dict(algo="protonet", model="conv4", ways=5, shots=1, queries=15, meta_batch=32,
                     inner_steps=1, inner_lr=0.4, label="ProtoNets 5w1s"),
    "sinusoid": dict(algo="maml", model="mlp", ways=1, shots=10, queries=10, meta_batch=25,
                     inner_steps=1, inner_lr=0.01, label="sinusoid MAML K10"),
}
# Timed and warm-up steps on a GPU: about a second of the loop's steps at the speeds.
ITERS = {"maml": (10, 3), "fomaml": (10, 3), "maml-20way": (5, 2), "protonet": (10, 3),
         "sinusoid": (50, 5)}
QUOTED = {"maml": (79, 925, 3.4), "fomaml": (199, 1126, None), "maml-20way": (17, 116, 10.0),
          "protonet": (214, None, None), "sinusoid": (302, 3067, None)}
# The goals: cezanne's speed over vmap's (ProtoNets: over PyTorch's best), and for MAML
# no more memory than vmap.
GOALS = {"maml": (3.0, True), "protonet": (3.0, False), "sinusoid": (3.0, False)}
FILTERS, IMAGE = 64, 28
VARIANTS = ["loop", "vmap"]


def cezanne_options(row, a):
    """`cezanne bench step`'s options for a row: every task of a rank in one pass (the task
    axis over the whole meta-batch, as vmap holds every task at once), the same step counts."""
    r = settings(row, a)
    opts = [f"--algo={r.algo}", f"--model={r.model}", f"--shots={r.shots}",
            f"--queries={r.queries}", f"--meta-batch={r.meta_batch}",
            f"--tasks-per-pass={r.meta_batch}", f"--iters={r.iters}", f"--warmup={r.warmup}"]
    if r.algo != "protonet":
        opts += [f"--inner-steps={r.inner_steps}", f"--inner-lr={r.inner_lr}"]
    if r.model == "conv4":
        opts += [f"--ways={r.ways}", f"--image={IMAGE}", f"--filters={FILTERS}"]
    return opts


def settings(row, a):
    """A row's settings with --meta-batch, --iters and --warmup where given (pytorch_reference's
    setup and meta_backward read them)."""
    r = dict(ROWS[row], image=IMAGE, filters=FILTERS, seed=a.seed)
    r["iters"], r["warmup"] = ITERS[row]
    for k in ("meta_batch", "iters", "warmup"):
        if getattr(a, k) is not None:
            r[k] = getattr(a, k)
    return types.SimpleNamespace(**r)


def vmap_meta_loss(ref, s, func):
    """fn(params, batch): the mean over tasks of the per-task loss, vmapped over the task axis."""
    import torch.nn.functional as F
    if s.algo == "protonet":
        def task_loss(params, xs, ys, xq, yq):
            return ref.protonet_loss(ref.conv4_embed, s.ways, params, xs, ys, xq, yq)
    else:
        forward, loss_fn = ((ref.conv4_logits, ref.cross_entropy) if s.model == "conv4" else
                            (ref.mlp_forward, F.mse_loss))

        def task_loss(params, xs, ys, xq, yq):
            for _ in range(s.inner_steps):
                grads = func.grad(lambda p: loss_fn(forward(p, xs), ys))(params)
                if s.algo == "fomaml":
                    grads = [g.detach() for g in grads]
                params = [p - s.inner_lr * g for p, g in zip(params, grads)]
            return loss_fn(forward(params, xq), yq)

    def meta_loss(params, batch):
        loss = func.vmap(task_loss, in_dims=(None, 0, 0, 0, 0))(params, *batch).mean()
        loss.backward()
        return loss.detach()

    return meta_loss


def meta_backward(ref, s, variant, func):
    if variant == "loop":
        return ref.meta_backward(s, "loop")
    return vmap_meta_loss(ref, s, func)


def setup(ref, s, device):
    """The row's seeded parameters and meta-batch (pytorch_reference.setup's), on `device`."""
    params, batch = ref.setup(s)
    return ([p.detach().to(device).requires_grad_() for p in params],
            tuple(b.to(device) for b in batch))


def meta_gradient(ref, s, variant, func, device):
    import torch
    params, batch = setup(ref, s, device)
    meta_backward(ref, s, variant, func)(params, batch)
    return torch.cat([p.grad.flatten() for p in params])


def measure(ref, s, variant, func, a, device):
    import torch
    cuda = device.type == "cuda"
    params, batch = setup(ref, s, device)
    meta_step = ref.adam_meta_step(meta_backward(ref, s, variant, func), params, batch)
    for _ in range(s.warmup):
        meta_step()
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
    else:
        begin = time.perf_counter()
    for _ in range(s.iters):
        meta_step()
    if cuda:
        end.record()
        end.synchronize()
        seconds = start.elapsed_time(end) / 1000
        peak = torch.cuda.max_memory_allocated(device) / 2 ** 20
    else:
        seconds = time.perf_counter() - begin
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return seconds, peak


def run_row(row, variant, ref, func, a, device):
    import torch
    s = settings(row, a)
    out = {"framework": f"pytorch {torch.__version__}", "row": row, "variant": variant,
           **{k: v for k, v in vars(s).items() if k != "label"},
           "device": str(device), "tf32": a.tf32}
    if device.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(device)
    try:
        if variant == "vmap" and a.check:
            loop_grad = meta_gradient(ref, s, "loop", func, device)
            vmap_grad = meta_gradient(ref, s, "vmap", func, device)
            out["grad_vs_loop"] = float((vmap_grad - loop_grad).norm() / loop_grad.norm())
        seconds, peak = measure(ref, s, variant, func, a, device)
        out.update(seconds=seconds, tasks_per_s=s.iters * s.meta_batch / seconds,
                   meta_steps_per_s=s.iters / seconds, peak_mb=peak,
                   memory="max_memory_allocated" if device.type == "cuda" else "peak_rss")
    except Exception as e:  # noqa: BLE001 -- one row's failure (out of memory, a missing
        # batching rule) is that row's result, not the end of the others
        out["error"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    finally:
        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
    print(json.dumps(out), flush=True)


def functional():
    """torch.func (PyTorch >= 2.0), else functorch (1.13)."""
    try:
        import torch.func as func
    except ImportError:
        import functorch as func
    return func


def measure_rows(a):
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import pytorch_reference as ref
    device = torch.device(a.device)
    if device.type == "cuda":
        if hasattr(torch.backends, "fp32_precision"):  # PyTorch >= 2.9; the flags below deprecated
            mode = "tf32" if a.tf32 else "ieee"
            torch.backends.cuda.matmul.fp32_precision = mode
            torch.backends.cudnn.conv.fp32_precision = mode
        else:
            torch.backends.cuda.matmul.allow_tf32 = a.tf32
            torch.backends.cudnn.allow_tf32 = a.tf32
    else:
        torch.set_num_threads(a.threads)
    func = functional()
    for row in a.rows:
        for variant in a.variants:
            run_row(row, variant, ref, func, a, device)


def read_lines(path):
    """The JSON lines of a file (none if it is missing); a line that is not JSON is skipped."""
    if not os.path.exists(path):
        return []
    out = []
    with open(path) as f:
        for line in f:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def table(directory, rows):
    """The side-by-side table of DIR/cezanne-ROW.json (bench step's line, or its error text) and
    DIR/torch.jsonl (this script's lines); the issue's figures where a peer was not measured."""
    peers = {(p["row"], p["variant"]): p for p in read_lines(os.path.join(directory, "torch.jsonl"))}
    status = ""  # how the peers' process ended, if it failed (gpu-vs-torch.sh's torch.status)
    if os.path.exists(os.path.join(directory, "torch.status")):
        with open(os.path.join(directory, "torch.status")) as f:
            status = f.read().strip()
    measured = any("tasks_per_s" in p for p in peers.values())
    head = next(iter(peers.values()), {})
    print(f"peers: {head.get('framework', 'none measured')}"
          + (f" on {head.get('gpu', head.get('device'))}, tf32 {head.get('tf32')}" if head else "")
          + ("" if measured else "; the peer columns are issue 21's quoted figures (H200, "
             "PyTorch 2.11; its GB taken as 1e9 bytes), marked q")
          + "; MB = 2^20 bytes")
    print(f"{'row':<26} {'cezanne':>17} {'pytorch loop':>17} {'pytorch vmap':>17} "
          f"{'speed/vmap':>10} {'mem/vmap':>8}  goal")
    print(f"{'':<26} {'tasks/s':>9} {'MB':>7} {'tasks/s':>9} {'MB':>7} {'tasks/s':>9} {'MB':>7}")

    def cell(speed, mb, quoted=False):
        q = "q" if quoted else " "
        return (f"{speed:>8.{1 if speed >= 1 else 3}f}{q}" if speed is not None else f"{'-':>9}") + \
               (f" {mb:>6.{0 if mb >= 10 else 1}f}{q}" if mb is not None else f" {'-':>7}")

    notes = []
    for row in rows:
        path = os.path.join(directory, f"cezanne-{row}.json")
        ours = read_lines(path)
        ours = ours[-1] if ours else None
        if ours is None and os.path.exists(path):
            with open(path) as f:
                text = [line.strip() for line in f if line.strip()]
            notes.append(f"{row}: cezanne failed: {text[-1] if text else 'no output'}")
        # Memory as the peers count it: allocated device memory on a GPU, the process on the CPU.
        cz = (None, None) if ours is None else (
            ours["tasks_per_s"],
            ours["peak_rss_mb" if ours["device"].startswith("cpu") else "peak_allocated_mb"])
        cols = {}
        meta_batch = ours["meta_batch"] if ours else None
        for i, variant in enumerate(VARIANTS):
            p = peers.get((row, variant), {})
            meta_batch = meta_batch or p.get("meta_batch")
            if "tasks_per_s" in p:
                cols[variant] = (p["tasks_per_s"], p["peak_mb"], False)
            elif not measured:
                speed, gb = QUOTED[row][i], QUOTED[row][2] if variant == "vmap" else None
                cols[variant] = (speed, gb * 1e9 / 2 ** 20 if gb else None, True)
            else:
                cols[variant] = (None, None, False)
                notes.append(f"{row}: pytorch {variant} " + (
                    f"failed: {p['error']}" if "error" in p else
                    f"not measured: the peers' process {status or 'did not run it'}"))
            if "grad_vs_loop" in p:
                notes.append(f"{row}: vmap's meta-gradient vs the loop's: {p['grad_vs_loop']:.1e} "
                             "relative")
        ref = cols["vmap"]
        if row == "protonet":  # the goal is against PyTorch's best
            ref = max((c for c in cols.values() if c[0] is not None), default=(None, None, False))
        speed = f"{cz[0] / ref[0]:.2f}x" if cz[0] and ref[0] else "-"
        memory = f"{cz[1] / ref[1]:.2f}" if cz[1] and ref[1] else "-"
        goal = ""
        if row in GOALS and cz[0]:
            need, memory_too = GOALS[row]
            goal = f">= {need:g}x" + (" PyTorch's best" if row == "protonet" else "") + (
                ", no more memory" if memory_too else "")
            if ref[0] is None:
                goal += ": no peer to compare with"
            else:
                met = cz[0] >= need * ref[0] and (not memory_too or (ref[1] and cz[1] <= ref[1]))
                goal += ": met" if met else ": not met"
        label = ROWS[row]["label"] + (f" mb{meta_batch}" if meta_batch else "")
        print(f"{label:<26} {cell(*cz)} {cell(*cols['loop'])} {cell(*cols['vmap'])} "
              f"{speed:>10} {memory:>8}  {goal}")
    for n in notes:
        print("  " + n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu (a smoke test)")
    ap.add_argument("--rows", default=",".join(ROWS), help="comma-separated: " + ", ".join(ROWS))
    ap.add_argument("--variants", default=",".join(VARIANTS), help="loop, vmap or both")
    ap.add_argument("--meta-batch", type=int, help="every row's meta-batch (default: the row's)")
    ap.add_argument("--iters", type=int, help="timed meta-steps (default: the row's)")
    ap.add_argument("--warmup", type=int, help="untimed meta-steps first (default: the row's)")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (--device cpu)")
    ap.add_argument("--tf32", action="store_true", help="TF32 matmuls and convolutions")
    ap.add_argument("--no-check", dest="check", action="store_false",
                    help="skip the comparison of vmap's meta-gradient with the loop's")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cezanne-options", metavar="ROW",
                    help="print `cezanne bench step`'s options for ROW and exit")
    ap.add_argument("--table", metavar="DIR", help="print the side-by-side table of DIR and exit")
    a = ap.parse_args()
    a.rows = a.rows.split(",")
    a.variants = a.variants.split(",")
    for row in a.rows + ([a.cezanne_options] if a.cezanne_options else []):
        if row not in ROWS:
            ap.error(f"--rows: unknown row '{row}' (rows: {', '.join(ROWS)})")
    for variant in a.variants:
        if variant not in VARIANTS:
            ap.error(f"--variants: unknown variant '{variant}' (loop or vmap)")
    for name, low in (("meta_batch", 1), ("iters", 1), ("warmup", 0)):
        if getattr(a, name) is not None and getattr(a, name) < low:
            ap.error(f"--{name.replace('_', '-')}: at least {low}, got {getattr(a, name)}")
    if a.cezanne_options:
        print(" ".join(cezanne_options(a.cezanne_options, a)))
    elif a.table:
        table(a.table, a.rows)
    else:
        measure_rows(a)


if __name__ == "__main__":
    main()
