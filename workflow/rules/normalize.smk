# Rules of the `normalize` stage (see STYLE: rule -> workflow/scripts/normalize.py -> src/grnflow/normalize.py).


rule normalize:
    input:
        expression=lambda wc: dataset_input(wc.dataset, "expression"),
        # Only used to catch a transposed matrix (`expression.orientation`).
        network=lambda wc: dataset_input(wc.dataset, "network"),
        # Only read for `normalize.batch_column` (the batch of each sample).
        samples=lambda wc: (
            dataset_input(wc.dataset, "samples")
            if dataset_cfg(wc.dataset)["normalize"]["batch_column"]
            else []
        ),
    output:
        expression="results/{dataset}/data/expression.tsv",
        qc=report(
            "results/{dataset}/qc/normalize.png",
            caption="../report/normalize.rst",
            category="Data",
        ),
    log:
        "logs/{dataset}/normalize.log",
    benchmark:
        "benchmarks/{dataset}/normalize.tsv"
    conda:
        "../../envs/data.yaml"
    resources:
        mem_mb=4000,
    params:
        expression=lambda wc: dataset_cfg(wc.dataset)["expression"],
        normalize=lambda wc: dataset_cfg(wc.dataset)["normalize"],
        samples_sep=lambda wc: dataset_cfg(wc.dataset)["samples"]["sep"],
        # Fewest samples the selected methods need (grnflow.methods.MIN_SAMPLES).
        min_samples=min_samples(METHODS),
    script:
        "../scripts/normalize.py"
