import gzip
import json

import numpy as np
import pandas as pd
import pytest

from grnflow.baselines import (
    correlation_scores,
    degree_scores,
    random_scores,
    read_tree_importances,
    run_baseline,
    tree_importances,
    tree_scores,
    write_tree_importances,
)
from grnflow.errors import InputError
from grnflow.predictions import PREDICTION_COLUMNS


def pair_table(rows):
    return pd.DataFrame(rows, columns=["gene_a", "gene_b", "label", "direction", "fold", "pair_class"])


PAIRS = pair_table(
    [
        ("a", "b", 1, 1, "train", 2),
        ("a", "c", 1, 1, "train", 2),
        ("d", "b", 1, 1, "train", 2),
        ("d", "e", 0, 0, "train", 2),  # a negative: adds no degree
        ("c", "e", 1, 1, "val", 1),  # not training: adds no degree
        ("a", "d", 1, 1, "test", 2),
        ("c", "e", 0, 0, "test", 1),
        ("d", "c", 0, 0, "test", 2),
        ("f", "g", 1, 1, "test", 0),
    ]
)


def test_degree_is_product_of_training_positive_degrees():
    test = PAIRS[PAIRS["fold"] == "test"]
    # degrees from positive train pairs: a=2, b=2, c=1, d=1, e=0, f=g=0
    assert degree_scores(PAIRS, test).tolist() == [2.0, 0.0, 1.0, 0.0]


def expression_frame():
    return pd.DataFrame(
        {
            "g1": [1.0, 2.0, 3.0, 4.0],
            "g2": [2.0, 4.0, 6.0, 8.0],
            "g3": [4.0, 3.0, 2.0, 1.0],
            "g4": [1.0, 0.0, 1.0, 0.0],
            "g5": [3.0, 3.0, 3.0, 3.0],
        }
    ).T


def test_correlation_is_absolute_pearson():
    test = pair_table(
        [
            ("g1", "g2", 1, 1, "test", 2),
            ("g1", "g3", 0, 0, "test", 2),
            ("g1", "g4", 0, 0, "test", 2),
            ("g4", "g5", 0, 0, "test", 2),
        ]
    )
    scores = correlation_scores(expression_frame(), test)
    # g1 centred (-1.5,-.5,.5,1.5), g4 centred (.5,-.5,.5,-.5): r = -1 / (sqrt 5 * 1)
    assert scores == pytest.approx([1.0, 1.0, 1 / np.sqrt(5), 0.0])


def test_correlation_names_gene_missing_from_expression():
    test = pair_table([("g1", "nope", 1, 1, "test", 2)])
    with pytest.raises(InputError, match="gene nope .* not in the expression"):
        correlation_scores(expression_frame(), test, source="pairs.tsv")


def test_random_is_reproducible_from_seed():
    test = PAIRS[PAIRS["fold"] == "test"]
    assert random_scores(test, 3).tolist() == np.random.default_rng(3).random(4).tolist()
    assert random_scores(test, 3).tolist() == random_scores(test, 3).tolist()
    assert random_scores(test, 4).tolist() != random_scores(test, 3).tolist()


@pytest.mark.parametrize("method", ["extra_trees", "boosting"])
def test_trees_rank_the_true_regulator_first(method):
    rng = np.random.default_rng(0)
    n = 60
    r1, r2, r3, x = rng.normal(size=(4, n))
    expr = pd.DataFrame({"r1": r1, "r2": r2, "r3": r3, "x": x, "t": 2 * r1 + 1}).T
    test = pair_table(
        [
            ("r2", "t", 0, 0, "test", 2),
            ("r1", "t", 1, 1, "test", 2),
            ("r3", "t", 0, 0, "test", 2),
            ("x", "t", 0, 0, "test", 2),  # x is no candidate regulator: score 0
        ]
    )
    imp = tree_importances(expr, test["gene_b"], ["r1", "r2", "r3"], n_estimators=30, threads=1, seed=0,
                           method=method)
    scores = tree_scores(imp, test)
    assert np.argmax(scores) == 1
    assert scores[1] > 3 * max(scores[0], scores[2])
    assert scores[3] == 0.0


def test_tree_importances_table_is_label_free_and_round_trips(tmp_path):
    _, expr, tfs = write_inputs(tmp_path)
    out = tmp_path / "imp.tsv"
    table = write_tree_importances(expr, tfs, out, n_estimators=5, threads=1)
    # one row per gene of the expression, one column per TF; nothing from the pair labels
    assert list(table.columns) == ["a", "d"]
    assert sorted(table.index) == sorted(pd.read_csv(expr, sep="\t")["gene"])
    back = read_tree_importances(out)
    assert np.allclose(back.to_numpy(), table.loc[back.index].to_numpy(), rtol=1e-5)
    # a TF does not explain itself
    assert table.loc["a", "a"] == 0 and table.loc["d", "d"] == 0


