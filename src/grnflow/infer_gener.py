"""GENER's final model and its genome-wide ranking (rule `infer_gener`).

The final model is trained like an evaluation run (same settings, early stopping on the val
fold) on the final pair table (`inferred/pairs/seed<s>.tsv`: every reference edge in train or
val). Every candidate is then scored from its two gene indices: the tf.data pipeline gathers
each batch's expression rows from the one in-memory matrix, so no per-pair expression exists.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from grnflow.errors import InputError
from grnflow.infer import Candidates, make_candidates, write_ranking_job
from grnflow.io import read_gene_list

log = logging.getLogger(__name__)

SCORE_BATCH = 8192  # candidate pairs per prediction batch


def gener_candidate_scores(model, matrix: np.ndarray, cands: Candidates, threads: int = 2,
                           batch_size: int = SCORE_BATCH) -> np.ndarray:
    """P(regulator -> gene) of every candidate as a regulators x genes matrix (self cells 0)."""
    from grnflow.gener_data import PairBatches

    rows, cols = cands.pairs()
    ia = cands.reg_pos[rows].astype(np.int32)
    ds = PairBatches(matrix, threads=threads).dataset(ia, cols.astype(np.int32), batch_size=batch_size)
    start = time.perf_counter()
    probabilities = model.predict(ds, verbose=0)[:, 1]
    seconds = time.perf_counter() - start
    log.info("scored %d candidates in %.1f s (%.0f pairs/s)", len(rows), seconds,
             len(rows) / max(seconds, 1e-9))
    scores = np.zeros(cands.shape)
    scores[rows, cols] = probabilities
    return scores


def run_infer_gener(expression: str | Path, tfs: str | Path, network: str | Path,
                    pairs: str | Path, out_ranking: str | Path, out_model: str | Path,
                    checkpoint_dir: str | Path, seed: int, settings, threads: int = 2,
                    names: str | Path | None = None) -> dict:
    """Train the final GENER model of one seed (`settings`: grnflow.settings.GenerSettings, the
    evaluation runs' own) and rank every candidate edge."""
    from grnflow.gener import CHECKPOINT_NAME, configure_tensorflow, fit_gener, load_job_pairs, save_model
    from grnflow.train_core import remove_checkpoint

    device = configure_tensorflow(threads, seed)
    genes, matrix, table, ia, ib, y, label = load_job_pairs(expression, pairs, settings.classes)
    fold = table["fold"].to_numpy()
    tr, va = np.flatnonzero(fold == "train"), np.flatnonzero(fold == "val")
    if len(tr) == 0 or len(va) == 0:
        raise InputError(f"{pairs}: the final model needs train and val pairs (found {len(tr)} / "
                         f"{len(va)}); check datasets.<name>.pairs.val_fraction")
    log.info("final model: %d train / %d val pairs (every reference edge), device %s",
             len(tr), len(va), device)
    model, state = fit_gener(matrix, train=(ia[tr], ib[tr], y[tr]),
                             val=(ia[va], ib[va], y[va], label[va]),
                             checkpoint_dir=checkpoint_dir, seed=seed, settings=settings, threads=threads)
    save_model(model, out_model)
    cands = make_candidates(genes, read_gene_list(tfs))
    scores = gener_candidate_scores(model, matrix, cands, threads=threads)
    write_ranking_job(scores, cands, network, out_ranking, names)
    remove_checkpoint(Path(checkpoint_dir) / CHECKPOINT_NAME)
    return {"epochs": state.epoch, "best_epoch": state.stopping.best_epoch,
            "train_seconds": state.train_seconds}
