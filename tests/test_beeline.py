"""BEELINE's protocol for the label-free methods: metrics by hand, candidates, the table."""

import numpy as np
import pandas as pd
import pytest

from grnflow.beeline import beeline_metrics, beeline_table, candidates, early_precision


def test_beeline_metrics_hand_computed():
    labels = [1, 0, 1, 0, 0]
    scores = [0.9, 0.8, 0.7, 0.1, 0.0]
    out = beeline_metrics(labels, scores)
    assert out["density"] == pytest.approx(0.4) and out["k"] == 2
    # Top k = 2 by |score|: 0.9 (edge) and 0.8 (no edge) -> early precision 1/2, EPR 0.5/0.4.
    assert out["early_precision"] == pytest.approx(0.5) and out["n_top"] == 2
    assert out["epr"] == pytest.approx(1.25)
    # PR points (recall, precision): (0, 1) (.5, 1) (.5, .5) (1, 2/3) (1, .5) (1, .4);
    # trapezoids over recall: 0.5 x 1 + 0.5 x (1/2 + 2/3) / 2 = 19/24.
    assert out["auprc"] == pytest.approx(19 / 24)
    assert out["auprc_ratio"] == pytest.approx(19 / 24 / 0.4)
    assert out["aupr"] == pytest.approx((1 + 2 / 3) / 2)  # average precision, for comparison


def test_early_precision_ties_and_zero_scores_as_beeline():
    # k = 2; the 2nd score (0.5) is tied three times: all three are in the top set.
    assert early_precision([1, 1, 0, 0, 0], [0.9, 0.5, 0.5, 0.5, 0.1]) == (pytest.approx(2 / 4), 4)
    # Scores agreeing to 6 decimals are ties; |score| ranks (a negative weight counts).
    assert early_precision([1, 0, 1], [-0.9, 0.3000001, 0.3]) == (pytest.approx(2 / 3), 3)
    # Zero scores are never predicted edges, even inside the top k.
    assert early_precision([1, 1, 0, 0], [0.4, 0.0, 0.0, 0.0]) == (1.0, 1)


def test_candidates_are_reference_regulators_to_reference_genes_without_self():
    net = pd.DataFrame({"regulator": ["A", "A", "B"], "target": ["B", "C", "A"]})
    regs, genes, labels = candidates(net)
    assert list(regs) == ["A", "B"] and list(genes) == ["A", "B", "C"]
    assert labels.tolist() == [[-1, 1, 1], [1, -1, 0]]  # -1: self pair, not a candidate


def test_beeline_table_ranks_every_candidate(tmp_path):
    expr = pd.DataFrame({"s1": [1.0, 2.0, 3.0, 1.0], "s2": [2.0, 4.0, 1.0, 2.0], "s3": [3.0, 6.0, 2.0, 0.0],
                         "s4": [0.0, 1.0, 5.0, 2.0]}, index=pd.Index(["A", "B", "C", "D"], name="gene"))
    expr_path = tmp_path / "expression.tsv"
    expr.reset_index().to_csv(expr_path, sep="\t", index=False)
    net_path = tmp_path / "network.tsv"
    pd.DataFrame({"regulator": ["A", "B"], "target": ["B", "C"], "sign": [0, 0]}).to_csv(net_path, sep="\t", index=False)
    table = beeline_table("toy", net_path, expr_path, ["gener", "correlation", "random"], [0, 1])
    assert table["method"].tolist() == ["correlation", "correlation", "random", "random"]
    # Candidates: A->B (edge), A->C, B->A, B->C (edge); D is in no reference edge.
    r = np.corrcoef(expr.to_numpy())
    scores = np.abs([r[0, 1], r[0, 2], r[1, 0], r[1, 2]])
    expected = beeline_metrics([1, 0, 0, 1], scores)
    row = table.iloc[0]
    assert (row["n_candidates"], row["n_edges"], row["density"], row["n_genes"]) == (4, 2, 0.5, 3)
    for key in ("auroc", "auprc", "epr"):
        assert row[key] == pytest.approx(expected[key])
    assert table.iloc[2]["auroc"] != table.iloc[3]["auroc"] or table.iloc[2]["seed"] != table.iloc[3]["seed"]
