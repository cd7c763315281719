"""Pair-key sets and negative sampling shared by the split regimes (see grnflow.pairs).

Pairs are integer gene indices (a, b); a pair key is a * n_genes + b.
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger("grnflow.pairs")

# Negatives are drawn by rejection sampling; when a fold needs more than a quarter of its
# candidate pairs (dense or tiny networks), by enumerating candidates (at most this many).
ENUMERATE_LIMIT = 50_000_000
BITSET_GENES = 40_000  # pair-key sets are bitsets (n_genes^2 bits) up to this many genes


def unique_keys(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based: numpy's hash-based np.unique is slow on pair keys)."""
    values = np.sort(values)
    return values[np.concatenate([[True], values[1:] != values[:-1]])] if values.size else values


def isin_sorted(values: np.ndarray, sorted_set: np.ndarray | list[np.ndarray]) -> np.ndarray:
    """Whether each value is in the sorted array(s) `sorted_set`."""
    if isinstance(sorted_set, list):
        found = np.zeros(values.shape, dtype=bool)
        for part in sorted_set:
            found |= isin_sorted(values, part)
        return found
    if sorted_set.size == 0:
        return np.zeros(values.shape, dtype=bool)
    idx = np.minimum(np.searchsorted(sorted_set, values), sorted_set.size - 1)
    return sorted_set[idx] == values


