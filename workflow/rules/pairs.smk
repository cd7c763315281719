# Rules of the `pairs` stage (see STYLE: rule -> workflow/scripts/pairs.py -> src/grnflow/pairs.py).


rule pairs:
    input:
        network="results/{dataset}/data/network.tsv",
        tfs="results/{dataset}/data/tfs.txt",
        expression="results/{dataset}/data/expression.tsv",
        # A user split's pair table or regulator list (none for the built-in regimes).
        split_file=lambda wc: user_split_file(wc.dataset, wc.split),
    output:
        pairs="results/{dataset}/pairs/{split}/seed{seed}.tsv",
    log:
        "logs/{dataset}/pairs/{split}/seed{seed}.log",
    benchmark:
        "benchmarks/{dataset}/pairs/{split}/seed{seed}.tsv"
    conda:
        "../../envs/data.yaml"
    resources:
        mem_mb=4000,
    params:
        pairs=lambda wc: dataset_cfg(wc.dataset)["pairs"],
        spec=lambda wc: user_split_spec(wc.dataset, wc.split),
    script:
        "../scripts/pairs.py"
