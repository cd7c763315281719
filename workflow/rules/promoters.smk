# Rules of the `promoters` stage (see STYLE: rule -> workflow/scripts/promoters.py -> src/grnflow/promoters.py).


rule promoters:
    input:
        genome=lambda wc: dataset_input(wc.dataset, "genome"),
        annotation=lambda wc: dataset_input(wc.dataset, "annotation"),
        expression="results/{dataset}/data/expression.tsv",
    output:
        fasta="results/{dataset}/data/promoters.fa",
        missing="results/{dataset}/data/promoters.missing.tsv",
        id_matching="results/{dataset}/data/id_matching.promoters.tsv",
    log:
        "logs/{dataset}/promoters.log",
    benchmark:
        "benchmarks/{dataset}/promoters.tsv"
    conda:
        "../../envs/data.yaml"
    resources:
        mem_mb=4000,
    params:
        window=lambda wc: dataset_cfg(wc.dataset)["promoter"],
        annotation=lambda wc: dataset_cfg(wc.dataset)["annotation"],
        max_loss=lambda wc: dataset_cfg(wc.dataset)["id_matching"]["max_loss"],
    script:
        "../scripts/promoters.py"
