"""SIGTERM and SIGINT to the main Snakemake process while a model trains (issue 16).

One real run of the tiny demo: once GENER's first checkpoint exists, SIGTERM goes to the
main Snakemake process only (as `kill <pid>` or a cluster's time limit does); the training
job must stop promptly, with one clear line instead of a TensorFlow traceback. The rerun
with `--rerun-incomplete` resumes from the checkpoint and is stopped the same way by SIGINT
(Ctrl-C); a last rerun finishes the job.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from helpers import tiny_config
from test_faults import checkpoint_dir, predictions, start_snakemake, wait_for

pytestmark = pytest.mark.slow

CONFIG = tiny_config(splits=["random"], methods=["gener"], gener={"epochs": 40, "patience": 40, "batch_size": 32})
JOB_LOG = "logs/demo/gener/random/seed0.log"


def group_gone(proc, timeout: float) -> float:
    """Seconds until no process of `proc`'s group is left (AssertionError after `timeout`)."""
    pgid = proc.pid
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        proc.poll()  # reap Snakemake itself: a zombie still counts as a group member
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return time.monotonic() - start
        time.sleep(0.05)
    os.killpg(pgid, signal.SIGKILL)
    raise AssertionError(f"processes of group {pgid} still run {timeout} s after the signal")


def stop_training(workdir: Path, signum: int, extra=(), resumed: bool = False) -> str:
    """Start GENER's job, send `signum` to the main Snakemake process once a checkpoint exists
    (a fresh one after resuming); return Snakemake's output."""
    proc = start_snakemake(workdir, CONFIG, [predictions("gener")], extra)
    ckpt = workdir / checkpoint_dir("gener") / "checkpoint.npz"
    if resumed:
        old = ckpt.stat().st_mtime_ns
        deadline = time.monotonic() + 400
        while ckpt.stat().st_mtime_ns == old and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
    wait_for(ckpt, proc)
    proc.send_signal(signum)
    seconds = group_gone(proc, timeout=30)
    assert proc.wait() != 0
    assert not (workdir / predictions("gener")).exists()
    out = sorted(workdir.glob("snakemake.*.out"))[-1].read_text()
    print(f"{signal.Signals(signum).name}: all processes gone {seconds:.1f} s after the signal")
    return out


def test_sigterm_and_sigint_stop_training_cleanly_and_the_rerun_resumes(tmp_path):
    work = tmp_path / "run"
    for signum, extra, resumed in ((signal.SIGTERM, (), False),
                                   (signal.SIGINT, ("--rerun-incomplete",), True)):
        out = stop_training(work, signum, extra, resumed)
        log = (work / JOB_LOG).read_text()
        name = signal.Signals(signum).name
        assert "Traceback" not in log and "Traceback" not in out, out[-3000:] + log[-3000:]
        assert f"stopped by {name} after" in log, log[-3000:]
        assert f"grnflow: job stopped by {name}; rerun with --rerun-incomplete to resume" in out, out[-3000:]
        assert f"grnflow: {name} received: stopping" in out, out[-3000:]
        assert "checkpoint.npz" in os.listdir(work / checkpoint_dir("gener"))
    assert "resuming from" in (work / JOB_LOG).read_text()
    proc = start_snakemake(work, CONFIG, [predictions("gener")], ["--rerun-incomplete"])
    assert proc.wait(timeout=900) == 0, sorted(work.glob("snakemake.*.out"))[-1].read_text()[-3000:]
    assert (work / predictions("gener")).exists()
    assert "resuming from" in (work / JOB_LOG).read_text()
