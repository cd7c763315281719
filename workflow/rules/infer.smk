# Rules of the `infer` stage: the genome-wide inferred network (see STYLE: rule ->
# workflow/scripts/infer_*.py -> src/grnflow/{infer,consensus,exports,discovery}.py).
# Helpers and targets: workflow/rules/infer_common.smk.


rule infer_baseline:
    """Rank every candidate edge with a baseline (seedless once; random once per infer seed)."""
    input:
        **INFER_COMMON,
        importances=lambda wc: (
            f"results/{wc.dataset}/baselines/tree_importances.tsv"
            if wc.method == "trees"
            else []
        ),
        names=lambda wc: gene_names_file(wc.dataset),
    output:
        inferred("{dataset}", "{method}/{run}.tsv.gz"),
    log:
        "logs/{dataset}/infer/{method}/{run}.log",
    benchmark:
        "benchmarks/{dataset}/infer/{method}/{run}.tsv"
    wildcard_constraints:
        method="degree|correlation|trees|random",
        run=r"ranking|seed\d+",
    conda:
        "../../envs/report.yaml"
    resources:
        mem_mb=4000,
    script:
        "../scripts/infer_baseline.py"


rule infer_method:
    """One method's network: its seeds' rankings aggregated by mean rank."""
    input:
        **INFER_COMMON,
        rankings=lambda wc: method_rankings(wc.dataset, wc.method),
        names=lambda wc: gene_names_file(wc.dataset),
    output:
        inferred("{dataset}", "{method}/network.tsv.gz"),
    log:
        "logs/{dataset}/infer/{method}/network.log",
    benchmark:
        "benchmarks/{dataset}/infer/{method}/network.tsv"
    conda:
        "../../envs/report.yaml"
    resources:
        mem_mb=4000,
    params:
        top_k=INFER["top_k"],
    script:
        "../scripts/infer_method.py"


rule infer_consensus:
    """Rank-average consensus of the configured methods, its novel edges and regulons."""
    input:
        **INFER_COMMON,
        networks=lambda wc: [
            inferred(wc.dataset, f"{m}/network.tsv.gz") for m in consensus_methods()
        ],
        names=lambda wc: gene_names_file(wc.dataset),
    output:
        consensus=inferred("{dataset}", "consensus.tsv.gz"),
        novel=inferred("{dataset}", "novel.tsv"),
        regulons=inferred("{dataset}", "regulons.tsv"),
    log:
        "logs/{dataset}/infer/consensus.log",
    benchmark:
        "benchmarks/{dataset}/infer/consensus.tsv"
    conda:
        "../../envs/report.yaml"
    resources:
        mem_mb=6000,
    params:
        methods=consensus_methods(),
        top_k=INFER["top_k"],
        novel_n=INFER["novel_n"],
    script:
        "../scripts/infer_consensus.py"


rule infer_exports:
    """The consensus network as BEELINE rankedEdges and as GraphML (top N edges)."""
    input:
        **INFER_COMMON,
        consensus=inferred("{dataset}", "consensus.tsv.gz"),
    output:
        ranked=inferred("{dataset}", "rankedEdges.csv"),
        graphml=inferred("{dataset}", "network.graphml"),
    log:
        "logs/{dataset}/infer/exports.log",
    benchmark:
        "benchmarks/{dataset}/infer/exports.tsv"
    conda:
        "../../envs/report.yaml"
    params:
        network_n=INFER["network_n"],
    script:
        "../scripts/infer_exports.py"


rule infer_discovery:
    """Hidden true edges (synthetic truth/hidden.tsv) among each ranking's top novel edges."""
    input:
        expression=data_file("{dataset}", "expression.tsv"),
        tfs=data_file("{dataset}", "tfs.txt"),
        hidden="results/{dataset}/synthetic/truth/hidden.tsv",
        networks=lambda wc: [
            inferred(wc.dataset, f"{m}/network.tsv.gz") for m in INFERABLE
        ],
        consensus=inferred("{dataset}", "consensus.tsv.gz"),
    output:
        inferred("{dataset}", "discovery.tsv"),
    log:
        "logs/{dataset}/infer/discovery.log",
    benchmark:
        "benchmarks/{dataset}/infer/discovery.tsv"
    conda:
        "../../envs/report.yaml"
    params:
        methods=INFERABLE,
    script:
        "../scripts/infer_discovery.py"


rule infer_knockout_comparison:
    """MTLGRN's held-out knockout predictions beside `no_change` and an expression-only predictor."""
    input:
        expression=data_file("{dataset}", "expression.tsv"),
        samples=data_file("{dataset}", "samples.tsv"),
        metrics=lambda wc: expand(
            job_metrics_file(wc.dataset, "mtlgrn", "{split}", "{seed}"),
            split=SPLITS,
            seed=SEEDS,
        ),
    output:
        inferred("{dataset}", "knockout_comparison.tsv"),
    log:
        "logs/{dataset}/infer/knockout_comparison.log",
    benchmark:
        "benchmarks/{dataset}/infer/knockout_comparison.tsv"
    conda:
        "../../envs/mtlgrn.yaml"
    params:
        runs=[[split, seed] for split in SPLITS for seed in SEEDS],
        holdout=config["mtlgrn"]["knockout_holdout"],
        threshold=config["mtlgrn"]["knockout_threshold"],
    script:
        "../scripts/infer_knockout_comparison.py"


