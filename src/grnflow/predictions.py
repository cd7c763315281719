"""The per-job output contract shared by all methods: ranked predictions and a metrics JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.errors import InputError
from grnflow.io import read_table, write_text, write_tsv
from grnflow.metrics import ranking_metrics
from grnflow.names import PAIR_COLUMNS, PREDICTION_COLUMNS

__all__ = ["PAIR_COLUMNS", "PREDICTION_COLUMNS", "read_pairs", "ranked_predictions", "write_predictions",
           "write_job_metrics"]


def read_pairs(path: str | Path) -> pd.DataFrame:
    """Read a pair table (`results/{ds}/pairs/{split}/seed{seed}.tsv`) with checked columns."""
    pairs = read_table(path, sep="tab", dtype={"gene_a": str, "gene_b": str, "fold": str})
    missing = [c for c in PAIR_COLUMNS if c not in pairs.columns]
    if missing:
        raise InputError(
            f"{path}: pair table lacks column(s) {', '.join(missing)} (line 1 is the header; expected "
            f"{' '.join(PAIR_COLUMNS)}); rebuild it with the `pairs` rule"
        )
    return pairs


def ranked_predictions(test_pairs: pd.DataFrame, scores) -> pd.DataFrame:
    """Test pairs with their scores, highest first (ties in the pair table's order)."""
    scores = np.asarray(scores, dtype=float)
    if len(scores) != len(test_pairs):
        raise InputError(
            f"{len(scores)} scores for {len(test_pairs)} test pairs; a method must score every test pair "
            "of its pair table exactly once"
        )
    out = pd.DataFrame(
        {
            "regulator": test_pairs["gene_a"].to_numpy(),
            "target": test_pairs["gene_b"].to_numpy(),
            "score": scores,
            "label": test_pairs["label"].to_numpy(dtype=int),
            "fold": test_pairs["fold"].to_numpy(),
            "pair_class": test_pairs["pair_class"].to_numpy(dtype=int),
        }
    )
    order = np.argsort(-scores, kind="stable")
    return out.iloc[order].reset_index(drop=True)


def write_predictions(test_pairs: pd.DataFrame, scores, path: str | Path) -> pd.DataFrame:
    """Write the ranked predictions TSV(.gz) of one job atomically; return the table."""
    ranked = ranked_predictions(test_pairs, scores)
    write_tsv(ranked, path, float_format="%.6g")
    return ranked


def write_job_metrics(path: str | Path, ranked: pd.DataFrame, **fields) -> dict:
    """Write the per-job metrics JSON: ranking metrics of `ranked` plus `fields` (time, device...)."""
    record = dict(fields)
    record.update(ranking_metrics(ranked["label"], ranked["score"]))
    clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
    write_text(json.dumps(clean, indent=2, sort_keys=True) + "\n", path)
    return record
