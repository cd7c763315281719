# Helpers of the `infer` stage's rules (workflow/rules/infer.smk): its config, method lists
# and targets. Kept apart from the rules, as `snakemake --lint` asks.

from grnflow.infer import SEEDLESS
from grnflow.infer_figures import FIGURES as INFER_FIGURES
from grnflow.methods import LABEL_FREE, MODELS as MODEL_NAMES

INFER = config["infer"]
INFER_SEEDS = INFER["seeds"]
# Methods that rank every candidate: the baselines directly, the models by final models.
INFERABLE = list(METHODS)


def consensus_methods():
    """`infer.methods`, or by default the models and the label-free baselines except random."""
    wanted = INFER["methods"]
    if wanted is None:
        wanted = [
            m
            for m in METHODS
            if m in MODEL_NAMES or (m in LABEL_FREE and m != "random")
        ]
    missing = [m for m in wanted if m not in METHODS]
    if missing:
        raise InputError(
            f"config: infer.methods lists {', '.join(missing)}, which `methods` does not "
            f"run; add it to `methods` or remove it from infer.methods"
        )
    return [m for m in wanted if m in INFERABLE]


def inferred(dataset, name):
    return f"results/{dataset}/inferred/{name}"


def method_rankings(dataset, method):
    """A method's ranking files: one per infer seed, or one for a seedless baseline."""
    if method in SEEDLESS:
        return [inferred(dataset, f"{method}/ranking.tsv.gz")]
    return [inferred(dataset, f"{method}/seed{seed}.tsv.gz") for seed in INFER_SEEDS]


def gene_names_file(dataset):
    """The `gene name` table of rule gene_names (annotation or `inputs.gene_names`)."""
    return data_file(dataset, "gene_names.tsv")


def discovery_datasets():
    """Synthetic datasets that hide part of their true network from the workflow."""
    return [
        ds
        for ds in DATASETS
        if "synthetic" in dataset_cfg(ds)
        and dataset_cfg(ds)["synthetic"].get("known_fraction", 1.0) < 1.0
    ]


def infer_targets():
    """The inferred network of every dataset (+ discovery checks where hidden edges exist)."""
    if not consensus_methods():
        return []
    targets = [
        inferred(ds, name)
        for ds in DATASETS
        for name in (
            "consensus.tsv.gz",
            "novel.tsv",
            "regulons.tsv",
            "network.graphml",
            "figures/network.png",
        )
    ]
    if "mtlgrn" in METHODS:
        targets += [
            inferred(ds, name)
            for ds in DATASETS
            for name in ("knockout_comparison.tsv", "knockouts.tsv.gz")
        ]
    return targets + [inferred(ds, "discovery.tsv") for ds in discovery_datasets()]


INFER_COMMON = dict(
    expression=data_file("{dataset}", "expression.tsv"),
    tfs=data_file("{dataset}", "tfs.txt"),
    network=data_file("{dataset}", "network.tsv"),
)


def infer_report_inputs():
    """What the report's "Inferred network" sections read (nothing without a consensus)."""
    if not consensus_methods():
        return []
    files = [
        inferred(ds, name)
        for ds in DATASETS
        for name in ["novel.tsv", "regulons.tsv"]
        + [f"figures/{figure}.png" for figure in INFER_FIGURES]
    ]
    files += [inferred(ds, "discovery.tsv") for ds in discovery_datasets()]
    if "mtlgrn" in METHODS:
        files += [inferred(ds, "knockout_comparison.tsv") for ds in DATASETS]
    return files
