from grnflow.logging import log_to
from grnflow.report import build_report

with log_to(snakemake.log[0]):
    build_report(
        datasets=snakemake.params.datasets,
        out_html=snakemake.output.html,
        figures_dir=snakemake.params.figures,
        methods=snakemake.params.methods,
        splits=snakemake.params.splits,
        curve_seed=snakemake.params.curve_seed,
        root="results",
        settings=snakemake.params.settings,
    )
