"""Faults around a job (issue 16), function level: the checkpoint lock, a stop by SIGTERM or
SIGINT inside `log_to`, inputs changed while a job reads them, duplicate YAML config keys.
The same faults through real Snakemake runs: tests/test_bad_inputs.py and tests/test_signals.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from grnflow.config import check_yaml_files
from grnflow.errors import InputError, JobError
from grnflow.locks import checkpoint_lock, lock_path
from grnflow.logging import log_to
from grnflow.provenance import build_record, sha256_file


def test_second_trainer_on_one_checkpoint_gets_a_clear_error(tmp_path):
    ckpt = tmp_path / "checkpoints" / "gener" / "random" / "seed0"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from grnflow.locks import checkpoint_lock
            with checkpoint_lock({str(ckpt)!r}):
                print("locked", flush=True)
                time.sleep(30)
        """)], stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(JobError) as err:
            with checkpoint_lock(ckpt):
                pass
        message = str(err.value)
        assert message.startswith(f"{ckpt}: another trainer (pid {holder.pid} on ")
        assert f"(lock {lock_path(ckpt)} is held)" in message
    finally:
        holder.kill()
        holder.wait()
    with checkpoint_lock(ckpt) as path:  # released when the holder died
        assert path == ckpt.with_name("seed0.lock") and not ckpt.exists()


@pytest.mark.parametrize("signum,name", [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")])
def test_stop_by_signal_is_one_line_without_traceback(tmp_path, signum, name):
    log = tmp_path / "job.log"
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from grnflow.logging import log_to
            with log_to({str(log)!r}):
                print("training", flush=True)
                time.sleep(30)
        """)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "training"
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 1
    assert stderr.strip().splitlines()[-1] == f"grnflow: job stopped by {name}; rerun with --rerun-incomplete to resume"
    assert "Traceback" not in stderr and "Traceback" not in log.read_text()
    assert f"stopped by {name} after" in log.read_text()


def test_input_changed_while_the_job_reads_it_fails_the_job(tmp_path):
    data = tmp_path / "in.tsv"
    data.write_text("a\n")
    with pytest.raises(SystemExit, match="the file changed while this job read it"):
        with log_to(tmp_path / "job.log", inputs={"expression": str(data)}):
            data.write_text("b\n")
    assert f"input sha256 {sha256_file(data)}" not in (tmp_path / "job.log").read_text()


def test_provenance_records_what_the_jobs_read(tmp_path):
    data = tmp_path / "in.tsv"
    data.write_text("version 1\n")
    read = sha256_file(data)
    with log_to(tmp_path / "normalize.log", inputs=[str(data)]):
        pass
    data.write_text("version 2\n")  # changed after the job read it
    record = build_record({"seeds": [0]}, {"ds": {"expression": str(data)}}, [], [tmp_path / "normalize.log"])
    entry = record["inputs"]["ds"]["expression"]
    assert entry == {"path": str(data), "sha256": read, "sha256_now": sha256_file(data)}
    with log_to(tmp_path / "network.log", inputs=[str(data)]):
        pass
    with pytest.raises(InputError, match="the jobs of this run read different versions of this input"):
        build_record({}, {"ds": {"expression": str(data)}}, [],
                     [tmp_path / "normalize.log", tmp_path / "network.log"])
    json.dumps(record)


def test_duplicate_yaml_key_is_refused_naming_file_line_and_key(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("datasets:\n  demo:\n    synthetic: {seed: 1}\n    synthetic: {seed: 2}\nseeds: [0]\n")
    with pytest.raises(InputError) as err:
        check_yaml_files([cfg])
    assert str(err.value).startswith(f"{cfg}: line 4: key 'synthetic' is given twice (first on line 3)")
    ok = tmp_path / "ok.yaml"
    ok.write_text("a: 1\nb: {a: 1}\n")
    check_yaml_files([ok])
