"""Per-batch normalization: the `normalize.methods` applied within groups of samples.

Expression compendia combine blocks measured separately (a cell-cycle series, a stress series,
knockouts); z-scored per gene over all samples, a block with a small spread stays on a small
scale. With `normalize.batch_column` (a sample-sheet column) or `normalize.batch_pattern` (a
regular expression on the sample names) every method runs on each batch's samples alone.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from grnflow.errors import InputError
from grnflow.io import read_table

log = logging.getLogger("grnflow.batches")

# Methods that compare samples within a gene: a batch of one sample makes them meaningless.
ACROSS_SAMPLES = ("zscore", "quantile")


def _names(items, limit: int = 8) -> str:
    items = [str(i) for i in items]
    return ", ".join(items[:limit]) + (f" ... (+{len(items) - limit} more)" if len(items) > limit else "")


def labels_from_pattern(samples, pattern: str) -> pd.Series:
    """Batch of each sample: the first group of `pattern` (else the whole match) in its name."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise InputError(f"config: normalize.batch_pattern {pattern!r} is not a valid regular expression ({exc})") from exc
    labels, unmatched = {}, []
    for sample in samples:
        match = regex.search(str(sample))
        if match is None:
            unmatched.append(sample)
            continue
        labels[sample] = match.group(1) if regex.groups else match.group(0)
    if unmatched:
        raise InputError(
            f"config: normalize.batch_pattern {pattern!r} matches no part of {len(unmatched)} sample "
            f"name(s): {_names(unmatched)}; every sample needs a batch (e.g. `^([^_]+)_` takes the "
            "text before the first underscore)"
        )
    return pd.Series(labels, dtype=object)


def labels_from_sheet(samples, sheet: str | Path, column: str, sep: str = "auto") -> pd.Series:
    """Batch of each sample: `column` of the sample sheet (column names case-insensitive)."""
    table = read_table(sheet, sep=sep, dtype=str, keep_default_na=False)
    by_lower = {str(c).strip().lower(): c for c in table.columns}
    for needed in ("sample", column.lower()):
        if needed not in by_lower:
            raise InputError(
                f"{sheet}: no column `{needed}` (columns: {_names(table.columns)}); "
                f"`normalize.batch_column: {column}` needs the sheet's `sample` column and that column"
            )
    names = table[by_lower["sample"]].str.strip()
    values = table[by_lower[column.lower()]].str.strip()
    labels = pd.Series(values.to_numpy(), index=names.to_numpy(), dtype=object)
    labels = labels[~labels.index.duplicated()]
    missing = [s for s in samples if s not in labels.index or labels.get(s, "") == ""]
    if missing:
        raise InputError(
            f"{sheet}: column `{column}` gives no batch for {len(missing)} expression sample(s): "
            f"{_names(missing)}; add a row (or a value) for each, since `normalize.batch_column` "
            "normalizes every sample within its batch"
        )
    return labels.loc[list(samples)]


def batch_labels(samples, sheet=None, column=None, pattern=None, sep: str = "auto") -> pd.Series | None:
    """The batch label of each sample (index = samples), or None when no batches are configured."""
    if column and pattern:
        raise InputError("config: set either normalize.batch_column or normalize.batch_pattern, not both")
    if pattern:
        return labels_from_pattern(samples, pattern)
    if column:
        if sheet is None:
            raise InputError(
                f"config: normalize.batch_column: {column} needs a sample sheet (`inputs.samples`) "
                "holding that column; or use normalize.batch_pattern on the sample names"
            )
        return labels_from_sheet(samples, sheet, column, sep)
    return None


def apply_by_batch(matrix: pd.DataFrame, methods, labels: pd.Series | None, apply, source="expression") -> pd.DataFrame:
    """`apply(sub_matrix, methods, source)` on each batch's columns; the column order is kept."""
    if labels is None:
        return apply(matrix, methods, source)
    labels = labels.reindex(matrix.columns)
    sizes = labels.value_counts(sort=False)
    single = sizes.index[sizes < 2].tolist()
    if single and any(m in ACROSS_SAMPLES for m in methods):
        raise InputError(
            f"{source}: batch(es) {_names(single)} hold a single sample; "
            f"{'/'.join(m for m in methods if m in ACROSS_SAMPLES)} within one sample sets every value "
            "to a constant. Merge them into larger batches (batch_column/batch_pattern)"
        )
    log.info("normalizing within %d batch(es): %s", len(sizes),
             ", ".join(f"{b} ({n})" for b, n in sizes.items()))
    parts = [apply(matrix.loc[:, (labels == batch).to_numpy()], methods, f"{source} [batch {batch}]")
             for batch in sizes.index]
    return pd.concat(parts, axis=1).loc[:, matrix.columns]
