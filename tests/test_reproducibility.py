"""Same config and seeds on CPU -> the same results, byte for byte; every run records provenance.

Two real runs of the tiny demo in two folders: the session's `demo_run` and one more here.
"""

from __future__ import annotations

import hashlib
import io
import json

import pandas as pd
import pytest

from helpers import TINY_CONFIG, run_workflow

pytestmark = pytest.mark.slow

METRICS = "results/demo/comparison/metrics.tsv"


@pytest.fixture(scope="module")
def second_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("repro_second")
    run_workflow(workdir, TINY_CONFIG)
    return workdir


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_comparison_metrics_byte_identical(demo_run, second_run):
    table = pd.read_csv(demo_run / METRICS, sep="\t")
    assert len(table) == len(TINY_CONFIG["splits"]) * len(TINY_CONFIG["methods"]) * len(TINY_CONFIG["seeds"])
    assert table["auroc"].notna().all()
    assert sha256(demo_run / METRICS) == sha256(second_run / METRICS)
    # the run facts that do differ between identical runs live in their own table
    runtime = pd.read_csv(demo_run / "results/demo/comparison/runtime.tsv", sep="\t")
    assert len(runtime) == len(table) and (runtime["device"] == "cpu").all()


@pytest.mark.parametrize("name", [
    "results/demo/data/expression.tsv",
    "results/demo/data/network.tsv",
    "results/demo/data/samples.tsv",
    "results/demo/data/promoters.fa",
    *[f"results/demo/pairs/{split}/seed0.tsv" for split in TINY_CONFIG["splits"]],
    *[f"results/demo/predictions/{m}/{s}/seed0.tsv.gz"
      for m in TINY_CONFIG["methods"] for s in TINY_CONFIG["splits"]],
])
def test_stage_outputs_byte_identical(demo_run, second_run, name):
    assert sha256(demo_run / name) == sha256(second_run / name), name


def test_provenance_record(demo_run, second_run):
    record = json.loads((demo_run / "results/provenance.json").read_text())
    # the validated config (defaults filled in) with the seeds
    assert record["seeds"] == TINY_CONFIG["seeds"] == record["config"]["seeds"]
    assert record["config"]["datasets"]["demo"]["synthetic"]["seed"] == 7
    assert record["config"]["gener"]["epochs"] == TINY_CONFIG["gener"]["epochs"]
    assert record["config"]["gener"]["learning_rate"] > 0  # a schema default was filled in
    # input checksums, recomputable from the files
    inputs = record["inputs"]["demo"]
    assert {"expression", "network", "tfs", "genome", "annotation", "samples"} <= set(inputs)
    for key, entry in inputs.items():
        assert entry["sha256"] == sha256(demo_run / entry["path"]), key
    # package versions of everything that shapes the numbers
    for package in ("snakemake", "numpy", "pandas", "scikit-learn", "torch", "torch-geometric", "keras"):
        assert record["packages"].get(package), package
    assert record["python"] and record["platform"]
    # the device of every training job
    devices = record["devices"]
    for method in ("gener", "mtlgrn"):
        for split in TINY_CONFIG["splits"]:
            key = f"results/demo/metrics/{method}/{split}/seed0.json"
            assert devices.get(key, "").lower().startswith("cpu"), (key, devices)
    # a second identical run records the same provenance
    again = json.loads((second_run / "results/provenance.json").read_text())
    assert again == record


def test_provenance_written_atomically_as_json(demo_run):
    text = (demo_run / "results/provenance.json").read_text()
    assert text.endswith("}\n")
    json.load(io.StringIO(text))
    assert not list((demo_run / "results").glob(".provenance.json.*"))
