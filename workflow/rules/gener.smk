# Rules of the `gener` stage (see STYLE: rule -> workflow/scripts/gener.py -> src/grnflow/gener.py).

from grnflow.settings import job_settings


rule gener:
    """Train GENER on one split x seed's train pairs (early stopping on val) and rank its test pairs."""
    input:
        expression=data_file("{dataset}", "expression.tsv"),
        pairs=pairs_file("{dataset}", "{split}", "{seed}"),
    output:
        predictions=predictions_file("{dataset}", "gener", "{split}", "{seed}"),
        metrics=job_metrics_file("{dataset}", "gener", "{split}", "{seed}"),
        model="results/{dataset}/models/gener/{split}/seed{seed}/model.keras",
    log:
        "logs/{dataset}/gener/{split}/seed{seed}.log",
    benchmark:
        "benchmarks/{dataset}/gener/{split}/seed{seed}.tsv"
    conda:
        "../../envs/gener.yaml"
    threads: config["gener"]["threads"]
    resources:
        gpu=1,
    params:
        # Not an output: a killed job finds its per-epoch checkpoint here and resumes.
        checkpoint_dir="results/{dataset}/checkpoints/gener/{split}/seed{seed}",
        settings=job_settings(config["gener"]),
    script:
        "../scripts/gener.py"
