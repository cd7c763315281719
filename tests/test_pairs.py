"""Pair tables: labels, negatives, split-regime invariants, degree matching, reproducibility."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from grnflow.errors import InputError
from grnflow.pairs import FOLDS, PAIR_COLUMNS, build_pairs, make_pairs
from grnflow.settings import PairSettings

SPLITS = ["random", "tf_holdout", "gene_disjoint"]


def hub_network(n_genes=300, n_tfs=24, seed=0):
    """A hub-heavy network: two TFs regulate a third of all genes, the others a handful."""
    rng = np.random.default_rng(seed)
    genes = [f"G{i:03d}" for i in range(n_genes)]
    degrees = [100, 60] + list(rng.integers(2, 9, size=n_tfs - 2))
    edges = []
    for tf, degree in enumerate(degrees):
        targets = rng.choice(np.delete(np.arange(n_genes), tf), size=degree, replace=False)
        edges += [(genes[tf], genes[t]) for t in targets]
    net = pd.DataFrame(edges, columns=["regulator", "target"])
    return genes, net, genes[:n_tfs]


GENES, NET, TFS = hub_network()
EDGES = set(zip(NET["regulator"], NET["target"]))


def pairs(split, seed=0, **settings):
    """The pair table of the hub network; `settings` override the schema's `pairs` defaults."""
    return make_pairs(GENES, NET["regulator"], NET["target"], TFS, split, seed,
                      PairSettings.from_schema(**settings))


def keys(table):
    return list(zip(table["gene_a"], table["gene_b"]))


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("negatives", ["uniform", "degree_matched"])
def test_labels_folds_and_no_leaking_negatives(split, negatives):
    table = pairs(split, negatives=negatives)
    assert table.columns.tolist() == PAIR_COLUMNS
    assert set(table["fold"]) == set(FOLDS)
    # Each ordered pair once; each unordered pair once (directed: false), except mutual edges.
    assert len(set(keys(table))) == len(table)
    pos, neg = table[table["label"] == 1], table[table["label"] == 0]
    mutual = sum((b, a) in EDGES for a, b in keys(pos)) // 2
    assert len({frozenset(k) for k in keys(table)}) == len(table) - mutual
    assert set(keys(pos)) <= EDGES and (pos["direction"] == 1).all()
    if split != "gene_disjoint":  # gene_disjoint leaves out edges across gene partitions
        assert set(keys(pos)) == EDGES
    assert not any((a, b) in EDGES or (b, a) in EDGES for a, b in keys(neg))
    assert (neg["direction"] == 0).all() and (neg["gene_a"] != neg["gene_b"]).all()
    assert set(neg["gene_a"]) <= set(TFS)  # tf_only


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("ratio", [1.0, 2.5])
def test_negative_ratio_per_fold(split, ratio):
    # The sampled evaluation view (eval_negatives: ratio); training always samples.
    table = pairs(split, negative_ratio=ratio, negatives="degree_matched", eval_negatives="ratio",
                  eval_negative_ratio=ratio)
    counts = table.groupby(["fold", "label"]).size().unstack()
    for fold in FOLDS:
        assert counts.loc[fold, 0] == round(ratio * counts.loc[fold, 1])
    fractions = counts[1] / counts[1].sum()
    assert abs(fractions["test"] - 0.2) < 0.08 and abs(fractions["val"] - 0.1) < 0.08


def test_tf_holdout_gene_a_never_seen_as_gene_a_in_training():
    table = pairs("tf_holdout")
    train_a = set(table.loc[table["fold"] == "train", "gene_a"])
    val_a = set(table.loc[table["fold"] == "val", "gene_a"])
    test_a = set(table.loc[table["fold"] == "test", "gene_a"])
    assert not train_a & test_a and not train_a & val_a and not val_a & test_a
    assert test_a and val_a


def test_gene_disjoint_partitions_genes():
    table = pairs("gene_disjoint")
    genes = {f: set(table.loc[table["fold"] == f, "gene_a"]) | set(table.loc[table["fold"] == f, "gene_b"])
             for f in FOLDS}
    assert not genes["train"] & genes["test"] and not genes["train"] & genes["val"]
    assert not genes["val"] & genes["test"]
    assert (table.loc[table["fold"] != "train", "pair_class"] == 0).all()


@pytest.mark.parametrize("split", SPLITS)
def test_pair_class_counts_genes_seen_in_training(split):
    table = pairs(split)
    train = table[(table["fold"] == "train") & (table["label"] == 1)]  # seen = in a training positive
    seen = set(train["gene_a"]) | set(train["gene_b"])
    expected = np.where(table["fold"] == "train", 2,
                        table["gene_a"].isin(seen).astype(int) + table["gene_b"].isin(seen).astype(int))
    assert table["pair_class"].tolist() == expected.tolist()


