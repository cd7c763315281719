"""Faults with real processes and real Snakemake: SIGKILL mid-training, a download cut mid-way.

1. A GENER and an MTLGRN training job are SIGKILLed (the whole Snakemake process group) once
   their checkpoint directory holds a checkpoint, i.e. after >= 1 finished epoch; rerunning
   the workflow with `--rerun-incomplete` resumes each job from its checkpoint (the job log
   says so) and ends with the same metrics and predictions as an uninterrupted run, and
   every deterministic output (expression, pairs, predictions, comparison/metrics.tsv) has
   the clean run's checksum. A checkpoint that cannot be read (empty, truncated) is reported
   in the job log and the job trains from the start, to the clean run's results.
2. A download stalls half-way and the workflow is SIGKILLed: no file ever appears under the
   final name during the transfer; the rerun completes and the file verifies.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers import SNAKEFILE, run_workflow, tiny_config

pytestmark = pytest.mark.slow

DS, SPLIT, SEED = "demo", "random", 0
# Enough epochs that a job is still training well after its first checkpoint; patience equal
# to epochs so early stopping does not end it first.
CONFIG = tiny_config(
    splits=[SPLIT],
    methods=["gener", "mtlgrn"],
    gener={"epochs": 30, "patience": 30, "batch_size": 32},
    mtlgrn={"epochs": 30, "patience": 30, "kmer": 4},
)
CHECKPOINT = {"gener": "checkpoint.npz", "mtlgrn": "last.pt"}
COMPARISON = f"results/{DS}/comparison/metrics.tsv"


def predictions(method: str) -> str:
    return f"results/{DS}/predictions/{method}/{SPLIT}/seed{SEED}.tsv.gz"


def job_metrics(method: str) -> str:
    return f"results/{DS}/metrics/{method}/{SPLIT}/seed{SEED}.json"


def checkpoint_dir(method: str) -> str:
    return f"results/{DS}/checkpoints/{method}/{SPLIT}/seed{SEED}"


def start_snakemake(workdir: Path, config: dict, targets, extra=()) -> subprocess.Popen:
    """Snakemake in its own process group (like tests/helpers.run_workflow, but not waited for)."""
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = workdir / "config.yaml"
    cfg.write_text(yaml.safe_dump(config, sort_keys=False))
    cmd = [sys.executable, "-m", "snakemake", *targets, "--snakefile", str(SNAKEFILE),
           "--directory", str(workdir), "--configfile", str(cfg), "--cores", "2",
           "--resources", "gpu=1", *extra]
    env = dict(os.environ, PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="2")
    log = open(workdir / f"snakemake.{time.monotonic_ns()}.out", "w")
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL Snakemake and every job it started; wait until the group is gone."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"processes of group {proc.pid} survived SIGKILL")


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 400) -> None:
    """Poll until `path` exists; fail (and kill the run) when Snakemake ends first or at the deadline."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"snakemake ended ({proc.returncode}) before {path} appeared:\n"
                                 + tail(path))
        if time.monotonic() > deadline:
            kill_group(proc)
            raise AssertionError(f"{path} did not appear within {timeout} s")
        time.sleep(0.02)


def tail(path: Path) -> str:
    root = next(p for p in path.parents if (p / "config.yaml").exists())
    outs = sorted(root.glob("snakemake.*.out"))
    return outs[-1].read_text()[-4000:] if outs else ""


