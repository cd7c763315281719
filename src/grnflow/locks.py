"""A lock beside a training checkpoint, so two trainers never write one checkpoint at once."""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from pathlib import Path

from grnflow.errors import JobError


def lock_path(checkpoint_dir: str | Path) -> Path:
    """`<checkpoint_dir>.lock`: beside the folder, so it survives the folder's cleanup."""
    path = Path(checkpoint_dir)
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def checkpoint_lock(checkpoint_dir: str | Path):
    """Hold an exclusive `fcntl.flock` on `lock_path(checkpoint_dir)` for the training.

    Raises JobError naming the checkpoint and the holder (pid, host) when another process
    holds it. The lock file stays (removing it would race with the next holder); the kernel
    releases the lock when the holder exits, also when it is killed.
    """
    path = lock_path(checkpoint_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise JobError(
            f"{checkpoint_dir}: another trainer ({holder}) is writing this checkpoint (lock {path} "
            "is held); two jobs must not train the same dataset, split and seed at once. Wait for "
            "it to finish or stop it, then rerun"
        ) from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        yield path
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


__all__ = ["checkpoint_lock", "lock_path"]
