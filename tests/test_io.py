import gzip
import os

import pandas as pd
import pytest

from grnflow.errors import InputError
from grnflow.io import atomic_path, read_table, write_tsv


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.tsv"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_gives_umask_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "x") as tmp:
            tmp.write_text("x")
    finally:
        os.umask(umask)
    assert (tmp_path / "x").stat().st_mode & 0o777 == 0o644


def test_write_tsv_gzip_is_reproducible(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    write_tsv(df, tmp_path / "one.tsv.gz")
    write_tsv(df, tmp_path / "two.tsv.gz")
    assert (tmp_path / "one.tsv.gz").read_bytes() == (tmp_path / "two.tsv.gz").read_bytes()
    assert gzip.decompress((tmp_path / "one.tsv.gz").read_bytes()).decode() == "a\tb\n1\tx\n2\ty\n"


def test_read_table_sniffs_separator_and_gzip(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(b"gene,s1\nA,1.5\n"))
    df = read_table(path)
    assert list(df.columns) == ["gene", "s1"] and df.iloc[0, 1] == 1.5


def test_read_table_empty_file_names_the_file(tmp_path):
    path = tmp_path / "empty.tsv"
    path.write_text("")
    with pytest.raises(InputError, match="empty.tsv: the file is empty"):
        read_table(path)


def test_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "cut.tsv.gz"
    rows = "".join(f"G{i}\t{(i * 7919) % 10007 / 13:.5f}\n" for i in range(20000))
    data = gzip.compress(("gene\ts1\n" + rows).encode())
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="cut.tsv.gz"):
        read_table(path)


def test_read_normalized_checks_and_indexes(tmp_path):
    from grnflow.io import read_normalized

    good = tmp_path / "expression.tsv"
    good.write_text("gene\ts1\ts2\nb0001\t1.5\t-2\nb0002\t0\t3\n")
    table = read_normalized(good)
    assert list(table.index) == ["b0001", "b0002"] and list(table.columns) == ["s1", "s2"]
    assert table.loc["b0001", "s2"] == -2.0
    cases = {
        "id\ts1\nA\t1\n": "the first column must be `gene`",
        "gene\ts1\nA\t1\nA\t2\n": "gene IDs occur twice \\(A\\)",
        "gene\ts1\nA\thigh\n": "non-numeric values in sample column\\(s\\) s1",
        "gene\ts1\ts2\nA\t1\t\n": "missing or infinite value for gene A in sample s2 \\(line 2\\)",
    }
    for i, (text, message) in enumerate(cases.items()):
        bad = tmp_path / f"bad{i}.tsv"
        bad.write_text(text)
        with pytest.raises(InputError, match=f"bad{i}.tsv: {message}"):
            read_normalized(bad)
