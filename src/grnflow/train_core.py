"""What both trainers (GENER on TensorFlow, MTLGRN on PyTorch) share, framework-free.

- `DECISION`: what each model's score means and its fixed cut; `validation_threshold`: the cut
  each job actually uses for MCC/F1, chosen on its validation pairs (max F1).
- `report_device`: CUDA when the framework sees a GPU, else CPU, logged the same way.
- `fingerprint`: hash of settings and training inputs; a checkpoint resumes only its own job.
- `Checkpoint`: one file per job, written atomically; a file that cannot be restored for
  any reason is reported with a warning naming it, and the job trains from the start.
- `EarlyStopping` and `TrainState`: the resumable bookkeeping of the epoch loop.
- `log_epoch`: the per-epoch progress line.

No TensorFlow or PyTorch import here: each model's conda env holds only its own framework.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grnflow.io import atomic_path
from grnflow.metrics import max_f1_threshold

log = logging.getLogger("grnflow.train")


@dataclass(frozen=True)
class Decision:
    """How to read a model's prediction score: an edge is called where score >= threshold."""

    scale: str
    threshold: float
    meaning: str


DECISION = {
    "gener": Decision(
        "probability", 0.5, "softmax probability of the class `edge` (binary) or `a_to_b` (direction)"
    ),
    "mtlgrn": Decision(
        "logit",
        0.0,
        "raw logit of the link decoder; sigmoid(score) is the edge probability, so 0 means 0.5. "
        "Logits, not probabilities, are written so that a saturated sigmoid cannot tie the ranking",
    ),
}


def validation_threshold(labels, scores, default: float, method: str) -> dict:
    """The decision threshold of a job, chosen on its VALIDATION pairs (max F1), as the metrics
    JSON fields `threshold` (what rule `compare` applies for MCC/F1 on the test pairs),
    `threshold_rule`, `val_f1` and `default_threshold` (the fixed cut of `DECISION`, kept when
    validation has no positive). Logged."""
    threshold, val_f1 = max_f1_threshold(labels, scores, default)
    rule = "val_max_f1" if math.isfinite(val_f1) else "default"
    log.info(
        "%s decision threshold %.4g (%s; validation F1 %.3f; fixed cut %g)",
        method, threshold, rule, val_f1, default,
    )
    return {"threshold": threshold, "threshold_rule": rule, "val_f1": val_f1, "default_threshold": default}


def report_device(framework: str, gpus: Sequence[str], threads: int) -> str:
    """`cuda` when `framework` sees GPUs (their names in `gpus`), else `cpu`; logs the choice."""
    if gpus:
        log.info("device: cuda (%s; %d GPU(s) visible to %s); %d threads", gpus[0], len(gpus), framework, threads)
        return "cuda"
    log.info("device: cpu (no GPU visible to %s); %d threads", framework, threads)
    return "cpu"


def fingerprint(settings: dict, *arrays: np.ndarray) -> str:
    """Hash of the settings (JSON) and the bytes of the training inputs."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


class StaleCheckpoint(Exception):
    """A readable checkpoint of another job (other settings or inputs)."""


class Checkpoint:
    """The per-epoch checkpoint file of one training job, tied to the job's fingerprint."""

    def __init__(self, path: str | Path, job: str):
        self.path = Path(path)
        self.job = job

    def check(self, found) -> None:
        """Raise StaleCheckpoint unless `found` (the fingerprint in the file) is this job's."""
        if found != self.job:
            raise StaleCheckpoint

    def save(self, write: Callable[[Path], None]) -> None:
        """`write(tmp)` writes the file; it appears under `path` only once complete."""
        with atomic_path(self.path) as tmp:
            write(Path(tmp))

    def load(self, restore: Callable[[Path], TrainState]):
        """`restore(path)`'s result, or None when there is no usable checkpoint.

        `restore` reads the file, calls `check`, validates everything and only then changes
        the model. Whatever it raises (truncated, empty, not an archive, wrong shapes or keys,
        a pickle error) is logged as a warning naming the file; training starts over.
        """
        if not self.path.exists():
            return None
        try:
            state = restore(self.path)
        except StaleCheckpoint:
            log.warning("ignoring checkpoint %s: it belongs to other inputs or settings", self.path)
            return None
        except Exception as exc:  # noqa: BLE001 - any unreadable file means: start over
            log.warning(
                "ignoring unreadable checkpoint %s (%s: %s); training from the start",
                self.path, type(exc).__name__, exc,
            )
            return None
        log.info("resuming from %s after epoch %d", self.path, state.epoch)
        return state


def remove_checkpoint(path: str | Path) -> None:
    """Delete a finished job's checkpoint file and, when then empty, its folder."""
    path = Path(path)
    path.unlink(missing_ok=True)
    try:
        path.parent.rmdir()
    except OSError:
        pass


@dataclass
class EarlyStopping:
    """Stop after `patience` epochs without a new best monitor value (a list compared
    lexicographically, higher is better, e.g. [val AUROC, -training loss])."""

    patience: int
    best: list | None = None
    best_epoch: int = 0
    wait: int = 0
    stopped: bool = False

    def update(self, epoch: int, monitor: list) -> bool:
        """Record epoch `epoch`'s monitor value; True when it is the new best."""
        if self.best is None or monitor > self.best:
            self.best, self.best_epoch, self.wait = list(monitor), epoch, 0
            return True
        self.wait += 1
        self.stopped = self.wait >= self.patience
        return False


@dataclass
class TrainState:
    """Where training stands after `epoch` epochs; saved in every checkpoint."""

    stopping: EarlyStopping
    epoch: int = 0
    train_seconds: float = 0.0
    history: list = field(default_factory=list)

    def done(self, epochs: int) -> bool:
        return self.stopping.stopped or self.epoch >= epochs

    def best_record(self) -> dict:
        """The history entry of the best epoch ({} before any)."""
        return self.history[self.stopping.best_epoch - 1] if self.stopping.best_epoch else {}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainState:
        data = dict(data)
        stopping = EarlyStopping(**data.pop("stopping"))
        state = cls(stopping=stopping, **data)
        if not isinstance(state.history, list) or len(state.history) != state.epoch:
            raise ValueError(f"training state of {state.epoch} epochs holds {len(state.history)} history entries")
        return state


def log_epoch(state: TrainState, epochs: int, values: dict, seconds: float) -> None:
    """The progress line of the epoch just finished (`values`: losses, validation scores)."""
    note = f"; early stop, best epoch {state.stopping.best_epoch}" if state.stopping.stopped else ""
    log.info(
        "epoch %d/%d: %s (%.1f s)%s",
        state.epoch, epochs, " ".join(f"{k} {_number(v)}" for k, v in values.items()), seconds, note,
    )


def _number(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


__all__ = [
    "DECISION",
    "Decision",
    "report_device",
    "validation_threshold",
    "fingerprint",
    "Checkpoint",
    "StaleCheckpoint",
    "remove_checkpoint",
    "EarlyStopping",
    "TrainState",
    "log_epoch",
]
