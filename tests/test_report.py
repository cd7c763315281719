import math
import re

import numpy as np
import pandas as pd
import pytest

from grnflow.compare import compare
from grnflow.predictions import write_job_metrics, write_predictions
from grnflow.report import build_report, data_summary, figure_names, mean_sd, model_warnings
from helpers import REPO

SPLITS = ["random", "tf_holdout"]
METHODS = ["gener", "mtlgrn", "degree", "correlation", "trees", "random"]
SEEDS = [0, 1]
N = 60


def _scores(strength: float, labels: np.ndarray, rng) -> np.ndarray:
    """Scores whose separation of the labels grows with `strength` (0 = chance)."""
    return strength * labels + rng.normal(size=labels.size)


def make_results(root, gener_strength: float, degree_strength: float = 1.0, dataset: str = "toy"):
    """A small, complete results tree of one dataset: data files, every job's predictions and
    metrics JSON, and the comparison tables (written by the real `compare`)."""
    data = root / dataset / "data"
    data.mkdir(parents=True)
    genes = [f"g{i}" for i in range(12)]
    expr = pd.DataFrame(np.arange(12 * 4).reshape(12, 4) / 7.0, columns=["s1", "s2", "s3", "s4"])
    expr.insert(0, "gene", genes)
    expr.to_csv(data / "expression.tsv", sep="\t", index=False)
    (data / "network.tsv").write_text("regulator\ttarget\tsign\ng0\tg1\t1\ng0\tg2\t-1\ng3\tg4\t0\n")
    (data / "tfs.txt").write_text("g0\ng3\ng5\n")
    (data / "samples.tsv").write_text(
        "sample\tknockout\tcontrols\ns1\t\t\ns2\t\t\ns3\tg0\ts1;s2\ns4\tg3\ts1\n")
    (data / "promoters.fa").write_text(">g0\nACGT\n>g1\nACGT\n>g2\nAC\nGT\n")
    (data / "promoters.missing.tsv").write_text(
        "gene\treason\ng3\tnot annotated\ng1\tclipped at contig end\n"
    )
    labels = np.tile([1, 0], N // 2)
    test = pd.DataFrame({
        "gene_a": [genes[i % 12] for i in range(N)], "gene_b": [genes[(i * 5 + 1) % 12] for i in range(N)],
        "label": labels, "direction": labels, "fold": "test", "pair_class": np.arange(N) % 3,
    })
    strength = {"gener": gener_strength, "mtlgrn": 6.0, "degree": degree_strength, "correlation": 0.8,
                "trees": 1.2, "random": 0.0}
    preds, mets = [], []
    job = 0
    for split in SPLITS:
        for method in METHODS:
            for seed in SEEDS:
                job += 1
                rng = np.random.default_rng(job)
                pred = root / dataset / "predictions" / method / split / f"seed{seed}.tsv.gz"
                met = root / dataset / "metrics" / method / split / f"seed{seed}.json"
                ranked = write_predictions(test, _scores(strength[method], labels, rng), pred)
                facts = {"threshold": 0.5} if method in ("gener", "mtlgrn") else {}
                if method == "mtlgrn":
                    facts.update(knockout_pearson=0.4 + 0.1 * seed, knockout_direction_accuracy=0.7)
                write_job_metrics(met, ranked, dataset=dataset, split=split, method=method, seed=seed,
                                  train_seconds=2.0, epochs=None, device="cpu", **facts)
                preds.append(pred)
                mets.append(met)
    comp = root / dataset / "comparison"
    compare(dataset, preds, mets, comp / "metrics.tsv", comp / "summary.tsv", comp / "runtime.tsv")
    return root


def render(tmp_path, gener_strength, **kw):
    root = make_results(tmp_path / "results", gener_strength, **kw)
    out = tmp_path / "results" / "report" / "index.html"
    figures = tmp_path / "results" / "report" / "figures"
    warnings = build_report(["toy"], out, figures, METHODS, SPLITS, curve_seed=0, root=root)
    return out.read_text(), warnings, figures


def test_warning_when_a_model_loses_to_degree(tmp_path):
    page, warnings, _ = render(tmp_path, gener_strength=0.0, degree_strength=3.0)
    assert {(w["model"], w["split"]) for w in warnings} == {("gener", "random"), ("gener", "tf_holdout")}
    boxes = re.findall(r'<div class="warning"[^>]*>(.*?)</div>', page, flags=re.S)
    # one summary box at the top + one per model x split
    assert len(boxes) == 3
    summary = pd.read_csv(tmp_path / "results" / "toy" / "comparison" / "summary.tsv", sep="\t")
    row = summary.set_index(["split", "method"])
    for split in SPLITS:
        gener, degree = row.loc[(split, "gener"), "auroc_mean"], row.loc[(split, "degree"), "auroc_mean"]
        assert gener < degree
        text = (f"gener does not beat the degree baseline</b> on toy, split <b>{split}</b>: "
                f"mean AUROC {gener:.3f} (gener) vs {degree:.3f} (degree)")
        assert text in page
    assert "mtlgrn does not beat" not in page


def test_no_warning_when_models_win(tmp_path):
    page, warnings, _ = render(tmp_path, gener_strength=4.0, degree_strength=0.5)
    assert warnings == []
    assert 'class="warning"' not in page
    assert "Every model beats the degree baseline" in page


def test_page_is_self_contained_with_tables_and_figures(tmp_path):
    page, _, figures = render(tmp_path, gener_strength=2.0)
    assert page.startswith("<!DOCTYPE html>")
    assert '<table class="methods">' in page and '<table class="pair-class">' in page
    assert '<table class="knockout">' in page
    for header in ("AUROC", "AUPR", "AUPR ratio", "EPR", "MCC", "F1"):
        assert f"<th>{header}</th>" in page
    # the methods x splits table: every method for every split, mean ± sd over the two seeds
    table = re.search(r'<table class="methods">.*?</table>', page, flags=re.S).group(0)
    rows = re.findall(r'<td class="name">(gener|mtlgrn|degree|correlation|trees|random)</td>', table)
    assert rows == METHODS * len(SPLITS)
    assert re.search(r"<td[^>]*>\d\.\d{3} ± \d\.\d{3}</td>", page)
    # figures: written as files and embedded, nothing fetched from elsewhere
    names = figure_names(SPLITS, METHODS)
    assert names == ["curves_random", "curves_tf_holdout", "pair_class", "knockout"]
    for name in names:
        assert (figures / "toy" / f"{name}.png").stat().st_size > 5000
    assert page.count('src="data:image/png;base64,') == len(names)
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<script" not in page and "<link" not in page
    # data summary
    assert '<th class="name">knockout samples</th><td>2</td>' in page
    assert '<th class="name">promoters found</th><td>3</td>' in page


def test_data_summary_counts(tmp_path):
    make_results(tmp_path, 1.0)
    assert data_summary(tmp_path, "toy") == {
        "genes": 12, "samples": 4, "reference edges": 3, "regulators in the network": 2,
        "knockout samples": 2, "knocked-out genes": 2, "promoters found": 3, "genes without promoter": 1,
        "promoters clipped at a contig end": 1, "TF list": 3,
    }


def test_model_warnings_rule():
    summary = pd.DataFrame({
        "split": ["random"] * 3 + ["tf_holdout"] * 3 + ["gene_disjoint"] * 2,
        "method": ["gener", "mtlgrn", "degree"] * 2 + ["gener", "random"],
        "auroc_mean": [0.834, 0.9, 0.848, 0.7, 0.7, 0.7, 0.6, 0.5],
    })
    got = model_warnings(summary)
    # a tie does not beat the baseline; a split without degree cannot be checked
    assert got == [
        {"model": "gener", "split": "random", "model_auroc": 0.834, "degree_auroc": 0.848},
        {"model": "gener", "split": "tf_holdout", "model_auroc": 0.7, "degree_auroc": 0.7},
        {"model": "mtlgrn", "split": "tf_holdout", "model_auroc": 0.7, "degree_auroc": 0.7},
    ]


def test_mean_sd_formatting():
    assert mean_sd(0.8341, 0.01234) == "0.834 ± 0.012"
    assert mean_sd(0.8341, math.nan) == "0.834"
    assert mean_sd(math.nan, math.nan) == "–"


def test_knockout_note_without_knockout_metrics(tmp_path):
    root = make_results(tmp_path / "results", 2.0)
    summary = root / "toy" / "comparison" / "summary.tsv"
    table = pd.read_csv(summary, sep="\t")
    table = table.drop(columns=[c for c in table.columns if c.startswith("knockout_")])
    table.to_csv(summary, sep="\t", index=False)
    out = tmp_path / "index.html"
    build_report(["toy"], out, tmp_path / "fig", METHODS, SPLITS, root=root)
    page = out.read_text()
    assert "MTLGRN reported no knockout metrics" in page
    assert (tmp_path / "fig" / "toy" / "knockout.png").exists()


@pytest.mark.parametrize("methods", [["degree", "random"]])
def test_report_without_models_or_knockout(tmp_path, methods):
    root = make_results(tmp_path / "results", 2.0)
    out = tmp_path / "index.html"
    build_report(["toy"], out, tmp_path / "fig", methods, SPLITS, root=root)
    assert not (tmp_path / "fig" / "toy" / "knockout.png").exists()


def test_clipped_reason_matches_the_promoters_stage():
    from grnflow import promoters, report

    assert report.CLIPPED == promoters.CLIPPED


def test_notices_render_on_the_page_and_in_a_dataset_section(tmp_path):
    from grnflow.compare import read_comparison
    from grnflow.report import dataset_context, notice, render_page

    root = make_results(tmp_path / "results", gener_strength=4.0, degree_strength=0.5)
    comparison = root / "toy" / "comparison"
    ds = dataset_context("toy", read_comparison(comparison / "summary.tsv"),
                         read_comparison(comparison / "metrics.tsv"), {"genes": 12}, {}, 0)
    assert "knockout" not in ds["sections"]  # no knockout figure, no knockout section
    ds["alerts"].append(notice("warning", "gener did not converge", "val loss <rose> after epoch 3"))
    page = render_page([ds], METHODS, page_alerts=[notice("note", "Heads up", "a page-wide note")])
    assert ('<div class="warning" role="alert"><b>gener did not converge</b> '
            "val loss &lt;rose&gt; after epoch 3</div>") in page
    assert '<div class="note"><b>Heads up</b> a page-wide note</div>' in page
    assert page.index("Heads up") < page.index('<section id="toy">') < page.index("did not converge")
    assert "Knockout prediction" not in page
    with pytest.raises(ValueError, match="notice level 'loud'"):
        notice("loud", "x")


def test_every_section_has_a_template_and_the_rule_reads_them():
    from grnflow.report import SECTIONS, TEMPLATES, template_files

    files = template_files()
    for name in SECTIONS:
        assert str(TEMPLATES / "sections" / f"{name}.html.j2") in files
    assert str(TEMPLATES / "report.html.j2") in files
    rule = (REPO / "workflow" / "rules" / "report.smk").read_text()
    assert "templates=template_files()" in rule
