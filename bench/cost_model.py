#!/usr/bin/env python3
"""The alpha-beta cost model of a data-parallel meta-step (docs/scaling.md, "A cost model").

Reads the JSON lines of `cezanne bench allreduce` (any rank counts and repeats), of `cezanne
bench step` (1, 2, 4 ... ranks, --overlap on and off) and of single-rank `bench step` runs made
while P - 1 other copies ran at once (a "concurrent": P field; see docs/scaling.md), and fits

  alpha    the latency of a small message: the median time of the 2-rank allreduces of at most
           --latency-bytes (one exchange each, a ping-pong's half round trip; eager protocol);
  alpha_r  and beta: the per-step latency and the seconds per byte of a ring step, a least-squares
           fit of t = 2(P-1) alpha_r + 2(P-1)/P n beta to the 2-rank allreduces from --fit-min to
           --fit-max bytes (median over repeats); messages above --eager-bytes pay alpha_r (the
           rendezvous protocol of shared-memory MPI), smaller ones alpha;

then writes, as Markdown tables:
  1. every measured allreduce point (median and best of the repeats) beside the model's time and
     bus bandwidth: the issue's "bus bandwidth within 1.2x of the ring model";
  2. every measured step beside the model's step time, blocking and overlapped, with the error;
  3. the predicted step time and weak-scaling efficiency at 2 ... 1024 ranks (or with --alpha-us,
     --alpha-r-us and --link-gbps given, a cluster's figures instead of the fitted ones).

Why a script and not a subcommand: the model is arithmetic on figures that `bench allreduce`
and `bench step` already print, it is meant to be re-run on a cluster's own figures, and its
assumptions are easier to read (and change) here than in C++.

The model of one step at P ranks (weak scaling: the same tasks per rank at every P):
  T(P) = C(P) + A(P) blocking,  C(P) + A_exposed(P) overlapped
  C(P)       compute of a step on one rank (sampling, forward, backward, Adam) while P ranks
             compute: measured (the concurrent single-rank runs; on a machine with a core per
             rank and nothing else running, C(P) = C(1)). Predictions use C(1): a core per rank.
  A(P)       the allreduce of the gradient in its buckets of b bytes, one after the other: per
             bucket min(ring, tree), ring = 2(P-1) a + 2(P-1)/P b beta, tree (recursive
             doubling) = ceil(log2 P) (a + b beta), a = alpha or alpha_r by size;
  A_exposed  overlapped: at least the last bucket (the input layer's, settled at the very end of
             backward); the others hidden up to --hidden-share of C(1) (the part of the step after
             the first bucket is final: the last backward pass' lower layers; an assumption).
A rank waiting for a slower one is not in the model: that shows in the error at 2 and 4 ranks.
"""
import argparse
import json
import math
import statistics
import sys


def read_lines(path, bench):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                d = json.loads(line)
                if d.get("bench") == bench:
                    out.append(d)
    return out


class Link:
    """alpha (s) below eager bytes, alpha_r (s) above; beta (s/B)."""

    def __init__(self, alpha, alpha_r, beta, eager):
        self.alpha, self.alpha_r, self.beta, self.eager = alpha, alpha_r, beta, eager

    def latency(self, n):
        return self.alpha if n <= self.eager else self.alpha_r


def ring_time(P, n, link):
    return 0.0 if P == 1 else 2 * (P - 1) * link.latency(n / P) + 2 * (P - 1) / P * n * link.beta


def tree_time(P, n, link):
    return 0.0 if P == 1 else math.ceil(math.log2(P)) * (link.latency(n) + n * link.beta)


def allreduce_time(P, n, link):
    return min(ring_time(P, n, link), tree_time(P, n, link))


