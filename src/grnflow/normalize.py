"""Read a user expression matrix, check it, handle missing values and normalize it.

Output contract: `results/{ds}/data/expression.tsv`, genes x samples, column `gene` then one
float column per sample.
"""

from __future__ import annotations

import csv
import logging
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.anndata_io import h5ad_sample_names, is_h5ad, read_h5ad_expression
from grnflow.batches import apply_by_batch, batch_labels
from grnflow.errors import InputError
from grnflow.idmatch import looks_like_excel_date
from grnflow.io import atomic_path, open_text, read_table, sniff_sep
from grnflow.table_shape import align_header

log = logging.getLogger("grnflow.normalize")

ORIENTATIONS = ("genes_x_samples", "samples_x_genes")
METHODS = ("log1p", "quantile", "zscore", "none")
IMPUTE = ("mean", "median", "zero")
# Cell values read as missing (compared case-insensitively, after stripping blanks).
NA_TOKENS = frozenset({"", "na", "nan", "n/a", "#n/a", "null", "none", "-", "?"})


def _names(items, limit: int = 10) -> str:
    items = [str(i) for i in items]
    more = f" ... (+{len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


# --- reading -----------------------------------------------------------------------------


def _read_header(path: Path, real_sep: str) -> tuple[list[str], list[str] | None]:
    """The first line's fields and the first non-blank data line's fields (None if absent)."""
    with open_text(path) as fh:
        reader = csv.reader(fh, delimiter=real_sep)
        header = next(reader, None)
        first = next((row for row in reader if any(f.strip() for f in row)), None)
    if header is None or not any(f.strip() for f in header):
        raise InputError(f"{path}: the file is empty (or its first line is blank)")
    return [f.strip() for f in header], first