def degree_ks(table):
    """KS statistics of gene_a out-degree and gene_b in-degree, positives vs negatives."""
    out_deg, in_deg = NET["regulator"].value_counts(), NET["target"].value_counts()
    pos, neg = table[table["label"] == 1], table[table["label"] == 0]
    stat_a = ks_2samp(pos["gene_a"].map(out_deg).fillna(0), neg["gene_a"].map(out_deg).fillna(0)).statistic
    stat_b = ks_2samp(pos["gene_b"].map(in_deg).fillna(0), neg["gene_b"].map(in_deg).fillna(0)).statistic
    return stat_a, stat_b


def test_degree_matched_negatives_match_degrees_uniform_do_not():
    def pairs(split, **settings):  # the sampled view: every fold's negatives follow `negatives`
        return make_pairs(GENES, NET["regulator"], NET["target"], TFS, split, 0,
                          PairSettings.from_schema(eval_negatives="ratio", **settings))

    matched = degree_ks(pairs("random", negatives="degree_matched"))
    uniform = degree_ks(pairs("random", negatives="uniform"))
    # gene_b matches a little less than gene_a: negatives of a fold come from that fold's share
    # of the candidate pairs only (a gene pair is one unit), so hubs run out of partners sooner.
    assert matched[0] < 0.1 and matched[1] < 0.2
    assert uniform[0] > 0.4  # hubs dominate positives, not uniform negatives
    for split in ("tf_holdout", "gene_disjoint"):  # matched inside every fold too
        assert degree_ks(pairs(split, negatives="degree_matched"))[0] < 0.1
        assert degree_ks(pairs(split, negatives="uniform"))[0] > 0.3
    # Per gene: a hub's share among negatives follows its share among positives.
    table = pairs("random", negatives="degree_matched")
    share = table.groupby("label")["gene_a"].value_counts(normalize=True).unstack(0).fillna(0)
    assert abs(share.loc["G000", 0] - share.loc["G000", 1]) < 0.08  # (same cause as above)


def test_reproducible_from_seed_and_split():
    for split in SPLITS:
        assert pairs(split, seed=3).equals(pairs(split, seed=3))
        assert not pairs(split, seed=3).equals(pairs(split, seed=4))
    a, b = pairs("random", seed=3), pairs("tf_holdout", seed=3)
    assert set(keys(a[a["label"] == 0])) != set(keys(b[b["label"] == 0]))


def test_output_order_is_fold_then_positives_first():
    table = pairs("random")
    fold_rank = table["fold"].map({f: i for i, f in enumerate(FOLDS)})
    assert fold_rank.is_monotonic_increasing
    for _, part in table.groupby("fold"):
        assert part["label"].is_monotonic_decreasing


def test_directed_allows_reversed_edges_as_direction_2():
    # A dense TF-TF network: reversed edges are a large share of the candidate negatives.
    genes = [f"T{i}" for i in range(8)]
    regs, tgts = zip(*[(genes[i], genes[j]) for i in range(8) for j in range(8) if i < j and (i + j) % 2])
    table = make_pairs(genes, regs, tgts, genes, "random", 0,
                       PairSettings.from_schema(directed=True, negative_ratio=1.0))
    edges = set(zip(regs, tgts))
    neg = table[table["label"] == 0]
    reversed_ = [(b, a) in edges for a, b in keys(neg)]
    assert any(reversed_)
    assert neg["direction"].tolist() == [2 if r else 0 for r in reversed_]
    assert not any(k in edges for k in keys(neg))
    # An edge and its reverse never sit in different folds.
    fold = dict(zip(keys(table), table["fold"]))
    assert all(fold[(b, a)] == fold[(a, b)] for a, b in fold if (b, a) in fold)


def test_tf_only_false_draws_any_gene_as_gene_a():
    table = pairs("random", tf_only=False, negative_ratio=3.0)
    assert not set(table.loc[table["label"] == 0, "gene_a"]) <= set(TFS)


def test_too_small_network_for_split():
    with pytest.raises(InputError, match=r"split tf_holdout leaves the (train|test) fold without positive"):
        make_pairs(["a", "b", "c"], ["a"], ["b"], ["a"], "tf_holdout", 0, PairSettings.from_schema())


def test_capacity_shortfall_takes_all_available(caplog):
    genes = ["a", "b", "c", "d"]
    table = make_pairs(genes, ["a"] * 3, ["b", "c", "d"], ["a"], "random", 0,
                       PairSettings.from_schema(negative_ratio=5.0, val_fraction=0.1, test_fraction=0.4))
    assert (table["label"] == 0).sum() == 0 and "negatives available" in caplog.text


