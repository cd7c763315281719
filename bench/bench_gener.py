"""Benchmark GENER training at yeast scale against the seed's own data path and model (not a test).

    .venv/bin/python bench/bench_gener.py [--batch-size 64 --steps 300 --repeats 3]

Three kinds of child process, interleaved repeat by repeat so background load hits all alike:
- `grnflow`: what the `gener` rule runs (grnflow.gener.fit_gener): one float32 genes x samples
  matrix, batches gathered by pair index inside tf.data (PairBatches.epochs), the default GENER
  model (grnflow.gener_model.from_settings: BitDropout, FusedBatchNormalization), no compiled
  metrics, TensorFlow op determinism on (configure_tensorflow).
- `seed`: the seed notebook (AhmedFakhry47/GENER, RGN_GUI_V4.ipynb, `MULTI_G`, `Shallow_M`,
  `FindrML_TRAINER`), rebuilt here: the pairs' expression materialised as one float64
  pairs x 2 x samples array with float64 one-hot labels, a keras Sequence (PyDataset) that
  fills each batch item by item in a Python loop, the seed's network (linear convolutions,
  batch-norm momentum 0.9, Keras Dropout and BatchNormalization, the feed-forward branch's
  dropout always on: `training=True`), categorical cross-entropy and the seed's compiled
  metrics (`Accuracy` and `AUC(multi_label=True)`), SGD with its decay; TensorFlow's default
  (non-deterministic) op settings, as in the notebook.
- `gemm`: the machine's fp32 matrix-multiply rate through TensorFlow on the same threads
  (the best of a few square sizes), the yardstick for "% of GEMM rate".
Both trainers run `warmup + steps` steps with the same batch size and threads; the last
`steps` are timed. Each first times `steps` batches made without training (data only). The
seed cannot hold 977,481 pairs x 2 x 536 samples in float64 (8.4 GB) on a laptop, so it
materialises `--seed-pairs` pairs and its full-scale peak RSS is extrapolated (measured + the
missing pairs' bytes); `--seed-pairs 0` materialises all. "% of GEMM rate" is pairs/s x the
model's forward+backward FLOPs per pair (`model_flops`) / the GEMM rate. Results: printed and
written to bench/out/bench_gener_b<batch>.json.
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
VARIANTS = ("gemm", "grnflow", "seed")


def make_data(genes: int, samples: int, pairs: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((genes, samples), dtype=np.float32)
    ia = rng.integers(0, genes, size=pairs, dtype=np.int32)
    ib = rng.integers(0, genes, size=pairs, dtype=np.int32)
    y = rng.integers(0, 2, size=pairs, dtype=np.int32)
    return matrix, ia, ib, y


def model_flops(n_samples: int, ff_units=(256, 256), conv_filters=(16, 8), conv_dense=32, classes=2) -> float:
    """Forward + backward FLOPs per pair of the GENER network (multiply-adds x 2): every layer's
    forward and weight gradient, and the input gradient of every layer but the first of each
    branch (nothing upstream needs it). Element-wise work is not counted."""
    width = n_samples - 1  # the 2x2 convolution's output positions
    ff = [(n_samples, ff_units[0])] + list(zip(ff_units, ff_units[1:]))
    convs = [(4, conv_filters[0])] + list(zip(conv_filters, conv_filters[1:]))
    first = {0, len(ff)}  # index of the first layer of each branch in `macs`
    macs = [i * o for i, o in ff] + [width * i * o for i, o in convs]
    macs += [width * conv_filters[-1] * conv_dense, (ff_units[-1] + conv_dense) * classes]
    return sum(2 * m * (2 if k in first else 3) for k, m in enumerate(macs))


def gemm_rate(threads: int) -> dict:
    """fp32 GFLOP/s of tf.matmul on `threads` threads: the best of a few square sizes."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    rates, per_cpu = {}, {}
    for n in (512, 1024, 2048):
        a = tf.random.normal((n, n))
        b = tf.random.normal((n, n))
        matmul = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
        matmul().numpy()
        reps = max(3, int(2e10 / (2 * n**3)))  # about 20 GFLOP per size
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(reps):
            out = matmul()
        out.numpy()
        rates[n] = reps * 2 * n**3 / (time.perf_counter() - start) / 1e9
        per_cpu[n] = reps * 2 * n**3 / (time.process_time() - cpu) / 1e9
    # GFLOP per CPU second: what one busy core does, whatever share of the cores the load leaves
    return {"variant": "gemm", "gflops": max(rates.values()), "gflops_by_size": rates,
            "gflops_per_cpu_s": max(per_cpu.values())}


