"""Adapter: read, check and normalize one dataset's expression matrix (see grnflow.normalize)."""

from grnflow.logging import log_to
from grnflow.normalize import normalize_expression

with log_to(snakemake.log[0], inputs=snakemake.input):
    normalize_expression(
        expression=snakemake.input.expression,
        out_tsv=snakemake.output.expression,
        out_png=snakemake.output.qc,
        network=snakemake.input.network or None,
        orientation=snakemake.params.expression["orientation"],
        sep=snakemake.params.expression["sep"],
        layer=snakemake.params.expression["layer"],
        gene_column=snakemake.params.expression["gene_column"],
        samples=snakemake.input.samples or None,
        samples_sep=snakemake.params.samples_sep,
        min_samples=snakemake.params.min_samples,
        **snakemake.params.normalize,
    )
