"""The normalize stage on tiny hand-made matrices with exact expected values."""

from __future__ import annotations

import gzip
import logging

import numpy as np
import pandas as pd
import pytest

from grnflow.errors import InputError
from grnflow.normalize import (
    handle_missing,
    log1p,
    normalize_expression,
    quantile,
    raw_sample_names,
    read_expression,
    zscore,
)


def write(path, text):
    path.write_text(text)
    return path


def frame(rows: dict, columns) -> pd.DataFrame:
    m = pd.DataFrame.from_dict(rows, orient="index", columns=list(columns), dtype=float)
    m.index.name = "gene"
    return m


# --- methods -----------------------------------------------------------------------------


def test_log1p_exact():
    m = frame({"g1": [0, np.e - 1], "g2": [np.e**2 - 1, 3]}, ["s1", "s2"])
    out = log1p(m)
    np.testing.assert_allclose(out.to_numpy(), [[0, 1], [2, np.log(4)]])


def test_log1p_refuses_negative():
    m = frame({"g1": [0, -0.5], "g2": [1, -2]}, ["s1", "s2"])
    with pytest.raises(InputError, match=r"2 value\(s\) are negative \(smallest -2\).*normalize.methods: \[none\]"):
        log1p(m, source="x.tsv")


def test_quantile_exact_with_ties():
    # The classic textbook example: samples a, b, c; b has a tie (4, 4).
    m = frame({"A": [5, 4, 3], "B": [2, 1, 4], "C": [3, 4, 6], "D": [4, 2, 8]}, "abc")
    out = quantile(m)
    expected = [
        [17 / 3, 31 / 6, 2],
        [2, 2, 3],
        [3, 31 / 6, 14 / 3],
        [14 / 3, 3, 17 / 3],
    ]
    np.testing.assert_allclose(out.to_numpy(), expected)
    # Without ties every sample ends with the same set of values (means of sorted columns).
    m2 = frame({"A": [1, 10], "B": [2, 30], "C": [3, 20]}, "ab")
    out2 = quantile(m2)
    np.testing.assert_allclose(out2.to_numpy(), [[5.5, 5.5], [11, 16.5], [16.5, 11]])


def test_zscore_exact_and_constant_gene(caplog):
    m = frame({"g1": [1, 2, 3], "g2": [4, 4, 4], "g3": [0, 0, 6]}, ["s1", "s2", "s3"])
    with caplog.at_level(logging.WARNING):
        out = zscore(m)
    s = np.sqrt(2 / 3)
    np.testing.assert_allclose(out.loc["g1"].to_numpy(), [-1 / s, 0, 1 / s])
    np.testing.assert_array_equal(out.loc["g2"].to_numpy(), [0, 0, 0])
    np.testing.assert_allclose(out.loc["g3"].to_numpy(), [-2 / np.sqrt(8), -2 / np.sqrt(8), 4 / np.sqrt(8)])
    assert "zero variance" in caplog.text and "g2" in caplog.text


def test_methods_applied_in_order(tmp_path):
    src = write(tmp_path / "e.tsv", "gene\ts1\ts2\ng1\t0\t3\ng2\t1\t7\n")
    out = tmp_path / "out.tsv"
    normalize_expression(src, out, methods=["log1p", "zscore"])
    assert out.read_text() == "gene\ts1\ts2\ng1\t-1\t1\ng2\t-1\t1\n"
    normalize_expression(src, out, methods=["none"])
    assert out.read_text() == "gene\ts1\ts2\ng1\t0\t3\ng2\t1\t7\n"
    normalize_expression(src, out, methods=["log1p"])
    assert out.read_text().splitlines()[1] == f"g1\t0\t{np.log(4):.6g}"


# --- reading -----------------------------------------------------------------------------


def test_orientations_give_the_same_matrix(tmp_path):
    a = read_expression(write(tmp_path / "a.tsv", "gene\ts1\ts2\ts3\ng1\t1\t2\t3\ng2\t4\t5\t6\n"))
    b = read_expression(
        write(tmp_path / "b.tsv", "sample\tg1\tg2\ns1\t1\t4\ns2\t2\t5\ns3\t3\t6\n"),
        orientation="samples_x_genes",
    )
    pd.testing.assert_frame_equal(a, b)
    assert list(a.index) == ["g1", "g2"] and list(a.columns) == ["s1", "s2", "s3"]
    np.testing.assert_array_equal(a.to_numpy(), [[1, 2, 3], [4, 5, 6]])