def sha(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return hashlib.sha256(data).hexdigest()


def kill_training(workdir: Path, method: str, extra=()) -> None:
    """Start the method's job, SIGKILL everything once it has checkpointed >= 1 epoch."""
    proc = start_snakemake(workdir, CONFIG, [predictions(method)], extra)
    ckpt = workdir / checkpoint_dir(method) / CHECKPOINT[method]
    wait_for(ckpt, proc)
    kill_group(proc)  # returns once no process of the group is left
    assert not (workdir / predictions(method)).exists()
    assert not (workdir / job_metrics(method)).exists()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A clean run, and a run killed in GENER then in MTLGRN training, finished with
    `--rerun-incomplete`."""
    root = tmp_path_factory.mktemp("faults")
    clean, killed = root / "clean", root / "killed"
    started = time.monotonic()
    run_workflow(clean, CONFIG, targets=[COMPARISON])
    clean_seconds = time.monotonic() - started
    kill_training(killed, "gener")
    # A killed Snakemake leaves its lock behind and says how to remove it (as the docs do).
    locked = run_workflow(killed, CONFIG, targets=[COMPARISON], check=False)
    assert locked.returncode != 0 and "cannot be locked" in locked.stderr and "--unlock" in locked.stderr
    run_workflow(killed, CONFIG, targets=[COMPARISON], extra=["--unlock"])
    kill_training(killed, "mtlgrn", extra=["--rerun-incomplete"])
    run_workflow(killed, CONFIG, targets=[COMPARISON], extra=["--unlock"])
    resumed = run_workflow(killed, CONFIG, targets=[COMPARISON], extra=["--rerun-incomplete"])
    print(f"clean run {clean_seconds:.0f} s; killed twice + resumed {time.monotonic() - started - clean_seconds:.0f} s")
    return clean, killed, resumed


@pytest.mark.parametrize("method", ["gener", "mtlgrn"])
def test_killed_training_resumes_from_its_checkpoint(runs, method):
    clean, killed, _ = runs
    log = (killed / f"logs/{DS}/{method}/{SPLIT}/seed{SEED}.log").read_text()
    assert "resuming from" in log and f"{checkpoint_dir(method)}/{CHECKPOINT[method]}" in log, log[-3000:]
    assert "resuming from" not in (clean / f"logs/{DS}/{method}/{SPLIT}/seed{SEED}.log").read_text()


@pytest.mark.parametrize("method", ["gener", "mtlgrn"])
def test_resumed_job_matches_the_uninterrupted_run(runs, method):
    clean, killed, _ = runs
    a = json.loads((clean / job_metrics(method)).read_text())
    b = json.loads((killed / job_metrics(method)).read_text())
    assert (b["auroc"], b["aupr"], b["epochs"]) == (a["auroc"], a["aupr"], a["epochs"])
    run_dependent = {"train_seconds"}
    assert {k: v for k, v in b.items() if k not in run_dependent} == \
        {k: v for k, v in a.items() if k not in run_dependent}
    assert sha(killed / predictions(method)) == sha(clean / predictions(method))


def test_rerun_incomplete_leaves_results_consistent_with_a_clean_run(runs):
    clean, killed, _ = runs

    def files(root):
        return {str(p.relative_to(root)) for p in (root / "results").rglob("*") if p.is_file()}

    assert files(killed) == files(clean)
    assert not any(name.endswith(".part") or "/." in name for name in files(killed))
    assert not (killed / "results" / DS / "checkpoints" / "gener" / SPLIT / f"seed{SEED}" / "checkpoint.npz").exists()
    deterministic = [f"results/{DS}/data/expression.tsv", f"results/{DS}/pairs/{SPLIT}/seed{SEED}.tsv",
                     f"results/{DS}/data/samples.tsv", f"results/{DS}/mtlgrn/features.tsv",
                     predictions("gener"), predictions("mtlgrn")]
    for name in deterministic:
        assert sha(killed / name) == sha(clean / name), name
    table = pd.read_csv(clean / COMPARISON, sep="\t")
    assert len(table) == 2 and table["auroc"].between(0, 1).all()
    assert sha(killed / COMPARISON) == sha(clean / COMPARISON)


def test_unreadable_checkpoints_are_reported_and_training_starts_over(runs, tmp_path):
    """The clean run's two training jobs forced to rerun over an empty (GENER) and a truncated
    (MTLGRN) checkpoint file: both finish with the clean run's metrics and predictions."""
    clean, _, _ = runs
    work = tmp_path / "copy"
    shutil.copytree(clean, work, ignore=shutil.ignore_patterns("snakemake.*.out"))
    bad = {method: work / checkpoint_dir(method) / CHECKPOINT[method] for method in CHECKPOINT}
    bad["gener"].parent.mkdir(parents=True, exist_ok=True)
    bad["gener"].write_bytes(b"")
    bad["mtlgrn"].write_bytes(bad["mtlgrn"].read_bytes()[:1000])
    run_workflow(work, CONFIG, targets=[predictions(m) for m in CHECKPOINT], extra=["--forcerun", "gener", "mtlgrn"])
    for method, path in bad.items():
        log = (work / f"logs/{DS}/{method}/{SPLIT}/seed{SEED}.log").read_text()
        warning = f"WARNING grnflow.train: ignoring unreadable checkpoint {checkpoint_dir(method)}/{CHECKPOINT[method]}"
        assert warning in log, log[-3000:]
        assert "resuming from" not in log
        a, b = (json.loads((root / job_metrics(method)).read_text()) for root in (clean, work))
        a.pop("train_seconds"), b.pop("train_seconds")
        assert a == b
        assert sha(work / predictions(method)) == sha(clean / predictions(method))


# --- a download cut half-way ------------------------------------------------------------------


class StallingServer:
    """Serves BODY; the first request sends half, signals `half_sent`, then stalls until
    `release` is set and drops the connection."""

    def __init__(self, body: bytes):
        self.half_sent, self.release = threading.Event(), threading.Event()
        self.requests = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests += 1
                first = server.requests == 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if first:
                        self.wfile.write(body[: len(body) // 2])
                        self.wfile.flush()
                        server.half_sent.set()
                        server.release.wait(120)
                        self.close_connection = True
                        return
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def test_download_killed_mid_transfer_never_leaves_a_truncated_file(tmp_path):
    body = b"gene\ts1\ts2\n" + b"".join(b"G%07d\t%d.5\t%d.25\n" % (i, i % 97, i % 89) for i in range(200_000))
    digest = hashlib.sha256(body).hexdigest()
    server = StallingServer(body)
    try:
        network = tmp_path / "network.tsv"
        network.write_text("regulator\ttarget\nG0000001\tG0000002\n")
        config = {"datasets": {"remote": {"inputs": {
            "expression": {"url": server.url("/expression.tsv"), "sha256": digest},
            "network": str(network)}}},
            "methods": ["random"], "download": {"retries": 0, "timeout": 60}}
        target = f"resources/downloads/{digest}/expression.tsv"
        workdir = tmp_path / "run"
        final = workdir / target
        proc = start_snakemake(workdir, config, [target])
        seen_final = False
        deadline = time.monotonic() + 120
        while not server.half_sent.is_set():  # poll the final name during the whole transfer
            seen_final |= final.exists()
            assert proc.poll() is None and time.monotonic() < deadline, "the download never started"
            time.sleep(0.005)
        parts = []
        for _ in range(100):  # the transfer is stalled half-way for a second
            seen_final |= final.exists()
            parts = [p for p in final.parent.glob(".*.part")] if final.parent.exists() else []
            time.sleep(0.01)
        kill_group(proc)
        seen_final |= final.exists()
        assert not seen_final, "a partial download appeared under the final name"
        assert parts, "expected the transfer to stream into a temporary .part file"
        server.release.set()

        run_workflow(workdir, config, targets=[target], extra=["--unlock"])
        run_workflow(workdir, config, targets=[target], extra=["--rerun-incomplete"])
        assert final.read_bytes() == body
        assert server.requests == 2
        log = (workdir / f"logs/download/{digest}/expression.tsv.log").read_text()
        assert "Traceback" not in log
    finally:
        server.close()