def seed_model(n_samples: int, n_classes: int = 2):
    """The seed's `Shallow_M` network (RGN_GUI_V4.ipynb), rebuilt for Keras 3 with the seed's
    layer sizes, activations, momentum and dropout placement (feed-forward dropout always on)."""
    import keras
    from keras import layers, ops

    inputs = keras.Input(shape=(2, n_samples))

    def bn():
        return layers.BatchNormalization(momentum=0.9)

    x = layers.Lambda(lambda t: ops.prod(t, axis=1))(inputs)
    for _ in range(2):
        x = bn()(layers.Dense(256, activation="relu")(x))
        x = layers.Dropout(0.5)(x, training=True)
    d = layers.Reshape((2, n_samples, 1))(inputs)
    for filters, kernel in ((16, 2), (8, 1)):
        d = layers.Dropout(0.5)(bn()(layers.Conv2D(filters, kernel)(d)))
    d = layers.Dense(32, activation="relu")(layers.Flatten()(d))
    d = layers.Dropout(0.5)(bn()(d))
    out = layers.Dense(n_classes, activation="softmax")(layers.Concatenate()([x, d]))
    model = keras.Model(inputs, out)
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-2, decay_steps=2500, decay_rate=0.8)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=schedule),
        loss=keras.losses.CategoricalCrossentropy(),
        metrics=[keras.metrics.Accuracy(), keras.metrics.AUC(multi_label=True)],
    )
    return model


def seed_batches(matrix, ia, ib, y, n_materialised: int, batch: int, order):
    """The seed's `MULTI_G`: float64 pairs x 2 x samples and one-hot labels, filled item by item."""
    import keras
    import numpy as np

    genes = np.stack([matrix[ia[:n_materialised]], matrix[ib[:n_materialised]]], axis=1).astype(np.float64)
    labels = np.eye(2)[y[:n_materialised]]  # float64 one-hot, as the seed's DATA_Y[:, :n_classes]

    class SeedBatches(keras.utils.PyDataset):
        def __len__(self):
            return n_materialised // batch

        def __getitem__(self, index):
            ids = order[index * batch:(index + 1) * batch]
            xs = np.empty((batch, *genes.shape[1:]))
            ys = np.empty((batch, labels.shape[1]))
            for i, pair in enumerate(ids):
                xs[i,] = genes[pair]
                ys[i,] = labels[pair]
            return xs, ys

    return SeedBatches()


def without_layers(prefixes) -> None:
    """grnflow's model with its batch-norm and dropout layers whose names start with one of
    `prefixes` (e.g. conv_bn, conv_dropout) replaced by identities: what those layers cost. The
    same model code builds it (grnflow.gener_model), only those layers' classes are swapped."""
    import keras

    import grnflow.gener_model as gener_model

    def identity_for(cls):
        def make(*args, name, **kwargs):
            return keras.layers.Identity(name=name) if name.startswith(tuple(prefixes)) else cls(*args, name=name, **kwargs)
        return make

    gener_model.BitDropout = identity_for(gener_model.BitDropout)
    gener_model.FusedBatchNormalization = identity_for(gener_model.FusedBatchNormalization)


