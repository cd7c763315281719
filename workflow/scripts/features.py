"""Adapter: rule `features` -> grnflow.features.gene_features."""

from grnflow.features import gene_features
from grnflow.logging import log_to

with log_to(snakemake.log[0], inputs=snakemake.input):
    table = snakemake.params.table
    gene_features(
        expression=snakemake.input.expression,
        promoters=snakemake.input.promoters,
        samples=snakemake.input.samples,
        out=snakemake.output.features,
        gene_table=snakemake.input.gene_table or None,
        id_column=table["id_column"],
        categorical=table["categorical"],
        numeric=table["numeric"],
        kmer=snakemake.params.kmer,
        kmer_strands=snakemake.params.kmer_strands,
        kmer_presence=snakemake.params.kmer_presence,
        pca_variance=snakemake.params.pca_variance,
        expression_weight=snakemake.params.expression_weight,
    )
