"""Train GENER on one dataset x split x seed, resumably, and write the per-job contract files.

Training is one Keras `fit()` over a stream of epochs (grnflow.gener_data.PairBatches.epochs)
with two callbacks: `ValidationStopping` (validation loss and AUROC, best weights, early
stopping, the epoch line) and `SaveCheckpoint`.

Resumption: after every epoch the job writes one checkpoint file (atomically) holding every
model variable (weights, batch-norm statistics, dropout seed states), the optimizer state
(step counter, which drives the learning-rate schedule), the best weights so far and the
early-stopping state. Each epoch's shuffle is derived from (seed, epoch), so a job killed at
any point and started again continues exactly like an uninterrupted run on the same device.
The checkpoint carries a fingerprint of the inputs and settings (grnflow.train_core); one of
other inputs or settings, or one that cannot be read, is ignored with a warning. A finished
job removes its checkpoint file.
"""

from __future__ import annotations

import io
import json
import logging
import os
import random
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow as tf

import keras
from grnflow.convergence import convergence, log_convergence
from grnflow.errors import InputError
from grnflow.gener_data import PairBatches, load_expression, n_batches, pair_indices, pair_targets
from grnflow.gener_model import execution_steps, from_settings
from grnflow.metrics import auroc
from grnflow.names import FOLDS
from grnflow.predictions import read_pairs, write_job_metrics, write_predictions
from grnflow.settings import GenerSettings, as_dict, effective
from grnflow.train_core import (
    DECISION,
    Checkpoint,
    EarlyStopping,
    TrainState,
    fingerprint,
    log_epoch,
    remove_checkpoint,
    report_device,
    validation_threshold,
)

log = logging.getLogger("grnflow.gener")

CHECKPOINT_NAME = "checkpoint.npz"
PREDICT_BATCH = 1024  # pairs per inference batch (at least the training batch size)


