"""Adapter: BEELINE's metrics of the label-free methods on the whole reference (grnflow.beeline)."""

from grnflow.beeline import beeline_table
from grnflow.compare import write_table
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    table = beeline_table(
        dataset=snakemake.wildcards.dataset,
        network=snakemake.input.network,
        expression=snakemake.input.expression,
        methods=snakemake.params.methods,
        seeds=snakemake.params.seeds,
        importances=snakemake.input.importances or None,
    )
    write_table(table, snakemake.output[0])
