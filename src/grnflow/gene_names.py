"""Gene names for the expression gene IDs: `results/{ds}/data/gene_names.tsv` (`gene name`).

One row per expression gene, in the matrix's order; `name` is empty when no source knows the
gene. Sources, the first non-empty name winning:
1. a gene table (`inputs.gene_names`, TSV/CSV with a header; `gene_names.id_column`,
   `gene_names.name_column`);
2. a `var` column of an AnnData expression file (`gene_names.h5ad_column`, e.g. gene symbols);
3. the annotation (`inputs.annotation`): the `Name`, `gene` or `gene_name` attribute of the
   feature matched to the ID (the same matching as `promoters`).
Downstream stages (the inferred network, the report) join this table on `gene`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from grnflow.annotation import DEFAULT_FEATURE_TYPES, DEFAULT_ID_ATTRIBUTES, gene_index
from grnflow.errors import InputError
from grnflow.gene_name_table import COLUMNS
from grnflow.io import read_table, write_tsv
from grnflow.promoters import expression_genes

log = logging.getLogger("grnflow.gene_names")

ANNOTATION_NAMES = ("Name", "gene", "gene_name")


def _pick(columns, choice, path, key: str) -> str:
    if isinstance(choice, int):
        if not 0 <= choice < len(columns):
            raise InputError(f"{path}: `gene_names.{key}: {choice}` is out of range ({len(columns)} columns, 0-based)")
        return columns[choice]
    lower = {str(c).lower(): c for c in columns}
    if choice in columns:
        return choice
    if str(choice).lower() in lower:
        return lower[str(choice).lower()]
    raise InputError(f"{path}: no column {choice!r} for `gene_names.{key}` (columns: {', '.join(map(str, columns))})")


def names_from_table(path, id_column=0, name_column=1, sep: str = "auto") -> pd.Series:
    """Name by gene ID from a table with a header (columns by name or 0-based position)."""
    table = read_table(path, sep=sep, dtype=str, keep_default_na=False)
    ids = table[_pick(list(table.columns), id_column, path, "id_column")].str.strip()
    names = table[_pick(list(table.columns), name_column, path, "name_column")].str.strip()
    series = pd.Series(names.to_numpy(), index=ids.to_numpy(), dtype=object)
    dup = series.index[series.index.duplicated()].unique()
    if len(dup):
        log.warning("%s: %d gene ID(s) listed twice; the first name is used (e.g. %s)", path, len(dup),
                    ", ".join(map(str, dup[:5])))
    return series[~series.index.duplicated()]


def names_from_annotation(annotation, genes, id_attributes=DEFAULT_ID_ATTRIBUTES,
                          feature_types=DEFAULT_FEATURE_TYPES) -> pd.Series:
    """Name by gene ID: the first of Name/gene/gene_name of each gene's annotation feature."""
    features = gene_index(annotation, list(genes), id_attributes, feature_types).features
    names = pd.Series("", index=features.index, dtype=object)
    for attribute in reversed(ANNOTATION_NAMES):  # earlier attributes overwrite later ones
        if attribute in features:
            value = features[attribute].fillna("").astype(str).str.strip()
            names = names.where(value == "", value)
    return names


def build_gene_names(
    expression: str | Path,
    out: str | Path,
    table: str | Path | None = None,
    h5ad: str | Path | None = None,
    annotation: str | Path | None = None,
    id_column=0,
    name_column=1,
    h5ad_column: str | None = None,
    gene_column: str | None = None,
    id_attributes: Sequence[str] = DEFAULT_ID_ATTRIBUTES,
    feature_types: Sequence[str] = DEFAULT_FEATURE_TYPES,
) -> pd.DataFrame:
    """Write `gene name` for every gene of the normalized `expression` (see module doc)."""
    genes = pd.Index(expression_genes(expression))
    names = pd.Series("", index=genes, dtype=object)
    sources = []
    if annotation:
        sources.append((str(annotation), names_from_annotation(annotation, genes, id_attributes, feature_types)))
    if h5ad and h5ad_column:
        from grnflow.anndata_io import h5ad_var_column

        sources.append((f"{h5ad} var[{h5ad_column}]", h5ad_var_column(h5ad, h5ad_column, gene_column)))
    if table:
        sources.append((str(table), names_from_table(table, id_column, name_column)))
    for where, found in sources:  # lowest priority first: later sources overwrite
        found = found[~found.index.duplicated()].reindex(genes).fillna("").astype(str)
        log.info("%s: names for %d of %d expression genes", where, int((found != "").sum()), len(genes))
        names = names.where(found == "", found)
    if not sources:
        log.info("no gene-name source (gene_names table, h5ad column or annotation): names are empty")
    result = pd.DataFrame({"gene": genes.to_numpy(), "name": names.to_numpy()}, columns=COLUMNS)
    log.info("gene names: %d of %d genes named", int((result["name"] != "").sum()), len(result))
    write_tsv(result, out)
    return result

