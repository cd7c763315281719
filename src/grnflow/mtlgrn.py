"""MTLGRN: a multi-task graph attention network for GRN inference (PyTorch Geometric).

One GAT encoder turns gene features (grnflow.features) into gene embeddings, trained on
up to three tasks at once (each switchable, losses weighted):
- `link`: logit of regulator -> target from the two embeddings (dot product, or a directed
  bilinear form z_a^T W z_b), BCEWithLogitsLoss on raw logits over the training pairs.
- `knockout`: the fold change of every gene in a knockout experiment, predicted by an MLP on
  [z_gene, z_knocked_gene, control value]; MSE over training experiments.
- `reconstruction`: each gene's expression profile decoded linearly from its embedding; MSE.

Honesty rules: message passing uses the TRAINING positive edges only (made undirected by
adding the reverse edges; GATConv adds self loops), never validation or test pairs.
Knockout experiments are held out by knocked-out gene (seeded); their samples are removed
from the reconstruction targets too so the embedding cannot memorise them. Fold change =
knockout profile minus the mean of its matched controls, in the normalized units of
`results/{ds}/data/expression.tsv` (a log-ratio when the data are log-scale); the knocked
gene's own value is masked from loss and metrics (its drop is trivial, not regulation).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch_geometric.nn import GATConv

from grnflow.errors import InputError
from grnflow.io import atomic_path, read_normalized, read_table
from grnflow.metrics import auroc
from grnflow.predictions import read_pairs, write_job_metrics, write_predictions

log = logging.getLogger("grnflow.mtlgrn")

TASKS = ("link", "knockout", "reconstruction")
# Prediction scores are the raw logits (log-odds; sigmoid(score) is the edge probability), so a
# saturated sigmoid cannot tie the ranking in the written file; an edge is called at score >= 0,
# i.e. probability >= 0.5.
THRESHOLD = 0.0
DEFAULTS = {
    "hidden": 32,
    "heads": 8,
    "out": 32,
    "dropout": 0.2,
    "decoder": "dot",
    "tasks": {"link": True, "knockout": True, "reconstruction": True},
    "weights": {"link": 1.0, "knockout": 1.0, "reconstruction": 1.0},
    "learning_rate": 4e-4,
    "weight_decay": 1e-3,
    "epochs": 100,
    "patience": 10,
    "batch_size": 64,
    "knockout_holdout": 0.2,
    "knockout_threshold": 1.0,
    "knockout_hidden": 64,
}


# --------------------------------------------------------------------------- data


@dataclass
class Knockouts:
    """Knockout experiments as arrays over the gene order of the features."""

    samples: list[str]
    knocked_genes: list[str]
    knocked: np.ndarray  # (n_exp,) gene index of the knocked-out gene
    control: np.ndarray  # (n_exp, n_genes) mean of the matched controls
    target: np.ndarray  # (n_exp, n_genes) knockout profile - control mean
    mask: np.ndarray  # (n_exp, n_genes) False at the knocked gene itself

    def __len__(self) -> int:
        return len(self.samples)

    def subset(self, keep: np.ndarray) -> Knockouts:
        idx = np.flatnonzero(keep)
        return Knockouts(
            [self.samples[i] for i in idx],
            [self.knocked_genes[i] for i in idx],
            self.knocked[idx],
            self.control[idx],
            self.target[idx],
            self.mask[idx],
        )


def read_samples(path: str | Path) -> pd.DataFrame:
    """The sample sheet `results/{ds}/data/samples.tsv` (`sample knockout controls`)."""
    sheet = read_table(path, sep="tab", dtype=str, keep_default_na=False)
    missing = [c for c in ("sample", "knockout", "controls") if c not in sheet.columns]
    if missing:
        raise InputError(f"{path}: sample sheet lacks column(s) {', '.join(missing)}")
    return sheet


def knockout_targets(
    expr: pd.DataFrame, sheet: pd.DataFrame, sheet_path: str | Path = "samples.tsv"
) -> Knockouts:
    """Fold-change targets of every usable knockout row of `sheet` (genes x samples `expr`)."""
    genes = list(expr.index)
    gene_pos = {g: i for i, g in enumerate(genes)}
    col_pos = {s: i for i, s in enumerate(expr.columns)}
    rows = sheet[sheet["knockout"].str.strip() != ""]
    weights, keep, knocked = [], [], []
    skipped_gene = skipped_ctrl = 0
    for lineno, (sample, gene, controls) in zip(
        rows.index + 2, rows[["sample", "knockout", "controls"]].itertuples(index=False)
    ):
        if sample not in col_pos:
            raise InputError(
                f"{sheet_path}: line {lineno}: knockout sample {sample} is not a column of the "
                "expression matrix; the sample sheet and the expression must come from one dataset"
            )
        ctrl = [c for c in controls.split(";") if c.strip()]
        if not ctrl:
            skipped_ctrl += 1
            continue
        unknown = [c for c in ctrl if c not in col_pos]
        if unknown:
            raise InputError(
                f"{sheet_path}: line {lineno}: control sample(s) {', '.join(unknown)} of knockout "
                f"{sample} are not columns of the expression matrix"
            )
        if gene not in gene_pos:
            skipped_gene += 1
            continue
        w = np.zeros(len(col_pos))
        w[[col_pos[c] for c in ctrl]] = 1.0 / len(ctrl)
        weights.append(w)
        keep.append(sample)
        knocked.append(gene)
    if skipped_gene or skipped_ctrl:
        log.info(
            "knockouts skipped: %d whose gene is not in the expression, %d without controls",
            skipped_gene, skipped_ctrl,
        )
    values = expr.to_numpy(dtype=float)  # genes x samples
    n = len(keep)
    if n == 0:
        empty = np.zeros((0, len(genes)))
        return Knockouts([], [], np.zeros(0, dtype=np.int64), empty, empty, empty.astype(bool))
    control = np.asarray(weights) @ values.T
    observed = values[:, [col_pos[s] for s in keep]].T
    idx = np.array([gene_pos[g] for g in knocked], dtype=np.int64)
    mask = np.ones((n, len(genes)), dtype=bool)
    mask[np.arange(n), idx] = False
    return Knockouts(keep, knocked, idx, control, observed - control, mask)


def holdout_knockouts(knocked_genes: list[str], fraction: float, seed: int) -> np.ndarray:
    """Boolean mask of held-out experiments: a seeded `fraction` of the knocked-out GENES
    (all their experiments together); none when fewer than two genes were knocked out."""
    unique = sorted(set(knocked_genes))
    if len(unique) < 2:
        return np.zeros(len(knocked_genes), dtype=bool)
    n_hold = min(len(unique) - 1, max(1, round(fraction * len(unique))))
    rng = np.random.default_rng(seed)
    held = {unique[i] for i in rng.permutation(len(unique))[:n_hold]}
    return np.array([g in held for g in knocked_genes], dtype=bool)


def message_graph(a: np.ndarray, b: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Undirected edge_index (2 x E) of the positive pairs given (callers pass TRAIN pairs only)."""
    pos = np.asarray(label) == 1
    src, dst = np.asarray(a)[pos], np.asarray(b)[pos]
    keep = src != dst
    edges = np.concatenate([np.stack([src[keep], dst[keep]]), np.stack([dst[keep], src[keep]])], 1)
    if edges.size == 0:
        return np.zeros((2, 0), dtype=np.int64)
    return np.unique(edges.astype(np.int64), axis=1)


