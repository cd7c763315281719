"""Which header field belongs to which column of an expression matrix: trailing delimiters,
R-style headers (no name for the ID column), and the ambiguous cases that are refused."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from grnflow.errors import InputError

log = logging.getLogger("grnflow.normalize")

_SEP_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon"}

# Names a header gives its ID column; such a header is not R style (R leaves that field out).
ID_COLUMN_NAMES = frozenset({"gene", "genes", "gene_id", "geneid", "id", "ids", "name", "symbol",
                             "locus_tag", "probe", "probe_id", "probeset", "sample", "samples", "feature",
                             "gene_name", "gene_symbol", "orf", "locus", "target_id", "ensembl_id"})


def align_header(path: Path, header: list[str], body: pd.DataFrame, real_sep: str):
    """Header fields and body columns that belong together, or InputError.

    - every data row ends with the separator (an empty last field) while the header, which
      names its ID column (`gene`, `id`, ...), does not: a trailing delimiter; the empty column
      is dropped (NOT read as an R-style header, which would shift every sample label);
    - a header with one field fewer than the rows is R style (no name for the ID column) only
      when that is the only consistent reading: its first field is no ID-column name and the
      last column is not empty everywhere; otherwise the file is refused as ambiguous.
    """
    ncols = body.shape[1]
    last_empty = ncols > 1 and bool((body.iloc[:, -1].str.strip() == "").all())
    if last_empty and len(header) == ncols and header[-1] == "":
        header, body, ncols = header[:-1], body.iloc[:, :-1], ncols - 1  # header and rows end with it
    elif len(header) == ncols + 1 and header[-1] == "":
        header = header[:-1]
    if len(header) == ncols - 1:
        id_named = header[0].lower() in ID_COLUMN_NAMES
        if last_empty and id_named:
            log.warning("%s: every data row ends with a %s (trailing delimiter) and the header does "
                        "not; the empty last column is ignored", path, _SEP_NAMES.get(real_sep, repr(real_sep)))
            return header, body.iloc[:, :-1]
        if last_empty:
            raise InputError(
                f"{path}: every data row ends with an empty field and the header has one field "
                f"fewer than the rows ({len(header)} vs {ncols}): either each row has a trailing "
                "delimiter, or the header is R style and its last sample is all empty. Remove the "
                "trailing delimiters, or name the ID column in the header (e.g. `gene`)"
            )
        if id_named:
            raise InputError(
                f"{path}: the header names its ID column {header[0]!r} but has {len(header)} fields "
                f"while the rows have {ncols}: a sample name is missing from the header, or the rows "
                "hold an extra value; fix the header line"
            )
        log.info("%s: header has one field fewer than the rows (R style); first column = row IDs", path)
        header = [""] + header
    elif len(header) != ncols:
        raise InputError(
            f"{path}: the header has {len(header)} fields but the rows have {ncols} "
            f"({_SEP_NAMES.get(real_sep, repr(real_sep))}-separated); check `expression.sep`"
        )
    return header, body


__all__ = ["ID_COLUMN_NAMES", "align_header"]
