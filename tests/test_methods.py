"""The method registry and the shared names are the one list: the config schema agrees with them."""

import pytest
import yaml

from grnflow import methods, names
from helpers import REPO

SCHEMA = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())


def test_schema_methods_enum_is_the_registry():
    spec = SCHEMA["properties"]["methods"]
    assert tuple(spec["items"]["enum"]) == methods.ORDER
    assert tuple(spec["default"]) == methods.ORDER


def test_schema_splits_agree_with_names_splits():
    spec = SCHEMA["properties"]["splits"]
    assert tuple(spec["default"]) == names.SPLITS
    # a user split may not take a built-in regime's name
    user = next(item for item in spec["items"]["oneOf"] if item["type"] == "object")
    reserved = set(user["properties"]["name"]["not"]["enum"])
    assert set(names.SPLITS) <= reserved


def test_registry_kinds_partition_the_methods():
    assert set(methods.MODELS) | set(methods.BASELINES) == set(methods.ORDER)
    assert not set(methods.MODELS) & set(methods.BASELINES)
    assert {m.kind for m in methods.REGISTRY} == {"model", "baseline"}
    # label-free methods never read labels, so no model is one
    assert not set(methods.LABEL_FREE) & set(methods.MODELS)


def test_models_and_baselines_keep_the_given_order():
    assert methods.models(["random", "mtlgrn", "degree", "gener"]) == ["mtlgrn", "gener"]
    assert methods.baselines(["random", "mtlgrn", "degree", "gener"]) == ["random", "degree"]


def test_unknown_method_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown method 'deepsem'; known: gener, mtlgrn"):
        methods.method("deepsem")