def run_variant(args) -> dict:
    """Train `warmup + steps` batches of one variant in this process; time the last `steps`.

    Long on purpose: both trainers' set-up and both timings in one function, so that the seed
    and grnflow are measured by the same lines."""
    if args.variant == "gemm":
        return gemm_rate(args.threads)
    import keras
    from tensorflow.python.framework.config import disable_op_determinism  # private: bench only

    from grnflow.gener import configure_tensorflow
    from grnflow.gener_data import PairBatches, epoch_order, n_batches
    from grnflow.gener_model import execution_steps, from_settings
    from grnflow.settings import GenerSettings, from_schema

    device = configure_tensorflow(args.threads, 0)
    matrix, ia, ib, y = make_data(args.genes, args.samples, args.pairs)
    batch = args.batch_size
    n_materialised = None
    if args.variant == "grnflow":
        if args.no_determinism:
            disable_op_determinism()
        settings = from_schema(GenerSettings, batch_size=batch)
        data = PairBatches(matrix, threads=args.threads).epochs(ia, ib, y, batch, seed=0, first=0, last=1)
        steps = execution_steps(n_batches(args.pairs, batch))  # as fit_gener
        if args.keras_layers:
            import grnflow.gener_model as gener_model

            gener_model.BitDropout = keras.layers.Dropout
            gener_model.FusedBatchNormalization = keras.layers.BatchNormalization
            steps = 1
        if args.without:
            without_layers(args.without.split(","))
        model = from_settings(args.samples, settings, steps)
    else:
        disable_op_determinism()  # the notebook's TensorFlow defaults
        n_materialised = len(ia) if args.seed_pairs <= 0 else min(args.seed_pairs, len(ia))
        order = epoch_order(n_materialised, 0, 0)
        data = seed_batches(matrix, ia, ib, y, n_materialised, batch, order)
        model = seed_model(args.samples)

    # Data only: how fast the variant makes batches, without training (its ceiling on a fast GPU).
    # Through Keras' own data adapter, as model.fit consumes it (a PyDataset becomes a tf.data
    # pipeline fed from Python; a tf.data.Dataset is used as it is). Private Keras API: bench only.
    from keras.src.trainers.data_adapters import get_data_adapter

    batches = iter(get_data_adapter(data).get_tf_dataset())
    for _ in range(args.warmup):
        next(batches)
    start = time.perf_counter()
    for _ in range(args.steps):
        next(batches)
    data_seconds = time.perf_counter() - start

    marks = {}

    class Clock(keras.callbacks.Callback):
        # With steps_per_execution k, Keras reports every k-th step: time between the first
        # report at or after the warm-up and the first at or after warmup + steps.
        def on_train_batch_end(self, step, logs=None):
            if "start" not in marks and step >= args.warmup - 1:
                marks["start"] = (time.perf_counter(), step)
                marks["cpu_start"] = time.process_time()
            elif "start" in marks and "stop" not in marks and step >= args.warmup + args.steps - 1:
                marks["stop"] = (time.perf_counter(), step)
                marks["cpu_stop"] = time.process_time()

    model.fit(data, epochs=1, steps_per_epoch=args.warmup + args.steps + 8, shuffle=False, verbose=0,
              callbacks=[Clock()])
    (start, first), (stop, last) = marks["start"], marks["stop"]
    seconds = stop - start
    return {
        "variant": args.variant,
        "device": device,
        "pairs_per_s": (last - first) * batch / seconds,
        # CPU seconds of all the process' threads per pair: less sensitive to the share of the
        # cores a loaded machine leaves the process than pairs/s
        "cpu_us_per_pair": 1e6 * (marks["cpu_stop"] - marks["cpu_start"]) / ((last - first) * batch),
        "steps_per_execution": getattr(model, "steps_per_execution", 1),
        "seconds": seconds,
        "data_only_pairs_per_s": args.steps * batch / data_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "materialised_pairs": n_materialised,
        "load_1min": os.getloadavg()[0],
    }


