"""Adapter: build the canonical sample table of one dataset (see grnflow.samples)."""

from grnflow.logging import log_to
from grnflow.samples import build_samples

with log_to(snakemake.log[0], inputs=snakemake.input):
    build_samples(
        expression=snakemake.input.expression,
        out=snakemake.output[0],
        sheet=snakemake.input.sheet or None,
        sep=snakemake.params.sep,
        raw_expression=snakemake.input.raw_expression,
        orientation=snakemake.params.expression["orientation"],
        expression_sep=snakemake.params.expression["sep"],
    )
