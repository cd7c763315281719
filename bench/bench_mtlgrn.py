"""MTLGRN epoch time and peak RSS at E. coli and yeast scale, and where an epoch's time goes.

    .venv/bin/python bench/bench_mtlgrn.py [--data ../shared/data] [--epochs 3] [--scales ecoli yeast]

Prepares each dataset's MTLGRN inputs with the workflow itself (bench/out/mtlgrn/): E. coli
PRECISE-278 from the offline mirror (3,923 genes, 278 samples, 75 knockouts) and a synthetic
dataset of yeast scale (5,950 genes, 536 samples as the yeast compendium: 392 conditions and 24
knockout groups of 3 knockout + 3 wild-type samples), both on the `random` split, seed 0. Each
scale then runs in a fresh process (so that its peak RSS is its own): `grnflow.mtlgrn.train`
for `--epochs` epochs with the schema's settings (batch size `--batch-size`, default the
schema's), one more epoch under cProfile (time per phase of a step), and one under the torch
profiler (time inside torch operators against the epoch's wall time: the rest is Python and
dispatch overhead). Results: bench/out/mtlgrn/summary.md and runs.json. The machine may be
shared: the load average is recorded with every figure.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

ECOLI = "ecoli_precise278"
YEAST = "yeast_scale"
SCALES = {"ecoli": ECOLI, "yeast": YEAST}
# the yeast compendium's size (README: 5,950 genes x 536 samples); 392 + 24 x (3 + 3) = 536
YEAST_CONFIG = f"""\
run_datasets: [{ECOLI}, {YEAST}]
datasets:
  {YEAST}:
    synthetic: {{seed: 7, n_genes: 5950, n_tfs: 300, n_conditions: 392, n_knockouts: 24, known_fraction: 0.7}}
    normalize: {{methods: [zscore]}}
    promoter: {{upstream: 500, downstream: 0}}
    gene_features: {{categorical: [cog], numeric: [tf, length]}}
"""
# the phases of a step, as cProfile names them (file fragment, function)
PHASES = {
    "encode (GAT forward)": ("mtlgrn_model.py", "encode"),
    "decode": ("mtlgrn_model.py", "decode"),
    "knockout head": ("mtlgrn_model.py", "knockout"),
    "reconstruction head": ("mtlgrn_model.py", "reconstruct"),
    "supervision graph": ("mtlgrn_data.py", "supervision_graph"),
    "backward": ("_tensor.py", "backward"),
    "optimizer step": ("adam.py", "step"),
    "zero_grad": ("optimizer.py", "zero_grad"),
}


def prepare(workdir: Path, data: Path, cores: int, datasets: list[str]) -> None:
    """Run the workflow up to features, expression, sample sheet and pairs of `datasets`."""
    extra = workdir / "yeast_scale.yaml"
    extra.write_text(YEAST_CONFIG)
    targets = [f"results/{ds}/{part}" for ds in datasets for part in
               ("mtlgrn/features.tsv", "data/expression.tsv", "data/samples.tsv", "pairs/random/seed0.tsv")]
    cmd = [sys.executable, "-m", "snakemake", *targets, "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(workdir), "--cores", str(cores),
           "--configfile", str(REPO / "config" / "datasets" / f"{ECOLI}.yaml"), str(extra),
           "--config", f"download={{mirror: {data}}}"]
    subprocess.run(cmd, check=True, env=dict(os.environ, PYTHONPATH=str(REPO / "src")))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def load_problem(results: Path, seed: int = 0):
    """The `mtlgrn` job's problem (as grnflow.mtlgrn.run_mtlgrn builds it) of the random split."""
    import numpy as np

    from grnflow.io import read_normalized, read_table
    from grnflow.mtlgrn_data import build_problem, heldout_regulators, holdout_knockouts, knockout_targets, read_samples
    from grnflow.predictions import read_pairs
    from grnflow.settings import MtlgrnSettings, from_schema

    feats = read_table(results / "mtlgrn" / "features.tsv", sep="tab", dtype={"gene": str}).set_index("gene")
    expr = read_normalized(results / "data" / "expression.tsv")
    pairs_path = results / "pairs" / "random" / "seed0.tsv"
    table = read_pairs(pairs_path)
    knockouts = knockout_targets(expr, read_samples(results / "data" / "samples.tsv"))
    fraction = from_schema(MtlgrnSettings).knockout_holdout
    heldout = holdout_knockouts(knockouts.knocked_genes, fraction, seed, heldout_regulators(table))
    problem = build_problem(feats, expr, table, knockouts, heldout, pairs_path)
    return problem, {"genes": feats.shape[0], "features": feats.shape[1], "samples": expr.shape[1],
                     "train_pairs": len(problem.train[0]), "graph_edges": int(problem.edge_index.shape[1]),
                     "knockouts_train": 0 if problem.ko_train is None else len(problem.ko_train["knocked"]),
                     "knockouts_heldout": int(np.sum(heldout))}


