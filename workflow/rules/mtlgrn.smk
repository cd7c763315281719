# Rules of the `mtlgrn` stage (see STYLE: rule -> workflow/scripts/mtlgrn.py -> src/grnflow/mtlgrn.py).

from grnflow.settings import job_settings


rule features:
    """MTLGRN's gene features: promoter k-mer profiles + gene table, reduced by PCA (per dataset)."""
    input:
        expression=lambda wc: data_file(wc.dataset, "expression.tsv"),
        promoters=lambda wc: data_file(wc.dataset, "promoters.fa"),
        samples=lambda wc: data_file(wc.dataset, "samples.tsv"),
        gene_table=lambda wc: dataset_input(wc.dataset, "gene_features"),
    output:
        features="results/{dataset}/mtlgrn/features.tsv",
    log:
        "logs/{dataset}/features.log",
    benchmark:
        "benchmarks/{dataset}/features.tsv"
    conda:
        "../../envs/mtlgrn.yaml"
    params:
        table=lambda wc: dataset_cfg(wc.dataset)["gene_features"],
        kmer=config["mtlgrn"]["kmer"],
        kmer_strands=config["mtlgrn"]["kmer_strands"],
        pca_variance=config["mtlgrn"]["pca_variance"],
    script:
        "../scripts/features.py"


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
