"""Convergence diagnostics shared by the trainers: did a job train, and long enough?

Two symptoms, both read off the validation monitor's history:
- `under_trained`: the best epoch is the last epoch run and early stopping did not fire, so the
  model was still improving when the epoch budget ran out (raise `epochs`).
- `did_not_learn`: validation never improved on epoch 1 although later epochs ran, so the
  weights kept are those after a single epoch (the model did not learn from the training
  pairs; check the learning rate, the features and the data).

Each job's metrics JSON records `best_epoch`, `last_epoch`, `early_stopped` and the flags; the
job log carries a WARNING line per flag and the report lists them (grnflow.report).
"""

from __future__ import annotations

import logging

FLAGS = ("under_trained", "did_not_learn")

ADVICE = {
    "under_trained": "its best epoch is the last one ({best} of {last}) and early stopping did not "
    "fire: it was still improving; raise {method}.epochs",
    "did_not_learn": "validation never improved on epoch 1 ({last} epochs run): the model did not "
    "learn from the training pairs; check {method}.learning_rate and the inputs",
}


def convergence(best_epoch: int, last_epoch: int, early_stopped: bool) -> dict:
    """The convergence fields of a job's metrics JSON (flags as booleans)."""
    best, last = int(best_epoch), int(last_epoch)
    return {
        "best_epoch": best,
        "last_epoch": last,
        "early_stopped": bool(early_stopped),
        "under_trained": last > 0 and best == last and not early_stopped,
        "did_not_learn": last > 1 and best == 1,
    }


def messages(facts: dict, method: str) -> list[str]:
    """One sentence per raised flag of `facts` (a `convergence` dict or a metrics row)."""
    out = []
    for flag in FLAGS:
        if facts.get(flag):
            text = ADVICE[flag].format(best=facts.get("best_epoch"), last=facts.get("last_epoch"), method=method)
            out.append(f"{method}: {text}")
    return out


TITLES = {
    "under_trained": "{method} may be under-trained: its best epoch was its last one",
    "did_not_learn": "{method} did not learn: validation never improved on epoch 1",
}
HINTS = {
    "under_trained": "Early stopping did not fire and the model was still improving; raise "
    "{method}.epochs (see config/README.md). Jobs",
    "did_not_learn": "The weights kept are those after one epoch; check {method}.learning_rate, "
    "the features and the data. Jobs",
}


def report_notices(rows) -> list[tuple[str, str]]:
    """(title, text) per method x raised flag over the per-job rows of comparison/metrics.tsv
    (a pandas DataFrame with split, method, seed and the convergence columns)."""
    out = []
    for flag in FLAGS:
        if flag not in rows.columns:
            continue
        hit = rows[rows[flag].fillna(0).astype(float) > 0]
        for method, jobs in hit.groupby("method", sort=False):
            listed = "; ".join(
                f"{r.split} seed {int(r.seed)} (best epoch {int(r.best_epoch)} of {int(r.last_epoch)})"
                for r in jobs.itertuples()
            )
            out.append((TITLES[flag].format(method=method), f"{HINTS[flag].format(method=method)}: {listed}."))
    return out


def log_convergence(logger: logging.Logger, facts: dict, method: str) -> None:
    """Log the outcome: one INFO line, plus one WARNING line per raised flag."""
    logger.info(
        "convergence: best epoch %d of %d run; early stopping %s",
        facts["best_epoch"], facts["last_epoch"], "fired" if facts["early_stopped"] else "did not fire",
    )
    for line in messages(facts, method):
        logger.warning("convergence: %s", line)


__all__ = ["ADVICE", "FLAGS", "convergence", "log_convergence", "messages", "report_notices"]
