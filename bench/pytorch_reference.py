#!/usr/bin/python3
"""The reference figures of `cezanne bench step`, measured the way PyTorch meta-learning
libraries do it: functional parameters, torch.autograd.grad for the inner loop, a loop over
the tasks of the meta-batch, an Adam outer step. Prints one JSON line with the same fields as
`cezanne bench step` (tasks_per_s, meta_steps_per_s, peak_rss_mb and the options).

Needs Debian's python3-torch (PyTorch 1.13): apt-get install python3-torch. Run one
algorithm per process, so that peak_rss_mb is that algorithm's:

  /usr/bin/python3 bench/pytorch_reference.py --algo maml --model conv4 --threads 2
"""
import argparse
import json
import resource
import time

import torch
import torch.nn.functional as F


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
    for i in range(4):
        w, b, gamma, beta = params[4 * i:4 * i + 4]
        x = F.conv2d(x, w, b, padding=1)
        x = F.batch_norm(x, None, None, gamma, beta, training=True)  # batch statistics
        x = F.max_pool2d(F.relu(x), 2)
    return x.flatten(1)


def conv4_logits(params, x):
    return F.linear(conv4_embed(params, x), params[16], params[17])


def mlp_params():
    params = []
    for n_in, n_out in ((1, 40), (40, 40), (40, 1)):
        layer = torch.nn.Linear(n_in, n_out)
        params += [layer.weight.detach().clone(), layer.bias.detach().clone()]
    return [p.requires_grad_() for p in params]


def mlp_forward(params, x):
    x = F.relu(F.linear(x, params[0], params[1]))
    x = F.relu(F.linear(x, params[2], params[3]))
    return F.linear(x, params[4], params[5])


def adapt(forward, loss_fn, params, x, y, steps, lr, first_order):
    for _ in range(steps):
        grads = torch.autograd.grad(loss_fn(forward(params, x), y), params,
                                    create_graph=not first_order)
        params = [p - lr * g for p, g in zip(params, grads)]
    return params


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--algo", choices=["maml", "fomaml", "protonet"], default="maml")
    ap.add_argument("--model", choices=["conv4", "mlp"], default="conv4")
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
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    if a.model == "conv4":
        params = conv4_params(a.ways, a.filters)
        n_support, n_query = a.ways * a.shots, a.ways * a.queries
        xs = torch.randn(a.meta_batch, n_support, 1, a.image, a.image)
        xq = torch.randn(a.meta_batch, n_query, 1, a.image, a.image)
        ys = torch.arange(a.ways).repeat_interleave(a.shots)
        yq = torch.arange(a.ways).repeat_interleave(a.queries)
        forward, loss_fn = conv4_logits, F.cross_entropy
    else:
        if a.algo == "protonet":
            ap.error("--model mlp: maml or fomaml")
        params = mlp_params()
        xs = torch.rand(a.meta_batch, a.shots, 1) * 10 - 5
        xq = torch.rand(a.meta_batch, a.queries, 1) * 10 - 5
        ys, yq = torch.sin(xs), torch.sin(xq)
        forward, loss_fn = mlp_forward, F.mse_loss
    opt = torch.optim.Adam(params, lr=1e-3)

    def meta_step():
        opt.zero_grad()
        if a.algo == "protonet":
            # One batch through the embedding, as ProtoNets implementations do.
            images = torch.cat([xs.flatten(0, 1), xq.flatten(0, 1)])
            e = conv4_embed(params, images)
            es = e[:xs.shape[0] * xs.shape[1]].view(a.meta_batch, a.ways, a.shots, -1)
            eq = e[xs.shape[0] * xs.shape[1]:].view(a.meta_batch, n_query, -1)
            prototypes = es.mean(2)
            logits = -torch.cdist(eq, prototypes) ** 2
            loss = F.cross_entropy(logits.flatten(0, 1), yq.repeat(a.meta_batch))
            loss.backward()
        else:
            meta_batch_backward()
        opt.step()

    def meta_batch_backward():
        for t in range(a.meta_batch):  # one task at a time, backward per task (lowest memory)
            fast = adapt(forward, loss_fn, params, xs[t], ys if a.model == "conv4" else ys[t],
                         a.inner_steps, a.inner_lr, a.algo == "fomaml")
            query_loss = loss_fn(forward(fast, xq[t]), yq if a.model == "conv4" else yq[t])
            (query_loss / a.meta_batch).backward()

    for _ in range(a.warmup):
        meta_step()
    start = time.perf_counter()
    for _ in range(a.iters):
        meta_step()
    seconds = time.perf_counter() - start
    out = {"framework": f"pytorch {torch.__version__}", **vars(a),
           "tasks_per_s": a.iters * a.meta_batch / seconds, "meta_steps_per_s": a.iters / seconds,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