def test_tree_importances_refuse_tf_list_without_expression_genes(tmp_path):
    _, expr, tfs = write_inputs(tmp_path)
    tfs.write_text("zz\n")
    with pytest.raises(InputError, match="none of the TFs is in the expression"):
        write_tree_importances(expr, tfs, tmp_path / "imp.tsv")


def write_inputs(tmp_path, pairs=PAIRS):
    pairs_path = tmp_path / "pairs.tsv"
    pairs.to_csv(pairs_path, sep="\t", index=False)
    genes = sorted(set(pairs["gene_a"]) | set(pairs["gene_b"]))
    rng = np.random.default_rng(1)
    expr = pd.DataFrame(rng.normal(size=(len(genes), 6)), columns=[f"s{i}" for i in range(6)])
    expr.insert(0, "gene", genes)
    expr_path = tmp_path / "expression.tsv"
    expr.to_csv(expr_path, sep="\t", index=False)
    tfs_path = tmp_path / "tfs.txt"
    tfs_path.write_text("a\nd\n")
    return pairs_path, expr_path, tfs_path


@pytest.mark.parametrize("method", ["degree", "correlation", "trees", "random"])
def test_run_baseline_writes_the_contract_files(tmp_path, method):
    pairs, expr, tfs = write_inputs(tmp_path)
    imp = tmp_path / "imp.tsv"
    write_tree_importances(expr, tfs, imp, n_estimators=5, threads=1)
    pred, met = tmp_path / "out" / "seed0.tsv.gz", tmp_path / "out" / "seed0.json"
    run_baseline(method, pairs, expr, pred, met, dataset="toy", split="random", seed=0,
                 importances=imp if method == "trees" else None)
    with gzip.open(pred, "rt") as fh:
        ranked = pd.read_csv(fh, sep="\t")
    assert list(ranked.columns) == PREDICTION_COLUMNS
    assert len(ranked) == 4 and set(ranked["fold"]) == {"test"}
    assert ranked["score"].is_monotonic_decreasing
    record = json.loads(met.read_text())
    assert record["method"] == method and record["split"] == "random" and record["seed"] == 0
    assert record["n_pos"] == 2 and record["n_neg"] == 2
    assert record["device"] == "cpu" and record["train_seconds"] >= 0


def test_degree_predictions_exact(tmp_path):
    pairs, expr, tfs = write_inputs(tmp_path)
    pred = tmp_path / "p.tsv.gz"
    run_baseline("degree", pairs, expr, pred, tmp_path / "m.json", dataset="toy", split="random", seed=0)
    with gzip.open(pred, "rt") as fh:
        ranked = pd.read_csv(fh, sep="\t")
    assert ranked[["regulator", "target", "score"]].values.tolist() == [
        ["a", "d", 2.0], ["d", "c", 1.0], ["c", "e", 0.0], ["f", "g", 0.0]]


def test_run_baseline_without_test_pairs_says_so(tmp_path):
    pairs, expr, tfs = write_inputs(tmp_path, PAIRS[PAIRS["fold"] != "test"])
    with pytest.raises(InputError, match="no pair has fold `test`"):
        run_baseline("degree", pairs, expr, tmp_path / "p.tsv.gz", tmp_path / "m.json",
                     dataset="toy", split="random", seed=0)


def test_bad_max_features_names_the_key(tmp_path):
    pairs, expr, tfs = write_inputs(tmp_path)
    with pytest.raises(InputError, match="baselines.trees.max_features"):
        write_tree_importances(expr, tfs, tmp_path / "imp.tsv", max_features="all")


@pytest.mark.parametrize("method", ["extra_trees", "boosting"])
def test_trees_do_not_depend_on_thread_count(method):
    rng = np.random.default_rng(5)
    expr = pd.DataFrame(rng.normal(size=(40, 25)), index=[f"g{i}" for i in range(40)])
    test = pair_table([(f"g{i}", f"g{j}", 0, 0, "test", 2) for i in range(3) for j in range(3, 40)])
    runs = [tree_scores(tree_importances(expr, test["gene_b"], ["g0", "g1", "g2"], n_estimators=10,
                                         threads=threads, seed=1, method=method), test)
            for threads in (1, 2)]
    assert runs[0].tolist() == runs[1].tolist() and runs[0].sum() > 0


def test_unknown_tree_method_names_the_key():
    expr = pd.DataFrame(np.eye(3), index=["a", "b", "c"])
    with pytest.raises(InputError, match="baselines.trees.method"):
        tree_importances(expr, ["a"], ["b"], method="forest")


