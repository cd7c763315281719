# Helpers shared by the rules: dataset selection, input resolution, target lists.

import re
import sys
from pathlib import Path

# The workflow's own package: importable here and, through PYTHONPATH, in every job (also
# inside per-rule conda envs and on cluster nodes, where grnflow is not pip-installed).
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from grnflow.config import check_config, dataset_names, export_pythonpath, source_kind
from grnflow.errors import InputError

export_pythonpath(Path(workflow.basedir) / "src")

# Semantic checks the JSON schema cannot express (e.g. a dataset needs an expression input).
check_config(config)

DATASETS = dataset_names(config)
SPLITS = config["splits"]
SEEDS = config["seeds"]
METHODS = config["methods"]
MODELS = [m for m in METHODS if m in ("gener", "mtlgrn")]
BASELINES = [m for m in METHODS if m not in ("gener", "mtlgrn")]
DOWNLOAD_CACHE = config["download"]["cache"]

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
        return spec if isinstance(spec, str) else spec["path"]
    return download_path(spec)


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
    return {
        ds: {key: dataset_input(ds, key) for key in INPUT_NAMES if has_input(ds, key)}
        for ds in DATASETS
    }


def all_targets():
    """Default targets: per-dataset comparison tables, the report and the provenance record."""
    return [f"results/{ds}/comparison/metrics.tsv" for ds in DATASETS] + [
        "results/report/index.html",
        "results/provenance.json",
    ]


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
        k: config["mtlgrn"][k] for k in ("kmer", "kmer_strands", "pca_variance")
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
