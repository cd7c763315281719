# Rules of the `mtlgrn` stage (see STYLE: rule -> workflow/scripts/mtlgrn.py -> src/grnflow/mtlgrn.py).

from grnflow.settings import PAPER, job_settings

# mtlgrn.paper_mode: the seed's binary k-mer presence on the forward strand and no expression
# block in the features (config/README.md)
MTLGRN_PAPER = config["mtlgrn"]["paper_mode"]


rule features:
    """MTLGRN's gene features: promoter k-mer profiles + gene table, reduced by PCA.

    One job per group of datasets with identical inputs and settings (grnflow.shared); it reads
    the files of the group's first dataset and `share_features` places the result per dataset.
    """
    input:
        expression=lambda wc: data_file(
            shared_dataset("features", wc.key), "expression.tsv"
        ),
        promoters=lambda wc: data_file(
            shared_dataset("features", wc.key), "promoters.fa"
        ),
        samples=lambda wc: data_file(shared_dataset("features", wc.key), "samples.tsv"),
        gene_table=lambda wc: dataset_input(
            shared_dataset("features", wc.key), "gene_features"
        ),
    output:
        features=shared_path("features", "{key}", "features.tsv"),
    log:
        "logs/_shared/features/{key}.log",
    benchmark:
        "benchmarks/_shared/features/{key}.tsv"
    wildcard_constraints:
        key=shared_keys("features"),
    conda:
        "../../envs/mtlgrn.yaml"
    params:
        table=lambda wc: dataset_cfg(shared_dataset("features", wc.key))[
            "gene_features"
        ],
        kmer=config["mtlgrn"]["kmer"],
        kmer_strands=(
            PAPER["mtlgrn"]["kmer_strands"]
            if MTLGRN_PAPER
            else config["mtlgrn"]["kmer_strands"]
        ),
        kmer_presence=MTLGRN_PAPER,
        expression_weight=(
            PAPER["mtlgrn"]["expression_weight"]
            if MTLGRN_PAPER
            else config["mtlgrn"]["expression_weight"]
        ),
        pca_variance=config["mtlgrn"]["pca_variance"],
    script:
        "../scripts/features.py"


rule share_features:
    """One dataset's gene features: a hard link to (or copy of) its group's shared result."""
    input:
        shared=lambda wc: shared_file("features", wc.dataset, "features.tsv"),
    output:
        "results/{dataset}/mtlgrn/features.tsv",
    log:
        "logs/{dataset}/features.log",
    benchmark:
        "benchmarks/{dataset}/share_features.tsv"
    conda:
        "../../envs/data.yaml"
    params:
        source_log=lambda wc: f"logs/_shared/features/{shared_key('features', wc.dataset)}.log",
        datasets=lambda wc: SHARED_GROUPS["features"][
            shared_key("features", wc.dataset)
        ],
    script:
        "../scripts/share.py"


rule mtlgrn:
    """Train MTLGRN (link, knockout, reconstruction) on one split x seed and rank its test pairs."""
    input:
        features="results/{dataset}/mtlgrn/features.tsv",
        expression=lambda wc: data_file(wc.dataset, "expression.tsv"),
        samples=lambda wc: data_file(wc.dataset, "samples.tsv"),
        pairs=lambda wc: pairs_file(wc.dataset, wc.split, wc.seed),
    output:
        predictions=predictions_file("{dataset}", "mtlgrn", "{split}", "{seed}"),
        metrics=job_metrics_file("{dataset}", "mtlgrn", "{split}", "{seed}"),
        model="results/{dataset}/models/mtlgrn/{split}/seed{seed}/model.pt",
    log:
        "logs/{dataset}/mtlgrn/{split}/seed{seed}.log",
    benchmark:
        "benchmarks/{dataset}/mtlgrn/{split}/seed{seed}.tsv"
    conda:
        "../../envs/mtlgrn.yaml"
    threads: config["mtlgrn"]["threads"]
    resources:
        gpu=1,
    params:
        # Not an output: a killed job finds its per-epoch checkpoint here and resumes.
        checkpoint_dir="results/{dataset}/checkpoints/mtlgrn/{split}/seed{seed}",
        settings=job_settings(config["mtlgrn"]),
    script:
        "../scripts/mtlgrn.py"
