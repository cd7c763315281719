"""Shared test helpers: run the real workflow on a small config in a temporary folder."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import yaml

from grnflow import methods, names

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "Snakefile"

# The demo made small enough for tests: every stage, every method, every split, one seed.
TINY_CONFIG = {
    "datasets": {
        "demo": {
            "synthetic": {
                "seed": 7,
                "n_genes": 120,
                "n_tfs": 14,
                "n_conditions": 60,
                "n_knockouts": 8,
                "n_contigs": 2,
                "promoter_length": 300,
            },
            "normalize": {"methods": ["zscore"]},
            "promoter": {"upstream": 300, "downstream": 0},
            "gene_features": {"categorical": ["cog"], "numeric": ["tf", "length"]},
        }
    },
    "splits": list(names.SPLITS),
    "seeds": [0],
    "methods": list(methods.ORDER),
    "gener": {"epochs": 15, "batch_size": 32},
    "mtlgrn": {"epochs": 60, "kmer": 6, "learning_rate": 0.003, "batch_size": 32, "patience": 20},
    "baselines": {"trees": {"n_estimators": 20}},
    "infer": {"seeds": [0]},  # one final model per method (the default is three)
}


def tiny_config(**overrides) -> dict:
    """A deep copy of TINY_CONFIG with top-level keys replaced by `overrides`."""
    cfg = copy.deepcopy(TINY_CONFIG)
    cfg.update(copy.deepcopy(overrides))
    return cfg


def run_workflow(
    workdir: Path,
    config: dict,
    targets=(),
    extra=(),
    check: bool = True,
    cores: int = 2,
    timeout: float = 1800,
) -> subprocess.CompletedProcess:
    """Run `snakemake` for real in `workdir` with `config` written to `workdir/config.yaml`."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    cfg_path = workdir / "config.yaml"
    cfg_path.write_text(yaml.safe_dump(config, sort_keys=False))
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        # Targets first: after `--resources` (nargs="*") they would be parsed as resources.
        *map(str, targets),
        "--snakefile",
        str(SNAKEFILE),
        "--directory",
        str(workdir),
        "--configfile",
        str(cfg_path),
        "--cores",
        str(cores),
        "--resources=gpu=1",  # `=` form: a bare `--resources` would swallow the targets
        *map(str, extra),
    ]
    env = dict(os.environ, PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake failed ({proc.returncode}):\n{' '.join(cmd)}\n"
            f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-12000:]}"
        )
    return proc