def test_build_pairs_from_files(tmp_path):
    expression = tmp_path / "expression.tsv"
    pd.DataFrame({"gene": GENES, "s": 0.0}).to_csv(expression, sep="\t", index=False)
    network = tmp_path / "network.tsv"
    NET.assign(sign=0).to_csv(network, sep="\t", index=False)
    tfs = tmp_path / "tfs.txt"
    tfs.write_text("\n".join(TFS) + "\n")
    out = tmp_path / "pairs" / "random" / "seed0.tsv"
    table = build_pairs(network, tfs, expression, out, "random", 0,
                        PairSettings.from_schema(negatives="degree_matched"))
    written = pd.read_csv(out, sep="\t")
    assert written.equals(table) and written.equals(pairs("random", negatives="degree_matched"))
    pd.DataFrame({"gene": GENES[1:], "s": 0.0}).to_csv(expression, sep="\t", index=False)
    with pytest.raises(InputError, match=r"network\.tsv: 1 gene\(s\) are not in .*G000"):
        build_pairs(network, tfs, expression, out, "random", 0, PairSettings.from_schema())


@pytest.mark.slow
def test_pairs_rule_on_tiny_demo(demo_run):
    """The pairs jobs of the session's `demo_run` (TINY_CONFIG, every split): the same jobs
    as a run of that config asking for the pairs only."""
    targets = [f"results/demo/pairs/{split}/seed0.tsv" for split in SPLITS]
    network = pd.read_csv(demo_run / "results/demo/data/network.tsv", sep="\t")
    edges = set(zip(network["regulator"], network["target"]))
    for split, target in zip(SPLITS, targets):
        table = pd.read_csv(demo_run / target, sep="\t")
        assert table.columns.tolist() == PAIR_COLUMNS
        assert set(table["fold"]) == set(FOLDS)
        assert set(keys(table[table["label"] == 1])) <= edges
        assert not set(keys(table[table["label"] == 0])) & edges
        assert (demo_run / f"logs/demo/pairs/{split}/seed0.log").read_text().count("positives") == 3


def test_duplicate_edges_and_self_loops_ignored():
    table = make_pairs(GENES, [*NET["regulator"], "G000", "G001"], [*NET["target"], NET["target"][0], "G001"],
                       TFS, "random", 0, PairSettings.from_schema())
    assert table.equals(pairs("random"))


def test_vectorised_writer_matches_pandas(tmp_path):
    from grnflow.pairs import pair_codes, write_pairs

    settings = PairSettings.from_schema(negative_ratio=2.0)
    codes = pair_codes(GENES, NET["regulator"], NET["target"], TFS, "tf_holdout", 1, settings)
    write_pairs(codes, tmp_path / "fast.tsv", chunk=100)  # several chunks
    table = make_pairs(GENES, NET["regulator"], NET["target"], TFS, "tf_holdout", 1, settings)
    expected = table.to_csv(sep="\t", index=False, lineterminator="\n")
    assert (tmp_path / "fast.tsv").read_text() == expected


def mutual_network(n_genes=120, n_regs=30, seed=1):
    """A regulator-dense network where most edges come in both directions (like STRING)."""
    rng = np.random.default_rng(seed)
    genes = [f"M{i:03d}" for i in range(n_genes)]
    edges = set()
    for r in range(n_regs):
        for t in rng.choice(np.delete(np.arange(n_genes), r), size=8, replace=False):
            edges.add((genes[r], genes[t]))
            if t < n_regs and rng.random() < 0.75:
                edges.add((genes[t], genes[r]))
    regs, tgts = zip(*sorted(edges))
    return genes, list(regs), list(tgts), genes[:n_regs]


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("directed", [False, True])
def test_mutual_pairs_never_split_across_folds(split, directed):
    genes, regs, tgts, tfs = mutual_network()
    edges = set(zip(regs, tgts))
    assert sum((b, a) in edges for a, b in edges) > 60  # many mutual pairs
    for seed in range(3):
        table = make_pairs(genes, regs, tgts, tfs, split, seed,
                           PairSettings.from_schema(directed=directed, negative_ratio=2.0))
        fold_of = {}
        for a, b, fold in zip(table["gene_a"], table["gene_b"], table["fold"]):
            assert fold_of.setdefault(frozenset((a, b)), fold) == fold, (a, b)
        # No val/test pair has its reverse (or itself) among the training positives, which
        # are MTLGRN's message graph.
        train_pos = table[(table["fold"] == "train") & (table["label"] == 1)]
        graph = {frozenset(k) for k in keys(train_pos)}
        held = table[table["fold"] != "train"]
        assert not any(frozenset(k) in graph for k in keys(held))
        if split == "tf_holdout":  # the held-out regulators stay held out
            train_a = set(table.loc[table["fold"] == "train", "gene_a"])
            assert not train_a & set(held["gene_a"])


