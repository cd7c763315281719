"""Write small AnnData `.h5ad` files for the tests with h5py, in anndata's on-disk format (0.8+).

The layout (encoding-type/-version attributes, `_index`, csr groups, categoricals) is the one
anndata writes; anndata 0.12.19 reads these files, and grnflow reads anndata's own (both checked by hand,
2026-12-01, in a separate environment: anndata needs pandas < 3).
"""

from __future__ import annotations

import h5py
import numpy as np
import scipy.sparse as sp

STR = h5py.string_dtype("utf-8")


def _enc(node, kind: str, version: str = "0.2.0") -> None:
    node.attrs["encoding-type"] = kind
    node.attrs["encoding-version"] = version


def _strings(group, name: str, values) -> None:
    ds = group.create_dataset(name, data=np.asarray(list(values), dtype=object), dtype=STR)
    _enc(ds, "string-array")


def _frame(fh, name: str, index, columns: dict | None = None, categorical=()) -> None:
    group = fh.create_group(name)
    _enc(group, "dataframe")
    group.attrs["_index"] = "_index"
    columns = columns or {}
    group.attrs.create("column-order", list(columns), dtype=STR) if columns else group.attrs.create(
        "column-order", np.zeros(0))
    _strings(group, "_index", index)
    for col, values in columns.items():
        if col in categorical:
            cats, codes = np.unique(np.asarray(values, dtype=object), return_inverse=True)
            sub = group.create_group(col)
            _enc(sub, "categorical")
            sub.attrs["ordered"] = False
            _strings(sub, "categories", cats)
            _enc(sub.create_dataset("codes", data=codes.astype(np.int8)), "array")
        else:
            _strings(group, col, values)


def _matrix(parent, name: str, matrix) -> None:
    if sp.issparse(matrix):
        matrix = sp.csr_matrix(matrix)
        group = parent.create_group(name)
        _enc(group, "csr_matrix", "0.1.0")
        group.attrs["shape"] = np.asarray(matrix.shape, dtype=np.int64)
        group.create_dataset("data", data=matrix.data)
        group.create_dataset("indices", data=matrix.indices)
        group.create_dataset("indptr", data=matrix.indptr)
    else:
        ds = parent.create_dataset(name, data=np.asarray(matrix))
        _enc(ds, "array")


def write_h5ad(path, X, cells, genes, var: dict | None = None, layers: dict | None = None,
               categorical=()) -> None:
    """`X` (cells x genes, dense or scipy sparse), obs names `cells`, var names `genes`."""
    with h5py.File(path, "w") as fh:
        _enc(fh, "anndata", "0.1.0")
        _matrix(fh, "X", X)
        _frame(fh, "obs", cells)
        _frame(fh, "var", genes, var, categorical)
        group = fh.create_group("layers")
        _enc(group, "dict", "0.1.0")
        for name, matrix in (layers or {}).items():
            _matrix(group, name, matrix)
        for empty in ("obsm", "varm", "obsp", "varp", "uns"):
            _enc(fh.create_group(empty), "dict", "0.1.0")
