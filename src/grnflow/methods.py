"""The registry of methods: every name the config, the rules, `baselines` and `compare` know.

A method is a trained `model` (its own GPU-tagged rule) or a `baseline` (scored by the
`baselines` rule). `label_free` methods never look at the reference network's labels
(correlation, trees, random), so they can be evaluated against the whole reference network
(BEELINE's protocol) and need no split; `degree` reads the training edges.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Method:
    name: str
    kind: str  # "model" or "baseline"
    label_free: bool
    description: str


REGISTRY: tuple[Method, ...] = (
    Method("gener", "model", False, "GENER: CNN on stacked expression || MLP on their product"),
    Method("mtlgrn", "model", False, "MTLGRN: multi-task GAT on promoter k-mers + gene features"),
    Method("degree", "baseline", False, "product of the two genes' training degrees (no expression)"),
    Method("correlation", "baseline", True, "|Pearson| of the two expression profiles"),
    Method("trees", "baseline", True, "GENIE3-style tree importance of the regulator for the target"),
    Method("random", "baseline", True, "uniform random scores (the chance floor)"),
)

BY_NAME = {m.name: m for m in REGISTRY}
ORDER = tuple(m.name for m in REGISTRY)
MODELS = tuple(m.name for m in REGISTRY if m.kind == "model")
BASELINES = tuple(m.name for m in REGISTRY if m.kind == "baseline")
LABEL_FREE = tuple(m.name for m in REGISTRY if m.label_free)


def method(name: str) -> Method:
    """The registered method `name`; ValueError naming the known ones otherwise."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; known: {', '.join(ORDER)}") from None


def models(names) -> list[str]:
    """The model methods among `names`, in the given order."""
    return [n for n in names if method(n).kind == "model"]


def baselines(names) -> list[str]:
    """The baseline methods among `names`, in the given order."""
    return [n for n in names if method(n).kind == "baseline"]


# The fewest expression samples a method's scores mean anything with (checked by `normalize`,
# documented in config/README.md): a Pearson correlation or a tree split over 3 samples is noise.
MIN_SAMPLES = {"gener": 6, "correlation": 6, "trees": 6}


def min_samples(names) -> dict[str, int]:
    """`{method: fewest samples}` for the selected methods that need expression samples."""
    return {n: MIN_SAMPLES[n] for n in names if n in MIN_SAMPLES}


# The rules that train a model, GPU-tagged (`resources: gpu=1`): each model's evaluation rule
# (named after it) and its final-model rule of the inferred network (`infer_<model>`).
TRAINING_RULES = MODELS + tuple(f"infer_{m}" for m in MODELS)
