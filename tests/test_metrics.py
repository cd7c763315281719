import math

import numpy as np
import pandas as pd
import pytest

from grnflow import metrics
from grnflow.predictions import ranked_predictions


def test_auroc_hand_computed():
    # positives at scores 0.9, 0.4; negatives at 0.8, 0.1: pairs (pos>neg) = 3 of 4.
    labels = [1, 0, 1, 0]
    scores = [0.9, 0.8, 0.4, 0.1]
    assert metrics.auroc(labels, scores) == pytest.approx(0.75)


def test_aupr_and_ratio_hand_computed():
    labels = [1, 0, 1, 0]
    scores = [0.9, 0.8, 0.4, 0.1]
    # average precision = (1/1 + 2/3) / 2
    assert metrics.aupr(labels, scores) == pytest.approx((1 + 2 / 3) / 2)
    assert metrics.aupr_ratio(labels, scores) == pytest.approx(((1 + 2 / 3) / 2) / 0.5)


def test_epr_hand_computed():
    # k = 2 positives; top 2 = {pos, neg} -> precision 0.5; random precision 2/5 -> EPR 1.25
    labels = [1, 0, 0, 1, 0]
    scores = [5, 4, 3, 2, 1]
    assert metrics.epr(labels, scores) == pytest.approx(0.5 / 0.4)


def test_epr_ties_do_not_depend_on_order():
    labels = np.array([1, 0, 1, 0])
    scores = np.array([1.0, 1.0, 1.0, 1.0])
    assert metrics.epr(labels, scores) == pytest.approx(1.0)
    assert metrics.epr(labels[::-1], scores) == pytest.approx(1.0)


def test_mcc_and_f1_hand_computed():
    labels = [1, 1, 0, 0, 1]
    pred = [1, 0, 0, 1, 1]
    # tp=2 tn=1 fp=1 fn=1
    assert metrics.f1(labels, pred) == pytest.approx(4 / 6)
    assert metrics.mcc(labels, pred) == pytest.approx((2 * 1 - 1 * 1) / math.sqrt(3 * 3 * 2 * 2))


def test_single_class_gives_nan_not_crash():
    assert math.isnan(metrics.auroc([0, 0], [0.1, 0.2]))
    assert math.isnan(metrics.aupr([0, 0], [0.1, 0.2]))


def test_ranked_predictions_sorted_highest_first():
    pairs = pd.DataFrame(
        {"gene_a": ["a", "b", "c"], "gene_b": ["x", "y", "z"], "label": [0, 1, 0],
         "direction": [0, 1, 0], "fold": ["test"] * 3, "pair_class": [2, 1, 0]}
    )
    ranked = ranked_predictions(pairs, [0.1, 0.9, 0.5])
    assert list(ranked["regulator"]) == ["b", "c", "a"]
    assert list(ranked.columns) == ["regulator", "target", "score", "label", "fold", "pair_class"]
