"""Adapter: build the labelled pair table of one split regime and seed (see grnflow.pairs)."""

from grnflow.logging import log_to
from grnflow.pairs import build_pairs
from grnflow.settings import PairSettings, from_config

with log_to(snakemake.log[0]):
    build_pairs(
        network=snakemake.input.network,
        tfs=snakemake.input.tfs,
        expression=snakemake.input.expression,
        out=snakemake.output.pairs,
        split=snakemake.wildcards.split,
        seed=int(snakemake.wildcards.seed),
        spec=snakemake.params.spec,
        settings=from_config(PairSettings, snakemake.params.pairs,
                             f"config: datasets.{snakemake.wildcards.dataset}.pairs"),
    )
