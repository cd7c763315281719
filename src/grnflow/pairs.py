"""Labelled gene pairs for training and evaluation, split in one of the split regimes.

Output columns (docs/ARCHITECTURE.md): `gene_a gene_b label direction fold pair_class`.

- Positives: every reference edge regulator -> target, as gene_a = regulator, gene_b = target,
  label 1, direction 1 (the orientation is never flipped).
- Candidate pairs: a candidate regulator (`candidate_regulators`: `network` = regulators with a
  reference edge, `tfs` = also every TF; `tf_only: false`: any gene) with any other gene, no
  reference edge; with `directed: false` not the reverse of one either and each unordered pair
  once in the table; with `directed: true` the reverse of an edge is a candidate (direction 2;
  other negatives direction 0).
- A gene pair is one unit: both orientations are in one fold (`pairs_splits.unit_folds`: a
  mutual pair spanning folds keeps its most held-out fold, the other orientation is left out).
- Negatives: val/test hold ALL their candidates (`eval_negatives: all`, the true density) or
  `round(eval_negative_ratio x positives)` of them (`ratio`); train holds
  `round(negative_ratio x positives)` sampled ones. Sampling is `uniform` or `degree_matched`
  (gene_a proportional to its out-degree, gene_b to its in-degree among the fold's positives,
  so node degree alone no longer separates the classes: the hub shortcut).
- Splits (`pairs_splits.REGIMES`, one function each): `random`, `tf_holdout`, `gene_disjoint`;
  a user split declared in the config is a held-out regulator list (regime `regulators`) or a
  complete pair table (`grnflow.pairs_user`).
- pair_class: train pairs 2; val/test pairs: how many of the two genes are a gene of a
  training positive.

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
from grnflow.pairs_sampling import KeySet, fold_candidates, sample_from, sample_negatives, unique_keys
from grnflow.pairs_splits import REGIMES, SplitContext, unit_folds
from grnflow.pairs_user import check_against_reference, read_heldout_regulators, read_user_pairs
from grnflow.promoters import expression_genes
from grnflow.settings import PairSettings

log = logging.getLogger(__name__)

# Negatives are drawn by rejection sampling (or enumeration): grnflow.pairs_sampling.
# The split regimes, one function each: grnflow.pairs_splits.REGIMES.


def split_rng(seed: int, split: str) -> np.random.Generator:
    """The generator of one (split, seed) job: independent across splits, stable across runs."""
    return np.random.default_rng([int(seed), zlib.crc32(split.encode())])


EVAL_NEGATIVES = ("all", "ratio")
CANDIDATE_REGULATORS = ("network", "tfs")
CANDIDATE_LIMIT = 20_000_000  # candidate pairs enumerated at most (else negatives are sampled)


def pair_codes(
    genes: Sequence[str],
    regulators: Sequence[str],
    targets: Sequence[str],
    tfs: Sequence[str],
    split: str,
    seed: int,
    settings: PairSettings,
    spec: dict | None = None,
) -> dict:
    """The pair table of one split regime and seed as integer arrays, in output order.

    Returns {names, gene_a, gene_b, label, direction, fold, pair_class}: gene_a/gene_b index
    `names` (the genes), fold indexes FOLDS. See the module docstring for the rules.
    `settings`: the dataset's `pairs:` section (no defaults here: the schema holds them; tests
    use `PairSettings.from_schema`). Longer than 60 lines: it runs the steps in order
    (edges, candidate regulators, regime, units, negatives, assembly), each its own function.
    """
    regime = (spec or {}).get("regime", split)
    if regime not in REGIMES:
        raise ValueError(f"unknown split {split!r}; one of {', '.join(REGIMES)}")
    negatives, eval_negatives = settings.negatives, settings.eval_negatives
    val_fraction, test_fraction = settings.val_fraction, settings.test_fraction
    directed = settings.directed
    if negatives not in ("uniform", "degree_matched") or eval_negatives not in EVAL_NEGATIVES:
        raise ValueError(f"unknown negatives {negatives!r} / eval_negatives {eval_negatives!r}")
    if settings.candidate_regulators not in CANDIDATE_REGULATORS:
        raise ValueError(f"unknown candidate_regulators {settings.candidate_regulators!r}")
    fractions = np.array([1.0 - val_fraction - test_fraction, val_fraction, test_fraction])
    if fractions[0] <= 0:
        raise InputError(f"pairs: val_fraction + test_fraction ({val_fraction} + {test_fraction}) must be < 1")
    rng = split_rng(seed, split)
    gene_index = pd.Index(genes)
    n_genes = len(gene_index)
    reg, tgt = _edge_codes(gene_index, regulators, targets)
    tf = gene_index.get_indexer(list(tfs))
    tf = tf[tf >= 0].astype(np.int64)
    edges = KeySet(n_genes)
    edges.add(reg, tgt)
    if not settings.tf_only:
        pool_a = np.arange(n_genes, dtype=np.int64)
    elif settings.candidate_regulators == "tfs":
        pool_a = unique_keys(np.concatenate([tf, reg]))
    else:
        pool_a = unique_keys(reg)

    # Fold of every positive (-1: left out) and gene pools of every fold, from the regime;
    # then a gene pair is one unit (a mutual pair never spans two folds).
    ctx = SplitContext(rng=rng, reg=reg, tgt=tgt, n_genes=n_genes, pool_a=pool_a, fractions=fractions,
                       spec=spec or {}, genes=gene_index)
    assignment = REGIMES[regime](ctx)
    pos_fold = unit_folds(assignment.pos_fold, reg, tgt, n_genes)
    n_pos = np.bincount(pos_fold[pos_fold >= 0], minlength=3)
    # test_fraction 0: the table of the final models (every edge in train or val, no test).
    if n_pos[0] == 0 or (n_pos[2] == 0 and test_fraction > 0):
        raise InputError(
            f"pairs: split {split} leaves the {'train' if n_pos[0] == 0 else 'test'} fold without "
            f"positive pairs (positives per fold train/val/test: {n_pos.tolist()}); the reference "
            "network is too small for this split: use more edges or other val/test fractions"
        )
    if n_pos[1] == 0 and val_fraction > 0:
        log.warning("split %s: the val fold has no positive pair", split)

    ratios = [settings.negative_ratio] + [None if eval_negatives == "all" else settings.eval_negative_ratio] * 2
    weights = [_degree_weights(reg, tgt, pos_fold, f, n_genes) if negatives == "degree_matched" else (None, None)
               for f in range(3)]
    if pool_a.size * n_genes <= CANDIDATE_LIMIT:
        neg_a, neg_b, neg_fold = _enumerated_negatives(rng, assignment, pool_a, n_genes, edges, reg, tgt,
                                                       pos_fold, n_pos, directed, ratios, weights)
    elif eval_negatives == "all":
        raise InputError(
            f"pairs: {pool_a.size} candidate regulators x {n_genes} genes is too many candidate pairs "
            f"to evaluate on all of them (limit {CANDIDATE_LIMIT}); set pairs.eval_negatives: ratio "
            "or pairs.tf_only: true"
        )
    else:
        neg_a, neg_b, neg_fold = _sampled_negatives(rng, assignment.pools, n_genes, edges, reg, tgt, pos_fold,
                                                    n_pos, directed, ratios, weights, split)
    return _assemble(gene_index, reg, tgt, pos_fold, neg_a, neg_b, neg_fold, edges, split, seed)


def _edge_codes(gene_index: pd.Index, regulators, targets) -> tuple[np.ndarray, np.ndarray]:
    """Regulator and target indices of the distinct, non-self-loop reference edges."""
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
    return reg[usable], tgt[usable]


def _degree_weights(reg, tgt, pos_fold, f, n_genes):
    """Out-degree (gene_a) and in-degree (gene_b) weights per gene among fold f's positives."""
    in_fold = pos_fold == f
    return (np.bincount(reg[in_fold], minlength=n_genes).astype(float),
            np.bincount(tgt[in_fold], minlength=n_genes).astype(float))


