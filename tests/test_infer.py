"""The inferred network (stage `infer`): candidates, rankings, consensus, exports, discovery."""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from grnflow.consensus import aggregate_seeds, consensus, novel_edges, regulons
from grnflow.discovery import discovery_row
from grnflow.exports import graphml_text
from grnflow.infer import (
    exact_ranks,
    make_candidates,
    ranking_table,
    ranks,
    reference_matrices,
    top_k,
)
from helpers import run_workflow, tiny_config

GENES = ["A", "B", "C"]


def test_candidates_are_every_tf_times_every_other_gene():
    cands = make_candidates(["g1", "g2", "g3", "g4", "g5"], ["g4", "g2", "g2", "missing"])
    assert list(cands.regulators) == ["g4", "g2"]  # TF list order, duplicates and absent dropped
    assert cands.n == 2 * (5 - 1)
    rows, cols = cands.pairs()
    pairs = set(zip(cands.regulators[rows], cands.genes[cols]))
    assert len(pairs) == cands.n and ("g4", "g4") not in pairs and ("g2", "g2") not in pairs
    r, t = cands.cells(["g4", "g1", "g2"], ["g1", "g2", "g2"])
    assert r.tolist() == [0, -1, -1] and t.tolist() == [0, -1, -1]  # g1 no TF; g2->g2 self


def test_ranks_share_ties_and_are_written_exactly():
    mask = np.array([[True, True, False, True]])
    scores = np.array([[0.5, 0.9, 7.0, 0.5]])
    r = ranks(scores, mask)
    assert r[0, 1] == 1 and r[0, 0] == r[0, 3] == 2.5 and np.isnan(r[0, 2])
    assert top_k(r, 2).tolist() == [[False, True, False, False]]
    assert exact_ranks([1, 2.5, 1234567.5, 1500000]).tolist() == ["1", "2.5", "1234567.5", "1500000"]
    assert exact_ranks([3.0, 1500000.0]).tolist() == [3, 1500000]


def test_known_marks_exactly_the_reference_edges_among_candidates():
    cands = make_candidates(GENES, ["A", "B"])
    net = pd.DataFrame({"regulator": ["A", "C", "B"], "target": ["B", "A", "C"], "sign": [1, -1, -1]})
    known, sign = reference_matrices(cands, net)
    table = ranking_table(cands, np.arange(6.0).reshape(2, 3), ranks(np.arange(6.0).reshape(2, 3),
                                                                     cands.mask()), known)
    assert len(table) == 4
    assert set(zip(table.loc[table["known"] == 1, "regulator"], table.loc[table["known"] == 1, "target"])) == {
        ("A", "B"), ("B", "C")}  # C -> A: C is no TF, so no candidate
    assert sign[1, 2] == -1 and table.iloc[0][["regulator", "target"]].tolist() == ["B", "C"]


def test_consensus_of_three_methods_by_hand():
    # Candidates A->B, A->C, B->A, B->C (2 TFs x 3 genes, no self pairs).
    cands = make_candidates(GENES, ["A", "B"])
    mask = cands.mask()
    nan = np.nan

    def mat(ab, ac, ba, bc):
        return np.array([[nan, ab, ac], [ba, nan, bc]])

    method_ranks = {"m1": mat(1, 2, 3, 4), "m2": mat(2, 1, 4, 3), "m3": mat(1, 4, 2, 3)}
    topk = {m: top_k(r, 2).astype(float) for m, r in method_ranks.items()}
    cons = consensus(method_ranks, topk, mask, k=2)
    # Mean scaled ranks (r - 1) / 3: A->B 1/9, A->C 4/9, B->A 6/9, B->C 7/9.
    assert np.allclose(cons["score"][mask], [1 - 1 / 9, 1 - 4 / 9, 1 - 6 / 9, 1 - 7 / 9])
    assert cons["rank"][mask].tolist() == [1, 2, 3, 4]
    # Top 2 of m1: AB AC; m2: AB AC; m3: AB BA.
    assert np.allclose(cons["stability"][mask], [1, 2 / 3, 1 / 3, 0])
    assert cons["support"][mask].tolist() == [3, 2, 1, 0]

    known = np.zeros(cands.shape, dtype=bool)
    known[0, 1] = True  # A -> B is a reference edge
    table = ranking_table(cands, cons["score"], cons["rank"], known,
                          stability=cons["stability"], support=cons["support"])
    novel = novel_edges(table, cands, method_ranks, k=2, n=2)
    assert novel[["regulator", "target"]].values.tolist() == [["A", "C"], ["B", "A"]]
    assert novel["methods"].tolist() == ["m1,m2", "m3"] and novel["novel_rank"].tolist() == [1, 2]
    reg = regulons(table, cands, k=2)
    assert reg[["regulator", "target", "known"]].values.tolist() == [["A", "B", 1], ["A", "C", 0]]


