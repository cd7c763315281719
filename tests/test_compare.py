import json
import math

import numpy as np
import pandas as pd
import pytest

from grnflow import metrics
from grnflow.compare import (
    compare,
    comparison_table,
    job_identity,
    read_comparison,
    summarize,
)
from grnflow.errors import InputError
from grnflow.predictions import write_job_metrics, write_predictions

# ---------------------------------------------------------------- metric helpers


def test_pair_class_metrics_hand_computed():
    labels = [1, 0, 1, 0, 1, 1, 0]
    scores = [0.9, 0.8, 0.4, 0.1, 0.7, 0.6, 0.5]
    classes = [2, 2, 2, 2, 1, 1, 0]
    out = metrics.pair_class_metrics(labels, scores, classes, threshold=0.5)
    # class 2: labels 1 0 1 0 at .9 .8 .4 .1 -> AUROC 3/4, AP (1 + 2/3)/2, EPR: top 2 = {pos, neg}
    assert out["auroc_pc2"] == pytest.approx(0.75)
    assert out["aupr_pc2"] == pytest.approx((1 + 2 / 3) / 2)
    assert out["aupr_ratio_pc2"] == pytest.approx((1 + 2 / 3) / 2 / 0.5)
    assert out["epr_pc2"] == pytest.approx(1.0)
    assert (out["n_pos_pc2"], out["n_neg_pc2"]) == (2, 2)
    # at threshold 0.5 class 2 predicts 1 1 0 0: tp=1 fp=1 fn=1 tn=1
    assert out["f1_pc2"] == pytest.approx(0.5)
    assert out["mcc_pc2"] == pytest.approx(0.0)
    # class 1 holds positives only, class 0 one negative: single-label -> NaN, counts kept
    for c in (1, 0):
        for key in ("auroc", "aupr", "aupr_ratio", "epr", "mcc", "f1"):
            assert math.isnan(out[f"{key}_pc{c}"])
    assert (out["n_pos_pc1"], out["n_neg_pc1"], out["n_pos_pc0"], out["n_neg_pc0"]) == (2, 0, 0, 1)


def test_pair_class_metrics_without_threshold_has_no_mcc():
    out = metrics.pair_class_metrics([1, 0], [0.2, 0.1], [0, 0])
    assert out["auroc_pc0"] == 1.0 and "mcc_pc0" not in out
    assert out["n_pos_pc2"] == 0 and math.isnan(out["auroc_pc2"])


def test_threshold_metrics_use_score_at_or_above_threshold():
    out = metrics.threshold_metrics([1, 0, 1, 0], [0.5, 0.49, 0.7, 0.6], threshold=0.5)
    # predicted 1 0 1 1: tp=2 fp=1 fn=0 tn=1
    assert out["f1"] == pytest.approx(4 / 5)
    assert out["mcc"] == pytest.approx((2 * 1 - 1 * 0) / math.sqrt(3 * 2 * 2 * 1))


def test_curve_points_hand_computed():
    labels = [1, 0, 1, 0]
    scores = [0.9, 0.8, 0.4, 0.4]
    fpr, tpr = metrics.roc_points(labels, scores)
    assert fpr.tolist() == [0, 0, 0.5, 1] and tpr.tolist() == [0, 0.5, 0.5, 1]
    recall, precision = metrics.pr_points(labels, scores)
    assert recall.tolist() == [0.5, 0.5, 1] and precision.tolist() == pytest.approx([1, 0.5, 0.5])


# ---------------------------------------------------------------- comparison table


def test_job_identity_from_contract_paths():
    assert job_identity("results/demo/predictions/gener/tf_holdout/seed2.tsv.gz") == ("gener", "tf_holdout", 2)
    assert job_identity("/x/results/d/metrics/degree/random/seed0.json") == ("degree", "random", 0)
    with pytest.raises(InputError, match="not a predictions"):
        job_identity("results/demo/other.tsv")


