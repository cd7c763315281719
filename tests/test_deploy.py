"""Catalog-standard deployment: `snakedeploy deploy-workflow` into a temporary folder, then run
the deployed module there (dry run of everything, one real job)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import REPO

pytestmark = pytest.mark.slow


def _working_tree_copy(dest: Path) -> Path:
    """The repository's tracked and untracked-but-not-ignored files (what a clone would hold)."""
    files = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def test_catalog_files_are_there():
    catalog = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())
    assert catalog["usage"]["software-stack-deployment"]["conda"] is True
    assert (REPO / "workflow" / "Snakefile").is_file()
    assert (REPO / "config" / "README.md").is_file() and (REPO / "config" / "config.yaml").is_file()


def test_snakedeploy_module_dry_runs_and_runs_a_job(tmp_path):
    snakedeploy = Path(sys.executable).with_name("snakedeploy")
    if not snakedeploy.exists():
        pytest.skip("snakedeploy is not installed (pip install snakedeploy==0.17.1, the `test` extra)")
    source = _working_tree_copy(tmp_path / "grnflow")
    dest = tmp_path / "deployed"
    proc = subprocess.run(
        [str(snakedeploy), "deploy-workflow", str(source), str(dest), "--branch", "main", "--name", "grnflow"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    snakefile = dest / "workflow" / "Snakefile"
    text = snakefile.read_text()
    assert "module grnflow:" in text and "use rule * from grnflow" in text
    assert (dest / "config" / "config.yaml").is_file() and (dest / "config" / "README.md").is_file()
    assert (dest / "profiles" / "default" / "config.yaml").is_file()
    # snakedeploy writes a local source as a path relative to the repository ("workflow/Snakefile");
    # a published repository gets `github("<owner>/grnflow", path="workflow/Snakefile", tag=...)`.
    assert '"workflow/Snakefile"' in text
    snakefile.write_text(text.replace('"workflow/Snakefile"', repr(str(source / "workflow" / "Snakefile"))))

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # grnflow comes from the module
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "snakemake", "--cores", "1", *args], cwd=dest, env=env,
        capture_output=True, text=True, timeout=600,
    )
    dry = run("--dry-run")
    out = dry.stdout + dry.stderr
    assert dry.returncode == 0, out
    assert "grnflow: datasets (1): demo" in out
    assert "module_all" in out and "mtlgrn" in out and "report" in out
    job = run("results/demo/synthetic/expression.tsv")
    assert job.returncode == 0, job.stdout + job.stderr
    assert (dest / "results/demo/synthetic/expression.tsv").stat().st_size > 0
    assert not (source / "results").exists()  # outputs land in the deployment, not the module