def test_seeds_are_aggregated_by_mean_rank():
    mask = np.ones((1, 3), dtype=bool)
    agg = aggregate_seeds([np.array([[1.0, 2, 3]]), np.array([[3.0, 1, 2]])],
                          [np.array([[0.9, 0.5, 0.1]]), np.array([[0.1, 0.9, 0.5]])], mask, k=1)
    # mean ranks 2, 1.5, 2.5 -> ranks 2, 1, 3
    assert agg["rank"].tolist() == [[2, 1, 3]]
    assert agg["topk_fraction"].tolist() == [[0.5, 0.5, 0.0]]
    assert np.allclose(agg["score"], [[0.5, 0.7, 0.3]])


def test_graphml_opens_with_the_edges_and_attributes(tmp_path):
    edges = pd.DataFrame({"regulator": ["A", "A", "B"], "target": ["B", "C&", "C&"],
                          "score": [0.9, 0.8, 0.7], "rank": [1.0, 2.0, 3.5],
                          "stability": [1.0, 0.5, 0.25], "known": [1, 0, 1], "sign": [-1, 0, 1]})
    path = tmp_path / "net.graphml"
    path.write_text(graphml_text(edges, ["A", "B"], {"A": "alpha", "C&": "c<1>"}))
    if importlib.util.find_spec("networkx"):
        import networkx as nx

        g = nx.read_graphml(path)
        assert g.is_directed() and set(g.edges()) == {("A", "B"), ("A", "C&"), ("B", "C&")}
        assert g.edges["A", "B"] == {"score": 0.9, "rank": 1.0, "stability": 1.0, "known": True,
                                     "sign": -1, "id": "e0"}
        assert "sign" not in g.edges["A", "C&"] and g.edges["A", "C&"]["known"] is False
        assert g.nodes["A"] == {"name": "alpha", "regulator": True}
        assert g.nodes["C&"]["name"] == "c<1>" and g.nodes["C&"]["regulator"] is False
    root = ET.parse(path).getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert len(root.findall(".//g:edge", ns)) == 3 and len(root.findall(".//g:node", ns)) == 3


def test_discovery_counts_hidden_edges_among_top_novel_with_ties_shared():
    table = pd.DataFrame({"regulator": list("AAAAAB"), "target": list("BCDEFA"),
                          "rank": [1, 2, 3.5, 3.5, 5, 6], "known": [1, 0, 0, 0, 0, 0]})
    row = discovery_row(table, {("A", "C"), ("A", "E")})
    # novel: C(2) D(3.5) E(3.5) F(5) A(6); k = 2 hidden: C + half of the tied block D/E.
    assert row["k"] == 2 and row["hits"] == 1.5 and row["n_novel_candidates"] == 5
    assert row["random_precision"] == pytest.approx(2 / 5)
    assert row["enrichment"] == pytest.approx((1.5 / 2) / (2 / 5))


