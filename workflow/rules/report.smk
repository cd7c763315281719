# Rules of the `report` stage (see STYLE: rule -> workflow/scripts/report.py -> src/grnflow/report.py).

from grnflow.report import figure_names, figure_path, template_files

FIGURES = "results/report/figures"
CURVE_SEED = min(SEEDS)
# The report's figures, also registered for `snakemake --report` (category "Comparison");
# `report` is aliased because a line that starts with it is read as the `report:` directive.
flag_for_report = report
REPORT_FIGURES = {
    kind: [
        flag_for_report(
            str(figure_path(FIGURES, ds, name)),
            caption=f"../report/{kind}.rst",
            category="Comparison",
            subcategory=ds,
            labels={"dataset": ds, "figure": name},
        )
        for ds in DATASETS
        for name in figure_names(SPLITS, METHODS)
        if name.startswith(kind)
    ]
    for kind in ("curves", "pair_class", "knockout")
}


rule compare:
    """Recompute every method's metrics from its predictions: per seed, and mean ± sd over seeds."""
    input:
        predictions=lambda wc: all_predictions(wc.dataset),
        job_metrics=lambda wc: all_job_metrics(wc.dataset),
        network=data_file("{dataset}", "network.tsv"),
    output:
        metrics="results/{dataset}/comparison/metrics.tsv",
        summary="results/{dataset}/comparison/summary.tsv",
        runtime="results/{dataset}/comparison/runtime.tsv",
        per_regulator="results/{dataset}/comparison/per_regulator.tsv",
        versus="results/{dataset}/comparison/vs_baseline.tsv",
    log:
        "logs/{dataset}/compare.log",
    benchmark:
        "benchmarks/{dataset}/compare.tsv"
    conda:
        "../../envs/report.yaml"
    params:
        settings=config["compare"],
    script:
        "../scripts/compare.py"


rule beeline:
    """BEELINE's protocol: label-free methods rank all candidates against the whole network."""
    input:
        network=data_file("{dataset}", "network.tsv"),
        expression=data_file("{dataset}", "expression.tsv"),
        importances=lambda wc: (
            f"results/{wc.dataset}/baselines/tree_importances.tsv"
            if "trees" in METHODS
            else []
        ),
    output:
        "results/{dataset}/comparison/beeline.tsv",
    log:
        "logs/{dataset}/beeline.log",
    benchmark:
        "benchmarks/{dataset}/beeline.tsv"
    conda:
        "../../envs/report.yaml"
    resources:
        mem_mb=4000,
    params:
        methods=LABEL_FREE_METHODS,
        seeds=SEEDS,
    script:
        "../scripts/beeline.py"


rule report:
    """The self-contained comparison page of all datasets, with its figures."""
    input:
        comparison=expand(
            "results/{dataset}/comparison/{table}.tsv",
            dataset=DATASETS,
            table=["metrics", "summary", "runtime"],
        ),
        beeline=expand(
            "results/{dataset}/comparison/beeline.tsv",
            dataset=DATASETS if LABEL_FREE_METHODS else [],
        ),
        predictions=expand(
            predictions_file("{dataset}", "{method}", "{split}", CURVE_SEED),
            dataset=DATASETS,
            method=METHODS,
            split=SPLITS,
        ),
        data=expand(
            "results/{dataset}/data/{name}",
            dataset=DATASETS,
            name=[
                "expression.tsv",
                "network.tsv",
                "tfs.txt",
                "samples.tsv",
                "promoters.fa",
                "promoters.missing.tsv",
                "gene_names.tsv",
            ],
        ),
        # The page's Jinja2 templates (src/grnflow/templates): editing one rerenders the page.
        templates=template_files(),
        # The "Inferred network" sections (stage `infer`, workflow/rules/infer.smk).
        inferred=infer_report_inputs(),
    output:
        html="results/report/index.html",
        curves=REPORT_FIGURES["curves"],
        pair_class=REPORT_FIGURES["pair_class"],
        knockout=REPORT_FIGURES["knockout"],
    log:
        "logs/report.log",
    benchmark:
        "benchmarks/report.tsv"
    conda:
        "../../envs/report.yaml"
    params:
        datasets=DATASETS,
        methods=METHODS,
        splits=SPLITS,
        curve_seed=CURVE_SEED,
        figures=lambda wc, output: str(Path(output.html).parent / "figures"),
        settings=config["compare"],
    script:
        "../scripts/report.py"
