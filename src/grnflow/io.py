"""Small I/O helpers shared by the stages: atomic writes and tolerant table reading."""

from __future__ import annotations

import codecs
import contextlib
import errno
import functools
import gzip
import io
import logging
import os
import re
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.errors import InputError, JobError

log = logging.getLogger(__name__)


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path next to `path`; rename it onto `path` only on success.

    A crash or exception never leaves a partial file under the final name; a full disk
    (ENOSPC/EDQUOT) becomes a JobError naming the folder.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp creates 0600; give the result the usual umask-based mode (shared HPC folders).
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise JobError(
                f"{path.parent}: no space left on the device (or quota exceeded) while writing "
                f"{path.name}; nothing was written under that name. Free space there (or move "
                "`results/` to a larger disk) and rerun"
            ) from None
        raise


def write_tsv(df: pd.DataFrame, path: str | Path, index: bool = False, **kwargs) -> None:
    """Write `df` as TSV atomically; `.gz` paths are gzip-compressed reproducibly (mtime 0)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.suffix == ".gz":
            with open(tmp, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz:
                text = df.to_csv(sep="\t", index=index, lineterminator="\n", **kwargs)
                gz.write(text.encode())
        else:
            df.to_csv(tmp, sep="\t", index=index, lineterminator="\n", **kwargs)


def write_text(text: str, path: str | Path) -> None:
    """Write `text` to `path` atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def open_text(path: str | Path):
    """Open a text input (plain or gzip, by magic bytes) for reading, decoded and checked.

    UTF-8 (with or without a byte-order mark) and UTF-16 with a BOM (Excel "Unicode text")
    are decoded; any other encoding (e.g. Windows cp1252), a UTF-16 file without a BOM and
    invisible characters (zero-width space, no-break space, a stray BOM) inside the text are
    refused with an InputError naming the file, the line and the fix, before any of the text is
    returned. Line ends are kept as they are (`newline=""`); csv/pandas read CRLF files.

    The file is streamed, never held in memory whole: a first pass in 1 MiB chunks checks it
    (cached by path, size and modification time, so sniffing, reading the header and reading
    the table check it once), then the returned stream decodes it again as it is read.
    """
    encoding = checked_encoding(path)
    return io.TextIOWrapper(_open_binary(path), encoding=encoding, newline="")


def _open_binary(path: str | Path):
    """A binary stream of the file's (decompressed) bytes; errors name the file."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    try:
        raw = open(path, "rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from exc
    if raw.read(2) == b"\x1f\x8b":
        raw.close()  # a GzipFile given a file object would not close it
        return gzip.open(path, "rb")
    raw.seek(0)
    return raw


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a plain or gzip-compressed file (decompressed); errors name the file."""
    try:
        with _open_binary(path) as fh:
            return fh.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(_damaged_gzip(path, exc)) from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from exc


def decode_text(path: str | Path) -> str:
    """The whole decoded, checked text of `path` (see `open_text`), without a byte-order mark.
    For inputs that are used whole anyway (a genome FASTA); tables are streamed instead."""
    with open_text(path) as fh:
        return fh.read().removeprefix("\ufeff")


def checked_encoding(path: str | Path) -> str:
    """The encoding `open_text` decodes `path` with, after checking the whole file (see there)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    stat = path.stat()
    return _scan_cached(str(path.resolve()), stat.st_size, stat.st_mtime_ns, str(path))


_CHUNK = 1 << 20


@functools.lru_cache(maxsize=32)
def _scan_cached(resolved: str, size: int, mtime_ns: int, path: str) -> str:
    try:
        with _open_binary(path) as fh:
            head = fh.read(_CHUNK)
            encoding = text_encoding(path, head)
            _scan(path, fh, head, encoding)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(_damaged_gzip(path, exc)) from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from exc
    return encoding


def _scan(path, fh, head: bytes, encoding: str) -> None:
    """Decode the stream chunk by chunk; raise an InputError for bytes that are not text in
    `encoding` or an invisible character, with its line (and column)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line, column, data, first = 1, 0, head, True  # column: characters after the last newline
    offset = 0  # of `data` in the file
    while True:
        try:
            text = decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            at = offset - (len(exc.object) - len(data)) + exc.start
            raise InputError(_not_utf8(path, head, exc, line, at)) from exc
        if first:
            text, first = text.removeprefix("\ufeff"), False
        found = _INVISIBLE.search(text)
        if found:
            _invisible(path, text, found, line, column)
        newlines = text.count("\n")
        line += newlines
        column = len(text) - (text.rfind("\n") + 1) + (0 if newlines else column)
        if not data:
            return
        offset += len(data)
        data = fh.read(_CHUNK)


