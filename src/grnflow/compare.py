"""The comparison table: every method's metrics per split x seed, recomputed from predictions."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.convergence import FLAGS
from grnflow.errors import InputError
from grnflow.io import read_table, write_tsv
from grnflow.metrics import (
    PAIR_CLASSES,
    RANKING_KEYS,
    THRESHOLD_KEYS,
    pair_class_metrics,
    ranking_metrics,
    threshold_metrics,
)
from grnflow.methods import ORDER as METHOD_ORDER
from grnflow.names import PREDICTION_COLUMNS, SPLITS
from grnflow.per_regulator import COLUMNS as PER_REGULATOR_COLUMNS
from grnflow.per_regulator import PER_REGULATOR_KEYS, per_regulator, regulator_summary
from grnflow.settings import schema_defaults
from grnflow.versus import versus_baselines

ID_COLUMNS = ["dataset", "split", "method", "seed"]
CLASS_KEYS = ("n_pos", "n_neg", *RANKING_KEYS, *THRESHOLD_KEYS)
REGULATOR_COLUMNS = (
    ["n_regulators_evaluated"]
    + [f"{k}_reg_{s}" for k in PER_REGULATOR_KEYS for s in ("median", "iqr")]
    + ["top_regulator_share", "n_neg_no_edge"]
)
METRIC_COLUMNS = (
    ["n_pos", "n_neg", *RANKING_KEYS, *THRESHOLD_KEYS, "threshold"]
    + REGULATOR_COLUMNS
    + [f"{k}_pc{c}" for c in PAIR_CLASSES for k in CLASS_KEYS]
    + ["epochs", "knockout_pearson", "knockout_direction_accuracy"]
)
# Facts of the run, not of the result: they vary between identical runs (time) or machines
# (device), so they go to comparison/runtime.tsv and metrics.tsv stays byte-reproducible.
RUN_COLUMNS = ["train_seconds", "device"]
# The trainers' convergence facts (grnflow.convergence), per job; booleans become 0/1, and their
# mean over seeds in summary.tsv is the share of seeds flagged. Absent (NaN) for baselines.
CONVERGENCE_KEYS = ("best_epoch", "last_epoch", "early_stopped", *FLAGS)
FLOAT_FORMAT = "%.6f"

_PRED = re.compile(r"predictions/(?P<method>[^/]+)/(?P<split>[^/]+)/seed(?P<seed>\d+)\.tsv(\.gz)?$")
_JSON = re.compile(r"metrics/(?P<method>[^/]+)/(?P<split>[^/]+)/seed(?P<seed>\d+)\.json$")


def job_identity(path: str | Path) -> tuple[str, str, int]:
    """(method, split, seed) of a predictions or job-metrics path laid out as the contract says."""
    text = Path(path).as_posix()
    match = _PRED.search(text) or _JSON.search(text)
    if not match:
        raise InputError(
            f"{path}: not a predictions/{{method}}/{{split}}/seed{{seed}}.tsv.gz or "
            "metrics/{method}/{split}/seed{seed}.json path"
        )
    return match["method"], match["split"], int(match["seed"])


def read_predictions(path: str | Path) -> pd.DataFrame:
    """One job's ranked predictions with the contract's columns checked."""
    table = read_table(path, sep="tab", dtype={"regulator": str, "target": str})
    missing = [c for c in PREDICTION_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"{path}: predictions lack column(s) {', '.join(missing)} "
            f"(expected {' '.join(PREDICTION_COLUMNS)})"
        )
    if table["score"].isna().any():
        line = int(np.flatnonzero(table["score"].isna().to_numpy())[0]) + 2
        raise InputError(f"{path}: line {line} has no score; every test pair needs a numeric score")
    return table


def read_job_metrics(path: str | Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError as exc:
        raise InputError(f"{path}: job metrics file not found") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from exc


def job_row(dataset: str, split: str, method: str, seed: int, predictions: str | Path, job_metrics: str | Path,
            settings: dict | None = None, known_regulators=None, regulator_rows: list | None = None) -> dict:
    """Metrics of one job: ranking metrics (overall, per regulator and per pair class), MCC/F1
    at the classifier's threshold when its JSON has one, and the JSON's run facts.

    `known_regulators` (genes with a reference edge) gives `n_neg_no_edge`, the negatives whose
    regulator has no known edge; the per-regulator table is appended to `regulator_rows`.
    """
    settings = {**schema_defaults("compare"), **(settings or {})}
    pred = read_predictions(predictions)
    facts = read_job_metrics(job_metrics)
    labels, scores = pred["label"].to_numpy(dtype=int), pred["score"].to_numpy(dtype=float)
    threshold = facts.get("threshold")
    row: dict = {"dataset": dataset, "split": split, "method": method, "seed": int(seed)}
    row.update(ranking_metrics(labels, scores))
    if threshold is not None:
        row.update(threshold_metrics(labels, scores, float(threshold)))
    row["threshold"] = threshold
    per_reg = per_regulator(pred, int(settings["min_regulator_pairs"]))
    row.update(regulator_summary(per_reg))
    if known_regulators is not None:
        row["n_neg_no_edge"] = int(((labels == 0) & ~pred["regulator"].isin(known_regulators).to_numpy()).sum())
    if regulator_rows is not None:
        regulator_rows.append(per_reg.assign(dataset=dataset, split=split, method=method, seed=int(seed)))
    row.update(pair_class_metrics(labels, scores, pred["pair_class"], threshold))
    for key in ("train_seconds", "epochs", "device", *CONVERGENCE_KEYS):
        value = facts.get(key)
        row[key] = int(value) if isinstance(value, bool) else value
    for key, value in facts.items():
        if key.startswith("knockout_") and (value is None or isinstance(value, (int, float))):
            row[key] = value
    return row


def _sorted(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows in a canonical order (splits and methods in their registered order, then by name)."""
    rank = {
        "split": {s: i for i, s in enumerate(SPLITS)},
        "method": {m: i for i, m in enumerate(METHOD_ORDER)},
    }

    def key(col: pd.Series) -> pd.Series:
        if col.name in rank:
            return col.map(lambda v: (rank[col.name].get(v, len(rank[col.name])), v))
        return col

    return table.sort_values(keys, key=key, kind="stable").reset_index(drop=True)


