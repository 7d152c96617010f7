#!/usr/bin/env python3
"""Why versa predicts with the heads' averaged class densities, not their averaged softmaxes
(docs/learn.md, "Amortized inference and calibration"): a model where the exact answer is known.

Episodes of WAYS classes in D dimensions: class means mu_c ~ N(0, tau^2 I), one support example
and QUERIES query examples per class ~ N(mu_c, I/2). Under these classes the distance head
-||e - mu_c||^2 is the exact Bayes classifier given the means, and the exact posterior of a mean
from its one support example e_s is N(w e_s, v I), v = 1 / (1/tau^2 + 2), w = 2 v. Every predictor
below uses that exact posterior (no learning), and is scored by ECE (15 bins), accuracy and
mean confidence over EPISODES episodes:

  plug-in       softmax of -||e - w e_s||^2 (the posterior mean as the head);
  softmaxes     the average over S heads sampled from the posterior of softmax(-||e - p||^2)
                (VERSA's predictive, and versa's before this change);
  densities     softmax over the classes of log E_p exp(-||e - p_c||^2) = -||e - w e_s||^2 / (1 + 2v)
                (versa's predictive_logits: each class's density of the query averaged over the
                heads, then normalized; the Bayes class posterior of this model).

    /usr/bin/python3 bench/versa_predictive.py [--episodes 2000] [--samples 100] [--seed 0]
"""
import argparse

import numpy as np


def ece(probabilities, labels, bins=15):
    confidence = probabilities.max(1)
    correct = probabilities.argmax(1) == labels
    total = 0.0
    for b in range(bins):
        in_bin = (confidence > b / bins) & (confidence <= (b + 1) / bins)
        if in_bin.any():
            total += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return 100 * total, 100 * correct.mean(), 100 * confidence.mean()


def softmax(z, axis):
    z = np.exp(z - z.max(axis, keepdims=True))
    return z / z.sum(axis, keepdims=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--ways", type=int, default=5)
    parser.add_argument("--queries", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print("| D | tau | predictor | ECE (%) | accuracy (%) | confidence (%) |")
    print("|---|---|---|---|---|---|")
    for d, tau in [(32, 0.9), (32, 0.6), (8, 1.0), (2, 2.0)]:
        v = 1 / (1 / tau**2 + 2)
        predictions = {"plug-in": [], "softmaxes": [], "densities": []}
        labels = []
        for _ in range(args.episodes):
            mu = rng.normal(0, tau, (args.ways, d))
            support = mu + rng.normal(0, np.sqrt(0.5), (args.ways, d))
            y = rng.integers(0, args.ways, args.queries)
            query = mu[y] + rng.normal(0, np.sqrt(0.5), (args.queries, d))
            mean = 2 * v * support
            heads = mean[None] + np.sqrt(v) * rng.normal(size=(args.samples, args.ways, d))
            distance = ((query[:, None] - mean[None]) ** 2).sum(-1)  # [Q, ways]
            sampled = -((query[:, None, None] - heads[None]) ** 2).sum(-1)  # [Q, S, ways]
            predictions["plug-in"].append(softmax(-distance, 1))
            predictions["softmaxes"].append(softmax(sampled, 2).mean(1))
            predictions["densities"].append(softmax(-distance / (1 + 2 * v), 1))
            labels.append(y)
        labels = np.concatenate(labels)
        for name, p in predictions.items():
            e, a, c = ece(np.concatenate(p), labels)
            print(f"| {d} | {tau} | {name} | {e:.2f} | {a:.2f} | {c:.2f} |")


if __name__ == "__main__":
    main()
