"""The split regimes: one function per regime behind one interface (see grnflow.pairs).

A regime receives the `SplitContext` (the reference edges as gene indices, the candidate
regulators, the fold fractions, its generator) and returns an `Assignment`: the fold of every
positive (-1: left out of the table) and, per fold, the gene pools its negatives are drawn
from. `REGIMES` maps a regime's name to its function, so a new regime is one new function.
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

    @property
    def all_genes(self) -> np.ndarray:
        return np.arange(self.n_genes, dtype=np.int64)


@dataclass
class Assignment:
    """A regime's answer: fold per positive (-1: left out) and (gene_a, gene_b) pools per fold."""

    pos_fold: np.ndarray
    pools: list[tuple[np.ndarray, np.ndarray]]


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
    return Assignment(pos_fold, [(ctx.pool_a, ctx.all_genes)] * 3)


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
}