rule infer_pairs:
    """Training pairs of the final models: every reference edge in train or val, no test fold."""
    input:
        network=data_file("{dataset}", "network.tsv"),
        tfs=data_file("{dataset}", "tfs.txt"),
        expression=data_file("{dataset}", "expression.tsv"),
    output:
        inferred("{dataset}", "pairs/seed{seed}.tsv"),
    log:
        "logs/{dataset}/infer/pairs/seed{seed}.log",
    benchmark:
        "benchmarks/{dataset}/infer/pairs/seed{seed}.tsv"
    conda:
        "../../envs/data.yaml"
    resources:
        mem_mb=4000,
    params:
        pairs=lambda wc: {
            **dataset_cfg(wc.dataset)["pairs"],
            "test_fraction": 0.0,
        },
    script:
        "../scripts/infer_pairs.py"


rule infer_figures:
    """The report's "Inferred network" figures of one dataset."""
    input:
        consensus=inferred("{dataset}", "consensus.tsv.gz"),
        regulons=inferred("{dataset}", "regulons.tsv"),
        comparison=lambda wc: (
            inferred(wc.dataset, "knockout_comparison.tsv")
            if "mtlgrn" in METHODS
            else []
        ),
        knockouts=lambda wc: (
            inferred(wc.dataset, "knockouts.tsv.gz") if "mtlgrn" in METHODS else []
        ),
    output:
        network=report(
            inferred("{dataset}", "figures/network.png"),
            caption="../report/infer_network.rst",
            category="Inferred network",
            subcategory="{dataset}",
        ),
        regulons=report(
            inferred("{dataset}", "figures/regulons.png"),
            caption="../report/infer_regulons.rst",
            category="Inferred network",
            subcategory="{dataset}",
        ),
        stability=report(
            inferred("{dataset}", "figures/stability.png"),
            caption="../report/infer_stability.rst",
            category="Inferred network",
            subcategory="{dataset}",
        ),
        knockouts=report(
            inferred("{dataset}", "figures/knockouts.png"),
            caption="../report/infer_knockouts.rst",
            category="Inferred network",
            subcategory="{dataset}",
        ),
        responders=report(
            inferred("{dataset}", "figures/responders.png"),
            caption="../report/infer_responders.rst",
            category="Inferred network",
            subcategory="{dataset}",
        ),
    log:
        "logs/{dataset}/infer/figures.log",
    benchmark:
        "benchmarks/{dataset}/infer/figures.tsv"
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/infer_figures.py"


rule infer_gener:
    """GENER's final model of one seed (all reference edges) and its ranking of every candidate."""
    input:
        expression=data_file("{dataset}", "expression.tsv"),
        tfs=data_file("{dataset}", "tfs.txt"),
        network=data_file("{dataset}", "network.tsv"),
        pairs=inferred("{dataset}", "pairs/seed{seed}.tsv"),
        names=lambda wc: gene_names_file(wc.dataset),
    output:
        ranking=inferred("{dataset}", "gener/seed{seed}.tsv.gz"),
        model="results/{dataset}/models/gener/final/seed{seed}/model.keras",
    log:
        "logs/{dataset}/infer/gener/seed{seed}.log",
    benchmark:
        "benchmarks/{dataset}/infer/gener/seed{seed}.tsv"
    conda:
        "../../envs/gener.yaml"
    threads: config["gener"]["threads"]
    resources:
        gpu=1,
        mem_mb=4000,
    params:
        # Not an output: a killed job resumes from its per-epoch checkpoint here.
        checkpoint_dir="results/{dataset}/checkpoints/gener/final/seed{seed}",
        # The evaluation runs' settings: changing one retrains these models too.
        settings=job_settings(config["gener"]),
    script:
        "../scripts/infer_gener.py"


rule infer_mtlgrn:
    """MTLGRN's final model of one seed: ranking of every candidate and in-silico knockouts."""
    input:
        features="results/{dataset}/mtlgrn/features.tsv",
        expression=data_file("{dataset}", "expression.tsv"),
        samples=data_file("{dataset}", "samples.tsv"),
        tfs=data_file("{dataset}", "tfs.txt"),
        network=data_file("{dataset}", "network.tsv"),
        pairs=inferred("{dataset}", "pairs/seed{seed}.tsv"),
        names=lambda wc: gene_names_file(wc.dataset),
    output:
        ranking=inferred("{dataset}", "mtlgrn/seed{seed}.tsv.gz"),
        knockouts=inferred("{dataset}", "mtlgrn/knockouts_seed{seed}.tsv.gz"),
        model="results/{dataset}/models/mtlgrn/final/seed{seed}/model.pt",
    log:
        "logs/{dataset}/infer/mtlgrn/seed{seed}.log",
    benchmark:
        "benchmarks/{dataset}/infer/mtlgrn/seed{seed}.tsv"
    conda:
        "../../envs/mtlgrn.yaml"
    threads: config["mtlgrn"]["threads"]
    resources:
        gpu=1,
        mem_mb=4000,
    params:
        # Not an output: a killed job resumes from its per-epoch checkpoint here.
        checkpoint_dir="results/{dataset}/checkpoints/mtlgrn/final/seed{seed}",
        # The evaluation runs' settings: changing one retrains these models too.
        settings=job_settings(config["mtlgrn"]),
    script:
        "../scripts/infer_mtlgrn.py"


rule infer_knockouts:
    """In-silico knockouts of every TF list regulator: the final MTLGRN seeds averaged."""
    input:
        expand(
            inferred("{{dataset}}", "mtlgrn/knockouts_seed{seed}.tsv.gz"),
            seed=INFER_SEEDS,
        ),
    output:
        inferred("{dataset}", "knockouts.tsv.gz"),
    log:
        "logs/{dataset}/infer/knockouts.log",
    benchmark:
        "benchmarks/{dataset}/infer/knockouts.tsv"
    conda:
        "../../envs/mtlgrn.yaml"
    script:
        "../scripts/infer_knockouts.py"
