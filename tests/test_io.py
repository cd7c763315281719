import errno
import gzip
import os
from pathlib import Path

import pandas as pd
import pytest

from grnflow.errors import InputError, JobError
from grnflow.io import atomic_path, read_gene_list, read_table, write_text, write_tsv
from grnflow.logging import log_to


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


# --- encodings (issue 16): every reader goes through open_text ----------------------------------

TABLE = "gene\tcond_a\tcond_b\nG1\t1.0\t2.0\nG2\t3.0\t4.0\n"


@pytest.mark.parametrize("encode", [
    lambda s: s.encode(),
    lambda s: b"\xef\xbb\xbf" + s.encode(),
    lambda s: s.replace("\n", "\r\n").encode(),
    lambda s: b"\xef\xbb\xbf" + s.replace("\n", "\r\n").encode(),
    lambda s: s.replace("\n", "\r\n").encode("utf-16"),  # Excel "Unicode text"
    lambda s: s.encode("utf-16-be").join([b"\xfe\xff", b""]),
    lambda s: gzip.compress(b"\xef\xbb\xbf" + s.encode(), mtime=0),
], ids=["utf8", "bom", "crlf", "bom_crlf", "utf16le_bom", "utf16be_bom", "gzip_bom"])
def test_read_table_decodes_boms_utf16_and_crlf_without_invisible_characters(tmp_path, encode):
    path = tmp_path / "t.tsv"
    path.write_bytes(encode(TABLE))
    table = read_table(path, dtype=str)
    assert list(table.columns) == ["gene", "cond_a", "cond_b"]
    assert table["gene"].tolist() == ["G1", "G2"] and table["cond_b"].tolist() == ["2.0", "4.0"]
    assert read_gene_list(path) == ["gene", "G1", "G2"]


