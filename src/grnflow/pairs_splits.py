"""The split regimes: one function per regime behind one interface (see grnflow.pairs).

A regime receives the `SplitContext` (the reference edges as gene indices, the candidate
regulators, the fold fractions, its generator) and returns an `Assignment`: the fold of every
positive (-1: left out of the table), per fold the gene pools its negatives come from, and the
fold of any candidate pair (`Assignment.fold_of`: by default the fold whose pools hold both
genes). `REGIMES` maps a regime's name to its function, so a new regime is one new function.
grnflow.pairs then makes an unordered gene pair one unit (see `unit_folds`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

log = logging.getLogger("grnflow.pairs")

PARTITION_DRAWS = 256


@dataclass(frozen=True)
class SplitContext:
    """What a regime may look at: edges (regulator/target indices), pools and fractions."""

    rng: np.random.Generator
    reg: np.ndarray
    tgt: np.ndarray
    n_genes: int
    pool_a: np.ndarray  # candidate regulators (gene_a of negatives)
    fractions: np.ndarray  # train, val, test
    spec: dict = field(default_factory=dict)  # the split's declaration (user splits)
    genes: object = None  # the gene names (pd.Index), for user splits naming genes

    @property
    def all_genes(self) -> np.ndarray:
        return np.arange(self.n_genes, dtype=np.int64)


@dataclass
class Assignment:
    """A regime's answer: fold per positive (-1: left out) and (gene_a, gene_b) pools per fold.

    `pair_fold(a, b)`, when given, is the fold of the ordered candidate pairs (a, b) (-1: in no
    fold); otherwise the last fold whose pools hold a as gene_a and b as gene_b.
    """

    pos_fold: np.ndarray
    pools: list[tuple[np.ndarray, np.ndarray]]
    pair_fold: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None

    def fold_of(self, a: np.ndarray, b: np.ndarray, n_genes: int) -> np.ndarray:
        if self.pair_fold is not None:
            return self.pair_fold(a, b)
        fold = np.full(a.shape, -1, dtype=np.int64)
        for f, (pool_a, pool_b) in enumerate(self.pools):
            in_a, in_b = np.zeros(n_genes, bool), np.zeros(n_genes, bool)
            in_a[pool_a], in_b[pool_b] = True, True
            fold[in_a[a] & in_b[b]] = f
        return fold


def unit_folds(pos_fold: np.ndarray, reg: np.ndarray, tgt: np.ndarray, n_genes: int) -> np.ndarray:
    """Positive folds with a mutual pair (a->b and b->a both edges) kept in one fold.

    A regime may place the two orientations in different folds (tf_holdout: a test regulator's
    target regulates it back from the training side). The pair then belongs to its most held-out
    fold (test > val > train) and the other orientation is left out (-1): neither trained on nor
    evaluated, so no val/test pair has its reverse among the training positives.
    """
    key = reg * n_genes + tgt
    order = np.argsort(key)
    rev = np.searchsorted(key[order], tgt * n_genes + reg)
    rev = np.minimum(rev, key.size - 1)
    mutual = key[order][rev] == tgt * n_genes + reg
    rev_fold = np.where(mutual, pos_fold[order][rev], -1)
    unit = np.maximum(pos_fold, rev_fold)
    left_out = (pos_fold >= 0) & (unit != pos_fold)
    if left_out.any():
        log.info("%d edge(s) left out: their reverse edge is in a more held-out fold (a gene "
                 "pair is one unit)", int(left_out.sum()))
    return np.where(left_out, -1, pos_fold)


def _hash_unit(a: np.ndarray, b: np.ndarray, n_genes: int, salt: int) -> np.ndarray:
    """A uniform number in [0, 1) per unordered pair {a, b}, fixed by `salt` (splitmix64)."""
    x = (np.minimum(a, b) * n_genes + np.maximum(a, b)).astype(np.uint64) + np.uint64(salt)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _partition(
    rng: np.random.Generator, n_items: int, probs: np.ndarray, score, draws: int = PARTITION_DRAWS
) -> np.ndarray:
    """Assign items to folds at random with `probs`; keep the best of `draws` by `score`."""
    u = rng.random((draws, n_items))
    groups = np.searchsorted(np.cumsum(probs)[:-1], u, side="right").astype(np.int8)
    return groups[int(np.argmin(score(groups)))]


def _fraction_score(counts: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Distance of per-fold positive counts (draws x 3) to the wanted fractions; empty folds cost."""
    total = np.maximum(counts.sum(axis=1, keepdims=True), 1)
    score = np.abs(counts / total - fractions).sum(axis=1)
    score += 10.0 * ((counts[:, 0] == 0) | (counts[:, 2] == 0))
    score += 1.0 * ((counts[:, 1] == 0) & (fractions[1] > 0))
    return score