LABELS = np.array([1, 0, 1, 0, 1, 0])
CLASSES = np.array([2, 2, 1, 1, 0, 0])


def write_job(root, method, split, seed, scores, **facts):
    test = pd.DataFrame({
        "gene_a": [f"r{i}" for i in range(6)], "gene_b": [f"t{i}" for i in range(6)],
        "label": LABELS, "direction": LABELS, "fold": "test", "pair_class": CLASSES,
    })
    pred = root / "predictions" / method / split / f"seed{seed}.tsv.gz"
    met = root / "metrics" / method / split / f"seed{seed}.json"
    ranked = write_predictions(test, scores, pred)
    write_job_metrics(met, ranked, dataset="toy", split=split, method=method, seed=seed,
                      train_seconds=1.5, epochs=None, device="cpu", **facts)
    return pred, met


def toy_jobs(root):
    jobs = [
        # degree: AUROC 1 (seed 0); seed 1 positives at 6, 1, 2 vs negatives 5, 4, 3: 3/9 pairs won
        write_job(root, "degree", "random", 0, [6, 1, 5, 2, 4, 3]),
        write_job(root, "degree", "random", 1, [6, 5, 1, 4, 2, 3]),
        write_job(root, "gener", "random", 0, [0.9, 0.6, 0.4, 0.1, 0.7, 0.2], threshold=0.5,
                  knockout_pearson=0.25),
        write_job(root, "gener", "random", 1, [0.9, 0.6, 0.4, 0.1, 0.7, 0.2], threshold=0.5,
                  knockout_pearson=0.75),
    ]
    return [p for p, _ in jobs], [m for _, m in jobs]


def test_comparison_table_rows_columns_and_values(tmp_path):
    preds, mets = toy_jobs(tmp_path)
    table = comparison_table("toy", preds, mets)
    assert len(table) == 4
    for col in ["dataset", "split", "method", "seed", "auroc", "aupr", "aupr_ratio", "epr", "n_pos", "n_neg",
                "mcc", "f1", "auroc_pc2", "auroc_pc1", "auroc_pc0", "train_seconds", "device", "knockout_pearson"]:
        assert col in table.columns, col
    # canonical order: gener before degree, seeds ascending
    assert table[["method", "seed"]].values.tolist() == [["gener", 0], ["gener", 1], ["degree", 0], ["degree", 1]]
    deg = table[table["method"] == "degree"].set_index("seed")
    assert deg.loc[0, "auroc"] == 1.0
    assert deg.loc[1, "auroc"] == pytest.approx(1 / 3)
    assert math.isnan(deg.loc[0, "mcc"])  # no threshold: no MCC/F1 for a ranking-only method
    gener = table[table["method"] == "gener"].iloc[0]
    # gener at threshold .5 predicts 1 1 0 0 1 0: tp=2 fp=1 fn=1 tn=2
    assert gener["f1"] == pytest.approx(4 / 6)
    assert gener["mcc"] == pytest.approx((2 * 2 - 1 * 1) / math.sqrt(3 * 3 * 3 * 3))
    assert gener["auroc_pc2"] == 1.0 and gener["auroc_pc1"] == 1.0 and gener["auroc_pc0"] == 1.0
    assert gener["knockout_pearson"] == 0.25 and gener["device"] == "cpu"


def test_summary_mean_and_sample_sd(tmp_path):
    preds, mets = toy_jobs(tmp_path)
    summary = summarize(comparison_table("toy", preds, mets)).set_index("method")
    assert summary.loc["degree", "n_seeds"] == 2 and summary.loc["degree", "device"] == "cpu"
    assert summary.loc["degree", "auroc_mean"] == pytest.approx((1 + 1 / 3) / 2)
    assert summary.loc["degree", "auroc_sd"] == pytest.approx((1 - 1 / 3) / math.sqrt(2))
    assert summary.loc["gener", "knockout_pearson_mean"] == pytest.approx(0.5)
    assert summary.loc["gener", "knockout_pearson_sd"] == pytest.approx(0.5 / math.sqrt(2))
    assert summary.loc["gener", "auroc_sd"] == 0.0


