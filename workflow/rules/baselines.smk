# Rules of the `baselines` stage (see STYLE: rule -> workflow/scripts/baselines.py -> src/grnflow/baselines.py).


rule baselines:
    """Score one split x seed's test pairs with one baseline (degree, correlation, trees, random)."""
    input:
        pairs=pairs_file("{dataset}", "{split}", "{seed}"),
        expression=data_file("{dataset}", "expression.tsv"),
        tfs=data_file("{dataset}", "tfs.txt"),
    output:
        predictions=predictions_file("{dataset}", "{method}", "{split}", "{seed}"),
        metrics=job_metrics_file("{dataset}", "{method}", "{split}", "{seed}"),
    log:
        "logs/{dataset}/baselines/{method}/{split}/seed{seed}.log",
    wildcard_constraints:
        method="degree|correlation|trees|random",
    conda:
        "../../envs/report.yaml"
    threads: lambda wc: config["baselines"]["trees"]["threads"] if wc.method == "trees" else 1
    params:
        trees=config["baselines"]["trees"],
    script:
        "../scripts/baselines.py"
