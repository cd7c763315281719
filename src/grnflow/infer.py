"""The inferred network's candidates and per-method rankings (stage `infer`).

Candidates are every regulator of the TF list x every expression gene, no self pairs. They are
never a table of pair features: a method scores them as one regulators x genes matrix (rows =
TF list order, columns = expression order, computed in chunks of regulators), and only the
ranking written at the end has one row per candidate:
`regulator target score rank known` (+ `regulator_name target_name` when names are known).
`rank` is 1 for the best edge; tied scores share the mean of their positions.
"""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.errors import InputError
from grnflow.io import atomic_path, read_gene_list, read_table
from grnflow.methods import method

log = logging.getLogger(__name__)

RANKING_COLUMNS = ["regulator", "target", "score", "rank", "known"]
NAME_COLUMNS = ["regulator_name", "target_name"]
# Baselines whose scores do not depend on a seed: ranked once, not once per seed.
SEEDLESS = ("degree", "correlation", "trees")
CHUNK_REGULATORS = 256  # regulator rows per block of the correlation product


@dataclass(frozen=True)
class Candidates:
    """Regulators x genes candidate space; a pair is (row in `regulators`, column in `genes`)."""

    genes: pd.Index
    regulators: pd.Index
    reg_pos: np.ndarray  # column of each regulator in `genes`

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.regulators), len(self.genes)

    @property
    def n(self) -> int:
        return len(self.regulators) * (len(self.genes) - 1)

    def mask(self) -> np.ndarray:
        """True for every candidate cell (False at a regulator's own column)."""
        mask = np.ones(self.shape, dtype=bool)
        mask[np.arange(len(self.regulators)), self.reg_pos] = False
        return mask

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(regulator row, gene column) of every candidate, row-major (the matrix order)."""
        rows, cols = np.nonzero(self.mask())
        return rows.astype(np.int32), cols.astype(np.int32)

    def cells(self, regulators, targets, source: str = "edges") -> tuple[np.ndarray, np.ndarray]:
        """Matrix cells of (regulator, target) ID pairs; -1 where a pair is not a candidate."""
        r = self.regulators.get_indexer(np.asarray(regulators, dtype=object))
        t = self.genes.get_indexer(np.asarray(targets, dtype=object))
        bad = (r < 0) | (t < 0) | (t == self.reg_pos[np.maximum(r, 0)])
        return np.where(bad, -1, r), np.where(bad, -1, t)


def expression_genes(path: str | Path) -> list[str]:
    """Gene IDs of the normalized matrix (its `gene` column), in file order, without reading values."""
    try:
        genes = read_table(path, sep="tab", usecols=[0], dtype=str, keep_default_na=False).iloc[:, 0]
    except ValueError as exc:
        raise InputError(f"{path}: cannot read the gene column of the expression matrix ({exc})") from exc
    return genes[genes != ""].tolist()


def make_candidates(genes, tfs) -> Candidates:
    """Candidates from the expression genes and the TF list (order kept, duplicates dropped)."""
    genes = pd.Index(list(genes), dtype=object)
    wanted = pd.Index(pd.unique(np.asarray(list(tfs), dtype=object)))
    regulators = wanted[wanted.isin(genes)]
    if len(regulators) < len(wanted):
        log.info("%d TF(s) are not expression genes and regulate no candidate",
                 len(wanted) - len(regulators))
    return Candidates(genes, regulators, genes.get_indexer(regulators).astype(np.int64))


def read_candidates(expression: str | Path, tfs: str | Path) -> Candidates:
    """The candidate space of a dataset: `data/expression.tsv` genes x `data/tfs.txt` regulators."""
    cands = make_candidates(expression_genes(expression), read_gene_list(tfs))
    if len(cands.regulators) == 0:
        raise InputError(f"{tfs}: none of the TFs is a gene of {expression}; no candidate edge")
    if len(cands.genes) < 2:
        raise InputError(f"{expression}: fewer than two genes; no candidate edge")
    log.info("candidates: %d regulators x (%d genes - 1) = %d", *cands.shape, cands.n)
    return cands


def read_reference(path: str | Path) -> pd.DataFrame:
    """The reference network (`data/network.tsv`: regulator target sign)."""
    return read_table(path, sep="tab", dtype={"regulator": str, "target": str},
                      keep_default_na=False)


def reference_matrices(cands: Candidates, network: pd.DataFrame, source: str = "network.tsv"):
    """(known bool matrix, sign int8 matrix) of the reference edges that are candidates."""
    r, t = cands.cells(network["regulator"], network["target"], source)
    ok = r >= 0
    if (~ok).any():
        log.info("%s: %d of %d reference edges have a regulator outside the TF list and are "
                 "no candidate (they still count for the degree baseline)", source,
                 int((~ok).sum()), len(network))
    known = np.zeros(cands.shape, dtype=bool)
    sign = np.zeros(cands.shape, dtype=np.int8)
    known[r[ok], t[ok]] = True
    sign[r[ok], t[ok]] = network["sign"].to_numpy(dtype=np.int8)[ok]
    return known, sign


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of `values`, highest first; tied values share the mean of their positions."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(-values, kind="stable")
    ordered = values[order]
    first = np.concatenate([[True], ordered[1:] != ordered[:-1]]) if len(values) else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], len(values))
    out = np.empty(len(values))
    out[order] = ((starts + ends + 1) / 2.0)[np.cumsum(first) - 1]
    return out


def ranks(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Rank of every candidate cell (1 = highest score, ties share the mean position); NaN off mask."""
    out = np.full(scores.shape, np.nan)
    values = scores[mask]
    if np.isnan(values).any():
        raise ValueError(f"{int(np.isnan(values).sum())} candidate scores are NaN")
    out[mask] = average_ranks(values)
    return out


