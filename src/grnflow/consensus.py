"""Consensus of the inferred network: seeds per method, then methods (DREAM5 community network).

Per method, the seeds' rankings are averaged by rank (mean rank, re-ranked). Across methods,
each method's rank is scaled to [0, 1] and averaged: the consensus score is 1 - that mean, so
an edge every method ranks first scores 1. `stability` is the fraction of (seed, method)
rankings that put the edge in their top k, each method weighted equally (the mean over
methods of the fraction of its seeds); k = the number of reference edges unless configured.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.errors import InputError
from grnflow.infer import (
    Candidates,
    RANKING_COLUMNS,
    ranking_table,
    ranks,
    read_candidates,
    read_gene_names,
    read_ranking,
    read_reference,
    reference_matrices,
    to_matrix,
    top_k,
    write_ranking,
)
from grnflow.io import write_tsv

log = logging.getLogger(__name__)

NOVEL_COLUMNS = ["novel_rank", "regulator", "regulator_name", "target", "target_name", "score",
                 "rank", "stability", "support", "methods"]
REGULON_COLUMNS = ["regulator", "regulator_name", "target", "target_name", "rank", "score", "known",
                   "stability", "support"]


def reference_k(known: np.ndarray, configured: int | None) -> int:
    """The k of "top k": `infer.top_k` when set, else the number of reference edges (at least 1)."""
    return int(configured) if configured else max(int(known.sum()), 1)


def aggregate_seeds(rank_mats: list[np.ndarray], score_mats: list[np.ndarray],
                    mask: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Mean-rank aggregate of one method's seeds: score (mean), rank, topk_fraction."""
    if not rank_mats:
        raise ValueError("no ranking to aggregate")
    mean_rank = np.mean(rank_mats, axis=0)
    return {
        "score": np.mean(score_mats, axis=0),
        "rank": ranks(-mean_rank, mask),
        "topk_fraction": np.mean([top_k(r, k) for r in rank_mats], axis=0),
    }


def consensus(method_ranks: dict[str, np.ndarray], method_topk: dict[str, np.ndarray],
              mask: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Rank-average consensus of several methods' rank matrices (equal weights).

    Returns score (1 - mean scaled rank), rank, stability (mean of the methods' top-k
    fractions) and support (how many methods rank the edge within their top k).
    """
    if not method_ranks:
        raise ValueError("no method for the consensus")
    n = int(mask.sum())
    scaled = [(r - 1.0) / max(n - 1, 1) for r in method_ranks.values()]
    score = 1.0 - np.mean(scaled, axis=0)
    return {
        "score": score,
        "rank": ranks(score, mask),
        "stability": np.mean([method_topk[m] for m in method_ranks], axis=0),
        "support": np.sum([top_k(r, k) for r in method_ranks.values()], axis=0).astype(np.int64),
    }


def supporting_methods(table: pd.DataFrame, cands: Candidates,
                       method_ranks: dict[str, np.ndarray], k: int) -> list[str]:
    """Per row of `table`: the methods ranking that edge within their top k, comma-joined."""
    r, t = cands.cells(table["regulator"], table["target"])
    hits = [np.where(top_k(rank[r, t], k), name, "") for name, rank in method_ranks.items()]
    return [",".join(x for x in row if x) for row in zip(*hits)] if hits else [""] * len(table)


def novel_edges(table: pd.DataFrame, cands: Candidates, method_ranks: dict[str, np.ndarray],
                k: int, n: int) -> pd.DataFrame:
    """The `n` best consensus edges outside the reference, with their supporting methods."""
    novel = table[table["known"] == 0].head(n).reset_index(drop=True)
    novel.insert(0, "novel_rank", np.arange(1, len(novel) + 1))
    novel["methods"] = supporting_methods(novel, cands, method_ranks, k)
    return novel[[c for c in NOVEL_COLUMNS if c in novel.columns]]


def regulons(table: pd.DataFrame, cands: Candidates, k: int) -> pd.DataFrame:
    """Predicted targets (consensus top k, known and novel) grouped by regulator, best first."""
    top = table[table["rank"] <= k]
    order = pd.Categorical(top["regulator"], categories=cands.regulators, ordered=True)
    top = top.assign(_reg=order).sort_values(["_reg", "rank"], kind="stable")
    return top[[c for c in REGULON_COLUMNS if c in top.columns]].reset_index(drop=True)


def load_method(paths: list[str | Path], cands: Candidates) -> tuple[list, list]:
    """(rank matrices, score matrices) of one method's ranking files."""
    rank_mats, score_mats = [], []
    for path in paths:
        table = read_ranking(path)
        missing = [c for c in RANKING_COLUMNS if c not in table.columns]
        if missing:
            raise InputError(f"{path}: ranking lacks column(s) {', '.join(missing)}; rerun its job")
        rank_mats.append(to_matrix(cands, table, "rank", str(path)))
        score_mats.append(to_matrix(cands, table, "score", str(path)))
    return rank_mats, score_mats


def run_method_network(rankings: list[str | Path], expression: str | Path, tfs: str | Path,
                       network: str | Path, out: str | Path, top_k_edges: int | None = None,
                       names: str | Path | None = None) -> pd.DataFrame:
    """One method's network: its seeds aggregated by mean rank (rule `infer_method`)."""
    cands = read_candidates(expression, tfs)
    known, _ = reference_matrices(cands, read_reference(network), str(network))
    k = reference_k(known, top_k_edges)
    rank_mats, score_mats = load_method(list(rankings), cands)
    agg = aggregate_seeds(rank_mats, score_mats, cands.mask(), k)
    table = ranking_table(cands, agg["score"], agg["rank"], known, read_gene_names(names),
                          topk_fraction=agg["topk_fraction"], n_seeds=np.full(cands.shape, len(rankings)))
    write_ranking(table, out)
    log.info("%d seed ranking(s) aggregated; top k = %d", len(rankings), k)
    return table


def run_consensus(method_networks: dict[str, str | Path], expression: str | Path,
                  tfs: str | Path, network: str | Path, out_consensus: str | Path,
                  out_novel: str | Path, out_regulons: str | Path,
                  top_k_edges: int | None = None, novel_n: int = 1000,
                  names: str | Path | None = None) -> pd.DataFrame:
    """Consensus network, its top novel edges and the regulons (rule `infer_consensus`)."""
    cands = read_candidates(expression, tfs)
    known, _ = reference_matrices(cands, read_reference(network), str(network))
    k = reference_k(known, top_k_edges)
    method_ranks, method_topk = {}, {}
    for name, path in method_networks.items():
        table = read_ranking(path)
        if "topk_fraction" not in table.columns:
            raise InputError(f"{path}: not a method network (no `topk_fraction`); rerun infer_method")
        method_ranks[name] = to_matrix(cands, table, "rank", str(path))
        method_topk[name] = to_matrix(cands, table, "topk_fraction", str(path))
    cons = consensus(method_ranks, method_topk, cands.mask(), k)
    table = ranking_table(cands, cons["score"], cons["rank"], known, read_gene_names(names),
                          stability=cons["stability"], support=cons["support"])
    write_ranking(table, out_consensus)
    write_tsv(novel_edges(table, cands, method_ranks, k, novel_n), out_novel, float_format="%.8g")
    write_tsv(regulons(table, cands, k), out_regulons, float_format="%.8g")
    top = table.head(k)
    log.info("consensus of %s: top %d edges hold %d known (%.1f%%), %d novel", ", ".join(method_ranks),
             k, int(top["known"].sum()), 100 * top["known"].mean(), int((top["known"] == 0).sum()))
    return table
