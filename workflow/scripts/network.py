"""Adapter: clean the reference network of one dataset (see grnflow.network)."""

from grnflow.logging import log_to
from grnflow.network import build_network

with log_to(snakemake.log[0], inputs=snakemake.input):
    build_network(
        network=snakemake.input.network,
        expression=snakemake.input.expression,
        out_network=snakemake.output.network,
        out_tfs=snakemake.output.tfs,
        out_dropped=snakemake.output.dropped,
        out_id_matching=snakemake.output.id_matching,
        max_loss=snakemake.params.max_loss,
        negative_ratio=snakemake.params.negative_ratio,
        tf_only=snakemake.params.tf_only,
        tfs=snakemake.input.tfs or None,
        annotation=snakemake.input.annotation or None,
        synthetic=snakemake.params.synthetic,
        tfs_column=snakemake.params.tfs_column,
        **snakemake.params.network,
        **snakemake.params.annotation,
    )
