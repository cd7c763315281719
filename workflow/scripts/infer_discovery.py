from grnflow.discovery import run_discovery
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    rankings = dict(zip(snakemake.params.methods, snakemake.input.networks))
    rankings["consensus"] = snakemake.input.consensus
    run_discovery(
        rankings=rankings,
        hidden=snakemake.input.hidden,
        expression=snakemake.input.expression,
        tfs=snakemake.input.tfs,
        out=snakemake.output[0],
    )