class EpochSeconds(logging.Handler):
    """Collects the seconds of grnflow.train_core.log_epoch's lines (its 4th argument)."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def emit(self, record):
        if record.msg.startswith("epoch ") and len(record.args) >= 4:
            self.seconds.append(float(record.args[3]))


def phase_seconds(profile: cProfile.Profile) -> dict[str, float]:
    stats = pstats.Stats(profile).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    out = {}
    for phase, (fragment, name) in PHASES.items():
        out[phase] = sum(v[3] for (f, _, n), v in stats.items() if n == name and f.endswith(fragment))
    return out


def torch_op_seconds(run_epoch) -> tuple[float, float, list[tuple[str, float]]]:
    """Wall seconds of one epoch under the torch profiler, seconds inside torch operators (self
    times of every operator summed; autograd's backward operators included) and the top ones."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        run_epoch()
        wall = time.perf_counter() - start
    events = prof.key_averages()
    inside = sum(e.self_cpu_time_total for e in events) / 1e6
    top = sorted(((e.key, e.self_cpu_time_total / 1e6) for e in events), key=lambda kv: -kv[1])[:12]
    return wall, inside, top


def run_scale(results: Path, epochs: int, batch_size: int | None, threads: int) -> dict:
    """One scale in this process: load, train `epochs` epochs, profile two more."""
    import torch

    from grnflow import mtlgrn
    from grnflow.settings import MtlgrnSettings, effective, from_schema

    load = [os.getloadavg()[0]]
    start = time.perf_counter()
    problem, shape = load_problem(results)
    load_s, rss_loaded = time.perf_counter() - start, peak_rss_mb()
    overrides = {"epochs": epochs, "patience": epochs + 1}
    if batch_size:
        overrides["batch_size"] = batch_size
    settings = from_schema(MtlgrnSettings, **overrides)
    device = mtlgrn.pick_device(threads)
    handler = EpochSeconds()
    logging.getLogger("grnflow").addHandler(handler)
    logging.getLogger("grnflow").setLevel(logging.INFO)
    result = mtlgrn.train(problem, settings, 0, device, None)
    rss_trained = peak_rss_mb()
    load.append(os.getloadavg()[0])
    model, s = result.model, effective(settings)
    tasks, weights = result.tasks, {t: float(getattr(s.weights, t)) for t in mtlgrn.TASKS}
    optimizer = torch.optim.Adam(model.parameters(), lr=s.learning_rate, weight_decay=s.weight_decay)
    problem = problem.to(device)

    def epoch():
        return mtlgrn._train_epoch(model, optimizer, problem, tasks, weights, s, device)

    steps = len(mtlgrn.epoch_batches(problem, s.batch_size, device))
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(epoch)
    cprofile_wall = time.perf_counter() - start
    torch_wall, inside, top = torch_op_seconds(epoch)
    load.append(os.getloadavg()[0])
    return {
        **shape, "batch_size": s.batch_size, "steps_per_epoch": steps, "tasks": tasks, "threads": threads,
        "load_s": round(load_s, 2), "epoch_s": handler.seconds, "peak_rss_loaded_mb": round(rss_loaded),
        "peak_rss_mb": round(max(rss_trained, peak_rss_mb())), "load_average": load,
        "cprofile_epoch_s": cprofile_wall, "phases_s": phase_seconds(profiler),
        "torch_profiled_epoch_s": torch_wall, "inside_torch_ops_s": inside, "top_ops_s": top,
    }


def summary(runs: dict) -> str:
    loads = [x for r in runs.values() for x in r["load_average"]]
    lines = [
        f"MTLGRN epochs, {time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()} {os.cpu_count()} CPUs, "
        f"load average {min(loads):.1f}-{max(loads):.1f} (shared machine), random split, seed 0",
        "",
        "| scale | genes x samples | features | train pairs | batch | steps/epoch | epoch s (median) | s/step | peak RSS MB | inside torch ops | Python/dispatch overhead |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in runs.items():
        med = statistics.median(r["epoch_s"])
        overhead = 1 - r["inside_torch_ops_s"] / r["torch_profiled_epoch_s"]
        lines.append(
            f"| {name} | {r['genes']} x {r['samples']} | {r['features']} | {r['train_pairs']} | {r['batch_size']} | "
            f"{r['steps_per_epoch']} | {med:.1f} ({', '.join(f'{x:.1f}' for x in r['epoch_s'])}) | "
            f"{med / r['steps_per_epoch']:.3f} | {r['peak_rss_mb']} | {1 - overhead:.0%} | {overhead:.0%} |")
    for name, r in runs.items():
        total = r["cprofile_epoch_s"]
        lines += ["", f"{name}: one epoch under cProfile {total:.1f} s; " + ", ".join(
            f"{k} {v / total:.0%}" for k, v in r["phases_s"].items()),
            f"{name}: top torch operators (self seconds of a {r['torch_profiled_epoch_s']:.1f} s epoch): "
            + ", ".join(f"{k} {v:.2f}" for k, v in r["top_ops_s"][:8])]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("GRNFLOW_SHARED_DATA", REPO.parent / "shared" / "data")))
    parser.add_argument("--workdir", type=Path, default=REPO / "bench" / "out" / "mtlgrn")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=None, help="default: the schema's")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scales", nargs="+", default=list(SCALES), choices=list(SCALES))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one results folder, print JSON
    args = parser.parse_args()
    if args.one:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
        print("RESULT " + json.dumps(run_scale(Path(args.one), args.epochs, args.batch_size, args.threads)))
        return
    if ECOLI in [SCALES[s] for s in args.scales] and not args.data.is_dir():
        sys.exit(f"real data folder {args.data} is absent: pass --data or set GRNFLOW_SHARED_DATA")
    args.workdir.mkdir(parents=True, exist_ok=True)
    prepare(args.workdir, args.data.resolve(), args.threads, [SCALES[s] for s in args.scales])
    runs = {}
    for scale in args.scales:
        cmd = [sys.executable, __file__, "--one", str(args.workdir / "results" / SCALES[scale]),
               "--epochs", str(args.epochs), "--threads", str(args.threads)]
        cmd += ["--batch-size", str(args.batch_size)] if args.batch_size else []
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True,  # progress on stderr
                             env=dict(os.environ, PYTHONPATH=str(REPO / "src"))).stdout
        runs[scale] = json.loads(next(x for x in out.splitlines() if x.startswith("RESULT "))[7:])
        print(scale, json.dumps(runs[scale]), flush=True)
    text = summary(runs)
    (args.workdir / "summary.md").write_text(text + "\n")
    (args.workdir / "runs.json").write_text(json.dumps(runs, indent=1))
    print(text)


if __name__ == "__main__":
    main()
