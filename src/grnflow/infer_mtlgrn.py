"""MTLGRN's final model: genome-wide ranking and in-silico knockouts (rule `infer_mtlgrn`).

The final model is trained like an evaluation run (same settings, early stopping on the val
fold) on the final pair table (every reference edge in train or val) with EVERY measured
knockout in its knockout task. The graph is encoded once; the link decoder then scores all
candidates as one regulators x genes product (no pair list), and the knockout head predicts
the change of every gene when each regulator of the TF list is knocked out, from the mean
wild-type profile: `knockouts_seed<s>.tsv.gz`, one row per regulator, one column per gene.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from grnflow.infer import Candidates, make_candidates, write_ranking_job
from grnflow.io import read_gene_list, read_normalized, read_table, write_tsv

log = logging.getLogger(__name__)

KO_CHUNK = 16  # regulators per knockout-head call (its hidden layer is chunk x genes x hidden)


def decode_all(model, z, cands: Candidates, gene_rows: np.ndarray):
    """Link logits of every candidate, regulators x genes (candidate order), in one product."""
    import torch

    with torch.no_grad():
        regulators = torch.as_tensor(gene_rows[cands.reg_pos], device=z.device)
        logits = model.decode_all(z, regulators)[:, torch.as_tensor(gene_rows, device=z.device)]
        return logits.cpu().numpy().astype(np.float64)


def wild_type_mean(expr: pd.DataFrame, sheet: pd.DataFrame) -> np.ndarray:
    """Mean profile over the samples that are no knockout (the in-silico control)."""
    knocked = set(sheet.loc[sheet["knockout"].str.strip() != "", "sample"])
    wild = [c for c in expr.columns if c not in knocked] or list(expr.columns)
    return expr[wild].to_numpy(dtype=float).mean(axis=1)


def in_silico_knockouts(model, z, knocked_rows: np.ndarray, control: np.ndarray,
                        chunk: int = KO_CHUNK) -> np.ndarray:
    """Predicted change of every gene (columns, z order) for each knocked row of z."""
    import torch

    out = np.zeros((len(knocked_rows), z.shape[0]))
    ctrl = torch.as_tensor(control, dtype=torch.float32, device=z.device)
    with torch.no_grad():
        for start in range(0, len(knocked_rows), chunk):
            rows = torch.as_tensor(knocked_rows[start : start + chunk], device=z.device)
            pred = model.knockout(z, rows, ctrl.expand(len(rows), -1))
            out[start : start + len(rows)] = pred.cpu().numpy()
    return out


def run_infer_mtlgrn(features: str | Path, expression: str | Path, samples: str | Path,
                     tfs: str | Path, network: str | Path, pairs: str | Path,
                     out_ranking: str | Path, out_knockouts: str | Path, out_model: str | Path,
                     checkpoint_dir: str | Path, seed: int, settings, threads: int = 1,
                     names: str | Path | None = None) -> dict:
    """Train the final MTLGRN model of one seed (`settings`: grnflow.settings.MtlgrnSettings,
    the evaluation runs' own); rank every candidate; knock out every TF."""
    import torch

    from grnflow.io import atomic_path
    from grnflow.mtlgrn import CHECKPOINT_NAME, pick_device, train
    from grnflow.mtlgrn_data import build_problem, knockout_targets, read_samples
    from grnflow.predictions import read_pairs
    from grnflow.train_core import remove_checkpoint

    device = pick_device(threads)
    feats = read_table(features, sep="tab", dtype={"gene": str}).set_index("gene")
    expr = read_normalized(expression)
    sheet = read_samples(samples)
    knockouts = knockout_targets(expr, sheet, samples)
    problem = build_problem(feats, expr, read_pairs(pairs), knockouts,
                            np.zeros(len(knockouts), dtype=bool), pairs)
    log.info("final model: %d train / %d val pairs, %d knockout experiments (all in training), "
             "device %s", len(problem.train[0]), len(problem.val[0]), len(knockouts), device.type)
    result = train(problem, settings, seed, device, checkpoint_dir)
    model = result.model.eval()
    with atomic_path(out_model) as tmp:
        torch.save(model.state_dict(), tmp)

    prob = problem.to(device)
    cands = make_candidates(expr.index, read_gene_list(tfs))
    gene_rows = pd.Index(problem.genes).get_indexer(cands.genes)
    start = time.perf_counter()
    with torch.no_grad():
        z = model.encode(prob.x, prob.edge_index)
    scores = decode_all(model, z, cands, gene_rows)
    log.info("encoded the graph and decoded %d candidates in %.2f s", cands.n, time.perf_counter() - start)
    write_ranking_job(scores, cands, network, out_ranking, names)

    knocked = gene_rows[cands.reg_pos]
    if "knockout" in result.tasks:
        control = wild_type_mean(expr.loc[problem.genes], sheet)
        change = in_silico_knockouts(model, z, knocked, control)[:, gene_rows]
    else:
        log.warning("the knockout task did not run (no knockout experiments, or mtlgrn.tasks."
                    "knockout: false): the knockout table holds no predictions")
        change = np.full((len(knocked), len(cands.genes)), np.nan)
    table = pd.DataFrame(change, index=pd.Index(cands.regulators, name="regulator"), columns=cands.genes)
    write_tsv(table.reset_index(), out_knockouts, float_format="%.5g")
    remove_checkpoint(Path(checkpoint_dir) / CHECKPOINT_NAME)
    return {"epochs": result.epochs, "tasks": result.tasks}


def mean_knockouts(paths: list[str | Path], out: str | Path) -> pd.DataFrame:
    """The seeds' in-silico knockout tables averaged (rule `infer_knockouts`)."""
    tables = [read_table(p, sep="tab", dtype={"regulator": str}).set_index("regulator") for p in paths]
    mean = sum(tables) / len(tables)
    write_tsv(mean.reset_index(), out, float_format="%.5g")
    return mean
