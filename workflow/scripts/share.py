"""Adapter: rules `share_<stage>` -> grnflow.shared.share_result (one result, many datasets)."""

from grnflow.logging import log_to
from grnflow.shared import share_result

with log_to(snakemake.log[0]) as log:
    log.info(
        share_result(
            source=snakemake.input.shared,
            target=snakemake.output[0],
            source_log=snakemake.params.source_log,
            dataset=snakemake.wildcards.dataset,
            datasets=snakemake.params.datasets,
        )
    )
