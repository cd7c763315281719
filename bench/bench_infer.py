"""Benchmark of the `infer` stage: scoring 1.5 M candidate edges with each model on 2 cores.

Yeast scale: 6,000 genes x 536 samples, 250 TFs -> 250 x 5,999 = 1,499,750 candidates.
Targets (issue 13): GENER >= 100,000 pairs/s, MTLGRN whole-graph decoding <= 10 s, peak RSS
<= 2 GB per job. Each part runs in its own process (its own peak RSS):
- `gener`: a GENER model (default architecture, untrained weights: the cost does not depend
  on them) scores every candidate through `infer_gener.gener_candidate_scores` (tf.data batches
  gathered from gene indices);
- `mtlgrn`: an MTLGRN model (default sizes, 100 input features, a 30,000-edge graph) encodes
  the graph once and decodes every candidate (`infer_mtlgrn.decode_all`), then predicts the
  in-silico knockouts of all 250 TFs;
- `rank`: ranking the 1.5 M scores and writing the ranking table (`infer.ranking_table`), and
  the rank-average consensus of four methods (`consensus.consensus`).

Usage: .venv/bin/python bench/bench_infer.py [--threads 2] [--out bench/out/infer]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_GENES, N_SAMPLES, N_TFS, N_FEATURES, N_EDGES = 6000, 536, 250, 100, 30_000


def candidates():
    from grnflow.infer import make_candidates

    genes = [f"G{i:05d}" for i in range(N_GENES)]
    return make_candidates(genes, genes[: int(os.environ.get("BENCH_INFER_TFS", N_TFS))])


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def part_gener(threads: int) -> dict:
    from grnflow.gener import configure_tensorflow
    from grnflow.gener_model import from_settings
    from grnflow.infer_gener import gener_candidate_scores
    from grnflow.settings import GenerSettings, from_schema

    configure_tensorflow(threads, 0)
    matrix = np.random.default_rng(0).normal(size=(N_GENES, N_SAMPLES)).astype(np.float32)
    model = from_settings(N_SAMPLES, from_schema(GenerSettings))
    cands = candidates()
    start = time.perf_counter()
    scores = gener_candidate_scores(model, matrix, cands, threads=threads)
    seconds = time.perf_counter() - start
    assert np.isfinite(scores).all()
    return {"candidates": cands.n, "seconds": round(seconds, 2),
            "pairs_per_s": round(cands.n / seconds), "peak_rss_mb": round(peak_mb())}


def part_mtlgrn(threads: int) -> dict:
    import torch

    from grnflow.infer_mtlgrn import decode_all, in_silico_knockouts
    from grnflow.mtlgrn_model import MTLGRN
    from grnflow.settings import MtlgrnSettings, from_schema

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.normal(size=(N_GENES, N_FEATURES)), dtype=torch.float32)
    edges = rng.integers(0, N_GENES, size=(2, N_EDGES))
    edge_index = torch.as_tensor(np.concatenate([edges, edges[::-1]], axis=1), dtype=torch.long)
    model = MTLGRN.from_settings(N_FEATURES, N_SAMPLES, from_schema(MtlgrnSettings)).eval()
    cands = candidates()
    rows = np.arange(N_GENES)
    start = time.perf_counter()
    with torch.no_grad():
        z = model.encode(x, edge_index)
    scores = decode_all(model, z, cands, rows)
    decode = time.perf_counter() - start
    start = time.perf_counter()
    change = in_silico_knockouts(model, z, cands.reg_pos, np.zeros(N_GENES))
    knockout = time.perf_counter() - start
    assert np.isfinite(scores).all() and change.shape == (len(cands.regulators), N_GENES)
    return {"candidates": cands.n, "encode_decode_s": round(decode, 2),
            "pairs_per_s": round(cands.n / decode), "knockouts_s": round(knockout, 2),
            "peak_rss_mb": round(peak_mb())}


def part_rank(threads: int) -> dict:
    from grnflow.consensus import consensus
    from grnflow.infer import ranking_table, ranks, top_k, write_ranking

    cands = candidates()
    mask = cands.mask()
    rng = np.random.default_rng(0)
    known = rng.random(cands.shape) < 0.005
    start = time.perf_counter()
    score = rng.random(cands.shape)
    rank = ranks(score, mask)
    table = ranking_table(cands, score, rank, known)
    ranked = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_ranking(table, Path(tmp) / "ranking.tsv.gz")
        written = time.perf_counter() - start
    k = int(known.sum())
    method_ranks = {f"m{i}": ranks(rng.random(cands.shape), mask) for i in range(4)}
    start = time.perf_counter()
    consensus(method_ranks, {m: top_k(r, k).astype(float) for m, r in method_ranks.items()}, mask, k)
    cons = time.perf_counter() - start
    return {"candidates": cands.n, "rank_table_s": round(ranked, 2), "write_s": round(written, 2),
            "consensus_4_methods_s": round(cons, 2), "peak_rss_mb": round(peak_mb())}


PARTS = {"gener": part_gener, "mtlgrn": part_mtlgrn, "rank": part_rank}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/out/infer"))
    parser.add_argument("--tfs", type=int, default=N_TFS,
                        help="regulators (250: the 1.5 M candidates; fewer for a quick rate on a busy machine)")
    parser.add_argument("--part", choices=sorted(PARTS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:  # child process: one part, its result as JSON on stdout
        print(json.dumps(PARTS[args.part](args.threads)))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", OMP_NUM_THREADS=str(args.threads),
               BENCH_INFER_TFS=str(args.tfs))
    results = {"machine": platform.platform(), "threads": args.threads, "tfs": args.tfs,
               "load_before": os.getloadavg()}
    for name in PARTS:
        proc = subprocess.run([sys.executable, __file__, "--part", name, "--threads", str(args.threads)],
                              capture_output=True, text=True, env=env, check=True)
        results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(name, results[name])
    results["load_after"] = os.getloadavg()
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