def test_boosting_scales_by_rounds_as_grnboost2_or_sums_to_one():
    """`scale: sum` normalises each target's importances to 1; `scale: rounds` (GRNBoost2)
    multiplies that by the target's rounds, so a learnable target outranks a noise one."""
    rng = np.random.default_rng(2)
    regs = rng.normal(size=(3, 120))
    expr = pd.DataFrame(np.vstack([regs, 2 * regs[0] + regs[1] ** 2, rng.normal(size=120)]),
                        index=["r1", "r2", "r3", "signal", "noise"])
    targets, tfs = ["signal", "noise"], ["r1", "r2", "r3"]
    summed = tree_importances(expr, targets, tfs, method="boosting", boosting={"scale": "sum", "max_depth": 2})
    np.testing.assert_allclose(summed.sum(axis=1), 1.0)
    scaled = tree_importances(expr, targets, tfs, method="boosting", boosting={"max_depth": 2})
    rounds = scaled.sum(axis=1)
    np.testing.assert_allclose(rounds, np.round(rounds))  # sum-1 importances x whole rounds
    np.testing.assert_allclose(scaled.div(rounds, axis=0), summed)
    assert rounds["signal"] > rounds["noise"] >= 1
    with pytest.raises(InputError, match="baselines.trees.boosting.scale"):
        tree_importances(expr, targets, tfs, method="boosting", boosting={"scale": "max"})


@pytest.mark.parametrize("settings", [{}, {"min_samples_leaf": 3}, {"max_depth": 3, "max_features": 0.5},
                                      {"min_samples_leaf": 2, "max_depth": 5, "max_features": "log2"},
                                      {"min_samples_split": 7}, {"min_samples_split": 3, "min_samples_leaf": 2}])
def test_extra_trees_equal_scikit_learns_forest(settings):
    """`extra_trees` grows scikit-learn's trees without its forest: the same importances as
    ExtraTreesRegressor with the same settings and seed, per target (the target left out)."""
    from sklearn.ensemble import ExtraTreesRegressor

    rng = np.random.default_rng(7)
    expr = pd.DataFrame(rng.normal(size=(12, 30)), index=[f"g{i}" for i in range(12)])
    expr.loc["g11"] = expr.loc["g0"] * 2 - expr.loc["g1"] + 0.1 * expr.loc["g11"]
    tfs = [f"g{i}" for i in range(6)]
    imp = tree_importances(expr, expr.index, tfs, n_estimators=12, threads=2, seed=3, **settings)
    values = expr.to_numpy()
    standardized = (values - values.mean(axis=1, keepdims=True)) / values.std(axis=1, keepdims=True)
    for row, gene in enumerate(expr.index):
        keep = [t for t in tfs if t != gene]
        model = ExtraTreesRegressor(n_estimators=12, random_state=3, max_features=settings.get("max_features", "sqrt"),
                                    min_samples_leaf=settings.get("min_samples_leaf", 1),
                                    min_samples_split=settings.get("min_samples_split", 2),
                                    max_depth=settings.get("max_depth"))
        model.fit(standardized[[tfs.index(t) for t in keep]].T, standardized[row])
        np.testing.assert_allclose(imp.loc[gene, keep].to_numpy(), model.feature_importances_, rtol=1e-12, atol=1e-15)
    assert imp.loc["g11", ["g0", "g1"]].sum() > 0.5
    assert (imp.loc[tfs, tfs].to_numpy().diagonal() == 0).all()


def test_extra_trees_refuse_bad_leaf_and_depth():
    expr = pd.DataFrame(np.random.default_rng(0).normal(size=(4, 10)), index=list("abcd"))
    with pytest.raises(InputError, match="baselines.trees.min_samples_leaf"):
        tree_importances(expr, ["a"], ["b", "c"], min_samples_leaf=0)
    with pytest.raises(InputError, match="baselines.trees.max_depth"):
        tree_importances(expr, ["a"], ["b", "c"], max_depth=0)
    with pytest.raises(InputError, match="baselines.trees.min_samples_split"):
        tree_importances(expr, ["a"], ["b", "c"], min_samples_split=1)


def test_extra_trees_fewer_trees_are_the_first_trees():
    """A forest of n trees is the first n trees of a larger one (same seeds), so a smaller
    `n_estimators` changes only the averaging, not the trees."""
    rng = np.random.default_rng(4)
    expr = pd.DataFrame(rng.normal(size=(6, 40)), index=list("abcdef"))
    five = tree_importances(expr, ["f"], list("abcde"), n_estimators=5, seed=2)
    one = tree_importances(expr, ["f"], list("abcde"), n_estimators=1, seed=2)
    assert not np.allclose(five.to_numpy(), one.to_numpy())
    from sklearn.ensemble import ExtraTreesRegressor

    values = expr.to_numpy()
    z = (values - values.mean(axis=1, keepdims=True)) / values.std(axis=1, keepdims=True)
    model = ExtraTreesRegressor(n_estimators=5, max_features="sqrt", random_state=2).fit(z[:5].T, z[5])
    first = model.estimators_[0].feature_importances_
    np.testing.assert_allclose(one.loc["f"].to_numpy(), first / first.sum())
