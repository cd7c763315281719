from grnflow.consensus import run_consensus
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    run_consensus(
        method_networks=dict(zip(snakemake.params.methods, snakemake.input.networks)),
        expression=snakemake.input.expression,
        tfs=snakemake.input.tfs,
        network=snakemake.input.network,
        out_consensus=snakemake.output.consensus,
        out_novel=snakemake.output.novel,
        out_regulons=snakemake.output.regulons,
        top_k_edges=snakemake.params.top_k,
        novel_n=snakemake.params.novel_n,
        names=snakemake.input.names or None,
    )