def test_demo_inferred_network_end_to_end(tmp_path):
    """A real run of the infer stage on the tiny demo with 70% of its true edges known."""
    cfg = tiny_config(splits=["random"], methods=["degree", "correlation", "trees", "random"],
                      infer={"seeds": [0, 1]})
    cfg["datasets"]["demo"]["synthetic"]["known_fraction"] = 0.7
    out = tmp_path / "results/demo/inferred"
    targets = [f"results/demo/inferred/{n}"
               for n in ("discovery.tsv", "network.graphml", "novel.tsv", "figures/network.png")]
    run_workflow(tmp_path, cfg, targets)

    genes = pd.read_csv(tmp_path / "results/demo/data/expression.tsv", sep="\t", usecols=[0]).iloc[:, 0]
    tfs = (tmp_path / "results/demo/data/tfs.txt").read_text().split()
    net = pd.read_csv(tmp_path / "results/demo/data/network.tsv", sep="\t")
    hidden = pd.read_csv(tmp_path / "results/demo/synthetic/truth/hidden.tsv", sep="\t")
    truth = pd.read_csv(tmp_path / "results/demo/synthetic/truth/edges.tsv", sep="\t")
    assert len(net) + len(hidden) == len(truth) and len(net) == round(0.7 * len(truth))

    cons = pd.read_csv(out / "consensus.tsv.gz", sep="\t")
    assert len(cons) == len(tfs) * (len(genes) - 1)
    assert set(zip(cons.loc[cons["known"] == 1, "regulator"], cons.loc[cons["known"] == 1, "target"])) == set(
        zip(net["regulator"], net["target"]))
    assert (cons["rank"].diff().dropna() >= 0).all() and cons["regulator_name"].str.startswith("g").all()
    for method, run in [("trees", "ranking"), ("random", "seed1")]:
        assert len(pd.read_csv(out / f"{method}/{run}.tsv.gz", sep="\t")) == len(cons)

    novel = pd.read_csv(out / "novel.tsv", sep="\t")
    assert (novel["rank"].diff().dropna() >= 0).all() and novel["novel_rank"].tolist() == list(range(1, 1001))
    assert not set(zip(novel["regulator"], novel["target"])) & set(zip(net["regulator"], net["target"]))
    ranked = pd.read_csv(out / "rankedEdges.csv", sep="\t")
    assert list(ranked.columns) == ["Gene1", "Gene2", "EdgeWeight"] and len(ranked) == len(cons)

    # The report's "Inferred network" section renders from these files.
    from grnflow.infer_report import inferred_context
    from grnflow.report import _environment

    ctx = inferred_context(tmp_path / "results", "demo", lambda path: f"png:{path.name}")
    html = _environment().from_string(
        '{% import "macros.html.j2" as m %}{% include "sections/inferred.html.j2" %}'
    ).render(ds={"name": "demo", "inferred": ctx})
    assert "Inferred network" in html and "png:network.png" in html and "png:stability.png" in html
    first = novel.iloc[0]
    assert f"{first['regulator_name']} ({first['regulator']})" in html
    assert abs(ctx["k"] - len(net)) <= 2 and "Discovery check" in html  # k up to ties at rank k

    disc = pd.read_csv(out / "discovery.tsv", sep="\t").set_index("method")
    assert (disc["k"] == len(hidden)).all()
    # The label-free consensus finds hidden true edges well above chance; random does not.
    assert disc.loc["consensus", "enrichment"] >= 3.0 * 1.5, disc
    assert disc.loc["random", "enrichment"] < 3.0, disc


def test_knockout_predictors_and_majority_share():
    from grnflow.knockouts import expression_predictor, score_predictor, typical_self_change

    observed = np.array([[0.0, 2.0, -1.5, 0.1], [0.0, 0.2, 0.0, -3.0]])
    mask = np.array([[False, True, True, True], [True, False, True, True]])
    none = score_predictor(np.zeros_like(observed), observed, mask, threshold=1.0)
    # Observed directions over the 6 entries: up, down, unchanged, unchanged, unchanged, down.
    assert none["majority_class"] == "unchanged" and none["majority_share"] == pytest.approx(3 / 6)
    assert none["direction_accuracy"] == pytest.approx(3 / 6) and np.isnan(none["pearson"])
    perfect = score_predictor(observed, observed, mask, threshold=1.0)
    assert perfect["direction_accuracy"] == 1.0 and perfect["pearson"] == pytest.approx(1.0)

    # Gene B follows A, C mirrors A, D is noise; ko samples are left out of the correlation.
    expr = pd.DataFrame({"s1": [1.0, 2.0, -1.0, 0.3], "s2": [-1.0, -2.0, 1.0, 0.1],
                         "s3": [0.5, 1.0, -0.5, -0.4], "ko": [9.0, -9.0, 9.0, 9.0]},
                        index=["A", "B", "C", "D"])
    sheet = pd.DataFrame({"sample": ["s1", "s2", "s3", "ko"], "knockout": ["", "", "", "A"],
                          "controls": ["", "", "", "s1;s2"]})
    pred = expression_predictor(expr, sheet, np.array([0]), self_change=-2.0)
    assert pred[0, :3] == pytest.approx([-2.0, -2.0, 2.0])
    assert typical_self_change(np.array([0, 1]), np.array([[-3.0, 0.0], [0.0, -1.0]])) == -2.0


