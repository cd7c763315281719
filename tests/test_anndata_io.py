"""AnnData `.h5ad` input: cells x genes read as genes x samples, layers, gene-ID columns, sparse."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from grnflow.anndata_io import is_h5ad, read_h5ad_expression, read_h5ad_sparse, h5ad_var_column
from grnflow.errors import InputError
from grnflow.normalize import normalize_expression, raw_sample_names
from h5ad_files import write_h5ad

X = np.array([[1.0, 0.0, 3.0], [0.0, 2.0, 0.0], [4.0, 0.0, 5.0], [0.0, 0.0, 6.0]])  # 4 cells x 3 genes
CELLS = ["c1", "c2", "c3", "c4"]
GENES = ["ENSG1", "ENSG2", "ENSG3"]


def test_sparse_x_is_read_transposed_and_stays_sparse_until_densified(tmp_path):
    path = tmp_path / "a.h5ad"
    write_h5ad(path, sp.csr_matrix(X), CELLS, GENES)
    assert is_h5ad(path)
    matrix, cells, genes = read_h5ad_sparse(path)
    assert sp.issparse(matrix) and matrix.nnz == 6
    frame = read_h5ad_expression(path)
    assert list(frame.index) == GENES and list(frame.columns) == CELLS
    assert frame.index.name == "gene"
    np.testing.assert_array_equal(frame.to_numpy(), X.T)


def test_csc_and_dense_x_give_the_same_matrix(tmp_path):
    for name, matrix in (("csc", sp.csc_matrix(X)), ("dense", X)):
        path = tmp_path / f"{name}.h5ad"
        if name == "csc":
            # write a csc group by hand: the helper writes csr
            write_h5ad(path, X, CELLS, GENES)
            import h5py

            with h5py.File(path, "r+") as fh:
                del fh["X"]
                group = fh.create_group("X")
                group.attrs["encoding-type"] = "csc_matrix"
                group.attrs["encoding-version"] = "0.1.0"
                group.attrs["shape"] = np.array(X.shape)
                for part in ("data", "indices", "indptr"):
                    group.create_dataset(part, data=getattr(matrix, part))
        else:
            write_h5ad(path, matrix, CELLS, GENES)
        np.testing.assert_array_equal(read_h5ad_expression(path).to_numpy(), X.T)


def test_layer_and_gene_column_choice(tmp_path):
    path = tmp_path / "a.h5ad"
    counts = X * 10
    write_h5ad(path, X, CELLS, GENES, var={"symbol": ["TP53", "MYC", "MYC"], "gene_ids": ["g1", "g2", "g3"]},
               layers={"counts": sp.csr_matrix(counts)}, categorical=("symbol",))
    frame = read_h5ad_expression(path, layer="counts", gene_column="gene_ids")
    assert list(frame.index) == ["g1", "g2", "g3"]
    np.testing.assert_array_equal(frame.to_numpy(), counts.T)
    # a categorical column with a duplicate ID: the two genes are averaged (first order kept)
    by_symbol = read_h5ad_expression(path, gene_column="symbol")
    assert list(by_symbol.index) == ["TP53", "MYC"]
    np.testing.assert_allclose(by_symbol.loc["MYC"].to_numpy(), X[:, 1:].mean(axis=1))
    names = h5ad_var_column(path, "symbol")
    assert names.to_dict() == {"ENSG1": "TP53", "ENSG2": "MYC", "ENSG3": "MYC"}


def test_unknown_layer_or_column_names_what_exists(tmp_path):
    path = tmp_path / "a.h5ad"
    write_h5ad(path, X, CELLS, GENES, var={"symbol": ["a", "b", "c"]}, layers={"counts": X})
    with pytest.raises(InputError, match=r"layer: raw` is not in the file \(layers: counts\)"):
        read_h5ad_expression(path, layer="raw")
    with pytest.raises(InputError, match=r"gene_column: ids` is not a column of `var` \(columns: symbol\)"):
        read_h5ad_expression(path, gene_column="ids")


def test_duplicate_cells_refused(tmp_path):
    path = tmp_path / "a.h5ad"
    write_h5ad(path, X, ["c1", "c1", "c3", "c4"], GENES)
    with pytest.raises(InputError, match="obs_names_make_unique"):
        read_h5ad_expression(path)


def test_not_anndata(tmp_path):
    import h5py

    path = tmp_path / "x.h5ad"
    with h5py.File(path, "w") as fh:
        fh.create_dataset("X", data=X)
    with pytest.raises(InputError, match="no `obs` group"):
        read_h5ad_expression(path)


def test_normalize_stage_reads_h5ad(tmp_path):
    path = tmp_path / "a.h5ad"
    write_h5ad(path, sp.csr_matrix(X), CELLS, GENES)
    out = tmp_path / "expression.tsv"
    result = normalize_expression(path, out, methods=["log1p"])
    np.testing.assert_allclose(result.to_numpy(), np.log1p(X.T))
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns) == ["gene", *CELLS]
    assert raw_sample_names(path) == CELLS
