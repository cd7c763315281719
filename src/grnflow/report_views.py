"""The report's evaluation views: warnings against the best baseline, per-regulator summary,
pair-class counts too small to show, and BEELINE's table (see grnflow.report for the page).

Each function turns comparison tables into what one section of the page shows; the sections
are templates/sections/{versus,regulators,beeline}.html.j2.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from grnflow.io import read_table
from grnflow.methods import ORDER
from grnflow.names import SPLITS
from grnflow.per_regulator import PER_REGULATOR_KEYS
from grnflow.report_figures import ordered
from grnflow.settings import schema_defaults
from grnflow.versus import versus_baselines

LABELS = {"auroc": "AUROC", "aupr": "AUPR", "aupr_ratio": "AUPR ratio", "epr": "EPR"}


def compare_settings(settings: dict | None = None) -> dict:
    """Config `compare.*`: the given keys over the schema's defaults (the one source of them)."""
    return {**schema_defaults("compare"), **(settings or {})}


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def model_warnings(metrics: pd.DataFrame) -> list[dict]:
    """Every model x split x metric that does not beat the best baseline of its split or is
    below chance (grnflow.versus), with the paired per-seed difference; split order kept."""
    table = versus_baselines(metrics)
    table = table[table["warning"] != ""]
    out = []
    for split in ordered(table["split"].unique(), SPLITS):
        for _, row in table[table["split"] == split].iterrows():
            diff = _fmt(row["diff_mean"]) + ("" if math.isnan(row["diff_sd"]) else f" ± {_fmt(row['diff_sd'])}")
            out.append({
                "model": row["model"], "split": split, "metric": row["metric"], "label": LABELS[row["metric"]],
                "best_baseline": row["best_baseline"], "model_mean": row["model_mean"],
                "baseline_mean": row["baseline_mean"], "diff": diff, "wins": int(row["wins"]),
                "n_seeds": int(row["n_seeds"]), "text": row["warning"],
            })
    return out


def versus_rows(metrics: pd.DataFrame) -> list[dict]:
    """Every model x split x metric against the best baseline (the section's table)."""
    rows = []
    table = versus_baselines(metrics)
    for split in ordered(table["split"].unique(), SPLITS):
        for _, r in table[table["split"] == split].iterrows():
            rows.append({"split": split, "model": r["model"], "metric": LABELS[r["metric"]],
                         "best": r["best_baseline"] or "–", "model_mean": _fmt(r["model_mean"]),
                         "baseline_mean": _fmt(r["baseline_mean"]),
                         "diff": _fmt(r["diff_mean"]) + ("" if math.isnan(r["diff_sd"]) else f" ± {_fmt(r['diff_sd'])}"),
                         "wins": f"{int(r['wins'])}/{int(r['n_seeds'])}", "warning": r["warning"]})
    return rows


def regulator_view(metrics: pd.DataFrame, settings: dict | None = None) -> dict:
    """Per split: the largest regulator's share of test positives (warned above the limit),
    negatives from regulators without a known edge, and per method the median [IQR] of the
    per-regulator metrics over the evaluated regulators."""
    limit = float(compare_settings(settings)["top_regulator_limit"])
    groups, alerts = [], []
    if "top_regulator_share" not in metrics.columns:
        return {"groups": [], "alerts": [], "limit": limit}
    for split in ordered(metrics["split"].unique(), SPLITS):
        here = metrics[metrics["split"] == split]
        share = float(here["top_regulator_share"].max())
        no_edge = here["n_neg_no_edge"].max() if "n_neg_no_edge" in here else math.nan
        rows = []
        for method in ordered(here["method"].unique(), ORDER):
            part = here[here["method"] == method]
            cells = []
            for key in PER_REGULATOR_KEYS:
                med, iqr = part[f"{key}_reg_median"].mean(), part[f"{key}_reg_iqr"].mean()
                cells.append("–" if math.isnan(med) else f"{_fmt(med)} [{_fmt(iqr)}]")
            rows.append({"method": method, "n": _fmt(part["n_regulators_evaluated"].mean(), 0), "cells": cells})
        if share > limit:
            alerts.append({"split": split, "share": share})
        groups.append({"split": split, "share": _fmt(share, 2), "no_edge": _fmt(float(no_edge), 0),
                       "n_neg": _fmt(float(here["n_neg"].max()), 0), "rows": rows, "dominated": share > limit})
    return {"groups": groups, "alerts": alerts, "limit": limit,
            "head": [f"{LABELS[k]} median [IQR]" for k in PER_REGULATOR_KEYS]}


def small_groups(summary: pd.DataFrame, min_pairs: int) -> set[tuple[str, int]]:
    """(split, pair class) groups whose mean positives or negatives are below `min_pairs`."""
    out = set()
    for split in summary["split"].unique():
        first = summary[summary["split"] == split].iloc[0]
        for c in (2, 1, 0):
            n_pos, n_neg = first.get(f"n_pos_pc{c}_mean", 0.0), first.get(f"n_neg_pc{c}_mean", 0.0)
            if not (n_pos >= min_pairs and n_neg >= min_pairs):
                out.add((split, c))
    return out


def beeline_view(path: str | Path) -> dict:
    """BEELINE's table (mean ± sd over seeds per label-free method), or nothing when absent."""
    path = Path(path)
    if not path.exists():
        return {"rows": []}
    table = read_table(path, sep="tab", dtype={"dataset": str, "method": str})
    rows = []
    for method in ordered(table["method"].unique(), ORDER):
        part = table[table["method"] == method]

        def cell(col):
            values = part[col].astype(float)
            sd = values.std(ddof=1) if len(values) > 1 else math.nan
            return _fmt(values.mean()) + ("" if math.isnan(sd) else f" ± {_fmt(sd)}")

        first = part.iloc[0]
        rows.append({"method": method, "seeds": len(part), "cells": [cell(c) for c in
                     ("auroc", "aupr", "auprc", "auprc_ratio", "early_precision", "epr")]})
    first = table.iloc[0] if len(table) else None
    facts = {} if first is None else {
        "regulators": int(first["n_regulators"]), "genes": int(first["n_genes"]),
        "candidates": int(first["n_candidates"]), "edges": int(first["n_edges"]),
        "density": _fmt(float(first["density"]), 4), "k": int(first["k"])}
    return {"rows": rows, "facts": facts,
            "head": ["AUROC", "AUPR (avg. precision)", "AUPRC (trapezoid)", "AUPRC ratio", "early precision", "EPR"]}
