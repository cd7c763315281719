"""ID matching across input files: say how many IDs were lost, why it likely happened, and
stop when too many were.

A stage that matches the IDs of one file against another (network genes against the
expression matrix, annotation genes against it, annotation contigs against the FASTA) calls
`check_loss`: above `max_loss` (the share of `datasets.<ds>.id_matching.max_loss`, default
0.5) it raises InputError with the counts and the likely cause (letter case, surrounding
spaces or quotes, Excel date-mangling such as SEPT2 -> 2-Sep, prefixes such as `gene:`,
version suffixes); a smaller loss is a WARNING. Every check is a row of the stage's
`id_matching` table (`MATCH_COLUMNS`), which the report can show.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import pandas as pd

from grnflow.errors import InputError
from grnflow.io import write_tsv

log = logging.getLogger(__name__)

MATCH_COLUMNS = ["stage", "kind", "source", "reference", "total", "kept", "dropped", "share_dropped",
                 "likely_cause", "examples"]
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_EXCEL_DATE = re.compile(
    rf"^(\d{{1,2}}-({_MONTHS})(-\d{{2,4}})?|({_MONTHS})-\d{{1,4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})$",
    re.IGNORECASE,
)
_PREFIX = re.compile(r"^(gene|transcript|cds|rna|mrna|protein|locus|id)[:_-]", re.IGNORECASE)
_VERSION = re.compile(r"\.\d+$")


def looks_like_excel_date(name) -> bool:
    """Whether `name` looks like a date Excel made from a gene name (2-Sep, Mar-01, 2001-03-01)."""
    return bool(_EXCEL_DATE.match(str(name).strip()))


def _folded(ids: Iterable[str], fn) -> dict[str, str]:
    out: dict[str, str] = {}
    for i in ids:
        out.setdefault(fn(str(i)), str(i))
    return out


# (cause, how a lost ID and a reference ID are brought to a common form)
_CAUSES = (
    ("letter case (IDs that differ only in upper/lower case)", str.lower),
    ("surrounding spaces or quotes", lambda s: s.strip().strip("\"'").strip()),
    ("a prefix such as `gene:` or `cds-` on one side", lambda s: _PREFIX.sub("", s.strip())),
    ("a version suffix such as `.1` on one side", lambda s: _VERSION.sub("", s.strip())),
)


def likely_cause(lost: Iterable[str], reference: Iterable[str]) -> str:
    """One sentence: which pattern explains most of the `lost` IDs against `reference`."""
    lost = [str(i) for i in dict.fromkeys(lost)]
    if not lost:
        return ""
    reference = [str(r) for r in reference]
    best, best_hits, best_example = "", 0, ""
    for cause, fn in _CAUSES:
        ref = _folded(reference, fn)
        hits = [(i, ref[fn(i)]) for i in lost if fn(i) in ref]
        if len(hits) > best_hits:
            best, best_hits, best_example = cause, len(hits), f"{hits[0][0]!r} vs {hits[0][1]!r}"
    dates = [i for i in lost if looks_like_excel_date(i)]
    if len(dates) > best_hits:
        return (f"Excel date-mangling: {len(dates)} of {len(lost)} unmatched ID(s) look like dates "
                f"made from gene names (e.g. {dates[0]!r}; SEPT2 -> 2-Sep)")
    if best_hits:
        return f"{best}: {best_hits} of {len(lost)} unmatched ID(s) match that way (e.g. {best_example})"
    return f"no common pattern: none of the {len(lost)} unmatched ID(s) matches after folding case, spaces, prefixes"


def check_loss(
    records: list[dict],
    stage: str,
    kind: str,
    source,
    reference,
    total: int,
    lost_ids: Iterable[str],
    reference_ids: Iterable[str],
    max_loss: float,
    dropped: int | None = None,
    fix: str = "",
) -> dict:
    """Record one ID match (`kind`: edges, regulators, genes, promoters) and judge the loss.

    `total` items of `source` were matched against `reference`; `dropped` of them (default:
    the number of `lost_ids`) were lost because of the unmatched `lost_ids`. Raises
    InputError when dropped / total > `max_loss`; logs a WARNING for a smaller non-zero loss.
    Appends the record (MATCH_COLUMNS) to `records` and returns it.
    """
    lost_ids = [str(i) for i in dict.fromkeys(lost_ids)]
    dropped = len(lost_ids) if dropped is None else int(dropped)
    share = dropped / total if total else 0.0
    cause = likely_cause(lost_ids, reference_ids) if dropped else ""
    record = {"stage": stage, "kind": kind, "source": str(source), "reference": str(reference),
              "total": int(total), "kept": int(total - dropped), "dropped": dropped,
              "share_dropped": round(share, 4), "likely_cause": cause,
              "examples": ", ".join(lost_ids[:5])}
    records.append(record)
    if not dropped:
        return record
    summary = (f"{source}: {dropped} of {total} {kind} ({100 * share:.0f}%) are lost matching IDs "
               f"against {reference} (unmatched IDs: {record['examples']}{' ...' if len(lost_ids) > 5 else ''}); "
               f"likely cause: {cause}")
    if share > max_loss:
        raise InputError(
            f"{summary}. That is more than `id_matching.max_loss` ({max_loss:g}) allows: make the "
            f"IDs of both files agree{'; ' + fix if fix else ''} (or raise "
            "`datasets.<name>.id_matching.max_loss` if the loss is expected)"
        )
    log.warning("%s", summary)
    return record


def write_id_matching(records: list[dict], path) -> None:
    """The `id_matching` table of a stage (MATCH_COLUMNS), written atomically."""
    write_tsv(pd.DataFrame(records, columns=MATCH_COLUMNS), path)


__all__ = ["MATCH_COLUMNS", "check_loss", "likely_cause", "looks_like_excel_date", "write_id_matching"]
