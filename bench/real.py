"""The real-data benchmark: E. coli PRECISE-278 end to end, every method x split x seed.

    .venv/bin/python bench/real.py [--data ../shared/data] [--overlay config/bench_real.yaml]

Runs the `ecoli_precise278` preset with the overlay's settings (all methods, the three split
regimes, 3 seeds) from the offline mirror, in its own work folder (bench/out/real/), then writes
bench/out/real/summary.md: the mean ± sd table per method x split, MTLGRN's knockout metrics,
stage timings and the trainers' throughput and peak memory (from the rules' `benchmark:` files
and the per-job metrics JSONs). Not a test: it takes up to an hour on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow import methods, names
from grnflow.metrics import ranking_metrics

REPO = Path(__file__).resolve().parents[1]
DATASET = "ecoli_precise278"
METRICS = ["auroc", "aupr", "aupr_ratio", "epr"]


# --evaluation-only: the comparison tables (every method x split x seed) without the inferred
# network's final models, the report and the provenance record.
EVALUATION_TARGETS = [f"results/{DATASET}/comparison/metrics.tsv", f"results/{DATASET}/comparison/beeline.tsv"]


def run(workdir: Path, data: Path, overlay: Path, cores: int, targets: list[str] = (),
        seeds: list[int] | None = None) -> float:
    """Run the workflow (its default target, or `targets`); return its wall time in seconds."""
    cmd = [
        sys.executable, "-m", "snakemake", *targets,
        "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir),
        "--cores", str(cores), "--rerun-incomplete",
        "--resources", "gpu=1",
        "--configfile", str(REPO / "config" / "datasets" / f"{DATASET}.yaml"), str(overlay),
        "--config", f"download={{mirror: {data}}}", *([f"seeds={seeds}"] if seeds else []),
    ]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    return time.perf_counter() - start


def mean_sd(series: pd.Series) -> str:
    values = series.dropna()
    if values.empty:
        return "–"
    if len(values) == 1:
        return f"{values.iloc[0]:.3f}"
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


def results_table(metrics: pd.DataFrame) -> str:
    """Markdown: per split x method, mean ± sd over seeds of the ranking metrics."""
    lines = ["| split | method | AUROC | AUPR | AUPR ratio | EPR | seeds |", "|---|---|---|---|---|---|---|"]
    for (split, method), rows in metrics.groupby(["split", "method"], sort=False):
        cells = [mean_sd(rows[m]) for m in METRICS]
        lines.append(f"| {split} | {method} | " + " | ".join(cells) + f" | {rows['seed'].nunique()} |")
    return "\n".join(lines)


def regulator_table(metrics: pd.DataFrame) -> str:
    """Markdown: per split x method, the per-regulator AUROC/AUPR median (mean over seeds), the
    regulators evaluated and the largest regulator's share of the test positives."""
    if "auroc_reg_median" not in metrics.columns:
        return "No per-regulator metrics."
    lines = ["| split | method | AUROC median/regulator | AUPR median/regulator | regulators | top share |",
             "|---|---|---|---|---|---|"]
    for (split, method), rows in metrics.groupby(["split", "method"], sort=False):
        lines.append(f"| {split} | {method} | {mean_sd(rows['auroc_reg_median'])} | {mean_sd(rows['aupr_reg_median'])} | "
                     f"{rows['n_regulators_evaluated'].mean():.0f} | {rows['top_regulator_share'].mean():.2f} |")
    return "\n".join(lines)


def beeline_table(workdir: Path) -> str:
    """Markdown: BEELINE's protocol for the label-free methods (comparison/beeline.tsv)."""
    path = workdir / "results" / DATASET / "comparison" / "beeline.tsv"
    if not path.exists():
        return "No BEELINE table."
    table = pd.read_csv(path, sep="\t")
    first = table.iloc[0]
    lines = [f"BEELINE protocol (whole reference: {first['n_regulators']} regulators x {first['n_genes']} genes, "
             f"{first['n_candidates']} candidates, {first['n_edges']} edges, density {first['density']:.4f}):", "",
             "| method | AUROC | AUPRC ratio | EPR | seeds |", "|---|---|---|---|---|"]
    for method, rows in table.groupby("method", sort=False):
        lines.append(f"| {method} | {mean_sd(rows['auroc'])} | {mean_sd(rows['auprc_ratio'])} | "
                     f"{mean_sd(rows['epr'])} | {len(rows)} |")
    return "\n".join(lines)