def test_summary_sd_undefined_with_one_seed():
    table = pd.DataFrame({"dataset": ["d"], "split": ["random"], "method": ["degree"], "seed": [0],
                          "auroc": [0.7]})
    row = summarize(table).iloc[0]
    assert row["auroc_mean"] == 0.7 and math.isnan(row["auroc_sd"])


def test_compare_outputs_are_byte_identical_and_order_free(tmp_path):
    preds, mets = toy_jobs(tmp_path)
    for out, order in (("a", preds), ("b", preds[::-1])):
        compare("toy", order, mets, *(tmp_path / out / f"{t}.tsv" for t in ("metrics", "summary", "runtime")))
    for name in ("metrics.tsv", "summary.tsv", "runtime.tsv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    text = (tmp_path / "a" / "metrics.tsv").read_text()
    assert "\t1.000000\t" in text and "NaN" in text
    back = read_comparison(tmp_path / "a" / "metrics.tsv")
    assert len(back) == 4 and back["seed"].tolist() == [0, 1, 0, 1]


def test_missing_job_metrics_is_named(tmp_path):
    preds, mets = toy_jobs(tmp_path)
    with pytest.raises(InputError, match="no job metrics JSON for method degree, split random, seed 0"):
        comparison_table("toy", preds, mets[1:])


def test_broken_json_is_named(tmp_path):
    preds, mets = toy_jobs(tmp_path)
    mets[0].write_text("{not json")
    with pytest.raises(InputError, match="seed0.json: not valid JSON"):
        comparison_table("toy", preds, mets)


def test_json_is_read_with_its_facts(tmp_path):
    _, mets = toy_jobs(tmp_path)
    record = json.loads(mets[2].read_text())
    assert record["threshold"] == 0.5 and record["epochs"] is None


def test_run_facts_go_to_runtime_not_metrics(tmp_path):
    preds, mets = toy_jobs(tmp_path)
    out = [tmp_path / f"{t}.tsv" for t in ("metrics", "summary", "runtime")]
    compare("toy", preds, mets, *out)
    metrics, summary, runtime = (read_comparison(p) for p in out)
    for table in (metrics, summary):
        assert not {"train_seconds", "device"} & set(table.columns)
        assert not any(c.startswith("train_seconds") for c in table.columns)
    assert list(runtime.columns) == ["dataset", "split", "method", "seed", "train_seconds", "device"]
    assert runtime["train_seconds"].tolist() == [1.5] * 4 and set(runtime["device"]) == {"cpu"}


# ---------------------------------------------------------------- per regulator, vs baseline


def test_per_regulator_metrics_hand_computed_on_two_regulators(tmp_path):
    from grnflow.per_regulator import per_regulator, regulator_summary

    # R1: positives at .9 .3, negatives at .5 .1 -> AUROC 3/4, AP (1 + 2/3)/2, EPR (1/2)/(1/2) = 1.
    # R2: positive at .8, negatives at .7 .2 -> AUROC 1, AP 1, EPR 1/(1/3) = 3. R3: negatives only.
    pred = pd.DataFrame({
        "regulator": ["R1", "R1", "R1", "R1", "R2", "R2", "R2", "R3"],
        "target": list("abcdefgh"),
        "score": [0.9, 0.3, 0.5, 0.1, 0.8, 0.7, 0.2, 0.95],
        "label": [1, 1, 0, 0, 1, 0, 0, 0],
        "fold": "test", "pair_class": 2,
    })
    table = per_regulator(pred, min_pairs=1)
    assert table["regulator"].tolist() == ["R1", "R2"]  # R3 has no positive
    r1, r2 = table.iloc[0], table.iloc[1]
    assert (r1["n_pos"], r1["n_neg"], r2["n_pos"], r2["n_neg"]) == (2, 2, 1, 2)
    assert r1["auroc"] == pytest.approx(0.75) and r2["auroc"] == 1.0
    assert r1["aupr"] == pytest.approx((1 + 2 / 3) / 2) and r2["aupr"] == 1.0
    assert r1["epr"] == pytest.approx(1.0) and r2["epr"] == pytest.approx(3.0)
    summary = regulator_summary(table)
    assert summary["auroc_reg_median"] == pytest.approx(0.875)
    assert summary["auroc_reg_iqr"] == pytest.approx(0.125)  # 75th - 25th of {0.75, 1}
    assert summary["top_regulator_share"] == pytest.approx(2 / 3)
    # With a threshold of 2 positives and 2 negatives only R1 is evaluated.
    strict = per_regulator(pred, min_pairs=2)
    assert strict["evaluated"].tolist() == [1, 0] and math.isnan(strict.iloc[1]["auroc"])
    assert regulator_summary(strict)["auroc_reg_median"] == pytest.approx(0.75)


def test_compare_writes_per_regulator_and_versus_tables(tmp_path):
    preds, mets = toy_jobs(tmp_path)
    network = tmp_path / "network.tsv"
    pd.DataFrame({"regulator": ["r0", "r2"], "target": ["t0", "t2"], "sign": 0}).to_csv(network, sep="\t", index=False)
    out = [tmp_path / f"{t}.tsv" for t in ("metrics", "summary", "runtime", "per_regulator", "vs_baseline")]
    compare("toy", preds, mets, *out, network=network, settings={"min_regulator_pairs": 1})
    metrics_ = read_comparison(out[0])
    # Negatives r1 t1, r3 t3, r5 t5: none of r1, r3, r5 has a reference edge.
    assert metrics_["n_neg_no_edge"].tolist() == [3, 3, 3, 3]
    per_reg = pd.read_csv(out[3], sep="\t")
    assert set(per_reg["regulator"]) == {"r0", "r2", "r4"} and (per_reg["n_pos"] == 1).all()
    assert per_reg.columns[:4].tolist() == ["dataset", "split", "method", "seed"]
    assert metrics_["top_regulator_share"].tolist() == pytest.approx([1 / 3] * 4, abs=1e-6)
    versus = pd.read_csv(out[4], sep="\t", keep_default_na=False)
    assert set(versus["model"]) == {"gener"} and set(versus["best_baseline"]) == {"degree"}


def test_warning_fires_against_the_best_baseline():
    from grnflow.versus import versus_baselines

    rows = []
    # The model beats `degree` but not `trees` (the best baseline) on two of three seeds.
    for seed, (model, degree, trees) in enumerate([(0.70, 0.60, 0.75), (0.72, 0.61, 0.71), (0.66, 0.58, 0.70)]):
        for method, value in (("mtlgrn", model), ("degree", degree), ("trees", trees), ("random", 0.5)):
            rows.append({"dataset": "d", "split": "random", "method": method, "seed": seed, "auroc": value,
                         "aupr_ratio": 2.0 if method == "mtlgrn" else 1.5, "epr": 0.8 if method == "mtlgrn" else 1.2})
    table = versus_baselines(pd.DataFrame(rows)).set_index("metric")
    row = table.loc["auroc"]
    assert row["best_baseline"] == "trees"
    diffs = np.array([0.70 - 0.75, 0.72 - 0.71, 0.66 - 0.70])
    assert row["diff_mean"] == pytest.approx(diffs.mean()) and row["diff_sd"] == pytest.approx(diffs.std(ddof=1))
    assert (row["wins"], row["n_seeds"]) == (1, 3)
    assert "does not beat trees (1 of 3 seeds won)" in row["warning"]
    assert table.loc["aupr_ratio", "warning"] == ""  # beats every baseline on every seed
    assert "below chance" in table.loc["epr", "warning"] and "does not beat" in table.loc["epr", "warning"]
