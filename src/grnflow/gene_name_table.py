"""The `gene name` table of rule gene_names, read by downstream stages (report, inferred network).

Kept apart from grnflow.gene_names so that readers need only pandas (not the annotation,
FASTA or HDF5 readers that build the table).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from grnflow.errors import InputError
from grnflow.io import read_table

COLUMNS = ["gene", "name"]


def read_gene_names(path: str | Path) -> pd.Series:
    """`gene_names.tsv` as name by gene ID ('' when unknown)."""
    table = read_table(path, sep="tab", dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"{path}: no column(s) {', '.join(missing)} (expected `gene name`, written by rule gene_names)")
    return pd.Series(table["name"].str.strip().to_numpy(), index=table["gene"].to_numpy(), dtype=object)


def named_top_pairs(predictions: pd.DataFrame, names: pd.Series, k: int = 10) -> list[dict]:
    """The `k` highest-scored predicted pairs with both genes' names ('' when unknown)."""
    top = predictions.sort_values("score", ascending=False, kind="stable").head(k)
    lookup = names[~names.index.duplicated()]
    return [
        {"regulator": r, "regulator_name": lookup.get(r, ""), "target": t, "target_name": lookup.get(t, ""),
         "score": float(s), "label": int(lab)}
        for r, t, s, lab in zip(top["regulator"], top["target"], top["score"], top["label"])
    ]
