# Rules of the `baselines` stage (see STYLE: rule -> workflow/scripts/baselines.py -> src/grnflow/baselines.py).


rule tree_importances:
    """GENIE3/GRNBoost2-style importances of every TF for every gene (label-free).

    One job per group of datasets with identical expression, TF list and settings
    (grnflow.shared); `share_tree_importances` places the result in each dataset's folder.
    """
    input:
        expression=lambda wc: data_file(
            shared_dataset("tree_importances", wc.key), "expression.tsv"
        ),
        tfs=lambda wc: data_file(shared_dataset("tree_importances", wc.key), "tfs.txt"),
    output:
        shared_path("tree_importances", "{key}", "tree_importances.tsv"),
    log:
        "logs/_shared/tree_importances/{key}.log",
    benchmark:
        "benchmarks/_shared/tree_importances/{key}.tsv"
    wildcard_constraints:
        key=shared_keys("tree_importances"),
    conda:
        "../../envs/report.yaml"
    threads: config["baselines"]["trees"]["threads"]
    params:
        # the result does not depend on the thread count (see grnflow.baselines)
        trees=SHARED_SETTINGS["tree_importances"],
    script:
        "../scripts/tree_importances.py"


rule share_tree_importances:
    """One dataset's tree importances: a hard link to (or copy of) its group's shared table."""
    input:
        shared=lambda wc: shared_file(
            "tree_importances", wc.dataset, "tree_importances.tsv"
        ),
    output:
        "results/{dataset}/baselines/tree_importances.tsv",
    log:
        "logs/{dataset}/tree_importances.log",
    benchmark:
        "benchmarks/{dataset}/share_tree_importances.tsv"
    conda:
        "../../envs/data.yaml"
    params:
        source_log=lambda wc: (
            f"logs/_shared/tree_importances/{shared_key('tree_importances', wc.dataset)}.log"
        ),
        datasets=lambda wc: SHARED_GROUPS["tree_importances"][
            shared_key("tree_importances", wc.dataset)
        ],
    script:
        "../scripts/share.py"


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
