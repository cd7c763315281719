from grnflow.infer import run_infer_baseline
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    run = snakemake.wildcards.run
    run_infer_baseline(
        name=snakemake.wildcards.method,
        expression=snakemake.input.expression,
        tfs=snakemake.input.tfs,
        network=snakemake.input.network,
        out=snakemake.output[0],
        seed=int(run[len("seed") :]) if run.startswith("seed") else 0,
        importances=snakemake.input.importances or None,
        names=snakemake.input.names or None,
    )