def top_k(rank: np.ndarray, k: int) -> np.ndarray:
    """Cells ranked within the first `k` (a tied block straddling k counts by its mean rank)."""
    return np.nan_to_num(rank, nan=np.inf) <= k


def ranking_table(cands: Candidates, score: np.ndarray, rank: np.ndarray, known: np.ndarray,
                  names: pd.Series | None = None, **extra: np.ndarray) -> pd.DataFrame:
    """One row per candidate, best first: `regulator target score rank known` (+ names, + extra)."""
    rows, cols = cands.pairs()
    order = np.lexsort((cols, rows, rank[rows, cols]))  # by rank, ties in candidate order
    rows, cols = rows[order], cols[order]
    table = pd.DataFrame({
        "regulator": cands.regulators.to_numpy()[rows],
        "target": cands.genes.to_numpy()[cols],
        "score": score[rows, cols],
        "rank": rank[rows, cols],
        "known": known[rows, cols].astype(np.int8),
    })
    for column, values in extra.items():
        table[column] = values[rows, cols]
    if names is not None:
        table = add_names(table, names)
    return table


def add_names(table: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """`regulator_name` and `target_name` columns (empty where the gene has no name)."""
    table = table.copy()
    table["regulator_name"] = table["regulator"].map(names).fillna("").to_numpy()
    table["target_name"] = table["target"].map(names).fillna("").to_numpy()
    return table


def exact_ranks(rank):
    """Ranks without rounding: integers when no tie is split, else text (`12`, `12.5`)."""
    rank = np.asarray(rank, dtype=float)
    whole = np.floor(rank).astype(np.int64)
    if (rank == whole).all():
        return whole
    return np.char.add(whole.astype(str), np.where(rank > whole, ".5", ""))


def write_ranking(table: pd.DataFrame, path: str | Path) -> None:
    """Write a ranking table (`rank` exact, other floats with 8 significant digits).

    Gzip at level 1: a ranking has one row per candidate (1.5 M for yeast), and level 9
    (`write_tsv`'s) costs ten times the time for a file a third smaller. Reproducible (mtime 0).
    """
    text = table.assign(rank=exact_ranks(table["rank"])).to_csv(
        sep="\t", index=False, lineterminator="\n", float_format="%.8g")
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as raw:
        if path.suffix != ".gz":
            raw.write(text.encode())
            return
        with gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=1) as gz:
            gz.write(text.encode())


def read_ranking(path: str | Path) -> pd.DataFrame:
    return read_table(path, sep="tab", dtype={"regulator": str, "target": str,
                                              "regulator_name": str, "target_name": str},
                      keep_default_na=False)


