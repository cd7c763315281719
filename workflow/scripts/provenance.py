from grnflow.logging import log_to
from grnflow.provenance import write_provenance

with log_to(snakemake.log[0]):
    write_provenance(
        snakemake.output[0],
        config=snakemake.params.config,
        inputs=snakemake.params.inputs,
        metric_files=snakemake.input.metrics,
        job_logs=snakemake.params.job_logs,
    )
