# Rules of the `gene_names` stage (see STYLE: rule -> workflow/scripts/gene_names.py -> src/grnflow/gene_names.py).


rule gene_names:
    input:
        expression="results/{dataset}/data/expression.tsv",
        table=lambda wc: gene_names_table(wc.dataset),
        annotation=lambda wc: dataset_input(wc.dataset, "annotation"),
        # Only read for `gene_names.h5ad_column` (a var column of an .h5ad expression file).
        h5ad=lambda wc: (
            dataset_input(wc.dataset, "expression")
            if dataset_cfg(wc.dataset)["gene_names"]["h5ad_column"]
            else []
        ),
    output:
        "results/{dataset}/data/gene_names.tsv",
    log:
        "logs/{dataset}/gene_names.log",
    benchmark:
        "benchmarks/{dataset}/gene_names.tsv"
    conda:
        "../../envs/data.yaml"
    params:
        names=lambda wc: dataset_cfg(wc.dataset)["gene_names"],
        gene_column=lambda wc: dataset_cfg(wc.dataset)["expression"]["gene_column"],
        annotation=lambda wc: dataset_cfg(wc.dataset)["annotation"],
    script:
        "../scripts/gene_names.py"
