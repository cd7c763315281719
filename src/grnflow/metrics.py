"""Ranking and classification metrics shared by every method and the comparison."""

from __future__ import annotations

import numpy as np

# scikit-learn is imported where it is used: the Snakefile imports this module (through
# grnflow.report), and sklearn's import (~1-2 CPU s, with scipy.stats) would be paid by every
# Snakemake start, dry runs included.


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
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def aupr(labels, scores) -> float:
    """Area under the precision-recall curve (average precision); NaN without positives."""
    labels, scores = _check(labels, scores)
    if labels.sum() == 0:
        return float("nan")
    from sklearn.metrics import average_precision_score

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


PAIR_CLASSES = (2, 1, 0)
RANKING_KEYS = ("auroc", "aupr", "aupr_ratio", "epr")
THRESHOLD_KEYS = ("mcc", "f1")


def threshold_metrics(labels, scores, threshold: float) -> dict:
    """MCC and F1 of a classifier that calls a pair an edge when its score >= `threshold`."""
    labels, scores = _check(labels, scores)
    predicted = (scores >= threshold).astype(int)
    return {"mcc": mcc(labels, predicted), "f1": f1(labels, predicted)}


def pair_class_metrics(labels, scores, pair_class, threshold: float | None = None) -> dict:
    """Ranking (and, with a threshold, MCC/F1) metrics per pair class: keys like `auroc_pc2`.

    Pair class = how many of the pair's genes occur in training pairs (2, 1, 0). A class that
    is empty or holds one label only gets NaN for every metric (its counts are still given).
    """
    labels, scores = _check(labels, scores)
    pair_class = np.asarray(pair_class, dtype=int)
    if pair_class.shape != labels.shape:
        raise ValueError(f"pair_class {pair_class.shape} and labels {labels.shape} differ in shape")
    out: dict = {}
    for c in PAIR_CLASSES:
        keep = pair_class == c
        y, s = labels[keep], scores[keep]
        n_pos = int(y.sum())
        out[f"n_pos_pc{c}"] = n_pos
        out[f"n_neg_pc{c}"] = int(y.size - n_pos)
        defined = 0 < n_pos < y.size
        ranking = ranking_metrics(y, s) if defined else {}
        for key in RANKING_KEYS:
            out[f"{key}_pc{c}"] = ranking.get(key, float("nan"))
        if threshold is not None:
            classed = threshold_metrics(y, s, threshold) if defined else {}
            for key in THRESHOLD_KEYS:
                out[f"{key}_pc{c}"] = classed.get(key, float("nan"))
    return out


def roc_points(labels, scores) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate) of the ROC curve, from (0, 0) to (1, 1)."""
    labels, scores = _check(labels, scores)
    tps, fps = _cumulative_counts(labels, scores)
    return fps / max(fps[-1], 1), tps / max(tps[-1], 1)


def pr_points(labels, scores) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision) at every distinct score threshold, highest threshold first."""
    labels, scores = _check(labels, scores)
    tps, fps = _cumulative_counts(labels, scores)
    tps, fps = tps[1:], fps[1:]
    precision = tps / np.maximum(tps + fps, 1)
    recall = tps / max(tps[-1], 1) if tps.size else tps
    return recall, precision


def _cumulative_counts(labels, scores) -> tuple[np.ndarray, np.ndarray]:
    """True/false positives above each distinct score (ties form one step), starting at 0."""
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order]
    last_of_tie = np.r_[s[1:] != s[:-1], True] if s.size else np.array([], dtype=bool)
    tps = np.cumsum(y)[last_of_tie]
    fps = np.cumsum(1 - y)[last_of_tie]
    return np.r_[0, tps].astype(float), np.r_[0, fps].astype(float)


def max_f1_threshold(labels, scores, default: float) -> tuple[float, float]:
    """(threshold, F1) of the cut that maximises F1 when a pair is called an edge at score >= threshold.

    Chosen on VALIDATION pairs and then applied to the test pairs, so that MCC/F1 on the test
    set mean "calls at a cut chosen without seeing the test labels". The threshold is the
    midpoint between the lowest called score and the next lower one, so it does not sit on a
    validation score (ties at the cut are called together). Without positives or scores, or
    when nothing beats calling nothing, `default` and NaN are returned.
    """
    labels, scores = _check(labels, scores)
    if labels.size == 0 or labels.sum() == 0 or not np.isfinite(scores).all():
        return float(default), float("nan")
    tps, fps = _cumulative_counts(labels, scores)
    tps, fps = tps[1:], fps[1:]  # calls at each distinct score, highest first
    f1s = 2 * tps / (tps + fps + labels.sum())
    best = int(np.argmax(f1s))
    distinct = np.unique(scores)[::-1]  # descending, aligned with the cumulative counts
    cut = distinct[best]
    below = distinct[best + 1] if best + 1 < distinct.size else cut - 1.0
    return float((cut + below) / 2), float(f1s[best])
