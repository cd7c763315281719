"""Configuration checks beyond the JSON schema (workflow/schemas/config.schema.yaml)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from grnflow.errors import InputError
from grnflow.names import SPLITS
from grnflow.settings import DATASET_SECTION, schema_defaults

REQUIRED_INPUTS = ("expression", "network")


def source_kind(spec) -> str:
    """`path` for a local path (string or {path}), `url` for {url, sha256[, member]}."""
    if isinstance(spec, str) or (isinstance(spec, dict) and "path" in spec):
        return "path"
    if isinstance(spec, dict) and "url" in spec:
        return "url"
    raise InputError(f"config: input source {spec!r} is neither a path nor {{url, sha256}}")


def dataset_names(config: dict) -> list[str]:
    """The datasets this run handles: `run_datasets` if given, else all of `datasets`."""
    names = list(config["datasets"])
    selected = config.get("run_datasets") or names
    unknown = [n for n in selected if n not in config["datasets"]]
    if unknown:
        raise InputError(
            f"config: run_datasets names unknown dataset(s) {', '.join(unknown)}; "
            f"defined datasets: {', '.join(names)}"
        )
    return list(selected)


def check_splits(splits: list) -> None:
    """Built-in split names must be known; every split (built-in or user) has its own name."""
    names = []
    for i, split in enumerate(splits):
        if isinstance(split, str) and split not in SPLITS:
            raise InputError(
                f"config: splits[{i}] {split!r} is not one of {', '.join(SPLITS)}; a user split is "
                "{name: <name>, pairs: <file>} or {name: <name>, regulators: <file>} (config/README.md)"
            )
        names.append(split if isinstance(split, str) else split["name"])
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"config: splits: the name {dup[0]} is used twice; every split needs its own name")


def check_config(config: dict) -> None:
    """Raise InputError naming the key when the config is valid JSON-schema-wise but unusable."""
    check_splits(config.get("splits", []))
    for name in dataset_names(config):
        cfg = config["datasets"][name]
        inputs = cfg.get("inputs", {})
        if "synthetic" in cfg:
            if inputs:
                raise InputError(
                    f"config: datasets.{name} has both `synthetic` and `inputs`; "
                    "a dataset is either generated or read from inputs, not both"
                )
            syn = cfg["synthetic"]
            if syn.get("n_tfs", 0) >= syn.get("n_genes", 1):
                raise InputError(
                    f"config: datasets.{name}.synthetic.n_tfs ({syn['n_tfs']}) must be smaller "
                    f"than n_genes ({syn['n_genes']})"
                )
            continue
        missing = [k for k in REQUIRED_INPUTS if k not in inputs]
        if missing:
            raise InputError(
                f"config: datasets.{name}.inputs lacks {', '.join(missing)} "
                f"(required: {', '.join(REQUIRED_INPUTS)}; or use `synthetic:` for a generated dataset)"
            )
        if ("genome" in inputs) != ("annotation" in inputs):
            raise InputError(
                f"config: datasets.{name}.inputs needs both `genome` and `annotation` "
                "for promoter extraction, or neither"
            )
        # Before or after `validate`: the schema's defaults under what the config sets.
        pairs = {**schema_defaults(DATASET_SECTION + "pairs"), **cfg.get("pairs", {})}
        if pairs["val_fraction"] + pairs["test_fraction"] >= 1:
            raise InputError(
                f"config: datasets.{name}.pairs.val_fraction + test_fraction must be < 1"
            )


def check_yaml_files(paths) -> None:
    """Refuse a YAML config file that sets one key twice (YAML loaders keep the last silently).

    Snakemake loads the config files itself (`configfile:` and `--configfile`); the workflow
    calls this on `workflow.configfiles` before validating, so a duplicated key stops the run
    naming the file, the line and the key instead of being merged.
    """
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: the config file cannot be read ({exc})") from exc
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            continue  # Snakemake reports syntax errors itself
        duplicate = _duplicate_key(root)
        if duplicate:
            raise InputError(f"{path}: {duplicate}")


def _duplicate_key(node) -> str | None:
    """The first mapping key given twice in a composed YAML node tree (no object is constructed)."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: dict = {}
            for key_node, value_node in current.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                line = key_node.start_mark.line + 1
                if key is not None and key in seen:
                    return (
                        f"line {line}: key {key!r} is given twice (first on line {seen[key]}); YAML "
                        "would silently keep only the last one. Remove or merge one of them"
                    )
                seen.setdefault(key, line)
                stack.append(value_node)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return None


def export_pythonpath(src: str | Path) -> None:
    """Prepend `src` to PYTHONPATH so every job (local, conda env or cluster) imports grnflow."""
    parts = [str(src)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(parts))
