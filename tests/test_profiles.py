"""The execution profiles: valid Snakemake options, GPU-tagged training jobs, sane defaults."""

from __future__ import annotations

import re

import pytest
import yaml

from grnflow import methods
from helpers import REPO, run_workflow, tiny_config

PROFILES = REPO / "profiles"
TRAINING_RULES = set(methods.TRAINING_RULES)  # evaluation and final-model rules


def job_resources(text: str) -> dict[str, list[dict[str, str]]]:
    """{rule: [resources of each of its jobs]} from Snakemake's printed job blocks."""
    found: dict[str, list[dict[str, str]]] = {}
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", text):
        head = re.match(r"(?:local)?rule (\w+):", block)
        res = re.search(r"^\s+resources: (.*)$", block, re.M)
        if head and res:
            pairs = (item.split("=", 1) for item in res.group(1).split(", "))
            found.setdefault(head.group(1), []).append({k: v for k, v in pairs})
    return found


def dry_run_with(profile: str, tmp_path) -> str:
    proc = run_workflow(
        tmp_path, tiny_config(), extra=["--workflow-profile", PROFILES / profile, "-n"]
    )
    out = proc.stdout + proc.stderr
    assert f"Using workflow specific profile {PROFILES / profile}" in out
    return out


def test_job_resources_parses_job_blocks():
    text = (
        "rule gener:\n    output: a\n    resources: tmpdir=/tmp, mem_mb=4000, gpu=1\n\n"
        "rule pairs:\n    resources: tmpdir=/tmp, mem_mb=2000\n"
    )
    assert job_resources(text) == {
        "gener": [{"tmpdir": "/tmp", "mem_mb": "4000", "gpu": "1"}],
        "pairs": [{"tmpdir": "/tmp", "mem_mb": "2000"}],
    }


def test_default_profile_settings():
    cfg = yaml.safe_load((PROFILES / "default" / "config.yaml").read_text())
    assert cfg["resources"] == ["gpu=1"]
    assert cfg["rerun-incomplete"] is True
    assert "cores" not in cfg, "cores belong on the command line (make run passes --cores)"
    assert not {"software-deployment-method", "sdm", "use-conda"} & set(cfg), (
        "users choose --sdm conda themselves"
    )


def test_slurm_profile_settings():
    cfg = yaml.safe_load((PROFILES / "slurm" / "config.yaml").read_text())
    assert cfg["executor"] == "slurm"
    # Without an accounting database sacct never reports a job as finished: the run hangs.
    assert cfg["slurm-status-command"] == "squeue"
    assert not {"software-deployment-method", "sdm", "use-conda"} & set(cfg)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("profile", "mem_mb", "runtime"), [("default", "2000", "60"), ("slurm", "4000", "120")]
)
def test_profile_is_accepted_and_tags_training_jobs_with_a_gpu(profile, mem_mb, runtime, tmp_path):
    """Snakemake accepts every key (a typo is an error) and only training jobs ask for a GPU."""
    resources = job_resources(dry_run_with(profile, tmp_path))
    assert TRAINING_RULES <= set(resources), sorted(resources)
    for rule, jobs in resources.items():
        for res in jobs:
            assert res.get("gpu") == ("1" if rule in TRAINING_RULES else None), (rule, res)
            if rule != "all":
                assert res["runtime"] == runtime or rule in TRAINING_RULES, (rule, res)
    assert resources["compare"][0]["mem_mb"] == mem_mb  # a rule without its own mem_mb


@pytest.mark.slow
def test_profile_with_a_misspelt_key_is_rejected(tmp_path):
    bad = tmp_path / "profile"
    bad.mkdir()
    text = (PROFILES / "slurm" / "config.yaml").read_text()
    (bad / "config.yaml").write_text(text.replace("slurm-status-command", "slurm-status-comand"))
    proc = run_workflow(
        tmp_path / "run", tiny_config(), extra=["--workflow-profile", bad, "-n"], check=False
    )
    assert proc.returncode != 0
    assert "unrecognized arguments: --slurm-status-comand" in proc.stderr
