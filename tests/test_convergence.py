"""Convergence diagnostics and the validation-chosen decision threshold (pure functions)."""

import logging

import numpy as np
import pytest

from grnflow.convergence import convergence, log_convergence, messages
from grnflow.metrics import max_f1_threshold, threshold_metrics


def test_best_epoch_last_is_under_trained():
    facts = convergence(best_epoch=10, last_epoch=10, early_stopped=False)
    assert facts["under_trained"] and not facts["did_not_learn"]
    assert "raise gener.epochs" in messages(facts, "gener")[0]


def test_best_epoch_one_did_not_learn():
    facts = convergence(best_epoch=1, last_epoch=6, early_stopped=True)
    assert facts["did_not_learn"] and not facts["under_trained"]
    assert "mtlgrn.learning_rate" in messages(facts, "mtlgrn")[0]


def test_a_converged_run_raises_nothing():
    facts = convergence(best_epoch=7, last_epoch=12, early_stopped=True)
    assert not facts["under_trained"] and not facts["did_not_learn"]
    assert messages(facts, "gener") == []


def test_warnings_are_logged(caplog):
    with caplog.at_level(logging.INFO, logger="grnflow.test"):
        log_convergence(logging.getLogger("grnflow.test"), convergence(3, 3, False), "gener")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "still improving" in warnings[0].getMessage()


def test_max_f1_threshold_is_between_scores_and_reproduces_its_f1():
    labels = np.array([1, 1, 0, 1, 0, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1])
    cut, best = max_f1_threshold(labels, scores, default=0.5)
    assert 0.2 < cut < 0.6
    assert best == pytest.approx(6 / 7)
    assert threshold_metrics(labels, scores, cut)["f1"] == pytest.approx(best)


def test_max_f1_threshold_on_scores_all_above_the_fixed_cut():
    # The failure of issue 15: logits all above 0 -> every pair called; the validation cut is not.
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    scores = 0.02 + 0.1 * rng.random(400) + 0.03 * labels
    cut, _ = max_f1_threshold(labels, scores, default=0.0)
    assert cut > 0.02
    assert threshold_metrics(labels, scores, cut)["mcc"] > threshold_metrics(labels, scores, 0.0)["mcc"]


def test_max_f1_threshold_without_positives_keeps_the_default():
    cut, best = max_f1_threshold(np.zeros(4, dtype=int), np.arange(4.0), default=0.5)
    assert cut == 0.5 and np.isnan(best)


@pytest.mark.slow  # one tiny workflow run (both trainers, one epoch each)
def test_a_deliberately_short_run_warns_in_log_metrics_and_report(tmp_path):
    """One epoch: the best epoch is the last one for both models, so every job is flagged
    `under_trained` in its JSON, its log, comparison/metrics.tsv and the report."""
    import json

    import pandas as pd

    from helpers import run_workflow, tiny_config

    config = tiny_config(
        splits=["random"],
        methods=["gener", "mtlgrn", "degree"],
        gener={"epochs": 1, "batch_size": 32},
        mtlgrn={"epochs": 1, "kmer": 4, "batch_size": 32},
    )
    run_workflow(tmp_path, config, ["results/report/index.html"])
    for method in ("gener", "mtlgrn"):
        facts = json.loads((tmp_path / f"results/demo/metrics/{method}/random/seed0.json").read_text())
        assert (facts["best_epoch"], facts["last_epoch"], facts["early_stopped"]) == (1, 1, False)
        assert facts["under_trained"] is True and facts["did_not_learn"] is False
        assert facts["threshold_rule"] in ("val_max_f1", "default")
        log = (tmp_path / f"logs/demo/{method}/random/seed0.log").read_text()
        assert "WARNING" in log and f"raise {method}.epochs" in log
    table = pd.read_csv(tmp_path / "results/demo/comparison/metrics.tsv", sep="\t").set_index("method")
    assert table.loc["gener", "under_trained"] == 1 and table.loc["mtlgrn", "under_trained"] == 1
    assert pd.isna(table.loc["degree", "under_trained"])
    page = (tmp_path / "results/report/index.html").read_text()
    for method in ("gener", "mtlgrn"):
        assert f"{method} may be under-trained" in page
    assert "random seed 0 (best epoch 1 of 1)" in page
    assert "did not learn" not in page
