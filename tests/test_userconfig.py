"""Config ergonomics: command-line values coerced to the schema, every schema key documented."""

import re

import yaml

from grnflow.userconfig import coerce, merge_user_datasets, run_summary, schema_keys
from helpers import REPO, run_workflow, tiny_config

SCHEMA = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())


def _top(key):
    return SCHEMA["properties"][key]


def test_cli_strings_become_the_schema_types():
    assert coerce(["0", "1"], _top("seeds"), SCHEMA) == [0, 1]
    assert coerce(3, _top("seeds"), SCHEMA) == [3]
    assert coerce({"epochs": "3", "staircase": "false", "dropout": "0.2"}, _top("gener"), SCHEMA) == {
        "epochs": 3, "staircase": False, "dropout": 0.2}
    # a dataset's nested keys (through additionalProperties and $ref)
    ds = coerce({"d": {"pairs": {"negative_ratio": "2"}, "normalize": {"batch_pattern": "^(1)"}}},
                _top("datasets"), SCHEMA)
    assert ds == {"d": {"pairs": {"negative_ratio": 2}, "normalize": {"batch_pattern": "^(1)"}}}
    # text stays text where the schema allows it; values that do not parse are left for validation
    assert coerce(["random"], _top("splits"), SCHEMA) == ["random"]
    assert coerce(["x"], _top("seeds"), SCHEMA) == ["x"]


def test_user_datasets_replace_the_defaults():
    config = {"datasets": {"demo": {"synthetic": {}}}, "seeds": [0]}
    assert merge_user_datasets(config, [{"datasets": {"mine": {"synthetic": {}}}}])
    assert list(config["datasets"]) == ["mine"]
    assert not merge_user_datasets(config, [{"seeds": [1]}])
    # two files: their datasets combined; --config merged into them, never replacing alone
    config = {"datasets": {"demo": {"synthetic": {"seed": 7}, "promoter": {"upstream": 500}}}}
    assert merge_user_datasets(config, [{"datasets": {"a": {"synthetic": {}}}}, {"datasets": {"b": {"synthetic": {}}}}],
                               {"datasets": {"b": {"synthetic": {"seed": 3}}}})
    assert config["datasets"] == {"a": {"synthetic": {}}, "b": {"synthetic": {"seed": 3}}}
    config = {"datasets": {"demo": {"synthetic": {"seed": 7}, "promoter": {"upstream": 500}}}}
    assert not merge_user_datasets(config, [], {"datasets": {"demo": {"synthetic": {"seed": 3}}}})
    text = run_summary({"methods": ["gener", "degree"], "splits": ["random"], "seeds": [0, 1]},
                       ["mine"], ["my.yaml"], True)
    assert "2 model training job(s) and 2 baseline job(s)" in text and "REPLACE" in text


def test_every_schema_key_is_in_config_readme():
    """Each leaf key appears in the first cell of a README table row, under a heading naming its
    parent (or as a dotted `parent.key`)."""
    rows, heading = [], ""
    for line in (REPO / "config" / "README.md").read_text().splitlines():
        if line.startswith("#"):
            heading = line.lower()
        elif line.startswith("| `"):
            names = {n.replace(".<name>", "") for n in re.findall(r"`([^`]+)`", line.split("|")[1])}
            rows.append((heading, names))

    def documented(key):
        parts = [p for p in key.split(".") if p != "<name>"]
        for heading, names in rows:
            if any(".".join(parts[-n:]) in names for n in range(2, len(parts) + 1)):
                return True
            if parts[-1] in names and (len(parts) == 1 or parts[-2] in heading):
                return True
        return False

    keys = schema_keys(SCHEMA)
    assert len(keys) > 90 and "datasets.<name>.inputs.genome" in keys
    missing = [k for k in keys if not documented(k)]
    assert not missing, f"schema keys without a row in config/README.md: {missing}"


def test_cli_list_of_a_nested_key_through_the_workflow(tmp_path):
    """`--config` with a mapping holding a list of numbers: dry run accepted, value used."""
    proc = run_workflow(tmp_path, tiny_config(methods=["degree"]), extra=[
        "--dry-run", "--config", "gener={ff_units: [8, 4]}", "splits=[random]", "seeds=[3]"])
    out = proc.stdout + proc.stderr
    assert "seeds: 3" in out and "splits: random" in out
    assert "results/demo/pairs/random/seed3.tsv" in out


def test_readme_byod_configs_are_valid():
    """The two complete configs of README.md's "Bring your own data" pass the schema."""
    from snakemake.utils import validate

    from grnflow.config import check_config

    text = (REPO / "README.md").read_text()
    section = text.split("## Bring your own data", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(blocks) == 2
    for block in blocks:
        config = yaml.safe_load(block)
        validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
        check_config(config)
