# Helpers shared by the rules: dataset selection, input resolution, target lists.

import re
import sys
from pathlib import Path

# The workflow's own package: importable here and, through PYTHONPATH, in every job (also
# inside per-rule conda envs and on cluster nodes, where grnflow is not pip-installed).
# GRNFLOW_ROOT (Snakefile) is the repository, also when grnflow runs as a module.
sys.path.insert(0, str(GRNFLOW_ROOT / "src"))

from grnflow import methods as registry
from grnflow.config import check_config, dataset_names, export_pythonpath, source_kind
from grnflow.errors import InputError
from grnflow.lists import check_list_layout, list_column
from grnflow.anndata_io import check_h5ad_choice, is_h5ad
from grnflow.methods import min_samples
from grnflow.signals import forward_stop_signals

export_pythonpath(GRNFLOW_ROOT / "src")

# Semantic checks the JSON schema cannot express (e.g. a dataset needs an expression input).
check_config(config)


onstart:
    # SIGTERM/SIGINT stop the running jobs promptly (Snakemake alone waits for them).
    forward_stop_signals(log=print)


DATASETS = dataset_names(config)
# Split names; a user split ({name, pairs | regulators}) is found by name in SPLIT_SPECS.
SPLIT_SPECS = {
    (s if isinstance(s, str) else s["name"]): ({} if isinstance(s, str) else s)
    for s in config["splits"]
}
SPLITS = list(SPLIT_SPECS)
SEEDS = config["seeds"]
METHODS = config["methods"]
MODELS = registry.models(METHODS)
BASELINES = registry.baselines(METHODS)
LABEL_FREE_METHODS = [m for m in METHODS if registry.method(m).label_free]
DOWNLOAD_CACHE = config["download"]["cache"]
# The workflow's static reference files (resources/README.md), next to the Snakefile: found
# whatever the working directory (`--directory`), unlike the download cache, which is relative
# to it.
RESOURCES = Path(workflow.basedir) / "resources"

# File names under which each input kind is staged (synthetic datasets generate them).
INPUT_NAMES = {
    "expression": "expression.tsv",
    "network": "network.tsv",
    "tfs": "tfs.txt",
    "genome": "genome.fa",
    "annotation": "annotation.gff3",
    "samples": "samples.tsv",
    "gene_features": "gene_features.tsv",
}


def resource_file(name):
    """Path of the static reference file resources/`name` shipped with the workflow."""
    return str(RESOURCES / name)


def dataset_cfg(dataset):
    """The validated (defaults filled in) configuration of one dataset."""
    return config["datasets"][dataset]


def has_input(dataset, key):
    """Whether `dataset` provides input `key` (synthetic datasets provide all of them)."""
    cfg = dataset_cfg(dataset)
    return "synthetic" in cfg or key in cfg.get("inputs", {})


def dataset_input(dataset, key):
    """Path of input `key` of `dataset`: generated, local, or the download cache entry.

    Returns [] when the dataset does not have that input, so it can be used directly in
    `input:` for optional inputs.
    """
    cfg = dataset_cfg(dataset)
    if "synthetic" in cfg:
        return f"results/{dataset}/synthetic/{INPUT_NAMES[key]}"
    spec = cfg.get("inputs", {}).get(key)
    if spec is None:
        return []
    kind = source_kind(spec)
    if kind == "path":
        return spec_path(spec)
    return download_path(spec)


def spec_path(spec):
    """The path of a local source (`path` or `{path[, column]}`)."""
    return spec if isinstance(spec, str) else spec["path"]


def check_list_inputs():
    """Parse-time checks of local inputs, so that the dry run fails: the TF list's column, the
    .h5ad layer and gene-ID column."""
    for ds in DATASETS:
        spec = dataset_cfg(ds).get("inputs", {}).get("tfs")
        if spec is None or source_kind(spec) != "path":
            continue
        path = spec if isinstance(spec, str) else spec["path"]
        if Path(path).exists():
            check_list_layout(path, list_column(spec), f"datasets.{ds}.inputs.tfs")
    for ds in DATASETS:
        spec = dataset_cfg(ds).get("inputs", {}).get("expression")
        if spec is None or source_kind(spec) != "path" or not is_h5ad(spec_path(spec)):
            continue
        choice = dataset_cfg(ds)["expression"]
        check_h5ad_choice(spec_path(spec), choice["layer"], choice["gene_column"])


check_list_inputs()


def gene_names_table(dataset):
    """The optional `inputs.gene_names` table ([] for synthetic datasets and when absent)."""
    if "synthetic" in dataset_cfg(dataset):
        return []
    spec = dataset_cfg(dataset)["inputs"].get("gene_names")
    if spec is None:
        return []
    return download_path(spec) if source_kind(spec) == "url" else spec_path(spec)


def download_path(spec):
    """Content-addressed cache path of a `{url, sha256[, member]}` source."""
    name = Path(spec.get("member") or spec["url"].split("?")[0].rstrip("/")).name
    return f"{DOWNLOAD_CACHE}/{spec['sha256']}/{name}"


def download_specs():
    """Every URL source of the selected datasets, keyed by its cache path."""
    specs = {}
    for ds in DATASETS:
        cfg = dataset_cfg(ds)
        sources = [*cfg.get("inputs", {}).values()]
        sources += cfg.get("prepare", {}).get("sources", {}).values()
        for spec in sources:
            if source_kind(spec) == "url":
                specs[download_path(spec)] = spec
    return specs


def data_file(dataset, name):
    return f"results/{dataset}/data/{name}"


