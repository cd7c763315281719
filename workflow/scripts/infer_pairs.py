"""Adapter: the final models' pair table (all reference edges; `random` folds, no test fold)."""

from grnflow.logging import log_to
from grnflow.pairs import build_pairs
from grnflow.settings import PairSettings, from_config

with log_to(snakemake.log[0]):
    build_pairs(
        network=snakemake.input.network,
        tfs=snakemake.input.tfs,
        expression=snakemake.input.expression,
        out=snakemake.output[0],
        split="random",
        seed=int(snakemake.wildcards.seed),
        settings=from_config(PairSettings, snakemake.params.pairs,
                             f"config: datasets.{snakemake.wildcards.dataset}.pairs"),
    )
