from pathlib import Path

from grnflow.infer_figures import run_infer_figures
from grnflow.logging import log_to

with log_to(snakemake.log[0]):
    run_infer_figures(
        dataset=snakemake.wildcards.dataset,
        consensus=snakemake.input.consensus,
        regulons=snakemake.input.regulons,
        outdir=Path(snakemake.output.network).parent,
        comparison=snakemake.input.comparison or None,
        knockouts=snakemake.input.knockouts or None,
    )