def _enumerated_negatives(rng, assignment, pool_a, n_genes, edges, reg, tgt, pos_fold, n_pos, directed,
                          ratios, weights):
    """Negatives per fold from the enumerated candidates: all of them (ratio None) or a sample."""
    kept = pos_fold >= 0
    pos_keys = reg[kept] * n_genes + tgt[kept]
    order = np.argsort(pos_keys)
    cand_a, cand_b, cand_fold = fold_candidates(assignment, pool_a, n_genes, edges, pos_keys[order],
                                                pos_fold[kept][order], directed)
    neg_a, neg_b, neg_fold = [], [], []
    for f in range(3):
        a, b = cand_a[cand_fold == f], cand_b[cand_fold == f]
        if ratios[f] is not None:
            quota = int(round(ratios[f] * n_pos[f]))
            a, b = sample_from(rng, a, b, assignment.pools[f], quota, n_genes, directed, *weights[f])
            if a.size < quota:
                log.warning("fold %s: only %d negatives available of %d wanted (ratio %.3g)",
                            FOLDS[f], a.size, quota, ratios[f])
        neg_a.append(a)
        neg_b.append(b)
        neg_fold.append(np.full(a.size, f, dtype=np.int64))
    return neg_a, neg_b, neg_fold


def _sampled_negatives(rng, pools, n_genes, edges, reg, tgt, pos_fold, n_pos, directed, ratios, weights, split):
    """Negatives per fold by rejection sampling inside the fold's pools (too many candidates
    to enumerate); no pair repeats and none has its reverse in another fold."""
    forbidden = KeySet(n_genes)  # reference edges, both orientations unless directed
    forbidden.add(reg, tgt, both=not directed)
    neg_a, neg_b, neg_fold = [], [], []
    for f in range(3):
        quota = int(round(ratios[f] * n_pos[f]))
        fold_forbidden = forbidden.copy()
        other = pos_fold != f
        fold_forbidden.add(tgt[other], reg[other])
        for g in range(f):
            fold_forbidden.add(neg_b[g], neg_a[g])
            fold_forbidden.add(neg_a[g], neg_b[g])
        w = (None, None) if weights[f][0] is None else (weights[f][0][pools[f][0]], weights[f][1][pools[f][1]])
        a, b = sample_negatives(rng, pools[f][0], pools[f][1], quota, fold_forbidden, directed, *w)
        if a.size < quota:
            log.warning("split %s, fold %s: only %d negatives available of %d wanted (ratio %.3g)",
                        split, FOLDS[f], a.size, quota, ratios[f])
        neg_a.append(a)
        neg_b.append(b)
        neg_fold.append(np.full(a.size, f, dtype=np.int64))
    return neg_a, neg_b, neg_fold


