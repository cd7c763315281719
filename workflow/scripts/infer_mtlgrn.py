"""Adapter: rule `infer_mtlgrn` -> grnflow.infer_mtlgrn.run_infer_mtlgrn."""

from grnflow.infer_mtlgrn import run_infer_mtlgrn
from grnflow.logging import log_to
from grnflow.settings import MtlgrnSettings, from_config

with log_to(snakemake.log[0]):
    run_infer_mtlgrn(
        features=snakemake.input.features,
        expression=snakemake.input.expression,
        samples=snakemake.input.samples,
        tfs=snakemake.input.tfs,
        network=snakemake.input.network,
        pairs=snakemake.input.pairs,
        out_ranking=snakemake.output.ranking,
        out_knockouts=snakemake.output.knockouts,
        out_model=snakemake.output.model,
        checkpoint_dir=snakemake.params.checkpoint_dir,
        seed=int(snakemake.wildcards.seed),
        settings=from_config(MtlgrnSettings, snakemake.params.settings),
        threads=snakemake.threads,
        names=snakemake.input.names or None,
    )
