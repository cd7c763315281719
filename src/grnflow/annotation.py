"""Genome annotation (GFF3 / GTF, plain or gzip) parsing and gene ID mapping.

`read_annotation` turns a GFF3 or GTF file into a feature table (one row per feature of the
wanted types, attributes parsed into columns); `gene_index` maps the expression matrix's gene
IDs onto those features through the attribute that matches most of them; `name_to_id` maps
gene names and synonyms (e.g. E. coli `crp`) to the matched IDs (`b3357`).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pandas as pd

from grnflow.errors import InputError
from grnflow.io import open_text

log = logging.getLogger(__name__)

DEFAULT_ID_ATTRIBUTES = ("ID", "locus_tag", "gene_id", "Name", "gene", "gene_synonym")
DEFAULT_FEATURE_TYPES = ("gene",)
# Attributes whose value is a comma-separated list of names.
LIST_ATTRIBUTES = ("gene_synonym",)
# Attributes mapped by `name_to_id`, best first: a primary name beats a synonym.
NAME_ATTRIBUTES = ("Name", "gene", "gene_name", "gene_synonym")
# NCBI/Ensembl GFF3 ID prefixes (`gene-b0001`, `gene:YAL068C`).
ID_PREFIX = re.compile(r"^(?:gene|rna|transcript|cds|exon|id)[-:]", re.IGNORECASE)
COLUMNS = ["seqid", "source", "type", "start", "end", "score", "strand", "phase", "attributes"]


@dataclass
class GeneIndex:
    """Expression gene IDs mapped to annotation features.

    `features` is indexed by the expression gene ID (columns seqid, type, start, end, strand,
    line and the parsed attributes); `attribute` is the attribute whose values matched;
    `missing` lists the wanted IDs without a feature, in the order they were given.
    """

    features: pd.DataFrame
    attribute: str
    missing: list[str] = field(default_factory=list)
    strip_prefix: bool = False


def detect_format(path: str | Path, attributes: pd.Series) -> str:
    """`gff3` or `gtf`, from the header line or else from the attribute syntax."""
    with open_text(path) as fh:
        head = fh.read(4096)
    if re.search(r"^##gff-version\s+3", head, re.MULTILINE):
        return "gff3"
    if re.search(r"^#!?gtf-version", head, re.MULTILINE):
        return "gtf"
    sample = attributes.dropna().head(200)
    if sample.empty:
        return "gff3"
    gtf_like = sample.str.match(r'^\s*[A-Za-z_][\w.]*\s+"').mean()
    return "gtf" if gtf_like > 0.5 else "gff3"


def read_annotation(
    path: str | Path,
    attributes: Iterable[str] = (*DEFAULT_ID_ATTRIBUTES, *NAME_ATTRIBUTES),
    feature_types: Iterable[str] | None = DEFAULT_FEATURE_TYPES,
) -> pd.DataFrame:
    """Read a GFF3 or GTF file (plain or gzip; format detected by content).

    Returns one row per feature whose type is in `feature_types` (all when None), in file
    order, with columns seqid, type, start, end (1-based, inclusive), strand, line (1-based
    line number in the file) and one column per requested attribute (missing: NA).
    """
    path = Path(path)
    try:
        with open_text(path) as fh:
            text = fh.read()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as a GFF3/GTF text file ({exc})") from exc
    fasta_at = text.find("\n##FASTA")
    if fasta_at >= 0:  # GFF3 may end with an embedded FASTA section
        text = text[: fasta_at + 1]
    if not text.strip():
        raise InputError(f"{path}: the annotation file is empty")
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep="\t",
            header=None,
            names=COLUMNS,
            dtype=str,
            quoting=csv.QUOTE_NONE,
            skip_blank_lines=False,
            keep_default_na=False,
            na_values=[],
        )
    except pd.errors.ParserError as exc:
        raise InputError(
            f"{path}: not a GFF3/GTF file: lines must have 9 tab-separated columns ({exc})"
        ) from exc
    table["line"] = np.arange(1, len(table) + 1)
    body = table[(table["seqid"] != "") & ~table["seqid"].str.startswith("#")]
    short = body["attributes"].isna() & body["strand"].isna()
    if short.any():
        bad = body[short].iloc[0]
        raise InputError(
            f"{path}, line {bad['line']}: expected 9 tab-separated columns "
            f"(seqid source type start end score strand phase attributes); is this a GFF3/GTF file?"
        )
    fmt = detect_format(path, body["attributes"])
    if feature_types is not None:
        wanted = list(feature_types)
        body = body[body["type"].isin(wanted)]
    out = pd.DataFrame(
        {
            "seqid": body["seqid"].to_numpy(),
            "type": body["type"].to_numpy(),
            "start": _coordinates(path, body, "start"),
            "end": _coordinates(path, body, "end"),
            "strand": body["strand"].to_numpy(),
            "line": body["line"].to_numpy(),
        }
    )
    attrs = body["attributes"].fillna("")
    for name in dict.fromkeys([*attributes, *(["gene_id"] if fmt == "gtf" else [])]):
        out[name] = _attribute(attrs, name, fmt).to_numpy()
    if fmt == "gtf":
        genes = out["type"].to_numpy() == "gene"
        lacking = genes & out["gene_id"].isna().to_numpy()
        if lacking.any():
            line = int(out["line"].to_numpy()[lacking][0])
            raise InputError(
                f"{path}, line {line}: GTF gene line without a `gene_id` attribute "
                f"({lacking.sum()} such gene line(s)); every GTF line needs gene_id \"...\";"
            )
    out.attrs["format"] = fmt
    out.attrs["path"] = str(path)
    log.info("%s: %s, %d feature(s) of type %s", path, fmt, len(out), ", ".join(feature_types or ["any"]))
    return out


def _coordinates(path: Path, body: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(body[column], errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        row = body[bad].iloc[0]
        raise InputError(
            f"{path}, line {row['line']}: {column} coordinate {row[column]!r} is not an integer"
        )
    return values.to_numpy(dtype=np.int64)


def _attribute(attrs: pd.Series, name: str, fmt: str) -> pd.Series:
    """Value of attribute `name` in every row (NA when absent); GFF3 values URL-decoded."""
    key = re.escape(name)
    if fmt == "gtf":
        values = attrs.str.extract(rf'(?:^|;)\s*{key}\s+"?([^";]*)"?', expand=False)
    else:
        values = attrs.str.extract(rf"(?:^|;)\s*{key}=([^;]*)", expand=False)
        encoded = values.str.contains("%", regex=False, na=False)
        if encoded.any():
            values = values.copy()
            values[encoded] = values[encoded].map(unquote)
    values = values.str.strip()
    return values.where(values != "")


def _candidates(features: pd.DataFrame, attribute: str, strip_prefix: bool) -> pd.DataFrame:
    """Long table (key, row) of the values of `attribute` (lists exploded, prefixes stripped)."""
    if attribute not in features:
        return pd.DataFrame({"key": pd.Series([], dtype=str), "row": np.array([], dtype=np.int64)})
    values = features[attribute]
    if strip_prefix:
        values = values.str.replace(ID_PREFIX, "", regex=True)
    long = pd.DataFrame({"key": values.to_numpy(), "row": np.arange(len(features))})
    if attribute in LIST_ATTRIBUTES:
        long["key"] = long["key"].str.split(",")
        long = long.explode("key")
        long["key"] = long["key"].str.strip()
    return long.dropna(subset=["key"])


def gene_index(
    annotation: pd.DataFrame | str | Path,
    wanted_ids: Sequence[str],
    id_attributes: Sequence[str] = DEFAULT_ID_ATTRIBUTES,
    feature_types: Sequence[str] = DEFAULT_FEATURE_TYPES,
) -> GeneIndex:
    """Map each wanted (expression) gene ID to its annotation feature.

    The attribute of `id_attributes` that matches most wanted IDs is used (ties: the earlier
    one); `ID` is also tried with `gene-`-like prefixes stripped. When several features carry
    the same ID, the first one in the file is used. Raises InputError when no ID matches.
    """
    if not isinstance(annotation, pd.DataFrame):
        attributes = list(dict.fromkeys([*id_attributes, *NAME_ATTRIBUTES]))
        annotation = read_annotation(annotation, attributes, feature_types)
    features = annotation[annotation["type"].isin(list(feature_types))].reset_index(drop=True)
    wanted = pd.Index(pd.unique(pd.Series(list(wanted_ids), dtype=str)))
    best = None
    for attribute in id_attributes:
        for strip in (False, True) if attribute == "ID" else (False,):
            long = _candidates(features, attribute, strip)
            hits = int(wanted.isin(long["key"]).sum())
            log.info("id attribute %s%s matches %d of %d gene IDs", attribute,
                     " (prefix stripped)" if strip else "", hits, len(wanted))
            if best is None or hits > best[0]:
                best = (hits, attribute, strip, long)
    source = annotation.attrs.get("path", "annotation")
    if best is None or best[0] == 0:
        raise InputError(
            f"{source}: none of the {len(wanted)} expression genes matches a "
            f"{'/'.join(feature_types)} feature (first expression IDs: {', '.join(map(str, wanted[:5]))}; "
            f"attributes tried: {', '.join(id_attributes)}); set "
            "`datasets.<name>.annotation.id_attributes` / `feature_types` to the attribute and "
            "feature type that carry these IDs"
        )
    hits, attribute, strip, long = best
    ambiguous = int(long[long["key"].isin(wanted)]["key"].duplicated().sum())
    if ambiguous:
        log.warning("%d gene ID(s) match several features; the first in the file is used", ambiguous)
    long = long[long["key"].isin(wanted)].drop_duplicates("key", keep="first")
    order = wanted[wanted.isin(long["key"])]
    rows = long.set_index("key").loc[order, "row"].to_numpy()
    table = features.iloc[rows].set_index(order.rename("gene"))
    missing = list(wanted[~wanted.isin(long["key"])])
    log.info("genes mapped through attribute %s: %d, not in annotation: %d", attribute, len(table), len(missing))
    return GeneIndex(features=table, attribute=attribute, missing=missing, strip_prefix=strip)


def name_to_id(
    index: GeneIndex, name_attributes: Sequence[str] = NAME_ATTRIBUTES
) -> dict[str, str]:
    """Map gene names/synonyms of the matched features to their (expression) gene ID.

    Earlier attributes win (a primary `Name`/`gene` beats a `gene_synonym`); a name that still
    points to several different IDs is ambiguous and left out. Each ID also maps to itself.
    """
    features = index.features
    parts = []
    for priority, attribute in enumerate(name_attributes):
        if attribute not in features:
            continue
        long = _candidates(features, attribute, strip_prefix=False)
        parts.append(pd.DataFrame({"name": long["key"].to_numpy(),
                                   "gene": features.index.to_numpy()[long["row"].to_numpy()],
                                   "priority": priority}))
    ids = features.index.to_numpy()
    parts.append(pd.DataFrame({"name": ids, "gene": ids, "priority": -1}))
    long = pd.concat(parts, ignore_index=True).drop_duplicates(["name", "gene"])
    top = long[long["priority"] == long.groupby("name")["priority"].transform("min")]
    counts = top.groupby("name")["gene"].transform("nunique")
    ambiguous = top.loc[counts > 1, "name"].unique()
    if len(ambiguous):
        log.warning("%d gene name(s) are ambiguous (several genes) and not mapped, e.g. %s",
                    len(ambiguous), ", ".join(map(str, ambiguous[:5])))
    unique = top[counts == 1].drop_duplicates("name")
    return dict(zip(unique["name"], unique["gene"]))


__all__ = [
    "GeneIndex",
    "read_annotation",
    "detect_format",
    "gene_index",
    "name_to_id",
    "DEFAULT_ID_ATTRIBUTES",
    "DEFAULT_FEATURE_TYPES",
]
