"""Weighted reference networks: turn scores or weights into edges, or refuse them.

A matrix of confidence scores or an edge list with a weight column must not be read as
"every non-zero value is an edge" (a complete graph, no negatives, AUPR 1): `select_weighted`
keeps |weight| >= `network.threshold` and/or each regulator's `network.top_k` strongest
targets, and refuses the network when neither key is set.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from grnflow.errors import InputError

log = logging.getLogger("grnflow.network")


def read_weights(column: pd.Series, path, name) -> np.ndarray:
    values = pd.to_numeric(column.str.strip(), errors="coerce")
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise InputError(f"{path}: `network.weight_column` ({name}) value {column.iloc[row]!r} on data "
                         f"row {row + 1} is not a number")
    return values.to_numpy(dtype=float)


def select_weighted(edges: pd.DataFrame, weights: np.ndarray, path, threshold, top_k, where: str) -> pd.DataFrame:
    """Edges from weighted rows/cells: |weight| >= `threshold`, then each regulator's `top_k`
    strongest; without either, InputError (every non-zero weight an edge would make a
    (nearly) complete graph). A signed weight gives the sign when the edges have none."""
    weights = np.asarray(weights, dtype=float)
    if threshold is None and top_k is None:
        nonzero = weights[weights != 0]
        raise InputError(
            f"{path}: the network holds weights or scores, not 0/1 edges ({where}: {len(np.unique(weights))} "
            f"distinct values from {weights.min():.3g} to {weights.max():.3g}, e.g. {nonzero[0] if nonzero.size else 0:.3g}); "
            "reading every non-zero value as an edge would give a (nearly) complete graph with no "
            "negatives. Set `network.threshold` (keep |weight| >= it) and/or `network.top_k` (keep "
            "each regulator's k strongest targets) for this dataset, or give a 0/1 network"
        )
    strength = np.abs(weights)
    keep = strength > 0 if threshold is None else strength >= threshold
    out = edges.loc[keep].copy()
    if (out["sign"] == 0).all() and (weights < 0).any():
        out["sign"] = np.sign(weights[keep]).astype(np.int64)
    out["_w"] = strength[keep]
    if top_k is not None:
        out = out.sort_values("_w", ascending=False, kind="stable").groupby("regulator", sort=False).head(top_k)
        out = out.sort_index()
    log.info("%s: weighted network (%s): %d of %d weighted pair(s) kept (threshold %s, top_k %s)", path,
             where, len(out), int((weights != 0).sum()), threshold, top_k)
    if out.empty:
        raise InputError(f"{path}: no weight reaches `network.threshold` {threshold} ({where}: largest "
                         f"|weight| {strength.max():.3g}); lower the threshold")
    return out.drop(columns="_w").reset_index(drop=True)


def weighted_matrix(table: pd.DataFrame, matrix: np.ndarray, path, threshold, top_k) -> pd.DataFrame:
    """Edges of a matrix of weights (cells other than -1/0/1), through select_weighted."""
    odd = np.argwhere(~np.isin(matrix, (-1.0, 0.0, 1.0)))
    where = "matrix cells"
    if odd.size:
        row, col = odd[0]
        where = (f"matrix cells; e.g. {matrix[row, col]:.3g} at target {table.index[row]}, regulator "
                 f"{table.columns[col]}")
    targets, regulators = np.nonzero(matrix)
    order = np.lexsort((targets, regulators))
    targets, regulators = targets[order], regulators[order]
    edges = pd.DataFrame({
        "regulator": table.columns.astype(str).str.strip().to_numpy()[regulators],
        "target": table.index.astype(str).str.strip().to_numpy()[targets],
        "sign": np.zeros(len(targets), np.int64),
    })
    return select_weighted(edges, matrix[targets, regulators], path, threshold, top_k, where)


__all__ = ["read_weights", "select_weighted", "weighted_matrix"]
