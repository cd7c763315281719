# Rules of the `network` stage (see STYLE: rule -> workflow/scripts/network.py -> src/grnflow/network.py).


def network_annotation(wildcards):
    """The annotation input, only when network IDs are mapped through it (`network.id_map`)."""
    if dataset_cfg(wildcards.dataset)["network"]["id_map"] == "annotation":
        return dataset_input(wildcards.dataset, "annotation")
    return []


rule network:
    input:
        network=lambda wc: dataset_input(wc.dataset, "network"),
        tfs=lambda wc: dataset_input(wc.dataset, "tfs"),
        expression="results/{dataset}/data/expression.tsv",
        annotation=network_annotation,
    output:
        network="results/{dataset}/data/network.tsv",
        tfs="results/{dataset}/data/tfs.txt",
        dropped="results/{dataset}/data/network.dropped.tsv",
    log:
        "logs/{dataset}/network.log",
    conda:
        "../../envs/data.yaml"
    resources:
        mem_mb=2000,
    params:
        network=lambda wc: dataset_cfg(wc.dataset)["network"],
        annotation=lambda wc: dataset_cfg(wc.dataset)["annotation"],
        synthetic=lambda wc: "synthetic" in dataset_cfg(wc.dataset),
    script:
        "../scripts/network.py"
