"""GRNBoost2-style importances: stochastic gradient boosting with early stopping, all targets at once.

Every target gene is predicted from the same regulator profiles, so the regulators are binned
once (quantile bins) and one boosting round fits a regression tree of depth `max_depth` to every
target's residuals at the same time. A tree grows level by level: the per-bin residual sums and
sample counts of every node of every target are one matrix product (one-hot bins x node-masked
residuals), only the left children are multiplied out (a right child is its parent minus its left
sibling), and each node's best split follows from cumulative sums over the bins. Like GRNBoost2
(Moerman et al. 2019) each round draws a random fraction of the samples (`subsample`) and of the
regulators (`max_features`, per tree), and a target stops when its out-of-bag loss has not
improved on average over the last `window` rounds. A regulator's importance for a target is the
squared-error reduction of the splits on it (per in-bag sample), summed over nodes and rounds.
"""

from __future__ import annotations

import math

import numpy as np


def quantile_codes(features: np.ndarray, n_bins: int) -> tuple[np.ndarray, int]:
    """Bin index (0..n_bins-1) of every sample x regulator value, by the regulator's quantiles."""
    codes = np.zeros(features.shape, dtype=np.int64)
    inner = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    for j in range(features.shape[1]):
        edges = np.unique(np.quantile(features[:, j], inner))
        codes[:, j] = np.searchsorted(edges, features[:, j], side="right")
    return codes, n_bins


def _histograms(design, res, node, nodes):
    """Per-bin residual sums and counts, shape (k * bins, len(nodes), targets), of the given nodes.

    `design` is in-bag samples x (k * bins) one-hot, `res` the in-bag residuals, `node` the
    in-bag samples' node per target; `nodes` None means the root (every sample).
    """
    n, t = res.shape
    if nodes is None:
        sums = design.T @ res
        counts = np.broadcast_to(design.sum(axis=0)[:, None], sums.shape)
        return sums[:, None, :], counts[:, None, :]
    masks = np.stack([node == m for m in nodes], axis=1).astype(res.dtype)  # n x nodes x t
    stacked = np.concatenate([masks * res[:, None, :], masks], axis=1)
    both = design.T @ stacked.reshape(n, 2 * len(nodes) * t)
    both = both.reshape(design.shape[1], 2, len(nodes), t)
    return both[:, 0], both[:, 1]


