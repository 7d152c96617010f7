#!/usr/bin/python3
"""The reference figures of `cezanne bench step`: the same meta-step in plain PyTorch with
cezanne's semantics (batch norm with batch statistics taken per task: over one task's support +
query set for ProtoNets, over the set being forwarded for MAML), functional parameters,
torch.autograd.grad for the inner loop and an Adam outer step. Prints one JSON line with the
same fields as `cezanne bench step` (tasks_per_s, meta_steps_per_s, peak_rss_mb and the
options), plus the variant and its batch norm (bn: per-task, across-tasks, or none for the MLP).

Variants (--variant), all but `batched` with cezanne's per-task batch norm:
  loop       one task at a time, a backward per task (the lowest memory)
  loop-sum   one task at a time, the task losses summed, one backward
  task-axis  all tasks in one pass on a task axis: per-task parameters, grouped convolutions
             (tasks side by side on the channel axis), batched matmuls
  batched    ProtoNets only: all tasks' images as one batch, so batch norm across tasks (as
             ProtoNets implementations usually do it; not cezanne's semantics)
  best       the fastest with cezanne's semantics: loop-sum for ProtoNets and MAML on Conv4,
             loop for first-order MAML on Conv4, task-axis for the sinusoid MLP

`best` was chosen by rounds of one process per variant, in turn (the order reversed every other
round), with bench/pytorch-vs-cezanne.sh's options, on the 2-core machine while a training job
ran at nice 5 (load 4-7, so single figures swing by 2x); medians in tasks/s:
  protonet      loop 6.5 / 5.7, loop-sum 7.5 / 7.4, task-axis 5.8, batched 5.5 (6 rounds with
                --iters 4 --warmup 1, then 6; loop-sum ahead of loop in 10 of the 12)
  maml conv4    loop 3.4, loop-sum 2.8, task-axis 3.2 (5 rounds)
  fomaml conv4  loop 5.7 / 3.5, loop-sum 4.5 / 3.7, task-axis 4.3 (5 + 6 rounds: loop and
                loop-sum even; loop kept, at half the memory)
  sinusoid      maml: loop 1533, loop-sum 1639, task-axis 8622; fomaml: loop 3371, loop-sum
                3701, task-axis 21891 (4 rounds, --threads 1)
On the quiet machine (nothing else running; 2 rounds, tasks/s): maml loop 11.6 / 10.4,
loop-sum 12.2 / 12.8, task-axis 10.4 / 10.6; protonet loop 13.9 / 18.0, loop-sum 17.4 / 17.4,
task-axis 11.2 / 11.9; so MAML's best is loop-sum there (loop under load).
functorch.vmap over the tasks (functorch.grad for the inner loop) was slower than the loop or
the task axis for every learner, and its second-order MAML gradient through batch norm is off
in PyTorch 1.13 (the conv biases get meta-gradients of 1e-2 instead of 0), so it is not here.

Needs Debian's python3-torch (PyTorch 1.13): apt-get install python3-torch. Run one algorithm
per process, so that peak_rss_mb is that algorithm's:

  /usr/bin/python3 bench/pytorch_reference.py --algo maml --model conv4 --threads 2
  /usr/bin/python3 bench/pytorch_reference.py --algo protonet --check   (the variants agree)
"""
import argparse
import functools
import json
import resource
import time

import torch
import torch.nn.functional as F

VARIANTS = ["loop", "loop-sum", "task-axis", "batched"]
BEST = {("maml", "conv4"): "loop-sum", ("fomaml", "conv4"): "loop", ("protonet", "conv4"): "loop-sum",
        ("maml", "mlp"): "task-axis", ("fomaml", "mlp"): "task-axis"}


def conv4_params(ways, filters, channels=1):
    params = []
    for c_in in (channels, filters, filters, filters):
        w = torch.empty(filters, c_in, 3, 3)
        torch.nn.init.kaiming_uniform_(w, a=5 ** 0.5)
        params += [w, torch.zeros(filters), torch.ones(filters), torch.zeros(filters)]
    head = torch.empty(ways, filters)
    torch.nn.init.kaiming_uniform_(head, a=5 ** 0.5)
    params += [head, torch.zeros(ways)]
    return [p.requires_grad_() for p in params]


