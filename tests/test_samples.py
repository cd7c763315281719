"""The samples stage on hand-made sample sheets, plus one real run of normalize -> samples."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from grnflow.errors import InputError
from grnflow.samples import build_samples
from helpers import run_workflow

SAMPLES = ["wt1", "wt2", "ko_a1", "wt3", "ko_b1", "ko_a2"]


@pytest.fixture
def expression(tmp_path):
    path = tmp_path / "expression.tsv"
    rows = [f"g{i}\t" + "\t".join(["0.5"] * len(SAMPLES)) for i in range(1, 5)]
    path.write_text("gene\t" + "\t".join(SAMPLES) + "\n" + "\n".join(rows) + "\n")
    return path


def sheet(tmp_path, text, name="sheet.tsv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def rows(table: pd.DataFrame) -> list[tuple]:
    return list(table[["sample", "knockout", "controls"]].itertuples(index=False, name=None))


def test_no_sheet_all_wild_type(tmp_path, expression, caplog):
    out = tmp_path / "samples.tsv"
    with caplog.at_level(logging.INFO):
        build_samples(expression, out)
    assert out.read_text() == "sample\tknockout\tcontrols\n" + "".join(f"{s}\t\t\n" for s in SAMPLES)
    assert "no sample sheet: all 6 samples are wild type" in caplog.text


def test_groups_match_controls(tmp_path, expression):
    src = sheet(
        tmp_path,
        "sample\tknockout\tgroup\n"
        "wt1\t\tA\nwt2\tNA\tB\nko_a1\tg1\tA\nwt3\t\tA\nko_b1\tg2\tB\nko_a2\tg3\tA\n",
    )
    out = tmp_path / "samples.tsv"
    table = build_samples(expression, out, src)
    assert rows(table) == [
        ("wt1", "", ""),
        ("wt2", "", ""),
        ("ko_a1", "g1", "wt1;wt3"),
        ("wt3", "", ""),
        ("ko_b1", "g2", "wt2"),
        ("ko_a2", "g3", "wt1;wt3"),
    ]
    assert out.read_text().splitlines()[3] == "ko_a1\tg1\twt1;wt3"


def test_no_group_all_wild_type_controls_and_unlisted_samples(tmp_path, expression, caplog):
    # Comma-separated, upper-case header, only the knockouts listed.
    src = sheet(tmp_path, "Sample,Knockout\nko_a1,g1\nko_b1,g2\nko_a2,g1\n", "sheet.csv")
    with caplog.at_level(logging.INFO):
        table = build_samples(expression, tmp_path / "s.tsv", src)
    assert rows(table)[2] == ("ko_a1", "g1", "wt1;wt2;wt3")
    assert rows(table)[4] == ("ko_b1", "g2", "wt1;wt2;wt3")
    assert rows(table)[0] == ("wt1", "", "")
    assert "3 expression sample(s) are not in the sheet and count as wild type: wt1, wt2, wt3" in caplog.text


def test_explicit_controls_win_over_group(tmp_path, expression):
    src = sheet(
        tmp_path,
        "sample\tknockout\tgroup\tcontrols\n"
        "wt1\t\tA\t\nwt2\t\tA\t\nwt3\t\tB\t\n"
        "ko_a1\tg1\tA\t wt3 \nko_a2\tg1\tA\t\nko_b1\tg2\tB\twt1;wt2\n",
    )
    table = build_samples(expression, tmp_path / "s.tsv", src, sep="tab")
    assert {s: c for s, _, c in rows(table)} == {
        "wt1": "", "wt2": "", "wt3": "", "ko_a1": "wt3", "ko_a2": "wt1;wt2", "ko_b1": "wt1;wt2",
    }


def test_sheet_names_unknown_samples(tmp_path, expression):
    src = sheet(tmp_path, "sample\tknockout\nwt1\t\nko_x\tg1\nko_y\tg2\n")
    with pytest.raises(InputError, match=r"2 sample\(s\) in the sheet are not in the expression matrix: ko_x, ko_y"):
        build_samples(expression, tmp_path / "s.tsv", src)
    assert not (tmp_path / "s.tsv").exists()


def test_samples_dropped_by_normalize_are_skipped(tmp_path, expression, caplog):
    raw = tmp_path / "raw.tsv"
    raw.write_text("gene\t" + "\t".join(SAMPLES + ["ko_gone"]) + "\ng1\t" + "\t".join(["1"] * 7) + "\n")
    src = sheet(tmp_path, "sample\tknockout\nko_a1\tg1\nko_gone\tg2\n")
    with caplog.at_level(logging.WARNING):
        table = build_samples(expression, tmp_path / "s.tsv", src, raw_expression=raw)
    assert "ko_gone" not in set(table["sample"])
    assert "were dropped by normalize (missing values) and are skipped: ko_gone" in caplog.text


def test_knockout_gene_absent(tmp_path, expression):
    src = sheet(tmp_path, "sample\tknockout\nko_a1\tg1\nko_b1\tcrp\n")
    with pytest.raises(InputError, match=r"knockout gene\(s\) not among the expression's gene IDs: ko_b1 \(crp\)"):
        build_samples(expression, tmp_path / "s.tsv", src)


def test_knockout_without_control(tmp_path, expression):
    src = sheet(
        tmp_path,
        "sample\tknockout\tgroup\nwt1\t\tA\nwt2\t\tA\nwt3\t\tA\nko_a1\tg1\tA\nko_b1\tg2\tB\nko_a2\tg1\tA\n",
    )
    with pytest.raises(InputError, match=r"without any wild-type control: ko_b1 \(group 'B'\)"):
        build_samples(expression, tmp_path / "s.tsv", src)
    # Without groups: a sheet where every sample is a knockout.
    src2 = sheet(tmp_path, "sample\tknockout\n" + "".join(f"{s}\tg1\n" for s in SAMPLES), "all_ko.tsv")
    with pytest.raises(InputError, match="there is no wild-type sample"):
        build_samples(expression, tmp_path / "s.tsv", src2)


def test_duplicate_rows(tmp_path, expression):
    src = sheet(tmp_path, "sample\tknockout\nko_a1\tg1\nwt1\t\nko_a1\tg2\n")
    with pytest.raises(InputError, match=r"sample\(s\) ko_a1 appear on more than one row"):
        build_samples(expression, tmp_path / "s.tsv", src)


def test_missing_columns(tmp_path, expression):
    src = sheet(tmp_path, "name\tdeleted\nko_a1\tg1\n")
    with pytest.raises(InputError, match=r"lacks column\(s\) sample, knockout \(found: name, deleted\)"):
        build_samples(expression, tmp_path / "s.tsv", src)


def test_explicit_control_unknown(tmp_path, expression):
    src = sheet(tmp_path, "sample\tknockout\tcontrols\nko_a1\tg1\twt1;wt9\n")
    with pytest.raises(InputError, match=r"`controls` of sample ko_a1 name\(s\) not in the expression matrix: wt9"):
        build_samples(expression, tmp_path / "s.tsv", src)


@pytest.mark.slow
def test_normalize_and_samples_rules(tmp_path):
    """Real Snakemake run of normalize -> samples on a local, transposed, comma-separated input."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "expr.csv").write_text(
        "id,g1,g2,g3,g4\nwt1,1,2,3,4\nwt2,2,2,5,4\nko1,0,2,3,9\nko2,1,7,3,4\n"
    )
    (data / "net.tsv").write_text("regulator\ttarget\ng1\tg2\ng3\tg4\n")
    (data / "sheet.tsv").write_text("sample\tknockout\tgroup\nwt1\t\tx\nwt2\t\ty\nko1\tg1\tx\nko2\tg2\ty\n")
    config = {
        "datasets": {
            "mini": {
                "inputs": {"expression": str(data / "expr.csv"), "network": str(data / "net.tsv"),
                           "samples": str(data / "sheet.tsv")},
                "expression": {"orientation": "samples_x_genes"},
                "normalize": {"methods": ["log1p", "zscore"]},
            }
        },
        "methods": ["random"],
    }
    run = tmp_path / "run"
    run_workflow(run, config, targets=["results/mini/data/samples.tsv", "results/mini/qc/normalize.png"],
                 cores=1)
    expr = pd.read_csv(run / "results/mini/data/expression.tsv", sep="\t", index_col=0)
    assert list(expr.columns) == ["wt1", "wt2", "ko1", "ko2"] and list(expr.index) == ["g1", "g2", "g3", "g4"]
    assert (run / "results/mini/data/samples.tsv").read_text() == (
        "sample\tknockout\tcontrols\nwt1\t\t\nwt2\t\t\nko1\tg1\twt1\nko2\tg2\twt2\n"
    )
    assert "zero variance" not in (run / "logs/mini/normalize.log").read_text()
    assert "2 knockout samples of 2 gene(s)" in (run / "logs/mini/samples.log").read_text()
