"""Adapter: the name of every expression gene, from a table, an h5ad column or the annotation (see grnflow.gene_names)."""

from grnflow.gene_names import build_gene_names
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    build_gene_names(
        expression=snakemake.input.expression,
        out=snakemake.output[0],
        table=snakemake.input.table or None,
        h5ad=snakemake.input.h5ad or None,
        annotation=snakemake.input.annotation or None,
        gene_column=snakemake.params.gene_column,
        **snakemake.params.names,
        **snakemake.params.annotation,
    )