@dataclass
class Problem:
    """Everything one training job needs, as tensors on one device."""

    genes: list[str]
    x: torch.Tensor
    edge_index: torch.Tensor
    train: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
    expression: torch.Tensor  # genes x reconstruction samples
    ko_train: dict | None = None
    ko_heldout: dict | None = None
    ko_heldout_genes: list[str] = field(default_factory=list)

    def to(self, device) -> Problem:
        move = lambda t: t.to(device)  # noqa: E731
        ko = lambda d: None if d is None else {k: move(v) for k, v in d.items()}  # noqa: E731
        return Problem(
            self.genes,
            move(self.x),
            move(self.edge_index),
            tuple(map(move, self.train)),
            tuple(map(move, self.val)),
            tuple(map(move, self.test)),
            move(self.expression),
            ko(self.ko_train),
            ko(self.ko_heldout),
            self.ko_heldout_genes,
        )


def _ko_tensors(ko: Knockouts) -> dict | None:
    if len(ko) == 0:
        return None
    return {
        "knocked": torch.as_tensor(ko.knocked, dtype=torch.long),
        "control": torch.as_tensor(ko.control, dtype=torch.float32),
        "target": torch.as_tensor(ko.target, dtype=torch.float32),
        "mask": torch.as_tensor(ko.mask, dtype=torch.bool),
    }


