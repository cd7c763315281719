"""GRNBoost2-style boosting of all targets at once (grnflow.boosting)."""

import numpy as np

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
    imp, rounds = boosted_importances(regs, targets, np.array([-1, -1, 2]), max_rounds=300)
    assert set(np.argsort(imp[0])[-2:]) == {0, 3}
    assert imp[0, [0, 3]].sum() > 0.9 * imp[0].sum()
    assert imp[2, 2] == 0.0  # target 2 is regulator 2: never its own split
    # the noise target stops early; the structured one keeps improving for longer
    assert rounds[1] < rounds[0]


def test_without_out_of_bag_samples_every_target_runs_all_rounds():
    regs, targets = regulators_and_targets(n=80)
    _, rounds = boosted_importances(regs, targets, np.full(3, -1), subsample=1.0, max_rounds=40)
    assert rounds.tolist() == [40, 40, 40]


def test_seeded_runs_are_identical():
    regs, targets = regulators_and_targets(n=120, seed=3)
    a, ra = boosted_importances(regs, targets, np.full(3, -1), seed=7, max_rounds=60)
    b, rb = boosted_importances(regs, targets, np.full(3, -1), seed=7, max_rounds=60)
    assert np.array_equal(a, b) and np.array_equal(ra, rb)