def test_r_style_header_and_numeric_ids(tmp_path):
    m = read_expression(write(tmp_path / "r.tsv", "s1\ts2\n001\t1\t2\n1002\t3\t4\n"))
    assert list(m.index) == ["001", "1002"] and list(m.columns) == ["s1", "s2"]


def test_duplicate_genes_averaged(tmp_path, caplog):
    src = write(tmp_path / "d.tsv", "gene\ts1\ts2\ng1\t1\t2\ng2\t5\t5\ng1\t3\tNA\n")
    with caplog.at_level(logging.WARNING):
        m = read_expression(src)
    assert list(m.index) == ["g1", "g2"]
    np.testing.assert_array_equal(m.to_numpy(), [[2, 2], [5, 5]])
    assert "1 gene ID(s) occur more than once and are averaged: g1" in caplog.text


def test_duplicate_genes_in_samples_x_genes_header(tmp_path):
    src = write(tmp_path / "d.tsv", "id,g1,g1,g2\ns1,1,3,0\ns2,2,4,0\n")
    m = read_expression(src, orientation="samples_x_genes")
    np.testing.assert_array_equal(m.loc["g1"].to_numpy(), [2, 3])


@pytest.mark.parametrize(
    "text, orientation",
    [("gene\ts1\ts2\ts1\ng1\t1\t2\t3\n", "genes_x_samples"),
     ("sample\tg1\ns1\t1\ns2\t2\ns1\t3\n", "samples_x_genes")],
)
def test_duplicate_samples_refused(tmp_path, text, orientation):
    src = write(tmp_path / "d.tsv", text)
    with pytest.raises(InputError, match=r"d.tsv: duplicate sample name\(s\) s1"):
        read_expression(src, orientation=orientation)


def test_non_numeric_named(tmp_path):
    src = write(tmp_path / "bad.tsv", "gene\ts1\ts2\ng1\t1\t2\ng2\t3\thigh\ng3\tx\t1\n")
    with pytest.raises(InputError, match=r"bad.tsv: value 'high' in row 'g2', column 's2' is not a number; 2 such"):
        read_expression(src)


def test_decimal_comma_hint(tmp_path):
    src = write(tmp_path / "eu.csv", "gene;s1\ng1;1,5\n")
    with pytest.raises(InputError, match="decimal comma"):
        read_expression(src)


@pytest.mark.parametrize(
    "text, message",
    [("", "the file is empty"),
     ("\n\n", "the file is empty"),
     ("gene\ts1\ts2\n", "only a header line"),
     ("gene\ng1\ng2\n", "only one column"),
     ("gene\ts1\ng1\tNA\ng2\t\n", "every value of the matrix is missing")],
)
def test_unusable_files(tmp_path, text, message):
    src = write(tmp_path / "x.tsv", text)
    with pytest.raises(InputError, match=message):
        normalize_expression(src, tmp_path / "out.tsv")
    assert not (tmp_path / "out.tsv").exists()


@pytest.mark.parametrize("sep, char", [("auto", ","), ("comma", ","), ("auto", ";"), ("semicolon", ";")])
def test_separators(tmp_path, sep, char):
    src = write(tmp_path / "x.csv", f"gene{char}s1{char}s2\ng1{char}1{char}2\ng2{char}3{char}4.5\n")
    m = read_expression(src, sep=sep)
    np.testing.assert_array_equal(m.to_numpy(), [[1, 2], [3, 4.5]])


def test_gzip_input(tmp_path):
    src = tmp_path / "x.csv.gz"
    with gzip.open(src, "wt") as fh:
        fh.write("gene,s1,s2\ng1,1,2\ng2,3,4\n")
    out = tmp_path / "out.tsv"
    normalize_expression(src, out, methods=["none"])
    assert out.read_text() == "gene\ts1\ts2\ng1\t1\t2\ng2\t3\t4\n"


def test_raw_sample_names(tmp_path):
    assert raw_sample_names(write(tmp_path / "a.tsv", "gene\ts1\ts2\ng1\t1\t2\n")) == ["s1", "s2"]
    assert raw_sample_names(write(tmp_path / "r.tsv", "s1\ts2\ng1\t1\t2\n")) == ["s1", "s2"]
    assert raw_sample_names(write(tmp_path / "t.tsv", "id\tg1\ns1\t1\ns2\t2\n"), "samples_x_genes") == ["s1", "s2"]


# --- missing values ----------------------------------------------------------------------


