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


def test_warning_when_a_model_loses_to_the_best_baseline(tmp_path):
    page, warnings, _ = render(tmp_path, gener_strength=0.0, degree_strength=3.0)
    assert {(w["model"], w["split"], w["best_baseline"]) for w in warnings} == {
        ("gener", "random", "degree"), ("gener", "tf_holdout", "degree")}
    assert {w["metric"] for w in warnings} == {"auroc", "aupr_ratio", "epr"}
    boxes = re.findall(r'<div class="warning"[^>]*>(.*?)</div>', page, flags=re.S)
    # one summary box at the top + one per model x split x metric
    assert len(boxes) == 1 + 6
    metrics = pd.read_csv(tmp_path / "results" / "toy" / "comparison" / "metrics.tsv", sep="\t")
    for split in SPLITS:
        here = metrics[metrics["split"] == split].set_index(["method", "seed"])["auroc"]
        diff = np.array([here[("gener", s)] - here[("degree", s)] for s in SEEDS])
        chance = f"; below chance (auroc {here['gener'].mean():.3f} &lt; 0.5)" if here["gener"].mean() < 0.5 else ""
        text = (f"<b>Warning — gener does not beat degree (0 of 2 seeds won){chance}</b> on toy, split <b>{split}</b>, "
                f"AUROC: mean {here['gener'].mean():.3f} (gener) vs {here['degree'].mean():.3f} "
                f"(degree, the best baseline of the split); paired per-seed difference "
                f"{diff.mean():.3f} ± {diff.std(ddof=1):.3f}, won on 0 of 2 seed(s).")
        assert text in page
    assert "mtlgrn does not beat" not in page


def test_warning_names_the_best_baseline_not_degree(tmp_path):
    # gener beats degree (0.5) but not trees (1.2): the warning is against trees.
    page, warnings, _ = render(tmp_path, gener_strength=0.9, degree_strength=0.5)
    auroc = [w for w in warnings if w["metric"] == "auroc"]
    assert auroc and {w["best_baseline"] for w in auroc} == {"trees"} and {w["model"] for w in auroc} == {"gener"}
    assert "gener does not beat trees" in page and "does not beat degree" not in page


def test_no_warning_when_models_win(tmp_path):
    page, warnings, _ = render(tmp_path, gener_strength=4.0, degree_strength=0.5)
    assert warnings == []
    assert 'class="warning"' not in page
    assert "Every model beats the best baseline of every split" in page


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
    rows = []
    for seed in (0, 1):
        for method, auroc in (("gener", 0.834), ("mtlgrn", 0.9), ("degree", 0.848), ("trees", 0.86), ("random", 0.5)):
            rows.append({"dataset": "d", "split": "random", "method": method, "seed": seed, "auroc": auroc + 0.01 * seed,
                         "aupr_ratio": 3.0 if method == "mtlgrn" else 2.0, "epr": 3.0 if method == "mtlgrn" else 2.0})
        for method, auroc in (("gener", 0.45), ("degree", 0.4)):
            rows.append({"dataset": "d", "split": "tf_holdout", "method": method, "seed": seed, "auroc": auroc,
                         "aupr_ratio": 1.5, "epr": 1.5})
    got = model_warnings(pd.DataFrame(rows))
    keys = [(w["split"], w["model"], w["metric"], w["best_baseline"]) for w in got]
    # random: gener loses to trees (best baseline) in AUROC, ties in the others (a tie does not
    # beat the baseline); mtlgrn does not beat trees in AUROC (0.9 > 0.86: it does). tf_holdout:
    # gener beats degree but is below chance in AUROC; ties in the others.
    assert keys == [("random", "gener", "auroc", "trees"), ("random", "gener", "aupr_ratio", "degree"),
                    ("random", "gener", "epr", "degree"), ("tf_holdout", "gener", "auroc", "degree"),
                    ("tf_holdout", "gener", "aupr_ratio", "degree"), ("tf_holdout", "gener", "epr", "degree")]
    assert got[0]["diff"] == f"{0.834 - 0.86:.3f} ± 0.000" and got[0]["wins"] == 0
    assert got[3]["text"] == "below chance (auroc 0.450 < 0.5)"


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


def test_small_pair_class_groups_are_greyed_with_their_n(tmp_path):
    root = make_results(tmp_path / "results", 2.0)
    out = tmp_path / "index.html"
    # Every class holds 10 positives and 10 negatives: below 20, each group shows its n only.
    build_report(["toy"], out, tmp_path / "fig", METHODS, SPLITS, root=root)
    table = re.search(r'<table class="pair-class">.*?</table>', out.read_text(), flags=re.S).group(0)
    assert table.count('<td class="few">n = 10/10</td>') == len(METHODS) * len(SPLITS) * 6
    assert not re.search(r"<td>\d\.\d{3}", table)
    build_report(["toy"], out, tmp_path / "fig", METHODS, SPLITS, root=root, settings={"min_group_pairs": 10})
    table = re.search(r'<table class="pair-class">.*?</table>', out.read_text(), flags=re.S).group(0)
    assert 'class="few"' not in table and re.search(r"<td>\d\.\d{3}", table)


def test_regulator_share_warning_and_beeline_section(tmp_path):
    from grnflow.beeline import COLUMNS

    root = make_results(tmp_path / "results", 4.0, degree_strength=0.5)
    out = tmp_path / "index.html"
    build_report(["toy"], out, tmp_path / "fig", METHODS, SPLITS, root=root)
    page = out.read_text()
    assert '<table class="regulators">' in page and "Warning — one regulator holds" not in page
    assert '<table class="beeline">' not in page  # no beeline.tsv
    row = dict(zip(COLUMNS, ["toy", "correlation", 0, 2, 5, 8, 3, 0.375, 0.7, 0.6, 0.55, 1.4667, 3, 3, 0.6667, 1.7778]))
    pd.DataFrame([row]).to_csv(root / "toy" / "comparison" / "beeline.tsv", sep="\t", index=False)
    # Each of the 6 positive regulators holds 1/6 of the test positives: above a 0.1 limit.
    build_report(["toy"], out, tmp_path / "fig", METHODS, SPLITS, root=root, settings={"top_regulator_limit": 0.1})
    page = out.read_text()
    assert page.count("one regulator holds 17% of the test positives") == len(SPLITS)
    assert '<table class="beeline">' in page and "<td>1.467</td>" in page and "density 0.3750" in page
    assert "What the numbers mean" in page and "average precision" in page