def _invisible(path, text: str, found: re.Match, line: int, column: int):
    """Raise the InputError for the invisible character `found` in `text` (a chunk that starts
    on `line`, `column` characters after that line's start)."""
    before = text.rfind("\n", 0, found.start())
    line += text.count("\n", 0, found.start())
    column = found.start() - (before + 1) + 1 + (column if before < 0 else 0)
    char = found.group()
    raise InputError(
        f"{path}, line {line}, column {column}: invisible character U+{ord(char):04X} "
        f"({_INVISIBLE_NAMES.get(char, 'format character')}) in the text; it would become part "
        "of an ID. Delete it (an editor's search and replace, or re-export the table as "
        "plain UTF-8 text)"
    )


def text_encoding(path: str | Path, data: bytes) -> str:
    """`utf-8-sig` or `utf-16` by byte-order mark; `utf-8` otherwise; UTF-16 without BOM refused."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = data[:4096]
    if head and head.count(b"\x00") > len(head) // 4:
        raise InputError(
            f"{path}: looks like UTF-16 text without a byte-order mark (every other byte is 0), "
            "or is not a text file; save it as UTF-8 (Excel: \"CSV UTF-8\" or \"Text (Tab "
            "delimited)\"; or `iconv -f utf-16le -t utf-8`)"
        )
    return "utf-8"


_INVISIBLE = re.compile("[\u00a0\u00ad\u200b-\u200f\u2028\u2029\u202f\u2060\ufeff]")
_INVISIBLE_NAMES = {
    "\u00a0": "no-break space",
    "\u00ad": "soft hyphen",
    "\u200b": "zero-width space",
    "\u200c": "zero-width non-joiner",
    "\u200d": "zero-width joiner",
    "\u200e": "left-to-right mark",
    "\u200f": "right-to-left mark",
    "\u202f": "narrow no-break space",
    "\u2060": "word joiner",
    "\ufeff": "byte-order mark inside the file",
}


def _not_utf8(path, head: bytes, exc: UnicodeDecodeError, line: int, offset: int) -> str:
    """The message for bytes that are not UTF-8: binary data, or which code page it looks like.
    `head`: the file's first bytes; `exc.object`: the chunk holding the bad bytes, which starts
    on `line` (a chunk boundary never splits a line end); `offset`: the bad byte's in the file."""
    sample = head[:65536]
    high = sum(b >= 0x80 for b in sample) + sample.count(b"\x00")
    data = exc.object
    if high > len(sample) // 10:
        return f"{path}: not a text file (byte 0x{data[exc.start]:02x} at offset {offset} is not UTF-8)"
    line += data.count(b"\n", 0, exc.start)
    bad = data[exc.start:exc.end]
    as_cp1252 = bad.decode("cp1252", errors="replace")
    return (
        f"{path}, line {line}: the file is not UTF-8 text (byte(s) {bad.hex(' ')} would be "
        f"{as_cp1252!r} in the Windows code page cp1252 / Latin-1, e.g. a sample name with "
        "\u00b5 or \u00b0). Save it as UTF-8 (Excel: \"CSV UTF-8\"; or "
        f"`iconv -f cp1252 -t utf-8 {Path(path).name} > fixed.{Path(path).name}`)"
    )


def sniff_sep(path: str | Path, sep: str = "auto") -> str:
    """Return the column separator: `tab`/`comma`/`auto` (tab, comma or semicolon by sniffing)."""
    named = {"tab": "\t", "comma": ",", "semicolon": ";", "\\t": "\t"}
    if sep != "auto":
        return named.get(sep, sep)
    try:
        with open_text(path) as fh:
            head = fh.read(65536)
    except (EOFError, gzip.BadGzipFile) as exc:
        raise InputError(_damaged_gzip(path, exc)) from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from exc
    if not head.strip():
        raise InputError(f"{path}: the file is empty")
    first = head.splitlines()[0]
    counts = {s: first.count(s) for s in ("\t", ",", ";")}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        # One column only: let the caller decide whether that is acceptable.
        return "\t"
    return best


