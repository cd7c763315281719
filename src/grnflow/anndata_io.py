"""Read AnnData `.h5ad` expression (cells x genes) as the genes x samples matrix of `normalize`.

The file is read with h5py following the AnnData on-disk format (anndata >= 0.7: `X` and
`layers/<name>` as a dense dataset or a `csr_matrix`/`csc_matrix` group; `obs`/`var` as
`dataframe` groups with an `_index`, string or categorical columns). h5py is what the
`anndata` package itself reads with; anndata is not imported because no release supports the
pinned pandas 3 (every anndata >= 0.12.10 requires pandas < 3).

Memory: the matrix stays sparse (scipy CSR) while it is read, while genes are selected and
while duplicate gene IDs are averaged; only then is it densified, once, as the genes x cells
float64 matrix that missing-value handling and the normalize methods work on (8 bytes x genes
x cells; the size is logged before densifying).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from grnflow.errors import InputError

if TYPE_CHECKING:  # scipy is imported where a matrix is built (common.smk imports this module)
    import scipy.sparse as sp

log = logging.getLogger("grnflow.anndata_io")

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def is_h5ad(path: str | Path) -> bool:
    """Whether `path` is an HDF5 file (by its magic bytes; AnnData's `.h5ad` is HDF5)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == HDF5_MAGIC
    except OSError:
        return False


def _strings(node) -> np.ndarray:
    """A string-array dataset or a categorical group as an object array of str."""
    import h5py

    if isinstance(node, h5py.Group):
        kind = node.attrs.get("encoding-type", "")
        if kind != "categorical":
            raise InputError(f"{node.file.filename}: {node.name} is a {kind or 'group'}, not a text column")
        categories = _strings(node["categories"])
        codes = node["codes"][...]
        out = np.empty(len(codes), dtype=object)
        out[codes >= 0] = categories[codes[codes >= 0]]
        out[codes < 0] = ""
        return out
    if node.dtype.kind in ("O", "S", "U") or h5py.check_string_dtype(node.dtype):
        return np.asarray(node.asstr()[...], dtype=object)
    return np.asarray([str(v) for v in node[...]], dtype=object)


def _frame_index(group, path: Path, what: str) -> np.ndarray:
    import h5py

    if not isinstance(group, h5py.Group) or "_index" not in group.attrs:
        raise InputError(
            f"{path}: `{what}` is not an AnnData dataframe group (written by anndata < 0.7?); "
            "open it with a current anndata and save it again (`adata.write_h5ad(...)`)"
        )
    return _strings(group[group.attrs["_index"]])


def _columns(group) -> list[str]:
    order = group.attrs.get("column-order", [])
    return [str(c) for c in np.atleast_1d(order)]


def _matrix(node, path: Path, where: str) -> sp.csr_matrix:
    """A dense dataset or a CSR/CSC group as a CSR matrix (float64), never densified."""
    import h5py
    import scipy.sparse as sp

    if isinstance(node, h5py.Dataset):
        if node.ndim != 2:
            raise InputError(f"{path}: {where} has {node.ndim} dimension(s); expected cells x genes")
        return sp.csr_matrix(node[...].astype(np.float64, copy=False))
    kind = node.attrs.get("encoding-type", "")
    if kind not in ("csr_matrix", "csc_matrix"):
        raise InputError(f"{path}: {where} has encoding {kind!r}; expected a dense, csr_matrix or csc_matrix array")
    shape = tuple(int(s) for s in node.attrs["shape"])
    parts = (node["data"][...].astype(np.float64, copy=False), node["indices"][...], node["indptr"][...])
    cls = sp.csr_matrix if kind == "csr_matrix" else sp.csc_matrix
    return cls(parts, shape=shape).tocsr()


def read_h5ad_sparse(path: str | Path, layer: str | None = None, gene_column: str | None = None):
    """(cells x genes CSR float64, cell names, gene IDs) of `path`'s `X` or `layers/<layer>`.

    `gene_column`: a `var` column holding the gene IDs (default: the var index, `var_names`).
    """
    import h5py

    path = Path(path)
    try:
        fh = h5py.File(path, "r")
    except OSError as exc:
        raise InputError(f"{path}: cannot be opened as an HDF5/.h5ad file ({exc})") from exc
    with fh:
        for part in ("obs", "var"):
            if part not in fh:
                raise InputError(f"{path}: no `{part}` group: not an AnnData .h5ad file")
        cells = _frame_index(fh["obs"], path, "obs")
        var = fh["var"]
        if gene_column is None:
            genes = _frame_index(var, path, "var")
        elif gene_column in var and gene_column != "_index":
            genes = _strings(var[gene_column])
        else:
            raise InputError(
                f"{path}: `expression.gene_column: {gene_column}` is not a column of `var` (columns: "
                f"{', '.join(_columns(var)) or 'none'}); leave it unset to use the var index"
            )
        if layer is None:
            if "X" not in fh:
                raise InputError(f"{path}: no `X` matrix; name one of `layers` with `expression.layer`")
            matrix = _matrix(fh["X"], path, "X")
        else:
            layers = list(fh["layers"]) if "layers" in fh else []
            if layer not in layers:
                raise InputError(
                    f"{path}: `expression.layer: {layer}` is not in the file (layers: "
                    f"{', '.join(layers) or 'none'}); leave it unset to use X"
                )
            matrix = _matrix(fh["layers"][layer], path, f"layers/{layer}")
    if matrix.shape != (len(cells), len(genes)):
        raise InputError(
            f"{path}: the matrix is {matrix.shape[0]} x {matrix.shape[1]} but obs has {len(cells)} "
            f"cells and var {len(genes)} genes"
        )
    return matrix, cells, genes


def _average_duplicates(matrix: sp.csr_matrix, genes: np.ndarray, path: Path):
    """Average the columns of duplicate gene IDs (sparse: a genes x unique-genes mean operator)."""
    import scipy.sparse as sp
    uniques, inverse, counts = np.unique(genes, return_inverse=True, return_counts=True)
    if len(uniques) == len(genes):
        return matrix, genes
    dups = uniques[counts > 1]
    log.warning("%s: %d gene ID(s) occur more than once and are averaged: %s", path, len(dups),
                ", ".join(map(str, dups[:10])) + (" ..." if len(dups) > 10 else ""))
    # Keep the first occurrence's order, as the TSV reader does.
    first = np.full(len(uniques), len(genes))
    np.minimum.at(first, inverse, np.arange(len(genes)))
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    col = rank[inverse]
    weights = 1.0 / counts[inverse]
    mean_op = sp.csr_matrix((weights, (np.arange(len(genes)), col)), shape=(len(genes), len(uniques)))
    return (matrix @ mean_op).tocsr(), uniques[order]


def read_h5ad_expression(path: str | Path, layer: str | None = None, gene_column: str | None = None) -> pd.DataFrame:
    """The `.h5ad` matrix as genes x cells floats (index `gene`), the `normalize` input contract.

    Cells are the samples (obs names); empty or duplicate cell names and empty gene IDs are
    refused; duplicate gene IDs are averaged (logged). Densified only at the end (module doc).
    """
    path = Path(path)
    matrix, cells, genes = read_h5ad_sparse(path, layer, gene_column)
    genes = np.asarray([g.strip() for g in genes], dtype=object)
    cells = np.asarray([c.strip() for c in cells], dtype=object)
    if (genes == "").any():
        raise InputError(f"{path}: gene ID {int(np.flatnonzero(genes == '')[0]) + 1} of var is empty; "
                         "choose another `expression.gene_column`")
    if (cells == "").any() or len(set(cells)) < len(cells):
        dup = pd.Index(cells)[pd.Index(cells).duplicated()].unique()[:5]
        raise InputError(f"{path}: cell names (obs index) must be unique and non-empty (e.g. {list(dup)}); "
                         "run `adata.obs_names_make_unique()` and save again")
    matrix, genes = _average_duplicates(matrix, genes, path)
    log.info("%s: %d cells x %d genes (%s, %d stored values, %.1f%% dense); densifying as "
             "genes x cells float64 (%.1f MB)", path, matrix.shape[0], matrix.shape[1],
             f"layers/{layer}" if layer else "X", matrix.nnz,
             100 * matrix.nnz / max(1, matrix.shape[0] * matrix.shape[1]),
             8 * matrix.shape[0] * matrix.shape[1] / 1e6)
    dense = matrix.T.toarray()
    frame = pd.DataFrame(dense, index=pd.Index(genes, dtype=object, name="gene"),
                         columns=pd.Index(cells, dtype=object))
    return frame


def h5ad_sample_names(path: str | Path) -> list[str]:
    """The cell names (obs index) of an `.h5ad` file, read without the matrix."""
    import h5py

    with h5py.File(path, "r") as fh:
        return [str(c).strip() for c in _frame_index(fh["obs"], Path(path), "obs")]


def h5ad_var_column(path: str | Path, column: str, gene_column: str | None = None) -> pd.Series:
    """A `var` text column (e.g. gene symbols) indexed by the gene IDs."""
    import h5py

    with h5py.File(path, "r") as fh:
        var = fh["var"]
        if column not in var:
            raise InputError(f"{path}: `{column}` is not a column of var (columns: {', '.join(_columns(var))})")
        ids = _strings(var[gene_column]) if gene_column else _frame_index(var, Path(path), "var")
        return pd.Series(_strings(var[column]), index=pd.Index([i.strip() for i in ids], dtype=object))


def check_h5ad_choice(path: str | Path, layer: str | None = None, gene_column: str | None = None) -> None:
    """Raise InputError when `layer` or `gene_column` is not in the file (metadata only, cheap;
    parse time). Other defects are left to the `normalize` job, which reports them in its log."""
    import h5py

    path = Path(path)
    try:
        fh = h5py.File(path, "r")
    except OSError:
        return  # unreadable: the normalize job reports it
    with fh:
        if "obs" not in fh or "var" not in fh:
            return  # not AnnData: the normalize job reports it
        layers = list(fh["layers"]) if "layers" in fh else []
        if layer is not None and layer not in layers:
            raise InputError(f"{path}: `expression.layer: {layer}` is not in the file (layers: "
                             f"{', '.join(layers) or 'none'}); leave it unset to use X")
        if gene_column is not None and (gene_column not in fh["var"] or gene_column == "_index"):
            raise InputError(f"{path}: `expression.gene_column: {gene_column}` is not a column of `var` "
                             f"(columns: {', '.join(_columns(fh['var'])) or 'none'}); leave it unset to use the var index")
