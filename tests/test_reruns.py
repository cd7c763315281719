"""Partial reruns on a real run: after a change, Snakemake plans exactly the affected jobs.

One complete run (module fixture) of a small config with a local-path dataset, then dry runs
(`-n`) after each change. Reduced to methods [gener, degree], one split, one seed.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from grnflow.synthetic import write_dataset
from helpers import TINY_CONFIG, run_workflow, tiny_config

pytestmark = pytest.mark.slow

INPUT_KEYS = {"expression": "expression.tsv", "network": "network.tsv", "tfs": "tfs.txt",
              "samples": "samples.tsv"}  # fmt: skip
DOWNSTREAM_OF_MODELS = {"compare", "report", "provenance", "all"}
# The inferred network after a model's final models (stage `infer`).
DOWNSTREAM_OF_FINAL_MODELS = {"infer_method", "infer_consensus", "infer_exports", "infer_figures"}


def dataset_from(inputs_dir: Path) -> dict:
    return {
        "inputs": {key: str(inputs_dir / name) for key, name in INPUT_KEYS.items()},
        "normalize": {"methods": ["zscore"]},
    }


def small_config(**datasets) -> dict:
    return tiny_config(
        datasets=datasets,
        methods=["gener", "degree"],
        splits=["random"],
        seeds=[0],
    )


def job_blocks(text: str) -> list[tuple[str, str]]:
    """(rule, its printed block) of every job in Snakemake's output."""
    blocks = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", text):
        head = re.match(r"(?:local)?rule (\w+):", block)
        if head is not None:
            blocks.append((head.group(1), block))
    return blocks


def planned_jobs(text: str) -> list[tuple[str, list[str]]]:
    """(rule, outputs) of every job a dry run prints."""
    jobs = []
    for rule, block in job_blocks(text):
        out = re.search(r"^\s+output: (.*)$", block, re.M)
        jobs.append((rule, out.group(1).split(", ") if out else []))
    return jobs


def dry_run(workdir: Path, config: dict) -> list[tuple[str, list[str]]]:
    proc = run_workflow(workdir, config, extra=["-n"])
    return planned_jobs(proc.stdout + proc.stderr)


@pytest.fixture(scope="module")
def complete_run(tmp_path_factory):
    """Materialise the tiny demo's inputs as local files, then run everything once.

    The inputs come from grnflow.synthetic directly (what the `synthesize` rule runs), not
    from a Snakemake run of their own: only their being local files matters here."""
    root = tmp_path_factory.mktemp("reruns")
    gen = root / "generate"
    write_dataset(TINY_CONFIG["datasets"]["demo"]["synthetic"], gen)
    inputs = root / "inputs"
    inputs.mkdir()
    for name in INPUT_KEYS.values():
        shutil.copy(gen / name, inputs / name)
    workdir = root / "run"
    config = small_config(local=dataset_from(inputs))
    run_workflow(workdir, config)
    assert (workdir / "results" / "report" / "index.html").is_file()
    assert dry_run(workdir, config) == [], "a second run right after a complete run plans jobs"
    return workdir, config, inputs


def test_planned_jobs_parses_a_dry_run():
    out = (
        "Building DAG of jobs...\n[Sun Nov 22 05:14:01 2026]\nrule gener:\n"
        "    input: a.tsv\n    output: p.tsv.gz, m.json\n    jobid: 3\n"
        "[Sun Nov 22 05:14:01 2026]\nlocalrule all:\n    input: p.tsv.gz\n    jobid: 0\n"
        "Job stats:\njob      count\n"
    )
    assert planned_jobs(out) == [("gener", ["p.tsv.gz", "m.json"]), ("all", [])]


