# Rules of the `samples` stage (see STYLE: rule -> workflow/scripts/samples.py -> src/grnflow/samples.py).


rule samples:
    input:
        expression="results/{dataset}/data/expression.tsv",
        # The user's matrix: tells sheet rows of samples dropped by normalize from typos.
        raw_expression=lambda wc: dataset_input(wc.dataset, "expression"),
        sheet=lambda wc: dataset_input(wc.dataset, "samples"),
    output:
        "results/{dataset}/data/samples.tsv",
    log:
        "logs/{dataset}/samples.log",
    benchmark:
        "benchmarks/{dataset}/samples.tsv"
    conda:
        "../../envs/data.yaml"
    params:
        sep=lambda wc: dataset_cfg(wc.dataset)["samples"]["sep"],
        expression=lambda wc: dataset_cfg(wc.dataset)["expression"],
    script:
        "../scripts/samples.py"
