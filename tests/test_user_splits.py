"""User splits: a pair table reproduced exactly, a held-out regulator list, validation errors."""

import numpy as np
import pandas as pd
import pytest
from test_pairs import GENES, NET, TFS, keys

from grnflow.errors import InputError
from grnflow.pairs import build_pairs
from grnflow.settings import PairSettings


@pytest.fixture
def inputs(tmp_path):
    """build_pairs' inputs: the hub network's files and the schema's `pairs` settings."""
    expression = tmp_path / "expression.tsv"
    pd.DataFrame({"gene": GENES, "s": 0.0}).to_csv(expression, sep="\t", index=False)
    network = tmp_path / "network.tsv"
    NET.assign(sign=0).to_csv(network, sep="\t", index=False)
    tfs = tmp_path / "tfs.txt"
    tfs.write_text("\n".join(TFS) + "\n")
    return {"network": network, "tfs": tfs, "expression": expression, "settings": PairSettings.from_schema()}


def user_table(seed=0):
    """A GENER-like published split: 1:1 negatives, folds at random."""
    rng = np.random.default_rng(seed)
    pos = NET.sample(n=120, random_state=seed).rename(columns={"regulator": "gene_a", "target": "gene_b"})
    edges = set(zip(NET["regulator"], NET["target"]))
    neg = set()
    while len(neg) < 120:
        a, b = TFS[rng.integers(len(TFS))], GENES[rng.integers(len(GENES))]
        if a != b and (a, b) not in edges:
            neg.add((a, b))
    table = pd.concat([pos.assign(label=1), pd.DataFrame(sorted(neg), columns=["gene_a", "gene_b"]).assign(label=0)],
                      ignore_index=True)
    table["fold"] = rng.choice(["train", "train", "train", "val", "test"], size=len(table))
    table.loc[:2, "fold"] = ["train", "test", "val"]  # every fold has a positive
    return table


def test_user_pair_table_reproduces_exactly_its_folds(tmp_path, inputs):
    given = user_table()
    path = tmp_path / "published.tsv"
    given.assign(extra="x").to_csv(path, sep="\t", index=False)  # extra columns are ignored
    out = tmp_path / "pairs.tsv"
    table = build_pairs(**inputs, out=out, split="published", seed=3, spec={"name": "published", "pairs": str(path)})
    got = {(a, b): (la, f) for a, b, la, f in zip(table["gene_a"], table["gene_b"], table["label"], table["fold"])}
    want = {(a, b): (la, f) for a, b, la, f in zip(given["gene_a"], given["gene_b"], given["label"], given["fold"])}
    assert got == want
    assert pd.read_csv(out, sep="\t").equals(table)
    # The seed does not change a user table; pair_class counts genes of training positives.
    again = build_pairs(**inputs, out=tmp_path / "p2.tsv", split="published", seed=4,
                        spec={"name": "published", "pairs": str(path)})
    assert again.equals(table)
    train_pos = table[(table["fold"] == "train") & (table["label"] == 1)]
    seen = set(train_pos["gene_a"]) | set(train_pos["gene_b"])
    held = table[table["fold"] != "train"]
    assert held["pair_class"].tolist() == (held["gene_a"].isin(seen).astype(int)
                                           + held["gene_b"].isin(seen).astype(int)).tolist()


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.assign(gene_a=t["gene_a"].where(t.index != 5, "NOPE")), r"line 7: gene_a not a gene .*NOPE"),
    (lambda t: t.assign(fold=t["fold"].where(t.index != 9, "holdout")), r"line 11: fold must be one of .*holdout"),
    (lambda t: t.assign(label=t["label"].astype(str).where(t.index != 2, "yes")), r"line 4: label must be 0 or 1"),
    (lambda t: pd.concat([t, t.iloc[[0]]]), r"line \d+: the pair occurs twice"),
    (lambda t: t.drop(columns="fold"), r"lacks column\(s\) fold"),
    (lambda t: t.assign(fold=np.where(t["fold"] == "test", "val", t["fold"])), r"the test fold has no positive"),
])
def test_user_pair_table_errors_name_file_and_line(tmp_path, inputs, edit, message):
    path = tmp_path / "bad.tsv"
    edit(user_table()).to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match=r"bad\.tsv: " + message):
        build_pairs(**inputs, out=tmp_path / "out.tsv", split="mine", seed=0, spec={"name": "mine", "pairs": str(path)})
    assert not (tmp_path / "out.tsv").exists()


