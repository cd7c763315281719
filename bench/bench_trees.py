"""Tree importances on E. coli PRECISE-278: GENIE3 extra trees against faster candidates.

    .venv/bin/python bench/bench_trees.py [--data ../shared/data] [--repeats 3] [--reference-repeats 1]
        [--candidate extra_trees] [--extra-trees '{"n_estimators": 30}'] [--boosting '{"max_depth": 1}']

Prepares the dataset's normalized expression, TF list and the seed-0 pairs of every split with
the workflow itself (bench/out/trees/, from the offline mirror), then times `tree_importances`
with each configuration, runs interleaved (reference, candidate, candidate, ...), and scores
every split's test pairs (AUROC) with each table. Target: the candidate >= 5x faster than the
reference at AUROC within 0.01 on every split; with `--quality-seeds N` the AUROCs are medians
over forest seeds 0..N-1 (one seed's AUROC moves by about 0.01 between seeds on E. coli). Wall
and CPU seconds and the load average are recorded per run (the machine may be shared: CPU
seconds are the fairer comparison then).
The reference's figures and importances are cached in the work folder (`--fresh` recomputes
them). The reference, `sklearn_forest`, is the code before issue 17: one scikit-learn
ExtraTreesRegressor per target (100 trees, max_features sqrt), targets spread over `--threads`
loky processes. Candidates: `extra_trees` (the workflow's GENIE3 with the schema's settings of
baselines.trees; `--extra-trees` replaces some), `boosting` (baselines.trees.boosting; `--boosting`
replaces some). CPU seconds count this process, its reaped children and its live descendants
(the loky workers, read from /proc), so the reference's worker processes are included.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from grnflow.baselines import EXTRA_TREES_KEYS, _standardized, tree_importances, tree_scores  # noqa: E402
from grnflow.io import read_gene_list, read_normalized  # noqa: E402
from grnflow.metrics import auroc  # noqa: E402
from grnflow.names import SPLITS  # noqa: E402
from grnflow.settings import schema_defaults  # noqa: E402

DATASET = "ecoli_precise278"
TREES = schema_defaults("baselines")["trees"]
CONFIGS = {
    # the workflow's tree baseline before issue 17: a scikit-learn forest per target, loky processes
    "sklearn_forest": {"method": "sklearn_forest", "n_estimators": 100, "max_features": "sqrt"},
    # method: extra_trees with the schema's settings (`--extra-trees` replaces some)
    "extra_trees": {"method": "extra_trees", **{k: TREES[k] for k in EXTRA_TREES_KEYS}},
    # method: boosting with the schema's defaults of baselines.trees.boosting (`--boosting` replaces some)
    "boosting": {"method": "boosting", "boosting": TREES["boosting"]},
}


def sklearn_forest(expr: pd.DataFrame, tfs: list[str], threads: int, seed: int, n_estimators: int,
                   max_features) -> pd.DataFrame:
    """The `trees` baseline before issue 17: one ExtraTreesRegressor per target (regulators
    standardized, the target itself left out), targets in 4 x `threads` chunks on loky processes."""
    from sklearn.ensemble import ExtraTreesRegressor
    from sklearn.utils.parallel import Parallel, delayed

    standardized, sd = _standardized(expr)
    reg_rows = expr.index.get_indexer(tfs)
    features = standardized[reg_rows].T

    def chunk(rows):
        out = np.zeros((len(rows), len(reg_rows)))
        for i, row in enumerate(rows):
            keep = reg_rows != row
            if keep.sum() and sd[row] > 0:
                model = ExtraTreesRegressor(n_estimators=n_estimators, max_features=max_features, n_jobs=1,
                                            random_state=seed)
                out[i, keep] = model.fit(features[:, keep], standardized[row]).feature_importances_
        return out

    chunks = [c for c in np.array_split(np.arange(len(expr)), threads * 4) if len(c)]
    parts = Parallel(n_jobs=threads, backend="loky" if threads > 1 else "sequential")(delayed(chunk)(c) for c in chunks)
    return pd.DataFrame(np.vstack(parts), index=expr.index, columns=pd.Index(tfs))


def prepare(workdir: Path, data: Path, cores: int) -> Path:
    """Run the workflow up to expression, TFs and pairs; return the dataset's results folder."""
    res = f"results/{DATASET}"
    targets = [f"{res}/data/expression.tsv", f"{res}/data/tfs.txt"]
    targets += [f"{res}/pairs/{split}/seed0.tsv" for split in SPLITS]
    cmd = [sys.executable, "-m", "snakemake", *targets, "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(workdir), "--cores", str(cores),
           "--configfile", str(REPO / "config" / "datasets" / f"{DATASET}.yaml"),
           "--config", f"download={{mirror: {data}}}"]  # default seeds: [0]
    subprocess.run(cmd, check=True, env=dict(os.environ, PYTHONPATH=str(REPO / "src")))
    return workdir / res


