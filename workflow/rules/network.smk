# Rules of the `network` stage (see STYLE: rule -> workflow/scripts/network.py -> src/grnflow/network.py).


rule network:
    input:
        network=lambda wc: dataset_input(wc.dataset, "network"),
        tfs=lambda wc: dataset_input(wc.dataset, "tfs"),
        expression="results/{dataset}/data/expression.tsv",
        # Only needed to map gene names (`network.id_map: annotation`).
        annotation=lambda wc: (
            dataset_input(wc.dataset, "annotation")
            if dataset_cfg(wc.dataset)["network"]["id_map"] == "annotation"
            else []
        ),
    output:
        network="results/{dataset}/data/network.tsv",
        tfs="results/{dataset}/data/tfs.txt",
        dropped="results/{dataset}/data/network.dropped.tsv",
        id_matching="results/{dataset}/data/id_matching.network.tsv",
    log:
        "logs/{dataset}/network.log",
    benchmark:
        "benchmarks/{dataset}/network.tsv"
    conda:
        "../../envs/data.yaml"
    resources:
        mem_mb=2000,
    params:
        network=lambda wc: dataset_cfg(wc.dataset)["network"],
        annotation=lambda wc: dataset_cfg(wc.dataset)["annotation"],
        synthetic=lambda wc: "synthetic" in dataset_cfg(wc.dataset),
        tfs_column=lambda wc: list_column(
            dataset_cfg(wc.dataset).get("inputs", {}).get("tfs")
        ),
        max_loss=lambda wc: dataset_cfg(wc.dataset)["id_matching"]["max_loss"],
        # Enough non-edges must be left for the negatives of the pairs stage.
        negative_ratio=lambda wc: dataset_cfg(wc.dataset)["pairs"]["negative_ratio"],
        tf_only=lambda wc: dataset_cfg(wc.dataset)["pairs"]["tf_only"],
    script:
        "../scripts/network.py"
