"""bench/gpu_check.py's CPU path: both trainers run through their job functions and report."""

import os
import subprocess
import sys

import pytest

from helpers import REPO

pytestmark = pytest.mark.slow


def test_gpu_check_without_a_gpu_runs_the_cpu_path_and_says_so(tmp_path):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "gpu_check.py"), "--epochs", "1", "--genes", "80",
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    summary = (tmp_path / "summary.md").read_text()
    assert "no GPU" in summary
    rows = [line for line in summary.splitlines() if line.startswith("| gener |") or line.startswith("| mtlgrn |")]
    assert len(rows) == 2 and all("| cpu | cpu | 1 |" in row for row in rows)
