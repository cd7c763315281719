"""Stop running jobs promptly when the main Snakemake process gets SIGTERM or SIGINT.

Snakemake's local executor treats SIGTERM as "finish the running jobs, then exit" and, on
SIGINT, waits for its job threads: a training job would run on for minutes. The workflow
calls `forward_stop_signals` when scheduling starts (`onstart:` in common.smk): the signal is
passed on to every process the main process started (the running jobs), which stop with one
line (grnflow.logging.log_to) keeping their last checkpoint, and then handled by Snakemake
as before. A later run with `--rerun-incomplete` resumes the training from its checkpoint.
"""

from __future__ import annotations

import contextlib
import os
import signal

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def stop_descendants(signum: int) -> list[int]:
    """Send `signum` to every descendant of this process; return their pids."""
    import psutil  # a dependency of Snakemake, present wherever the main process runs

    pids = []
    for child in psutil.Process(os.getpid()).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            child.send_signal(signum)
            pids.append(child.pid)
    return pids


def forward_stop_signals(log=None) -> None:
    """Chain a handler in front of the current SIGTERM/SIGINT handlers (see module doc)."""
    for signum in STOP_SIGNALS:
        previous = signal.getsignal(signum)

        def handler(sig, frame, previous=previous):
            pids = stop_descendants(sig)
            if log is not None and pids:
                log(f"grnflow: {signal.Signals(sig).name} received: stopping {len(pids)} running job "
                    "process(es); rerun with --rerun-incomplete to resume training from its checkpoint")
            if callable(previous):
                previous(sig, frame)
            elif sig == signal.SIGINT:
                raise KeyboardInterrupt
            elif previous == signal.SIG_DFL:
                signal.signal(sig, signal.SIG_DFL)
                os.kill(os.getpid(), sig)

        try:
            signal.signal(signum, handler)
        except ValueError:  # not the main thread (e.g. an API caller): leave signals alone
            return


__all__ = ["forward_stop_signals", "stop_descendants"]
