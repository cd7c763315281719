"""The real path never rots: E. coli PRECISE-278 end to end from the offline mirror, reduced.

Every method x split with one seed and very few epochs (config/ci_real.yaml): the numbers mean
nothing, the run proves that real files flow through every stage. `make bench-real` measures.
"""

import gzip

import pandas as pd
import pytest

from helpers import REPO, run_workflow

DATASET = "ecoli_precise278"
pytestmark = [pytest.mark.slow, pytest.mark.shared_data]


@pytest.fixture(scope="module")
def ecoli_run(tmp_path_factory, shared_data):
    import yaml

    config = yaml.safe_load((REPO / "config" / "datasets" / f"{DATASET}.yaml").read_text())
    config.update(yaml.safe_load((REPO / "config" / "ci_real.yaml").read_text()))
    config["download"] = {"mirror": str(shared_data)}
    workdir = tmp_path_factory.mktemp("ecoli")
    run_workflow(workdir, config, timeout=3000)
    return workdir


def test_every_method_split_has_a_row(ecoli_run):
    metrics = pd.read_csv(ecoli_run / "results" / DATASET / "comparison" / "metrics.tsv", sep="\t")
    assert len(metrics) == 6 * 3
    assert set(metrics["method"]) == {"gener", "mtlgrn", "degree", "correlation", "trees", "random"}
    assert set(metrics["split"]) == {"random", "tf_holdout", "gene_disjoint"}
    assert (metrics["n_pos"] > 100).all() and (metrics["n_neg"] > 100).all()
    # The hub shortcut is real on real data: on a random edge split the training degrees alone
    # rank well, and on gene_disjoint (no test gene has a training degree) they say nothing.
    by = metrics.set_index(["split", "method"])["auroc"]
    assert by[("random", "degree")] > 0.7
    assert by[("gene_disjoint", "degree")] == 0.5


def test_real_inputs_flowed_through(ecoli_run):
    data = ecoli_run / "results" / DATASET / "data"
    expression = pd.read_csv(data / "expression.tsv", sep="\t", usecols=[0])
    assert len(expression) == 3923
    samples = pd.read_csv(data / "samples.tsv", sep="\t", keep_default_na=False)
    assert len(samples) == 278
    assert (samples["knockout"] != "").sum() == 75
    with open(data / "promoters.fa") as fh:
        promoters = sum(line.startswith(">") for line in fh)
    assert promoters > 3800
    network = pd.read_csv(data / "network.tsv", sep="\t")
    assert len(network) > 5000 and network["regulator"].str.match(r"^b\d{4}$").all()


def test_report_and_predictions(ecoli_run):
    page = (ecoli_run / "results" / "report" / "index.html").read_text()
    assert f"Dataset {DATASET}" in page or DATASET in page
    with gzip.open(ecoli_run / "results" / DATASET / "predictions" / "gener" / "random" / "seed0.tsv.gz", "rt") as fh:
        ranked = pd.read_csv(fh, sep="\t")
    assert ranked["score"].is_monotonic_decreasing