def live_descendants_cpu() -> float:
    """CPU seconds (user + system) of this process' live descendants, from /proc (0 elsewhere)."""
    parent, ticks = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        pid = int(stat.parent.name)
        parent[pid], ticks[pid] = int(fields[1]), int(fields[11]) + int(fields[12])
    mine, todo = set(), [os.getpid()]
    while todo:
        kids = [pid for pid, ppid in parent.items() if ppid == todo[-1] and pid not in mine]
        todo.pop()
        mine.update(kids)
        todo += kids
    return sum(ticks[pid] for pid in mine) / os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> float:
    """CPU seconds of this process, its reaped children and its live descendants (the loky
    workers of the reference stay alive between runs; their CPU is read from /proc)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime + live_descendants_cpu()


def timed(expr: pd.DataFrame, tfs: list[str], config: dict, threads: int) -> tuple[pd.DataFrame, dict]:
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), cpu_seconds()
    if config["method"] == "sklearn_forest":
        settings = {k: v for k, v in config.items() if k != "method"}
        table = sklearn_forest(expr, tfs, threads=threads, seed=0, **settings)
    else:
        table = tree_importances(expr, expr.index, tfs, threads=threads, seed=0, **config)
    facts = {"wall_s": time.perf_counter() - wall, "cpu_s": cpu_seconds() - cpu,
             "load_before": load, "load_after": os.getloadavg()[0]}
    return table, facts


def quality_config(config: dict) -> dict:
    """Settings of `tree_importances` that give `config`'s importances at any seed: the reference
    forest's are exactly those of `extra_trees` with its settings (the same trees; tests/
    test_baselines.py), so its other seeds are scored the lean way; timing uses seed 0 only."""
    if config["method"] == "sklearn_forest":
        return {**config, "method": "extra_trees"}
    return config


def seed_aurocs(expr: pd.DataFrame, tfs: list[str], config: dict, threads: int, seeds, results: Path) -> dict:
    """AUROC per split of the seed-0 pairs' test folds, with the trees grown from each forest seed."""
    out = {}
    for seed in seeds:
        table = tree_importances(expr, expr.index, tfs, threads=threads, seed=seed, **quality_config(config))
        out[str(seed)] = split_aurocs(table, results)
        print(config["method"], "seed", seed, out[str(seed)], flush=True)
    return out


def split_aurocs(table: pd.DataFrame, results: Path) -> dict[str, float]:
    out = {}
    for split in SPLITS:
        pairs = pd.read_csv(results / "pairs" / split / "seed0.tsv", sep="\t", dtype={"gene_a": str, "gene_b": str})
        test = pairs[pairs["fold"] == "test"]
        out[split] = auroc(test["label"].to_numpy(), tree_scores(table, test))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("GRNFLOW_SHARED_DATA", REPO.parent / "shared" / "data")))
    parser.add_argument("--workdir", type=Path, default=REPO / "bench" / "out" / "trees")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the candidate")
    parser.add_argument("--reference-repeats", type=int, default=1, help="runs of the reference")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--candidate", default="extra_trees", choices=sorted(CONFIGS))
    parser.add_argument("--reference", default="sklearn_forest", choices=sorted(CONFIGS))
    parser.add_argument("--quality-seeds", type=int, default=1,
                        help="forest seeds 0..N-1 whose AUROC decides quality (medians; the reference's "
                             "own seed-to-seed spread); timing uses seed 0")
    parser.add_argument("--fresh", action="store_true", help="recompute the cached reference")
    parser.add_argument("--boosting", type=json.loads, default={}, help="JSON: settings of the boosting candidate")
    parser.add_argument("--extra-trees", type=json.loads, default={},
                        help="JSON: settings of the extra_trees candidate (n_estimators, min_samples_leaf, ...)")
    args = parser.parse_args()
    CONFIGS["boosting"]["boosting"].update(args.boosting)
    CONFIGS["extra_trees"].update(args.extra_trees)
    if not args.data.is_dir():
        sys.exit(f"real data folder {args.data} is absent: pass --data or set GRNFLOW_SHARED_DATA")
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = prepare(args.workdir, args.data.resolve(), args.threads)
    expr = read_normalized(results / "data" / "expression.tsv")
    tfs = [g for g in read_gene_list(results / "data" / "tfs.txt") if g in expr.index]
    cache = args.workdir / f"reference_{args.reference}.json"
    runs = {args.reference: [], args.candidate: []}
    aurocs, ref_seeds = {}, {}  # ref_seeds: the reference's AUROCs at forest seeds >= 1
    if cache.exists() and not args.fresh:
        saved = json.loads(cache.read_text())
        runs[args.reference], aurocs[args.reference] = saved["runs"], saved["auroc"]
        ref_seeds = saved.get("seed_auroc", {})

    def save_reference():
        cache.write_text(json.dumps({"runs": runs[args.reference], "auroc": aurocs[args.reference],
                                     "seed_auroc": ref_seeds}, indent=1))

    ref_todo = max(args.reference_repeats - len(runs[args.reference]), 0)
    order = []  # interleaved: reference, candidate, reference, candidate, ...
    for i in range(max(ref_todo, args.repeats)):
        order += [args.reference] * (i < ref_todo) + [args.candidate] * (i < args.repeats)
    for name in order:
        table, facts = timed(expr, tfs, CONFIGS[name], args.threads)
        runs[name].append(facts)
        aurocs[name] = split_aurocs(table, results)
        print(name, {k: round(v, 2) for k, v in facts.items()}, aurocs[name], flush=True)
        if name == args.reference:
            save_reference()
            table.to_pickle(cache.with_suffix(".pkl"))  # for comparisons on subsets of the targets
    other = range(1, args.quality_seeds)
    ref_seeds.update(seed_aurocs(expr, tfs, CONFIGS[args.reference], args.threads,
                                 [seed for seed in other if str(seed) not in ref_seeds], results))
    save_reference()
    cand_seeds = seed_aurocs(expr, tfs, CONFIGS[args.candidate], args.threads, other, results)
    # both over the same forest seeds 0..N-1 (the cache may hold more of the reference's)
    seeds = {args.reference: {"0": aurocs[args.reference], **{str(k): ref_seeds[str(k)] for k in other}},
             args.candidate: {"0": aurocs[args.candidate], **cand_seeds}}
    report(args, runs, aurocs, expr.shape, len(tfs), seeds)


