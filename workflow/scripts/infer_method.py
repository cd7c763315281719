from grnflow.consensus import run_method_network
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    run_method_network(
        rankings=list(snakemake.input.rankings),
        expression=snakemake.input.expression,
        tfs=snakemake.input.tfs,
        network=snakemake.input.network,
        out=snakemake.output[0],
        top_k_edges=snakemake.params.top_k,
        names=snakemake.input.names or None,
    )