def conv4_embed(params, x):
    """x [N, C, H, W] with shared parameters, or [T, N, C, H, W] with per-task parameters
    [T, ...]: then the tasks lie side by side on the channel axis, the convolutions are grouped
    by task and batch norm's per-channel statistics are per task."""
    on_task_axis = x.dim() == 5
    tasks = x.shape[0] if on_task_axis else 1
    if on_task_axis:
        x = x.transpose(0, 1).flatten(1, 2)  # [N, T * C, H, W]
    for i in range(4):
        w, b, gamma, beta = (p.flatten(0, 1) if on_task_axis else p
                             for p in params[4 * i:4 * i + 4])
        x = F.conv2d(x, w, b, padding=1, groups=tasks)
        x = F.batch_norm(x, None, None, gamma, beta, training=True)  # batch statistics
        x = F.max_pool2d(F.relu(x), 2)
    if not on_task_axis:
        return x.flatten(1)
    return x.unflatten(1, (tasks, -1)).transpose(0, 1).flatten(2)  # [T, N, D]


def linear(x, w, b):
    """F.linear, also for per-task parameters on a leading task axis (x [T, N, in])."""
    if w.dim() == 2:
        return F.linear(x, w, b)
    return torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))


def conv4_logits(params, x):
    return linear(conv4_embed(params, x), params[16], params[17])


def mlp_params():
    params = []
    for n_in, n_out in ((1, 40), (40, 40), (40, 1)):
        layer = torch.nn.Linear(n_in, n_out)
        params += [layer.weight.detach().clone(), layer.bias.detach().clone()]
    return [p.requires_grad_() for p in params]


def mlp_forward(params, x):
    x = F.relu(linear(x, params[0], params[1]))
    x = F.relu(linear(x, params[2], params[3]))
    return linear(x, params[4], params[5])


def cross_entropy(logits, labels):
    return F.cross_entropy(logits.flatten(0, -2), labels.flatten())


def maml_loss(forward, loss_fn, steps, lr, first_order, tasks, params, xs, ys, xq, yq):
    """The query loss after `steps` inner SGD steps on the support loss. On a task axis the
    loss is the mean over all tasks: times `tasks`, each task's parameters get the gradient of
    their own task's loss."""
    for _ in range(steps):
        grads = torch.autograd.grad(loss_fn(forward(params, xs), ys) * tasks, params,
                                    create_graph=not first_order)
        params = [p - lr * g for p, g in zip(params, grads)]
    return loss_fn(forward(params, xq), yq)


def protonet_loss(embed, ways, params, xs, ys, xq, yq):
    """Prototypes: the mean support embedding of each class (the support set is sorted by class);
    logits: minus the squared distances. The support and query sets are embedded together."""
    n = xs.shape[-4]
    e = embed(params, torch.cat([xs, xq], -4))
    prototypes = e[..., :n, :].unflatten(-2, (ways, -1)).mean(-2)
    return cross_entropy(-torch.cdist(e[..., n:, :], prototypes) ** 2, yq)


def fold_tasks(embed, params, x):
    """The task axis folded into the batch: one batch norm over all tasks' images."""
    return embed(params, x.flatten(0, 1)).unflatten(0, x.shape[:2])


def loop(task_loss, params, batch, backward_per_task):
    """One task at a time: a backward per task (the lowest memory), or one of the summed losses."""
    tasks = len(batch[0])
    total = 0.0
    for t in range(tasks):
        loss = task_loss(params, *(b[t] for b in batch)) / tasks
        if backward_per_task:
            loss.backward()
            loss = loss.detach()
        total = total + loss
    if not backward_per_task:
        total.backward()
    return float(total)


def one_pass(task_loss, params, batch, expand):
    """All tasks in one pass: the parameters expanded to one copy per task, or shared."""
    tasks = len(batch[0])
    loss = task_loss([p.expand(tasks, *p.shape) for p in params] if expand else params, *batch)
    loss.backward()
    return float(loss)


def meta_backward(a, variant):
    """fn(params, batch): the meta-loss's backward; returns the meta-loss."""
    if a.algo == "protonet":
        embed = functools.partial(fold_tasks, conv4_embed) if variant == "batched" else conv4_embed
        task_loss = functools.partial(protonet_loss, embed, a.ways)
    else:
        forward, loss_fn = ((conv4_logits, cross_entropy) if a.model == "conv4" else
                            (mlp_forward, F.mse_loss))
        tasks = a.meta_batch if variant == "task-axis" else 1
        task_loss = functools.partial(maml_loss, forward, loss_fn, a.inner_steps, a.inner_lr,
                                      a.algo == "fomaml", tasks)
    return {"loop": functools.partial(loop, task_loss, backward_per_task=True),
            "loop-sum": functools.partial(loop, task_loss, backward_per_task=False),
            "task-axis": functools.partial(one_pass, task_loss, expand=True),
            "batched": functools.partial(one_pass, task_loss, expand=False)}[variant]


