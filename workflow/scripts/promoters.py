"""Adapter: extract the promoter window of every expression gene (see grnflow.promoters)."""

from grnflow.logging import log_to
from grnflow.promoters import extract_promoters

with log_to(snakemake.log[0], inputs=snakemake.input):
    extract_promoters(
        genome=snakemake.input.genome or None,
        annotation=snakemake.input.annotation or None,
        expression=snakemake.input.expression,
        out_fasta=snakemake.output.fasta,
        out_missing=snakemake.output.missing,
        out_id_matching=snakemake.output.id_matching,
        max_loss=snakemake.params.max_loss,
        **snakemake.params.window,
        **snakemake.params.annotation,
    )