def child(args, variant: str, forwarded: list) -> dict:
    """One measurement in its own process (its own peak RSS and TensorFlow thread pools)."""
    command = [sys.executable, __file__, f"--variant={variant}", *forwarded]
    if args.nice:
        command = ["nice", "-n", str(args.nice), *command]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{variant} run failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def summarise(args, runs: dict) -> dict:
    """Medians per variant, the speed-up over the seed and the share of the GEMM rate."""
    flops = model_flops(args.samples)
    gemm = statistics.median(r["gflops"] for r in runs["gemm"])
    gemm_cpu = statistics.median(r["gflops_per_cpu_s"] for r in runs["gemm"])
    summary = {"gemm_gflops": gemm, "gemm_gflops_per_cpu_s": gemm_cpu, "model_mflop_per_pair": flops / 1e6}
    for v in ("grnflow", "seed"):
        rs = runs[v]
        pairs = statistics.median(r["pairs_per_s"] for r in rs)
        summary[v] = {
            "median_pairs_per_s": pairs,
            "median_data_only_pairs_per_s": statistics.median(r["data_only_pairs_per_s"] for r in rs),
            "median_peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in rs),
            "median_cpu_us_per_pair": statistics.median(r.get("cpu_us_per_pair", float("nan")) for r in rs),
            "percent_of_gemm_rate": 100 * pairs * flops / 1e9 / gemm,
            # the same per CPU second (model FLOPs per CPU second / GEMM FLOPs per CPU second)
            "percent_of_gemm_rate_per_cpu_s": 100 * flops / 1e9 / gemm_cpu
            / (statistics.median(r["cpu_us_per_pair"] for r in rs) / 1e6),
        }
    seed = runs["seed"][0]
    missing = args.pairs - seed["materialised_pairs"]
    summary["seed"]["extrapolated_full_scale_peak_rss_mb"] = (
        summary["seed"]["median_peak_rss_mb"] + missing * 2 * args.samples * 8 / 2**20
    )
    summary["speedup"] = summary["grnflow"]["median_pairs_per_s"] / summary["seed"]["median_pairs_per_s"]
    # Per repeat (the two ran back to back, under about the same load).
    summary["speedup_per_repeat"] = [g["pairs_per_s"] / s["pairs_per_s"] for g, s in zip(runs["grnflow"], runs["seed"])]
    summary["cpu_speedup"] = summary["seed"]["median_cpu_us_per_pair"] / summary["grnflow"]["median_cpu_us_per_pair"]
    summary["load_1min"] = [r["load_1min"] for v in ("grnflow", "seed") for r in runs[v]]
    return summary


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
    parser.add_argument("--seed-pairs", type=int, default=100_000)
    parser.add_argument("--no-determinism", action="store_true",
                        help="grnflow without TensorFlow op determinism (what determinism costs)")
    parser.add_argument("--keras-layers", action="store_true",
                        help="grnflow with Keras' Dropout and BatchNormalization, one step per call "
                             "(the training step before issue 17)")
    parser.add_argument("--without", default="",
                        help="comma-separated layer-name prefixes (conv_bn, conv_dropout, ff_bn, ff_dropout, "
                             "conv_dense_bn, conv_dense_dropout): grnflow's model without those batch-norm / "
                             "dropout layers, to see what they cost (not the model the workflow trains)")
    parser.add_argument("--nice", type=int, default=0, help="run the children under nice -n NICE")
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    if args.variant:  # child process: one measurement, JSON on the last stdout line
        print(json.dumps(run_variant(args)))
        return

    skip = ("variant", "out", "nice", "no_determinism", "keras_layers")
    forwarded = [f"--{k.replace('_', '-')}={v}" for k, v in vars(args).items() if k not in skip]
    forwarded += ["--no-determinism"] if args.no_determinism else []
    forwarded += ["--keras-layers"] if args.keras_layers else []
    runs = {v: [] for v in VARIANTS}
    for repeat in range(args.repeats):
        for variant in VARIANTS:  # interleaved, so background load hits all alike
            result = child(args, variant, forwarded)
            runs[variant].append(result)
            if variant == "gemm":
                print(f"repeat {repeat + 1} gemm     {result['gflops']:7.1f} GFLOP/s fp32 "
                      f"({result['gflops_per_cpu_s']:.1f} per CPU second)", flush=True)
                continue
            print(f"repeat {repeat + 1} {variant:8s} training {result['pairs_per_s']:7.0f} pairs/s, "
                  f"data only {result['data_only_pairs_per_s']:8.0f} pairs/s, "
                  f"peak RSS {result['peak_rss_mb']:6.0f} MB, {result['cpu_us_per_pair']:5.0f} CPU us/pair, load {result['load_1min']:.1f}", flush=True)

    summary = summarise(args, runs)
    record = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} CPUs",
        "device": runs["grnflow"][0]["device"],
        "settings": {k: v for k, v in vars(args).items() if k not in ("variant", "out")},
        "runs": runs,
        "summary": summary,
    }
    tag = "_keras_layers" if args.keras_layers else "_no_determinism" if args.no_determinism else ""
    tag += f"_without_{args.without.replace(',', '_')}" if args.without else ""
    out = args.out or REPO / "bench" / "out" / f"bench_gener_b{args.batch_size}{tag}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    g, s = summary["grnflow"], summary["seed"]
    print(f"GEMM rate: {summary['gemm_gflops']:.1f} GFLOP/s; model {summary['model_mflop_per_pair']:.2f} MFLOP per pair")
    for name, v in (("grnflow", g), ("seed", s)):
        print(f"{name:8s}: median {v['median_pairs_per_s']:.0f} pairs/s ({v['percent_of_gemm_rate']:.1f}% of GEMM rate, "
               f"{v['percent_of_gemm_rate_per_cpu_s']:.1f}% per CPU second), "
              f"data only {v['median_data_only_pairs_per_s']:.0f} pairs/s, peak RSS {v['median_peak_rss_mb']:.0f} MB, "
              f"{v['median_cpu_us_per_pair']:.0f} CPU us/pair")
    print(f"seed full-scale peak RSS ~{s['extrapolated_full_scale_peak_rss_mb']:.0f} MB "
          f"({seed_note(runs)} pairs materialised of {args.pairs})")
    per_repeat = ", ".join(f"{x:.2f}" for x in summary["speedup_per_repeat"])
    print(f"speedup at batch {args.batch_size}: {summary['speedup']:.2f}x (per repeat {per_repeat}); "
          f"CPU time per pair {summary['cpu_speedup']:.2f}x less; load {min(summary['load_1min']):.1f}-{max(summary['load_1min']):.1f}; written to {out}")


def seed_note(runs: dict) -> int:
    return runs["seed"][0]["materialised_pairs"]


if __name__ == "__main__":
    main()
