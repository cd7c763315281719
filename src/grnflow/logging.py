"""Send a job's logging to its Snakemake log file."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from pathlib import Path

from grnflow.errors import InputError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextlib.contextmanager
def log_to(path: str | Path, level: int = logging.INFO):
    """Log to `path` (and stderr) for the duration of a job.

    Exceptions are written to the log too and re-raised, so the job fails visibly; an
    `InputError` is printed to stderr as one plain sentence without a traceback.
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
    try:
        yield log
    except InputError as exc:
        log.error("input error: %s", exc)
        raise SystemExit(f"grnflow input error: {exc}") from None
    except BaseException:
        log.exception("job failed")
        raise
    else:
        log.info("done in %.1f s", time.perf_counter() - start)
    finally:
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()
