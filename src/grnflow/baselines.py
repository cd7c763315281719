"""Baselines every model must beat: training degree, |Pearson|, tree importances, random.

Each scores the test pairs of one split x seed and writes the same predictions + metrics files
as the models, so the comparison treats all methods alike.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.errors import InputError
from grnflow.io import read_gene_list, read_normalized, read_table, write_tsv
from grnflow.methods import BASELINES
from grnflow.predictions import read_pairs, write_job_metrics, write_predictions

log = logging.getLogger(__name__)


def _gene_index(genes: pd.Index, wanted: pd.Series, source: str) -> np.ndarray:
    """Row positions of `wanted` genes in `genes`; InputError naming a missing one."""
    idx = genes.get_indexer(wanted.to_numpy())
    if (idx < 0).any():
        missing = wanted.to_numpy()[idx < 0][0]
        raise InputError(
            f"{source}: gene {missing} of the pair table is not in the expression matrix; "
            "rebuild the pairs from this expression matrix"
        )
    return idx


def degree_scores(pairs: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """Product of the two genes' degrees in the training graph (positive train pairs only)."""
    positives = pairs[(pairs["fold"] == "train") & (pairs["label"] == 1)]
    degree = pd.concat([positives["gene_a"], positives["gene_b"]]).value_counts()
    deg_a = test["gene_a"].map(degree).fillna(0).to_numpy(dtype=float)
    deg_b = test["gene_b"].map(degree).fillna(0).to_numpy(dtype=float)
    return deg_a * deg_b


def _unit_profiles(expression: pd.DataFrame) -> np.ndarray:
    """Centred profiles of unit norm (0 for a constant profile): their dot product is Pearson r."""
    values = expression.to_numpy(dtype=float)
    centred = values - values.mean(axis=1, keepdims=True)
    norms = np.sqrt((centred**2).sum(axis=1, keepdims=True))
    return np.divide(centred, norms, out=np.zeros_like(centred), where=norms > 0)


def correlation_matrix(expression: pd.DataFrame, rows, columns) -> np.ndarray:
    """|Pearson r| of every gene in `rows` with every gene in `columns` (genes of `expression`)."""
    unit = _unit_profiles(expression)
    a, b = expression.index.get_indexer(rows), expression.index.get_indexer(columns)
    return np.clip(np.abs(unit[a] @ unit[b].T), 0.0, 1.0)


def correlation_scores(expression: pd.DataFrame, test: pd.DataFrame, source: str = "pairs") -> np.ndarray:
    """|Pearson correlation| of the two genes' profiles (0 for a constant profile)."""
    unit = _unit_profiles(expression)
    a = _gene_index(expression.index, test["gene_a"], source)
    b = _gene_index(expression.index, test["gene_b"], source)
    r = np.einsum("ij,ij->i", unit[a], unit[b])
    return np.clip(np.abs(r), 0.0, 1.0)


def random_scores(test: pd.DataFrame, seed: int) -> np.ndarray:
    """Uniform random scores, reproducible from `seed` (the sanity floor: AUROC about 0.5)."""
    return np.random.default_rng(seed).random(len(test))


def _max_features(value):
    """Config `baselines.trees.max_features` as scikit-learn expects it."""
    if isinstance(value, str):
        if value not in ("sqrt", "log2"):
            raise InputError(
                f"config: baselines.trees.max_features is {value!r}; use sqrt, log2, a fraction "
                "in (0, 1] or a whole number of regulators"
            )
        return value
    if isinstance(value, float) and value.is_integer() and value > 1:
        return int(value)
    if value <= 0:
        raise InputError(f"config: baselines.trees.max_features must be positive, got {value}")
    return value


TREE_METHODS = ("extra_trees", "boosting")
EXTRA_TREES_KEYS = ("n_estimators", "max_features", "min_samples_leaf", "min_samples_split", "max_depth")  # baselines.trees


