"""Train MTLGRN on one dataset x split x seed, resumably, and write the per-job contract files.

One GAT encoder (grnflow.mtlgrn_model) trained on up to three tasks at once, each switchable
and weighted (`mtlgrn.tasks`, `mtlgrn.weights`):
- `link`: BCEWithLogitsLoss of the decoder's raw logits over the training pairs.
- `knockout`: MSE of the predicted fold changes over the training knockout experiments.
- `reconstruction`: MSE of each gene's expression profile decoded from its embedding.
Data, message graph and batches: grnflow.mtlgrn_data. Device, fingerprint, checkpoint file,
early stopping and the epoch line: grnflow.train_core (shared with GENER).

Resumption: after every epoch the state (model, optimizer, best weights, early stopping,
torch RNG) is written atomically to `last.pt`; a rerun with the same settings and data
resumes from it and, on CPU, ends exactly as an uninterrupted run would.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from grnflow.convergence import convergence, log_convergence
from grnflow.errors import InputError
from grnflow.io import atomic_path, read_normalized, read_table
from grnflow.metrics import auroc
from grnflow.mtlgrn_data import (
    Problem,
    build_problem,
    epoch_batches,
    heldout_regulators,
    holdout_knockouts,
    knockout_metrics,
    knockout_targets,
    read_samples,
    supervision_graph,
)
from grnflow.mtlgrn_model import MTLGRN
from grnflow.predictions import read_pairs, write_job_metrics, write_predictions
from grnflow.settings import MtlgrnSettings, as_dict, effective
from grnflow.train_core import (
    DECISION,
    Checkpoint,
    EarlyStopping,
    TrainState,
    fingerprint,
    log_epoch,
    report_device,
    validation_threshold,
)

log = logging.getLogger("grnflow.mtlgrn")

TASKS = ("link", "knockout", "reconstruction")
CHECKPOINT_NAME = "last.pt"


def active_tasks(tasks, problem: Problem) -> list[str]:
    """Switched-on tasks (`tasks`: settings.MtlgrnTasks) that the data allow, in TASKS order."""
    active = []
    for task in TASKS:
        if not getattr(tasks, task):
            log.info("task %s: off (mtlgrn.tasks.%s = false)", task, task)
            continue
        if task == "link" and len(problem.train[0]) == 0:
            log.warning("task link: off, the split has no training pairs")
            continue
        if task == "knockout" and problem.ko_train is None:
            log.info("task knockout: off, the dataset has no usable knockout experiments for training")
            continue
        if task == "reconstruction" and problem.expression.shape[1] == 0:
            log.info("task reconstruction: off, no expression samples")
            continue
        active.append(task)
    return active


def compute_losses(
    model: MTLGRN,
    problem: Problem,
    tasks: list[str],
    batch: torch.Tensor | None = None,
    ko_batch: torch.Tensor | None = None,
    hide: bool = True,
) -> dict[str, torch.Tensor]:
    """One forward pass; the loss of every task in `tasks` (and only those). `batch` indexes
    the training pairs of this step, `ko_batch` its training knockout experiments (all of
    them when None).

    The step's own positive pairs are hidden from the message graph (`supervision_graph`): a
    test edge is never in the graph, so a training edge must not be either while it is scored,
    else the model learns "the pair is linked in the graph" and that never transfers. Paper
    mode (`hide` False) scores the training edges on the graph that holds them, as the seed."""
    a, b, y = problem.train if batch is None else (t[batch] for t in problem.train)
    edge_index = problem.edge_index
    if "link" in tasks and hide:
        edge_index = supervision_graph(edge_index, a, b, y, problem.x.shape[0])
    z = model.encode(problem.x, edge_index)
    losses = {}
    if "link" in tasks:
        losses["link"] = nn.functional.binary_cross_entropy_with_logits(model.decode(z, a, b), y)
    if "knockout" in tasks:
        ko = problem.ko_train
        if ko_batch is not None:
            ko = {key: value[ko_batch] for key, value in ko.items()}
        pred = model.knockout(z, ko["knocked"], ko["control"])
        losses["knockout"] = ((pred - ko["target"])[ko["mask"]] ** 2).mean()
    if "reconstruction" in tasks:
        losses["reconstruction"] = nn.functional.mse_loss(model.reconstruct(z), problem.expression)
    return losses


# --------------------------------------------------------------------------- checkpoints


def job_fingerprint(settings: MtlgrnSettings, seed: int, problem: Problem) -> str:
    """What a checkpoint belongs to: settings, seed and every training input."""
    tensors = [problem.x, problem.edge_index, *problem.train, *problem.val, problem.expression]
    tensors += [ko["target"] for ko in (problem.ko_train, problem.ko_heldout) if ko is not None]
    return fingerprint({**as_dict(settings), "seed": seed}, *(t.detach().cpu().numpy() for t in tensors))


def _rng_state(device: torch.device) -> dict:
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _same_layout(saved: dict, reference: dict, what: str) -> None:
    """Raise ValueError unless `saved` has the keys and tensor shapes of `reference`."""
    if not isinstance(saved, dict) or saved.keys() != reference.keys():
        raise ValueError(f"{what}: other parameter names than this model's")
    wrong = [k for k, v in reference.items() if tuple(saved[k].shape) != tuple(v.shape)]
    if wrong:
        raise ValueError(f"{what}: shape of {wrong[0]} is {tuple(saved[wrong[0]].shape)}, not {tuple(reference[wrong[0]].shape)}")


def restore(path: Path, checkpoint: Checkpoint, model, optimizer, best_state: dict, device) -> TrainState:
    """Load `path` into model, optimizer and `best_state` (may change them before failing:
    the caller rebuilds them when this raises)."""
    saved = torch.load(path, map_location=device, weights_only=True)
    checkpoint.check(saved.get("fingerprint"))
    reference = model.state_dict()
    _same_layout(saved["model"], reference, "model")
    _same_layout(saved["best_state"], reference, "best_state")
    state = TrainState.from_dict(saved["state"])
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    for param, slots in optimizer.state.items():
        for name, value in slots.items():
            if value.ndim and value.shape != param.shape:
                raise ValueError(f"optimizer: {name} of shape {tuple(value.shape)} for a parameter {tuple(param.shape)}")
    torch.set_rng_state(saved["rng"]["cpu"].cpu())
    if device.type == "cuda" and "cuda" in saved["rng"]:
        torch.cuda.set_rng_state(saved["rng"]["cuda"].cpu(), device)
    best_state.clear()
    best_state.update(saved["best_state"])
    return state


def save(checkpoint: Checkpoint, model, optimizer, best_state: dict, state: TrainState, device) -> None:
    payload = {
        "fingerprint": checkpoint.job,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "best_state": best_state,
        "state": state.to_dict(),
        "rng": _rng_state(device),
    }
    checkpoint.save(lambda tmp: torch.save(payload, tmp))


# --------------------------------------------------------------------------- training


@dataclass
class TrainResult:
    model: MTLGRN
    tasks: list[str]
    epochs: int
    best_epoch: int
    best_val_auroc: float
    train_seconds: float
    history: list[dict]
    early_stopped: bool = False


def _clone(model: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _train_epoch(model, optimizer, problem: Problem, tasks, weights: dict, settings: MtlgrnSettings, device) -> dict:
    """One epoch of mini-batch steps; mean loss of each task and of the weighted total.

    Each step encodes the whole graph and adds the full reconstruction loss; pair and knockout
    batches are shuffled by the (checkpointed) torch RNG. Paper mode: one full-batch step over
    every training pair, scored on the full training graph (the seed's link loss)."""
    model.train()
    paper = settings.paper_mode
    batch_size = max(1, len(problem.train[0])) if paper else settings.batch_size
    steps = epoch_batches(problem, batch_size, device)
    values = dict.fromkeys(tasks, 0.0)
    total_value = 0.0
    for batch, ko_batch in steps:
        optimizer.zero_grad()
        losses = compute_losses(model, problem, tasks, batch, ko_batch, hide=not paper)
        total = sum(weights[t] * losses[t] for t in tasks)
        total.backward()
        optimizer.step()
        for t in tasks:
            values[t] += losses[t].item() / len(steps)
        total_value += total.item() / len(steps)
    return {**values, "total": total_value}


def _validate(model, problem: Problem, labels: np.ndarray) -> float:
    model.eval()
    with torch.no_grad():
        z = model.encode(problem.x, problem.edge_index)
        return auroc(labels, model.decode(z, problem.val[0], problem.val[1]).cpu().numpy())


def _start(fresh, checkpoint: Checkpoint | None, patience: int, device):
    """Model, optimizer, best weights and state: from the checkpoint when it restores, else
    fresh (rebuilt after a failed restore, which may have changed them half-way)."""
    model, optimizer = fresh()
    best_state = _clone(model)
    state = None
    if checkpoint is not None:
        state = checkpoint.load(lambda path: restore(path, checkpoint, model, optimizer, best_state, device))
        if state is None and checkpoint.path.exists():
            model, optimizer = fresh()
            best_state = _clone(model)
    return model, optimizer, best_state, state or TrainState(EarlyStopping(patience, best=[-math.inf, -math.inf]))


def train(
    problem: Problem,
    settings: MtlgrnSettings,
    seed: int,
    device: torch.device,
    checkpoint_dir: str | Path | None,
) -> TrainResult:
    """Adam on mini-batches of training pairs, early stopping on validation AUROC (ties broken
    by the lower training loss), resumable per epoch when `checkpoint_dir` is given."""
    s = effective(settings)
    if s.paper_mode:
        log.info(
            "paper mode: full-batch link loss on the full training graph, knockout MLP %d units "
            "with ReLU (features: k-mer presence on the forward strand)", s.knockout_hidden,
        )
    tasks = active_tasks(s.tasks, problem)
    if not tasks:
        raise InputError(
            "config: mtlgrn.tasks leaves no task to train on this dataset (link needs training "
            "pairs, knockout needs knockout experiments); switch `link` or `reconstruction` on"
        )
    if "link" not in tasks:
        log.warning("link task off: scores are the untrained decoder applied to the embeddings")
    problem = problem.to(device)

    def fresh():
        torch.manual_seed(seed)
        model = MTLGRN.from_settings(problem.x.shape[1], problem.expression.shape[1], s).to(device)
        return model, torch.optim.Adam(model.parameters(), lr=s.learning_rate, weight_decay=s.weight_decay)

    checkpoint = Checkpoint(Path(checkpoint_dir) / CHECKPOINT_NAME, job_fingerprint(s, seed, problem)) if checkpoint_dir else None
    model, optimizer, best_state, state = _start(fresh, checkpoint, s.patience, device)
    weights = {t: float(getattr(s.weights, t)) for t in TASKS}
    if "link" in tasks and not s.paper_mode and int((problem.train[2] == 1).sum()) and s.batch_size * 2 > len(problem.train[0]):
        log.warning(
            "batch_size %d is over half of the %d training pairs: each step hides its batch's "
            "positive edges from the message graph, so training sees few edges; lower batch_size",
            s.batch_size, len(problem.train[0]),
        )
    val_labels = problem.val[2].cpu().numpy()
    while not state.done(s.epochs):
        start = time.perf_counter()
        values = _train_epoch(model, optimizer, problem, tasks, weights, s, device)
        val_auroc = _validate(model, problem, val_labels)
        state.epoch += 1
        # validation AUROC first, ties (e.g. a saturated 1.0) broken by the lower training loss;
        # without usable validation pairs (none, or one class) the training loss alone
        monitor = [val_auroc if math.isfinite(val_auroc) else -math.inf, -values["total"]]
        if state.stopping.update(state.epoch, monitor):
            best_state = _clone(model)
        state.history.append({"epoch": state.epoch, **values, "val_auroc": val_auroc})
        seconds = time.perf_counter() - start
        state.train_seconds += seconds
        log_epoch(state, s.epochs, {**values, "val_auroc": val_auroc}, seconds)
        if checkpoint is not None:
            save(checkpoint, model, optimizer, best_state, state, device)
    model.load_state_dict(best_state)
    model.eval()
    return TrainResult(
        model,
        tasks,
        state.epoch,
        state.stopping.best_epoch,
        state.best_record().get("val_auroc", math.nan),
        state.train_seconds,
        state.history,
        state.stopping.stopped,
    )


# --------------------------------------------------------------------------- evaluation and the job


def pick_device(threads: int) -> torch.device:
    """CUDA when PyTorch sees a GPU, else CPU (deterministic algorithms); logged."""
    torch.set_num_threads(threads)
    gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    device = torch.device(report_device("PyTorch", gpus, threads))
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True)
    return device


