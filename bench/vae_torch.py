#!/usr/bin/env python3
"""The PyTorch reference of `cezanne train --algo vae`: the same MLP VAE, initialization scheme,
optimizer, steps and batch on the same store split, and the same evaluation examples and bounds.

Model: encoder D-H-2L (relu), decoder L-H-D (relu), Bernoulli pixels (logits); weights of hidden
layers U(+-sqrt(2) sqrt(3 / fan_in)), of heads U(+-sqrt(3 / fan_in)), biases zero (cezanne's
kaiming_uniform, docs/engine-nn.md); Adam(lr, 0.9, 0.999, 1e-8). A step: a batch of ROWS x
EXAMPLES examples of --train-split (or of --train-ids: the train part of a cezanne run split by
example, as `cezanne eval --list-examples` lists it) drawn uniformly (each row distinct examples, as cezanne's
UnlabelledSource; PyTorch's own generator, so not the same batches), loss = mean over the batch
of the negative ELBO (one reparameterized sample, analytic KL, --beta). Evaluation: example
floor(i n / N) of --split for i < N (the split's examples class by class in store order, as
cezanne eval; or of --eval-ids, in its order), ELBO (analytic KL, averaged over k samples) and the k-sample importance-weighted
bound on the same k samples, in nats per example. Prints one JSON line like cezanne eval's.

    /usr/bin/python3 bench/vae_torch.py --store data/glyphs --steps 1000 --seed 0
"""
import argparse
import json
import math
import time

import h5py
import numpy as np
import torch


def read_split(store, split=None):
    """Every example of the classes of `split` (0 train, 1 val, 2 test; None: every class) as
    float32 [n, D] in [0, 1], class by class in store order."""
    with h5py.File(f"{store}/manifest.h5", "r") as m:
        splits = m["classes/split"][:]
        shards = m["classes/shard"][:]
        names = [n.decode() for n in m["shards/name"][:]]
        firsts = m["shards/first_class"][:]
    parts, files = [], {}
    for k in range(len(splits)) if split is None else np.nonzero(splits == split)[0]:
        s = shards[k]
        if s not in files:
            files[s] = h5py.File(f"{store}/{names[s]}", "r")
        f = files[s]
        lo, hi = f["class_offsets"][k - firsts[s]], f["class_offsets"][k - firsts[s] + 1]
        parts.append(f["examples"][lo:hi])
    for f in files.values():
        f.close()
    x = np.concatenate(parts).astype(np.float32) / 255.0
    return torch.from_numpy(x.reshape(len(x), -1))


def read_ids(store, path):
    """The examples whose store ids (over every class, in store order) a `cezanne eval
    --list-examples` line at `path` lists, in its order."""
    with open(path) as f:
        ids = json.load(f)["example_ids"]
    return read_split(store)[torch.tensor(ids, dtype=torch.long)]


def linear(fan_in, fan_out, gain):
    layer = torch.nn.Linear(fan_in, fan_out)
    bound = gain * math.sqrt(3.0 / fan_in)
    torch.nn.init.uniform_(layer.weight, -bound, bound)
    torch.nn.init.zeros_(layer.bias)
    return layer


class Vae(torch.nn.Module):
    def __init__(self, d, h, l):
        super().__init__()
        self.l = l
        self.encoder = torch.nn.Sequential(linear(d, h, math.sqrt(2)), torch.nn.ReLU(), linear(h, 2 * l, 1.0))
        self.decoder = torch.nn.Sequential(linear(l, h, math.sqrt(2)), torch.nn.ReLU(), linear(h, d, 1.0))

    def encode(self, x):
        out = self.encoder(x)
        return out[..., : self.l], out[..., self.l:]

    def log_likelihood(self, x, z):  # Bernoulli log p(x|z), summed over pixels
        logits = self.decoder(z)
        return (x * logits - torch.nn.functional.softplus(logits)).sum(-1)


def kl(mean, log_variance):
    return 0.5 * (mean * mean + log_variance.exp() - 1 - log_variance).sum(-1)


def bounds(model, x, k, chunk=500):
    """(ELBO, k-sample bound) of one example x [D]."""
    mean, log_variance = model.encode(x[None])
    sigma = (0.5 * log_variance).exp()
    log_w, ll_sum = [], 0.0
    for done in range(0, k, chunk):
        eps = torch.randn(min(chunk, k - done), 1, model.l, dtype=x.dtype)
        z = mean + sigma * eps
        ll = model.log_likelihood(x[None], z)  # [c, 1]
        w = ll + 0.5 * (eps * eps - z * z).sum(-1) + 0.5 * log_variance.sum(-1)
        log_w.append(w.flatten())
        ll_sum += ll.sum().item()
    log_w = torch.cat(log_w).double()
    return ll_sum / k - kl(mean, log_variance).item(), (torch.logsumexp(log_w, 0) - math.log(k)).item()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--store", required=True)
    p.add_argument("--train-split", type=int, default=0)
    p.add_argument("--split", type=int, default=2, help="evaluation split: 0 train, 1 val, 2 test")
    p.add_argument("--train-ids", help="instead of --train-split: the examples of a cezanne eval --list-examples line")
    p.add_argument("--eval-ids", help="instead of --split: the examples of a cezanne eval --list-examples line")
    p.add_argument("--hidden", type=int, default=400)
    p.add_argument("--latent", type=int, default=20)
    p.add_argument("--rows", type=int, default=4, help="cezanne's --meta-batch")
    p.add_argument("--examples", type=int, default=25, help="cezanne's --examples-per-task")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--eval-examples", type=int, default=200)
    p.add_argument("--iwae-samples", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    train = read_ids(a.store, a.train_ids) if a.train_ids else read_split(a.store, a.train_split)
    test = read_ids(a.store, a.eval_ids) if a.eval_ids else read_split(a.store, a.split)
    model = Vae(train.shape[1], a.hidden, a.latent)
    adam = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    start = time.time()
    for _ in range(a.steps):
        picks = torch.cat([torch.randperm(len(train))[: a.examples] for _ in range(a.rows)])
        x = train[picks]
        mean, log_variance = model.encode(x)
        z = mean + (0.5 * log_variance).exp() * torch.randn_like(mean)
        loss = -(model.log_likelihood(x, z) - a.beta * kl(mean, log_variance)).mean()
        adam.zero_grad()
        loss.backward()
        adam.step()
    train_seconds = time.time() - start
    n = len(test)
    count = min(a.eval_examples, n)
    elbo, iwae = [], []
    with torch.no_grad():
        for i in range(count):
            e, w = bounds(model, test[i * n // count], a.iwae_samples)
            elbo.append(e)
            iwae.append(w)

    def summary(v):
        v = np.array(v)
        return {"mean": float(v.mean()), "ci95": float(1.96 * v.std() / math.sqrt(len(v)))}

    print(json.dumps({"eval": "pytorch", "algo": "vae", "step": a.steps, "split": ["train", "val", "test"][a.split],
                      "model": f"vae mlp {train.shape[1]}-{a.hidden}-{a.latent} bernoulli beta={a.beta:g}",
                      "examples": count, "iwae_samples": a.iwae_samples, "unit": "nats per example",
                      "elbo": summary(elbo), "iwae": summary(iwae), "seed": a.seed,
                      "train_seconds": round(train_seconds, 1)}, separators=(",", ":")))


if __name__ == "__main__":
    main()
