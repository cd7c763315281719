"""GRNBoost2-style boosting of all targets at once (grnflow.boosting)."""

import numpy as np
import pytest
from sklearn.tree import DecisionTreeRegressor

from grnflow.boosting import boosted_importances, quantile_codes


def standardize(a):
    return (a - a.mean(axis=0)) / a.std(axis=0)


def regulators_and_targets(n=200, seed=0):
    rng = np.random.default_rng(seed)
    regs = rng.normal(size=(n, 6))
    signal = 2.0 * regs[:, 0] + np.where(regs[:, 3] > 0, 1.5, -1.5)  # linear + step
    noise = rng.normal(size=n)
    targets = np.column_stack([signal + 0.3 * rng.normal(size=n), noise, regs[:, 2]])
    return standardize(regs), standardize(targets)


def test_codes_follow_quantiles_and_keep_ties_together():
    x = np.array([[0.0], [0.0], [1.0], [2.0], [3.0], [4.0]])
    codes, n_bins = quantile_codes(x, 4)
    assert codes[0, 0] == codes[1, 0]
    assert list(codes[:, 0]) == sorted(codes[:, 0]) and codes.max() < n_bins


def test_true_regulators_rank_first_and_a_target_never_explains_itself():
    regs, targets = regulators_and_targets()
    imp, rounds, _ = boosted_importances(regs, targets, np.array([-1, -1, 2]), max_rounds=300)
    assert set(np.argsort(imp[0])[-2:]) == {0, 3}
    assert imp[0, [0, 3]].sum() > 0.9 * imp[0].sum()
    assert imp[2, 2] == 0.0  # target 2 is regulator 2: never its own split
    # the noise target stops early; the structured one keeps improving for longer
    assert rounds[1] < rounds[0]


def test_without_out_of_bag_samples_every_target_runs_all_rounds():
    regs, targets = regulators_and_targets(n=80)
    _, rounds, _ = boosted_importances(regs, targets, np.full(3, -1), subsample=1.0, max_rounds=40)
    assert rounds.tolist() == [40, 40, 40]


def test_seeded_runs_are_identical():
    regs, targets = regulators_and_targets(n=120, seed=3)
    for depth in (1, 3):
        a, ra, ea = boosted_importances(regs, targets, np.full(3, -1), seed=7, max_rounds=60, max_depth=depth)
        b, rb, eb = boosted_importances(regs, targets, np.full(3, -1), seed=7, max_rounds=60, max_depth=depth)
        assert np.array_equal(a, b) and np.array_equal(ra, rb) and np.array_equal(ea, eb)


@pytest.mark.parametrize("depth,features_per", [(1, "tree"), (2, "tree"), (3, "tree"), (3, "node")])
def test_one_round_is_the_greedy_regression_tree_of_that_depth(depth, features_per):
    """With every sample and regulator and learning rate 1, one round leaves exactly the residuals
    of scikit-learn's depth-limited regression tree on the same bins (every target at once)."""
    rng = np.random.default_rng(depth)
    regs = rng.normal(size=(150, 5))
    targets = np.column_stack([np.sin(2 * regs[:, 0]) + regs[:, 1] * regs[:, 2], rng.normal(size=150)])
    imp, _, residuals = boosted_importances(regs, targets, np.full(2, -1), learning_rate=1.0, max_rounds=1,
                                            max_features=1.0, subsample=1.0, n_bins=16, max_depth=depth,
                                            features_per=features_per)
    codes, _ = quantile_codes(regs, 16)
    for t in range(2):
        tree = DecisionTreeRegressor(max_depth=depth).fit(codes, targets[:, t])
        np.testing.assert_allclose(residuals[:, t], targets[:, t] - tree.predict(codes), atol=1e-5)
        # the same total loss reduction (which feature gets a tied split may differ)
        assert imp[t].sum() == pytest.approx(tree.tree_.compute_feature_importances(normalize=False).sum(), rel=1e-5)


def test_an_interaction_that_stumps_cannot_fit_needs_depth_two():
    """An AND of two regulators: stumps fit only its additive part (about 2/3 of the variance),
    depth-2 trees fit the interaction too; both put the importance on the two regulators."""
    rng = np.random.default_rng(0)
    regs = rng.normal(size=(200, 6))
    target = ((regs[:, 0] > 0) & (regs[:, 1] > 0)).astype(float) + 0.1 * rng.normal(size=200)
    target = standardize(target[:, None])
    loss = {}
    for depth in (1, 2):
        imp, _, residuals = boosted_importances(standardize(regs), target, np.array([-1]), max_rounds=100,
                                                max_features=1.0, subsample=1.0, max_depth=depth)
        loss[depth] = float((residuals**2).mean())
        assert imp[0, [0, 1]].sum() > 0.9 * imp[0].sum()
    assert loss[1] > 0.25  # the interaction (1/3 of an AND's variance) is left over
    assert loss[2] < 0.1