def test_final_pairs_use_every_reference_edge_without_test_fold():
    from grnflow.pairs import pair_codes
    from grnflow.settings import PairSettings

    genes = [f"g{i}" for i in range(40)]
    rng = np.random.default_rng(0)
    reg = rng.choice(genes[:5], 60)
    tgt = rng.choice(genes[5:], 60)
    edges = pd.DataFrame({"r": reg, "t": tgt}).drop_duplicates()
    codes = pair_codes(genes, edges["r"], edges["t"], genes[:5], "random", 0,
                       PairSettings.from_schema(val_fraction=0.1, test_fraction=0.0))
    fold, label = codes["fold"], codes["label"]
    assert set(fold.tolist()) == {0, 1}  # train and val only
    assert label.sum() == len(edges)  # every reference edge is a positive
    train = fold == 0
    assert (label[train] == 0).sum() == (label[train] == 1).sum()  # negative_ratio 1 in train
    assert (fold[label == 1] == 1).sum() == round(0.1 * len(edges))


def test_demo_final_models_discover_and_knock_out(tmp_path):
    """Real final GENER and MTLGRN models on the tiny demo (70% of the true edges known)."""
    from sklearn.metrics import roc_auc_score

    cfg = tiny_config(methods=["gener", "mtlgrn", "trees"], gener={"epochs": 5, "batch_size": 32},
                      mtlgrn=dict(tiny_config()["mtlgrn"], epochs=10))
    cfg["datasets"]["demo"]["synthetic"]["known_fraction"] = 0.7
    run_workflow(tmp_path, cfg, ["results/demo/inferred/discovery.tsv",
                                 "results/demo/inferred/knockouts.tsv.gz"])
    out = tmp_path / "results/demo/inferred"
    tfs = (tmp_path / "results/demo/data/tfs.txt").read_text().split()
    for method in ("gener", "mtlgrn"):
        ranking = pd.read_csv(out / f"{method}/seed0.tsv.gz", sep="\t")
        assert len(ranking) == len(tfs) * 119 and ranking["score"].notna().all()
    assert (tmp_path / "results/demo/models/gener/final/seed0/model.keras").is_file()
    disc = pd.read_csv(out / "discovery.tsv", sep="\t").set_index("method")
    assert set(disc.index) == {"gener", "mtlgrn", "trees", "consensus"}
    # The consensus of both models and trees finds hidden true edges far above chance.
    assert disc.loc["consensus", "enrichment"] >= 3.0 * 1.5, disc

    # In-silico knockout of the demo's hub regulator (most true targets, a measured knockout):
    # its true targets respond more than the other genes.
    ko = pd.read_csv(out / "knockouts.tsv.gz", sep="\t").set_index("regulator")
    assert list(ko.index) == tfs and ko.shape[1] == 120
    truth = pd.read_csv(tmp_path / "results/demo/synthetic/truth/edges.tsv", sep="\t")
    hub = truth["regulator"].value_counts().index[0]
    genes = [g for g in ko.columns if g != hub]
    is_target = np.isin(genes, truth.loc[truth["regulator"] == hub, "target"])
    assert roc_auc_score(is_target, ko.loc[hub, genes].abs()) >= 0.65


def test_consensus_method_not_run_is_refused_before_any_job(tmp_path):
    cfg = tiny_config(methods=["degree", "trees"], infer={"methods": ["gener", "trees"]})
    proc = run_workflow(tmp_path, cfg, extra=["-n"], check=False)
    assert proc.returncode != 0
    assert "infer.methods lists gener" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
