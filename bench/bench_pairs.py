"""Benchmark of the `pairs` stage: 1,000,000 pairs from a 6,000-gene network, all three splits.

What is timed: `make_pairs` (negatives + fold assignment + labels + pair classes, i.e. the whole
table in memory) once per split regime (random, tf_holdout, gene_disjoint) and negative mode
(uniform, degree_matched), median of `--repeats` runs; and `build_pairs` for the random split,
which adds reading network.tsv/tfs.txt/expression.tsv and writing the 1M-row TSV.

The network: 6,000 genes, 600 TFs, 500,000 edges (negative_ratio 1 -> 1,000,000 pairs), TF
out-degrees log-normal (hub-heavy, capped at half the genes). gene_disjoint keeps only edges
inside a gene partition, so its table is smaller (reported).

Usage: .venv/bin/python bench/bench_pairs.py [--repeats 3] [--out bench/out/pairs]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.pairs import build_pairs, make_pairs
from grnflow.settings import PairSettings

N_GENES, N_TFS, N_EDGES = 6000, 600, 500_000


def network(seed: int = 0):
    rng = np.random.default_rng(seed)
    genes = np.array([f"G{i:05d}" for i in range(N_GENES)])
    weight = rng.lognormal(0, 1.2, N_TFS)
    cap = N_GENES // 2
    degree = np.zeros(N_TFS)
    for _ in range(50):  # proportional to weight, capped, the excess spread over the others
        free = degree < cap
        degree[free] += (N_EDGES - degree.sum()) * weight[free] / weight[free].sum()
        degree = np.minimum(degree, cap)
    degree = np.floor(degree).astype(int)
    degree[np.argsort(-weight * (degree < cap))[: N_EDGES - degree.sum()]] += 1  # exactly N_EDGES
    regs, tgts = [], []
    for tf, d in enumerate(degree):
        targets = rng.choice(N_GENES - 1, size=d, replace=False)
        regs.append(np.full(d, tf))
        tgts.append(targets + (targets >= tf))  # never the TF itself
    reg, tgt = np.concatenate(regs), np.concatenate(tgts)
    return genes, genes[reg], genes[tgt], genes[:N_TFS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/out/pairs"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    genes, regs, tgts, tfs = network()
    print(f"network: {len(genes)} genes, {len(tfs)} TFs, {len(regs)} edges; "
          f"max out-degree {pd.Series(regs).value_counts().max()}")
    results = []
    for negatives in ("uniform", "degree_matched"):
        total = 0.0
        for split in ("random", "tf_holdout", "gene_disjoint"):
            times = []
            for repeat in range(args.repeats):
                start = time.perf_counter()
                settings = PairSettings.from_schema(negatives=negatives)
                table = make_pairs(genes, regs, tgts, tfs, split, repeat, settings)
                times.append(time.perf_counter() - start)
            median = statistics.median(times)
            total += median
            results.append({"negatives": negatives, "split": split, "pairs": len(table),
                            "median_s": round(median, 3), "runs_s": [round(t, 3) for t in times]})
            print(f"{negatives:15s} {split:14s} {len(table):9d} pairs  median {median:.2f} s  "
                  f"runs {', '.join(f'{t:.2f}' for t in times)}")
        results.append({"negatives": negatives, "split": "all three", "median_s": round(total, 3)})
        print(f"{negatives:15s} all three splits: {total:.2f} s (sum of medians)")

    # The rule's full job: read the three inputs, build, write the TSV.
    pd.DataFrame({"gene": genes, "s1": 0.0}).to_csv(args.out / "expression.tsv", sep="\t", index=False)
    pd.DataFrame({"regulator": regs, "target": tgts, "sign": 0}).to_csv(
        args.out / "network.tsv", sep="\t", index=False)
    (args.out / "tfs.txt").write_text("\n".join(tfs) + "\n")
    times = []
    for repeat in range(args.repeats):
        start = time.perf_counter()
        build_pairs(args.out / "network.tsv", args.out / "tfs.txt", args.out / "expression.tsv",
                    args.out / "random" / f"seed{repeat}.tsv", "random", repeat, PairSettings.from_schema())
        times.append(time.perf_counter() - start)
    print(f"build_pairs random (read + build + write TSV): median {statistics.median(times):.2f} s")
    results.append({"negatives": "uniform", "split": "random", "job": "build_pairs with I/O",
                    "median_s": round(statistics.median(times), 3)})
    summary = {"machine": f"{platform.node()} {platform.processor() or platform.machine()}, "
               f"{os.cpu_count()} CPUs", "date": time.strftime("%Y-%m-%d"), "results": results}
    (args.out / "bench_pairs.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
