"""GPU check: both trainers for a few epochs on CUDA and on the CPU, side by side (< 5 minutes).

    .venv/bin/python bench/gpu_check.py [--epochs 3] [--genes 400] [--workdir bench/out/gpu_check]

Makes a small synthetic dataset with the workflow itself (expression, samples, pairs of the
random split, MTLGRN features), then runs the public job functions `grnflow.gener.run_gener`
and `grnflow.mtlgrn.run_mtlgrn`, each in its own process: once as the machine is (CUDA when a
GPU is visible) and once with CUDA_VISIBLE_DEVICES="" (the CPU). It prints the device each
trainer reports, training throughput (train pairs x epochs / train seconds) on both, and
whether the test-pair scores agree: |AUROC difference| <= --auroc-tolerance and Pearson r of
the scores >= --min-score-r (GPU kernels differ from CPU ones in rounding, so not bit-exact).
Exit status 1 when a GPU run disagrees. Without a GPU it runs the CPU path once and says
"no GPU". Install CUDA builds first: `make venv GPU=1` (README, "GPU").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
DATASET = "gpucheck"
TRAINERS = ("gener", "mtlgrn")


def dataset_config(genes: int) -> dict:
    return {
        "datasets": {DATASET: {
            "synthetic": {"seed": 3, "n_genes": genes, "n_tfs": max(genes // 10, 12), "n_conditions": 80,
                          "n_knockouts": 8, "n_contigs": 2, "promoter_length": 300},
            "normalize": {"methods": ["zscore"]},
            "promoter": {"upstream": 300, "downstream": 0},
            "gene_features": {"categorical": ["cog"], "numeric": ["tf", "length"]},
        }},
        "splits": ["random"], "seeds": [0], "methods": ["gener", "mtlgrn"],
        "mtlgrn": {"kmer": 4},
    }


def prepare(workdir: Path, genes: int) -> dict[str, Path]:
    """Inputs of both trainers, made by the workflow (synthesize -> ... -> pairs, features)."""
    import yaml

    res = workdir / "results" / DATASET
    inputs = {"expression": res / "data/expression.tsv", "samples": res / "data/samples.tsv",
              "pairs": res / "pairs/random/seed0.tsv", "features": res / "mtlgrn/features.tsv"}
    cfg = workdir / "config.yaml"
    workdir.mkdir(parents=True, exist_ok=True)
    cfg.write_text(yaml.safe_dump(dataset_config(genes), sort_keys=False))
    cmd = [sys.executable, "-m", "snakemake", *[str(p.relative_to(workdir)) for p in inputs.values()],
           "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir), "--configfile", str(cfg),
           "--cores", "2", "--quiet"]
    subprocess.run(cmd, check=True, env=dict(os.environ, PYTHONPATH=str(REPO / "src")))
    return inputs


def job(trainer: str, inputs: dict, out: Path, epochs: int) -> None:
    """One trainer run through its public job function (called in a child process)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    common = dict(out_predictions=out / "predictions.tsv.gz", out_metrics=out / "metrics.json",
                  dataset=DATASET, split="random", seed=0, threads=2)
    if trainer == "gener":
        from grnflow.gener import run_gener
        from grnflow.settings import GenerSettings, from_schema

        settings = from_schema(GenerSettings, epochs=epochs, patience=epochs, batch_size=256)
        run_gener(expression=inputs["expression"], pairs=inputs["pairs"], out_model=out / "model.keras",
                  checkpoint_dir=out / "checkpoints", settings=settings, **common)
    else:
        from grnflow.mtlgrn import run_mtlgrn
        from grnflow.settings import MtlgrnSettings, from_schema

        settings = from_schema(MtlgrnSettings, epochs=epochs, patience=epochs, batch_size=512)
        run_mtlgrn(features=inputs["features"], expression=inputs["expression"], samples=inputs["samples"],
                   pairs=inputs["pairs"], out_model=out / "model.pt", checkpoint_dir=None,
                   settings=settings, **common)