def adam_meta_step(step, params, batch):
    """The timed unit: one meta-step, step(params, batch) (a meta_backward) and Adam(1e-3)'s update."""
    opt = torch.optim.Adam(params, lr=1e-3)

    def meta_step():
        opt.zero_grad()
        step(params, batch)
        opt.step()
    return meta_step


def variants(a):
    return VARIANTS if a.algo == "protonet" else VARIANTS[:-1]


def setup(a):
    """The seeded parameters and the meta-batch (support x, y, query x, y; task axis first)."""
    torch.manual_seed(a.seed)
    t = a.meta_batch
    if a.model == "conv4":
        params = conv4_params(a.ways, a.filters)
        if a.algo == "protonet":
            params = params[:16]  # no head
        xs = torch.randn(t, a.ways * a.shots, 1, a.image, a.image)
        xq = torch.randn(t, a.ways * a.queries, 1, a.image, a.image)
        ys = torch.arange(a.ways).repeat_interleave(a.shots).expand(t, -1)
        yq = torch.arange(a.ways).repeat_interleave(a.queries).expand(t, -1)
        return params, (xs, ys, xq, yq)
    params = mlp_params()
    xs = torch.rand(t, a.shots, 1) * 10 - 5
    xq = torch.rand(t, a.queries, 1) * 10 - 5
    return params, (xs, torch.sin(xs), xq, torch.sin(xq))


def check(a):
    """Each variant's meta-loss and gradient against the loop's, from the same parameters."""
    def run(variant):
        params, batch = setup(a)
        loss = meta_backward(a, variant)(params, batch)
        return loss, torch.cat([p.grad.flatten() for p in params])

    ref_loss, ref_grad = run("loop")
    for variant in variants(a)[1:]:
        loss, grad = run(variant)
        grad_err = float((grad - ref_grad).norm() / ref_grad.norm())
        same = variant != "batched"
        print(f"{variant}: meta-loss {loss:.6f} (loop {ref_loss:.6f}), gradient's relative "
              f"difference {grad_err:.1e}" + ("" if same else " (batch norm across tasks)"))
        if same:
            assert abs(loss - ref_loss) <= 1e-5 * abs(ref_loss) and grad_err <= 1e-4, variant


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--algo", choices=["maml", "fomaml", "protonet"], default="maml")
    ap.add_argument("--model", choices=["conv4", "mlp"], default="conv4")
    ap.add_argument("--variant", choices=["best", *VARIANTS], default="best")
    ap.add_argument("--ways", type=int, default=5)
    ap.add_argument("--shots", type=int, default=1)
    ap.add_argument("--queries", type=int, default=15)
    ap.add_argument("--meta-batch", type=int, default=8)
    ap.add_argument("--inner-steps", type=int, default=1)
    ap.add_argument("--inner-lr", type=float, default=0.4)
    ap.add_argument("--image", type=int, default=28)
    ap.add_argument("--filters", type=int, default=64)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check", action="store_true",
                    help="compare the variants' meta-loss and gradient with the loop's and exit")
    a = ap.parse_args()
    if a.model == "mlp" and a.algo == "protonet":
        ap.error("--model mlp: maml or fomaml")
    if a.variant == "best":
        a.variant = BEST[a.algo, a.model]
    if a.variant not in variants(a):
        ap.error(f"--variant {a.variant}: ProtoNets only")
    torch.set_num_threads(a.threads)
    if a.check:
        check(a)
        return

    params, batch = setup(a)
    meta_step = adam_meta_step(meta_backward(a, a.variant), params, batch)
    for _ in range(a.warmup):
        meta_step()
    start = time.perf_counter()
    for _ in range(a.iters):
        meta_step()
    seconds = time.perf_counter() - start
    options = {k: v for k, v in vars(a).items() if k != "check"}
    out = {"framework": f"pytorch {torch.__version__}", **options,
           "bn": "none" if a.model == "mlp" else
           "across-tasks" if a.variant == "batched" else "per-task",
           "tasks_per_s": a.iters * a.meta_batch / seconds, "meta_steps_per_s": a.iters / seconds,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
