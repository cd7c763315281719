"""The workflow stays lint-clean and snakefmt-formatted."""

import re
import subprocess
import sys
from pathlib import Path

from helpers import REPO

SNAKEFILES = [REPO / "Snakefile", REPO / "workflow" / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]


def test_snakemake_lint_is_clean():
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint", "--directory", str(REPO)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakefiles_are_snakefmt_formatted():
    snakefmt = Path(sys.executable).with_name("snakefmt")
    proc = subprocess.run(
        [str(snakefmt), "--check", *map(str, SNAKEFILES)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_script_is_thin_and_uses_the_job_log():
    for script in sorted((REPO / "workflow" / "scripts").glob("*.py")):
        text = script.read_text()
        # `log_to(snakemake.log[0])`, or with `inputs=snakemake.input` (their sha256 is logged)
        assert re.search(r"log_to\(snakemake\.log\[0\](, inputs=snakemake\.input)?\)", text), \
            f"{script.name} does not log to snakemake.log"
        assert len(text.splitlines()) <= 40, f"{script.name} is not a thin adapter"