def evaluate(model: MTLGRN, problem: Problem, heldout: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, dict]:
    """Test-pair logits, validation-pair logits and the held-out knockout metrics (None
    without held-out experiments)."""
    with torch.no_grad():
        z = model.encode(problem.x, problem.edge_index)
        scores = model.decode(z, problem.test[0], problem.test[1]).cpu().numpy().astype(np.float64)
        val_scores = model.decode(z, problem.val[0], problem.val[1]).cpu().numpy().astype(np.float64)
        fields = {"knockout_pearson": None, "knockout_direction_accuracy": None, "knockout_n_heldout": 0}
        if problem.ko_heldout is not None and heldout.any():
            ko = problem.ko_heldout
            pred = model.knockout(z, ko["knocked"], ko["control"]).cpu().numpy()
            fields.update(knockout_metrics(pred, ko["target"].cpu().numpy(), ko["mask"].cpu().numpy(), threshold))
            fields["knockout_n_heldout"] = int(heldout.sum())
    return scores, val_scores, fields


def run_mtlgrn(
    features: str | Path,
    expression: str | Path,
    samples: str | Path,
    pairs: str | Path,
    out_predictions: str | Path,
    out_metrics: str | Path,
    out_model: str | Path,
    checkpoint_dir: str | Path | None,
    dataset: str,
    split: str,
    seed: int,
    settings: MtlgrnSettings,
    threads: int,
) -> dict:
    """The `mtlgrn` job: train on one split x seed and write predictions, metrics and the model."""
    device = pick_device(threads)
    feats = read_table(features, sep="tab", dtype={"gene": str}).set_index("gene")
    expr = read_normalized(expression)
    table = read_pairs(pairs)
    knockouts = knockout_targets(expr, read_samples(samples), samples)
    # The knockouts of the split's held-out regulators (tf_holdout) never train the model.
    heldout = holdout_knockouts(knockouts.knocked_genes, settings.knockout_holdout, seed,
                                heldout_regulators(table))
    log.info(
        "%d genes x %d features; %d knockout experiments (%d held out, genes: %s)",
        feats.shape[0], feats.shape[1], len(knockouts), heldout.sum(),
        ", ".join(sorted(set(np.asarray(knockouts.knocked_genes)[heldout]))) or "none",
    )
    problem = build_problem(feats, expr, table, knockouts, heldout, pairs)
    log.info(
        "pairs: %d train / %d val / %d test; message graph: %d directed edges from training positives",
        len(problem.train[0]), len(problem.val[0]), len(problem.test[0]), problem.edge_index.shape[1],
    )
    result = train(problem, settings, seed, device, checkpoint_dir)
    scores, val_scores, ko_fields = evaluate(result.model, problem.to(device), heldout, settings.knockout_threshold)
    decision = validation_threshold(problem.val[2].numpy(), val_scores, DECISION["mtlgrn"].threshold, "mtlgrn")
    facts = convergence(result.best_epoch, result.epochs, result.early_stopped)
    log_convergence(log, facts, "mtlgrn")
    with atomic_path(out_model) as tmp:
        torch.save(result.model.state_dict(), tmp)
    ranked = write_predictions(table[table["fold"] == "test"].reset_index(drop=True), scores, out_predictions)
    record = write_job_metrics(
        out_metrics,
        ranked,
        dataset=dataset,
        split=split,
        method="mtlgrn",
        seed=int(seed),
        train_seconds=round(result.train_seconds, 3),
        epochs=result.epochs,
        best_val_auroc=result.best_val_auroc,
        device=device.type,
        tasks=result.tasks,
        knockout_threshold=settings.knockout_threshold,
        paper_mode=settings.paper_mode,
        **facts,
        **decision,
        **ko_fields,
    )
    log.info(
        "test auroc %.4f aupr %.4f; knockout pearson %s direction accuracy %s (%d held out)",
        record["auroc"], record["aupr"], ko_fields["knockout_pearson"],
        ko_fields["knockout_direction_accuracy"], ko_fields["knockout_n_heldout"],
    )
    return record
