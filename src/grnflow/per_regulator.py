"""Per-regulator views of one job's test predictions (one regulator can dominate a fold).

A global AUROC over a fold where one regulator holds most positives but few negatives measures
how that regulator is ranked. Here each regulator (gene_a) with at least `min_pairs` positives
and `min_pairs` negatives in the fold gets its own AUROC, AUPR (average precision) and EPR; the
comparison reports their median and interquartile range, and the share of the fold's positives
held by the largest regulator.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from grnflow.metrics import aupr, auroc, epr

PER_REGULATOR_KEYS = ("auroc", "aupr", "epr")
COLUMNS = ["regulator", "n_pos", "n_neg", "evaluated", *PER_REGULATOR_KEYS]


def per_regulator(pred: pd.DataFrame, min_pairs: int) -> pd.DataFrame:
    """One row per regulator with a positive: counts, `evaluated` (enough of both labels) and
    its metrics (NaN when not evaluated), sorted by positives (most first), then name."""
    labels = pred["label"].to_numpy(dtype=int)
    scores = pred["score"].to_numpy(dtype=float)
    regs = pred["regulator"].to_numpy()
    names, group = np.unique(regs, return_inverse=True)
    n_pos = np.bincount(group, weights=labels, minlength=names.size).astype(int)
    n_all = np.bincount(group, minlength=names.size)
    order = np.argsort(group, kind="stable")
    bounds = np.r_[0, np.cumsum(n_all)]
    rows = []
    for g in np.flatnonzero(n_pos > 0):
        idx = order[bounds[g]:bounds[g + 1]]
        ok = n_pos[g] >= min_pairs and n_all[g] - n_pos[g] >= min_pairs
        y, s = labels[idx], scores[idx]
        values = [f(y, s) if ok else math.nan for f in (auroc, aupr, epr)]
        rows.append([names[g], int(n_pos[g]), int(n_all[g] - n_pos[g]), int(ok), *values])
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values(["n_pos", "regulator"], ascending=[False, True], kind="stable").reset_index(drop=True)


def regulator_summary(table: pd.DataFrame) -> dict:
    """Median and IQR (75th - 25th percentile) of each per-regulator metric over the evaluated
    regulators, their number, and the largest regulator's share of the fold's positives."""
    evaluated = table[table["evaluated"] == 1]
    out: dict = {"n_regulators_evaluated": int(len(evaluated))}
    for key in PER_REGULATOR_KEYS:
        values = evaluated[key].dropna().to_numpy(dtype=float)
        out[f"{key}_reg_median"] = float(np.median(values)) if values.size else math.nan
        out[f"{key}_reg_iqr"] = float(np.subtract(*np.percentile(values, [75, 25]))) if values.size else math.nan
    total = table["n_pos"].sum()
    out["top_regulator_share"] = float(table["n_pos"].max() / total) if total else math.nan
    return out
