# Rules of the `synthetic` stage (see STYLE: rule -> workflow/scripts/synthetic.py -> src/grnflow/synthetic.py).

# Only datasets configured with `synthetic:` are generated; others never match this rule.
SYNTHETIC_DATASETS = [ds for ds in DATASETS if "synthetic" in dataset_cfg(ds)]


rule synthesize:
    output:
        expression="results/{dataset}/synthetic/expression.tsv",
        network="results/{dataset}/synthetic/network.tsv",
        tfs="results/{dataset}/synthetic/tfs.txt",
        genome="results/{dataset}/synthetic/genome.fa",
        annotation="results/{dataset}/synthetic/annotation.gff3",
        samples="results/{dataset}/synthetic/samples.tsv",
        gene_features="results/{dataset}/synthetic/gene_features.tsv",
        motifs="results/{dataset}/synthetic/truth/motifs.tsv",
        edges="results/{dataset}/synthetic/truth/edges.tsv",
        hidden="results/{dataset}/synthetic/truth/hidden.tsv",
        readme="results/{dataset}/synthetic/truth/README.txt",
    log:
        "logs/{dataset}/synthesize.log",
    benchmark:
        "benchmarks/{dataset}/synthesize.tsv"
    wildcard_constraints:
        dataset="|".join(map(re.escape, SYNTHETIC_DATASETS)) or "NONE",
    conda:
        "../../envs/data.yaml"
    params:
        synthetic=lambda wc: dataset_cfg(wc.dataset)["synthetic"],
    script:
        "../scripts/synthetic.py"
