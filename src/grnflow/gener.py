"""Train GENER on one dataset x split x seed, resumably, and write the per-job contract files.

Resumption: after every epoch the job writes one checkpoint file (atomically) holding every
model variable (weights, batch-norm statistics, dropout seed states), the optimizer state
(step counter, which drives the learning-rate schedule), the best weights so far and the
early-stopping state. Each epoch's shuffle is derived from (seed, epoch), so a job killed at
any point and started again continues exactly like an uninterrupted run on the same device.
The checkpoint carries a fingerprint of the inputs and settings; a checkpoint from other
inputs or settings is ignored. A finished job removes its checkpoint file.
"""

from __future__ import annotations

import hashlib
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
from grnflow.errors import InputError
from grnflow.gener_data import PairBatches, epoch_order, load_expression, pair_indices, pair_targets
from grnflow.gener_model import build_model, compile_model
from grnflow.io import atomic_path
from grnflow.metrics import auroc
from grnflow.predictions import read_pairs, write_job_metrics, write_predictions

log = logging.getLogger("grnflow.gener")

CHECKPOINT_NAME = "checkpoint.npz"
THRESHOLD = 0.5
FOLDS = ("train", "val", "test")


def configure_tensorflow(threads: int, seed: int) -> str:
    """Threads, determinism and seeds for TensorFlow; returns the device used ("cuda" or "cpu", as MTLGRN says)."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        # The TensorFlow runtime of this process is already running (e.g. a second call in tests).
        log.info("TensorFlow thread pools were already set up; keeping them")
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        for gpu in gpus:
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError:
                pass
        name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name)
        log.info("device: cuda (GPU %s; %d visible)", name, len(gpus))
        return "cuda"
    log.info("device: cpu (%d threads; no GPU visible to TensorFlow)", threads)
    return "cpu"


def fingerprint(settings: dict, *arrays: np.ndarray) -> str:
    """Hash of the settings and the training data: a checkpoint resumes only the same job."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def save_checkpoint(path: Path, model: keras.Model, best_weights: list, state: dict) -> None:
    """Write model, optimizer, best weights and training state to one file, atomically."""
    arrays = {f"model_{i}": np.asarray(v.numpy()) for i, v in enumerate(model.variables)}
    arrays.update({f"optimizer_{i}": np.asarray(v.numpy()) for i, v in enumerate(model.optimizer.variables)})
    arrays.update({f"best_{i}": w for i, w in enumerate(best_weights)})
    arrays["state"] = np.frombuffer(json.dumps(state).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(buffer.getvalue())


def load_checkpoint(path: Path, model: keras.Model, job_fingerprint: str) -> tuple[list, dict] | None:
    """Restore a checkpoint of this job into `model`; None when absent or from another job."""
    if not path.exists():
        return None
    try:
        with np.load(path) as data:
            state = json.loads(data["state"].tobytes().decode())
            if state.get("fingerprint") != job_fingerprint:
                log.warning("ignoring checkpoint %s: it belongs to other inputs or settings", path)
                return None
            model_values = [data[f"model_{i}"] for i in range(len(model.variables))]
            opt_values = [data[f"optimizer_{i}"] for i in range(len(model.optimizer.variables))]
            best = [data[f"best_{i}"] for i in range(state["n_best"])]
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring unreadable checkpoint %s (%s); training from the start", path, exc)
        return None
    for variable, value in zip(model.variables, model_values):
        variable.assign(value)
    for variable, value in zip(model.optimizer.variables, opt_values):
        variable.assign(value)
    return best, state


def cross_entropy(probabilities: np.ndarray, y: np.ndarray) -> float:
    """Mean categorical cross-entropy of predicted class probabilities (Keras' clipping)."""
    p = np.clip(probabilities[np.arange(len(y)), y].astype(np.float64), 1e-7, 1 - 1e-7)
    return float(-np.mean(np.log(p)))


def fit_gener(
    matrix: np.ndarray,
    train: tuple[np.ndarray, np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    checkpoint_dir: str | Path,
    seed: int = 0,
    classes: str = "binary",
    ff_units=(256, 256),
    conv_filters=(16, 8),
    conv_dense: int = 32,
    dropout: float = 0.5,
    learning_rate: float = 0.01,
    decay_rate: float = 0.8,
    decay_steps: int = 2500,
    staircase: bool = True,
    batch_size: int = 64,
    epochs: int = 50,
    patience: int = 5,
    threads: int = 2,
    callbacks=(),
) -> tuple[keras.Model, dict]:
    """Train with per-epoch checkpoints and early stopping on validation loss; best weights kept.

    `train` is (index of gene_a, index of gene_b, class id); `val` adds the edge label used
    for the validation AUROC. Returns the model holding the best weights and the final state.
    """
    architecture = dict(
        classes=classes,
        ff_units=list(ff_units),
        conv_filters=list(conv_filters),
        conv_dense=conv_dense,
        dropout=dropout,
    )
    optimizer = dict(
        learning_rate=learning_rate, decay_rate=decay_rate, decay_steps=decay_steps, staircase=staircase
    )
    settings = dict(architecture, **optimizer, batch_size=batch_size, patience=patience, seed=seed,
                    epochs=epochs)
    job = fingerprint(settings, matrix, *train, *val)

    random.seed(seed)
    keras.utils.set_random_seed(seed)
    model = compile_model(build_model(matrix.shape[1], **architecture), **optimizer)
    model.optimizer.build(model.trainable_variables)
    batches = PairBatches(matrix, threads=threads)
    val_ds = batches.dataset(val[0], val[1], batch_size=max(batch_size, 1024))

    checkpoint = Path(checkpoint_dir) / CHECKPOINT_NAME
    restored = load_checkpoint(checkpoint, model, job)
    if restored is None:
        best_weights = [w.numpy() for w in model.weights]
        state = dict(fingerprint=job, epoch=0, best_val_loss=None, best_epoch=0, wait=0,
                     stopped=False, train_seconds=0.0, history=[])
    else:
        best_weights, state = restored
        log.info("resuming from %s after epoch %d", checkpoint, state["epoch"])

    n_train = len(train[0])
    while state["epoch"] < epochs and not state["stopped"]:
        epoch = state["epoch"]
        start = time.perf_counter()
        train_ds = batches.dataset(*train, batch_size=batch_size, order=epoch_order(n_train, seed, epoch))
        history = model.fit(
            train_ds, initial_epoch=epoch, epochs=epoch + 1, shuffle=False, verbose=0,
            callbacks=list(callbacks),
        )
        loss = float(history.history["loss"][-1])
        probabilities = model.predict(val_ds, verbose=0)
        val_loss = cross_entropy(probabilities, val[2])
        val_auroc = auroc(val[3], probabilities[:, 1])
        if state["best_val_loss"] is None or val_loss < state["best_val_loss"]:
            state.update(best_val_loss=val_loss, best_epoch=epoch + 1, wait=0)
            best_weights = [w.numpy() for w in model.weights]
        else:
            state["wait"] += 1
            state["stopped"] = state["wait"] >= patience
        seconds = time.perf_counter() - start
        state["epoch"] = epoch + 1
        state["train_seconds"] += seconds
        state["history"].append(dict(epoch=epoch + 1, loss=loss, val_loss=val_loss, val_auroc=val_auroc))
        state["n_best"] = len(best_weights)
        log.info(
            "epoch %d/%d: loss %.4f, val_loss %.4f, val AUROC %.4f, lr %.3g (%.1f s)%s",
            epoch + 1, epochs, loss, val_loss, val_auroc,
            float(model.optimizer.learning_rate), seconds,
            f"; early stop, best epoch {state['best_epoch']}" if state["stopped"] else "",
        )
        save_checkpoint(checkpoint, model, best_weights, state)

    for variable, value in zip(model.weights, best_weights):
        variable.assign(value)
    return model, state


def split_folds(pairs: pd.DataFrame, path: str | Path) -> dict[str, np.ndarray]:
    """Row positions of the train, val and test pairs; each fold must be present."""
    folds = pairs["fold"].astype(str).to_numpy()
    unknown = sorted(set(folds) - set(FOLDS))
    if unknown:
        raise InputError(f"{path}: unknown fold value(s) {', '.join(unknown)}; allowed are train, val, test")
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
    threads: int = 2,
    callbacks=(),
    **settings,
) -> dict:
    """The `gener` job: train on the train fold, stop on val, rank the test pairs, write outputs."""
    device = configure_tensorflow(threads, seed)
    classes = settings.get("classes", "binary")
    genes, matrix = load_expression(expression)
    table = read_pairs(pairs)
    ia, ib = pair_indices(table, genes, pairs)
    y = pair_targets(table, classes, pairs)
    label = pair_targets(table, "binary", pairs)
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
        threads=threads,
        callbacks=callbacks,
        **settings,
    )

    batches = PairBatches(matrix, threads=threads)
    test_ds = batches.dataset(ia[te], ib[te], batch_size=max(settings.get("batch_size", 64), 1024))
    scores = model.predict(test_ds, verbose=0)[:, 1]
    ranked = write_predictions(table.iloc[te], scores, out_predictions)
    save_model(model, out_model)
    record = write_job_metrics(
        out_metrics,
        ranked,
        dataset=dataset,
        split=split,
        method="gener",
        seed=int(seed),
        train_seconds=round(state["train_seconds"], 3),
        epochs=state["epoch"],
        best_epoch=state["best_epoch"],
        best_val_loss=state["best_val_loss"],
        device=device,
        threshold=THRESHOLD,
        classes=classes,
    )
    log.info("test AUROC %.4f, AUPR %.4f (%d positives)", record["auroc"], record["aupr"], record["n_pos"])
    checkpoint = Path(checkpoint_dir) / CHECKPOINT_NAME
    checkpoint.unlink(missing_ok=True)
    try:
        Path(checkpoint_dir).rmdir()
    except OSError:
        pass
    return record


__all__ = ["configure_tensorflow", "fit_gener", "run_gener", "save_checkpoint", "load_checkpoint"]
