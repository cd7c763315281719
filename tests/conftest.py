import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import REPO, TINY_CONFIG, run_workflow  # noqa: E402


def shared_data_dir() -> Path:
    """`GRNFLOW_SHARED_DATA`, else ../shared/data next to the repository."""
    return Path(os.environ.get("GRNFLOW_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public datasets; tests using them skip when the folder is absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(
            f"real data folder {path} is absent (set GRNFLOW_SHARED_DATA to the shared data folder)"
        )
    return path


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """One real end-to-end run of the whole workflow on the tiny demo; returns its workdir."""
    workdir = tmp_path_factory.mktemp("demo_run")
    run_workflow(workdir, TINY_CONFIG)
    return workdir
