"""Send a job's logging to its Snakemake log file."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import time
from pathlib import Path

from grnflow.errors import InputError, JobError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextlib.contextmanager
def log_to(path: str | Path, level: int = logging.INFO, inputs=None):
    """Log to `path` (and stderr) for the duration of a job.

    Exceptions are written to the log too and re-raised, so the job fails visibly; an
    `InputError` or `JobError` is printed to stderr as one plain sentence without a
    traceback, and so is a stop by SIGINT or SIGTERM. `inputs` (e.g. `snakemake.input`):
    the sha256 of each is logged at the start (`record_inputs`, read by the provenance
    record) and checked again at the end: a file changed meanwhile fails the job.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    handlers = [logging.FileHandler(path, mode="w"), logging.StreamHandler(sys.stderr)]
    for handler in handlers:
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    root.setLevel(level)
    log = logging.getLogger("grnflow")
    log.info(  # where the job ran: make test-slurm checks these
        "job start: SLURM_JOB_ID=%s CUDA_VISIBLE_DEVICES=%s",
        os.environ.get("SLURM_JOB_ID", "-"),
        os.environ.get("CUDA_VISIBLE_DEVICES", "-"),
    )
    start = time.perf_counter()
    previous_int = signal.getsignal(signal.SIGINT)
    previous = _stop_on_sigterm()
    try:
        read = record_inputs(inputs, log)
        yield log
        check_inputs_unchanged(read)
    except InputError as exc:
        log.error("input error: %s", exc)
        raise SystemExit(f"grnflow input error: {exc}") from None
    except JobError as exc:
        log.error("job error: %s", exc)
        raise SystemExit(f"grnflow error: {exc}") from None
    except KeyboardInterrupt as exc:
        # Ctrl-C reaches the job twice (the terminal's and Snakemake's forwarded one): ignore
        # the second, so it cannot break this message into a traceback.
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        name = exc.args[0] if exc.args else "SIGINT"
        log.error("stopped by %s after %.1f s; a checkpoint written so far is kept: rerun "
                  "(`--rerun-incomplete`) to resume", name, time.perf_counter() - start)
        raise SystemExit(f"grnflow: job stopped by {name}; rerun with --rerun-incomplete to resume") from None
    except BaseException:
        log.exception("job failed")
        raise
    else:
        log.info("done in %.1f s", time.perf_counter() - start)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
            signal.signal(signal.SIGINT, previous_int)
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()


def _stop_on_sigterm():
    """Turn SIGTERM into KeyboardInterrupt("SIGTERM") (as Ctrl-C is), so a stopped job ends
    with one line and no traceback; returns the previous handler (None off the main thread)."""
    def handler(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        return None


INPUT_RECORD = "input sha256 "


def record_inputs(inputs, log) -> dict[str, str]:
    """Log the sha256 of each existing input file as `input sha256 <hex> <path>`; the
    provenance record takes what the jobs read from these lines."""
    from grnflow.provenance import sha256_file

    read = {}
    for path in _flat(inputs):
        if Path(path).is_file():
            read[path] = sha256_file(path)
            log.info("%s%s %s", INPUT_RECORD, read[path], path)
    return read


def check_inputs_unchanged(read: dict[str, str]) -> None:
    """InputError when an input changed while the job ran (its results would mix versions)."""
    from grnflow.provenance import sha256_file

    for path, digest in read.items():
        now = sha256_file(path) if Path(path).is_file() else "(removed)"
        if now != digest:
            raise InputError(
                f"{path}: the file changed while this job read it (sha256 {digest[:12]}... at the "
                f"start, {now[:12]}... now); the outputs are discarded. Rerun once the file is final"
            )


def _flat(inputs) -> list[str]:
    if inputs is None:
        return []
    if isinstance(inputs, (str, Path)):
        return [str(inputs)]
    items = inputs.values() if isinstance(inputs, dict) else inputs
    return [p for item in items for p in _flat(item)]
