"""GRNBoost2-style importances: stochastic gradient boosting with early stopping, all targets at once.

Every target gene is predicted from the same regulator profiles, so the regulators are binned
once (quantile bins) and one boosting round fits a depth-1 regression tree (a stump) to every
target's residuals at the same time: the per-bin residual sums of all targets are one matrix
product (one-hot bins x residuals), and the best split of each target follows from cumulative
sums over the bins. Like GRNBoost2 (Moerman et al. 2019) each round draws a random fraction of
the samples (`subsample`) and of the regulators (`max_features`), and a target stops when its
out-of-bag loss has not improved on average over the last `window` rounds. A regulator's
importance for a target is the squared-error reduction of the splits on it (per in-bag sample).
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


def _best_stumps(onehot, feats, residuals, inbag, n_bins, blocked):
    """Best split (gain, feature position, bin, left and right mean) of every target's residuals.

    `blocked[i, t]` is True where regulator `feats[i]` is target t itself (never a split).
    """
    n, k = residuals.shape[0], len(feats)
    weights = inbag.astype(residuals.dtype)
    design = onehot[:, feats, :].reshape(n, k * n_bins)
    sums = (design.T @ (weights[:, None] * residuals)).reshape(k, n_bins, -1)
    counts = (design.T @ weights).reshape(k, n_bins)
    left_sum = np.cumsum(sums, axis=1)[:, :-1]
    left_n = np.cumsum(counts, axis=1)[:, :-1]
    total = sums[0].sum(axis=0)
    n_in = weights.sum()
    right_sum = total - left_sum
    right_n = n_in - left_n
    valid = (left_n > 0) & (right_n > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = left_sum**2 / left_n[:, :, None] + right_sum**2 / right_n[:, :, None] - total**2 / n_in
    gain = np.where(valid[:, :, None] & ~blocked[:, None, :], gain, -np.inf)
    flat = gain.reshape(k * (n_bins - 1), -1)
    best = np.argmax(flat, axis=0)
    cols = np.arange(best.size)
    feat, cut = np.divmod(best, n_bins - 1)
    sl, nl = left_sum[feat, cut, cols], left_n[feat, cut]
    return flat[best, cols] / n_in, feat, cut, sl / nl, (total - sl) / (n_in - nl)


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
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Importances (targets x regulators) and the number of rounds each target ran.

    `features` is samples x regulators, `targets` samples x targets (both standardized);
    `self_column[t]` is the regulator column of target t, or -1 when the target is no regulator.
    Fitting all targets in one pass (BLAS products in float32) is what makes this fast; the
    loop body is one boosting round and is only as long as the round needs (hence > 60 lines
    with its helper).
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
        feats = np.sort(rng.choice(p, k, replace=False))
        res = residuals[:, active]
        blocked = feats[:, None] == self_column[active][None, :]
        gain, feat, cut, left, right = _best_stumps(onehot, feats, res, inbag, n_bins, blocked)
        useful = np.isfinite(gain) & (gain > 0)
        goes_left = codes[:, feats[feat]] <= cut[None, :]
        step = (learning_rate * useful)[None, :] * np.where(goes_left, left[None, :], right[None, :])
        oob = ~inbag
        before = (res[oob] ** 2).mean(axis=0) if oob.any() else 0.0
        res -= step.astype(np.float32)
        after = (res[oob] ** 2).mean(axis=0) if oob.any() else 0.0
        residuals[:, active] = res
        importances[active[useful], feats[feat[useful]]] += gain[useful]
        history[r % window, active] = before - after
        rounds[active] = r + 1
        if oob.any() and r + 1 >= window:
            active = active[history[:, active].mean(axis=0) > 0]
    return importances, rounds