def report(args, runs: dict, aurocs: dict, shape, n_tfs: int, seeds: dict) -> None:
    ref, cand = args.reference, args.candidate
    med = {name: {k: float(np.median([r[k] for r in rs])) for k in ("wall_s", "cpu_s")} for name, rs in runs.items()}
    loads = [r["load_before"] for rs in runs.values() for r in rs] + [r["load_after"] for rs in runs.values() for r in rs]
    speed_wall = med[ref]["wall_s"] / med[cand]["wall_s"]
    speed_cpu = med[ref]["cpu_s"] / med[cand]["cpu_s"]
    n_seeds = len(seeds[ref])
    # the verdict on medians over forest seeds 0..N-1 (seed 0 alone when N is 1): one seed's
    # AUROC moves by about 0.01 itself
    medians = {name: {s: float(np.median([seeds[name][k][s] for k in seeds[name]])) for s in SPLITS} for name in (ref, cand)}
    diffs = {s: medians[cand][s] - medians[ref][s] for s in SPLITS}
    quality = all(abs(d) <= 0.01 or d > 0 for d in diffs.values())
    lines = [
        f"Tree importances, `{DATASET}` ({shape[0]} genes x {shape[1]} samples, {n_tfs} TFs), "
        f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()} {os.cpu_count()} CPUs, "
        f"{args.threads} threads, load average {min(loads):.1f}-{max(loads):.1f} (shared machine)",
        "",
        "| configuration | runs | median wall s | median CPU s | " + " | ".join(f"AUROC {s}" for s in SPLITS) + " |",
        "|---|---|---|---|" + "---|" * len(SPLITS),
    ]
    for name in (ref, cand):
        lines.append(f"| {name} {json.dumps(CONFIGS[name])} | {len(runs[name])} | {med[name]['wall_s']:.1f} | "
                     f"{med[name]['cpu_s']:.1f} | " + " | ".join(f"{aurocs[name][s]:.4f}" for s in SPLITS) + " |")
    if n_seeds > 1:
        lines += ["", f"AUROC over forest seeds 0-{n_seeds - 1} (the pairs of seed 0; the reference's other seeds "
                  "computed the lean way, which gives its exact importances): median [min, max] per split", "",
                  "| configuration | " + " | ".join(SPLITS) + " |", "|---|" + "---|" * len(SPLITS)]
        for name in (ref, cand):
            cells = []
            for split in SPLITS:
                values = [seeds[name][k][split] for k in seeds[name]]
                cells.append(f"{medians[name][split]:.4f} [{min(values):.4f}, {max(values):.4f}]")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Speed-up (median wall): {speed_wall:.1f}x (target >= 5x: {'met' if speed_wall >= 5 else 'not met'}); "
        f"median CPU seconds: {speed_cpu:.1f}x. "
        f"AUROC difference per split ({f'medians of {n_seeds} forest seeds' if n_seeds > 1 else 'seed 0'}): "
        + ", ".join(f"{s} {d:+.4f}" for s, d in diffs.items())
        + f" (target: within 0.01 or better on every split: {'met' if quality else 'not met'}).",
    ]
    text = "\n".join(lines)
    (args.workdir / "summary.md").write_text(text + "\n")
    (args.workdir / "runs.json").write_text(json.dumps({"runs": runs, "auroc": aurocs, "seed_auroc": seeds}, indent=1))
    print(text)


if __name__ == "__main__":
    main()