def comparison_table(dataset: str, predictions: list, job_metrics: list, settings: dict | None = None,
                     known_regulators=None, regulator_rows: list | None = None) -> pd.DataFrame:
    """One row per split x method x seed of `dataset` (see `job_row` for the optional arguments)."""
    by_id = {}
    for path in job_metrics:
        by_id[job_identity(path)] = path
    rows = []
    for path in predictions:
        ident = job_identity(path)
        if ident not in by_id:
            raise InputError(f"{path}: no job metrics JSON for method {ident[0]}, split {ident[1]}, seed {ident[2]}")
        method, split, seed = ident
        rows.append(job_row(dataset, split, method, seed, path, by_id[ident], settings, known_regulators,
                            regulator_rows))
    table = pd.DataFrame(rows)
    extra = sorted(c for c in table.columns if c not in ID_COLUMNS + METRIC_COLUMNS + RUN_COLUMNS)
    table = table.reindex(columns=ID_COLUMNS + METRIC_COLUMNS + extra + RUN_COLUMNS)
    for col in table.columns:
        if col not in ("dataset", "split", "method", "device"):
            table[col] = pd.to_numeric(table[col], errors="coerce")
    return _sorted(table, ID_COLUMNS)


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and sample sd (ddof 1; NaN with one seed) over seeds per dataset x split x method.

    Seeds where a metric is NaN (e.g. an empty pair class) are left out of its mean and sd;
    `device` lists the devices the seeds ran on.
    """
    numeric = [c for c in table.columns if c not in ID_COLUMNS and c not in ("device", "epochs", "threshold")]
    numeric = [c for c in numeric if pd.api.types.is_numeric_dtype(table[c])]
    groups = table.groupby(["dataset", "split", "method"], sort=False)
    rows = []
    for (dataset, split, method), group in groups:
        row = {"dataset": dataset, "split": split, "method": method, "n_seeds": len(group)}
        if "device" in group:
            row["device"] = ";".join(sorted(group["device"].dropna().astype(str).unique()))
        for col in numeric:
            values = group[col].to_numpy(dtype=float)
            values = values[~np.isnan(values)]
            row[f"{col}_mean"] = values.mean() if values.size else math.nan
            row[f"{col}_sd"] = values.std(ddof=1) if values.size > 1 else math.nan
        rows.append(row)
    return _sorted(pd.DataFrame(rows), ["dataset", "split", "method"])


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """TSV with a fixed float format, so identical inputs give byte-identical files."""
    write_tsv(table, path, float_format=FLOAT_FORMAT, na_rep="NaN")


def compare(
    dataset: str,
    predictions: list,
    job_metrics: list,
    out_metrics: str | Path,
    out_summary: str | Path,
    out_runtime: str | Path,
    out_per_regulator: str | Path | None = None,
    out_versus: str | Path | None = None,
    network: str | Path | None = None,
    settings: dict | None = None,
) -> pd.DataFrame:
    """Write `comparison/metrics.tsv` (per seed), `summary.tsv` (mean ± sd over seeds),
    `runtime.tsv` (training seconds and device per job, which differ between identical runs),
    and, when given, `per_regulator.tsv` (per regulator x job) and `vs_baseline.tsv` (each
    model against the best baseline of its split, `grnflow.versus`)."""
    known = None
    if network is not None:
        edges = read_table(network, sep="tab", dtype={"regulator": str, "target": str}, keep_default_na=False)
        known = set(edges["regulator"])
    regulator_rows: list = []
    table = comparison_table(dataset, list(predictions), list(job_metrics), settings, known, regulator_rows)
    results = table.drop(columns=RUN_COLUMNS)
    write_table(results, out_metrics)
    write_table(summarize(results), out_summary)
    write_table(table[ID_COLUMNS + RUN_COLUMNS], out_runtime)
    if out_per_regulator is not None:
        per_reg = pd.concat(regulator_rows, ignore_index=True) if regulator_rows else pd.DataFrame()
        per_reg = per_reg.reindex(columns=ID_COLUMNS + PER_REGULATOR_COLUMNS)
        write_table(_sorted(per_reg, ID_COLUMNS), out_per_regulator)
    if out_versus is not None:
        write_table(versus_baselines(results), out_versus)
    return table


def read_comparison(path: str | Path) -> pd.DataFrame:
    """Read a metrics.tsv or summary.tsv written by `compare`."""
    return read_table(path, sep="tab", dtype={"dataset": str, "split": str, "method": str, "device": str})
