"""The provenance record of a run: what produced the results, so they can be reproduced."""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from importlib import metadata
from pathlib import Path

from grnflow.io import write_text

PACKAGES = (
    "grnflow",
    "snakemake",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "tensorflow-cpu",
    "tensorflow",
    "keras",
    "torch",
    "torch-geometric",
    "biopython",
    "pyfaidx",
    "matplotlib",
)


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def package_versions(names=PACKAGES) -> dict[str, str]:
    """Installed versions of the packages that shape the results (absent ones omitted)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def job_devices(metric_files) -> dict[str, str]:
    """Device each training/baseline job ran on, keyed by its metrics file."""
    devices = {}
    for path in metric_files:
        record = json.loads(Path(path).read_text())
        if "device" in record:
            devices[str(path)] = record["device"]
    return dict(sorted(devices.items()))


def build_record(config: dict, inputs: dict[str, dict[str, str]], metric_files) -> dict:
    """Provenance: config, seeds, input sha256s per dataset, package versions, devices."""
    return {
        "config": config,
        "seeds": config.get("seeds"),
        "inputs": {
            ds: {key: {"path": str(p), "sha256": sha256_file(p)} for key, p in sorted(files.items())}
            for ds, files in sorted(inputs.items())
        },
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "devices": job_devices(metric_files),
    }


def write_provenance(path: str | Path, config: dict, inputs: dict, metric_files) -> dict:
    """Write the provenance JSON atomically; return it."""
    record = build_record(config, inputs, metric_files)
    write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n", path)
    return record
