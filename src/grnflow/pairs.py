"""Labelled gene pairs for training and evaluation, split in one of three regimes.

Output columns (docs/ARCHITECTURE.md): `gene_a gene_b label direction fold pair_class`.

- Positives: every reference edge regulator -> target, as gene_a = regulator, gene_b = target,
  label 1, direction 1 (the orientation is never flipped: the table says what the reference
  says; a direction-aware consumer may swap a/b itself and use class 2).
- Negatives: sampled non-edges, label 0; `round(negative_ratio x positives)` per fold. gene_a is
  a TF or network regulator when `tf_only`. A negative is never a reference edge; with
  `directed: false` it is not one in the reverse orientation either, and an unordered pair
  occurs once in the whole table. With `directed: true` the reverse of an edge (b -> a for an
  edge a -> b) may be drawn as a negative: direction 2. Other negatives: direction 0.
  `uniform` draws gene_a and gene_b uniformly from the fold's pools; `degree_matched` draws
  gene_a with probability proportional to its out-degree and gene_b proportional to its
  in-degree among the fold's positives, so a gene's share among negatives matches its share
  among positives and node degree alone no longer separates the classes (the hub shortcut).
- Splits: `random` (pairs at random; the two orientations of a gene pair stay in one fold),
  `tf_holdout` (gene_a candidates partitioned: a val/test pair's gene_a is never gene_a of a
  training pair), `gene_disjoint` (all genes partitioned; a val/test pair has both genes in its
  own partition; edges across partitions are dropped, and partition sizes are proportional to
  the square root of the fold fractions so that the kept edges follow the fractions).
  Partitions are the best of several random draws (closest positive fractions to the config).
  Each fold's negatives are drawn inside that fold's genes, so the invariants hold for them too.
- pair_class: train pairs 2; val/test pairs: how many of the two genes occur in any train pair.

Reproducible: numpy `default_rng([seed, crc32(split)])`; the table is sorted by fold (train,
val, test), label (positives first), then gene order of the expression matrix.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.errors import InputError
from grnflow.io import atomic_path, read_gene_list, read_table
from grnflow.names import FOLDS, PAIR_COLUMNS, SPLITS
from grnflow.pairs_sampling import KeySet, sample_negatives, unique_keys
from grnflow.pairs_splits import REGIMES, SplitContext
from grnflow.promoters import expression_genes

log = logging.getLogger(__name__)

# Negatives are drawn by rejection sampling (or enumeration): grnflow.pairs_sampling.
# The split regimes, one function each: grnflow.pairs_splits.REGIMES.


def split_rng(seed: int, split: str) -> np.random.Generator:
    """The generator of one (split, seed) job: independent across splits, stable across runs."""
    return np.random.default_rng([int(seed), zlib.crc32(split.encode())])


def pair_codes(
    genes: Sequence[str],
    regulators: Sequence[str],
    targets: Sequence[str],
    tfs: Sequence[str],
    split: str,
    seed: int,
    negative_ratio: float = 1.0,
    negatives: str = "uniform",
    tf_only: bool = True,
    directed: bool = False,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
) -> pd.DataFrame:
    """The pair table of one split regime and seed as integer arrays, in output order.

    Returns {names, gene_a, gene_b, label, direction, fold, pair_class}: gene_a/gene_b index
    `names` (the genes), fold indexes FOLDS. See `make_pairs` for the table.
    """
    if split not in REGIMES:
        raise ValueError(f"unknown split {split!r}; one of {', '.join(REGIMES)}")
    if negatives not in ("uniform", "degree_matched"):
        raise ValueError(f"unknown negatives {negatives!r}")
    fractions = np.array([1.0 - val_fraction - test_fraction, val_fraction, test_fraction])
    if fractions[0] <= 0:
        raise InputError(f"pairs: val_fraction + test_fraction ({val_fraction} + {test_fraction}) must be < 1")
    rng = split_rng(seed, split)
    gene_index = pd.Index(genes)
    n_genes = len(gene_index)
    reg = gene_index.get_indexer(list(regulators)).astype(np.int64)
    tgt = gene_index.get_indexer(list(targets)).astype(np.int64)
    if (reg < 0).any() or (tgt < 0).any():
        raise ValueError("every network gene must be one of `genes`")
    # network.tsv has unique edges without self-loops; stay safe when called directly.
    keys = reg * n_genes + tgt
    first = np.zeros(keys.size, dtype=bool)
    first[np.unique(keys, return_index=True)[1]] = True
    usable = first & (reg != tgt)
    if not usable.all():
        log.warning("%d duplicate or self-loop edge(s) ignored", int((~usable).sum()))
        reg, tgt = reg[usable], tgt[usable]
    tf = gene_index.get_indexer(list(tfs))
    tf = tf[tf >= 0].astype(np.int64)
    edges = KeySet(n_genes)
    edges.add(reg, tgt)
    forbidden = KeySet(n_genes)  # reference edges, both orientations unless directed
    forbidden.add(reg, tgt, both=not directed)
    pool_a = unique_keys(np.concatenate([tf, reg])) if tf_only else np.arange(n_genes, dtype=np.int64)

    # Fold of every positive (-1: left out) and gene pools of every fold, from the regime.
    ctx = SplitContext(rng=rng, reg=reg, tgt=tgt, n_genes=n_genes, pool_a=pool_a, fractions=fractions)
    assignment = REGIMES[split](ctx)
    pos_fold, pools = assignment.pos_fold, assignment.pools

    n_pos = np.bincount(pos_fold[pos_fold >= 0], minlength=3)
    if n_pos[0] == 0 or n_pos[2] == 0:
        raise InputError(
            f"pairs: split {split} leaves the {'train' if n_pos[0] == 0 else 'test'} fold without "
            f"positive pairs (positives per fold train/val/test: {n_pos.tolist()}); the reference "
            "network is too small for this split: use more edges or other val/test fractions"
        )
    if n_pos[1] == 0 and val_fraction > 0:
        log.warning("split %s: the val fold has no positive pair", split)

    # Negatives, fold by fold, inside the fold's pools.
    neg_a, neg_b, neg_fold = [], [], []
    for f in range(3):
        quota = int(round(negative_ratio * n_pos[f]))
        # No pair may have its reverse in another fold (edges included), and no pair repeats.
        fold_forbidden = forbidden.copy()
        other = pos_fold != f
        fold_forbidden.add(tgt[other], reg[other])
        for g in range(f):
            fold_forbidden.add(neg_b[g], neg_a[g])
            fold_forbidden.add(neg_a[g], neg_b[g])
        weights = (None, None)
        if negatives == "degree_matched":
            in_fold = pos_fold == f
            out_deg = np.bincount(reg[in_fold], minlength=n_genes).astype(float)
            in_deg = np.bincount(tgt[in_fold], minlength=n_genes).astype(float)
            weights = (out_deg[pools[f][0]], in_deg[pools[f][1]])
        a, b = sample_negatives(rng, pools[f][0], pools[f][1], quota, fold_forbidden, directed, *weights)
        if a.size < quota:
            log.warning("split %s, fold %s: only %d negatives available of %d wanted (ratio %.3g)",
                        split, FOLDS[f], a.size, quota, negative_ratio)
        neg_a.append(a)
        neg_b.append(b)
        neg_fold.append(np.full(a.size, f, dtype=np.int64))

    keep = pos_fold >= 0
    a = np.concatenate([reg[keep], *neg_a])
    b = np.concatenate([tgt[keep], *neg_b])
    fold = np.concatenate([pos_fold[keep], *neg_fold])
    label = np.concatenate([np.ones(keep.sum(), np.int64), np.zeros(a.size - keep.sum(), np.int64)])
    direction = np.where(label == 1, 1, np.where(edges.contains(b, a), 2, 0))
    in_train = np.zeros(n_genes, dtype=np.int64)
    in_train[a[fold == 0]] = 1
    in_train[b[fold == 0]] = 1
    pair_class = np.where(fold == 0, 2, in_train[a] + in_train[b])
    order = np.argsort(((fold * 2 + (1 - label)) * n_genes + a) * n_genes + b)
    _log_summary(fold, label, pair_class, split, seed)
    return {"names": gene_index.to_numpy(), "gene_a": a[order], "gene_b": b[order], "label": label[order],
            "direction": direction[order], "fold": fold[order], "pair_class": pair_class[order]}


def make_pairs(genes: Sequence[str], regulators: Sequence[str], targets: Sequence[str], tfs: Sequence[str],
               split: str, seed: int, **settings) -> pd.DataFrame:
    """The pair table (`gene_a gene_b label direction fold pair_class`) of one split and seed.

    `settings`: negative_ratio, negatives, tf_only, directed, val_fraction, test_fraction
    (see the module docstring and config/README.md).
    """
    return _table(pair_codes(genes, regulators, targets, tfs, split, seed, **settings))


def _table(codes: dict) -> pd.DataFrame:
    names = codes["names"]
    return pd.DataFrame({
        "gene_a": names[codes["gene_a"]],
        "gene_b": names[codes["gene_b"]],
        "label": codes["label"],
        "direction": codes["direction"],
        "fold": np.asarray(FOLDS)[codes["fold"]],
        "pair_class": codes["pair_class"],
    })


def write_pairs(codes: dict, path: str | Path, chunk: int = 1 << 18) -> None:
    """Write the pair table TSV atomically, vectorised (no per-row Python; ~10x pandas to_csv).

    Every row is three byte tokens: `gene_a<TAB>`, `gene_b<TAB>` and one of the 54 possible
    `label<TAB>direction<TAB>fold<TAB>pair_class<LF>` endings, gathered from one byte buffer.
    """
    names = codes["names"]
    endings = [f"{la}\t{d}\t{FOLDS[f]}\t{c}\n" for la in (0, 1) for d in range(3) for f in range(3) for c in range(3)]
    vocab = [f"{n}\t".encode() for n in names] + [e.encode() for e in endings]
    lengths = np.fromiter(map(len, vocab), dtype=np.int64, count=len(vocab))
    starts = np.cumsum(lengths) - lengths
    buffer = np.frombuffer(b"".join(vocab), dtype=np.uint8)
    ending = len(names) + ((codes["label"] * 3 + codes["direction"]) * 3 + codes["fold"]) * 3 + codes["pair_class"]
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(("\t".join(PAIR_COLUMNS) + "\n").encode())
        for lo in range(0, ending.size, chunk):
            hi = lo + chunk
            tokens = np.stack([codes["gene_a"][lo:hi], codes["gene_b"][lo:hi], ending[lo:hi]], axis=1).ravel()
            size = lengths[tokens]
            offset = np.repeat(starts[tokens] - (np.cumsum(size) - size), size)
            fh.write(buffer[offset + np.arange(offset.size)].tobytes())


def _log_summary(fold: np.ndarray, label: np.ndarray, pair_class: np.ndarray, split: str, seed: int) -> None:
    for f, name in enumerate(FOLDS):
        here = fold == f
        classes = np.bincount(pair_class[here], minlength=3)
        log.info("split %s seed %d %s: %d positives, %d negatives, pair classes 2/1/0: %s", split, seed,
                 name, int(label[here].sum()), int((label[here] == 0).sum()), classes[::-1].tolist())


def build_pairs(
    network: str | Path,
    tfs: str | Path,
    expression: str | Path,
    out: str | Path,
    split: str,
    seed: int,
    **settings,
) -> pd.DataFrame:
    """Read network.tsv, tfs.txt and the expression genes; write the pair table of (split, seed)."""
    genes = expression_genes(expression)
    edges = read_table(network, sep="tab", dtype={"regulator": str, "target": str}, keep_default_na=False)
    if edges.empty:
        raise InputError(f"{network}: the reference network has no edges")
    missing = [c for c in ("regulator", "target") if c not in edges.columns]
    if missing:
        raise InputError(f"{network}: lacks column(s) {', '.join(missing)} (expected `regulator target sign`)")
    known = pd.Index(genes)
    absent = pd.unique(pd.concat([edges["regulator"], edges["target"]])[
        ~pd.concat([edges["regulator"], edges["target"]]).isin(known)])
    if len(absent):
        raise InputError(
            f"{network}: {len(absent)} gene(s) are not in {expression} (e.g. {', '.join(map(str, absent[:5]))}); "
            "the network stage should have removed them: rerun it (`snakemake --forcerun network`)"
        )
    tf_list = read_gene_list(tfs) if Path(tfs).stat().st_size else []
    codes = pair_codes(genes, edges["regulator"], edges["target"], tf_list, split, int(seed), **settings)
    write_pairs(codes, out)
    return _table(codes)


__all__ = ["make_pairs", "pair_codes", "write_pairs", "build_pairs", "split_rng", "FOLDS", "SPLITS", "PAIR_COLUMNS"]
