"""User-supplied splits (config `splits: [{name, pairs | regulators}]`), validated.

- A pair table (`gene_a gene_b label fold`, tab-separated with that header; extra columns are
  ignored), e.g. GENER's published split or GENELink's train/test files: taken exactly as
  given (no pair added or dropped); direction and pair_class are computed as for the
  built-in regimes.
- A list of held-out regulators (one per line, optionally `<TAB>val` or `<TAB>test`; default
  test; `#` comments): regime `regulators`, a fixed `tf_holdout`. When no regulator is listed
  for val, val regulators are drawn from the others (`val_fraction` of the positives).

Bad input (unknown gene, fold or label, a pair twice, a missing train or test fold) is an
InputError naming the file and line.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.errors import InputError
from grnflow.io import read_table
from grnflow.names import FOLDS

log = logging.getLogger("grnflow.pairs")

USER_PAIR_COLUMNS = ["gene_a", "gene_b", "label", "fold"]


def _bad(path, rows: np.ndarray, what: str, values) -> InputError:
    """InputError naming the file, the first offending line (header = line 1) and the values."""
    line = int(rows[0]) + 2
    shown = ", ".join(map(str, pd.unique(np.asarray(values))[:5]))
    return InputError(f"{path}: line {line}: {what} ({int(rows.size)} line(s), e.g. {shown})")


def read_user_pairs(path: str | Path, genes: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(gene_a, gene_b, label, fold) codes of a user pair table, every line validated."""
    table = read_table(path, sep="tab", dtype=str, keep_default_na=False)
    missing = [c for c in USER_PAIR_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"{path}: lacks column(s) {', '.join(missing)}; a split pair table has the header "
                         f"`{' '.join(USER_PAIR_COLUMNS)}` (tab-separated)")
    if table.empty:
        raise InputError(f"{path}: the split pair table has no pairs")
    codes = {}
    for col in ("gene_a", "gene_b"):
        idx = genes.get_indexer(table[col].str.strip())
        if (idx < 0).any():
            rows = np.flatnonzero(idx < 0)
            raise _bad(path, rows, f"{col} not a gene of the expression matrix", table[col].to_numpy()[rows])
        codes[col] = idx.astype(np.int64)
    label = table["label"].str.strip()
    bad = ~label.isin(["0", "1"])
    if bad.any():
        rows = np.flatnonzero(bad)
        raise _bad(path, rows, "label must be 0 or 1", label.to_numpy()[rows])
    fold = table["fold"].str.strip().str.lower()
    bad = ~fold.isin(FOLDS)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise _bad(path, rows, f"fold must be one of {', '.join(FOLDS)}", table["fold"].to_numpy()[rows])
    a, b = codes["gene_a"], codes["gene_b"]
    self_pair = a == b
    if self_pair.any():
        rows = np.flatnonzero(self_pair)
        raise _bad(path, rows, "gene_a equals gene_b (a self pair)", table["gene_a"].to_numpy()[rows])
    key = a * len(genes) + b
    dup = pd.Series(key).duplicated().to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        raise _bad(path, rows, "the pair occurs twice", table["gene_a"].to_numpy()[rows] + " " + table["gene_b"].to_numpy()[rows])
    fold_code = pd.Index(FOLDS).get_indexer(fold).astype(np.int64)
    label_code = label.astype(int).to_numpy(dtype=np.int64)
    for f in (0, 2):
        if not (label_code[fold_code == f] == 1).any():
            raise InputError(f"{path}: the {FOLDS[f]} fold has no positive pair (label 1); a split needs "
                             "training and test positives")
    return a, b, label_code, fold_code


def check_against_reference(path, a, b, label, fold, edges, n_genes: int) -> None:
    """Log (not change) how the user's labels and folds differ from the reference network."""
    is_edge = edges.contains(a, b)
    if (is_edge != (label == 1)).any():
        log.warning("%s: %d label-1 pair(s) are no reference edge and %d label-0 pair(s) are one; the "
                    "file's labels are used as given", path, int(((label == 1) & ~is_edge).sum()),
                    int(((label == 0) & is_edge).sum()))
    unit = np.minimum(a, b) * n_genes + np.maximum(a, b)
    units = pd.DataFrame({"unit": unit, "fold": fold}).drop_duplicates()
    split_units = int(units["unit"].duplicated().sum())
    if split_units:
        log.warning("%s: %d gene pair(s) have their two orientations in different folds (the built-in "
                    "regimes never do that); the file's folds are used as given", path, split_units)


def read_heldout_regulators(path: str | Path, genes: pd.Index) -> dict[int, int]:
    """{gene index: fold (1 val, 2 test)} of a held-out regulator list, every line validated."""
    heldout: dict[int, int] = {}
    lines = Path(path).read_text().splitlines()
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        fields = text.split("\t") if "\t" in text else text.split()
        if len(fields) > 2:
            raise InputError(f"{path}: line {number}: expected `regulator` or `regulator<TAB>val|test`, got {line!r}")
        gene, fold = fields[0], (fields[1].lower() if len(fields) == 2 else "test")
        if fold not in ("val", "test"):
            raise InputError(f"{path}: line {number}: fold {fields[1]!r} must be val or test (the others train)")
        idx = genes.get_indexer([gene])[0]
        if idx < 0:
            raise InputError(f"{path}: line {number}: regulator {gene} is not a gene of the expression matrix")
        if idx in heldout:
            raise InputError(f"{path}: line {number}: regulator {gene} is listed twice")
        heldout[int(idx)] = FOLDS.index(fold)
    if 2 not in heldout.values():
        raise InputError(f"{path}: no regulator is held out for the test fold; list one per line")
    return heldout
