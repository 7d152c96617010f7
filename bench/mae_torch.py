#!/usr/bin/env python3
"""The PyTorch reference of `cezanne train --algo mae --model vit`: the same masked autoencoder,
initialization scheme, optimizer and batch on the same store split; prints its step time.

Model (docs/pretraining.md): 28x28 images cut into PATCH x PATCH patches, each a token through a
linear layer plus a learned position embedding; pre-norm transformer blocks (layer norm, one
linear layer making queries, keys and values, softmax(q k^T / sqrt(d)) v per head, output layer;
layer norm, MLP DIM -> MLP_RATIO x DIM -> DIM with exact GELU) on the visible tokens; final
layer norm; the light decoder: a linear layer to DECODER_DIM, a learned mask token at every
masked position, its own position embedding, blocks and layer norm, and a linear layer to the
pixels of a patch. Loss: the mean squared error of the masked patches' pixels. Weights
xavier-uniform, biases zero, layer norms (1, 0), position embeddings and mask token N(0, 0.02)
(cezanne's initializers, docs/engine-nn.md); Adam(lr, 0.9, 0.999, 1e-8). A step: ROWS x EXAMPLES
examples of --train-split, each row distinct examples (as cezanne's UnlabelledSource; PyTorch's
own generator, so not the same batches nor the same masks), round(MASK_RATIO x patches) of each
image masked at random. Prints one JSON line: the mean seconds per step after --warmup steps and
the mean loss of the last 10 steps.

    /usr/bin/python3 bench/mae_torch.py --store data/glyphs --steps 60 --threads 2
"""
import argparse
import json
import math
import time

import h5py
import numpy as np
import torch
import torch.nn.functional as F


def read_split(store, split):
    """Every example of the classes of `split` (0 train, 1 val, 2 test) as float32 [n, 1, H, H]
    in [0, 1] (a store of square one-channel images, as the glyph store), class by class in store
    order."""
    with h5py.File(f"{store}/manifest.h5", "r") as m:
        splits = m["classes/split"][:]
        shards = m["classes/shard"][:]
        names = [n.decode() for n in m["shards/name"][:]]
        firsts = m["shards/first_class"][:]
    parts, files = [], {}
    for k in np.nonzero(splits == split)[0]:
        s = shards[k]
        if s not in files:
            files[s] = h5py.File(f"{store}/{names[s]}", "r")
        f = files[s]
        lo, hi = f["class_offsets"][k - firsts[s]], f["class_offsets"][k - firsts[s] + 1]
        parts.append(f["examples"][lo:hi])
    for f in files.values():
        f.close()
    x = np.concatenate(parts).astype(np.float32) / 255.0
    side = math.isqrt(x[0].size)
    return torch.from_numpy(x.reshape(len(x), 1, side, side))


def linear(fan_in, fan_out):
    layer = torch.nn.Linear(fan_in, fan_out)
    torch.nn.init.xavier_uniform_(layer.weight)
    torch.nn.init.zeros_(layer.bias)
    return layer


def embedding(*shape):
    return torch.nn.Parameter(torch.randn(*shape) * 0.02)


class Block(torch.nn.Module):
    """x + attn(ln1(x)), then x + fc2(gelu(fc1(ln2(x))))."""

    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = torch.nn.LayerNorm(dim), torch.nn.LayerNorm(dim)
        self.qkv, self.out = linear(dim, 3 * dim), linear(dim, dim)
        self.fc1, self.fc2 = linear(dim, mlp_ratio * dim), linear(mlp_ratio * dim, dim)

    def forward(self, x):
        b, l, d = x.shape
        qkv = self.qkv(self.ln1(x)).reshape(b, l, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attention = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // self.heads), -1) @ v
        x = x + self.out(attention.permute(0, 2, 1, 3).reshape(b, l, d))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class Mae(torch.nn.Module):
    def __init__(self, a, channels, side):
        super().__init__()
        self.patch, self.masked = a.patch, None
        patches, pixels = (side // a.patch) ** 2, channels * a.patch * a.patch
        self.masked = int(round(a.mask_ratio * patches))
        self.embed, self.pos = linear(pixels, a.dim), embedding(patches, a.dim)
        self.blocks = torch.nn.Sequential(*[Block(a.dim, a.heads, a.mlp_ratio) for _ in range(a.depth)])
        self.norm = torch.nn.LayerNorm(a.dim)
        self.decoder_embed, self.mask_token = linear(a.dim, a.decoder_dim), embedding(a.decoder_dim)
        self.decoder_pos = embedding(patches, a.decoder_dim)
        self.decoder_blocks = torch.nn.Sequential(
            *[Block(a.decoder_dim, a.heads, a.mlp_ratio) for _ in range(a.decoder_depth)])
        self.decoder_norm = torch.nn.LayerNorm(a.decoder_dim)
        self.pred = linear(a.decoder_dim, pixels)

    def patchify(self, x):  # [N, C, H, W] -> [N, P, C p p], patches row-major, (channel, row, column)
        n, c, h, w = x.shape
        p = self.patch
        return x.reshape(n, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5).reshape(n, (h // p) * (w // p), c * p * p)

    def forward(self, images):
        target = self.patchify(images)
        n, patches, _ = target.shape
        tokens = self.embed(target) + self.pos
        order = torch.rand(n, patches).argsort(1)  # the first patches - masked visible
        visible = order[:, : patches - self.masked]
        h = torch.gather(tokens, 1, visible[..., None].expand(-1, -1, tokens.shape[-1]))
        h = self.decoder_embed(self.norm(self.blocks(h)))
        h = torch.cat([h, self.mask_token.expand(n, self.masked, -1)], 1)
        h = torch.gather(h, 1, order.argsort(1)[..., None].expand(-1, -1, h.shape[-1])) + self.decoder_pos
        prediction = self.pred(self.decoder_norm(self.decoder_blocks(h)))
        mask = torch.zeros(n, patches).scatter_(1, order[:, patches - self.masked:], 1.0)
        return (((prediction - target) ** 2).mean(-1) * mask).sum(1).mean() / self.masked


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--store", required=True)
    p.add_argument("--train-split", type=int, default=0)
    p.add_argument("--patch", type=int, default=7)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--mlp-ratio", type=int, default=4)
    p.add_argument("--decoder-dim", type=int, default=32)
    p.add_argument("--decoder-depth", type=int, default=2)
    p.add_argument("--mask-ratio", type=float, default=0.75)
    p.add_argument("--rows", type=int, default=8, help="cezanne's --meta-batch")
    p.add_argument("--examples", type=int, default=16, help="cezanne's --examples-per-task")
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup", type=int, default=10, help="steps left out of the timing")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    train = read_split(a.store, a.train_split)
    model = Mae(a, train.shape[1], train.shape[-1])
    adam = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    losses, start = [], None
    for step in range(a.steps):
        if step == a.warmup:
            start = time.perf_counter()
        picks = torch.cat([torch.randperm(len(train))[: a.examples] for _ in range(a.rows)])
        loss = model(train[picks])
        adam.zero_grad()
        loss.backward()
        adam.step()
        losses.append(loss.item())
    seconds = (time.perf_counter() - start) / (a.steps - a.warmup)
    print(json.dumps({"bench": "pytorch", "algo": "mae", "torch": torch.__version__, "threads": a.threads,
                      "batch": a.rows * a.examples, "steps": a.steps, "warmup": a.warmup,
                      "seconds_per_step": round(seconds, 5), "loss_last10": round(float(np.mean(losses[-10:])), 5)}))


if __name__ == "__main__":
    main()
