# Rules of the `baselines` stage (see STYLE: rule -> workflow/scripts/baselines.py -> src/grnflow/baselines.py).


rule tree_importances:
    """GENIE3-style importances of every TF for every gene, once per dataset (label-free)."""
    input:
        expression=data_file("{dataset}", "expression.tsv"),
        tfs=data_file("{dataset}", "tfs.txt"),
    output:
        "results/{dataset}/baselines/tree_importances.tsv",
    log:
        "logs/{dataset}/tree_importances.log",
    benchmark:
        "benchmarks/{dataset}/tree_importances.tsv"
    conda:
        "../../envs/report.yaml"
    threads: config["baselines"]["trees"]["threads"]
    params:
        trees=config["baselines"]["trees"],
    script:
        "../scripts/tree_importances.py"


rule baselines:
    """Score one split x seed's test pairs with one baseline (degree, correlation, trees, random)."""
    input:
        pairs=pairs_file("{dataset}", "{split}", "{seed}"),
        expression=data_file("{dataset}", "expression.tsv"),
        importances=lambda wc: (
            f"results/{wc.dataset}/baselines/tree_importances.tsv"
            if wc.method == "trees"
            else []
        ),
    output:
        predictions=predictions_file("{dataset}", "{method}", "{split}", "{seed}"),
        metrics=job_metrics_file("{dataset}", "{method}", "{split}", "{seed}"),
    log:
        "logs/{dataset}/baselines/{method}/{split}/seed{seed}.log",
    benchmark:
        "benchmarks/{dataset}/baselines/{method}/{split}/seed{seed}.tsv"
    wildcard_constraints:
        method=only(registry.BASELINES),
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/baselines.py"
