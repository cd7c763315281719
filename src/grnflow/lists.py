"""ID lists given by the user (the TF list): one ID per line, or one column of a CSV/TSV table.

`inputs.tfs: tfs.txt` is a plain list; `inputs.tfs: {path: tfs.csv, column: TF}` reads the
column named `TF` of a table with a header line (an integer `column` is a 0-based position in
a table without header). A table with several columns and no `column` is refused, naming the
columns: the common pandas layout `,TF,family` (an unnamed row-index column first) would
otherwise be read from the index. `check_list_layout` runs at parse time (dry run) on local
files, `read_id_list` when the job runs.
"""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

from grnflow.errors import InputError
from grnflow.io import open_text

# Header names of a row-index column as pandas, R and spreadsheets write them.
INDEX_NAMES = {"", "index", "unnamed: 0", "x", "row", "rownames", "#"}
MAX_CHECK_ROWS = 100_000


def _rows(path: Path, limit: int | None = None) -> tuple[list[list[str]], str]:
    """Non-blank, non-`#` rows split at the delimiter found in the first row (tab , ;)."""
    try:
        with open_text(path) as fh:
            lines = []
            for line in fh:
                text = line.strip("\r\n").lstrip("\ufeff")
                if text.strip() and not text.lstrip().startswith("#"):
                    lines.append(text)
                    if limit and len(lines) >= limit:
                        break
    except (EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{path}: the gzip-compressed file is truncated or damaged ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a text file ({exc}); expected one gene ID per line") from exc
    if not lines:
        return [], "\t"
    counts = {d: lines[0].count(d) for d in ("\t", ",", ";")}
    delim = max(counts, key=counts.get) if max(counts.values()) else "\t"
    rows = [[f.strip().strip('"').strip("'").strip() for f in row] for row in csv.reader(lines, delimiter=delim)]
    return rows, delim


def _looks_like_index(rows: list[list[str]]) -> bool:
    header, body = rows[0], rows[1:]
    if header[0].strip().lower() in INDEX_NAMES:
        return True
    firsts = [r[0] for r in body if r]
    return bool(firsts) and all(re.fullmatch(r"\d+", f) for f in firsts) and len(set(firsts)) == len(firsts)


def _column_index(path: Path, rows, column, what: str) -> tuple[int, bool]:
    """(position, has_header) of `column` in the table `rows`."""
    width = max(len(r) for r in rows)
    if isinstance(column, int):
        if not 0 <= column < width:
            raise InputError(f"{path}: `{what}` column {column} is out of range (the file has {width} column(s), 0-based)")
        return column, False
    header = rows[0]
    for match in (lambda h: h == column, lambda h: h.lower() == str(column).lower()):
        hits = [i for i, h in enumerate(header) if match(h)]
        if len(hits) == 1:
            return hits[0], True
        if len(hits) > 1:
            raise InputError(f"{path}: the header has {len(hits)} columns named {column!r}; rename one of them")
    raise InputError(
        f"{path}: no column {column!r} in the header line (columns: {', '.join(map(repr, header))}); "
        f"set `{what}: {{path: {path}, column: <one of them>}}` (or a 0-based number for a file without header)"
    )


def _choose(path: Path, rows, column, what: str) -> tuple[int, bool]:
    if column is not None:
        return _column_index(path, rows, column, what)
    width = max(len(r) for r in rows)
    if width == 1:
        return 0, False
    header = rows[0]
    kind = "its first column looks like a row index (as pandas writes it); " if _looks_like_index(rows) else ""
    raise InputError(
        f"{path}: the {what} list has {width} columns (header: {', '.join(map(repr, header))}); "
        f"{kind}say which column holds the gene IDs: `{what}: {{path: {path}, column: <name>}}` "
        "(or a 0-based number for a file without header)"
    )


def check_list_layout(path: str | Path, column=None, what: str = "tfs") -> None:
    """Raise InputError when the list's column choice is missing, ambiguous or wrong.

    Only the layout is checked (at parse time, for the dry run); a file that cannot be read
    (damaged gzip, not text, empty) is left to the job, which reports it in its own log.
    """
    path = Path(path)
    try:
        rows, _ = _rows(path, MAX_CHECK_ROWS)
    except InputError:
        return
    if not rows:
        return
    index, header = _choose(path, rows, column, what)
    values = [r[index] for r in rows[int(header):] if len(r) > index and r[index]]
    if not values:
        raise InputError(f"{path}: column {column!r} of the {what} list holds no IDs")


def read_id_list(path: str | Path, column=None, what: str = "tfs") -> list[str]:
    """The IDs of the list (order kept, duplicates and blanks dropped); see the module doc."""
    path = Path(path)
    rows, _ = _rows(path)
    if not rows:
        return []
    index, header = _choose(path, rows, column, what)
    values = (r[index] for r in rows[int(header):] if len(r) > index)
    return list(dict.fromkeys(v for v in values if v))


def list_column(spec):
    """The `column` of a list source (`{path|url..., column}`), None for a plain list."""
    return spec.get("column") if isinstance(spec, dict) else None
