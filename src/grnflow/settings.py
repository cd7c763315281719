"""Typed settings of the two models and of the pair tables, built from validated config sections.

The JSON schema (workflow/schemas/config.schema.yaml) is the one source of defaults: Snakemake
fills them in when it validates the config, and `from_config` only checks that the section
holds exactly the known keys. Nothing here repeats a default. Code outside Snakemake (tests,
notebooks) builds settings with `from_schema`, which fills the same defaults from the schema.
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from grnflow.errors import InputError

SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"
# Keys of a model's config section that configure its rule (Snakemake threads), not the model:
# they reach the job through `threads:`, so changing them reruns nothing.
RULE_KEYS = ("threads",)


@dataclass(frozen=True)
class GenerSettings:
    """`gener:` of the config (see config/README.md for each key)."""

    classes: str
    ff_units: tuple[int, ...]
    conv_filters: tuple[int, ...]
    conv_dense: int
    dropout: float
    learning_rate: float
    decay_rate: float
    decay_samples: int
    staircase: bool
    batch_size: int
    epochs: int
    patience: int
    paper_mode: bool

    @property
    def decay_steps(self) -> float:
        """Optimizer steps per decay: `decay_samples` training pairs seen, whatever the batch
        size (160,000 = the seed's 2,500 steps of 64 pairs)."""
        return self.decay_samples / self.batch_size


@dataclass(frozen=True)
class MtlgrnTasks:
    """One switch (`tasks`) or loss weight (`weights`) per MTLGRN task."""

    link: typing.Any
    knockout: typing.Any
    reconstruction: typing.Any


@dataclass(frozen=True)
class MtlgrnSettings:
    """`mtlgrn:` of the config; `kmer`, `kmer_strands`, `pca_variance` and `expression_weight`
    shape the features (rule `features`) and are kept here so that a checkpoint belongs to one
    whole setting."""

    kmer: int
    kmer_strands: str
    pca_variance: float
    expression_weight: float
    hidden: int
    heads: int
    out: int
    dropout: float
    decoder: str
    tasks: MtlgrnTasks
    weights: MtlgrnTasks
    learning_rate: float
    weight_decay: float
    epochs: int
    patience: int
    batch_size: int
    knockout_holdout: float
    knockout_threshold: float
    knockout_hidden: int
    paper_mode: bool


@dataclass(frozen=True)
class PairSettings:
    """`datasets.<name>.pairs:` of the config: how the pair tables are built (grnflow.pairs)."""

    negative_ratio: float
    negatives: str
    eval_negatives: str
    eval_negative_ratio: float
    candidate_regulators: str
    tf_only: bool
    directed: bool
    val_fraction: float
    test_fraction: float

    @classmethod
    def from_schema(cls, **overrides) -> PairSettings:
        """The schema's defaults, `overrides` replacing keys (for tests and notebooks)."""
        return from_schema(cls, **overrides)


# Per-dataset sections: each dataset of `datasets:` holds them (`definitions.dataset` of the schema).
DATASET_SECTION = "datasets.<name>."
SECTIONS = {GenerSettings: "gener", MtlgrnSettings: "mtlgrn", PairSettings: DATASET_SECTION + "pairs"}


# What `paper_mode: true` sets, per model: the seeds' published values where grnflow's defaults
# deviate (config/README.md, "Paper mode", has the sources and the reasons). Values that are not
# config keys (activations, batch-norm momentum, full-batch link loss) are applied where the
# network or the training loop is built, from `settings.paper_mode`.
PAPER = {
    "gener": {"staircase": False},
    "mtlgrn": {
        "kmer_strands": "forward",
        "expression_weight": 0.0,
        "decoder": "dot",
        "knockout_hidden": 128,
        "learning_rate": 0.0004,
    },
}


def effective(settings):
    """`settings` with the seed's values applied when `paper_mode` is on (else unchanged).
    Patience becomes at least `epochs`, so early stopping never fires within the budget (GENER's
    seed: patience 100 with 50 epochs; MTLGRN's trains all its epochs); the best epoch's
    weights are still the ones kept."""
    if not settings.paper_mode:
        return settings
    values = dict(PAPER[SECTIONS[type(settings)]])
    values["patience"] = max(settings.patience, settings.epochs)
    return dataclasses.replace(settings, **values)


def job_settings(section: Mapping) -> dict:
    """The config section without its rule keys: what a training rule passes as `params.settings`."""
    return {k: v for k, v in section.items() if k not in RULE_KEYS}


def from_config(cls: type, section: Mapping, where: str | None = None):
    """`cls` (a settings dataclass) from a validated config section; InputError naming the key
    when one is unknown or missing. Lists become tuples (settings are frozen)."""
    where = where or f"config: {SECTIONS[cls]}"
    if not isinstance(section, Mapping):
        raise InputError(f"{where} must be a mapping of settings, not {type(section).__name__}")
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(section) - set(names) - set(RULE_KEYS))
    if unknown:
        raise InputError(
            f"{where}.{unknown[0]} is not a setting of this model (known: {', '.join(names)}); "
            "check its spelling against config/README.md"
        )
    missing = [n for n in names if n not in section]
    if missing:
        raise InputError(
            f"{where}.{missing[0]} is missing; the schema holds every default, so validate the "
            "config with it (Snakemake does) or build the settings with grnflow.settings.from_schema"
        )
    hints = typing.get_type_hints(cls)
    values = {}
    for name in names:
        value = section[name]
        if dataclasses.is_dataclass(hints[name]):
            value = from_config(hints[name], value, f"{where}.{name}")
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return cls(**values)


