"""TF lists as plain lists or one column of a CSV/TSV table; ambiguous layouts refused."""

import pytest

from grnflow.errors import InputError
from grnflow.lists import check_list_layout, read_id_list

PANDAS_CSV = ",TF,family\n0,G0003,bHLH\n1,G0008,Zn\n2,G0003,bHLH\n"


def test_plain_list(tmp_path):
    path = tmp_path / "tfs.txt"
    path.write_text("# my TFs\nG0003\n\n G0008 \nG0003\n")
    assert read_id_list(path) == ["G0003", "G0008"]
    check_list_layout(path)


def test_named_column_of_a_pandas_csv(tmp_path):
    path = tmp_path / "tfs.csv"
    path.write_text(PANDAS_CSV)
    assert read_id_list(path, "TF") == ["G0003", "G0008"]
    assert read_id_list(path, "tf") == ["G0003", "G0008"]  # case-insensitive fallback
    check_list_layout(path, "TF")


def test_pandas_csv_without_column_is_refused_naming_the_index(tmp_path):
    path = tmp_path / "tfs.csv"
    path.write_text(PANDAS_CSV)
    with pytest.raises(InputError, match=r"3 columns \(header: '', 'TF', 'family'\); its first column looks like a row index"):
        check_list_layout(path)
    with pytest.raises(InputError, match=r"column: <name>"):
        read_id_list(path)


def test_unknown_column_names_the_header(tmp_path):
    path = tmp_path / "tfs.tsv"
    path.write_text("gene\tfamily\nG0003\tbHLH\n")
    with pytest.raises(InputError, match=r"no column 'TF' in the header line \(columns: 'gene', 'family'\)"):
        check_list_layout(path, "TF")


def test_numbered_column_of_a_headerless_table(tmp_path):
    path = tmp_path / "tfs.tsv"
    path.write_text("bHLH\tG0003\nZn\tG0008\n")
    assert read_id_list(path, 1) == ["G0003", "G0008"]
    with pytest.raises(InputError, match="out of range"):
        read_id_list(path, 2)


def test_layout_check_leaves_unreadable_files_to_the_job(tmp_path):
    path = tmp_path / "tfs.txt.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    check_list_layout(path)  # no error at parse time
    with pytest.raises(InputError, match="truncated or damaged"):
        read_id_list(path)
