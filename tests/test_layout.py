"""The repository's top level is the design card's: every entry exists and is tracked by git."""

import subprocess

import pytest

from helpers import REPO

# The design card's top-level entries (README.md, Layout; docs/ARCHITECTURE.md).
DESIGN_CARD = ("Snakefile", "workflow", "config", "envs", "resources", "tests", "README.md")


def tracked(path: str) -> list[str]:
    """Files under `path` that git tracks in this checkout (committed or staged)."""
    proc = subprocess.run(["git", "-C", str(REPO), "ls-files", "--", path], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"{REPO} is not a git checkout: {proc.stderr.strip()}")
    return proc.stdout.split()


@pytest.mark.parametrize("entry", DESIGN_CARD)
def test_design_card_entry_exists_and_is_tracked(entry):
    path = REPO / entry
    assert path.exists(), f"top-level {entry} is missing from the repository"
    files = tracked(entry)
    assert files, f"top-level {entry} exists but git tracks nothing in it (ignored or never added?)"
    if path.is_file():
        assert files == [entry]


def test_resources_holds_its_readme_and_only_the_cache_is_ignored():
    files = tracked("resources")
    assert "resources/README.md" in files
    assert "resources/precise_samples.yaml" in files
    ignored = subprocess.run(
        ["git", "-C", str(REPO), "check-ignore", "-q", "resources/downloads/x/file.tsv"], capture_output=True)
    assert ignored.returncode == 0, "the download cache resources/downloads/ must stay ignored"
    kept = subprocess.run(
        ["git", "-C", str(REPO), "check-ignore", "-q", "resources/new_table.tsv"], capture_output=True)
    assert kept.returncode == 1, "only resources/downloads/ is ignored, not new reference files"
