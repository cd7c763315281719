"""Knockout predictions judged against simple predictors (stage `infer`).

MTLGRN's knockout head predicts each gene's change (knockout minus matched controls, in the
normalized units) when a gene is knocked out. Two predictors that need no model put its
scores in context, on the same held-out knocked genes:
- `no_change`: every gene unchanged (0);
- `expression`: the knocked gene's Pearson correlation with each gene (wild-type samples
  only) times the typical change of a knocked gene itself (median over the TRAINING
  knockouts), i.e. "co-expressed genes follow the regulator down".
Direction accuracy (up / down / unchanged at +-threshold) is reported beside the share of the
most common observed class: a predictor that always says "unchanged" scores that share.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.io import read_normalized, write_tsv

log = logging.getLogger(__name__)

KO_COLUMNS = ["split", "seed", "predictor", "n_experiments", "n_genes_knocked", "pearson",
              "direction_accuracy", "majority_share", "majority_class"]
CLASSES = {1: "up", -1: "down", 0: "unchanged"}


def directions(values: np.ndarray, threshold: float) -> np.ndarray:
    """1 up, -1 down, 0 unchanged at +-threshold."""
    return np.where(values >= threshold, 1, np.where(values <= -threshold, -1, 0))


def score_predictor(pred: np.ndarray, observed: np.ndarray, mask: np.ndarray, threshold: float) -> dict:
    """Pearson r, direction accuracy and the majority-class share over the masked entries."""
    p, t = pred[mask], observed[mask]
    r = math.nan if p.size < 2 or np.std(p) == 0 or np.std(t) == 0 else float(np.corrcoef(p, t)[0, 1])
    obs_dir = directions(t, threshold)
    counts = {c: int((obs_dir == c).sum()) for c in (0, 1, -1)}
    majority = max(counts, key=counts.get)
    return {
        "pearson": r,
        "direction_accuracy": float(np.mean(directions(p, threshold) == obs_dir)) if p.size else math.nan,
        "majority_share": counts[majority] / p.size if p.size else math.nan,
        "majority_class": CLASSES[majority],
    }


def wild_type_correlation(expr: pd.DataFrame, sheet: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Pearson r of the genes at `rows` with every gene, over the samples that are no knockout."""
    knocked = set(sheet.loc[sheet["knockout"].str.strip() != "", "sample"])
    wild = [c for c in expr.columns if c not in knocked]
    values = expr[wild].to_numpy(dtype=float)
    centred = values - values.mean(axis=1, keepdims=True)
    norms = np.sqrt((centred**2).sum(axis=1, keepdims=True))
    unit = np.divide(centred, norms, out=np.zeros_like(centred), where=norms > 0)
    return unit[rows] @ unit.T


def expression_predictor(expr: pd.DataFrame, sheet: pd.DataFrame, knocked: np.ndarray,
                         self_change: float) -> np.ndarray:
    """Predicted change of every gene (rows: experiments) from expression alone."""
    return wild_type_correlation(expr, sheet, knocked) * self_change


def typical_self_change(knocked: np.ndarray, target: np.ndarray) -> float:
    """Median change of the knocked gene itself over the given experiments (0 without any)."""
    if len(knocked) == 0:
        return 0.0
    return float(np.median(target[np.arange(len(knocked)), knocked]))


def heldout_comparison(expr: pd.DataFrame, sheet: pd.DataFrame, knockouts, heldout: np.ndarray,
                       threshold: float) -> dict[str, dict]:
    """Scores of the two simple predictors on the held-out experiments of one seed."""
    train, held = ~heldout, heldout
    effect = typical_self_change(knockouts.knocked[train], knockouts.target[train])
    observed, mask = knockouts.target[held], knockouts.mask[held]
    preds = {
        "no_change": np.zeros_like(observed),
        "expression": expression_predictor(expr, sheet, knockouts.knocked[held], effect),
    }
    return {name: score_predictor(p, observed, mask, threshold) for name, p in preds.items()}


def run_knockout_comparison(expression: str | Path, samples: str | Path,
                            metrics: dict[tuple[str, int], str | Path], out: str | Path,
                            holdout: float, threshold: float) -> pd.DataFrame:
    """knockout_comparison.tsv: MTLGRN's held-out knockout scores (its evaluation jobs'
    metrics) beside `no_change` and `expression` on the same held-out knocked genes."""
    from grnflow.mtlgrn_data import holdout_knockouts, knockout_targets, read_samples

    expr = read_normalized(expression)
    sheet = read_samples(samples)
    knockouts = knockout_targets(expr, sheet, samples)
    rows = []
    for (split, seed), path in metrics.items():
        heldout = holdout_knockouts(knockouts.knocked_genes, holdout, int(seed))
        if not heldout.any():
            continue
        base = {"split": split, "seed": int(seed), "n_experiments": int(heldout.sum()),
                "n_genes_knocked": len(set(np.asarray(knockouts.knocked_genes)[heldout]))}
        record = json.loads(Path(path).read_text())
        simple = heldout_comparison(expr, sheet, knockouts, heldout, threshold)
        shared = {k: simple["no_change"][k] for k in ("majority_share", "majority_class")}
        rows.append({**base, "predictor": "mtlgrn", "pearson": record.get("knockout_pearson"),
                     "direction_accuracy": record.get("knockout_direction_accuracy"), **shared})
        rows += [{**base, "predictor": name, **scores} for name, scores in simple.items()]
    table = pd.DataFrame(rows, columns=KO_COLUMNS)
    write_tsv(table, out, float_format="%.6g")
    log.info("knockout comparison: %d rows (%d knockout experiments in the data)", len(table), len(knockouts))
    return table