def resampled_table(workdir: Path, metrics: pd.DataFrame, ratio: float = 1.0, draws: int = 20) -> str:
    """Markdown: the same test predictions read the old way, each positive against `ratio`
    uniformly drawn negatives of the same test fold (mean over `draws` seeded draws per job;
    then mean ± sd over seeds), beside the true-density AUPR ratio of the same jobs. Shows what
    the 1:1 view does to the numbers without retraining anything. Only the jobs of `metrics`
    (comparison/metrics.tsv) count: the work folder may hold other seeds' predictions."""
    records = []
    jobs = {(r.method, r.split, f"seed{int(r.seed)}") for r in metrics.itertuples()}
    for path in sorted((workdir / "results" / DATASET / "predictions").glob("*/*/seed*.tsv.gz")):
        method, split, seed = path.parts[-3], path.parts[-2], path.name.split(".")[0]
        if (method, split, seed) not in jobs:
            continue
        table = pd.read_csv(path, sep="\t", usecols=["score", "label", "fold"])
        test = table[table["fold"] == "test"]
        pos, neg = test[test["label"] == 1]["score"].to_numpy(), test[test["label"] == 0]["score"].to_numpy()
        n = min(len(neg), int(round(ratio * len(pos))))
        rng = np.random.default_rng(0)
        sampled = []
        for _ in range(draws):
            sample = rng.choice(neg, size=n, replace=False)
            labels = np.r_[np.ones(len(pos)), np.zeros(n)]
            sampled.append(ranking_metrics(labels, np.r_[pos, sample]))
        full = ranking_metrics(test["label"].to_numpy(), test["score"].to_numpy())
        records.append({"split": split, "method": method, "seed": seed,
                        **{f"{k}_1to1": float(np.mean([d[k] for d in sampled])) for k in ("auroc", "aupr_ratio", "epr")},
                        "aupr_ratio_full": full["aupr_ratio"], "density": len(pos) / len(test)})
    if not records:
        return "No predictions."
    df = pd.DataFrame(records)
    df["split"] = pd.Categorical(df["split"], [s for s in names.SPLITS if s in set(df["split"])] +
                                 sorted(set(df["split"]) - set(names.SPLITS)))
    df["method"] = pd.Categorical(df["method"], [m for m in methods.ORDER if m in set(df["method"])])
    lines = [f"The same test predictions in the sampled view ({ratio:g} negative per positive drawn from the "
             f"fold's negatives, {draws} draws) against the true density (test density "
             f"{df['density'].mean():.4f}):", "",
             "| split | method | AUROC 1:1 | AUPR ratio 1:1 | EPR 1:1 | AUPR ratio true density | seeds |",
             "|---|---|---|---|---|---|---|"]
    for (split, method), rows in df.groupby(["split", "method"], sort=True, observed=True):
        lines.append(f"| {split} | {method} | {mean_sd(rows['auroc_1to1'])} | {mean_sd(rows['aupr_ratio_1to1'])} | "
                     f"{mean_sd(rows['epr_1to1'])} | {mean_sd(rows['aupr_ratio_full'])} | {rows['seed'].nunique()} |")
    return "\n".join(lines)


def knockout_table(metrics: pd.DataFrame) -> str:
    ko = metrics[(metrics["method"] == "mtlgrn")]
    if "knockout_pearson" not in ko.columns or ko["knockout_pearson"].isna().all():
        return "MTLGRN reported no knockout metrics."
    lines = ["| split | knockout Pearson r | direction accuracy |", "|---|---|---|"]
    for split, rows in ko.groupby("split", sort=False):
        lines.append(f"| {split} | {mean_sd(rows['knockout_pearson'])} | "
                     f"{mean_sd(rows['knockout_direction_accuracy'])} |")
    return "\n".join(lines)


def of_seeds(path: Path, seeds: set[int]) -> bool:
    """Whether a per-seed file (`.../seed<k>...`) belongs to `seeds`; files of no seed do."""
    found = re.search(r"seed(\d+)", path.name)
    return found is None or int(found.group(1)) in seeds


def stage_table(workdir: Path, seeds: set[int]) -> str:
    """Per rule: jobs, total and max seconds, max peak RSS (Snakemake `benchmark:` files) of the
    benchmark's seeds (the work folder may hold other seeds' files)."""
    rows = []
    for path in sorted((workdir / "benchmarks").rglob("*.tsv")):
        if not of_seeds(path, seeds):
            continue
        rel = path.relative_to(workdir / "benchmarks").parts
        rule = rel[1] if rel[0] in (DATASET, "_shared") else rel[0]
        if rule == "infer" and len(rel) > 2:  # the inferred network: one row per infer step
            rule = f"infer_{rel[2].removesuffix('.tsv')}"
        bench = pd.read_csv(path, sep="\t")
        rows.append({"rule": rule.removesuffix(".tsv"), "s": bench["s"].iloc[0],
                     "max_rss": pd.to_numeric(bench["max_rss"], errors="coerce").iloc[0]})
    table = pd.DataFrame(rows)
    lines = ["| rule | jobs | total s | max s per job | max peak RSS (MB) |", "|---|---|---|---|---|"]
    for rule, grp in table.groupby("rule"):
        lines.append(f"| {rule} | {len(grp)} | {grp['s'].sum():.0f} | {grp['s'].max():.0f} | "
                     f"{grp['max_rss'].max():.0f} |")
    return "\n".join(lines)


