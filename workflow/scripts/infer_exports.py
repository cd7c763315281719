from grnflow.exports import run_exports
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    run_exports(
        consensus=snakemake.input.consensus,
        expression=snakemake.input.expression,
        tfs=snakemake.input.tfs,
        network=snakemake.input.network,
        out_ranked=snakemake.output.ranked,
        out_graphml=snakemake.output.graphml,
        network_n=snakemake.params.network_n,
    )
