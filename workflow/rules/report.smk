# Rules of the `report` stage (see STYLE: rule -> workflow/scripts/report.py -> src/grnflow/report.py).

from grnflow.report import figure_names, figure_path

FIGURES = "results/report/figures"
CURVE_SEED = min(SEEDS)


def report_figure(dataset, name, caption):
    """One figure of the report page, also registered for `snakemake --report`."""
    return report(
        str(figure_path(FIGURES, dataset, name)),
        caption=f"../report/{caption}.rst",
        category="Comparison",
        subcategory=dataset,
        labels={"dataset": dataset, "figure": name},
    )


rule compare:
    """Recompute every method's metrics from its predictions: per seed, and mean ± sd over seeds."""
    input:
        predictions=lambda wc: all_predictions(wc.dataset),
        job_metrics=lambda wc: all_job_metrics(wc.dataset),
    output:
        metrics="results/{dataset}/comparison/metrics.tsv",
        summary="results/{dataset}/comparison/summary.tsv",
    log:
        "logs/{dataset}/compare.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/compare.py"


rule report:
    """The self-contained comparison page of all datasets, with its figures."""
    input:
        comparison=expand(
            "results/{dataset}/comparison/{table}.tsv",
            dataset=DATASETS,
            table=["metrics", "summary"],
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
            ],
        ),
    output:
        html="results/report/index.html",
        curves=[
            report_figure(ds, f"curves_{split}", "curves")
            for ds in DATASETS
            for split in SPLITS
        ],
        pair_class=[report_figure(ds, "pair_class", "pair_class") for ds in DATASETS],
        knockout=[
            report_figure(ds, "knockout", "knockout")
            for ds in DATASETS
            if "knockout" in figure_names(SPLITS, METHODS)
        ],
    log:
        "logs/report.log",
    conda:
        "../../envs/report.yaml"
    params:
        datasets=DATASETS,
        methods=METHODS,
        splits=SPLITS,
        curve_seed=CURVE_SEED,
        figures=FIGURES,
    script:
        "../scripts/report.py"
