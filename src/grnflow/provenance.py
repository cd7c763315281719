"""The provenance record of a run: what produced the results, so they can be reproduced."""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import sys
from importlib import metadata
from pathlib import Path

from grnflow.errors import InputError
from grnflow.io import write_text
from grnflow.logging import INPUT_RECORD

log = logging.getLogger(__name__)

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


def logged_checksums(job_logs) -> dict[str, dict[str, list[str]]]:
    """`{input path: {sha256: [job logs]}}` from the `input sha256 <hex> <path>` lines that
    grnflow.logging.log_to writes when a job starts (missing logs are skipped)."""
    seen: dict[str, dict[str, list[str]]] = {}
    for log_path in job_logs:
        if not Path(log_path).is_file():
            continue
        for line in Path(log_path).read_text(errors="replace").splitlines():
            at = line.find(INPUT_RECORD)
            if at >= 0:
                digest, _, path = line[at + len(INPUT_RECORD):].partition(" ")
                seen.setdefault(path, {}).setdefault(digest, []).append(str(log_path))
    return seen


def input_entry(path, logged: dict[str, dict[str, list[str]]]) -> dict:
    """Path and sha256 of one input: the checksum the jobs read (from their logs) when they
    recorded one, the file's current one otherwise; InputError when jobs read different
    versions; `sha256_now` when the file changed after the jobs read it."""
    now = sha256_file(path)
    read = logged.get(str(path), {})
    if len(read) > 1:
        versions = "; ".join(f"{', '.join(logs)}: {digest[:12]}..." for digest, logs in read.items())
        raise InputError(
            f"{path}: the jobs of this run read different versions of this input ({versions}); it "
            "changed while the workflow ran. Rerun the jobs that read it (`--forcerun` the rules "
            "named by those logs) once the file is final"
        )
    entry = {"path": str(path), "sha256": next(iter(read), now)}
    if entry["sha256"] != now:
        entry["sha256_now"] = now
        log.warning("%s changed after the jobs read it: provenance records the read version %s "
                    "(now %s); rerun to use the new one", path, entry["sha256"][:12], now[:12])
    return entry


def build_record(config: dict, inputs: dict[str, dict[str, str]], metric_files, job_logs=()) -> dict:
    """Provenance: config, seeds, input sha256s per dataset (as the jobs read them, see
    `input_entry`), package versions, devices."""
    logged = logged_checksums(job_logs)
    return {
        "config": config,
        "seeds": config.get("seeds"),
        "inputs": {
            ds: {key: input_entry(p, logged) for key, p in sorted(files.items())}
            for ds, files in sorted(inputs.items())
        },
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "devices": job_devices(metric_files),
    }


def write_provenance(path: str | Path, config: dict, inputs: dict, metric_files, job_logs=()) -> dict:
    """Write the provenance JSON atomically; return it."""
    record = build_record(config, inputs, metric_files, job_logs)
    write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n", path)
    return record
