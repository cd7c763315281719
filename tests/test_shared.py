"""Compute once: datasets with identical inputs and settings share features and tree importances."""

import copy
import re

import pytest

from grnflow.shared import share_file, stage_groups, stage_key
from helpers import run_workflow, tiny_config

ECOLI = {
    "inputs": {
        "expression": {"url": "https://example.org/x.whl", "sha256": "a" * 64, "member": "log_tpm.csv"},
        "network": "data/regulondb.tsv",
        "samples": "results/ecoli/prepared/samples.tsv",
    },
    "network": {"sep": "comma"},
    "pairs": {"negative_ratio": 1},
    "promoter": {"upstream": 300},
}


def test_key_ignores_what_the_stage_does_not_read():
    other = copy.deepcopy(ECOLI)
    other["inputs"]["network"] = "data/other_network.tsv"
    other["network"] = {"sep": "tab"}
    other["pairs"] = {"negative_ratio": 3}
    # the prepared input under results/<dataset>/ comes from the dataset's own (equal) settings
    other["inputs"]["samples"] = "results/ecoli_b/prepared/samples.tsv"
    assert stage_key("ecoli", ECOLI, "features") == stage_key("ecoli_b", other, "features")
    # the TF list comes from the network: tree importances differ, pair settings alone do not
    assert stage_key("ecoli", ECOLI, "tree_importances") != stage_key("ecoli_b", other, "tree_importances")
    same_net = copy.deepcopy(ECOLI)
    same_net["pairs"] = {"negative_ratio": 3}
    assert stage_key("ecoli", ECOLI, "tree_importances") == stage_key("ecoli", same_net, "tree_importances")


@pytest.mark.parametrize("change", ["expression", "promoter", "settings"])
def test_key_changes_with_what_the_stage_reads(change):
    other = copy.deepcopy(ECOLI)
    settings = {"kmer": 4}
    if change == "expression":
        other["inputs"]["expression"]["sha256"] = "b" * 64
    elif change == "promoter":
        other["promoter"] = {"upstream": 500}
    else:
        settings = {"kmer": 5}
    assert stage_key("ecoli", ECOLI, "features", {"kmer": 4}) != stage_key("ecoli", other, "features", settings)


def test_groups_keep_the_order_of_the_datasets():
    configs = {"a": ECOLI, "b": ECOLI, "c": {**ECOLI, "promoter": {"upstream": 1}}}
    groups = stage_groups(["b", "a", "c"], configs, "features")
    assert sorted(groups.values()) == [["b", "a"], ["c"]]


def test_share_file_links_or_copies_whole_files(tmp_path):
    source = tmp_path / "shared.tsv"
    source.write_text("gene\tpc1\ng1\t0.5\n")
    target = tmp_path / "ds" / "features.tsv"
    assert share_file(source, target) in ("hard link", "copy")
    assert target.read_text() == source.read_text()
    assert not list(target.parent.glob(".*.part"))


@pytest.mark.slow
def test_two_datasets_with_identical_data_run_features_and_trees_once(tmp_path):
    config = tiny_config(methods=["trees"], splits=["random"])
    demo = config["datasets"]["demo"]
    config["datasets"] = {
        "demo": demo,
        "demo_pairs": {**copy.deepcopy(demo), "pairs": {"negative_ratio": 2}},  # same data
        "demo_other": {**copy.deepcopy(demo), "synthetic": {**demo["synthetic"], "seed": 8}},
    }
    targets = [f"results/{ds}/{path}" for ds in config["datasets"]
               for path in ("mtlgrn/features.tsv", "baselines/tree_importances.tsv")]
    plan = run_workflow(tmp_path, config, targets=targets, extra=["-n"])
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", plan.stdout, re.M))
    assert counts["features"] == "2" and counts["tree_importances"] == "2"
    assert counts["share_features"] == "3" and counts["share_tree_importances"] == "3"
    # demo_pairs' own data files are not even needed for these two results
    assert counts["normalize"] == "2" and counts["synthesize"] == "2"

    run_workflow(tmp_path, config, targets=targets)
    res = tmp_path / "results"
    for path in ("mtlgrn/features.tsv", "baselines/tree_importances.tsv"):
        assert (res / "demo" / path).read_bytes() == (res / "demo_pairs" / path).read_bytes()
        assert (res / "demo" / path).read_bytes() != (res / "demo_other" / path).read_bytes()
    assert len(list((tmp_path / "benchmarks" / "_shared" / "features").glob("*.tsv"))) == 2
    log = (tmp_path / "logs" / "demo_pairs" / "features.log").read_text()
    assert "computed once for the datasets demo, demo_pairs" in log
    assert "k-mer features" in log  # the computing job's own log follows
    # nothing is planned again right after (links share the source's modification time)
    again = run_workflow(tmp_path, config, targets=targets, extra=["-n"])
    assert "Nothing to be done" in again.stdout + again.stderr