def test_tf_holdout_leaves_out_the_training_side_of_a_mutual_pair():
    genes, regs, tgts, tfs = mutual_network()
    table = make_pairs(genes, regs, tgts, tfs, "tf_holdout", 0, PairSettings.from_schema())
    test_regs = set(table.loc[table["fold"] == "test", "gene_a"])
    pos = set(keys(table[table["label"] == 1]))
    # Edges b->a from a training regulator back to a test regulator are not in the table.
    dropped = [(a, b) for a, b in zip(regs, tgts) if (a, b) not in pos]
    assert dropped and all(b in test_regs or (b, a) in pos for a, b in dropped)


@pytest.mark.parametrize("directed", [False, True])
def test_test_fold_holds_all_its_candidates(directed):
    """Default (eval_negatives: all): tf_holdout's test negatives are, by hand, every pair of a
    test regulator with any other gene that is no edge, once per unordered pair."""
    table = pairs("tf_holdout", directed=directed)
    test = table[table["fold"] == "test"]
    test_regs = set(test["gene_a"])
    regs = set(NET["regulator"])
    expected = set()
    for a in sorted(test_regs):
        for b in GENES:
            if b == a or (a, b) in EDGES or (not directed and (b, a) in EDGES):
                continue
            if not directed and b in test_regs and (b, a) in expected:
                continue
            if directed and (b, a) in EDGES and b not in test_regs:
                continue  # the reverse of a training edge belongs to the edge's fold
            expected.add((a, b))
    assert set(keys(test[test["label"] == 0])) == expected
    # Its label density is the fold's true density.
    density = test["label"].mean()
    assert density == pytest.approx(test["label"].sum() / (test["label"].sum() + len(expected)))
    assert set(table["gene_a"]) <= regs  # candidate regulators: those with a reference edge


def test_every_candidate_pair_is_in_exactly_one_fold_under_random():
    """random: val and test hold all their candidates, and training takes its share: with a
    large training ratio the three folds together hold every candidate unit once."""
    table = pairs("random", negative_ratio=1000.0)
    regs = set(NET["regulator"])
    units = {frozenset((a, b)) for a in regs for b in GENES if a != b
             and (a, b) not in EDGES and (b, a) not in EDGES}
    neg = table[table["label"] == 0]
    assert len(neg) == len(units) and {frozenset(k) for k in keys(neg)} == units
    shares = neg["fold"].value_counts(normalize=True)
    assert abs(shares["test"] - 0.2) < 0.03 and abs(shares["val"] - 0.1) < 0.03


def test_candidate_regulators_tfs_widens_gene_a():
    genes = GENES
    net = NET[NET["regulator"] != "G023"]  # a TF without any reference edge
    default = make_pairs(genes, net["regulator"], net["target"], TFS, "random", 0, PairSettings.from_schema())
    wide = make_pairs(genes, net["regulator"], net["target"], TFS, "random", 0,
                      PairSettings.from_schema(candidate_regulators="tfs"))
    assert "G023" not in set(default["gene_a"]) and "G023" in set(wide["gene_a"])



def test_pair_settings_come_from_the_schema_only():
    """`PairSettings` names the schema's per-dataset `pairs` keys, with the defaults Snakemake
    fills in, and no pair function repeats one of them as a keyword default."""
    import dataclasses
    import inspect

    from snakemake.utils import validate

    from grnflow import pairs as pairs_module
    from grnflow.settings import SCHEMA, from_config

    config = {"datasets": {"d": {"synthetic": {}}}}
    validate(config, str(SCHEMA))  # fills the schema's defaults in, as every workflow run does
    section = config["datasets"]["d"]["pairs"]
    assert {f.name for f in dataclasses.fields(PairSettings)} == set(section)
    assert from_config(PairSettings, section, "config: datasets.d.pairs") == PairSettings.from_schema()
    assert PairSettings.from_schema(directed=True) == dataclasses.replace(PairSettings.from_schema(), directed=True)
    names = set(section)
    for fn in (pairs_module.pair_codes, pairs_module.make_pairs, pairs_module.build_pairs):
        params = inspect.signature(fn).parameters
        assert not names & set(params), fn.__name__
        assert params["settings"].default is inspect.Parameter.empty, fn.__name__
    with pytest.raises(InputError, match=r"config: datasets\.d\.pairs\.directed is missing"):
        from_config(PairSettings, {k: v for k, v in section.items() if k != "directed"}, "config: datasets.d.pairs")
