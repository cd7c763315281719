"""Per-batch normalization: z-score within sample groups, checked against a hand computation."""

import numpy as np
import pandas as pd
import pytest

from grnflow.batches import batch_labels
from grnflow.errors import InputError
from grnflow.normalize import normalize_expression

# Gene g1: batch A = cc_1..cc_3 (1, 2, 3), batch B = st_1..st_2 (10, 30).
EXPRESSION = "gene\tcc_1\tcc_2\tcc_3\tst_1\tst_2\ng1\t1\t2\t3\t10\t30\ng2\t5\t5\t6\t0\t4\n"


def _hand_z(values):
    values = np.asarray(values, float)
    return (values - values.mean()) / values.std()


def test_zscore_within_batches_from_a_name_pattern(tmp_path):
    expr = tmp_path / "e.tsv"
    expr.write_text(EXPRESSION)
    result = normalize_expression(expr, tmp_path / "out.tsv", methods=["zscore"], batch_pattern=r"^([a-z]+)_")
    # by hand: g1 in A: mean 2, sd sqrt(2/3) -> (-1.2247, 0, 1.2247); in B: mean 20, sd 10 -> (-1, 1)
    np.testing.assert_allclose(result.loc["g1"], [-1.224745, 0, 1.224745, -1, 1], atol=1e-6)
    np.testing.assert_allclose(result.loc["g2"], [*_hand_z([5, 5, 6]), -1, 1], atol=1e-9)
    written = pd.read_csv(tmp_path / "out.tsv", sep="\t", index_col=0)
    assert list(written.columns) == ["cc_1", "cc_2", "cc_3", "st_1", "st_2"]
    # without batches the whole row is z-scored at once: a different answer
    whole = normalize_expression(expr, tmp_path / "whole.tsv", methods=["zscore"])
    np.testing.assert_allclose(whole.loc["g1"], _hand_z([1, 2, 3, 10, 30]))


def test_zscore_within_batches_from_a_sheet_column(tmp_path):
    expr = tmp_path / "e.tsv"
    expr.write_text(EXPRESSION)
    sheet = tmp_path / "samples.tsv"
    # batches deliberately not the name prefixes: {cc_1, st_1}, {cc_2, cc_3, st_2}
    sheet.write_text("sample\tknockout\tSeries\ncc_1\t\tx\ncc_2\t\ty\ncc_3\t\ty\nst_1\t\tx\nst_2\t\ty\n")
    result = normalize_expression(expr, tmp_path / "o.tsv", methods=["zscore"], samples=sheet,
                                  batch_column="series")
    z_x, z_y = _hand_z([1, 10]), _hand_z([2, 3, 30])
    np.testing.assert_allclose(result.loc["g1"], [z_x[0], z_y[0], z_y[1], z_x[1], z_y[2]])


def test_missing_batches_are_refused(tmp_path):
    with pytest.raises(InputError, match=r"matches no part of 1 sample name\(s\): other"):
        batch_labels(["cc_1", "other"], pattern=r"^([a-z]+)_")
    sheet = tmp_path / "s.tsv"
    sheet.write_text("sample\tbatch\ncc_1\tA\n")
    with pytest.raises(InputError, match=r"gives no batch for 1 expression sample\(s\): cc_2"):
        batch_labels(["cc_1", "cc_2"], sheet=sheet, column="batch")
    with pytest.raises(InputError, match="needs a sample sheet"):
        batch_labels(["cc_1"], column="batch")


def test_single_sample_batch_refused_for_zscore(tmp_path):
    expr = tmp_path / "e.tsv"
    expr.write_text(EXPRESSION)
    with pytest.raises(InputError, match="hold a single sample"):
        normalize_expression(expr, tmp_path / "o.tsv", methods=["zscore"], batch_pattern=r"_(\d)$")
    assert not (tmp_path / "o.tsv").exists()