def user_split_file(dataset, split):
    """The file of a user split for `dataset` ([] for a built-in regime)."""
    spec = SPLIT_SPECS[split]
    path = spec.get("pairs") or spec.get("regulators")
    return path.replace("{dataset}", dataset) if path else []


def user_split_spec(dataset, split):
    """A user split's declaration with its file path for `dataset` (None: built-in)."""
    spec = SPLIT_SPECS[split]
    if not spec:
        return None
    return {
        k: (v.replace("{dataset}", dataset) if k != "name" else v)
        for k, v in spec.items()
    }


def pairs_file(dataset, split, seed):
    return f"results/{dataset}/pairs/{split}/seed{seed}.tsv"


def predictions_file(dataset, method, split, seed):
    return f"results/{dataset}/predictions/{method}/{split}/seed{seed}.tsv.gz"


def job_metrics_file(dataset, method, split, seed):
    return f"results/{dataset}/metrics/{method}/{split}/seed{seed}.json"


def all_predictions(dataset):
    return expand(
        predictions_file(dataset, "{method}", "{split}", "{seed}"),
        method=METHODS,
        split=SPLITS,
        seed=SEEDS,
    )


def all_job_metrics(dataset):
    return expand(
        job_metrics_file(dataset, "{method}", "{split}", "{seed}"),
        method=METHODS,
        split=SPLITS,
        seed=SEEDS,
    )


def provenance_inputs():
    """{dataset: {input key: path}} of every input the selected datasets read."""
    inputs = {
        ds: {key: dataset_input(ds, key) for key in INPUT_NAMES if has_input(ds, key)}
        for ds in DATASETS
    }
    for ds in DATASETS:
        if gene_names_table(ds):
            inputs[ds]["gene_names"] = gene_names_table(ds)
    return inputs


def all_targets():
    """Default targets: per-dataset comparison tables, the report and the provenance record."""
    beeline = [
        f"results/{ds}/comparison/beeline.tsv" for ds in DATASETS if LABEL_FREE_METHODS
    ]
    return (
        [f"results/{ds}/comparison/metrics.tsv" for ds in DATASETS]
        + beeline
        + [f"results/{ds}/data/gene_names.tsv" for ds in DATASETS]
        + [
            "results/report/index.html",
            "results/provenance.json",
        ]
    )


# Dataset presets (config/datasets/*.yaml, rules in presets.smk).


def prepared_datasets(key, value):
    """Selected datasets whose `prepare.<key>` adapter is `value`."""
    return [
        ds for ds in DATASETS if dataset_cfg(ds).get("prepare", {}).get(key) == value
    ]


def only(datasets):
    """Wildcard pattern matching exactly these dataset names (nothing when empty)."""
    return "|".join(map(re.escape, datasets)) if datasets else "(?!)"


def prepare_source(dataset, name, optional=False):
    """Local or download-cache path of `datasets.<dataset>.prepare.sources.<name>`."""
    spec = dataset_cfg(dataset).get("prepare", {}).get("sources", {}).get(name)
    if spec is None:
        if optional:
            return []
        raise InputError(
            f"config: datasets.{dataset}.prepare.sources.{name} is missing; the adapter "
            f"selected in datasets.{dataset}.prepare needs it (see docs/datasets.md)"
        )
    if source_kind(spec) == "url":
        return download_path(spec)
    return spec if isinstance(spec, str) else spec["path"]


def check_manual_files():
    """Stop with the preset's instructions when a file that needs a login is not there yet."""
    for ds in DATASETS:
        cfg = dataset_cfg(ds)
        for key, how in cfg.get("prepare", {}).get("manual", {}).items():
            spec = cfg["prepare"]["sources"].get(key) or cfg.get("inputs", {}).get(key)
            if spec is None or source_kind(spec) != "path":
                continue
            path = spec if isinstance(spec, str) else spec["path"]
            if not Path(path).exists():
                raise InputError(
                    f"config: datasets.{ds}: input `{key}` is the local file {path}, which does "
                    f"not exist. It cannot be downloaded automatically: {how} "
                    f"Then rerun, or set the path of your copy in "
                    f"datasets.{ds}.{'prepare.sources' if key in cfg['prepare']['sources'] else 'inputs'}.{key} "
                    "(docs/datasets.md)."
                )


# Compute once (grnflow.shared): stages whose result datasets with identical inputs and
# settings share. Each stage's settings here are the ones that change its result.
from grnflow.shared import shared_path, stage_groups, stage_key

SHARED_SETTINGS = {
    "features": {
        k: config["mtlgrn"][k]
        for k in ("kmer", "kmer_strands", "pca_variance", "expression_weight")
    },
    "tree_importances": {
        k: v for k, v in config["baselines"]["trees"].items() if k != "threads"
    },
}
SHARED_GROUPS = {
    stage: stage_groups(DATASETS, config["datasets"], stage, settings)
    for stage, settings in SHARED_SETTINGS.items()
}


def shared_key(stage, dataset):
    """Key of `dataset`'s result of `stage` (equal for datasets that share it)."""
    return stage_key(dataset, dataset_cfg(dataset), stage, SHARED_SETTINGS[stage])


def shared_file(stage, dataset, name):
    """The one shared file `name` of `stage` that `dataset` uses."""
    return shared_path(stage, shared_key(stage, dataset), name)


def shared_dataset(stage, key):
    """The dataset whose files the one job of `stage` for `key` reads (the first of its group)."""
    return SHARED_GROUPS[stage][key][0]


def shared_keys(stage):
    """Wildcard pattern of the keys of `stage` in this run."""
    return "|".join(SHARED_GROUPS[stage]) or "(?!)"