def _sep_label(real_sep: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon"}.get(real_sep, repr(real_sep))


def read_expression(
    path: str | Path, orientation: str = "genes_x_samples", sep: str = "auto"
) -> pd.DataFrame:
    """The matrix as genes x samples floats (index: gene IDs, columns: sample names).

    Missing cells become NaN; duplicate gene IDs are averaged (with a warning); duplicate
    sample names, non-numeric cells, empty or one-column files raise InputError.
    """
    path = Path(path)
    if orientation not in ORIENTATIONS:
        raise InputError(f"config: expression.orientation {orientation!r} is not one of {ORIENTATIONS}")
    real_sep = sniff_sep(path, sep)
    header, first = _read_header(path, real_sep)
    if first is None:
        raise InputError(f"{path}: only a header line, no data rows")
    body = read_table(
        path, sep=real_sep, header=None, skiprows=1, dtype=str, keep_default_na=False, na_filter=False
    )
    header, body = align_header(path, header, body, real_sep)
    ncols = body.shape[1]
    if ncols < 2:
        raise InputError(
            f"{path}: only one column was found with the {_sep_label(real_sep)} separator; an "
            "expression matrix needs an ID column and at least one value column. Set "
            "`expression.sep` (tab, comma or semicolon) to the file's separator"
        )
    row_ids = body[0].str.strip().to_numpy(dtype=object)
    col_ids = np.asarray(header[1:], dtype=object)
    row_kind, col_kind = ("gene", "sample") if orientation == "genes_x_samples" else ("sample", "gene")
    empty = np.flatnonzero(row_ids == "")
    if empty.size:
        raise InputError(f"{path}: data row {empty[0] + 1} has an empty {row_kind} ID in the first column")
    empty = np.flatnonzero(col_ids == "")
    if empty.size:
        raise InputError(f"{path}: header column {empty[0] + 2} has an empty {col_kind} name")

    values = _to_float(body.iloc[:, 1:].to_numpy(dtype=object), path, row_ids, col_ids)
    matrix = pd.DataFrame(values, index=pd.Index(row_ids, dtype=object), columns=pd.Index(col_ids, dtype=object))
    if orientation == "samples_x_genes":
        matrix = matrix.T
    dup_samples = matrix.columns[matrix.columns.duplicated()].unique()
    if len(dup_samples):
        raise InputError(
            f"{path}: duplicate sample name(s) {_names(dup_samples)}; every sample needs a unique "
            "name (rename the replicates, e.g. `_rep1`, `_rep2`)"
        )
    dup_genes = matrix.index[matrix.index.duplicated()].unique()
    mangled = [g for g in dup_genes if looks_like_excel_date(g)]
    if mangled:
        raise InputError(
            f"{path}: gene ID(s) {_names(mangled)} occur more than once and look like dates made "
            "by Excel from gene names (e.g. SEPT2 -> 2-Sep, MARCH1 -> 1-Mar); averaging would merge "
            "different genes. Re-export the matrix with the ID column formatted as text (or take "
            "the IDs from the original source)"
        )
    if len(dup_genes):
        log.warning(
            "%s: %d gene ID(s) occur more than once and are averaged: %s",
            path, len(dup_genes), _names(dup_genes),
        )
        matrix = matrix.groupby(level=0, sort=False).mean()
    matrix.index.name = "gene"
    matrix.columns.name = None
    return matrix


def _to_float(raw: np.ndarray, path: Path, row_ids, col_ids) -> np.ndarray:
    """Cells as floats; NA tokens -> NaN; anything else non-numeric raises naming the cell."""
    flat = pd.Series(raw.ravel(), dtype=object)
    numbers = pd.to_numeric(flat, errors="coerce").to_numpy(dtype=float, copy=True)
    suspect = np.flatnonzero(~np.isfinite(numbers))
    if suspect.size:
        text = flat.iloc[suspect].astype(str).str.strip().str.lower()
        bad = suspect[~text.isin(NA_TOKENS).to_numpy()]
        if bad.size:
            i, j = divmod(int(bad[0]), raw.shape[1])
            value = raw[i, j]
            hint = ""
            if re.fullmatch(r"\s*-?\d+,\d+\s*", str(value)):
                hint = " (a decimal comma? use a dot as decimal separator)"
            elif str(value).strip().lower().lstrip("+-") in ("inf", "infinity"):
                hint = " (infinite values are not allowed)"
            elif np.isinf(numbers[bad[0]]):
                hint = " (it overflows to infinity: larger than 1.8e308)"
            raise InputError(
                f"{path}: value {value!r} in row {row_ids[i]!r}, column {col_ids[j]!r} is not a "
                f"number{hint}; {bad.size} such cell(s) in total. Expression values must be numbers; "
                "missing values may be empty or NA. If the first column holds values, check "
                "`expression.orientation` and `expression.sep`"
            )
        numbers[suspect] = np.nan
    return numbers.reshape(raw.shape)


def raw_sample_names(path: str | Path, orientation: str = "genes_x_samples", sep: str = "auto") -> list[str]:
    """The sample names of a raw expression file, read cheaply (header or first column)."""
    path = Path(path)
    if is_h5ad(path):
        return h5ad_sample_names(path)
    real_sep = sniff_sep(path, sep)
    header, first = _read_header(path, real_sep)
    if orientation == "genes_x_samples":
        if first is None:
            return header[1:]
        body = read_table(path, sep=real_sep, header=None, skiprows=1, dtype=str, keep_default_na=False,
                          na_filter=False)
        return align_header(path, header, body, real_sep)[0][1:]
    ids = read_table(path, sep=real_sep, header=None, skiprows=1, usecols=[0], dtype=str, keep_default_na=False)
    return [s.strip() for s in ids[0]]


def network_genes(path: str | Path) -> set[str]:
    """Gene IDs in the first two columns of a network file (empty set if it cannot be read)."""
    try:
        net = read_table(path, sep="auto", header=None, dtype=str, keep_default_na=False)
    except InputError as exc:
        log.warning("orientation check skipped: %s", exc)
        return set()
    cols = [net[c].str.strip() for c in net.columns[:2]]
    return set(pd.concat(cols).tolist()) if cols else set()


def check_orientation(matrix: pd.DataFrame, genes: set[str], path, orientation: str) -> None:
    """Raise when the network's genes match the sample names but none of the gene IDs."""
    if not genes:
        return
    gene_hits = int(matrix.index.isin(genes).sum())
    sample_hits = int(matrix.columns.isin(genes).sum())
    many = max(2, math.ceil(0.1 * matrix.shape[1]))
    if gene_hits == 0 and sample_hits >= many:
        other = "samples_x_genes" if orientation == "genes_x_samples" else "genes_x_samples"
        rows, cols = ("first column", "header") if orientation == "genes_x_samples" else ("header", "first column")
        raise InputError(
            f"{path}: the matrix looks transposed: none of its {matrix.shape[0]} gene IDs (the "
            f"{rows}, e.g. {_names(matrix.index[:3])}) occurs in the network, but {sample_hits} of "
            f"its {matrix.shape[1]} sample names (the {cols}, e.g. {_names(matrix.columns[:3])}) "
            f"do. Set `expression.orientation: {other}` for this dataset"
        )


# --- missing values and normalization ----------------------------------------------------


def handle_missing(
    matrix: pd.DataFrame, max_nan_fraction: float = 0.5, impute: str = "mean", source="expression"
) -> pd.DataFrame:
    """Drop genes, then samples, with more than `max_nan_fraction` NaN; impute the rest per gene."""
    if impute not in IMPUTE:
        raise InputError(f"config: normalize.impute {impute!r} is not one of {IMPUTE}")
    missing = matrix.isna()
    if missing.to_numpy().all():
        raise InputError(f"{source}: every value of the matrix is missing (NaN/NA/empty)")
    if not missing.to_numpy().any():
        return matrix
    gene_frac = missing.mean(axis=1)
    drop_genes = gene_frac.index[(gene_frac > max_nan_fraction) | (gene_frac == 1)]
    if len(drop_genes):
        log.warning(
            "%s: dropped %d of %d gene(s) with more than %.0f%% missing values: %s",
            source, len(drop_genes), matrix.shape[0], 100 * max_nan_fraction, _names(drop_genes),
        )
        matrix = matrix.drop(index=drop_genes)
    sample_frac = matrix.isna().mean(axis=0)
    drop_samples = sample_frac.index[(sample_frac > max_nan_fraction) | (sample_frac == 1)]
    if len(drop_samples):
        log.warning(
            "%s: dropped %d of %d sample(s) with more than %.0f%% missing values: %s",
            source, len(drop_samples), matrix.shape[1], 100 * max_nan_fraction, _names(drop_samples),
        )
        matrix = matrix.drop(columns=drop_samples)
    if matrix.empty:
        raise InputError(
            f"{source}: no gene/sample is left after dropping those with more than "
            f"{100 * max_nan_fraction:.0f}% missing values; raise `normalize.max_nan_fraction`"
        )
    n_missing = int(matrix.isna().to_numpy().sum())
    if n_missing:
        if impute == "zero":
            fill = pd.Series(0.0, index=matrix.index)
        else:
            fill = matrix.mean(axis=1) if impute == "mean" else matrix.median(axis=1)
        values = matrix.to_numpy(dtype=float, copy=True)
        rows, cols = np.nonzero(np.isnan(values))
        values[rows, cols] = fill.to_numpy()[rows]
        matrix = pd.DataFrame(values, index=matrix.index, columns=matrix.columns)
        log.info("%s: imputed %d missing value(s) with the gene's %s", source, n_missing, impute)
    return matrix


def log1p(matrix: pd.DataFrame, source="expression") -> pd.DataFrame:
    values = matrix.to_numpy(dtype=float)
    negative = values < 0
    if negative.any():
        raise InputError(
            f"{source}: normalize method `log1p` needs non-negative values, but {int(negative.sum())} "
            f"value(s) are negative (smallest {values.min():.6g}); the data look already "
            "log-transformed or centred: use `normalize.methods: [none]` (or [zscore])"
        )
    return pd.DataFrame(np.log1p(values), index=matrix.index, columns=matrix.columns)


def quantile(matrix: pd.DataFrame, source="expression") -> pd.DataFrame:
    """Quantile normalization across samples; tied values share the mean of their quantiles."""
    x = matrix.to_numpy(dtype=float)
    n = x.shape[0]
    order = np.argsort(x, axis=0, kind="stable")
    ranked = np.take_along_axis(x, order, axis=0)
    reference = ranked.mean(axis=1)
    csum = np.concatenate([[0.0], np.cumsum(reference)])
    idx = np.arange(n)[:, None]
    differs = ranked[1:] != ranked[:-1]
    first_of_run = np.vstack([np.ones((1, x.shape[1]), bool), differs])
    last_of_run = np.vstack([differs, np.ones((1, x.shape[1]), bool)])
    start = np.maximum.accumulate(np.where(first_of_run, idx, 0), axis=0)
    end = np.minimum.accumulate(np.where(last_of_run, idx, n - 1)[::-1], axis=0)[::-1]
    tied_mean = (csum[end + 1] - csum[start]) / (end - start + 1)
    out = np.empty_like(x)
    np.put_along_axis(out, order, tied_mean, axis=0)
    return pd.DataFrame(out, index=matrix.index, columns=matrix.columns)


def zscore(matrix: pd.DataFrame, source="expression") -> pd.DataFrame:
    """Per gene: (x - mean) / std (population std); constant genes become 0 with a warning."""
    x = matrix.to_numpy(dtype=float)
    mean = x.mean(axis=1, keepdims=True)
    std = x.std(axis=1, keepdims=True)
    constant = (x.max(axis=1) == x.min(axis=1))
    if constant.any():
        log.warning(
            "%s: %d gene(s) have the same value in every sample (zero variance) and are set to 0 "
            "by zscore: %s", source, int(constant.sum()), _names(matrix.index[constant]),
        )
    std[constant] = 1.0
    z = (x - mean) / std
    z[constant] = 0.0
    return pd.DataFrame(z, index=matrix.index, columns=matrix.columns)


def none(matrix: pd.DataFrame, source="expression") -> pd.DataFrame:
    return matrix


TRANSFORMS = {"log1p": log1p, "quantile": quantile, "zscore": zscore, "none": none}


def apply_methods(matrix: pd.DataFrame, methods, source="expression") -> pd.DataFrame:
    """Apply the normalize `methods` in order."""
    for method in methods:
        if method not in TRANSFORMS:
            raise InputError(f"config: normalize method {method!r} is not one of {METHODS}")
        largest = float(np.abs(matrix.to_numpy(dtype=float)).max(initial=0))
        with np.errstate(over="ignore", invalid="ignore"):
            matrix = TRANSFORMS[method](matrix, source)
        values = matrix.to_numpy(dtype=float)
        if not np.isfinite(values).all():
            row, col = np.argwhere(~np.isfinite(values))[0]
            raise InputError(
                f"{source}: normalize method `{method}` overflows to infinity (or NaN) for gene "
                f"{matrix.index[row]} in sample {matrix.columns[col]}: the values are too large "
                f"(largest |value| before `{method}`: {largest:.3g}). "
                "Check that the file holds expression values (not already exponentiated), or "
                "scale them first (e.g. `normalize.methods: [log1p, zscore]` on counts)"
            )
        log.info("applied %s", method)
    return matrix


def check_sample_count(matrix: pd.DataFrame, min_samples: dict | None, source="expression") -> None:
    """Refuse fewer samples than the selected methods need (`{method: minimum}`, see
    grnflow.methods.MIN_SAMPLES, documented in config/README.md)."""
    if not min_samples:
        return
    need = {m: n for m, n in min_samples.items() if matrix.shape[1] < n}
    if need:
        worst = max(need, key=need.get)
        raise InputError(
            f"{source}: only {matrix.shape[1]} sample(s) are left after the missing-value checks, "
            f"but method(s) {', '.join(need)} need at least {need[worst]} (e.g. `{worst}` over so "
            "few samples gives meaningless scores; minimums in config/README.md, methods). Add "
            "samples, or remove those methods from `methods`"
        )


# --- stage -------------------------------------------------------------------------------


def normalize_expression(
    expression: str | Path,
    out_tsv: str | Path,
    out_png: str | Path | None = None,
    network: str | Path | None = None,
    orientation: str = "genes_x_samples",
    sep: str = "auto",
    methods=("zscore",),
    max_nan_fraction: float = 0.5,
    impute: str = "mean",
    layer: str | None = None,
    gene_column: str | None = None,
    samples: str | Path | None = None,
    samples_sep: str = "auto",
    batch_column: str | None = None,
    batch_pattern: str | None = None,
    min_samples: dict | None = None,
) -> pd.DataFrame:
    """Read, check, clean and normalize `expression`; write the genes x samples TSV (+ QC plot).

    An AnnData `.h5ad` file (cells x genes; `layer`, `gene_column`) is read by
    grnflow.anndata_io; with `batch_column` (of the sheet `samples`) or `batch_pattern` the
    methods run within each batch (grnflow.batches).
    """
    if is_h5ad(expression):
        raw = read_h5ad_expression(expression, layer, gene_column)
    else:
        raw = read_expression(expression, orientation, sep)
        log.info("%s: %d genes x %d samples (%s)", expression, raw.shape[0], raw.shape[1], orientation)
        if network:
            check_orientation(raw, network_genes(network), expression, orientation)
    labels = batch_labels(list(raw.columns), samples, batch_column, batch_pattern, samples_sep)
    clean = handle_missing(raw, max_nan_fraction, impute, source=str(expression))
    check_sample_count(clean, min_samples, str(expression))
    result = apply_by_batch(clean, list(methods), labels, apply_methods, source=str(expression))
    write_matrix(result, out_tsv)
    log.info("wrote %s: %d genes x %d samples", out_tsv, result.shape[0], result.shape[1])
    if out_png:
        plot_distributions(raw, result, out_png, methods)
    return result


def write_matrix(matrix: pd.DataFrame, path: str | Path) -> None:
    """Write genes x samples as TSV (`gene` column, values `%.6g`) atomically.

    Formats one row per `%` operation: several times faster than `DataFrame.to_csv`.
    """
    row_fmt = "%s\t" + "\t".join(["%.6g"] * matrix.shape[1]) + "\n"
    values = matrix.to_numpy(dtype=float).tolist()
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        fh.write("\t".join(["gene", *map(str, matrix.columns)]) + "\n")
        fh.writelines(row_fmt % (gene, *row) for gene, row in zip(matrix.index, values))


def plot_distributions(before: pd.DataFrame, after: pd.DataFrame, path, methods, max_samples: int = 30) -> None:
    """Histogram of all values and per-sample boxes, before and after normalization."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7), constrained_layout=True)
    for col, (title, m) in enumerate(
        [("input", before), (f"after {' -> '.join(methods) or 'none'}", after)]
    ):
        values = m.to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        axes[0, col].hist(finite, bins=80, color="#4C72B0")
        axes[0, col].set_title(f"{title}: {m.shape[0]} genes x {m.shape[1]} samples")
        axes[0, col].set_xlabel("value")
        axes[0, col].set_ylabel("count")
        pick = np.unique(np.linspace(0, m.shape[1] - 1, min(max_samples, m.shape[1])).astype(int))
        data = [v[np.isfinite(v)] for v in values[:, pick].T]
        axes[1, col].boxplot(data, showfliers=False)
        axes[1, col].set_xticks(np.arange(1, len(pick) + 1), [str(m.columns[i]) for i in pick],
                                rotation=90, fontsize=6)
        axes[1, col].set_ylabel("value")
        axes[1, col].set_title(f"per sample ({len(pick)} of {m.shape[1]} shown)")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)