def _best_splits(sums, counts, n_bins, blocked, min_leaf):
    """Best split of every node of every target: gain (per in-bag sample), feature position, bin.

    `sums`/`counts` are (k * bins, nodes, targets); `blocked[i, m, t]` (m may be broadcast) is
    True where candidate i of node m is target t itself (never a split). A node without a valid
    split gets gain -inf.
    """
    kb, nodes, t = sums.shape
    k = kb // n_bins
    sums = sums.reshape(k, n_bins, nodes, t)
    counts = counts.reshape(k, n_bins, nodes, t)
    left_sum = np.cumsum(sums, axis=1)[:, :-1]
    left_n = np.cumsum(counts, axis=1)[:, :-1]
    total, n_node = sums[0].sum(axis=0), counts[0].sum(axis=0)  # nodes x t
    right_sum, right_n = total - left_sum, n_node - left_n
    valid = (left_n >= min_leaf) & (right_n >= min_leaf) & ~blocked[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = left_sum**2 / left_n + right_sum**2 / right_n - total**2 / n_node
    flat = np.where(valid, gain, -np.inf).reshape(k * (n_bins - 1), nodes, t)
    best = np.argmax(flat, axis=0)
    gain = np.take_along_axis(flat, best[None], axis=0)[0]
    feat, cut = np.divmod(best, n_bins - 1)
    return gain, feat, cut


def _level_histograms(onehot_in, res_in, node_in, feats, level, parent, n_bins):
    """Sums and counts (k * bins, 2^level, targets) of every node of a level.

    `feats` is (nodes, k): the candidate regulators of each node of the level. One row for all
    nodes: one matrix product for the left children, the right ones by subtraction from
    `parent`; a row per node: one product per node (its own one-hot design).
    """
    n_in, t = res_in.shape
    shape = (n_in, feats.shape[1] * n_bins)
    if feats.shape[0] > 1:  # candidates drawn per node
        parts = [_histograms(onehot_in[:, f].reshape(shape), res_in, node_in, [m]) for m, f in enumerate(feats)]
        return np.concatenate([p[0] for p in parts], axis=1), np.concatenate([p[1] for p in parts], axis=1)
    design = onehot_in[:, feats[0]].reshape(shape)
    if parent is None:  # the root
        return _histograms(design, res_in, node_in, None)
    left_s, left_c = _histograms(design, res_in, node_in, range(0, 2**level, 2))
    sums = np.stack([left_s, parent[0] - left_s], axis=2).reshape(left_s.shape[0], -1, t)
    counts = np.stack([left_c, parent[1] - left_c], axis=2).reshape(left_c.shape[0], -1, t)
    return sums, counts


def _grow_tree(onehot_in, codes_in, codes_all, res_in, self_column, node_feats, n_bins, max_depth, min_leaf):
    """One tree per target, level by level: its leaf of every sample, leaf values and split gains.

    `node_feats(level)` gives the candidate regulators (nodes or 1, k) of the level's nodes.
    Returns (leaf: samples x targets, value: leaves x targets, splits: per level the gain and
    regulator column (nodes x targets) of each node's split, gain -inf where a node did not
    split). A node that does not split sends all its samples to its left child.
    """
    n_in, t = res_in.shape
    cols = np.arange(t)
    node_in = np.zeros((n_in, t), dtype=np.int64)
    node_all = np.zeros((codes_all.shape[0], t), dtype=np.int64)
    parent, splits = None, []
    for level in range(max_depth):
        feats = node_feats(level)
        sums, counts = _level_histograms(onehot_in, res_in, node_in, feats, level, parent, n_bins)
        blocked = feats.T[:, :, None] == self_column[None, None, :]  # k x nodes x t
        gain, feat, cut = _best_splits(sums, counts, n_bins, blocked, min_leaf)
        feat = np.take_along_axis(np.broadcast_to(feats, (len(gain), feats.shape[1])), feat, axis=1)
        split = np.isfinite(gain) & (gain > 0)
        splits.append((np.where(split, gain, -np.inf), feat))
        for node, codes in ((node_in, codes_in), (node_all, codes_all)):
            f = feat[node, cols]
            right = split[node, cols] & (np.take_along_axis(codes, f, axis=1) > cut[node, cols])
            node *= 2
            node += right
        parent = (sums, counts) if len(feats) == 1 else None
    index = (node_in * t + cols[None, :]).ravel()
    leaf_sum = np.bincount(index, weights=res_in.ravel(), minlength=2**max_depth * t).reshape(-1, t)
    leaf_n = np.bincount(index, minlength=2**max_depth * t).reshape(-1, t)
    value = np.divide(leaf_sum, leaf_n, out=np.zeros_like(leaf_sum), where=leaf_n > 0)
    return node_all, value, splits


def boosted_importances(
    features: np.ndarray,
    targets: np.ndarray,
    self_column: np.ndarray,
    learning_rate: float = 0.1,
    max_rounds: int = 500,
    max_features: float = 0.1,
    subsample: float = 0.9,
    window: int = 25,
    n_bins: int = 32,
    max_depth: int = 1,
    min_leaf: int = 1,
    features_per: str = "tree",
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Importances (targets x regulators), the rounds each target ran and its final residuals.

    `features` is samples x regulators, `targets` samples x targets (both standardized);
    `self_column[t]` is the regulator column of target t, or -1 when the target is no regulator.
    `features_per`: `tree` draws the `max_features` candidates once per tree (a round), `node`
    for every node (as scikit-learn's max_features; costs about 2x at depth 3).
    Fitting all targets in one pass (BLAS products in float32) is what makes this fast; the
    loop body is one boosting round and is only as long as the round needs.
    """
    rng = np.random.default_rng(seed)
    n, p = features.shape
    codes, n_bins = quantile_codes(features, n_bins)
    onehot = np.zeros((n, p, n_bins), dtype=np.float32)
    onehot[np.arange(n)[:, None], np.arange(p)[None, :], codes] = 1.0
    residuals = np.array(targets, dtype=np.float32, order="F")
    importances = np.zeros((targets.shape[1], p))
    rounds = np.zeros(targets.shape[1], dtype=np.int64)
    history = np.zeros((window, targets.shape[1]))  # out-of-bag improvements, ring buffer
    active = np.arange(targets.shape[1])
    k = min(p, max(1, math.ceil(max_features * p) if max_features <= 1 else int(max_features)))
    for r in range(max_rounds):
        if active.size == 0:
            break
        inbag = rng.random(n) < subsample
        if inbag.sum() < 2:
            inbag[:] = True
        if features_per == "node":
            draws = [np.sort(np.argsort(rng.random((2**d, p)), axis=1)[:, :k], axis=1) for d in range(max_depth)]
        else:
            draws = [np.sort(rng.choice(p, k, replace=False))[None]] * max_depth
        res = residuals[:, active]
        leaf, value, splits = _grow_tree(onehot[inbag], codes[inbag], codes, res[inbag], self_column[active],
                                         draws.__getitem__, n_bins, max_depth, min_leaf)
        oob = ~inbag
        before = (res[oob] ** 2).mean(axis=0) if oob.any() else 0.0
        res -= (learning_rate * np.take_along_axis(value, leaf, axis=0)).astype(np.float32)
        after = (res[oob] ** 2).mean(axis=0) if oob.any() else 0.0
        residuals[:, active] = res
        for gain, feat in splits:
            node, col = np.nonzero(np.isfinite(gain))
            np.add.at(importances, (active[col], feat[node, col]), gain[node, col] / inbag.sum())
        history[r % window, active] = before - after
        rounds[active] = r + 1
        if oob.any() and r + 1 >= window:
            active = active[history[:, active].mean(axis=0) > 0]
    return importances, rounds, residuals