def throughput_table(workdir: Path, seeds: set[int]) -> str:
    """Training pairs per second (train pairs x epochs / train seconds) of GENER and MTLGRN."""
    lines = ["| method | jobs | median train pairs/s | median epochs | median train s |", "|---|---|---|---|---|"]
    for method in ("gener", "mtlgrn"):
        records = []
        for path in sorted((workdir / "results" / DATASET / "metrics" / method).rglob("*.json")):
            if not of_seeds(path, seeds):
                continue
            record = json.loads(path.read_text())
            split, seed = path.parent.name, path.stem.removeprefix("seed")
            pairs = pd.read_csv(workdir / "results" / DATASET / "pairs" / split / f"seed{seed}.tsv",
                                sep="\t", usecols=["fold"])
            n_train = int((pairs["fold"] == "train").sum())
            epochs = record.get("epochs") or 0
            seconds = record.get("train_seconds") or float("nan")
            records.append({"pps": n_train * epochs / seconds, "epochs": epochs, "s": seconds})
        if records:
            df = pd.DataFrame(records)
            lines.append(f"| {method} | {len(df)} | {df['pps'].median():.0f} | {df['epochs'].median():.0f} | "
                         f"{df['s'].median():.0f} |")
    return "\n".join(lines)


def shown(path: Path) -> str:
    """`path` relative to the repository when inside it."""
    path = path.resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def head_commit() -> str:
    """The checkout's short commit (with `+changes` when the tree differs from it)."""
    git = ["git", "-C", str(REPO)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True).stdout.strip()
    return (commit or "unknown") + ("+changes" if commit and dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("GRNFLOW_SHARED_DATA", REPO.parent / "shared" / "data")))
    parser.add_argument("--overlay", type=Path, default=REPO / "config" / "bench_real.yaml")
    parser.add_argument("--workdir", type=Path, default=REPO / "bench" / "out" / "real")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--summarize-only", action="store_true", help="only rebuild summary.md")
    parser.add_argument("--evaluation-only", action="store_true",
                        help="only the comparison tables: no final models, inferred network or report")
    parser.add_argument("--seeds", type=int, nargs="+", help="evaluation seeds in place of the overlay's")
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"real data folder {args.data} is absent: pass --data or set GRNFLOW_SHARED_DATA")
    args.workdir.mkdir(parents=True, exist_ok=True)
    targets = EVALUATION_TARGETS if args.evaluation_only else []
    record = args.workdir / "run.json"  # what ran: --summarize-only labels the summary with it
    if args.summarize_only:
        facts = json.loads(record.read_text()) if record.exists() else {}
    else:
        facts = {"commit": head_commit(), "date": time.strftime("%Y-%m-%d")}
        facts["wall_s"] = run(args.workdir, args.data.resolve(), args.overlay.resolve(), args.cores,
                              targets, args.seeds)
        record.write_text(json.dumps(facts, indent=1) + "\n")
    metrics = pd.read_csv(args.workdir / "results" / DATASET / "comparison" / "metrics.tsv", sep="\t")
    seeds = set(metrics["seed"].astype(int))
    commit = facts.get("commit", f"unknown (no run.json; summary rebuilt at {head_commit()})")
    wall = facts.get("wall_s")
    text = "\n\n".join([
        f"Real-data benchmark: `{DATASET}`, commit {commit}, {facts.get('date', 'date unknown')}, {platform.machine()} "
        f"{os.cpu_count()} CPUs, no GPU, overlay `{shown(args.overlay)}`"
        + (f", wall time {wall / 60:.1f} min" if wall else ""),
        results_table(metrics),
        "Per regulator (median over regulators with >= `compare.min_regulator_pairs` test positives "
        "and negatives):\n\n" + regulator_table(metrics),
        beeline_table(args.workdir),
        resampled_table(args.workdir, metrics),
        knockout_table(metrics),
        "Stage timings and peak memory:\n\n" + stage_table(args.workdir, seeds),
        "Training throughput:\n\n" + throughput_table(args.workdir, seeds),
    ])
    (args.workdir / "summary.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