class KeySet:
    """A set of pair keys (a * n_genes + b): a bitset when it fits, else sorted arrays."""

    def __init__(self, n_genes: int):
        self.n_genes = n_genes
        self.bits = np.zeros((n_genes * n_genes + 7) // 8, np.uint8) if n_genes <= BITSET_GENES else None
        self.parts: list[np.ndarray] = []

    def copy(self) -> KeySet:
        other = KeySet.__new__(KeySet)
        other.n_genes, other.parts = self.n_genes, list(self.parts)
        other.bits = None if self.bits is None else self.bits.copy()
        return other

    def add(self, a: np.ndarray, b: np.ndarray, both: bool = False) -> None:
        """Add the pairs (a, b), and (b, a) too when `both`."""
        keys = a * self.n_genes + b
        if both:
            keys = np.concatenate([keys, b * self.n_genes + a])
        if self.bits is not None:
            np.bitwise_or.at(self.bits, keys >> 3, np.left_shift(1, keys & 7).astype(np.uint8))
        elif keys.size:
            self.parts.append(unique_keys(keys))
            if len(self.parts) > 4:
                self.parts = [unique_keys(np.concatenate(self.parts))]

    def contains(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        keys = a * self.n_genes + b
        if self.bits is not None:
            return ((self.bits[keys >> 3] >> (keys & 7).astype(np.uint8)) & 1).astype(bool)
        return isin_sorted(keys, self.parts)


def sample_negatives(
    rng: np.random.Generator,
    pool_a: np.ndarray,
    pool_b: np.ndarray,
    n: int,
    forbidden: KeySet,
    directed: bool,
    weight_a: np.ndarray | None = None,
    weight_b: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Up to `n` distinct pairs (a in pool_a, b in pool_b, a != b) not in `forbidden`.

    Chosen pairs are added to `forbidden` (with their reverses when undirected, so no two
    chosen pairs share their unordered genes). With weights (None: uniform) gene_a is drawn
    with probability proportional to weight_a (genes of weight 0 never) and kept while gene_b
    (proportional to weight_b) is redrawn until the pair is allowed, so gene_a follows
    weight_a; a gene_a with no allowed partner of positive weight_b left (a saturated hub)
    gets a uniformly drawn gene_b, and the last few pairs may be drawn uniformly.
    """
    if weight_a is not None:
        pool_a, weight_a = pool_a[weight_a > 0], weight_a[weight_a > 0]
    empty = np.array([], dtype=np.int64)
    if n <= 0 or pool_a.size == 0 or pool_b.size == 0 or (weight_b is not None and not weight_b.any()):
        return empty, empty
    capacity = pool_a.size * pool_b.size
    a = b = empty
    if n <= capacity // 4 or capacity > ENUMERATE_LIMIT:
        a, b = _sample_rejection(rng, pool_a, pool_b, n, forbidden, directed, weight_a, weight_b)
        if a.size < n and weight_a is not None:
            a2, b2 = _sample_rejection(rng, pool_a, pool_b, n - a.size, forbidden, directed, None, None)
            log.info("%d of %d degree-matched negatives drawn uniformly (saturated hubs)", a2.size, n)
            a, b = np.concatenate([a, a2]), np.concatenate([b, b2])
    if a.size < n and capacity <= ENUMERATE_LIMIT:
        a2, b2 = _sample_enumerate(rng, pool_a, pool_b, n - a.size, forbidden, directed, weight_a, weight_b)
        a, b = np.concatenate([a, a2]), np.concatenate([b, b2])
    return a, b


def first_of_equal(a: np.ndarray, b: np.ndarray, ok: np.ndarray, n_genes: int, directed: bool) -> np.ndarray:
    """`ok` restricted to the first occurrence of each pair (unordered when undirected)."""
    lo, hi = (a, b) if directed else (np.minimum(a, b), np.maximum(a, b))
    keys = np.where(ok, lo * n_genes + hi, -1)
    order = np.argsort(keys, kind="stable")
    ranked = keys[order]
    first = np.ones(keys.size, dtype=bool)
    first[order[1:]] = ranked[1:] != ranked[:-1]
    return ok & first


def _sample_rejection(rng, pool_a, pool_b, n, forbidden, directed, weight_a, weight_b,
                      blocks: int = 8, block: int = 8):
    """Rejection sampling, vectorised over all pairs still missing.

    gene_a is drawn once and kept while gene_b is redrawn for the pairs not allowed yet (the
    last rounds of a block draw gene_b uniformly, for saturated hubs); a gene_a still without
    partner after a block is redrawn. Returns the accepted pairs (possibly fewer than `n`).
    """
    pa = None if weight_a is None else weight_a / weight_a.sum()
    pb = None if weight_b is None else weight_b / weight_b.sum()
    a = rng.choice(pool_a, size=n, p=pa).astype(np.int64)
    b = np.full(n, -1, dtype=np.int64)
    accepted = np.zeros(n, dtype=bool)
    pending = np.arange(n)
    for step in range(blocks * block):
        if pending.size == 0:
            break
        if step and step % block == 0:
            a[pending] = rng.choice(pool_a, size=pending.size, p=pa)
        uniform_b = pb is None or step % block >= block - 3
        b[pending] = rng.choice(pool_b, size=pending.size, p=None if uniform_b else pb)
        pa_, pb_ = a[pending], b[pending]
        ok = (pa_ != pb_) & ~forbidden.contains(pa_, pb_)
        ok = first_of_equal(pa_, pb_, ok, forbidden.n_genes, directed)
        forbidden.add(pa_[ok], pb_[ok], both=not directed)
        accepted[pending[ok]] = True
        pending = pending[~ok]
    return a[accepted], b[accepted]


def _sample_enumerate(rng, pool_a, pool_b, n, forbidden, directed, weight_a, weight_b):
    """Exact sampling without replacement over all allowed candidate pairs (small pools)."""
    a = np.repeat(pool_a.astype(np.int64), pool_b.size)
    b = np.tile(pool_b.astype(np.int64), pool_a.size)
    ok = (a != b) & ~forbidden.contains(a, b)
    # Weighted sampling without replacement (exponential races): smallest -log(u) / w wins.
    race = rng.exponential(size=int(ok.sum()))
    if weight_a is not None:
        # Weight-0 genes_b only after all positive-weight candidates (tiny weight, still random).
        weight_b = weight_b + 1e-9 * weight_b.max()
        race = race / (np.repeat(weight_a, pool_b.size)[ok] * np.tile(weight_b, pool_a.size)[ok])
    order = np.argsort(race, kind="stable")
    a, b = a[ok][order], b[ok][order]
    keep = first_of_equal(a, b, np.ones(a.size, dtype=bool), forbidden.n_genes, directed)
    a, b = a[keep][:n], b[keep][:n]
    forbidden.add(a, b, both=not directed)
    return a, b


def fold_candidates(assignment, pool_a, n_genes, edges: KeySet, pos_keys, pos_folds, directed):
    """Every negative candidate pair (a in pool_a, b any other gene) with the fold of its unit.

    A candidate is a non-edge (with `directed: false` not an edge in either orientation). Its
    unordered pair is one unit: the unit's fold is the most held-out fold of its orientations
    (`assignment.fold_of`), or, for the reverse of an edge (directed only), the edge's fold;
    an orientation is a candidate only when the regime's pools allow it in that fold. With
    `directed: false` a unit is listed once (the first orientation in gene order).
    Returns (a, b, fold) sorted by (a, b).
    """
    a = np.repeat(pool_a.astype(np.int64), n_genes)
    b = np.tile(np.arange(n_genes, dtype=np.int64), pool_a.size)
    keep = a != b
    a, b = a[keep], b[keep]
    fwd_edge, rev_edge = edges.contains(a, b), edges.contains(b, a)
    keep = ~fwd_edge if directed else ~(fwd_edge | rev_edge)
    a, b, rev_edge = a[keep], b[keep], rev_edge[keep]
    is_reg = np.zeros(n_genes, bool)
    is_reg[pool_a] = True
    rev = np.where(is_reg[b], assignment.fold_of(b, a, n_genes), -1)
    unit = np.maximum(assignment.fold_of(a, b, n_genes), rev)
    if directed and rev_edge.any():
        idx = np.minimum(np.searchsorted(pos_keys, b[rev_edge] * n_genes + a[rev_edge]), pos_keys.size - 1)
        found = pos_keys[idx] == b[rev_edge] * n_genes + a[rev_edge]
        unit[rev_edge] = np.where(found, pos_folds[idx], -1)
    member_a = np.zeros((3, n_genes), bool)
    member_b = np.zeros((3, n_genes), bool)
    for f, (pa, pb) in enumerate(assignment.pools):
        member_a[f, pa], member_b[f, pb] = True, True
    f = np.maximum(unit, 0)
    keep = (unit >= 0) & member_a[f, a] & member_b[f, b]
    if not directed:
        keep = first_of_equal(a, b, keep, n_genes, directed=False)
    return a[keep], b[keep], unit[keep]


def sample_from(rng, cand_a, cand_b, pools, n, n_genes, directed, weight_a=None, weight_b=None):
    """`n` of the candidate pairs (cand_a, cand_b), drawn by `sample_negatives` inside `pools`
    (gene_a, gene_b) with every other pair of the pools forbidden: the same sampler (and
    degree matching) as without enumeration, restricted to one fold's candidates."""
    pool_a, pool_b = pools
    allowed = KeySet(n_genes)
    allowed.add(cand_a, cand_b)
    a = np.repeat(pool_a.astype(np.int64), pool_b.size)
    b = np.tile(pool_b.astype(np.int64), pool_a.size)
    forbidden = KeySet(n_genes)
    out = ~allowed.contains(a, b)
    forbidden.add(a[out], b[out])
    if weight_a is not None:
        weight_a, weight_b = weight_a[pool_a], weight_b[pool_b]
    return sample_negatives(rng, pool_a, pool_b, n, forbidden, directed, weight_a, weight_b)
