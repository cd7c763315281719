"""Benchmark GENER's input pipeline at yeast scale against the naive one (not a test).

    .venv/bin/python bench/bench_gener.py [--steps 300 --repeats 3]

Both variants train the same default GENER model (L = 536 samples, batch 64) with model.fit;
only the way batches are made differs:
- `pipeline`: grnflow.gener_data.PairBatches: one float32 genes x samples matrix; batches are
  gathered by pair index inside tf.data (what the `gener` rule uses);
- `naive`: the pairs' expression vectors materialised as float64 arrays (pairs x samples, one
  per gene of the pair), each batch filled row by row in a Python loop (keras PyDataset).
Each child first times `steps` batches made without training (data only: the ceiling a fast
GPU would see), then `steps` training steps after `warmup`. Each variant x repeat runs in its
own subprocess, so its peak RSS (ru_maxrss) is its own. The
naive variant cannot hold 977,481 pairs x 536 samples x 2 genes in float64 (8.4 GB) on a
laptop, so by default it materialises `--naive-pairs` pairs and its full-scale peak RSS is
extrapolated (measured + the missing pairs' bytes); `--naive-pairs 0` materialises all.
Results: printed, and written to bench/out/bench_gener.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def make_data(genes: int, samples: int, pairs: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((genes, samples), dtype=np.float32)
    ia = rng.integers(0, genes, size=pairs, dtype=np.int32)
    ib = rng.integers(0, genes, size=pairs, dtype=np.int32)
    y = rng.integers(0, 2, size=pairs, dtype=np.int32)
    return matrix, ia, ib, y


def run_variant(args) -> dict:
    """Train `warmup + steps` batches of one variant in this process; time the last `steps`."""
    import keras
    import numpy as np

    from grnflow.gener import configure_tensorflow
    from grnflow.gener_data import PairBatches, epoch_order
    from grnflow.gener_model import from_settings
    from grnflow.settings import GenerSettings, from_schema

    device = configure_tensorflow(args.threads, 0)
    matrix, ia, ib, y = make_data(args.genes, args.samples, args.pairs)
    order = epoch_order(len(ia), 0, 0)
    batch = args.batch_size
    n_materialised = None

    if args.variant == "pipeline":
        data = PairBatches(matrix, threads=args.threads).dataset(ia, ib, y, batch_size=batch, order=order)
    else:
        n_materialised = len(ia) if args.naive_pairs <= 0 else min(args.naive_pairs, len(ia))
        matrix64 = matrix.astype(np.float64)
        pairs_a = matrix64[ia[:n_materialised]]  # pairs x samples, float64
        pairs_b = matrix64[ib[:n_materialised]]
        labels = y[:n_materialised]
        order = epoch_order(n_materialised, 0, 0)

        class NaiveBatches(keras.utils.PyDataset):
            def __len__(self):
                return n_materialised // batch

            def __getitem__(self, i):
                xa = np.empty((batch, pairs_a.shape[1]))
                xb = np.empty((batch, pairs_b.shape[1]))
                yy = np.empty(batch, dtype=np.int32)
                for k in range(batch):
                    j = order[i * batch + k]
                    xa[k] = pairs_a[j]
                    xb[k] = pairs_b[j]
                    yy[k] = labels[j]
                return {"a": xa, "b": xb}, yy

        data = NaiveBatches()

    # Data only: how fast the variant makes batches, without training (its ceiling on a fast GPU).
    # Through Keras' own data adapter, as model.fit consumes it (a PyDataset becomes a tf.data
    # pipeline fed from Python; a tf.data.Dataset is used as it is). Private Keras API: bench only.
    from keras.src.trainers.data_adapters import get_data_adapter

    batches = iter(get_data_adapter(data).get_tf_dataset())
    fetch = lambda: next(batches)  # noqa: E731
    for _ in range(args.warmup):
        fetch()
    start = time.perf_counter()
    for _ in range(args.steps):
        fetch()
    data_seconds = time.perf_counter() - start

    marks = {}

    class Clock(keras.callbacks.Callback):
        def on_train_batch_end(self, step, logs=None):
            if step == args.warmup - 1:
                marks["start"] = time.perf_counter()
            elif step == args.warmup + args.steps - 1:
                marks["stop"] = time.perf_counter()

    model = from_settings(args.samples, from_schema(GenerSettings))
    model.fit(data, epochs=1, steps_per_epoch=args.warmup + args.steps, shuffle=False, verbose=0,
              callbacks=[Clock()])
    seconds = marks["stop"] - marks["start"]
    return {
        "variant": args.variant,
        "device": device,
        "pairs_per_s": args.steps * batch / seconds,
        "seconds": seconds,
        "data_only_pairs_per_s": args.steps * batch / data_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "materialised_pairs": n_materialised,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--genes", type=int, default=5950)
    parser.add_argument("--samples", type=int, default=536)
    parser.add_argument("--pairs", type=int, default=977_481)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--naive-pairs", type=int, default=100_000)
    parser.add_argument("--variant", choices=["pipeline", "naive"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "bench_gener.json")
    args = parser.parse_args()

    if args.variant:  # child process: one measurement, JSON on the last stdout line
        print(json.dumps(run_variant(args)))
        return

    forwarded = [f"--{k.replace('_', '-')}={v}" for k, v in vars(args).items() if k not in ("variant", "out")]
    runs = {"pipeline": [], "naive": []}
    for repeat in range(args.repeats):
        for variant in runs:  # interleaved, so background load hits both alike
            proc = subprocess.run(
                [sys.executable, __file__, f"--variant={variant}", *forwarded],
                capture_output=True, text=True, check=False,
            )
            if proc.returncode != 0:
                sys.exit(f"{variant} run failed:\n{proc.stderr[-4000:]}")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            runs[variant].append(result)
            print(f"repeat {repeat + 1} {variant:8s} training {result['pairs_per_s']:7.0f} pairs/s, "
                  f"data only {result['data_only_pairs_per_s']:8.0f} pairs/s, "
                  f"peak RSS {result['peak_rss_mb']:6.0f} MB", flush=True)

    summary = {
        v: {
            "median_pairs_per_s": statistics.median(r["pairs_per_s"] for r in rs),
            "median_data_only_pairs_per_s": statistics.median(r["data_only_pairs_per_s"] for r in rs),
            "median_peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in rs),
        }
        for v, rs in runs.items()
    }
    naive = runs["naive"][0]
    missing = args.pairs - naive["materialised_pairs"]
    summary["naive"]["extrapolated_full_scale_peak_rss_mb"] = (
        summary["naive"]["median_peak_rss_mb"] + missing * 2 * args.samples * 8 / 2**20
    )
    summary["speedup"] = summary["pipeline"]["median_pairs_per_s"] / summary["naive"]["median_pairs_per_s"]
    summary["data_only_speedup"] = (
        summary["pipeline"]["median_data_only_pairs_per_s"] / summary["naive"]["median_data_only_pairs_per_s"]
    )
    record = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} CPUs",
        "device": runs["pipeline"][0]["device"],
        "settings": {k: v for k, v in vars(args).items() if k not in ("variant", "out")},
        "runs": runs,
        "summary": summary,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    p, n = summary["pipeline"], summary["naive"]
    print(f"pipeline: median {p['median_pairs_per_s']:.0f} pairs/s, peak RSS {p['median_peak_rss_mb']:.0f} MB")
    print(f"naive   : median {n['median_pairs_per_s']:.0f} pairs/s, peak RSS {n['median_peak_rss_mb']:.0f} MB "
          f"with {naive['materialised_pairs']} pairs materialised "
          f"(~{n['extrapolated_full_scale_peak_rss_mb']:.0f} MB extrapolated to {args.pairs})")
    print(f"data only: pipeline {p['median_data_only_pairs_per_s']:.0f} vs naive "
          f"{n['median_data_only_pairs_per_s']:.0f} pairs/s")
    print(f"speedup: training {summary['speedup']:.2f}x, data only {summary['data_only_speedup']:.2f}x; "
          f"written to {args.out}")


if __name__ == "__main__":
    main()
