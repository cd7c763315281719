"""A quiet install: building grnflow prints no deprecation warnings from its own pyproject.toml."""

import shutil
import subprocess
import sys
import zipfile

import pytest

from helpers import REPO

pytestmark = pytest.mark.slow


def test_wheel_builds_without_deprecation_warnings(tmp_path):
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    # --no-build-isolation: the environment's setuptools (offline); pyproject asks for >= 77
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v", "-w", "dist", "."],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "deprecat" not in out.lower(), [line for line in out.splitlines() if "eprecat" in line][:5]
    wheel = next((tmp_path / "dist").glob("grnflow-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        metadata = zf.read(next(n for n in zf.namelist() if n.endswith("METADATA"))).decode()
    assert "License-Expression: MIT" in metadata