def as_dict(settings) -> dict:
    """Plain JSON-ready dict of a settings object (nested settings as dicts, tuples as lists)."""
    return dataclasses.asdict(settings, dict_factory=lambda items: {k: _plain(v) for k, v in items})


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def load_yaml(text: str):
    """`yaml.safe_load` through libyaml when PyYAML has it (same result, ~8x faster on the
    schema: every Snakemake process, cluster jobs included, reads it at parse time)."""
    if hasattr(yaml, "CSafeLoader"):
        return yaml.load(text, Loader=yaml.CSafeLoader)
    return yaml.safe_load(text)


@cache
def _schema() -> dict:
    if not SCHEMA.is_file():
        raise FileNotFoundError(f"{SCHEMA}: config schema not found (grnflow runs from its repository)")
    return load_yaml(SCHEMA.read_text())


def _resolve(node: dict, root: dict) -> dict:
    """`node` with a local `$ref` (`#/definitions/...`) followed; its own keys win."""
    ref = node.get("$ref")
    if ref is None:
        return node
    target = root
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return {**_resolve(target, root), **{k: v for k, v in node.items() if k != "$ref"}}


def fill_defaults(node: dict, value, root: dict):
    """`value` with every schema default below `node` filled in (as Snakemake's `validate` does)."""
    node = _resolve(node, root)
    if not isinstance(value, dict):
        return value
    for key, sub in node.get("properties", {}).items():
        sub = _resolve(sub, root)
        if key not in value and "default" in sub:
            value[key] = copy.deepcopy(sub["default"])
        if key in value:
            value[key] = fill_defaults(sub, value[key], root)
    return value


def schema_defaults(section: str) -> dict:
    """Every default of config section `section` (e.g. `gener`, or `datasets.<name>.pairs` for a
    dataset's section), read from the schema."""
    root = _schema()
    if section.startswith(DATASET_SECTION):
        node = _resolve(root["definitions"]["dataset"], root)["properties"][section.removeprefix(DATASET_SECTION)]
    else:
        node = root["properties"][section]
    return fill_defaults(node, {}, root)


def from_schema(cls: type, **overrides):
    """`cls` with the schema's defaults, `overrides` replacing keys (nested mappings merged)."""
    values = schema_defaults(SECTIONS[cls])
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(values.get(key), dict):
            value = {**values[key], **value}
        values[key] = value
    return from_config(cls, values)


__all__ = [
    "GenerSettings",
    "MtlgrnSettings",
    "MtlgrnTasks",
    "PairSettings",
    "PAPER",
    "effective",
    "job_settings",
    "from_config",
    "from_schema",
    "schema_defaults",
    "as_dict",
]