def read_table(path: str | Path, sep: str = "auto", **kwargs) -> pd.DataFrame:
    """Read a delimited text table (plain or gzip), streamed, with errors that name the file.

    Rows that all end with the separator while the header does not (a trailing delimiter)
    lose that empty last field with a warning, instead of pandas reading the first column as
    row names and shifting every column name by one (see `trailing_delimiters`).
    """
    real_sep = sniff_sep(path, sep)
    try:
        if trailing_delimiters(path, real_sep, kwargs):
            log.warning("%s: every data row ends with a %s (trailing delimiter) and the header does "
                        "not; the empty last field is ignored", path, _sep_name(real_sep))
            index_col = kwargs.pop("index_col", None)
            with open_text(path) as fh:
                table = pd.read_csv(fh, sep=real_sep, index_col=False, **kwargs)
            if index_col is None or index_col is False:
                return table
            wanted = index_col if isinstance(index_col, (list, tuple)) else [index_col]
            return table.set_index([c if isinstance(c, str) else table.columns[c] for c in wanted])
        with open_text(path) as fh:
            return pd.read_csv(fh, sep=real_sep, **kwargs)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(_damaged_gzip(path, exc)) from exc
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise InputError(f"{path}: cannot be parsed as a {_sep_name(real_sep)}-separated table ({exc})") from exc
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{path}: the file is empty") from exc


def trailing_delimiters(path, sep: str, kwargs: dict) -> bool:
    """Whether every data line has exactly one field more than the header and ends with `sep`
    (that empty last field is then dropped). Streams the lines; stops at the first that does not.

    Only for tables whose first line is the header (no `header`/`names`/`skiprows`/`comment`
    options). A header one field short with non-empty last fields stays R style (pandas
    reads the first column as row names).
    """
    if any(kwargs.get(k) is not None for k in ("names", "skiprows", "comment")) or \
            kwargs.get("header", 0) not in (0, "infer") or kwargs.get("nrows") == 0:
        return False
    with open_text(path) as fh:
        fields, seen = None, False
        for raw in fh:
            line = raw.rstrip("\r\n")
            if fields is None:
                fields = line.count(sep)
                continue
            if not line.strip():
                continue
            if not line.endswith(sep) or line.count(sep) != fields + 1:
                return False
            seen = True
    return seen


def read_normalized(path: str | Path) -> pd.DataFrame:
    """The normalized matrix of the `normalize` stage (genes x samples, `gene` column first),
    indexed by gene, float; errors name the file, the gene and the sample."""
    table = read_table(path, sep="tab", dtype={"gene": str})
    if table.columns[0] != "gene":
        raise InputError(
            f"{path}: the first column must be `gene` (found {table.columns[0]!r}); "
            "expected the normalized matrix written by the `normalize` stage"
        )
    table = table.set_index("gene")
    table.columns = [str(c) for c in table.columns]
    if table.index.has_duplicates:
        dup = table.index[table.index.duplicated()].unique()[:3]
        raise InputError(f"{path}: gene IDs occur twice ({', '.join(dup)}); keep one row per gene")
    try:
        values = table.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        bad = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])][:3]
        raise InputError(
            f"{path}: non-numeric values in sample column(s) {', '.join(bad)}; "
            "the normalized matrix must hold numbers only"
        ) from exc
    if not np.isfinite(values).all():
        row, col = np.argwhere(~np.isfinite(values))[0]
        raise InputError(
            f"{path}: missing or infinite value for gene {table.index[row]} in sample "
            f"{table.columns[col]} (line {row + 2}); impute or drop it before normalizing"
        )
    return pd.DataFrame(values, index=table.index, columns=table.columns)


def read_gene_list(path: str | Path) -> list[str]:
    """One ID per line; blank lines and `#` comments ignored; a header-like first column kept."""
    try:
        with open_text(path) as fh:
            rows = [line.strip().split("\t")[0].split(",")[0] for line in fh]
    except (EOFError, gzip.BadGzipFile) as exc:
        raise InputError(_damaged_gzip(path, exc)) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a text file ({exc}); expected one gene ID per line") from exc
    return [r for r in rows if r and not r.startswith("#")]


def _damaged_gzip(path, exc) -> str:
    return (f"{path}: the gzip-compressed file is truncated or damaged ({exc}); "
            "copy or download it again (`gzip -t` checks a file)")


def _sep_name(sep: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon"}.get(sep, repr(sep))


__all__ = [
    "atomic_path",
    "write_tsv",
    "write_text",
    "open_text",
    "sniff_sep",
    "read_table",
    "read_gene_list",
]