def to_matrix(cands: Candidates, table: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """Column of a ranking table as a regulators x genes matrix; InputError if it misses candidates."""
    r, t = cands.cells(table["regulator"], table["target"], source)
    if (r < 0).any() or len(table) != cands.n:
        raise InputError(
            f"{source}: {len(table)} rows, {int((r < 0).sum())} of them no candidate, but the "
            f"dataset has {cands.n} candidates; it was made from another expression matrix or TF "
            "list: delete it and rerun"
        )
    out = np.full(cands.shape, np.nan)
    out[r, t] = table[column].to_numpy(dtype=float)
    return out


# Baseline scores, each a regulators x genes matrix (self cells are ignored downstream).


def degree_scores(cands: Candidates, network: pd.DataFrame) -> np.ndarray:
    """Product of the two genes' degrees over ALL reference edges (no expression)."""
    ends = pd.concat([network["regulator"], network["target"]])
    degree = ends.value_counts().reindex(cands.genes, fill_value=0).to_numpy(dtype=float)
    return degree[cands.reg_pos][:, None] * degree[None, :]


def correlation_scores(cands: Candidates, expression: pd.DataFrame) -> np.ndarray:
    """|Pearson| of the regulator's and the gene's profiles, a block of regulators at a time."""
    values = expression.reindex(cands.genes).to_numpy(dtype=float)
    centred = values - values.mean(axis=1, keepdims=True)
    norms = np.sqrt((centred**2).sum(axis=1, keepdims=True))
    unit = np.divide(centred, norms, out=np.zeros_like(centred), where=norms > 0)
    out = np.empty(cands.shape)
    for start in range(0, len(cands.regulators), CHUNK_REGULATORS):
        rows = cands.reg_pos[start : start + CHUNK_REGULATORS]
        out[start : start + len(rows)] = np.abs(unit[rows] @ unit.T)
    return np.clip(out, 0.0, 1.0)


def tree_scores(cands: Candidates, importances: pd.DataFrame) -> np.ndarray:
    """GENIE3-style importance of the regulator for the gene (targets x TFs table; 0 if absent)."""
    table = importances.reindex(index=cands.genes, columns=cands.regulators).fillna(0.0)
    return table.to_numpy(dtype=float).T


def random_scores(cands: Candidates, seed: int) -> np.ndarray:
    """Uniform random scores from `seed` (the chance floor)."""
    return np.random.default_rng(seed).random(cands.shape)


def baseline_scores(name: str, cands: Candidates, network: pd.DataFrame, seed: int,
                    expression: str | Path | None = None,
                    importances: str | Path | None = None) -> np.ndarray:
    """Scores of baseline `name` for every candidate."""
    if method(name).kind != "baseline":
        raise ValueError(f"{name} is not a baseline")
    if name == "degree":
        return degree_scores(cands, network)
    if name == "random":
        return random_scores(cands, seed)
    if name == "correlation":
        from grnflow.io import read_normalized

        return correlation_scores(cands, read_normalized(expression))
    from grnflow.baselines import read_tree_importances

    return tree_scores(cands, read_tree_importances(importances))


def read_gene_names(path: str | Path | None) -> pd.Series | None:
    """Optional `gene name` table (rule gene_names) -> Series gene ID -> name; None without one."""
    if not path:
        return None
    from grnflow.gene_name_table import read_gene_names as read_table_of_names

    return read_table_of_names(path)


def write_ranking_job(scores: np.ndarray, cands: Candidates, network: str | Path,
                      out: str | Path, names: str | Path | None = None) -> pd.DataFrame:
    """Rank one method x seed's candidate scores against the reference and write the table."""
    known, _ = reference_matrices(cands, read_reference(network), str(network))
    mask = cands.mask()
    table = ranking_table(cands, scores, ranks(scores, mask), known, read_gene_names(names))
    write_ranking(table, out)
    log.info("%d candidates ranked; %d known edges, best known edge at rank %s",
             len(table), int(known.sum()),
             table.loc[table["known"] == 1, "rank"].min() if known.any() else "-")
    return table


def run_infer_baseline(name: str, expression: str | Path, tfs: str | Path,
                       network: str | Path, out: str | Path, seed: int = 0,
                       importances: str | Path | None = None,
                       names: str | Path | None = None) -> pd.DataFrame:
    """Full ranking of every candidate by baseline `name` (rule `infer_baseline`)."""
    cands = read_candidates(expression, tfs)
    reference = read_reference(network)
    scores = baseline_scores(name, cands, reference, seed, expression, importances)
    return write_ranking_job(scores, cands, network, out, names)

