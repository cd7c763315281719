# Rules of the `pairs` stage (see STYLE: rule -> workflow/scripts/pairs.py -> src/grnflow/pairs.py).


rule pairs:
    input:
        network="results/{dataset}/data/network.tsv",
        tfs="results/{dataset}/data/tfs.txt",
        expression="results/{dataset}/data/expression.tsv",
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
    script:
        "../scripts/pairs.py"
