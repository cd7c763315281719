"""Adapter: rule `mtlgrn` -> grnflow.mtlgrn.run_mtlgrn."""

from grnflow.locks import checkpoint_lock
from grnflow.logging import log_to
from grnflow.mtlgrn import run_mtlgrn
from grnflow.settings import MtlgrnSettings, from_config

with log_to(snakemake.log[0]), checkpoint_lock(snakemake.params.checkpoint_dir):
    run_mtlgrn(
        features=snakemake.input.features,
        expression=snakemake.input.expression,
        samples=snakemake.input.samples,
        pairs=snakemake.input.pairs,
        out_predictions=snakemake.output.predictions,
        out_metrics=snakemake.output.metrics,
        out_model=snakemake.output.model,
        checkpoint_dir=snakemake.params.checkpoint_dir,
        dataset=snakemake.wildcards.dataset,
        split=snakemake.wildcards.split,
        seed=int(snakemake.wildcards.seed),
        settings=from_config(MtlgrnSettings, snakemake.params.settings),
        threads=snakemake.threads,
    )
