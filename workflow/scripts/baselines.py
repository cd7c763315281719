from grnflow.baselines import run_baseline
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    run_baseline(
        method=snakemake.wildcards.method,
        pairs=snakemake.input.pairs,
        expression=snakemake.input.expression,
        out_predictions=snakemake.output.predictions,
        out_metrics=snakemake.output.metrics,
        dataset=snakemake.wildcards.dataset,
        split=snakemake.wildcards.split,
        seed=int(snakemake.wildcards.seed),
        importances=snakemake.input.importances or None,
    )