def run_child(trainer: str, inputs: dict, out: Path, epochs: int, cpu: bool) -> dict:
    """Run `job` in a fresh process (CUDA hidden for `cpu`); return its metrics and scores."""
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), TF_CPP_MIN_LOG_LEVEL="2")
    if cpu:
        env["CUDA_VISIBLE_DEVICES"] = ""
    cmd = [sys.executable, __file__, "--job", trainer, "--out", str(out), "--epochs", str(epochs),
           "--inputs", json.dumps({k: str(v) for k, v in inputs.items()})]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env)
    record = json.loads((out / "metrics.json").read_text())
    record["wall_s"] = time.perf_counter() - start
    record["scores"] = pd.read_csv(out / "predictions.tsv.gz", sep="\t").set_index(["regulator", "target"])["score"]
    return record


def throughput(record: dict, n_train: int) -> float:
    return n_train * (record.get("epochs") or 0) / max(record.get("train_seconds") or float("nan"), 1e-9)


def compare(trainer: str, runs: dict, n_train: int, args) -> tuple[list[str], bool]:
    """Table rows for one trainer and whether its GPU run (if any) agrees with the CPU run."""
    rows, ok = [], True
    for mode, rec in runs.items():
        rows.append(f"| {trainer} | {mode} | {rec['device']} | {rec['epochs']} | {rec['train_seconds']:.1f} | "
                    f"{throughput(rec, n_train):.0f} | {rec['auroc']:.4f} |")
    if "gpu" in runs:
        gpu, cpu = runs["gpu"], runs["cpu"]
        joined = gpu["scores"].to_frame("gpu").join(cpu["scores"].to_frame("cpu"), how="inner")
        r = float(joined["gpu"].corr(joined["cpu"]))
        diff = gpu["auroc"] - cpu["auroc"]
        ok = abs(diff) <= args.auroc_tolerance and r >= args.min_score_r
        rows.append(f"| {trainer} | GPU vs CPU | speed-up {throughput(gpu, n_train) / throughput(cpu, n_train):.2f}x "
                    f"| | | AUROC diff {diff:+.4f} | score r {r:.4f} ({'agree' if ok else 'DISAGREE'}) |")
    return rows, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, default=REPO / "bench" / "out" / "gpu_check")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--genes", type=int, default=400)
    parser.add_argument("--auroc-tolerance", type=float, default=0.02)
    parser.add_argument("--min-score-r", type=float, default=0.95)
    parser.add_argument("--job", choices=TRAINERS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--inputs", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        job(args.job, {k: Path(v) for k, v in json.loads(args.inputs).items()}, args.out, args.epochs)
        return 0
    import pandas as pd

    start = time.perf_counter()
    inputs = prepare(args.workdir, args.genes)
    n_train = int((pd.read_csv(inputs["pairs"], sep="\t", usecols=["fold"])["fold"] == "train").sum())
    lines = ["| trainer | run | device | epochs | train s | train pairs/s | AUROC / agreement |",
             "|---|---|---|---|---|---|---|"]
    gpu_seen, all_ok = False, True
    for trainer in TRAINERS:
        runs = {}
        first = run_child(trainer, inputs, args.workdir / "runs" / trainer / "auto", args.epochs, cpu=False)
        if first["device"] == "cuda":
            gpu_seen = True
            runs["gpu"] = first
            runs["cpu"] = run_child(trainer, inputs, args.workdir / "runs" / trainer / "cpu", args.epochs, cpu=True)
        else:
            runs["cpu"] = first
        rows, ok = compare(trainer, runs, n_train, args)
        lines += rows
        all_ok &= ok
    verdict = ("GPU: both trainers ran on CUDA; scores " + ("agree with the CPU run" if all_ok else "DISAGREE with the CPU run")
               if gpu_seen else "no GPU: ran the CPU path only (install CUDA builds with `make venv GPU=1` on a GPU machine)")
    text = "\n".join([f"GPU check, {args.genes} genes, {n_train} train pairs, {args.epochs} epochs, "
                      f"{time.perf_counter() - start:.0f} s in all", "", *lines, "", verdict])
    (args.workdir / "summary.md").write_text(text + "\n")
    print(text)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