def test_heldout_regulator_list(tmp_path, inputs):
    path = tmp_path / "heldout.txt"
    path.write_text("# my held-out TFs\nG001\nG005\ttest\nG007\tval\n")
    table = build_pairs(**inputs, out=tmp_path / "out.tsv", split="mine", seed=0,
                        spec={"name": "mine", "regulators": str(path)})
    assert set(table.loc[table["fold"] == "test", "gene_a"]) == {"G001", "G005"}
    assert set(table.loc[table["fold"] == "val", "gene_a"]) == {"G007"}
    assert not {"G001", "G005", "G007"} & set(table.loc[table["fold"] == "train", "gene_a"])
    # No val listed: val regulators are drawn among the others.
    path.write_text("G001\n")
    table = build_pairs(**inputs, out=tmp_path / "out.tsv", split="mine", seed=0,
                        spec={"name": "mine", "regulators": str(path)})
    val = set(table.loc[table["fold"] == "val", "gene_a"])
    assert val and "G001" not in val and set(table.loc[table["fold"] == "test", "gene_a"]) == {"G001"}
    for text, message in (("G001\nXYZ\n", "line 2: regulator XYZ is not a gene"),
                          ("G001\tholdout\n", "line 1: fold 'holdout' must be val or test"),
                          ("G001\nG001\n", "line 2: regulator G001 is listed twice"),
                          ("G001\tval\n", "no regulator is held out for the test fold")):
        path.write_text(text)
        with pytest.raises(InputError, match=message):
            build_pairs(**inputs, out=tmp_path / "out.tsv", split="mine", seed=0,
                        spec={"name": "mine", "regulators": str(path)})


@pytest.mark.slow
def test_user_splits_run_through_the_workflow(tmp_path):
    """Real Snakemake: a held-out regulator list and a pair table are splits like the others."""
    from helpers import run_workflow, tiny_config

    base = tiny_config(methods=["degree", "correlation", "random"])
    run_workflow(tmp_path, base, ["results/demo/pairs/random/seed0.tsv"])
    network = pd.read_csv(tmp_path / "results/demo/data/network.tsv", sep="\t")
    heldout = network["regulator"].value_counts().index[[1, 3]]
    (tmp_path / "heldout_demo.txt").write_text("\n".join(heldout) + "\n")
    given = pd.read_csv(tmp_path / "results/demo/pairs/random/seed0.tsv", sep="\t")
    given = given.groupby(["fold", "label"]).head(30)[["gene_a", "gene_b", "label", "fold"]]
    given.to_csv(tmp_path / "published.tsv", sep="\t", index=False)
    config = dict(base, splits=["random", {"name": "mine", "regulators": "heldout_{dataset}.txt"},
                                {"name": "published", "pairs": "published.tsv"}])
    run_workflow(tmp_path, config, ["results/demo/comparison/metrics.tsv", "results/demo/comparison/beeline.tsv"])
    metrics = pd.read_csv(tmp_path / "results/demo/comparison/metrics.tsv", sep="\t")
    assert {(s, m) for s, m in zip(metrics["split"], metrics["method"])} == {
        (s, m) for s in ("random", "mine", "published") for m in ("degree", "correlation", "random")}
    mine = pd.read_csv(tmp_path / "results/demo/pairs/mine/seed0.tsv", sep="\t")
    assert set(mine.loc[mine["fold"] == "test", "gene_a"]) == set(heldout)
    pred = pd.read_csv(tmp_path / "results/demo/predictions/correlation/published/seed0.tsv.gz", sep="\t")
    test = given[given["fold"] == "test"]
    assert set(zip(pred["regulator"], pred["target"], pred["label"])) == set(
        zip(test["gene_a"], test["gene_b"], test["label"]))