def build_problem(
    features: pd.DataFrame,
    expr: pd.DataFrame,
    pairs: pd.DataFrame,
    knockouts: Knockouts,
    heldout: np.ndarray,
    pairs_path: str | Path = "pairs.tsv",
) -> Problem:
    """Index pairs by gene, build the training-only message graph and the task targets."""
    genes = list(features.index)
    pos = pd.Series(np.arange(len(genes)), index=genes)
    for col in ("gene_a", "gene_b"):
        unknown = ~pairs[col].isin(pos.index)
        if unknown.any():
            raise InputError(
                f"{pairs_path}: {unknown.sum()} pair(s) name genes without features "
                f"(first: {pairs[col][unknown].iloc[0]}); rerun the `features` rule on the same expression"
            )
    missing = [g for g in genes if g not in expr.index]
    if missing:
        raise InputError(
            f"gene features hold {len(missing)} gene(s) absent from the expression (first: {missing[0]}); "
            "rerun the `features` rule"
        )
    a = pos[pairs["gene_a"]].to_numpy()
    b = pos[pairs["gene_b"]].to_numpy()
    y = pairs["label"].to_numpy(dtype=np.float32)
    fold = pairs["fold"].to_numpy()

    def part(name):
        m = fold == name
        return (
            torch.as_tensor(a[m], dtype=torch.long),
            torch.as_tensor(b[m], dtype=torch.long),
            torch.as_tensor(y[m], dtype=torch.float32),
        )

    train = fold == "train"
    edge_index = message_graph(a[train], b[train], y[train])
    held_samples = set(np.asarray(knockouts.samples)[heldout]) if len(knockouts) else set()
    recon_cols = [c for c in expr.columns if c not in held_samples]
    return Problem(
        genes=genes,
        x=torch.as_tensor(features.to_numpy(dtype=np.float32)),
        edge_index=torch.as_tensor(edge_index, dtype=torch.long),
        train=part("train"),
        val=part("val"),
        test=part("test"),
        expression=torch.as_tensor(expr.loc[genes, recon_cols].to_numpy(dtype=np.float32)),
        ko_train=_ko_tensors(knockouts.subset(~heldout)) if len(knockouts) else None,
        ko_heldout=_ko_tensors(knockouts.subset(heldout)) if len(knockouts) else None,
        ko_heldout_genes=sorted(set(np.asarray(knockouts.knocked_genes)[heldout]))
        if len(knockouts)
        else [],
    )


# --------------------------------------------------------------------------- model


