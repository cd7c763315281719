from grnflow.knockouts import run_knockout_comparison
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    runs = [tuple(run) for run in snakemake.params.runs]
    run_knockout_comparison(
        expression=snakemake.input.expression,
        samples=snakemake.input.samples,
        metrics=dict(zip(runs, snakemake.input.metrics)),
        out=snakemake.output[0],
        holdout=snakemake.params.holdout,
        threshold=snakemake.params.threshold,
    )
