"""Reference network: read an edge list or adjacency matrix, map IDs, keep the usable edges.

Output contract (docs/ARCHITECTURE.md): `network.tsv` with `regulator target sign` (sign 1
activation, -1 repression, 0 unknown/dual), unique edges between expression genes, no
self-loops; `tfs.txt`; `network.dropped.tsv` (`regulator target reason`).

Input formats (`datasets.<name>.network.format`):
- `edges`: one edge per row; regulator/target/sign columns chosen by name or 0-based position.
  With no `sign_column`, a third column holding only 0/1 is read as a DREAM gold-standard
  presence flag: rows with 0 are non-edges and skipped.
- `matrix`: rows = targets, columns = regulators, first column = target IDs (DREAM4/inferelator
  and YEASTRACT layout); a non-zero cell is an edge. Cell values give the sign when any is
  negative (-1/0/1 gold standards), otherwise (0/1 matrices) the sign is unknown (0).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.annotation import DEFAULT_FEATURE_TYPES, DEFAULT_ID_ATTRIBUTES, gene_index, name_to_id
from grnflow.errors import InputError
from grnflow.idmatch import check_loss, likely_cause, write_id_matching
from grnflow.io import read_table, write_text, write_tsv
from grnflow.lists import read_id_list
from grnflow.names import NETWORK_COLUMNS
from grnflow.network_weights import read_weights, select_weighted, weighted_matrix
from grnflow.promoters import expression_genes

log = logging.getLogger(__name__)

DROPPED_COLUMNS = ["regulator", "target", "reason"]
SIGN_WORDS = {
    1: ["1", "+1", "+", "activator", "activation", "activating", "positive", "up", "a"],
    -1: ["-1", "-", "repressor", "repression", "repressing", "negative", "down", "r"],
    0: ["0", "?", "+-", "-+", "±", "dual", "unknown", "d", "", "nan", "na", "."],
}
_SIGNS = {word: sign for sign, words in SIGN_WORDS.items() for word in words}


def parse_signs(values: pd.Series, source: str) -> np.ndarray:
    """Signs 1/-1/0 from numbers, `+`/`-`/`?`, or words (activator/repressor/dual)."""
    text = values.astype(str).str.strip().str.lower()
    signs = text.map(_SIGNS)
    numeric = pd.to_numeric(text, errors="coerce")
    signs = signs.fillna(np.sign(numeric))
    bad = signs.isna().to_numpy()
    if bad.any():
        examples = ", ".join(map(repr, pd.unique(values[bad].astype(str))[:5]))
        raise InputError(
            f"{source}: unrecognised sign value(s) {examples}; use 1/-1/0, +/-/?, or "
            "activator/repressor/dual (or set `network.sign_column: null` to ignore signs)"
        )
    return signs.to_numpy(dtype=np.int64)


def _column(table: pd.DataFrame, spec, key: str, path, header: bool) -> pd.Series:
    if isinstance(spec, str) and not spec.lstrip("-").isdigit():
        if not header:
            raise InputError(
                f"{path}: `network.{key}: {spec}` names a column, but `network.header` is false; "
                "give a 0-based column number instead"
            )
        if spec not in table.columns:
            raise InputError(
                f"{path}: no column {spec!r} (set by `network.{key}`); the columns are: "
                f"{', '.join(map(str, table.columns[:10]))}"
            )
        return table[spec]
    position = int(spec)
    if not 0 <= position < table.shape[1]:
        raise InputError(
            f"{path}: `network.{key}: {spec}` but the table has {table.shape[1]} column(s) "
            f"(0-based numbers 0..{table.shape[1] - 1}); check `network.sep` too"
        )
    return table.iloc[:, position]


def read_edges(
    path: str | Path,
    sep: str = "auto",
    regulator_column=0,
    target_column=1,
    sign_column=None,
    header: bool = True,
    weight_column=None,
    threshold: float | None = None,
    top_k: int | None = None,
) -> pd.DataFrame:
    """An edge-list file as a `regulator target sign` table (file order, nothing dropped).

    A weighted list (a numeric `weight_column`, or with no `sign_column` a single extra
    numeric column with values other than -1/0/1) needs `threshold` and/or `top_k`
    (select_weighted).
    """
    table = read_table(path, sep=sep, header=0 if header else None, dtype=str,
                       keep_default_na=False, quotechar='"')
    table = table.dropna(how="all")
    if table.empty:
        raise InputError(f"{path}: the network has no edges (empty file)")
    regulator = _column(table, regulator_column, "regulator_column", path, header).str.strip()
    target = _column(table, target_column, "target_column", path, header).str.strip()
    if sign_column is not None:
        column = _column(table, sign_column, "sign_column", path, header)
        signs = parse_signs(column, f"{path} (column {sign_column})")
    else:
        signs = np.zeros(len(table), dtype=np.int64)
    weights = None
    if weight_column is not None:
        weights = read_weights(_column(table, weight_column, "weight_column", path, header), path, weight_column)
    elif sign_column is None:
        used = {str(regulator_column), str(target_column)}
        rest = [c for i, c in enumerate(table.columns) if str(i) not in used and str(c) not in used]
        if len(rest) == 1:
            flag = table[rest[0]].str.strip()
            numeric = pd.to_numeric(flag, errors="coerce")
            if len(flag) and flag.isin(["0", "1"]).all():
                present = (flag == "1").to_numpy()
                log.info("%s: third column is a 0/1 presence flag (DREAM gold standard): "
                         "%d row(s) with 0 are non-edges and skipped", path, (~present).sum())
                regulator, target, signs = regulator[present], target[present], signs[present]
            elif len(flag) and numeric.notna().all() and not numeric.isin([-1, 0, 1]).all():
                weights = numeric.to_numpy(dtype=float)  # a weighted edge list (scores)
            elif len(flag) and numeric.notna().all():
                log.info("%s: column %s holds -1/0/1 (signs?); it is ignored: set `network.sign_column: "
                         "%s` to read the signs", path, rest[0], rest[0])
    edges = pd.DataFrame({"regulator": regulator.to_numpy(), "target": target.to_numpy(), "sign": signs})
    if weights is not None:
        edges = select_weighted(edges, weights, path, threshold, top_k, "column " + str(
            weight_column if weight_column is not None else rest[0]))
    if edges.empty:
        raise InputError(f"{path}: the network has no edges")
    edges.attrs["header"] = [str(c) for c in table.columns] if header else []
    return edges


def read_matrix(path: str | Path, sep: str = "auto", threshold: float | None = None,
                top_k: int | None = None) -> pd.DataFrame:
    """A targets x regulators matrix (first column = target IDs) as a `regulator target sign` table."""
    table = read_table(path, sep=sep, header=0, index_col=0)
    if table.empty:
        raise InputError(f"{path}: the network matrix is empty")
    values = table.apply(pd.to_numeric, errors="coerce")
    if values.isna().to_numpy().any():
        row, col = np.argwhere(values.isna().to_numpy())[0]
        raise InputError(
            f"{path}: matrix cell (target {table.index[row]}, regulator {table.columns[col]}) is "
            f"{table.iat[row, col]!r}, not a number; a `matrix` network holds 0/1 (or -1/0/1) "
            "with targets as rows and regulators as columns"
        )
    matrix = values.to_numpy(dtype=float)
    if not np.isin(matrix, (-1.0, 0.0, 1.0)).all() or threshold is not None or top_k is not None:
        return weighted_matrix(table, matrix, path, threshold, top_k)
    signed = (matrix < 0).any()
    targets, regulators = np.nonzero(matrix)
    order = np.lexsort((targets, regulators))  # regulator-major, like an edge list
    targets, regulators = targets[order], regulators[order]
    signs = np.sign(matrix[targets, regulators]).astype(np.int64) if signed else np.zeros(len(targets), np.int64)
    edges = pd.DataFrame({
        "regulator": table.columns.astype(str).str.strip().to_numpy()[regulators],
        "target": table.index.astype(str).str.strip().to_numpy()[targets],
        "sign": signs,
    })
    if edges.empty:
        raise InputError(f"{path}: the network matrix has no non-zero cell (no edge)")
    log.info("%s: %d targets x %d regulators matrix, %d edges (%s signs)", path, matrix.shape[0],
             matrix.shape[1], len(edges), "with" if signed else "without")
    return edges


def merge_signs(signs: pd.Series, keys: pd.Series) -> pd.Series:
    """One sign per key: the shared non-zero sign, 0 when they disagree or are all unknown."""
    grouped = signs.groupby(keys, sort=False)
    low, high = grouped.transform("min"), grouped.transform("max")
    return pd.Series(np.where(low >= 0, high, np.where(high <= 0, low, 0)), index=signs.index)


def build_network(
    network: str | Path,
    expression: str | Path,
    out_network: str | Path,
    out_tfs: str | Path,
    out_dropped: str | Path,
    tfs: str | Path | Sequence | None = None,
    annotation: str | Path | Sequence | None = None,
    format: str = "edges",
    sep: str = "auto",
    regulator_column=0,
    target_column=1,
    sign_column=None,
    header: bool = True,
    id_map: str = "none",
    synthetic: bool = False,
    id_attributes: Sequence[str] = DEFAULT_ID_ATTRIBUTES,
    feature_types: Sequence[str] = DEFAULT_FEATURE_TYPES,
    tfs_column: str | int | None = None,
    weight_column=None,
    threshold: float | None = None,
    top_k: int | None = None,
    out_id_matching: str | Path | None = None,
    max_loss: float = 0.5,
    negative_ratio: float | None = None,
    tf_only: bool = True,
) -> pd.DataFrame:
    """Write the cleaned reference network, the TF list and the dropped edges; return the network.

    `tfs_column`: the column of a table TF list (grnflow.lists). Also checks the ID matching
    against the expression (grnflow.idmatch: more than `max_loss` of the edges, regulators or
    TF-list entries lost stops the run; the records go to `out_id_matching`) and, given
    `negative_ratio`, that enough non-edges are left for the negatives.
    """
    tfs = _single(tfs)
    annotation = _single(annotation)
    if synthetic:  # the generator writes `regulator target sign` with a header
        format, regulator_column, target_column, sign_column, header = "edges", "regulator", "target", "sign", True
    if format == "matrix":
        edges = read_matrix(network, sep, threshold, top_k)
    else:
        edges = read_edges(network, sep, regulator_column, target_column, sign_column, header,
                           weight_column, threshold, top_k)
    genes = pd.Index(expression_genes(expression))
    _check_header_is_no_edge(edges.attrs.get("header", []), regulator_column, target_column, genes, network)
    mapping = _id_mapping(id_map, annotation, genes, id_attributes, feature_types)
    if mapping is not None:
        before = edges[["regulator", "target"]].isin(genes).to_numpy().sum()
        for column in ("regulator", "target"):
            edges[column] = edges[column].map(mapping).fillna(edges[column])
        after = edges[["regulator", "target"]].isin(genes).to_numpy().sum()
        log.info("id_map annotation: %d -> %d edge endpoints are expression genes", before, after)

    reg_in = edges["regulator"].isin(genes).to_numpy()
    tgt_in = edges["target"].isin(genes).to_numpy()
    reason = np.full(len(edges), None, dtype=object)
    reason[~reg_in & ~tgt_in] = "regulator and target not in expression"
    reason[reg_in & ~tgt_in] = "target not in expression"
    reason[~reg_in & tgt_in] = "regulator not in expression"
    self_loop = (edges["regulator"] == edges["target"]).to_numpy()
    reason[(reason == None) & self_loop] = "self-loop"  # noqa: E711
    keys = edges["regulator"] + "\t" + edges["target"]
    duplicate = keys.duplicated().to_numpy()
    reason[(reason == None) & duplicate] = "duplicate"  # noqa: E711
    keep = reason == None  # noqa: E711
    if not keep.any():
        absent = pd.unique(pd.concat([edges.loc[~reg_in, "regulator"], edges.loc[~tgt_in, "target"]]))
        raise InputError(
            f"{network}: none of its {len(edges)} edges has both genes in the expression matrix "
            f"{expression} (network IDs absent from it: {', '.join(map(str, absent[:5]))}; expression "
            f"IDs look like: {', '.join(map(str, genes[:3]))}; likely cause: {likely_cause(absent, genes)}). "
            "If the network uses gene names, set "
            "`network.id_map: annotation` and give an `annotation` input to map them; otherwise "
            "check `regulator_column`/`target_column`"
        )
    records: list[dict] = []
    absent_ids = pd.concat([edges.loc[~reg_in, "regulator"], edges.loc[~tgt_in, "target"]])
    check_loss(records, "network", "edges", network, expression, len(edges), absent_ids, genes, max_loss,
               dropped=int((~reg_in | ~tgt_in).sum()), fix=_ID_FIX)
    regulators = pd.unique(edges["regulator"])
    check_loss(records, "network", "regulators", network, expression, len(regulators),
               [r for r in regulators if r not in genes], genes, max_loss, fix=_ID_FIX)
    # Duplicates keep the first edge with the merged sign of all its copies.
    valid = (reason == None) | (reason == "duplicate")  # noqa: E711
    merged = merge_signs(edges.loc[valid, "sign"], keys[valid])
    edges.loc[valid, "sign"] = merged
    result = edges.loc[keep, NETWORK_COLUMNS].reset_index(drop=True)
    dropped = pd.DataFrame({"regulator": edges["regulator"][~keep].to_numpy(),
                            "target": edges["target"][~keep].to_numpy(),
                            "reason": reason[~keep]}, columns=DROPPED_COLUMNS)
    log.info("network: %d edges read, %d kept (%d regulators, %d targets), %d dropped",
             len(edges), len(result), result["regulator"].nunique(), result["target"].nunique(), len(dropped))
    for why, count in dropped["reason"].value_counts().items():
        log.info("  dropped (%s): %d", why, count)
    log.info("signs: %s", result["sign"].value_counts().sort_index().to_dict())

    tf_list = _tf_list(tfs, genes, mapping, result, records, max_loss, tfs_column)
    _check_negatives(result, tf_list, len(genes), negative_ratio, tf_only, network)
    if out_id_matching:
        write_id_matching(records, out_id_matching)
    write_tsv(result, out_network)
    write_text("".join(f"{t}\n" for t in tf_list), out_tfs)
    write_tsv(dropped, out_dropped)
    return result


def _single(value):
    if value is None or isinstance(value, (str, Path)):
        return value or None
    return value[0] if len(value) else None


def _id_mapping(id_map, annotation, genes, id_attributes, feature_types) -> dict | None:
    if id_map == "none":
        return None
    if annotation is None:
        raise InputError(
            "config: `network.id_map: annotation` needs an `annotation` input (GFF3/GTF) for this "
            "dataset; add `inputs.annotation` or set `network.id_map: none`"
        )
    index = gene_index(annotation, list(genes), id_attributes, feature_types)
    mapping = name_to_id(index)
    log.info("id_map: %d gene names/synonyms map to expression IDs via %s", len(mapping), annotation)
    return mapping


_ID_FIX = "use the expression matrix's gene IDs, or map names with `network.id_map: annotation`"


def _check_header_is_no_edge(header, regulator_column, target_column, genes: pd.Index, path) -> None:
    """A headerless network read with `header: true` loses its first edge as the header."""
    if not header or not all(str(c).lstrip("-").isdigit() for c in (regulator_column, target_column)):
        return
    names = [header[int(c)] for c in (regulator_column, target_column) if int(c) < len(header)]
    if len(names) == 2 and all(n.strip() in genes for n in names):
        raise InputError(
            f"{path}: the first line ({' '.join(header)}) was read as the header (`network.header: "
            f"true`), but {names[0].strip()} and {names[1].strip()} are both expression genes: the "
            "file has no header, so its first edge would be lost. Set `network.header: false`"
        )


def _check_negatives(network: pd.DataFrame, tf_list, n_genes: int, ratio: float | None, tf_only: bool, path) -> None:
    """Stop when the network leaves too few non-edges to draw `ratio` negatives per edge."""
    if ratio is None:
        return
    n_tf = len(set(tf_list) | set(network["regulator"]))  # pairs has a regulator on one side
    if tf_only:
        candidates = n_tf * (n_genes - 1) - n_tf * (n_tf - 1) // 2  # TF-TF pairs counted once
    else:
        candidates = n_genes * (n_genes - 1) // 2
    free = candidates - len(network)
    if free < ratio * len(network):
        raise InputError(
            f"{path}: the network has {len(network)} edges among about {candidates} possible "
            f"{'TF-gene ' if tf_only else ''}pairs, which leaves {max(free, 0)} non-edges for the "
            f"{ratio * len(network):.0f} negatives needed (pairs.negative_ratio {ratio:g}): metrics would "
            "come from (almost) one class. Is it a network of scores? Set `network.threshold` or "
            "`network.top_k`; otherwise lower `pairs.negative_ratio`"
        )


def _tf_list(tfs, genes: pd.Index, mapping: dict | None, network: pd.DataFrame, records: list,
             max_loss: float, column=None) -> list[str]:
    if tfs is None:
        regulators = list(pd.unique(network["regulator"]))
        log.info("no TF list given: the %d network regulators are the TFs", len(regulators))
        return regulators
    names = read_id_list(tfs, column, "tfs")
    if mapping is not None:
        names = [mapping.get(n, n) for n in names]
    names = list(dict.fromkeys(n for n in names if n))
    known = [n for n in names if n in genes]
    unknown = [n for n in names if n not in genes]
    if not known:
        raise InputError(
            f"{tfs}: none of its {len(names)} TF IDs is an expression gene (first: "
            f"{', '.join(names[:5])}; expression IDs look like {', '.join(map(str, genes[:3]))}); "
            "use the expression matrix's IDs or set `network.id_map: annotation`"
        )
    check_loss(records, "network", "TF list", tfs, "expression", len(names), unknown, genes, max_loss,
               fix=_ID_FIX)
    if unknown:
        log.warning("%s: %d of %d TF(s) are not expression genes and are left out: %s%s", tfs,
                    len(unknown), len(names), ", ".join(unknown[:20]), " ..." if len(unknown) > 20 else "")
    absent = set(network["regulator"]) - set(known)
    if absent:
        log.warning("%d network regulator(s) are not in the TF list (e.g. %s)", len(absent),
                    ", ".join(sorted(absent)[:5]))
    return known


__all__ = ["build_network", "read_edges", "read_matrix", "parse_signs", "merge_signs"]
