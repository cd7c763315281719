"""BEELINE's protocol for the label-free methods: the full ranking against the whole network.

Methods that never read the reference labels (`methods.LABEL_FREE`: correlation, trees,
random) need no split: they rank every candidate edge and are scored against the whole
reference network, as in BEELINE (Pratapa et al. 2020, BLEval). Candidates, as BEELINE with
`TFEdges`: every regulator of the reference (a gene with an outgoing edge) -> every gene of the
reference network, self loops excluded. The numbers (one row per method x seed in
`results/{ds}/comparison/beeline.tsv`):

- `density` = reference edges among the candidates / candidates (a random ranking's precision);
- `auprc`: area under the precision-recall curve by the trapezoidal rule (scikit-learn
  `precision_recall_curve` + `auc`, as BEELINE), `auprc_ratio` = auprc / density;
- `aupr`: average precision (grnflow's AUPR elsewhere), `auroc`;
- early precision: k = number of reference edges among the candidates; the top-k candidates
  by |score| rounded to 6 decimals, with every candidate tied with the k-th included and
  zero scores never counted as predicted (BEELINE's rule); early precision = true edges among
  them / their number, `epr` = early precision / density.

These are not comparable with the supervised splits' tables (other candidates, and no pair
was held out), so they go to their own table.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import auc, precision_recall_curve

from grnflow.baselines import correlation_matrix, read_tree_importances
from grnflow.errors import InputError
from grnflow.io import read_normalized, read_table
from grnflow.methods import LABEL_FREE
from grnflow.metrics import aupr, auroc

log = logging.getLogger(__name__)

COLUMNS = ["dataset", "method", "seed", "n_regulators", "n_genes", "n_candidates", "n_edges", "density",
           "auroc", "aupr", "auprc", "auprc_ratio", "k", "n_top", "early_precision", "epr"]


def early_precision(labels, scores) -> tuple[float, int]:
    """BEELINE's early precision and the size of its top set (k = number of positives)."""
    labels = np.asarray(labels, dtype=int)
    weight = np.abs(np.round(np.asarray(scores, dtype=float), 6))
    k = min(int(labels.sum()), labels.size)
    if k == 0:
        return float("nan"), 0
    kth = np.sort(weight)[::-1][k - 1]
    nonzero = weight[weight > 0]
    if nonzero.size == 0:
        return 0.0, 0
    top = weight >= max(kth, nonzero.min())
    return float(labels[top].sum() / top.sum()), int(top.sum())


def beeline_metrics(labels, scores) -> dict:
    """BEELINE's numbers of one full ranking (see the module docstring)."""
    labels = np.asarray(labels, dtype=int)
    scores = np.asarray(scores, dtype=float)
    density = labels.mean() if labels.size else float("nan")
    precision, recall, _ = precision_recall_curve(labels, scores)
    auprc = float(auc(recall, precision))
    ep, n_top = early_precision(labels, scores)
    return {"n_candidates": int(labels.size), "n_edges": int(labels.sum()), "density": float(density),
            "auroc": auroc(labels, scores), "aupr": aupr(labels, scores), "auprc": auprc,
            "auprc_ratio": auprc / density, "k": int(labels.sum()), "n_top": n_top,
            "early_precision": ep, "epr": ep / density}


def candidates(network: pd.DataFrame) -> tuple[pd.Index, pd.Index, np.ndarray]:
    """(regulators, genes, labels regulators x genes with -1 on self pairs) of the reference."""
    regs = pd.Index(pd.unique(network["regulator"]))
    genes = pd.Index(pd.unique(pd.concat([network["regulator"], network["target"]])))
    labels = np.zeros((regs.size, genes.size), dtype=np.int64)
    labels[regs.get_indexer(network["regulator"]), genes.get_indexer(network["target"])] = 1
    labels[np.arange(regs.size), genes.get_indexer(regs)] = -1
    return regs, genes, labels


def method_scores(method: str, regs: pd.Index, genes: pd.Index, expression: pd.DataFrame | None,
                  importances: pd.DataFrame | None, seed: int) -> np.ndarray:
    """Scores regulators x genes of one label-free method."""
    if method == "random":
        return np.random.default_rng(seed).random((regs.size, genes.size))
    if method == "correlation":
        return correlation_matrix(expression, regs, genes)
    imp = importances.reindex(index=genes, columns=regs).fillna(0.0)  # no TF column: 0
    return imp.to_numpy(dtype=float).T


def beeline_table(dataset: str, network: str | Path, expression: str | Path, methods, seeds,
                  importances: str | Path | None = None) -> pd.DataFrame:
    """One row per label-free method x seed: BEELINE's metrics on the whole reference network."""
    methods = [m for m in methods if m in LABEL_FREE]
    edges = read_table(network, sep="tab", dtype={"regulator": str, "target": str}, keep_default_na=False)
    if edges.empty:
        raise InputError(f"{network}: the reference network has no edges")
    regs, genes, labels = candidates(edges)
    expr = read_normalized(expression) if "correlation" in methods else None
    if expr is not None and not genes.isin(expr.index).all():
        missing = genes[~genes.isin(expr.index)][:5]
        raise InputError(f"{network}: gene(s) {', '.join(missing)} not in {expression}; rerun the network stage")
    imp = read_tree_importances(importances) if "trees" in methods else None
    keep = labels.ravel() >= 0
    rows = []
    for method in methods:
        for seed in seeds:
            scores = method_scores(method, regs, genes, expr, imp, int(seed)).ravel()[keep]
            row = {"dataset": dataset, "method": method, "seed": int(seed),
                   "n_regulators": regs.size, "n_genes": genes.size}
            row.update(beeline_metrics(labels.ravel()[keep], scores))
            rows.append(row)
            log.info("BEELINE %s seed %s: AUPRC ratio %.3f, EPR %.3f on %d candidates", method, seed,
                     row["auprc_ratio"], row["epr"], row["n_candidates"])
    return pd.DataFrame(rows, columns=COLUMNS)