def _assemble(gene_index, reg, tgt, pos_fold, neg_a, neg_b, neg_fold, edges, split, seed) -> dict:
    """Positives and negatives in output order, with direction and pair_class."""
    keep = pos_fold >= 0
    a = np.concatenate([reg[keep], *neg_a])
    b = np.concatenate([tgt[keep], *neg_b])
    fold = np.concatenate([pos_fold[keep], *neg_fold])
    label = np.concatenate([np.ones(keep.sum(), np.int64), np.zeros(a.size - keep.sum(), np.int64)])
    return _coded(gene_index, a, b, label, fold, edges, split, seed)


def _coded(gene_index, a, b, label, fold, edges, split, seed) -> dict:
    """The code arrays of a pair table: direction from the edges, pair_class from the training
    positives (a gene is seen when it is one of a training positive's two genes), sorted."""
    n_genes = len(gene_index)
    direction = np.where(label == 1, 1, np.where(edges.contains(b, a), 2, 0))
    train_pos = (fold == 0) & (label == 1)
    in_train = np.zeros(n_genes, dtype=np.int64)
    in_train[a[train_pos]] = 1
    in_train[b[train_pos]] = 1
    pair_class = np.where(fold == 0, 2, in_train[a] + in_train[b])
    order = np.argsort(((fold * 2 + (1 - label)) * n_genes + a) * n_genes + b)
    _log_summary(fold, label, pair_class, split, seed)
    return {"names": gene_index.to_numpy(), "gene_a": a[order], "gene_b": b[order], "label": label[order],
            "direction": direction[order], "fold": fold[order], "pair_class": pair_class[order]}


def make_pairs(genes: Sequence[str], regulators: Sequence[str], targets: Sequence[str], tfs: Sequence[str],
               split: str, seed: int, settings: PairSettings) -> pd.DataFrame:
    """The pair table (`gene_a gene_b label direction fold pair_class`) of one split and seed.

    `settings`: the dataset's `pairs:` section (see the module docstring and config/README.md).
    """
    return _table(pair_codes(genes, regulators, targets, tfs, split, seed, settings))


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
    settings: PairSettings,
    spec: dict | None = None,
) -> pd.DataFrame:
    """Read network.tsv, tfs.txt and the expression genes; write the pair table of (split, seed).

    `settings`: the dataset's `pairs:` section (unused by a user's pair table, which is taken
    as given). `spec`: a user split's declaration (`{name, pairs: path}` or
    `{name, regulators: path}`); None for the built-in regimes.
    """
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
    if spec and spec.get("pairs"):
        codes = user_pair_codes(spec["pairs"], genes, edges["regulator"], edges["target"], split, int(seed))
    else:
        tf_list = read_gene_list(tfs) if Path(tfs).stat().st_size else []
        if spec and spec.get("regulators"):
            spec = {"regime": "regulators", "heldout": read_heldout_regulators(spec["regulators"], known)}
        codes = pair_codes(genes, edges["regulator"], edges["target"], tf_list, split, int(seed), settings, spec)
    write_pairs(codes, out)
    return _table(codes)


def user_pair_codes(path, genes, regulators, targets, split: str, seed: int) -> dict:
    """The codes of a user's pair table: its pairs, labels and folds exactly as given."""
    gene_index = pd.Index(genes)
    reg, tgt = _edge_codes(gene_index, regulators, targets)
    edges = KeySet(len(gene_index))
    edges.add(reg, tgt)
    a, b, label, fold = read_user_pairs(path, gene_index)
    check_against_reference(path, a, b, label, fold, edges, len(gene_index))
    return _coded(gene_index, a, b, label, fold, edges, split, seed)


__all__ = ["make_pairs", "pair_codes", "write_pairs", "build_pairs", "split_rng", "FOLDS", "SPLITS", "PAIR_COLUMNS"]
