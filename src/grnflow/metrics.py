"""Ranking and classification metrics shared by every method and the comparison."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score


def _check(labels, scores):
    labels = np.asarray(labels, dtype=int)
    scores = np.asarray(scores, dtype=float)
    if labels.shape != scores.shape:
        raise ValueError(f"labels {labels.shape} and scores {scores.shape} differ in shape")
    return labels, scores


def auroc(labels, scores) -> float:
    """Area under the ROC curve; NaN when only one class is present."""
    labels, scores = _check(labels, scores)
    if labels.min(initial=0) == labels.max(initial=0):
        return float("nan")
    return float(roc_auc_score(labels, scores))


def aupr(labels, scores) -> float:
    """Area under the precision-recall curve (average precision); NaN without positives."""
    labels, scores = _check(labels, scores)
    if labels.sum() == 0:
        return float("nan")
    return float(average_precision_score(labels, scores))


def aupr_ratio(labels, scores) -> float:
    """AUPR over the fraction of positives (1 = random)."""
    labels, _ = _check(labels, scores)
    if labels.size == 0 or labels.sum() == 0:
        return float("nan")
    return aupr(labels, scores) / labels.mean()


def epr(labels, scores) -> float:
    """BEELINE's early precision ratio: precision in the top k (k = #positives) over random precision.

    Ties at the k-th score are broken in favour of nobody: the precision of the tied block is
    counted proportionally, so the result does not depend on the input order.
    """
    labels, scores = _check(labels, scores)
    k = int(labels.sum())
    if k == 0:
        return float("nan")
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order]
    threshold = s[k - 1]
    above = s > threshold
    tied = s == threshold
    hits = y[above].sum() + (k - above.sum()) * y[tied].mean()
    return float((hits / k) / labels.mean())


def mcc(labels, predicted) -> float:
    """Matthews correlation coefficient of binary predictions."""
    labels, predicted = _check(labels, predicted)
    predicted = predicted.astype(int)
    tp = float(np.sum((predicted == 1) & (labels == 1)))
    tn = float(np.sum((predicted == 0) & (labels == 0)))
    fp = float(np.sum((predicted == 1) & (labels == 0)))
    fn = float(np.sum((predicted == 0) & (labels == 1)))
    denom = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return float((tp * tn - fp * fn) / denom) if denom > 0 else 0.0


def f1(labels, predicted) -> float:
    """F1 score of binary predictions."""
    labels, predicted = _check(labels, predicted)
    predicted = predicted.astype(int)
    tp = float(np.sum((predicted == 1) & (labels == 1)))
    fp = float(np.sum((predicted == 1) & (labels == 0)))
    fn = float(np.sum((predicted == 0) & (labels == 1)))
    return 2 * tp / (2 * tp + fp + fn) if tp > 0 else 0.0


def ranking_metrics(labels, scores) -> dict:
    """AUROC, AUPR, AUPR ratio, EPR and the class counts of one ranked test set."""
    labels, scores = _check(labels, scores)
    return {
        "auroc": auroc(labels, scores),
        "aupr": aupr(labels, scores),
        "aupr_ratio": aupr_ratio(labels, scores),
        "epr": epr(labels, scores),
        "n_pos": int(labels.sum()),
        "n_neg": int(labels.size - labels.sum()),
    }