class MTLGRN(nn.Module):
    """GAT encoder + link, knockout and reconstruction heads."""

    def __init__(
        self,
        in_dim: int,
        n_samples: int,
        hidden: int = 32,
        heads: int = 8,
        out: int = 32,
        dropout: float = 0.2,
        decoder: str = "dot",
        knockout_hidden: int = 64,
    ):
        super().__init__()
        self.conv1 = GATConv(in_dim, hidden, heads=heads, concat=True)
        self.conv2 = GATConv(hidden * heads, out, heads=1)
        self.act = nn.LeakyReLU(0.2)
        self.dropout = nn.Dropout(dropout)
        self.decoder = decoder
        if decoder == "bilinear":
            # starts as the dot product; learns an asymmetric (directed) form
            self.bilinear = nn.Parameter(torch.eye(out))
        self.ko_gene = nn.Linear(out, knockout_hidden)
        self.ko_knocked = nn.Linear(out, knockout_hidden, bias=False)
        self.ko_control = nn.Linear(1, knockout_hidden, bias=False)
        self.ko_out = nn.Linear(knockout_hidden, 1)
        self.recon = nn.Linear(out, max(n_samples, 1))

    def encode(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        h = self.dropout(self.act(self.conv1(x, edge_index)))
        return self.act(self.conv2(h, edge_index))

    def link_logits(self, z: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Raw logits (no sigmoid) of a -> b."""
        za, zb = z[a], z[b]
        if self.decoder == "bilinear":
            za = za @ self.bilinear
        return (za * zb).sum(-1)

    def knockout(self, z: torch.Tensor, knocked: torch.Tensor, control: torch.Tensor) -> torch.Tensor:
        """Predicted fold change (n_exp x n_genes): an MLP on [z_gene, z_knocked, control value],
        its first layer split into the three parts so no (n_exp x n_genes x 2d) tensor is built."""
        h = (
            self.ko_gene(z)[None, :, :]
            + self.ko_knocked(z[knocked])[:, None, :]
            + self.ko_control(control[..., None])
        )
        return self.ko_out(self.act(h)).squeeze(-1)

    def reconstruct(self, z: torch.Tensor) -> torch.Tensor:
        return self.recon(z)


def active_tasks(tasks: dict, problem: Problem) -> list[str]:
    """Requested tasks that the data allow, in TASKS order (logged when one is switched off)."""
    active = []
    for task in TASKS:
        if not tasks.get(task, True):
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


def supervision_graph(
    edge_index: torch.Tensor, a: torch.Tensor, b: torch.Tensor, y: torch.Tensor, n_genes: int
) -> torch.Tensor:
    """`edge_index` without the edges (either direction) of the positive pairs a -> b in use."""
    pos = y == 1
    if not bool(pos.any()):
        return edge_index
    hidden = torch.cat([a[pos] * n_genes + b[pos], b[pos] * n_genes + a[pos]])
    keep = ~torch.isin(edge_index[0] * n_genes + edge_index[1], hidden)
    return edge_index[:, keep]


def compute_losses(
    model: MTLGRN,
    problem: Problem,
    tasks: list[str],
    batch: torch.Tensor | None = None,
    ko_batch: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """One forward pass; the loss of every task in `tasks` (and only those). `batch` indexes
    the training pairs of this step, `ko_batch` its training knockout experiments (all of
    them when None).

    The step's own positive pairs are hidden from the message graph (`supervision_graph`): a
    test edge is never in the graph, so a training edge must not be either while it is scored,
    else the model learns "the pair is linked in the graph" and that never transfers."""
    a, b, y = problem.train if batch is None else (t[batch] for t in problem.train)
    edge_index = problem.edge_index
    if "link" in tasks:
        edge_index = supervision_graph(edge_index, a, b, y, problem.x.shape[0])
    z = model.encode(problem.x, edge_index)
    losses = {}
    if "link" in tasks:
        losses["link"] = nn.functional.binary_cross_entropy_with_logits(model.link_logits(z, a, b), y)
    if "knockout" in tasks:
        ko = problem.ko_train
        if ko_batch is not None:
            ko = {key: value[ko_batch] for key, value in ko.items()}
        pred = model.knockout(z, ko["knocked"], ko["control"])
        losses["knockout"] = ((pred - ko["target"])[ko["mask"]] ** 2).mean()
    if "reconstruction" in tasks:
        losses["reconstruction"] = nn.functional.mse_loss(model.reconstruct(z), problem.expression)
    return losses


# --------------------------------------------------------------------------- training


def knockout_batches(problem: Problem, n_steps: int, device) -> list:
    """Training knockout experiments of each of `n_steps` steps: a shuffled epoch's worth cut
    into `n_steps` chunks (cycled when there are fewer experiments than steps), so that the
    costly knockout head sees every experiment once per epoch, not at every step."""
    if problem.ko_train is None:
        return [None] * n_steps
    n_exp = len(problem.ko_train["knocked"])
    per_step = max(1, math.ceil(n_exp / n_steps))
    order = torch.randperm(n_exp).repeat(math.ceil(per_step * n_steps / n_exp))
    return list(order[: per_step * n_steps].to(device).split(per_step))


def _signature(params: dict, seed: int, problem: Problem) -> str:
    """Fingerprint of what a checkpoint belongs to: a stale one (other config/data) is ignored."""
    h = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode())
    h.update(str(seed).encode())
    for t in (problem.x, problem.edge_index, *problem.train, *problem.val, problem.expression):
        h.update(t.detach().cpu().numpy().tobytes())
    for ko in (problem.ko_train, problem.ko_heldout):
        if ko is not None:
            h.update(ko["target"].cpu().numpy().tobytes())
    return h.hexdigest()


def _save(obj: dict, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def _rng_state(device: torch.device) -> dict:
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _set_rng_state(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["cpu"].cpu())
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"].cpu(), device)


@dataclass
class TrainResult:
    model: MTLGRN
    tasks: list[str]
    epochs: int
    best_epoch: int
    best_val_auroc: float
    train_seconds: float
    history: list[dict]


def train(
    problem: Problem,
    params: dict,
    seed: int,
    device: torch.device,
    checkpoint_dir: str | Path | None = None,
) -> TrainResult:
    """Adam on mini-batches of training pairs, early stopping on validation AUROC, resumable per epoch.

    With `checkpoint_dir`, the state after every epoch (model, optimizer, early stopping,
    RNG) is written atomically to `last.pt`; a rerun with the same config and data resumes
    from it and, on CPU, ends exactly as an uninterrupted run would.
    """
    p = {**DEFAULTS, **params}
    tasks = active_tasks(p["tasks"], problem)
    if not tasks:
        raise InputError(
            "config: mtlgrn.tasks leaves no task to train on this dataset (link needs training "
            "pairs, knockout needs knockout experiments); switch `link` or `reconstruction` on"
        )
    if "link" not in tasks:
        log.warning("link task off: scores are the untrained decoder applied to the embeddings")
    problem = problem.to(device)
    torch.manual_seed(seed)
    model = MTLGRN(
        problem.x.shape[1],
        problem.expression.shape[1],
        hidden=p["hidden"],
        heads=p["heads"],
        out=p["out"],
        dropout=p["dropout"],
        decoder=p["decoder"],
        knockout_hidden=p["knockout_hidden"],
    ).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=p["learning_rate"], weight_decay=p["weight_decay"])
    weights = {t: float(p["weights"].get(t, 1.0)) for t in TASKS}
    signature = _signature(p, seed, problem)
    state = {
        "epoch": 0,
        "best_monitor": [-math.inf, -math.inf],
        "best_val_auroc": math.nan,
        "best_epoch": 0,
        "bad_epochs": 0,
        "stopped": False,
        "train_seconds": 0.0,
        "history": [],
    }
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    ckpt = Path(checkpoint_dir) / "last.pt" if checkpoint_dir else None
    if ckpt is not None and ckpt.exists():
        saved = torch.load(ckpt, map_location=device, weights_only=True)
        if saved.get("signature") == signature:
            model.load_state_dict(saved["model"])
            optimizer.load_state_dict(saved["optimizer"])
            best_state = saved["best_state"]
            state = saved["state"]
            _set_rng_state(saved["rng"], device)
            log.info("resuming from %s after epoch %d", ckpt, state["epoch"])
        else:
            log.info("ignoring checkpoint %s: it belongs to another config or input", ckpt)

    n_pos = int((problem.train[2] == 1).sum())
    if "link" in tasks and n_pos and p["batch_size"] * 2 > len(problem.train[0]):
        log.warning(
            "batch_size %d is over half of the %d training pairs: each step hides its batch's "
            "positive edges from the message graph, so training sees few edges; lower batch_size",
            p["batch_size"], len(problem.train[0]),
        )
    val_a, val_b, val_y = problem.val
    val_labels = val_y.cpu().numpy()
    start = time.perf_counter()
    seconds_before = state["train_seconds"]
    while not state["stopped"] and state["epoch"] < p["epochs"]:
        model.train()
        # mini-batches of training pairs and, alongside, of training knockout experiments
        # (each seen once per epoch; both shuffled by the checkpointed torch RNG); every step
        # encodes the whole graph and adds the full reconstruction loss
        n_train = len(problem.train[0])
        batches = torch.randperm(n_train).to(device).split(p["batch_size"]) if n_train else [None]
        ko_batches = knockout_batches(problem, len(batches), device)
        values = dict.fromkeys(tasks, 0.0)
        total_value = 0.0
        for batch, ko_batch in zip(batches, ko_batches):
            optimizer.zero_grad()
            losses = compute_losses(model, problem, tasks, batch, ko_batch)
            total = sum(weights[t] * losses[t] for t in tasks)
            total.backward()
            optimizer.step()
            for t in tasks:
                values[t] += losses[t].item() / len(batches)
            total_value += total.item() / len(batches)
        model.eval()
        with torch.no_grad():
            z = model.encode(problem.x, problem.edge_index)
            val_auroc = auroc(val_labels, model.link_logits(z, val_a, val_b).cpu().numpy())
        epoch = state["epoch"] + 1
        # validation AUROC first, ties (e.g. a saturated 1.0) broken by the lower training loss;
        # without usable validation pairs (none, or one class) the training loss alone
        monitor = [val_auroc if math.isfinite(val_auroc) else -math.inf, -total_value]
        if monitor > state["best_monitor"]:
            state.update(best_monitor=monitor, best_val_auroc=val_auroc, best_epoch=epoch, bad_epochs=0)
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            state["bad_epochs"] += 1
        record = {"epoch": epoch, **values, "total": total_value}
        record["val_auroc"] = val_auroc
        state["history"].append(record)
        log.info(
            "epoch %d: %s total %.4f val_auroc %.4f",
            epoch, " ".join(f"{t} {v:.4f}" for t, v in values.items()), total_value, val_auroc,
        )
        state["epoch"] = epoch
        state["train_seconds"] = seconds_before + time.perf_counter() - start
        if state["bad_epochs"] >= p["patience"]:
            state["stopped"] = True
            log.info("early stopping after epoch %d (best epoch %d)", epoch, state["best_epoch"])
        if ckpt is not None:
            _save(
                {
                    "signature": signature,
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "best_state": best_state,
                    "state": state,
                    "rng": _rng_state(device),
                },
                ckpt,
            )
    model.load_state_dict(best_state)
    model.eval()
    return TrainResult(
        model,
        tasks,
        state["epoch"],
        state["best_epoch"],
        state["best_val_auroc"],
        state["train_seconds"],
        state["history"],
    )


# --------------------------------------------------------------------------- evaluation


def knockout_metrics(pred: np.ndarray, target: np.ndarray, mask: np.ndarray, threshold: float) -> dict:
    """Pearson r of predicted vs observed fold changes pooled over (experiment, gene) entries
    (knocked gene masked), and accuracy of the up / down / unchanged call at +-threshold."""
    p, t = pred[mask], target[mask]
    if p.size < 2 or np.std(p) == 0 or np.std(t) == 0:
        r = math.nan
    else:
        r = float(np.corrcoef(p, t)[0, 1])
    direction = lambda v: np.where(v >= threshold, 1, np.where(v <= -threshold, -1, 0))  # noqa: E731
    acc = float(np.mean(direction(p) == direction(t))) if p.size else math.nan
    return {"knockout_pearson": r, "knockout_direction_accuracy": acc}


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


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
    params: dict,
    threads: int = 1,
) -> dict:
    """Train MTLGRN on one split x seed and write predictions, metrics and the model."""
    torch.set_num_threads(threads)
    device = pick_device()
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True)
    log.info(
        "device: %s%s; torch threads: %d",
        device.type,
        f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "",
        threads,
    )
    p = {**DEFAULTS, **params}
    feats = read_table(features, sep="tab", dtype={"gene": str}).set_index("gene")
    expr = read_normalized(expression)
    table = read_pairs(pairs)
    sheet = read_samples(samples)
    knockouts = knockout_targets(expr, sheet, samples)
    heldout = holdout_knockouts(knockouts.knocked_genes, p["knockout_holdout"], seed)
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
    result = train(problem, p, seed, device, checkpoint_dir)
    model = result.model
    prob = problem.to(device)
    with torch.no_grad():
        z = model.encode(prob.x, prob.edge_index)
        scores = model.link_logits(z, prob.test[0], prob.test[1]).cpu().numpy().astype(np.float64)
        ko_fields = {"knockout_pearson": None, "knockout_direction_accuracy": None}
        n_held = 0
        if prob.ko_heldout is not None and heldout.any():
            ko = prob.ko_heldout
            pred = model.knockout(z, ko["knocked"], ko["control"]).cpu().numpy()
            ko_fields = knockout_metrics(
                pred, ko["target"].cpu().numpy(), ko["mask"].cpu().numpy(), p["knockout_threshold"]
            )
            n_held = int(heldout.sum())
    with atomic_path(out_model) as tmp:
        torch.save(model.state_dict(), tmp)
    test_pairs = table[table["fold"] == "test"].reset_index(drop=True)
    ranked = write_predictions(test_pairs, scores, out_predictions)
    record = write_job_metrics(
        out_metrics,
        ranked,
        dataset=dataset,
        split=split,
        method="mtlgrn",
        seed=int(seed),
        train_seconds=round(result.train_seconds, 3),
        epochs=result.epochs,
        best_epoch=result.best_epoch,
        best_val_auroc=result.best_val_auroc,
        device=device.type,
        tasks=result.tasks,
        knockout_n_heldout=n_held,
        knockout_threshold=p["knockout_threshold"],
        threshold=THRESHOLD,
        **ko_fields,
    )
    log.info(
        "test auroc %.4f aupr %.4f; knockout pearson %s direction accuracy %s (%d held out)",
        record["auroc"], record["aupr"], ko_fields["knockout_pearson"],
        ko_fields["knockout_direction_accuracy"], n_held,
    )
    return record