def _standardized(expression: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each gene's profile scaled to mean 0, sd 1 (0 for a constant one), and the sds."""
    values = expression.to_numpy(dtype=float)
    sd = values.std(axis=1, keepdims=True)
    scaled = np.divide(values - values.mean(axis=1, keepdims=True), sd, out=np.zeros_like(values), where=sd > 0)
    return scaled, sd[:, 0]


def _extra_trees_rows(features, standardized, sd, target_rows, reg_rows, n_estimators, max_features,
                      threads, seed, min_samples_leaf, min_samples_split, max_depth) -> np.ndarray:
    """GENIE3: one extra-trees regression per target, targets spread over `threads` threads.

    scikit-learn's tree builder runs without the GIL, so threads share the work; every target's
    trees draw the same seeds, so the result does not depend on the number of threads.
    """
    from concurrent.futures import ThreadPoolExecutor

    max_features = _max_features(max_features)
    forest = _LeanForest(n_estimators, max_features, min_samples_leaf, min_samples_split, max_depth, seed)
    x = np.asarray(features, dtype=np.float32)
    chunks = [c for c in np.array_split(np.arange(len(target_rows)), max(int(threads), 1) * 4) if len(c)]

    def chunk(positions):
        return [_extra_trees_target(forest, x, standardized[target_rows[i]], sd[target_rows[i]],
                                    reg_rows != target_rows[i]) for i in positions]

    out = np.zeros((len(target_rows), len(reg_rows)))
    with ThreadPoolExecutor(max_workers=max(int(threads), 1)) as pool:
        for positions, rows in zip(chunks, pool.map(chunk, chunks)):
            out[positions] = rows
    return out


def _extra_trees_target(forest, x, y, sd, keep) -> np.ndarray:
    """One target's importances of the regulators `keep` (0 elsewhere; all 0 for a constant target)."""
    out = np.zeros(len(keep))
    if keep.sum() and sd > 0:
        out[keep] = forest.importances(np.asfortranarray(x[:, keep]), y)
    return out


class _SeedDraw:
    """Stands in for a tree's RandomState: scikit-learn's splitter draws one integer from it (the
    tree's rand_r seed) when a tree starts. Returning the draw of RandomState(seed) lets every
    target reuse it instead of seeding a Mersenne Twister per tree (about 15% of a tree's time)."""

    def __init__(self, seed: int):
        self.seed, self.draws = int(seed), {}

    def randint(self, low, high=None, size=None):
        key = (low, high, size)
        if key not in self.draws:
            self.draws[key] = np.random.RandomState(self.seed).randint(low, high, size)
        return self.draws[key]


class _LeanForest:
    """ExtraTreesRegressor(n_estimators, max_features, min_samples_leaf, min_samples_split, max_depth,
    random_state=seed)
    without the estimator machinery: the same trees (scikit-learn's splitter, criterion and builder,
    the same per-tree seeds) and the same feature_importances_, at a fraction of the overhead of
    fitting a forest per target (validation, cloning, joblib per tree and per importance)."""

    def __init__(self, n_estimators, max_features, min_samples_leaf, min_samples_split, max_depth, seed):
        if int(min_samples_leaf) < 1:
            raise InputError(f"config: baselines.trees.min_samples_leaf must be >= 1, got {min_samples_leaf}")
        if int(min_samples_split) < 2:
            raise InputError(f"config: baselines.trees.min_samples_split must be >= 2, got {min_samples_split}")
        if max_depth is not None and int(max_depth) < 1:
            raise InputError(f"config: baselines.trees.max_depth must be >= 1 or null, got {max_depth}")
        seeds = np.random.RandomState(seed).randint(np.iinfo(np.int32).max, size=int(n_estimators))
        self.draws = [_SeedDraw(s) for s in seeds]
        self.max_features = max_features
        self.leaf = int(min_samples_leaf)
        self.split = max(int(min_samples_split), 2 * self.leaf)  # as scikit-learn resolves it
        self.depth = np.iinfo(np.int32).max if max_depth is None else int(max_depth)

    def _k(self, p: int) -> int:
        """Regulators tried per split, as scikit-learn resolves max_features for p features."""
        f = self.max_features
        if f == "sqrt":
            return max(1, int(np.sqrt(p)))
        if f == "log2":
            return max(1, int(np.log2(p)))
        return min(f, p) if isinstance(f, (int, np.integer)) else max(1, int(f * p))

    def importances(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Mean normalized impurity importances of the trees that split, scaled to sum 1."""
        from sklearn.tree._criterion import MSE
        from sklearn.tree._splitter import RandomSplitter
        from sklearn.tree._tree import DepthFirstTreeBuilder, Tree

        n, p = x.shape
        y2 = np.ascontiguousarray(y, dtype=np.float64).reshape(-1, 1)
        total, used = np.zeros(p), 0
        for draw in self.draws:
            splitter = RandomSplitter(MSE(1, n), self._k(p), self.leaf, 0.0, draw, None)
            tree = Tree(p, np.ones(1, dtype=np.intp), 1)
            DepthFirstTreeBuilder(splitter, self.split, self.leaf, 0.0, self.depth, 0.0).build(
                tree, x, y2, None, None)
            if tree.node_count > 1:
                total += tree.compute_feature_importances(normalize=True)
                used += 1
        s = total.sum()
        return total / s if used and s > 0 else np.zeros(p)


BOOSTING_SCALES = ("rounds", "sum")


def _boosting_rows(features, standardized, sd, target_rows, reg_rows, threads, seed, scale="rounds",
                   **settings):
    """GRNBoost2-style boosted trees for all targets at once (grnflow.boosting), on `threads` BLAS threads.

    Importances are normalised to sum 1 per target, as GENIE3's are; `scale: rounds` then
    multiplies them by the rounds the target ran before early stopping, as GRNBoost2 (arboreto)
    does, so a target that kept improving ranks above one that stopped early on noise. A
    constant target gets none.
    """
    from threadpoolctl import threadpool_limits

    from grnflow.boosting import boosted_importances

    if scale not in BOOSTING_SCALES:
        raise InputError(f"config: baselines.trees.boosting.scale is {scale!r}; use {' or '.join(BOOSTING_SCALES)}")
    row_to_col = {row: j for j, row in enumerate(reg_rows)}
    self_column = np.array([row_to_col.get(row, -1) for row in target_rows], dtype=np.int64)
    with threadpool_limits(limits=max(int(threads), 1)):
        raw, rounds, residuals = boosted_importances(features, standardized[target_rows].T,
                                                     self_column, seed=seed, **settings)
    if len(rounds):
        r2 = 1.0 - (residuals**2).mean(axis=0)  # the targets are standardized
        log.info("trees (boosting): rounds per target median %d, max %d of %d; in-sample R^2 "
                 "median %.2f", np.median(rounds), rounds.max(), settings.get("max_rounds", 500),
                 np.median(r2))
    total = raw.sum(axis=1, keepdims=True)
    raw = np.divide(raw, total, out=np.zeros_like(raw), where=total > 0)
    if scale == "rounds":
        raw *= rounds[:, None]
    raw[sd[target_rows] == 0] = 0.0
    return raw


def tree_importances(
    expression: pd.DataFrame,
    targets,
    regulators,
    n_estimators: int = 100,
    max_features="sqrt",
    threads: int = 1,
    seed: int = 0,
    method: str = "extra_trees",
    boosting: dict | None = None,
    min_samples_leaf: int = 1,
    min_samples_split: int = 2,
    max_depth: int | None = None,
) -> pd.DataFrame:
    """Importance of each regulator (columns) for each target (rows), from expression only.

    `extra_trees`: GENIE3, one extra-trees regression per target predicting its standardized
    profile from the regulators' profiles (the target itself excluded); the same trees and
    importances as scikit-learn's ExtraTreesRegressor(n_estimators, max_features,
    min_samples_leaf, min_samples_split, max_depth, random_state=seed) (its defaults here: fully
    grown). `boosting`: GRNBoost2-style stochastic gradient boosting with early stopping
    (`boosting` holds its settings, see grnflow.boosting.boosted_importances), fitted for all
    targets at once.
    """
    if method not in TREE_METHODS:
        raise InputError(f"config: baselines.trees.method is {method!r}; use {' or '.join(TREE_METHODS)}")
    regulators = pd.Index(pd.unique(np.asarray(regulators, dtype=object)))
    regulators = regulators[regulators.isin(expression.index)]
    targets = pd.Index(pd.unique(np.asarray(targets, dtype=object)))
    standardized, sd = _standardized(expression)
    reg_rows = expression.index.get_indexer(regulators)
    target_rows = expression.index.get_indexer(targets)
    if (target_rows < 0).any():
        raise ValueError(f"target {targets[target_rows < 0][0]} is not in the expression matrix")
    features = standardized[reg_rows].T  # samples x regulators
    start = time.perf_counter()
    if method == "extra_trees":
        importances = _extra_trees_rows(features, standardized, sd, target_rows, reg_rows,
                                        n_estimators, max_features, threads, seed,
                                        min_samples_leaf=min_samples_leaf,
                                        min_samples_split=min_samples_split, max_depth=max_depth)
    else:
        importances = _boosting_rows(features, standardized, sd, target_rows, reg_rows, threads,
                                     seed, **(boosting or {}))
    log.info("trees (%s): %d targets x %d regulators in %.1f s on %d threads", method, len(targets),
             len(regulators), time.perf_counter() - start, threads)
    return pd.DataFrame(importances, index=targets, columns=regulators)


def tree_scores(importances: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """Importance of gene_a for gene_b (0 when gene_a is not a candidate regulator)."""
    t = importances.index.get_indexer(test["gene_b"].to_numpy())
    r = importances.columns.get_indexer(test["gene_a"].to_numpy())
    values = importances.to_numpy()
    return np.where((r >= 0) & (t >= 0), values[np.maximum(t, 0), np.maximum(r, 0)], 0.0)


def write_tree_importances(
    expression: str | Path,
    tfs: str | Path,
    out: str | Path,
    n_estimators: int = 100,
    max_features="sqrt",
    threads: int = 1,
    seed: int = 0,
    method: str = "extra_trees",
    boosting: dict | None = None,
    min_samples_leaf: int = 1,
    min_samples_split: int = 2,
    max_depth: int | None = None,
) -> pd.DataFrame:
    """Importances of every TF for every gene, once per dataset (targets x TFs TSV).

    They use expression and the TF list only, no edge labels, so every split and seed of the
    dataset can look its test pairs up in the same table without leakage.
    """
    expr = read_normalized(expression)
    regulators = [g for g in read_gene_list(tfs) if g in expr.index]
    if not regulators:
        raise InputError(f"{tfs}: none of the TFs is in the expression matrix {expression}")
    imp = tree_importances(expr, expr.index, regulators, n_estimators=n_estimators,
                           max_features=max_features, threads=threads, seed=seed, method=method,
                           boosting=boosting, min_samples_leaf=min_samples_leaf,
                           min_samples_split=min_samples_split, max_depth=max_depth)
    imp.index.name = "target"
    write_tsv(imp.reset_index(), out, float_format="%.6g")
    return imp


def read_tree_importances(path: str | Path) -> pd.DataFrame:
    """The importance table of `write_tree_importances`, indexed by target."""
    return read_table(path, sep="tab", dtype={"target": str}).set_index("target")


def run_baseline(
    method: str,
    pairs: str | Path,
    expression: str | Path,
    out_predictions: str | Path,
    out_metrics: str | Path,
    dataset: str,
    split: str,
    seed: int,
    importances: str | Path | None = None,
) -> dict:
    """Score the test pairs of one split x seed with baseline `method`; write predictions + metrics."""
    if method not in BASELINES:
        raise InputError(f"config: unknown baseline {method!r}; choose from {', '.join(BASELINES)}")
    table = read_pairs(pairs)
    test = table[table["fold"] == "test"].reset_index(drop=True)
    if test.empty:
        raise InputError(f"{pairs}: no pair has fold `test`; the split left nothing to evaluate on")
    start = time.perf_counter()
    if method == "degree":
        scores = degree_scores(table, test)
    elif method == "random":
        scores = random_scores(test, seed)
    else:
        expr = read_normalized(expression)
        if method == "correlation":
            scores = correlation_scores(expr, test, source=str(pairs))
        else:
            if importances is None:
                raise ValueError("the trees baseline needs the importance table of `write_tree_importances`")
            _gene_index(expr.index, test["gene_a"], str(pairs))
            _gene_index(expr.index, test["gene_b"], str(pairs))
            scores = tree_scores(read_tree_importances(importances), test)
    seconds = time.perf_counter() - start
    ranked = write_predictions(test, scores, out_predictions)
    record = write_job_metrics(
        out_metrics,
        ranked,
        dataset=dataset,
        split=split,
        method=method,
        seed=int(seed),
        train_seconds=round(seconds, 3),
        epochs=None,
        device="cpu",
    )
    log.info("%s %s seed %s: AUROC %.4f on %d test pairs", method, split, seed, record["auroc"], len(test))
    return record
