"""Generate the embedded synthetic dataset (rule `synthesize`)."""

from pathlib import Path

from grnflow.logging import log_to
from grnflow.synthetic import write_dataset

with log_to(snakemake.log[0]) as log:
    outdir = Path(snakemake.output.expression).parent
    paths = write_dataset(
        snakemake.params.synthetic,
        outdir,
        where=f"datasets.{snakemake.wildcards.dataset}.synthetic",
    )
    log.info("wrote %d files under %s", len(paths), outdir)
