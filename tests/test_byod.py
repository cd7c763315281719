"""Bring your own data, through the real workflow: an .h5ad expression file with a gene-ID
column, a TF list read from one CSV column, gene names in the outputs, batch-wise z-score,
command-line list values, and a user config replacing the demo's datasets."""

import shutil

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from grnflow.synthetic import write_dataset
from h5ad_files import write_h5ad
from helpers import REPO, TINY_CONFIG, run_workflow, tiny_config

pytestmark = pytest.mark.slow


def _user_dataset(tmp_path):
    """The tiny demo's generated files, re-shaped as a user brings them (h5ad, CSV TF list)."""
    raw = tmp_path / "raw"
    write_dataset(TINY_CONFIG["datasets"]["demo"]["synthetic"], raw)
    expr = pd.read_csv(raw / "expression.tsv", sep="\t", index_col=0)
    cells = expr.T.to_numpy().copy()
    cells[cells < 4.5] = 0.0  # make it sparse, as counts are
    genes = list(expr.index)
    symbols = ["" if i < 10 else f"SYM{i}" for i in range(len(genes))]
    write_h5ad(raw / "cells.h5ad", sp.csr_matrix(cells), list(expr.columns), [f"v{i}" for i in range(len(genes))],
               var={"gene_ids": genes, "symbol": symbols}, categorical=("symbol",))
    tfs = (raw / "tfs.txt").read_text().split()
    pd.DataFrame({"TF": tfs, "family": "x"}).to_csv(raw / "tfs.csv")  # pandas layout: ,TF,family
    sheet = pd.read_csv(raw / "samples.tsv", sep="\t", dtype=str, keep_default_na=False)
    sheet["series"] = np.where(np.arange(len(sheet)) < len(sheet) // 3, "early", "late")
    sheet.to_csv(raw / "sheet.tsv", sep="\t", index=False)
    dataset = {
        "inputs": {
            "expression": str(raw / "cells.h5ad"),
            "network": str(raw / "network.tsv"),
            "tfs": {"path": str(raw / "tfs.csv"), "column": "TF"},
            "genome": str(raw / "genome.fa"),
            "annotation": str(raw / "annotation.gff3"),
            "samples": str(raw / "sheet.tsv"),
        },
        "expression": {"gene_column": "gene_ids"},
        "network": {"regulator_column": "regulator", "target_column": "target", "sign_column": "sign"},
        "normalize": {"methods": ["zscore"], "batch_column": "series"},
        "gene_names": {"h5ad_column": "symbol"},
        "promoter": {"upstream": 300},
    }
    return raw, cells, genes, tfs, sheet, dataset


def test_h5ad_dataset_with_csv_tfs_names_batches_and_cli_seeds(tmp_path):
    raw, cells, genes, tfs, sheet, dataset = _user_dataset(tmp_path)
    config = tiny_config(datasets={"mine": dataset}, methods=["degree", "correlation"], splits=["random"])
    work = tmp_path / "run"
    proc = run_workflow(work, config, targets=["results/report/index.html"], extra=["--config", "seeds=[0,1]"])
    assert "grnflow: datasets (1): mine" in proc.stderr
    assert "seeds: 0, 1" in proc.stderr

    data = work / "results/mine/data"
    # batch-wise z-score, by hand: per gene, within the `series` batches of the sheet
    batch = sheet.set_index("sample")["series"]
    expr = pd.read_csv(data / "expression.tsv", sep="\t", index_col=0)
    assert list(expr.index) == genes
    values = pd.DataFrame(cells.T, index=genes, columns=sheet["sample"])
    for label in ("early", "late"):
        block = values.loc[:, (batch == label).to_numpy()]
        mean, sd = block.mean(axis=1), block.std(axis=1, ddof=0)
        expected = block.sub(mean, axis=0).div(sd.where(sd > 0, 1.0), axis=0)
        np.testing.assert_allclose(expr[block.columns].to_numpy(), expected.to_numpy(), atol=2e-5)
    assert "normalizing within 2 batch(es)" in (work / "logs/mine/normalize.log").read_text()

    assert (data / "tfs.txt").read_text().split() == tfs  # the TF column, not the index
    names = pd.read_csv(data / "gene_names.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert names["gene"].tolist() == genes
    # h5ad symbols where given, else the annotation's Name (lower-case ID in the demo GFF)
    assert names["name"].tolist() == [g.lower() if i < 10 else f"SYM{i}" for i, g in enumerate(genes)]

    metrics = pd.read_csv(work / "results/mine/comparison/metrics.tsv", sep="\t")
    assert sorted(metrics["seed"].unique()) == [0, 1]

    # the report: named-gene count and the best method's top pair with both names
    html = (work / "results/report/index.html").read_text()
    named = int((names["name"] != "").sum())
    assert f'<th class="name">genes with a name</th><td>{named}</td>' in html
    summary = pd.read_csv(work / "results/mine/comparison/summary.tsv", sep="\t")
    best = summary[summary["split"] == "random"].sort_values("auroc_mean", ascending=False)["method"].iloc[0]
    preds = pd.read_csv(work / f"results/mine/predictions/{best}/random/seed0.tsv.gz", sep="\t")
    top = preds.sort_values("score", ascending=False, kind="stable").iloc[0]
    name = dict(zip(names["gene"], names["name"]))
    assert f"Top predicted pairs ({best}, split random, seed 0)" in html
    assert (f'<td class="name">{top.regulator}</td><td class="name">{name[top.regulator]}</td>'
            f'<td class="name">{top.target}</td><td class="name">{name[top.target]}</td>') in html


def test_tf_csv_without_column_fails_the_dry_run(tmp_path):
    raw, _, _, _, _, dataset = _user_dataset(tmp_path)
    dataset["inputs"]["tfs"] = str(raw / "tfs.csv")
    work = tmp_path / "run"
    proc = run_workflow(work, tiny_config(datasets={"mine": dataset}), extra=["--dry-run"], check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "tfs.csv: the datasets.mine.inputs.tfs list has 3 columns" in out
    assert "its first column looks like a row index" in out and "column: <name>" in out
    assert "Traceback" not in out
    assert not (work / "results").exists()


def test_user_configfile_replaces_the_demo_datasets(tmp_path):
    """Run from a folder holding config/config.yaml (the demo), as from the repository."""
    work = tmp_path / "run"
    (work / "config").mkdir(parents=True)
    shutil.copy(REPO / "config" / "config.yaml", work / "config" / "config.yaml")
    user = {"datasets": {"mine": {"synthetic": {"n_genes": 40, "n_tfs": 5, "n_conditions": 12, "n_knockouts": 2}}},
            "methods": ["degree"], "splits": ["random"], "seeds": [0]}
    proc = run_workflow(work, user, extra=["--dry-run"])
    out = proc.stdout + proc.stderr
    assert "grnflow: datasets (1): mine" in out
    assert "REPLACE those of config/config.yaml" in out
    assert "results/demo" not in out and "results/mine/comparison/metrics.tsv" in out


def test_unknown_h5ad_layer_fails_the_dry_run(tmp_path):
    _, _, _, _, _, dataset = _user_dataset(tmp_path)
    dataset["expression"]["layer"] = "counts"
    work = tmp_path / "run"
    proc = run_workflow(work, tiny_config(datasets={"mine": dataset}), extra=["--dry-run"], check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "cells.h5ad: `expression.layer: counts` is not in the file (layers: none)" in out
    assert "Traceback" not in out and not (work / "results").exists()
