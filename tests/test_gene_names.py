"""Gene names table: from a gene table, an h5ad var column or the annotation; empty when unknown."""

import pandas as pd
import pytest

from grnflow.errors import InputError
from grnflow.gene_names import build_gene_names

EXPRESSION = "gene\ts1\ts2\nb0001\t1\t2\nb0002\t3\t4\nb0003\t5\t6\n"
GFF = (
    "##gff-version 3\n"
    "c1\tx\tgene\t10\t100\t.\t+\t.\tID=gene-b0001;locus_tag=b0001;Name=thrL\n"
    "c1\tx\tgene\t200\t300\t.\t+\t.\tID=gene-b0002;locus_tag=b0002;gene=thrA\n"
)


def test_names_from_the_annotation_and_empty_when_unknown(tmp_path):
    (tmp_path / "e.tsv").write_text(EXPRESSION)
    (tmp_path / "a.gff3").write_text(GFF)
    out = tmp_path / "gene_names.tsv"
    build_gene_names(tmp_path / "e.tsv", out, annotation=tmp_path / "a.gff3")
    table = pd.read_csv(out, sep="\t", dtype=str, keep_default_na=False)
    assert table.to_dict("list") == {"gene": ["b0001", "b0002", "b0003"], "name": ["thrL", "thrA", ""]}


def test_a_gene_table_wins_over_the_annotation(tmp_path):
    (tmp_path / "e.tsv").write_text(EXPRESSION)
    (tmp_path / "a.gff3").write_text(GFF)
    (tmp_path / "names.csv").write_text("symbol,locus\nTHRL_TABLE,b0001\n,b0002\n")
    out = tmp_path / "gene_names.tsv"
    build_gene_names(tmp_path / "e.tsv", out, table=tmp_path / "names.csv", annotation=tmp_path / "a.gff3",
                     id_column="locus", name_column="symbol")
    table = pd.read_csv(out, sep="\t", dtype=str, keep_default_na=False)
    # an empty table name falls back to the annotation's
    assert table["name"].tolist() == ["THRL_TABLE", "thrA", ""]
    with pytest.raises(InputError, match=r"no column 'nom' for `gene_names.name_column` \(columns: symbol, locus\)"):
        build_gene_names(tmp_path / "e.tsv", out, table=tmp_path / "names.csv", name_column="nom")