def random_split(ctx: SplitContext) -> Assignment:
    """Positives at random; both orientations of a gene pair share a fold."""
    reg, tgt, n_genes = ctx.reg, ctx.tgt, ctx.n_genes
    ukey = np.minimum(reg, tgt) * n_genes + np.maximum(reg, tgt)
    _, inverse, sizes = np.unique(ukey, return_inverse=True, return_counts=True)
    order = ctx.rng.permutation(sizes.size)
    starts = np.empty(sizes.size, dtype=np.int64)
    starts[order] = np.cumsum(sizes[order]) - sizes[order]
    bounds = np.round(np.cumsum(ctx.fractions)[:-1] * reg.size)
    pos_fold = np.searchsorted(bounds, starts, side="right")[inverse].astype(np.int64)
    # Non-edge pairs: a fold per unordered pair, drawn with the fractions (a hash, so both
    # orientations agree and sampling needs no enumeration).
    salt, cuts = int(ctx.rng.integers(1 << 62)), np.cumsum(ctx.fractions)[:-1]
    in_pool = np.zeros(ctx.n_genes, bool)
    in_pool[ctx.pool_a] = True

    def pair_fold(a, b):
        fold = np.searchsorted(cuts, _hash_unit(a, b, ctx.n_genes, salt), side="right")
        return np.where(in_pool[a], fold, -1).astype(np.int64)

    return Assignment(pos_fold, [(ctx.pool_a, ctx.all_genes)] * 3, pair_fold)


def tf_holdout_split(ctx: SplitContext) -> Assignment:
    """Candidate regulators partitioned: a val/test pair's gene_a is never a training gene_a."""
    outdeg = np.bincount(ctx.reg, minlength=ctx.n_genes)[ctx.pool_a]

    def score(groups):
        offset = groups + 3 * np.arange(groups.shape[0])[:, None]
        counts = np.bincount(offset.ravel(), weights=np.tile(outdeg, groups.shape[0]),
                             minlength=3 * groups.shape[0]).reshape(-1, 3)
        return _fraction_score(counts, ctx.fractions)

    group = np.full(ctx.n_genes, -1, dtype=np.int64)
    group[ctx.pool_a] = _partition(ctx.rng, ctx.pool_a.size, ctx.fractions, score)
    return _regulator_assignment(ctx, group)


def regulator_list_split(ctx: SplitContext) -> Assignment:
    """A user's held-out regulators (`spec["heldout"]`: gene -> fold 1 val / 2 test); the other
    candidate regulators train, and when none is listed for val, val regulators are drawn
    among them (best of several draws for `val_fraction` of the positives)."""
    heldout = ctx.spec["heldout"]
    group = np.full(ctx.n_genes, -1, dtype=np.int64)
    group[ctx.pool_a] = 0
    listed = np.fromiter(heldout, dtype=np.int64, count=len(heldout))
    outside = listed[group[listed] < 0]
    if outside.size:
        log.warning("%d held-out regulator(s) are no candidate regulator (no reference edge) and hold no pair",
                    outside.size)
    group[listed] = np.fromiter(heldout.values(), dtype=np.int64, count=len(heldout))
    others = ctx.pool_a[group[ctx.pool_a] == 0]
    if 1 not in heldout.values() and ctx.fractions[1] > 0 and others.size > 1:
        outdeg = np.bincount(ctx.reg, minlength=ctx.n_genes)[others]
        share = ctx.fractions[1] / (ctx.fractions[0] + ctx.fractions[1])
        wanted = np.array([1 - share, share, 0.0])

        def score(groups):
            counts = np.stack([(outdeg * (groups == f)).sum(axis=1) for f in range(3)], axis=1)
            return _fraction_score(counts, wanted)

        group[others] = _partition(ctx.rng, others.size, wanted, score)
    return _regulator_assignment(ctx, group)


def _regulator_assignment(ctx: SplitContext, group: np.ndarray) -> Assignment:
    """Folds from a partition of the candidate regulators (`group`: fold per gene, -1 none)."""
    pools = [(ctx.pool_a[group[ctx.pool_a] == f], ctx.all_genes) for f in range(3)]
    return Assignment(group[ctx.reg], pools)


def gene_disjoint_split(ctx: SplitContext) -> Assignment:
    """All genes partitioned; edges across partitions are left out (sizes ~ sqrt of fractions)."""
    reg, tgt = ctx.reg, ctx.tgt
    gene_probs = np.sqrt(ctx.fractions) / np.sqrt(ctx.fractions).sum()
    draws = int(np.clip(20_000_000 // max(reg.size, 1), 4, PARTITION_DRAWS))

    def score(groups):
        ga, gb = groups[:, reg], groups[:, tgt]
        same = ga == gb
        counts = np.stack([((ga == f) & same).sum(axis=1) for f in range(3)], axis=1)
        return _fraction_score(counts, ctx.fractions)

    group = _partition(ctx.rng, ctx.n_genes, gene_probs, score, draws).astype(np.int64)
    pos_fold = np.where(group[reg] == group[tgt], group[reg], -1)
    pools = [(ctx.pool_a[group[ctx.pool_a] == f], ctx.all_genes[group == f]) for f in range(3)]
    log.info("gene_disjoint: genes per fold %s; %d of %d edges cross folds and are left out",
             np.bincount(group, minlength=3).tolist(), int((pos_fold < 0).sum()), reg.size)
    return Assignment(pos_fold, pools)


REGIMES: dict[str, Callable[[SplitContext], Assignment]] = {
    "random": random_split,
    "tf_holdout": tf_holdout_split,
    "gene_disjoint": gene_disjoint_split,
    "regulators": regulator_list_split,  # user split: a list of held-out regulators
}
