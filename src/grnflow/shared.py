"""Compute once: per-dataset stages shared between datasets with identical inputs and settings.

A stage's result depends on part of a dataset's configuration only (the gene features, for
example, do not read the reference network or the pair settings). `stage_key` hashes exactly
that part, plus the stage's own settings, so two datasets with the same key get one job whose
result lies under `results/_shared/<stage>/<key>/` and is hard-linked (or copied) into each
dataset's folder by a cheap per-dataset rule.

The key is computed from the configuration when the workflow is parsed (Snakemake needs the
job graph before any file exists). Downloaded inputs are content-addressed by their sha256;
local inputs are identified by their path; paths under `results/<dataset>/` (inputs that the
workflow prepares from the dataset's own settings) are compared with the dataset name left out.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
from pathlib import Path

from grnflow.io import atomic_path

# Per stage: dataset settings and inputs its result does not depend on (everything else counts,
# so a setting added later makes datasets differ rather than silently share a wrong result).
IGNORED = {
    # expression.tsv reads the network only to catch a transposed matrix; promoters, samples
    # and the gene table never read it, nor the pair settings.
    "features": {"settings": ("network", "pairs"), "inputs": ("network", "tfs")},
    # the TF list comes from the network, so only the pair settings are irrelevant here.
    "tree_importances": {"settings": ("pairs",), "inputs": ()},
}
SHARED_DIR = "_shared"


def _without_dataset_name(value, dataset: str):
    """`value` with `results/<dataset>/` in its strings replaced by a placeholder."""
    if isinstance(value, dict):
        return {k: _without_dataset_name(v, dataset) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_dataset_name(v, dataset) for v in value]
    if isinstance(value, str):
        return value.replace(f"results/{dataset}/", "results/{dataset}/")
    return value


def stage_key(dataset: str, dataset_cfg: dict, stage: str, settings=None) -> str:
    """16-hex-digit key of what `stage` reads for `dataset` (its config part + `settings`)."""
    ignored = IGNORED[stage]
    cfg = copy.deepcopy(dataset_cfg)
    for name in ignored["settings"]:
        cfg.pop(name, None)
    for name in ignored["inputs"]:
        cfg.get("inputs", {}).pop(name, None)
    text = json.dumps(
        {"stage": stage, "dataset": _without_dataset_name(cfg, dataset), "settings": settings},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def stage_groups(datasets, configs: dict, stage: str, settings=None) -> dict[str, list[str]]:
    """{key: datasets with that key, in the given order} (the first one's files are used)."""
    groups: dict[str, list[str]] = {}
    for ds in datasets:
        groups.setdefault(stage_key(ds, configs[ds], stage, settings), []).append(ds)
    return groups


def shared_path(stage: str, key: str, name: str) -> str:
    """Where the one job of `stage` for `key` writes its file `name`."""
    return f"results/{SHARED_DIR}/{stage}/{key}/{name}"


def share_file(source: str | Path, target: str | Path) -> str:
    """Hard-link `source` to `target` (copy where links are not possible); return how.

    The link is made under a temporary name and renamed, so `target` is never partial.
    """
    target = Path(target)
    with atomic_path(target) as tmp:
        os.unlink(tmp)
        try:
            os.link(source, tmp)
            how = "hard link"
        except OSError:
            shutil.copyfile(source, tmp)
            how = "copy"
    return how


def share_result(source: str | Path, target: str | Path, source_log: str | Path, dataset: str,
                 datasets: list[str]) -> str:
    """Place the shared `source` at `target`; return the text of `dataset`'s log.

    The log names the shared file and the datasets it serves and repeats the log of the job
    that computed it, so each dataset's log reads as if the stage had run for it.
    """
    how = share_file(source, target)
    computed = Path(source_log).read_text() if Path(source_log).exists() else "(no log)\n"
    return (
        f"{target}: {how} of {source}, computed once for the datasets {', '.join(datasets)} "
        f"(identical inputs and settings; this is {dataset}). Log of that job ({source_log}):\n"
        + computed
    )
