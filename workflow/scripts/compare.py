from grnflow.compare import compare
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    compare(
        dataset=snakemake.wildcards.dataset,
        predictions=snakemake.input.predictions,
        job_metrics=snakemake.input.job_metrics,
        out_metrics=snakemake.output.metrics,
        out_summary=snakemake.output.summary,
        out_runtime=snakemake.output.runtime,
        out_per_regulator=snakemake.output.per_regulator,
        out_versus=snakemake.output.versus,
        network=snakemake.input.network,
        settings=snakemake.params.settings,
    )
