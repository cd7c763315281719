"""Invalid configuration stops the real workflow before any job, naming the key and the fix."""

import pytest

from grnflow.config import check_config, dataset_names, source_kind
from grnflow.errors import InputError
from helpers import run_workflow, tiny_config

BAD_CONFIGS = {
    "unknown top-level key": (
        tiny_config(sedes=[0]),
        ["sedes", "was unexpected"],
    ),
    "unknown split regime": (
        tiny_config(splits=["random", "leave_one_out"]),
        ["leave_one_out", "is not one of", "tf_holdout", "gene_disjoint"],
    ),
    "unknown method": (
        tiny_config(methods=["gener", "deepsem"]),
        ["deepsem", "is not one of", "correlation"],
    ),
    "negative negative ratio": (
        tiny_config(
            datasets={"demo": {"synthetic": {}, "pairs": {"negative_ratio": -1}}}
        ),
        ["negative_ratio", "-1"],
    ),
    "unknown dataset key": (
        tiny_config(datasets={"demo": {"synthetic": {}, "promotor": {"upstream": 5}}}),
        ["promotor", "was unexpected"],
    ),
    "dataset without expression": (
        tiny_config(datasets={"mine": {"inputs": {"network": "net.tsv"}}}),
        ["datasets.mine.inputs lacks expression"],
    ),
    "url without sha256": (
        tiny_config(
            datasets={"mine": {"inputs": {"expression": {"url": "https://example.org/e.tsv"},
                                          "network": "net.tsv"}}}
        ),
        ["expression", "sha256"],
    ),
    "run_datasets names an unknown dataset": (
        tiny_config(run_datasets=["ecoli"]),
        ["run_datasets", "ecoli", "demo"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_stops_before_any_job(tmp_path, case):
    config, needles = BAD_CONFIGS[case]
    proc = run_workflow(tmp_path, config, extra=["--dry-run"], check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    for needle in needles:
        assert needle in out, f"{case}: {needle!r} not in output:\n{out[-3000:]}"
    assert not (tmp_path / "results").exists()


def test_check_config_accepts_the_tiny_demo():
    cfg = tiny_config()
    check_config(cfg)
    assert dataset_names(cfg) == ["demo"]


def test_synthetic_and_inputs_together_refused():
    cfg = {"datasets": {"d": {"synthetic": {}, "inputs": {"expression": "e.tsv"}}}}
    with pytest.raises(InputError, match="both `synthetic` and `inputs`"):
        check_config(cfg)


def test_genome_without_annotation_refused():
    cfg = {"datasets": {"d": {"inputs": {"expression": "e", "network": "n", "genome": "g.fa"}}}}
    with pytest.raises(InputError, match="both `genome` and `annotation`"):
        check_config(cfg)


def test_source_kinds():
    assert source_kind("a.tsv") == "path"
    assert source_kind({"path": "a.tsv"}) == "path"
    assert source_kind({"url": "https://x/a", "sha256": "0" * 64}) == "url"
    with pytest.raises(InputError):
        source_kind({"sha256": "0" * 64})


def test_user_splits_in_config_are_checked():
    from grnflow.config import check_splits

    check_splits(["random", {"name": "published", "pairs": "p.tsv"}, {"name": "mine", "regulators": "r.txt"}])
    with pytest.raises(InputError, match=r"splits\[1\] 'leave_one_out' is not one of random, tf_holdout"):
        check_splits(["random", "leave_one_out"])
    with pytest.raises(InputError, match="the name random is used twice"):
        check_splits(["random", {"name": "random", "pairs": "p.tsv"}])


def test_val_and_test_fractions_are_checked_against_the_schema_default_of_the_other():
    """Only val_fraction set: the check adds the schema's default test_fraction (not a copy of it)."""
    from grnflow.settings import DATASET_SECTION, schema_defaults

    default_test = schema_defaults(DATASET_SECTION + "pairs")["test_fraction"]
    inputs = {"expression": "e", "network": "n"}
    check_config({"datasets": {"d": {"inputs": inputs, "pairs": {"val_fraction": 0.99 - default_test}}}})
    with pytest.raises(InputError, match="val_fraction \\+ test_fraction must be < 1"):
        check_config({"datasets": {"d": {"inputs": inputs, "pairs": {"val_fraction": 1.0 - default_test}}}})