def test_touching_an_input_plans_nothing(complete_run):
    """Same content, newer mtime: Snakemake compares the checksums of files up to 1 MB."""
    workdir, config, inputs = complete_run
    path = inputs / "expression.tsv"
    before = path.stat()
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 3600 * 10**9))
    try:
        assert dry_run(workdir, config) == []
        # Files above --max-checksum-file-size (default 1 MB) are compared by mtime alone.
        proc = run_workflow(workdir, config, extra=["-n", "--max-checksum-file-size", "10"])
        assert "normalize" in {rule for rule, _ in planned_jobs(proc.stdout + proc.stderr)}
    finally:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_gener_hyperparameter_reruns_gener_and_what_follows(complete_run):
    workdir, config, _ = complete_run
    changed = dict(config, gener=dict(config["gener"], epochs=config["gener"]["epochs"] + 1))
    rules = sorted(rule for rule, _ in dry_run(workdir, changed))
    assert rules.count("gener") == 1
    # ... and GENER's final model (the evaluation's settings), nothing of another method.
    assert rules.count("infer_gener") == 1
    assert set(rules) - {"gener", "infer_gener"} <= DOWNSTREAM_OF_MODELS | DOWNSTREAM_OF_FINAL_MODELS, rules
    assert "compare" in rules and "report" in rules and "infer_consensus" in rules


def test_new_split_or_seed_does_not_retrain_the_final_models(complete_run):
    workdir, config, _ = complete_run
    for changed in (dict(config, splits=["random", "tf_holdout"]), dict(config, seeds=[0, 1])):
        rules = {rule for rule, _ in dry_run(workdir, changed)}
        assert "gener" in rules, rules
        assert not rules & {"infer_gener", "infer_pairs", "infer_method", "infer_consensus"}, rules


def test_list_changes_params_names_the_gener_outputs(complete_run):
    """`--list-changes params` lists the changed rule's outputs; the dry run says why.

    Snakemake 9.27.1 over-reports here: it also lists the last output of every other job that
    has params, changed or not (ParamsChange.__or__ keeps the files of an empty change), so
    the README (Partial reruns) points users to the dry run's `reason:` lines instead.
    """
    workdir, config, _ = complete_run
    changed = dict(config, gener=dict(config["gener"], epochs=config["gener"]["epochs"] + 1))
    proc = run_workflow(workdir, changed, extra=["--list-changes", "params"])
    listed = {line.strip() for line in proc.stdout.splitlines() if line.startswith("results/")}
    assert {
        "results/local/predictions/gener/random/seed0.tsv.gz",
        "results/local/metrics/gener/random/seed0.json",
        "results/local/models/gener/random/seed0/model.keras",
    } <= listed, proc.stdout
    assert "results/local/predictions/degree/random/seed0.tsv.gz" not in listed, listed
    dry = run_workflow(workdir, changed, extra=["-n"])
    blocks = job_blocks(dry.stdout + dry.stderr)
    changed_rules = sorted(rule for rule, b in blocks if "reason: Params have changed" in b)
    assert changed_rules == ["gener", "infer_gener"], blocks


def test_new_expression_content_reruns_normalize_and_downstream(complete_run):
    workdir, config, inputs = complete_run
    path = inputs / "expression.tsv"
    original, before = path.read_bytes(), path.stat()
    lines = original.decode().splitlines(keepends=True)
    lines[1] = lines[1].rstrip("\n") + "1\n"  # one value of the first gene changes (…x -> …x1)
    path.write_text("".join(lines))
    try:
        rules = {rule for rule, _ in dry_run(workdir, config)}
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert {"normalize", "pairs", "gener", "baselines", "compare", "report"} <= rules, rules


def test_adding_a_dataset_plans_only_its_jobs(complete_run):
    workdir, config, inputs = complete_run
    added = dict(config, datasets=dict(config["datasets"], second=dataset_from(inputs)))
    jobs = dry_run(workdir, added)
    outputs = [p for _, outs in jobs for p in outs]
    assert any(p.startswith("results/second/") for p in outputs), jobs
    assert not [p for p in outputs if p.startswith("results/local/")], jobs
    shared = [rule for rule, outs in jobs if not any(p.startswith("results/second/") for p in outs)]
    assert set(shared) <= {"report", "provenance", "all"}, shared