def bucket_sizes(parameters, bucket_kb, element=4):
    total = parameters * element
    per = max(1, bucket_kb * 1024 // element) * element
    sizes = [per] * (total // per)
    if total % per:
        sizes.append(total % per)
    return sizes


def gradient_time(P, sizes, link):
    return sum(allreduce_time(P, b, link) for b in sizes)


def exposed_time(P, sizes, link, hideable):
    whole = gradient_time(P, sizes, link)
    last = allreduce_time(P, sizes[0], link) if sizes else 0.0  # the input layer's bucket
    return max(last, whole - hideable)


def least_squares(rows, ys):
    """Two unknowns: the normal equations."""
    a11 = sum(r[0] * r[0] for r in rows)
    a12 = sum(r[0] * r[1] for r in rows)
    a22 = sum(r[1] * r[1] for r in rows)
    b1 = sum(r[0] * y for r, y in zip(rows, ys))
    b2 = sum(r[1] * y for r, y in zip(rows, ys))
    det = a11 * a22 - a12 * a12
    return (b1 * a22 - b2 * a12) / det, (a11 * b2 - a12 * b1) / det


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--allreduce", required=True, help="JSON lines of cezanne bench allreduce")
    p.add_argument("--step", required=True, help="JSON lines of cezanne bench step (1, 2, 4 ... ranks)")
    p.add_argument("--compute", help="JSON lines of single-rank bench steps run P at once (a 'concurrent' field)")
    p.add_argument("--latency-bytes", type=int, default=64)
    p.add_argument("--eager-bytes", type=int, default=4096, help="Open MPI's shared-memory eager limit")
    p.add_argument("--fit-min", type=int, default=16 << 10)
    p.add_argument("--fit-max", type=int, default=512 << 10)
    p.add_argument("--hidden-share", type=float, default=0.3,
                   help="share of a step's compute the overlapped buckets can hide behind")
    p.add_argument("--alpha-us", type=float, help="predict with this alpha instead of the fitted one")
    p.add_argument("--alpha-r-us", type=float, help="... this alpha_r")
    p.add_argument("--link-gbps", type=float, help="... and this 1/beta")
    a = p.parse_args()

    points = read_lines(a.allreduce, "allreduce")
    groups = {}
    for d in points:
        groups.setdefault((d["ranks"], d["bytes"]), []).append(d["time_us"] * 1e-6)
    latency = [t for (P, n), ts in groups.items() if P == 2 and n <= a.latency_bytes for t in ts]
    fit = [(P, n, statistics.median(ts)) for (P, n), ts in groups.items() if P == 2 and a.fit_min <= n <= a.fit_max]
    if not latency or len(fit) < 2:
        sys.exit("cost_model.py: need 2-rank allreduces of <= --latency-bytes and two sizes in the fit range")
    alpha = statistics.median(latency)
    alpha_r, beta = least_squares([(2 * (P - 1), 2 * (P - 1) / P * n) for P, n, _ in fit], [t for _, _, t in fit])
    fitted = Link(alpha, alpha_r, beta, a.eager_bytes)
    print(f"alpha = {alpha * 1e6:.2f} us (median of {len(latency)} 2-rank allreduces of <= {a.latency_bytes} B); "
          f"alpha_r = {alpha_r * 1e6:.2f} us and beta = {beta * 1e9:.4f} ns/B, a ring link of {1 / beta * 1e-9:.2f} "
          f"GB/s (least squares over {len(fit)} 2-rank sizes of {a.fit_min >> 10} to {a.fit_max >> 10} KiB)\n")

    # 1. Allreduce points beside the model.
    print("| ranks | bytes | us, median (best) of repeats | model us | busbw GB/s, median (best) | model busbw | "
          "measured / model busbw, median (best) |")
    print("|---|---|---|---|---|---|---|")
    for (P, n), ts in sorted(groups.items()):
        if P == 1 or n < 1024:
            continue
        t, best = statistics.median(ts), min(ts)
        model = allreduce_time(P, n, fitted)
        factor = 2 * (P - 1) / P * n * 1e-9
        bus, bus_best, model_bus = factor / t, factor / best, factor / model
        where = "" if P == 2 and a.fit_min <= n <= a.fit_max else (" (fitted)" if False else "")
        print(f"| {P} | {n} | {t * 1e6:.1f} ({best * 1e6:.1f}) | {model * 1e6:.1f} | {bus:.2f} ({bus_best:.2f}) | "
              f"{model_bus:.2f} | {bus / model_bus:.2f} ({bus_best / model_bus:.2f}){where} |")
    print()

    # 2. Steps beside the model.
    steps = read_lines(a.step, "step")
    by = {}
    for d in steps:
        by.setdefault((d["algo"], d["ranks"], d["overlap"]), []).append(d)
    compute = {}  # (algo, P) -> seconds per step of one rank
    for (algo, P, overlap), ds in by.items():
        if P == 1:
            compute.setdefault((algo, 1), []).extend(d["seconds"] / d["iters"] for d in ds)
    if a.compute:
        for d in read_lines(a.compute, "step"):
            compute.setdefault((d["algo"], d["concurrent"]), []).append(d["seconds"] / d["iters"])
    compute = {k: statistics.median(v) for k, v in compute.items()}
    print("| algo | ranks | overlap | tasks/rank | step s, median (min-max) | compute C(P) s | model s | error | "
          "exposed reducer s | gradient allreduce s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (algo, P, overlap), ds in sorted(by.items()):
        if (algo, P) not in compute:
            continue
        t = [d["seconds"] / d["iters"] for d in ds]
        sizes = bucket_sizes(ds[0]["parameters"], ds[0]["bucket_kb"])
        c = compute[(algo, P)]
        if overlap == "on":
            model = c + exposed_time(P, sizes, fitted, a.hidden_share * compute[(algo, 1)])
        else:
            model = c + gradient_time(P, sizes, fitted)
        tm = statistics.median(t)
        exposed = statistics.median(d["exposed_communication_s"] for d in ds)
        blocking = statistics.median(d["communication_s"] for d in ds)
        print(f"| {algo} | {P} | {overlap} | {ds[0]['meta_batch'] // P} | {tm:.3f} ({min(t):.3f}-{max(t):.3f}) | "
              f"{c:.3f} | {model:.3f} | {100 * (model - tm) / tm:+.0f}% | {exposed:.4f} | {blocking:.4f} |")
    print()

    # 3. Predictions: a core per rank, nothing else running.
    link = fitted
    if a.alpha_us is not None or a.alpha_r_us is not None or a.link_gbps is not None:
        link = Link((a.alpha_us or alpha * 1e6) * 1e-6, (a.alpha_r_us or alpha_r * 1e6) * 1e-6,
                    1 / (a.link_gbps * 1e9) if a.link_gbps else beta, a.eager_bytes)
        print(f"predictions with alpha = {link.alpha * 1e6:.2f} us, alpha_r = {link.alpha_r * 1e6:.2f} us, "
              f"link {1 / link.beta * 1e-9:.2f} GB/s\n")
    print("| algo | parameters | bucket KiB | ranks | allreduce ms: ring / tree / used | step s blocking | "
          "efficiency | step s overlapped | efficiency |")
    print("|---|---|---|---|---|---|---|---|---|")
    for algo in sorted({k[0] for k in compute}):
        d0 = next(d for (al, P, ov), ds in by.items() if al == algo for d in ds)
        sizes = bucket_sizes(d0["parameters"], d0["bucket_kb"])
        c = compute[(algo, 1)]
        for P in [2, 4, 16, 64, 256, 1024]:
            ring = sum(ring_time(P, b, link) for b in sizes)
            tree = sum(tree_time(P, b, link) for b in sizes)
            used = gradient_time(P, sizes, link)
            off = c + used
            on = c + exposed_time(P, sizes, link, a.hidden_share * c)
            print(f"| {algo} | {d0['parameters']} | {d0['bucket_kb']} | {P} | {ring * 1e3:.2f} / {tree * 1e3:.2f} / "
                  f"{used * 1e3:.2f} | {off:.3f} | {100 * c / off:.1f}% | {on:.3f} | {100 * c / on:.1f}% |")


if __name__ == "__main__":
    main()