def test_cp1252_is_refused_naming_file_line_and_encoding(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_bytes("gene\tcond_37\u00b0C\nG1\t1\n".encode("cp1252"))
    with pytest.raises(InputError) as err:
        read_table(path)
    message = str(err.value)
    assert message.startswith(f"{path}, line 1: the file is not UTF-8 text (byte(s) b0 would be '\u00b0'")
    assert "cp1252" in message and "iconv -f cp1252 -t utf-8" in message


def test_utf16_without_bom_is_refused(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_bytes(TABLE.encode("utf-16-le"))
    with pytest.raises(InputError, match="looks like UTF-16 text without a byte-order mark"):
        read_table(path)


@pytest.mark.parametrize("char,name", [("\u200b", "zero-width space"), ("\u00a0", "no-break space"),
                                       ("\ufeff", "byte-order mark inside the file")])
def test_invisible_character_in_an_id_is_refused(tmp_path, char, name):
    path = tmp_path / "t.tsv"
    path.write_text(TABLE.replace("G2", f"G{char}2"))
    with pytest.raises(InputError) as err:
        read_table(path)
    assert str(err.value).startswith(f"{path}, line 3, column 2: invisible character U+{ord(char):04X} ({name})")


def test_full_disk_is_one_job_error_naming_the_folder(tmp_path, monkeypatch):
    """ENOSPC at the atomic-write layer: a JobError naming the folder, nothing left behind."""
    def no_space(self, path, *args, **kwargs):
        Path(path).write_text("partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", no_space)
    out = tmp_path / "results" / "t.tsv"
    with pytest.raises(JobError) as err:
        write_tsv(pd.DataFrame({"a": [1]}), out)
    assert str(err.value).startswith(f"{out.parent}: no space left on the device")
    assert list(out.parent.iterdir()) == []


def test_full_disk_message_through_the_job_log_is_one_line(tmp_path, monkeypatch, capsys):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", no_space)
    log = tmp_path / "job.log"
    with pytest.raises(SystemExit) as exc:
        with log_to(log):
            write_text("x", tmp_path / "out" / "a.txt")
    assert str(exc.value) == (f"grnflow error: {tmp_path / 'out'}: no space left on the device (or quota "
                              "exceeded) while writing a.txt; nothing was written under that name. Free "
                              "space there (or move `results/` to a larger disk) and rerun")
    assert "Traceback" not in log.read_text() and "job error:" in log.read_text()


@pytest.mark.parametrize("index_col", [None, 0])
def test_trailing_delimiters_do_not_shift_the_column_names(tmp_path, index_col, caplog):
    path = tmp_path / "sheet.tsv"
    path.write_text("sample\tknockout\tgroup\nc1\t\tg1\t\nc2\tG5\tg1\t\n")
    kwargs = {"dtype": str, "keep_default_na": False}
    if index_col is not None:
        kwargs["index_col"] = index_col
    table = read_table(path, **kwargs)
    if index_col is None:
        assert table.to_dict("list") == {"sample": ["c1", "c2"], "knockout": ["", "G5"], "group": ["g1", "g1"]}
    else:
        assert list(table.index) == ["c1", "c2"] and list(table.columns) == ["knockout", "group"]
    assert "trailing delimiter" in caplog.text


def test_r_style_header_still_reads_row_names(tmp_path):
    path = tmp_path / "m.tsv"
    path.write_text("A\tB\nt1\t0\t1\nt2\t1\t0\n")
    table = read_table(path, index_col=0)
    assert list(table.columns) == ["A", "B"] and list(table.index) == ["t1", "t2"]


# --- streaming: files are checked and read in chunks, never decoded whole ----------------------

def _long_table(rows: int) -> str:
    return "gene\tcond_a\n" + "".join(f"G{i}\t{i}.5\n" for i in range(rows))


def test_problems_past_the_first_chunk_name_their_line_and_column(tmp_path):
    """A table over several 1 MiB chunks: a zero-width space and a cp1252 byte far into the
    file are found with the line and column an editor shows, whatever chunk they fall in."""
    text = _long_table(200_000)  # about 2.3 MB: three chunks
    lines = text.splitlines(keepends=True)
    at = 150_001  # 0-based index of the line to damage (line 150,002 in the file)
    path = tmp_path / "zw.tsv.gz"
    damaged = lines[:at] + [lines[at].replace("\t", "\t1\u200b", 1)] + lines[at + 1:]
    path.write_bytes(gzip.compress("".join(damaged).encode(), mtime=0))
    with pytest.raises(InputError) as err:
        read_table(path)
    column = len(lines[at].split("\t")[0]) + 3
    assert str(err.value).startswith(f"{path}, line {at + 1}, column {column}: invisible character U+200B")
    path = tmp_path / "cp.tsv"
    path.write_bytes("".join(lines[:at]).encode() + "G\u00b5\t1\n".encode("cp1252") + "".join(lines[at:]).encode())
    with pytest.raises(InputError) as err:
        read_table(path)
    assert str(err.value).startswith(f"{path}, line {at + 1}: the file is not UTF-8 text (byte(s) b5 would be '\u00b5'")


def test_multibyte_characters_across_chunk_boundaries_are_text(tmp_path):
    """UTF-8 and UTF-16 characters that straddle a chunk boundary decode, and the table reads whole."""
    names = ["g\u00e9ne\u4e2d" * 3 + str(i) for i in range(120_000)]
    text = "gene\tv\n" + "".join(f"{n}\t{i}\n" for i, n in enumerate(names))
    for encoding in ("utf-8", "utf-16"):
        path = tmp_path / f"t.{encoding}.tsv"
        path.write_bytes(text.encode(encoding))
        table = read_table(path, dtype={"gene": str})
        assert table["gene"].tolist() == names and table["v"].tolist() == list(range(len(names)))


def test_a_damaged_gzip_past_the_first_chunk_is_refused_before_any_row_is_read(tmp_path):
    path = tmp_path / "t.tsv.gz"
    path.write_bytes(gzip.compress(_long_table(300_000).encode(), mtime=0)[:-4000])
    with pytest.raises(InputError, match="truncated or damaged"):
        read_table(path)


def test_a_character_just_after_a_chunk_boundary_gets_its_column_on_the_straddling_line(tmp_path):
    header = "gene\tcond_a\n"
    filler = header + "".join(f"G{i}\t1\n" for i in range(100_000))
    filler += "P" * ((1 << 20) - 10 - len(filler.encode())) + "\t1\n"  # the next line starts 10 bytes before 1 MiB
    line = filler.count("\n") + 1
    text = filler + "X" * 20 + "\u200b" + "\t1\n" + "G\t2\n"
    path = tmp_path / "t.tsv"
    path.write_bytes(text.encode())
    with pytest.raises(InputError) as err:
        read_table(path)
    assert str(err.value).startswith(f"{path}, line {line}, column 21: invisible character U+200B")


def test_reading_a_gzip_table_leaves_no_file_open(tmp_path):
    """Each check and read closes the file it opened (a GzipFile does not close a file object
    it was given): no ResourceWarning, which would be an open file per read in long jobs."""
    import gc
    import warnings

    path = tmp_path / "t.tsv.gz"
    path.write_bytes(gzip.compress(TABLE.encode(), mtime=0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        read_table(path)
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