def configure_tensorflow(threads: int, seed: int) -> str:
    """Threads, determinism and seeds for TensorFlow; returns the device used ("cuda" or "cpu")."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        # The TensorFlow runtime of this process is already running (e.g. a second call in tests).
        log.info("TensorFlow thread pools were already set up; keeping them")
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass
    names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
    return report_device("TensorFlow", names, threads)


def cross_entropy(probabilities: np.ndarray, y: np.ndarray) -> float:
    """Mean categorical cross-entropy of predicted class probabilities (Keras' clipping)."""
    p = np.clip(probabilities[np.arange(len(y)), y].astype(np.float64), 1e-7, 1 - 1e-7)
    return float(-np.mean(np.log(p)))


# --------------------------------------------------------------------------- checkpoints


def _groups(model: keras.Model) -> dict:
    """The variable lists a checkpoint holds; `best` are the values of `model.weights`."""
    return {"model": model.variables, "optimizer": model.optimizer.variables, "best": model.weights}


def save_checkpoint(checkpoint: Checkpoint, model: keras.Model, best_weights: list, state: TrainState) -> None:
    """Model, optimizer, best weights and training state in one `.npz`, written atomically."""
    current = _groups(model)
    arrays = {f"{g}_{i}": np.asarray(v.numpy()) for g in ("model", "optimizer") for i, v in enumerate(current[g])}
    arrays.update({f"best_{i}": w for i, w in enumerate(best_weights)})
    meta = {"fingerprint": checkpoint.job, "state": state.to_dict()}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    checkpoint.save(lambda tmp: tmp.write_bytes(buffer.getvalue()))


def restore(path: Path, checkpoint: Checkpoint, model: keras.Model, best_weights: list) -> TrainState:
    """Read `path` completely and check every array's shape and dtype against the model; only
    then assign them (so a bad file leaves the model untouched)."""
    groups = _groups(model)
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(data["meta"].tobytes().decode())
        checkpoint.check(meta.get("fingerprint"))
        state = TrainState.from_dict(meta["state"])
        values = {g: [data[f"{g}_{i}"] for i in range(len(vs))] for g, vs in groups.items()}
        extra = set(data.files) - {f"{g}_{i}" for g, vs in groups.items() for i in range(len(vs))} - {"meta"}
    if extra:
        raise ValueError(f"arrays this model does not have: {', '.join(sorted(extra)[:3])}")
    for g, variables in groups.items():
        for i, (variable, value) in enumerate(zip(variables, values[g])):
            if tuple(value.shape) != tuple(variable.shape) or value.dtype != np.dtype(variable.dtype):
                raise ValueError(
                    f"{g}_{i} is {value.dtype}{list(value.shape)}, the model's "
                    f"{variable.path} {variable.dtype}{list(variable.shape)}"
                )
    for g in ("model", "optimizer"):
        for variable, value in zip(groups[g], values[g]):
            variable.assign(value)
    best_weights[:] = values["best"]
    return state


class ValidationStopping(keras.callbacks.Callback):
    """After each epoch: validation loss and AUROC, best weights, early stopping on val loss."""

    def __init__(self, val_ds, val: tuple, state: TrainState, best_weights: list, epochs: int):
        super().__init__()
        self.val_ds, self.val_y, self.val_label = val_ds, val[2], val[3]
        self.state, self.best_weights, self.epochs = state, best_weights, epochs
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        state = self.state
        loss = float(logs["loss"])
        probabilities = self.model.predict(self.val_ds, verbose=0)
        val_loss = cross_entropy(probabilities, self.val_y)
        val_auroc = auroc(self.val_label, probabilities[:, 1])
        state.epoch = epoch + 1
        if state.stopping.update(state.epoch, [-val_loss]):
            self.best_weights[:] = [w.numpy() for w in self.model.weights]
        seconds = time.perf_counter() - self.started
        state.train_seconds += seconds
        state.history.append(dict(epoch=state.epoch, loss=loss, val_loss=val_loss, val_auroc=val_auroc))
        lr = float(self.model.optimizer.learning_rate)
        log_epoch(state, self.epochs, dict(loss=loss, val_loss=val_loss, val_auroc=val_auroc, lr=lr), seconds)
        self.model.stop_training = state.stopping.stopped


class SaveCheckpoint(keras.callbacks.Callback):
    """Write the checkpoint at the end of every epoch (after `ValidationStopping`)."""

    def __init__(self, checkpoint: Checkpoint, state: TrainState, best_weights: list):
        super().__init__()
        self.checkpoint, self.state, self.best_weights = checkpoint, state, best_weights

    def on_epoch_end(self, epoch, logs=None):
        save_checkpoint(self.checkpoint, self.model, self.best_weights, self.state)


# --------------------------------------------------------------------------- training


def fit_gener(
    matrix: np.ndarray,
    train: tuple[np.ndarray, np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    checkpoint_dir: str | Path,
    seed: int,
    settings: GenerSettings,
    threads: int,
    callbacks=(),
) -> tuple[keras.Model, TrainState]:
    """Train with per-epoch checkpoints and early stopping on validation loss; best weights kept.

    `train` is (index of gene_a, index of gene_b, class id); `val` adds the edge label used
    for the validation AUROC. `callbacks` run before the job's own ones. Returns the model
    holding the best weights and the final training state.
    """
    s = effective(settings)
    if s.paper_mode:
        log.info(
            "paper mode: linear convolutions, batch-norm momentum 0.9, continuous decay, "
            "patience %d (no early stop within %d epochs)", s.patience, s.epochs,
        )
    log.info(
        "learning rate %.3g x %.3g every %d training pairs (%.1f steps of %d)%s",
        s.learning_rate, s.decay_rate, s.decay_samples, s.decay_steps, s.batch_size,
        ", continuously" if not s.staircase else "",
    )
    job = fingerprint({**as_dict(s), "seed": seed}, matrix, *train, *val)
    random.seed(seed)
    keras.utils.set_random_seed(seed)
    steps_per_epoch = n_batches(len(train[0]), s.batch_size)
    model = from_settings(matrix.shape[1], s, steps_per_execution=execution_steps(steps_per_epoch))
    model.optimizer.build(model.trainable_variables)
    batches = PairBatches(matrix, threads=threads)
    val_ds = batches.dataset(val[0], val[1], batch_size=max(s.batch_size, PREDICT_BATCH))

    checkpoint = Checkpoint(Path(checkpoint_dir) / CHECKPOINT_NAME, job)
    best_weights = [w.numpy() for w in model.weights]
    state = checkpoint.load(lambda path: restore(path, checkpoint, model, best_weights))
    state = state or TrainState(EarlyStopping(s.patience))
    if not state.done(s.epochs):
        model.fit(
            batches.epochs(*train, batch_size=s.batch_size, seed=seed, first=state.epoch, last=s.epochs),
            initial_epoch=state.epoch,
            epochs=s.epochs,
            steps_per_epoch=steps_per_epoch,
            shuffle=False,
            verbose=0,
            callbacks=[
                *callbacks,
                ValidationStopping(val_ds, val, state, best_weights, s.epochs),
                SaveCheckpoint(checkpoint, state, best_weights),
            ],
        )
    for variable, value in zip(model.weights, best_weights):
        variable.assign(value)
    return model, state


# --------------------------------------------------------------------------- the job


def split_folds(pairs: pd.DataFrame, path: str | Path) -> dict[str, np.ndarray]:
    """Row positions of the train, val and test pairs; each fold must be present."""
    folds = pairs["fold"].astype(str).to_numpy()
    unknown = sorted(set(folds) - set(FOLDS))
    if unknown:
        raise InputError(f"{path}: unknown fold value(s) {', '.join(unknown)}; allowed are {', '.join(FOLDS)}")
    rows = {fold: np.flatnonzero(folds == fold) for fold in FOLDS}
    empty = [fold for fold, idx in rows.items() if len(idx) == 0]
    if empty:
        raise InputError(
            f"{path}: no {' / '.join(empty)} pairs; GENER needs train pairs to learn, val pairs for "
            "early stopping and test pairs to score (check the `pairs` settings)"
        )
    return rows


def save_model(model: keras.Model, path: str | Path) -> None:
    """Save a `.keras` file atomically (Keras insists on the suffix, so the temp file keeps it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".keras", dir=path.parent)
    os.close(fd)
    try:
        model.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_job_pairs(expression: str | Path, pairs: str | Path, classes: str):
    """What a GENER job reads: the genes, the float32 matrix, the pair table, the pairs as gene
    indices (a, b), their training targets for `classes` and their binary edge labels."""
    genes, matrix = load_expression(expression)
    table = read_pairs(pairs)
    ia, ib = pair_indices(table, genes, pairs)
    y = pair_targets(table, classes, pairs)
    return genes, matrix, table, ia, ib, y, pair_targets(table, "binary", pairs)


def run_gener(
    expression: str | Path,
    pairs: str | Path,
    out_predictions: str | Path,
    out_metrics: str | Path,
    out_model: str | Path,
    checkpoint_dir: str | Path,
    dataset: str,
    split: str,
    seed: int,
    settings: GenerSettings,
    threads: int,
    callbacks=(),
) -> dict:
    """The `gener` job: train on the train fold, stop on val, rank the test pairs, write outputs."""
    device = configure_tensorflow(threads, seed)
    classes = settings.classes
    genes, matrix, table, ia, ib, y, label = load_job_pairs(expression, pairs, classes)
    rows = split_folds(table, pairs)
    tr, va, te = rows["train"], rows["val"], rows["test"]
    log.info(
        "%d genes x %d samples; %d train, %d val, %d test pairs; classes %s",
        matrix.shape[0], matrix.shape[1], len(tr), len(va), len(te), classes,
    )
    model, state = fit_gener(
        matrix,
        train=(ia[tr], ib[tr], y[tr]),
        val=(ia[va], ib[va], y[va], label[va]),
        checkpoint_dir=checkpoint_dir,
        seed=seed,
        settings=settings,
        threads=threads,
        callbacks=callbacks,
    )
    batches = PairBatches(matrix, threads=threads)
    predict_batch = max(settings.batch_size, PREDICT_BATCH)
    scores = model.predict(batches.dataset(ia[te], ib[te], batch_size=predict_batch), verbose=0)[:, 1]
    val_scores = model.predict(batches.dataset(ia[va], ib[va], batch_size=predict_batch), verbose=0)[:, 1]
    decision = validation_threshold(label[va], val_scores, DECISION["gener"].threshold, "gener")
    facts = convergence(state.stopping.best_epoch, state.epoch, state.stopping.stopped)
    log_convergence(log, facts, "gener")
    ranked = write_predictions(table.iloc[te], scores, out_predictions)
    save_model(model, out_model)
    record = write_job_metrics(
        out_metrics,
        ranked,
        dataset=dataset,
        split=split,
        method="gener",
        seed=int(seed),
        train_seconds=round(state.train_seconds, 3),
        epochs=state.epoch,
        best_val_loss=state.best_record().get("val_loss"),
        device=device,
        classes=classes,
        paper_mode=settings.paper_mode,
        **facts,
        **decision,
    )
    log.info("test AUROC %.4f, AUPR %.4f (%d positives)", record["auroc"], record["aupr"], record["n_pos"])
    remove_checkpoint(Path(checkpoint_dir) / CHECKPOINT_NAME)
    return record


__all__ = ["configure_tensorflow", "fit_gener", "run_gener", "save_checkpoint", "restore"]
