"""Does the inferred network discover edges? Checked on the synthetic demo's hidden true edges.

The demo gives the workflow only `known_fraction` of its true network (`network.tsv`); the
rest is in `truth/hidden.tsv`. Among each ranking's edges outside the reference (the novel
predictions), the top k (k = number of hidden edges) are compared with the hidden ones:
precision@k against the random expectation (hidden / all novel candidates) and their ratio,
the enrichment. Ties at the k-th rank are counted proportionally, so the order within a tied
block (e.g. the degree baseline's) does not matter.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.infer import read_candidates, read_ranking, read_reference
from grnflow.io import write_tsv

log = logging.getLogger(__name__)

DISCOVERY_COLUMNS = ["method", "k", "n_hidden", "n_novel_candidates", "hits", "precision",
                     "expected_hits", "random_precision", "enrichment"]


def discovery_row(table: pd.DataFrame, hidden: set[tuple[str, str]], k: int | None = None) -> dict:
    """Hidden edges among the top k novel predictions of a ranking (best first)."""
    novel = table[table["known"] == 0]
    is_hidden = np.fromiter(((r, t) in hidden for r, t in zip(novel["regulator"], novel["target"])),
                            dtype=bool, count=len(novel))
    n_hidden = int(is_hidden.sum())
    k = min(int(k or n_hidden), len(novel))
    if k == 0:
        hits = 0.0
    else:
        rank = novel["rank"].to_numpy(dtype=float)
        threshold = np.sort(rank)[k - 1]
        above, tied = rank < threshold, rank == threshold
        hits = is_hidden[above].sum() + (k - above.sum()) * is_hidden[tied].mean()
    random_precision = n_hidden / len(novel) if len(novel) else float("nan")
    precision = hits / k if k else float("nan")
    return {
        "k": k,
        "n_hidden": n_hidden,
        "n_novel_candidates": len(novel),
        "hits": float(hits),
        "precision": precision,
        "expected_hits": k * random_precision,
        "random_precision": random_precision,
        "enrichment": precision / random_precision if random_precision else float("nan"),
    }


def run_discovery(rankings: dict[str, str | Path], hidden: str | Path, expression: str | Path,
                  tfs: str | Path, out: str | Path, k: int | None = None) -> pd.DataFrame:
    """discovery.tsv: one row per ranking (each method's network and the consensus)."""
    cands = read_candidates(expression, tfs)
    edges = read_reference(hidden)
    r, t = cands.cells(edges["regulator"], edges["target"])
    if (r < 0).any():
        log.info("%s: %d hidden edges are no candidate (regulator outside the TF list or gene "
                 "not in the expression) and cannot be discovered", hidden, int((r < 0).sum()))
    hidden_set = set(zip(edges["regulator"][r >= 0], edges["target"][r >= 0]))
    rows = []
    for name, path in rankings.items():
        row = {"method": name, **discovery_row(read_ranking(path), hidden_set, k)}
        log.info("%s: %.1f of the top %d novel edges are hidden true edges (random %.1f, "
                 "enrichment %.2f)", name, row["hits"], row["k"], row["expected_hits"], row["enrichment"])
        rows.append(row)
    table = pd.DataFrame(rows, columns=DISCOVERY_COLUMNS)
    write_tsv(table, out, float_format="%.6g")
    return table
