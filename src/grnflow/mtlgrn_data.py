"""MTLGRN's data: knockout fold-change targets, the training-only message graph, batches.

Honesty rules: message passing uses the TRAINING positive edges only (made undirected by
adding the reverse edges; GATConv adds self loops), never validation or test pairs, and each
step hides its own positive pairs from the graph (`supervision_graph`). Knockout experiments
are held out by knocked-out gene (seeded); their samples are removed from the reconstruction
targets too so the embedding cannot memorise them. Fold change = knockout profile minus the
mean of its matched controls, in the normalized units of `results/{ds}/data/expression.tsv`
(a log-ratio when the data are log-scale); the knocked gene's own value is masked from loss
and metrics (its drop is trivial, not regulation).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from grnflow.errors import InputError
from grnflow.io import read_table
from grnflow.names import SAMPLE_COLUMNS

log = logging.getLogger("grnflow.mtlgrn")


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
    missing = [c for c in SAMPLE_COLUMNS if c not in sheet.columns]
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
        rows.index + 2, rows[SAMPLE_COLUMNS].itertuples(index=False)
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


def holdout_knockouts(knocked_genes: list[str], fraction: float, seed: int, forced=frozenset()) -> np.ndarray:
    """Boolean mask of held-out experiments: a seeded `fraction` of the knocked-out GENES
    (all their experiments together); none when fewer than two genes were knocked out.

    Genes in `forced` (the split's held-out regulators, `heldout_regulators`) are always held
    out and count towards the fraction: a model tested on a regulator's edges must not have
    trained on that regulator's knockout profile. Without forced genes the draw is unchanged.
    """
    unique = sorted(set(knocked_genes))
    forced = set(forced) & set(unique)
    if len(unique) < 2 and not forced:
        return np.zeros(len(knocked_genes), dtype=bool)
    n_hold = min(len(unique) - 1, max(1, round(fraction * len(unique))))
    rng = np.random.default_rng(seed)
    rest = [g for g in unique if g not in forced]
    held = forced | {rest[i] for i in rng.permutation(len(rest))[:max(n_hold - len(forced), 0)]}
    return np.array([g in held for g in knocked_genes], dtype=bool)


def heldout_regulators(pairs: pd.DataFrame) -> set[str]:
    """Regulators held out of training: gene_a of a val/test pair, never gene_a of a training
    pair (tf_holdout's and a user regulator list's held-out regulators; empty under `random`)."""
    train = pairs["fold"] == "train"
    return set(pairs.loc[~train, "gene_a"]) - set(pairs.loc[train, "gene_a"])


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


def pair_batches(problem: Problem, batch_size: int, device) -> list:
    """One epoch's shuffled mini-batches of training pair indices ([None] without pairs)."""
    n_train = len(problem.train[0])
    return list(torch.randperm(n_train).to(device).split(batch_size)) if n_train else [None]


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


def epoch_batches(problem: Problem, batch_size: int, device) -> list[tuple]:
    """(pair batch, knockout batch) of every step of one epoch, both shuffled by the torch RNG
    (pairs first: the checkpointed RNG state replays the same order on resume)."""
    batches = pair_batches(problem, batch_size, device)
    return list(zip(batches, knockout_batches(problem, len(batches), device)))


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
