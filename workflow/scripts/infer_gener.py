from grnflow.infer_gener import run_infer_gener
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    run_infer_gener(
        expression=snakemake.input.expression,
        tfs=snakemake.input.tfs,
        network=snakemake.input.network,
        pairs=snakemake.input.pairs,
        out_ranking=snakemake.output.ranking,
        out_model=snakemake.output.model,
        checkpoint_dir=snakemake.params.checkpoint_dir,
        seed=int(snakemake.wildcards.seed),
        threads=snakemake.threads,
        names=snakemake.input.names or None,
        **snakemake.params.settings,
    )
