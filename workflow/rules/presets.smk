# Adapters of the dataset presets (config/datasets/*.yaml, docs/datasets.md): they reshape a
# raw public file into a generic input under results/{dataset}/prepared/, which the preset
# names as a plain input path. Rule -> workflow/scripts/presets.py -> src/grnflow/presets.py.

check_manual_files()


rule prepare_precise_samples:
    input:
        sample_table=lambda wc: prepare_source(wc.dataset, "sample_table"),
        annotation=lambda wc: dataset_input(wc.dataset, "annotation"),
        # condition columns and wild-type strains (data, not code: editing it reruns the job)
        reference=resource_file("precise_samples.yaml"),
    output:
        "results/{dataset}/prepared/samples.tsv",
    log:
        "logs/{dataset}/prepare_precise_samples.log",
    benchmark:
        "benchmarks/{dataset}/prepare_precise_samples.tsv"
    wildcard_constraints:
        dataset=only(prepared_datasets("samples", "precise")),
    conda:
        "../../envs/data.yaml"
    params:
        max_condition_differences=lambda wc: dataset_cfg(wc.dataset)["prepare"][
            "max_condition_differences"
        ],
    script:
        "../scripts/presets.py"


rule prepare_precise_gene_features:
    input:
        gene_table=lambda wc: prepare_source(wc.dataset, "gene_table"),
        tfs="results/{dataset}/data/tfs.txt",
    output:
        "results/{dataset}/prepared/gene_features.tsv",
    log:
        "logs/{dataset}/prepare_precise_gene_features.log",
    benchmark:
        "benchmarks/{dataset}/prepare_precise_gene_features.tsv"
    wildcard_constraints:
        dataset=only(prepared_datasets("gene_features", "precise")),
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/presets.py"


rule prepare_dream4_expression:
    input:
        expression=lambda wc: prepare_source(wc.dataset, "expression"),
    output:
        expression="results/{dataset}/prepared/expression.tsv",
        samples="results/{dataset}/prepared/samples.tsv",
    log:
        "logs/{dataset}/prepare_dream4_expression.log",
    benchmark:
        "benchmarks/{dataset}/prepare_dream4_expression.tsv"
    wildcard_constraints:
        dataset=only(prepared_datasets("expression", "dream4")),
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/presets.py"


rule prepare_dream5_expression:
    input:
        expression=lambda wc: prepare_source(wc.dataset, "expression"),
        gene_ids=lambda wc: prepare_source(wc.dataset, "gene_ids"),
    output:
        "results/{dataset}/prepared/expression.tsv",
    log:
        "logs/{dataset}/prepare_dream5_expression.log",
    benchmark:
        "benchmarks/{dataset}/prepare_dream5_expression.tsv"
    wildcard_constraints:
        dataset=only(prepared_datasets("expression", "dream5")),
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/presets.py"


rule prepare_gold_standard:
    input:
        gold_standard=lambda wc: prepare_source(wc.dataset, "gold_standard"),
        gene_ids=lambda wc: prepare_source(wc.dataset, "gene_ids", optional=True),
    output:
        "results/{dataset}/prepared/network.tsv",
    log:
        "logs/{dataset}/prepare_gold_standard.log",
    benchmark:
        "benchmarks/{dataset}/prepare_gold_standard.tsv"
    wildcard_constraints:
        dataset=only(prepared_datasets("network", "dream")),
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/presets.py"


rule prepare_biogrid_network:
    input:
        biogrid=lambda wc: prepare_source(wc.dataset, "biogrid"),
    output:
        "results/{dataset}/prepared/network.tsv",
    log:
        "logs/{dataset}/prepare_biogrid_network.log",
    benchmark:
        "benchmarks/{dataset}/prepare_biogrid_network.tsv"
    wildcard_constraints:
        dataset=only(prepared_datasets("network", "biogrid")),
    conda:
        "../../envs/data.yaml"
    params:
        system_type=lambda wc: dataset_cfg(wc.dataset)["prepare"]["biogrid_system_type"],
    script:
        "../scripts/presets.py"
