"""How the user's configuration reaches the workflow: command-line values, config files, summary.

- `coerce_cli_values`: Snakemake parses `--config key=[0,1]` with YAML's BaseLoader, so every
  value inside a list or mapping arrives as a string ("'0' is not of type 'integer'"); the
  strings are converted where the schema asks for a number, a boolean or null.
- `merge_user_datasets`: a user's `--configfile` that defines `datasets` replaces the built-in
  demo datasets of config/config.yaml instead of being merged into them; every other key is
  merged as Snakemake does (the user's value wins).
- `run_summary`: the few lines printed at start-up saying what will run.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import yaml

from grnflow.methods import MODELS as MODEL_METHODS
from grnflow.settings import load_yaml

_SCALARS = {"integer", "number", "boolean", "null"}


def _resolve(schema: dict, root: dict) -> dict:
    while isinstance(schema, dict) and "$ref" in schema:
        node = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema if isinstance(schema, dict) else {}


def _types(schema: dict) -> set[str]:
    kind = schema.get("type")
    if kind is None and "enum" in schema:
        return {type(v).__name__ for v in schema["enum"]}
    return set(kind) if isinstance(kind, list) else {kind} if kind else set()


def _scalar(text: str, types: set[str]):
    """`text` as the first schema type it parses as (YAML 1.1 core rules), else unchanged."""
    if "string" in types or "str" in types or not types & (_SCALARS | {"int", "float", "bool"}):
        return text
    try:
        value = load_yaml(text)
    except yaml.YAMLError:
        return text
    ok = {
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "float": isinstance(value, float),
        "boolean": isinstance(value, bool),
        "bool": isinstance(value, bool),
        "null": value is None,
    }
    return value if any(ok.get(t) for t in types) else text


def coerce(value, schema: dict, root: dict):
    """`value` with strings converted where `schema` (resolved against `root`) wants non-strings.

    A scalar given where the schema wants an array becomes a one-item list (`seeds=3` -> [3]).
    Values that do not parse stay as they are, so that validation names them.
    """
    schema = _resolve(schema, root)
    if "oneOf" in schema or "anyOf" in schema:
        return value
    types = _types(schema)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        return {
            k: coerce(v, props[k] if k in props else extra if isinstance(extra, dict) else {}, root)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [coerce(v, schema.get("items", {}), root) for v in value]
    if "array" in types and not isinstance(value, list) and value is not None:
        return [coerce(value, schema.get("items", {}), root)]
    if isinstance(value, str):
        return _scalar(value, types)
    return value


def coerce_cli_values(config: dict, cli_keys, schema_path: str | Path) -> dict:
    """`config` with the top-level keys given by `--config` coerced to the schema's types."""
    root = load_yaml(Path(schema_path).read_text())
    props = root.get("properties", {})
    for key in cli_keys:
        if key in config and key in props:
            config[key] = coerce(config[key], props[key], root)
    return config


def _deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def merge_user_datasets(config: dict, configfiles, cli: dict | None = None) -> bool:
    """Replace the default datasets by those of the user's config files; True when replaced.

    `configfiles`: the `--configfile` paths (or already loaded mappings); when one of them
    defines `datasets`, `config["datasets"]` becomes their datasets (merged in order), with the
    `--config` values `cli` merged over them as Snakemake merges them. `--config` alone never
    replaces: `--config 'datasets={demo: {...}}'` overrides one nested key of the demo.
    """
    files = [f if isinstance(f, dict) else load_yaml(Path(f).read_text()) or {} for f in configfiles]
    defined = [f["datasets"] for f in files if isinstance(f.get("datasets"), dict)]
    if not defined:
        return False
    datasets = {}
    for part in defined:
        datasets = _deep_merge(datasets, part)
    cli_datasets = (cli or {}).get("datasets")
    if isinstance(cli_datasets, dict):
        datasets = _deep_merge(datasets, cli_datasets)
    replaced = set(config.get("datasets", {})) - set(datasets)
    config["datasets"] = datasets
    return bool(replaced)


def run_summary(config: dict, datasets, sources, replaced: bool, user_files=(), cli_keys=()) -> str:
    """Lines printed at start-up: where the config came from and how many jobs of each kind.

    `sources`: every config file read; `user_files` (--configfile) and `cli_keys` (--config)
    are named last, in the order in which they win."""
    methods, seeds = config["methods"], config["seeds"]
    # a split is a built-in regime's name or a user split {name, pairs | regulators}
    splits = [s if isinstance(s, str) else s["name"] for s in config["splits"]]
    models = [m for m in methods if m in MODEL_METHODS]
    per_dataset = len(splits) * len(seeds)
    users = [str(f) for f in user_files]
    order = [str(f) for f in sources if str(f) not in users and str(Path(f).absolute()) not in users] + users
    if cli_keys:
        order.append(f"--config {', '.join(cli_keys)}")
    lines = [f"grnflow: configuration (later wins): {', then '.join(order) or 'given by the module caller'}"]
    if replaced:
        lines.append(
            "grnflow: the datasets of your config file(s) REPLACE those of config/config.yaml "
            "(the built-in demo is not run); other keys are merged, yours winning"
        )
    lines += [
        f"grnflow: datasets ({len(datasets)}): {', '.join(datasets)}",
        f"grnflow: methods: {', '.join(methods)}; splits: {', '.join(splits)}; "
        f"seeds: {', '.join(map(str, seeds))}",
        f"grnflow: {len(datasets) * per_dataset * len(models)} model training job(s) and "
        f"{len(datasets) * per_dataset * (len(methods) - len(models))} baseline job(s) "
        f"({len(datasets)} dataset(s) x {len(splits)} split(s) x {len(seeds)} seed(s) x method)",
    ]
    return "\n".join(lines)


def schema_keys(schema: dict, root: dict | None = None, prefix: str = "") -> list[str]:
    """Dotted names of every leaf key of the schema (dataset keys under `datasets.<name>.`)."""
    root = root or schema
    schema = _resolve(schema, root)
    keys = []
    for name, sub in schema.get("properties", {}).items():
        full = f"{prefix}{name}"
        sub_r = _resolve(sub, root)
        extra = sub_r.get("additionalProperties")
        if sub_r.get("properties"):
            keys += schema_keys(sub_r, root, full + ".")
        elif isinstance(extra, dict) and _resolve(extra, root).get("properties") and re.sub(r"\W", "", name):
            keys += schema_keys(_resolve(extra, root), root, f"{full}.<name>.")
        else:
            keys.append(full)
    return keys
