"""The tiny demo through `--workflow-profile profiles/slurm` on a real (single-node) Slurm.

Run by `make test-slurm` after `.ci/slurm-up` (which gives the node two fake GPUs); skipped by
a plain `pytest` run. Checks that every job went through sbatch and finished there, that only the
training jobs (gener, mtlgrn) asked for a GPU, and that those saw CUDA_VISIBLE_DEVICES from
Slurm's GPU allocation (with fake GPUs the trainers then fall back to the CPU).
"""

from __future__ import annotations

import os
import re
import subprocess
import time

import pytest

from grnflow import methods
from helpers import REPO, run_workflow, tiny_config

needs_slurm = pytest.mark.skipif(
    os.environ.get("GRNFLOW_TEST_SLURM") != "1",
    reason="needs a running Slurm: `make test-slurm` (after `.ci/slurm-up`, as root)",
)

TRAINING_RULES = set(methods.TRAINING_RULES)  # evaluation and final-model rules
LOCAL_RULES = {"all", "download"}
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: ([^)]*)\)")


def job_rules(text: str) -> dict[str, str]:
    """{snakemake jobid: rule} from Snakemake's printed job blocks."""
    found = {}
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", text):
        head = re.match(r"(?:local)?rule (\w+):", block)
        jobid = re.search(r"^\s+jobid: (\d+)$", block, re.M)
        if head and jobid:
            found[jobid.group(1)] = head.group(1)
    return found


def scontrol_job(slurm_id: str) -> dict[str, str]:
    out = subprocess.run(
        ["scontrol", "show", "job", "-o", slurm_id], capture_output=True, text=True, check=True
    ).stdout
    return dict(item.split("=", 1) for item in out.split() if "=" in item)


def test_job_rules_parses_job_blocks():
    text = "rule pairs:\n    jobid: 4\n\nlocalrule all:\n    input: x\n    jobid: 0\n"
    assert job_rules(text) == {"4": "pairs", "0": "all"}


@needs_slurm
def test_tiny_demo_runs_every_job_under_slurm(tmp_path):
    nodes = subprocess.run(["sinfo", "-h", "-o", "%T %G"], capture_output=True, text=True)
    assert nodes.returncode == 0 and "gpu" in nodes.stdout, f"no Slurm node with GPUs: {nodes}"

    start = time.monotonic()
    # What is checked is where each job runs, not what it learns: one split and a few epochs
    # still run every rule (each model, baseline, infer and report job): 36 jobs instead of 50.
    config = tiny_config(splits=["random"])
    config["gener"] = {**config["gener"], "epochs": 3}
    config["mtlgrn"] = {**config["mtlgrn"], "epochs": 5, "patience": 5}
    proc = run_workflow(
        tmp_path,
        config,
        extra=[
            "--workflow-profile",
            REPO / "profiles" / "slurm",
            "--slurm-init-seconds-before-status-checks",
            "2",
            "--slurm-no-account",
        ],
        timeout=1700,
    )
    print(f"tiny demo on Slurm: {time.monotonic() - start:.0f} s")
    text = proc.stdout + proc.stderr
    assert (tmp_path / "results" / "report" / "index.html").is_file()

    rules = job_rules(text)
    submitted = {jobid: slurm_id for jobid, slurm_id, _ in SUBMITTED.findall(text)}
    remote = {jobid for jobid, rule in rules.items() if rule not in LOCAL_RULES}
    assert remote and remote == set(submitted), (
        f"jobs not submitted to Slurm: {sorted(rules[j] for j in remote - set(submitted))}"
    )
    assert TRAINING_RULES <= {rules[j] for j in remote}

    slurm_ids_of = {}
    for jobid, slurm_id in submitted.items():
        rule = rules[jobid]
        info = scontrol_job(slurm_id)
        assert info["JobState"] == "COMPLETED", (rule, slurm_id, info.get("JobState"))
        gpu = bool(re.search(r"gres[:/]gpu[:=]1\b", info.get("TresPerJob", "")))
        assert gpu == (rule in TRAINING_RULES), (rule, slurm_id, info.get("TresPerJob"))
        slurm_ids_of.setdefault(rule, set()).add(slurm_id)

    # Each job's own log (grnflow.logging.log_to) says where it ran.
    logs = sorted((tmp_path / "logs").rglob("*.log"))
    assert logs
    all_ids = set(submitted.values())
    for log in logs:
        head = re.search(r"job start: SLURM_JOB_ID=(\S+) CUDA_VISIBLE_DEVICES=(\S+)", log.read_text())
        assert head, f"{log}: no 'job start' line (does its script use grnflow.logging.log_to?)"
        slurm_id, cuda = head.groups()
        assert slurm_id in all_ids, f"{log}: ran outside the submitted Slurm jobs ({slurm_id})"
        rule = next(r for r, ids in slurm_ids_of.items() if slurm_id in ids)
        if rule in TRAINING_RULES:
            print(f"{log.relative_to(tmp_path)}: {head.group(0)}")
            assert re.fullmatch(r"\d+(,\d+)*", cuda), f"{log}: Slurm set no GPU ({cuda})"
        else:
            assert cuda == "-", f"{log}: a {rule} job got a GPU ({cuda})"
