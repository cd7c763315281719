"""Each model against the best baseline of its split: paired per-seed differences and warnings.

For a model x split and a metric, the best baseline is the baseline with the highest mean over
seeds on that split. Models and baselines of one split x seed score the same test pairs (one
pair table), so the difference is paired by seed: mean ± sd (ddof 1) of model - baseline, and
on how many seeds the model wins. A warning fires when the model does not beat the best
baseline (mean difference <= 0) or is below chance (AUROC < 0.5, AUPR ratio or EPR < 1).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from grnflow.methods import BY_NAME

CHANCE = {"auroc": 0.5, "aupr_ratio": 1.0, "epr": 1.0}
COLUMNS = ["dataset", "split", "model", "metric", "best_baseline", "model_mean", "baseline_mean",
           "diff_mean", "diff_sd", "wins", "n_seeds", "chance", "warning"]


def _kind(method: str) -> str | None:
    m = BY_NAME.get(method)
    return m.kind if m else None


def versus_baselines(table: pd.DataFrame, metrics=tuple(CHANCE)) -> pd.DataFrame:
    """One row per dataset x split x model x metric (see the module docstring)."""
    rows = []
    for (dataset, split), part in table.groupby(["dataset", "split"], sort=False):
        kinds = part["method"].map(_kind)
        models = pd.unique(part.loc[kinds == "model", "method"])
        baselines = part[kinds == "baseline"]
        for metric in metrics:
            means = baselines.groupby("method")[metric].mean().dropna()
            best = means.idxmax() if len(means) else None
            for model in models:
                rows.append(_row(dataset, split, model, metric, part, best))
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(dataset, split, model, metric, part, best) -> dict:
    ours = part[part["method"] == model].set_index("seed")[metric]
    row = {"dataset": dataset, "split": split, "model": model, "metric": metric, "best_baseline": best,
           "model_mean": float(ours.mean()), "chance": CHANCE[metric]}
    warnings = []
    if best is None:
        row.update(baseline_mean=math.nan, diff_mean=math.nan, diff_sd=math.nan, wins=0, n_seeds=0)
    else:
        theirs = part[part["method"] == best].set_index("seed")[metric]
        diff = (ours - theirs).dropna()
        row.update(baseline_mean=float(theirs.mean()), n_seeds=int(diff.size), wins=int((diff > 0).sum()),
                   diff_mean=float(diff.mean()) if diff.size else math.nan,
                   diff_sd=float(diff.std(ddof=1)) if diff.size > 1 else math.nan)
        if not diff.size or not row["diff_mean"] > 0:
            warnings.append(f"does not beat {best} ({row['wins']} of {row['n_seeds']} seeds won)")
    if not np.isnan(row["model_mean"]) and row["model_mean"] < CHANCE[metric]:
        warnings.append(f"below chance ({metric} {row['model_mean']:.3f} < {CHANCE[metric]:g})")
    row["warning"] = "; ".join(warnings)
    return row