def test_nan_drop_then_impute(caplog):
    nan = np.nan
    m = frame(
        {"g1": [1, 2, nan, 3], "g2": [nan, nan, nan, 1], "g3": [2, 4, nan, 6], "g4": [1, nan, 5, 9]},
        ["s1", "s2", "s3", "s4"],
    )
    with caplog.at_level(logging.INFO):
        out = handle_missing(m, max_nan_fraction=0.5, impute="mean")
    # g2 (75% NaN) goes first; then s3 has 2/3 NaN among g1, g3, g4 and goes too.
    assert list(out.index) == ["g1", "g3", "g4"] and list(out.columns) == ["s1", "s2", "s4"]
    np.testing.assert_array_equal(out.to_numpy(), [[1, 2, 3], [2, 4, 6], [1, 5, 9]])
    assert "dropped 1 of 4 gene(s) with more than 50% missing values: g2" in caplog.text
    assert "dropped 1 of 4 sample(s) with more than 50% missing values: s3" in caplog.text
    assert "imputed 1 missing value(s) with the gene's mean" in caplog.text


@pytest.mark.parametrize("impute, value", [("mean", 4.0), ("median", 3.0), ("zero", 0.0)])
def test_impute_methods(impute, value):
    m = frame({"g1": [1, 3, 8, np.nan], "g2": [1, 1, 1, 1]}, ["s1", "s2", "s3", "s4"])
    out = handle_missing(m, max_nan_fraction=0.5, impute=impute)
    assert out.loc["g1", "s4"] == value
    assert out.shape == (2, 4)


def test_nan_everything_dropped():
    m = frame({"g1": [1, np.nan, np.nan], "g2": [np.nan, np.nan, 2]}, ["s1", "s2", "s3"])
    with pytest.raises(InputError, match="raise `normalize.max_nan_fraction`"):
        handle_missing(m, max_nan_fraction=0.5)


# --- orientation mistake -----------------------------------------------------------------


def test_orientation_mistake_detected(tmp_path):
    network = write(tmp_path / "net.tsv", "regulator\ttarget\ng1\tg2\ng1\tg3\ng4\tg2\n")
    transposed = write(tmp_path / "e.tsv", "sample\tg1\tg2\tg3\tg4\ns1\t1\t2\t3\t4\ns2\t1\t2\t3\t5\n")
    with pytest.raises(InputError, match="Set `expression.orientation: samples_x_genes`"):
        normalize_expression(transposed, tmp_path / "o.tsv", network=network)
    # Set right, it works; the other direction is caught too.
    normalize_expression(transposed, tmp_path / "o.tsv", network=network, orientation="samples_x_genes")
    assert (tmp_path / "o.tsv").read_text().splitlines()[0] == "gene\ts1\ts2"
    right = write(tmp_path / "r.tsv", "gene\ts1\ts2\ng1\t1\t2\ng2\t3\t4\ng3\t1\t1\ng4\t0\t1\n")
    with pytest.raises(InputError, match="Set `expression.orientation: genes_x_samples`"):
        normalize_expression(right, tmp_path / "o2.tsv", network=network, orientation="samples_x_genes")


def test_stage_writes_plot(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.gamma(2.0, 3.0, size=(40, 12))
    rows = "\n".join(f"g{i}\t" + "\t".join(f"{v:.3f}" for v in row) for i, row in enumerate(values))
    src = write(tmp_path / "e.tsv", "gene\t" + "\t".join(f"s{j}" for j in range(12)) + "\n" + rows + "\n")
    network = write(tmp_path / "net.tsv", "g1\tg2\ng3\tg4\n")
    out, png = tmp_path / "data" / "expression.tsv", tmp_path / "qc" / "normalize.png"
    result = normalize_expression(src, out, png, network=network, methods=["log1p", "quantile", "zscore"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    back = pd.read_csv(out, sep="\t", index_col=0)
    assert back.shape == (40, 12)
    np.testing.assert_allclose(back.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(back.to_numpy(), result.to_numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.shared_data
def test_real_precise_matrix(shared_data, tmp_path):
    """The official PRECISE-278 log-TPM matrix (gzip, comma, R-style blank corner) with its TRN."""
    folder = shared_data / "ecoli_precise278"
    out = tmp_path / "expression.tsv"
    result = normalize_expression(folder / "log_tpm.csv.gz", out, network=folder / "trn.csv",
                                  methods=["zscore"])
    assert result.shape == (3923, 278)
    assert result.index[0] == "b0002" and result.columns[0] == "control__wt_glc__1"
    np.testing.assert_allclose(result.to_numpy().mean(axis=1), 0, atol=1e-9)
    assert out.read_text().count("\n") == 3924
