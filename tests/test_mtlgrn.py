"""MTLGRN: knockout targets, leakage-free message graph, task switches, learning, resume."""

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from grnflow.errors import InputError
from grnflow.metrics import auroc
from grnflow.mtlgrn import compute_losses, knockout_metrics, run_mtlgrn
from grnflow.mtlgrn_data import (
    build_problem,
    holdout_knockouts,
    knockout_batches,
    knockout_targets,
    message_graph,
    read_samples,
    supervision_graph,
)
from grnflow.mtlgrn_model import MTLGRN
from grnflow.settings import MtlgrnSettings, from_schema

REPO = Path(__file__).resolve().parents[1]
FAST = {"epochs": 25, "patience": 25, "batch_size": 256, "learning_rate": 0.01, "hidden": 8, "heads": 2, "out": 8}


# --------------------------------------------------------------------------- a small learnable problem


def write_problem(folder: Path, n_genes: int = 60, n_clusters: int = 4, seed: int = 0) -> dict:
    """Genes in 4 clusters, features = noisy cluster one-hot (orthogonal between clusters).
    Clusters 0+1 and 2+3 form two modules: pairs across the two clusters of a module are edges,
    pairs across modules are not, so raw feature similarity says nothing (all pairs join two
    different clusters) and the model must learn the modules. Knocking a gene out lowers the
    genes of its module by 2 (normalized units). Returns the input paths."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    genes = [f"g{i:02d}" for i in range(n_genes)]
    cluster = np.arange(n_genes) % n_clusters
    module = cluster // 2
    feats = np.eye(n_clusters)[cluster] + rng.normal(0, 0.3, (n_genes, n_clusters))
    features = pd.DataFrame(feats, columns=[f"pc{i + 1}" for i in range(n_clusters)])
    features.insert(0, "gene", genes)
    features.to_csv(folder / "features.tsv", sep="\t", index=False)

    n_wt = 12
    expr = rng.normal(0, 1, (n_genes, n_wt))
    ko_genes = genes[:6]
    cols, rows = [f"wt{i}" for i in range(n_wt)], []
    sheet = [(c, "", "") for c in cols]
    for k, g in enumerate(ko_genes):
        ctrl = [f"wt{(2 * k) % n_wt}", f"wt{(2 * k + 1) % n_wt}"]
        base = expr[:, [cols.index(c) for c in ctrl]].mean(axis=1)
        fc = np.where(module == module[genes.index(g)], -2.0, 0.0) + rng.normal(0, 0.1, n_genes)
        name = f"ko_{g}"
        rows.append(base + fc)
        cols.append(name)
        sheet.append((name, g, ";".join(ctrl)))
    expr = np.column_stack([expr, *rows])
    table = pd.DataFrame(expr, columns=cols)
    table.insert(0, "gene", genes)
    table.to_csv(folder / "expression.tsv", sep="\t", index=False)
    pd.DataFrame(sheet, columns=["sample", "knockout", "controls"]).to_csv(
        folder / "samples.tsv", sep="\t", index=False
    )

    a, b = np.triu_indices(n_genes, 1)
    cross = cluster[a] != cluster[b]
    a, b = a[cross], b[cross]
    label = (module[a] == module[b]).astype(int)
    pos, neg = np.flatnonzero(label == 1), np.flatnonzero(label == 0)
    neg = rng.choice(neg, size=len(pos), replace=False)
    idx = rng.permutation(np.concatenate([pos, neg]))
    fold = np.array(["train"] * len(idx), dtype=object)
    n_test, n_val = len(idx) // 5, len(idx) // 10
    fold[:n_test] = "test"
    fold[n_test : n_test + n_val] = "val"
    pairs = pd.DataFrame(
        {
            "gene_a": np.array(genes)[a[idx]],
            "gene_b": np.array(genes)[b[idx]],
            "label": label[idx],
            "direction": label[idx],
            "fold": fold,
            "pair_class": 2,
        }
    )
    pairs.to_csv(folder / "pairs.tsv", sep="\t", index=False)
    return {k: folder / f"{k}.tsv" for k in ("features", "expression", "samples", "pairs")}


def settings(**overrides) -> MtlgrnSettings:
    """The schema's defaults with `overrides`."""
    return from_schema(MtlgrnSettings, **overrides)


def small_model(problem, **overrides) -> MTLGRN:
    """A tiny MTLGRN for `problem` (seeded by the caller)."""
    s = settings(hidden=4, heads=2, out=4, **overrides)
    return MTLGRN.from_settings(problem.x.shape[1], problem.expression.shape[1], s)


def run_job(paths: dict, out: Path, params: dict, seed: int = 0, checkpoints=True) -> dict:
    return run_mtlgrn(
        **paths,
        out_predictions=out / "pred.tsv.gz",
        out_metrics=out / "metrics.json",
        out_model=out / "model.pt",
        checkpoint_dir=out / "ckpt" if checkpoints else None,
        dataset="toy",
        split="random",
        seed=seed,
        settings=settings(**params),
        threads=1,
    )


def load_problem(paths: dict, heldout=None):
    from grnflow.io import read_normalized
    from grnflow.predictions import read_pairs

    feats = pd.read_csv(paths["features"], sep="\t", dtype={"gene": str}).set_index("gene")
    expr = read_normalized(paths["expression"])
    ko = knockout_targets(expr, read_samples(paths["samples"]), paths["samples"])
    held = np.zeros(len(ko), dtype=bool) if heldout is None else heldout
    return build_problem(feats, expr, read_pairs(paths["pairs"]), ko, held), ko, expr


# --------------------------------------------------------------------------- knockout targets


def test_knockout_targets_exact_fold_changes(tmp_path):
    expr = pd.DataFrame(
        {"c1": [1.0, 2.0, 3.0], "c2": [3.0, 4.0, 5.0], "k1": [0.0, 10.0, 4.0], "k2": [5.0, 0.0, 4.0], "k3": [0.0, 0.0, 0.0]},
        index=["A", "B", "C"],
    )
    sheet = pd.DataFrame(
        {
            "sample": ["c1", "c2", "k1", "k2", "k3"],
            "knockout": ["", "", "A", "B", "Z"],  # Z: not an expression gene -> skipped
            "controls": ["", "", "c1;c2", "c2", "c1"],
        }
    )
    ko = knockout_targets(expr, sheet)
    assert ko.samples == ["k1", "k2"]
    assert ko.knocked_genes == ["A", "B"]
    assert ko.knocked.tolist() == [0, 1]
    # k1 vs mean(c1, c2) = (2, 3, 4); k2 vs c2 = (3, 4, 5)
    np.testing.assert_array_equal(ko.control, [[2.0, 3.0, 4.0], [3.0, 4.0, 5.0]])
    np.testing.assert_array_equal(ko.target, [[-2.0, 7.0, 0.0], [2.0, -4.0, -1.0]])
    np.testing.assert_array_equal(ko.mask, [[False, True, True], [True, False, True]])


def test_knockout_targets_unknown_control_names_the_sheet(tmp_path):
    expr = pd.DataFrame({"c1": [1.0], "k1": [0.0]}, index=["A"])
    sheet = pd.DataFrame({"sample": ["c1", "k1"], "knockout": ["", "A"], "controls": ["", "c1;cX"]})
    with pytest.raises(InputError, match=r"samples.tsv: line 3: control sample\(s\) cX"):
        knockout_targets(expr, sheet, "samples.tsv")


def test_holdout_by_knocked_gene_seeded():
    genes = ["A", "A", "B", "C", "C", "D", "E"]
    held = holdout_knockouts(genes, 0.4, seed=3)
    assert held.tolist() == holdout_knockouts(genes, 0.4, seed=3).tolist()
    held_genes = {g for g, h in zip(genes, held) if h}
    assert len(held_genes) == 2  # round(0.4 * 5)
    for g in held_genes:  # every experiment of a held-out gene is held out
        assert all(h for x, h in zip(genes, held) if x == g)
    assert not holdout_knockouts(["A", "A"], 0.5, seed=0).any()  # one gene: nothing held out


def test_heldout_regulators_knockouts_never_train():
    from grnflow.mtlgrn_data import heldout_regulators

    pairs = pd.DataFrame({"gene_a": ["A", "B", "C", "D", "A"], "gene_b": ["x", "y", "z", "w", "v"],
                          "fold": ["train", "train", "test", "val", "test"]})
    assert heldout_regulators(pairs) == {"C", "D"}  # A trains too: not held out
    genes = ["A", "A", "B", "C", "C", "D", "E"]
    for seed in range(5):
        held = holdout_knockouts(genes, 0.4, seed, forced={"C", "D", "Z"})
        held_genes = {g for g, h in zip(genes, held) if h}
        assert {"C", "D"} <= held_genes and len(held_genes) == 2  # they count towards round(0.4 * 5)
    # No forced gene: the same draw as before.
    assert holdout_knockouts(genes, 0.4, 3, forced=set()).tolist() == holdout_knockouts(genes, 0.4, 3).tolist()
    assert holdout_knockouts(["A", "A"], 0.5, 0, forced={"A"}).all()


def test_knockout_metrics_exact():
    pred = np.array([[1.5, -2.0, 0.2], [0.0, 0.5, -1.2]])
    target = np.array([[2.0, -1.0, 0.0], [9.0, 0.0, -3.0]])
    mask = np.array([[True, True, True], [False, True, True]])
    m = knockout_metrics(pred, target, mask, threshold=1.0)
    p, t = pred[mask], target[mask]
    assert m["knockout_pearson"] == pytest.approx(np.corrcoef(p, t)[0, 1])
    # directions: pred (up, down, none, none, down) vs target (up, down, none, none, down)
    assert m["knockout_direction_accuracy"] == 1.0
    m = knockout_metrics(pred, target, mask, threshold=2.5)
    # pred all unchanged; target: unchanged except -3 (down) -> 4/5
    assert m["knockout_direction_accuracy"] == pytest.approx(0.8)


# --------------------------------------------------------------------------- graph and losses


def test_message_graph_training_positives_only(tmp_path):
    paths = write_problem(tmp_path)
    problem, _, _ = load_problem(paths)
    pairs = pd.read_csv(paths["pairs"], sep="\t")
    genes = pd.read_csv(paths["features"], sep="\t")["gene"].tolist()
    pos = {g: i for i, g in enumerate(genes)}
    edges = {tuple(e) for e in problem.edge_index.T.tolist()}
    as_edge = lambda r: (pos[r.gene_a], pos[r.gene_b])  # noqa: E731
    train_pos = {as_edge(r) for r in pairs[(pairs.fold == "train") & (pairs.label == 1)].itertuples()}
    expected = train_pos | {(b, a) for a, b in train_pos}
    assert edges == expected
    for fold in ("val", "test"):
        held = pairs[(pairs.fold == fold) & (pairs.label == 1)]
        assert len(held) > 0
        for r in held.itertuples():
            a, b = as_edge(r)
            assert (a, b) not in edges and (b, a) not in edges


def test_supervision_graph_hides_the_scored_positive_edges_both_ways():
    edges = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
    a, b, y = torch.tensor([0, 2, 3]), torch.tensor([1, 3, 0]), torch.tensor([1.0, 1.0, 0.0])
    kept = supervision_graph(edges, a, b, y, n_genes=4)
    assert kept.tolist() == [[1, 2], [2, 1]]  # 0-1 and 2-3 hidden; negative 3->0 is no edge anyway
    # a batch without positives leaves the graph as it is
    assert supervision_graph(edges, a[2:], b[2:], y[2:], n_genes=4) is edges


def test_message_graph_drops_self_loops_and_duplicates():
    edge_index = message_graph(np.array([0, 1, 2, 3, 0]), np.array([1, 0, 2, 1, 1]), np.array([1, 1, 1, 0, 1]))
    assert edge_index.T.tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize(
    "tasks",
    [
        ["link", "knockout", "reconstruction"],
        ["link"],
        ["knockout"],
        ["reconstruction"],
        ["link", "reconstruction"],
    ],
)
def test_each_task_switches_its_loss_term(tmp_path, tasks):
    paths = write_problem(tmp_path, n_genes=30)
    problem, _, _ = load_problem(paths)
    torch.manual_seed(0)
    model = small_model(problem)
    losses = compute_losses(model, problem, tasks)
    assert sorted(losses) == sorted(tasks)
    for t in tasks:
        assert losses[t].ndim == 0 and float(losses[t]) > 0
    # a task's gradient reaches only through its loss: the knockout head is untouched without it
    sum(losses.values()).backward()
    ko_grad = model.ko_out.weight.grad
    assert (ko_grad is not None and ko_grad.abs().sum() > 0) == ("knockout" in tasks)
    recon_grad = model.recon.weight.grad
    assert (recon_grad is not None and recon_grad.abs().sum() > 0) == ("reconstruction" in tasks)


@pytest.mark.parametrize("decoder", ["abs_dot", "dot"])
def test_link_loss_is_bce_on_raw_logits(tmp_path, decoder):
    paths = write_problem(tmp_path, n_genes=30)
    problem, _, _ = load_problem(paths)
    torch.manual_seed(0)
    model = small_model(problem, decoder=decoder)
    model.eval()
    with torch.no_grad():
        if decoder == "abs_dot":
            model.link_offset.fill_(-0.3)  # the learned offset (0 at the start) enters the logit
    loss = compute_losses(model, problem, ["link"])["link"]
    a, b, y = problem.train
    # the scored pairs' own positive edges are hidden from the message graph
    z = model.encode(problem.x, supervision_graph(problem.edge_index, a, b, y, problem.x.shape[0]))
    logits = (z[a] * z[b]).sum(-1)
    if decoder == "abs_dot":
        logits = logits.abs() - 0.3
    p = torch.sigmoid(logits)
    manual = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    assert float(loss) == pytest.approx(float(manual), rel=1e-5)


def test_heldout_knockout_samples_leave_reconstruction_targets(tmp_path):
    paths = write_problem(tmp_path, n_genes=30)
    _, ko, expr = load_problem(paths)
    held = holdout_knockouts(ko.knocked_genes, 0.34, seed=1)
    problem, _, _ = load_problem(paths, heldout=held)
    assert problem.expression.shape[1] == expr.shape[1] - held.sum()
    assert problem.ko_heldout["target"].shape[0] == held.sum()
    assert problem.ko_train["target"].shape[0] == len(ko) - held.sum()


def test_no_knockouts_switch_the_task_off(tmp_path, caplog):
    paths = write_problem(tmp_path, n_genes=30)
    sheet = pd.read_csv(paths["samples"], sep="\t", keep_default_na=False)
    sheet["knockout"] = ""
    sheet["controls"] = ""
    sheet.to_csv(paths["samples"], sep="\t", index=False)
    with caplog.at_level(logging.INFO):
        record = run_job(paths, tmp_path / "out", {**FAST, "epochs": 3}, checkpoints=False)
    assert "task knockout: off" in caplog.text
    assert record["tasks"] == ["link", "reconstruction"]
    assert record["knockout_pearson"] is None and record["knockout_n_heldout"] == 0


# --------------------------------------------------------------------------- learning, device, outputs


def test_learns_small_problem_and_logs_cpu(tmp_path, caplog):
    paths = write_problem(tmp_path)
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO):
        record = run_job(paths, out, FAST)
    assert "device: cpu" in caplog.text
    assert f"epoch 1/{FAST['epochs']}: link" in caplog.text and "val_auroc" in caplog.text
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["device"] == "cpu" and metrics["method"] == "mtlgrn"
    assert metrics["tasks"] == ["link", "knockout", "reconstruction"]
    assert metrics["auroc"] > 0.85, metrics
    # the same model untrained (learning rate ~0) is at chance on this problem
    untrained = run_job(paths, tmp_path / "untrained", {**FAST, "epochs": 1, "learning_rate": 1e-12})
    assert abs(untrained["auroc"] - 0.5) < 0.15, untrained
    assert metrics["knockout_n_heldout"] == 1  # round(0.2 * 6 knocked genes), one experiment each
    assert metrics["knockout_pearson"] > 0.5, metrics
    assert 1 <= metrics["best_epoch"] <= metrics["epochs"] <= FAST["epochs"]
    pred = pd.read_csv(out / "pred.tsv.gz", sep="\t")
    pairs = pd.read_csv(paths["pairs"], sep="\t")
    assert len(pred) == (pairs.fold == "test").sum()
    assert pred["score"].is_monotonic_decreasing
    # scores are raw logits; an edge is called at score >= the threshold chosen on the
    # validation pairs (max F1); the fixed cut 0 (probability 0.5) is kept as the fallback
    assert metrics["threshold_rule"] == "val_max_f1" and metrics["default_threshold"] == 0.0
    assert np.isfinite(metrics["threshold"]) and 0 < metrics["val_f1"] <= 1
    # no saturation: a sigmoid near 0 or 1 would tie most scores; two pairs may still agree to
    # the 6 significant digits written (this problem's clusters give near-equal embeddings)
    assert np.isfinite(pred["score"]).all() and pred["score"].nunique() >= 0.97 * len(pred)
    state = torch.load(out / "model.pt", weights_only=True)
    assert "conv1.lin.weight" in state or any(k.startswith("conv1.") for k in state)
    assert record["auroc"] == metrics["auroc"]


def test_abs_dot_decoder_scores_repressed_targets_the_dot_decoder_cannot():
    """A regulator's activated targets share its feature direction u, its repressed targets
    point the other way (-u), non-targets are orthogonal. Trained on the same pairs, the
    sign-invariant decoder ranks held-out repressed targets above non-targets; the dot decoder
    (the control that makes this test able to fail) ranks them clearly worse."""
    rng = np.random.default_rng(0)
    dim, n_side = 12, 12
    u = np.eye(dim)[0]
    others = np.eye(dim)[1:]
    act = u + 0.3 * rng.normal(size=(n_side, dim))
    rep = -u + 0.3 * rng.normal(size=(n_side, dim))
    non = others[rng.integers(0, dim - 1, 2 * n_side)] + 0.3 * rng.normal(size=(2 * n_side, dim))
    x = torch.as_tensor(np.vstack([u, act, rep, non]), dtype=torch.float32)
    act_i, rep_i, non_i = (torch.arange(s, s + k) for s, k in ((1, n_side), (1 + n_side, n_side), (1 + 2 * n_side, 2 * n_side)))
    half = n_side // 2  # train on half of each group, test on the rest
    targets = torch.cat([act_i[:half], rep_i[:half], non_i[:n_side]])
    y = torch.cat([torch.ones(2 * half), torch.zeros(n_side)])
    no_edges = torch.zeros((2, 0), dtype=torch.long)
    margin = {}  # AUROC of held-out repressed targets against held-out non-targets
    for decoder in ("abs_dot", "dot"):
        torch.manual_seed(0)
        model = MTLGRN(dim, 1, hidden=8, heads=2, out=8, dropout=0.0, decoder=decoder, knockout_hidden=4)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        for _ in range(200):
            optimizer.zero_grad()
            logits = model.decode(model.encode(x, no_edges), torch.zeros_like(targets), targets)
            torch.nn.functional.binary_cross_entropy_with_logits(logits, y).backward()
            optimizer.step()
        with torch.no_grad():
            z = model.encode(x, no_edges)
            score = model.decode_all(z, torch.tensor([0]))[0]
            torch.testing.assert_close(score[rep_i], model.decode(z, torch.zeros_like(rep_i), rep_i), rtol=1e-4, atol=1e-4)
        held_out = torch.cat([rep_i[half:], non_i[n_side:]])
        labels = np.r_[np.ones(n_side - half), np.zeros(n_side)]
        margin[decoder] = auroc(labels, score[held_out].numpy())  # repressed vs non-targets
    assert margin["abs_dot"] >= 0.9 and margin["abs_dot"] - margin["dot"] >= 0.2, margin  # 0.94 vs 0.71


def test_bilinear_decoder_learns_direction_the_dot_decoder_cannot():
    """Pairs a -> b are edges and their reverses b -> a are not: only a directed decoder can
    score them apart. After training, the bilinear decoder ranks every a -> b above its b -> a;
    the dot decoder scores both exactly alike (the control that makes this test able to fail)."""
    rng = np.random.default_rng(0)
    n, pairs = 16, set()
    while len(pairs) < 20:
        i, j = sorted(int(v) for v in rng.choice(16, 2, replace=False))
        pairs.add((i, j))
    a, b = (torch.tensor(v) for v in zip(*sorted(pairs)))
    src, dst = torch.cat([a, b]), torch.cat([b, a])
    y = torch.cat([torch.ones(len(a)), torch.zeros(len(a))])
    x, no_edges = torch.as_tensor(rng.normal(size=(n, 6)), dtype=torch.float32), torch.zeros((2, 0), dtype=torch.long)
    gap = {}
    for decoder in ("dot", "bilinear"):
        torch.manual_seed(0)
        model = MTLGRN(6, 1, hidden=8, heads=2, out=8, dropout=0.0, decoder=decoder, knockout_hidden=4)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        for _ in range(300):
            optimizer.zero_grad()
            logits = model.decode(model.encode(x, no_edges), src, dst)
            nn_loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
            nn_loss.backward()
            optimizer.step()
        with torch.no_grad():
            z = model.encode(x, no_edges)
            gap[decoder] = model.decode(z, a, b) - model.decode(z, b, a)
            everything = model.decode_all(z)
        # decode_all is decode for every pair at once (row = regulator)
        torch.testing.assert_close(everything[a, b], model.decode(z, a, b), rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(model.decode_all(z, a[:3]), everything[a[:3]], rtol=1e-4, atol=1e-4)
    assert torch.equal(gap["dot"], torch.zeros_like(gap["dot"]))
    assert (gap["bilinear"] > 0).all(), gap["bilinear"]
    assert float(gap["bilinear"].mean()) > 2.0


# --------------------------------------------------------------------------- kill and resume

KILL_EPOCH = 5
CHILD = textwrap.dedent(
    """
    import json, logging, signal, sys
    logging.basicConfig(level=logging.INFO)
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    import grnflow.mtlgrn as m
    from test_mtlgrn import run_job
    paths = json.loads(sys.argv[1]); out = Path(sys.argv[2]); hold = sys.argv[3] == "hold"
    params = json.loads(sys.argv[4])
    if hold:  # stop after the checkpoint of epoch {kill_epoch} and wait there to be killed
        save = m.save
        def save_and_hold(checkpoint, model, optimizer, best_state, state, device):
            save(checkpoint, model, optimizer, best_state, state, device)
            if state.epoch == {kill_epoch}:
                signal.pause()
        m.save = save_and_hold
    run_job({{k: Path(v) for k, v in paths.items()}}, out, params)
    """
)


def _child(script, paths, out, mode, params):
    args = [sys.executable, str(script), json.dumps({k: str(v) for k, v in paths.items()}), str(out), mode]
    env = dict(os.environ, PYTHONHASHSEED="0")
    return subprocess.Popen([*args, json.dumps(params)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def checkpoint_epoch(path: Path) -> int:
    """Epoch of a checkpoint file, 0 when it does not exist yet."""
    return torch.load(path, weights_only=True)["state"]["epoch"] if path.exists() else 0


@pytest.mark.slow  # two subprocesses that import torch: ~25 s on a loaded 2-core box
def test_kill_and_resume_gives_identical_metrics(tmp_path):
    paths = write_problem(tmp_path / "data", n_genes=30)
    params = {**FAST, "epochs": 25, "patience": 25}
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(tests=str(REPO / "tests"), kill_epoch=KILL_EPOCH))

    killed = tmp_path / "killed"
    proc = _child(script, paths, killed, "hold", params)
    ckpt = killed / "ckpt" / "last.pt"
    deadline = time.monotonic() + 180  # poll for the checkpoint of epoch KILL_EPOCH
    while checkpoint_epoch(ckpt) < KILL_EPOCH:
        assert proc.poll() is None, f"child ended before it could be killed:\n{proc.stdout.read()}"
        assert time.monotonic() < deadline, f"no checkpoint of epoch {KILL_EPOCH} within 180 s"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (killed / "metrics.json").exists()
    assert checkpoint_epoch(ckpt) == KILL_EPOCH

    resumed = _child(script, paths, killed, "run", params)
    log_resumed, _ = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, log_resumed
    assert f"resuming from {ckpt} after epoch {KILL_EPOCH}" in log_resumed

    whole = tmp_path / "whole"  # uninterrupted, in this process (same threads, same seed)
    run_job(paths, whole, params)

    a = json.loads((killed / "metrics.json").read_text())
    b = json.loads((whole / "metrics.json").read_text())
    for d in (a, b):
        d.pop("train_seconds")
    assert a == b
    assert (killed / "pred.tsv.gz").read_bytes() == (whole / "pred.tsv.gz").read_bytes()
    sa = torch.load(killed / "model.pt", weights_only=True)
    sb = torch.load(whole / "model.pt", weights_only=True)
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.fixture(scope="module")
def finished_job(tmp_path_factory):
    """A 3-epoch job run to its end: inputs, its metrics and its final checkpoint file."""
    root = tmp_path_factory.mktemp("finished")
    paths = write_problem(root / "data", n_genes=30)
    params = {**FAST, "epochs": 3}
    metrics = run_job(paths, root / "out", params)
    metrics.pop("train_seconds")
    return paths, params, metrics, root / "out" / "ckpt" / "last.pt"


def _corrupt(kind: str, good: Path, path: Path) -> None:
    """Write a checkpoint of `kind` that cannot be restored to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = good.read_bytes()
    if kind in ("empty", "truncated", "garbage", "text"):
        content = {"empty": b"", "truncated": data[: len(data) // 2],
                   "garbage": np.random.default_rng(0).bytes(4096), "text": b"not a checkpoint\n"}[kind]
        path.write_bytes(content)
        return
    if kind == "pickle":  # a plain pickle of a class weights_only loading refuses
        import pickle

        path.write_bytes(pickle.dumps(SimpleNamespace(state=1)))
        return
    saved = torch.load(good, weights_only=True)
    if kind == "model_shape":
        saved["model"]["recon.weight"] = torch.zeros(3, 3)
    elif kind == "model_keys":
        saved["best_state"]["extra.weight"] = torch.zeros(1)
    elif kind == "optimizer_shape":  # found only after the model was loaded: the job rebuilds it
        saved["optimizer"]["state"][0]["exp_avg"] = torch.zeros(2)
    elif kind == "state":
        saved["state"] = {"epoch": "three"}
    torch.save(saved, path)


@pytest.mark.parametrize(
    "kind", ["empty", "truncated", "garbage", "text", "pickle", "model_shape", "model_keys", "optimizer_shape", "state"]
)
def test_unreadable_checkpoint_warns_and_trains_from_the_start(finished_job, tmp_path, caplog, kind):
    paths, params, clean, good = finished_job
    out = tmp_path / "out"
    _corrupt(kind, good, out / "ckpt" / "last.pt")
    with caplog.at_level(logging.INFO):
        record = run_job(paths, out, params)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"ignoring unreadable checkpoint {out / 'ckpt' / 'last.pt'}" in w for w in warnings), warnings
    assert "resuming from" not in caplog.text
    record.pop("train_seconds")
    assert record == clean  # exactly the run without a checkpoint
    assert checkpoint_epoch(out / "ckpt" / "last.pt") == params["epochs"]


def test_stale_checkpoint_of_other_config_is_ignored(tmp_path, caplog):
    paths = write_problem(tmp_path / "data", n_genes=30)
    out = tmp_path / "out"
    run_job(paths, out, {**FAST, "epochs": 3})
    with caplog.at_level(logging.INFO):
        record = run_job(paths, out, {**FAST, "epochs": 4})
    assert "ignoring checkpoint" in caplog.text
    assert record["epochs"] == 4


# --------------------------------------------------------------------------- the real workflow


@pytest.mark.slow
def test_workflow_mtlgrn_on_tiny_demo(tmp_path):
    from helpers import run_workflow, tiny_config

    config = tiny_config(splits=["random"], methods=["mtlgrn"], mtlgrn={"epochs": 5, "kmer": 4})
    targets = [
        "results/demo/metrics/mtlgrn/random/seed0.json",
        "results/demo/predictions/mtlgrn/random/seed0.tsv.gz",
        "results/demo/models/mtlgrn/random/seed0/model.pt",
    ]
    run_workflow(tmp_path, config, targets)
    metrics = json.loads((tmp_path / targets[0]).read_text())
    assert metrics["method"] == "mtlgrn" and metrics["device"] == "cpu"
    assert metrics["tasks"] == ["link", "knockout", "reconstruction"]
    assert metrics["knockout_n_heldout"] > 0 and metrics["knockout_pearson"] is not None
    assert metrics["epochs"] <= 5
    pairs = pd.read_csv(tmp_path / "results/demo/pairs/random/seed0.tsv", sep="\t")
    pred = pd.read_csv(tmp_path / targets[1], sep="\t")
    assert len(pred) == (pairs["fold"] == "test").sum()
    assert metrics["n_pos"] + metrics["n_neg"] == len(pred)
    features = pd.read_csv(tmp_path / "results/demo/mtlgrn/features.tsv", sep="\t")
    expression = pd.read_csv(tmp_path / "results/demo/data/expression.tsv", sep="\t")
    assert features.iloc[:, 0].tolist() == expression.iloc[:, 0].tolist()
    feature_log = (tmp_path / "logs/demo/features.log").read_text()
    assert "k-mer features: k=4" in feature_log and "gene-table features" in feature_log
    job_log = (tmp_path / "logs/demo/mtlgrn/random/seed0.log").read_text()
    assert "device: cpu" in job_log and "epoch 1/5: link" in job_log
    assert (tmp_path / "results/demo/checkpoints/mtlgrn/random/seed0/last.pt").exists()


@pytest.mark.slow
def test_learns_on_demo(demo_run):
    """With the tiny demo's mtlgrn settings (tests/helpers.TINY_CONFIG), the real workflow
    trains MTLGRN above chance on the random split. Measured test AUROC on pair seeds 0-4
    (2026-11-22, 2-core CPU): 0.69, 0.71, 0.63, 0.62, 0.64 (untrained-shortcut version:
    0.47 on seed 0); the margin 0.1 sits below the worst seed. The job is the session's
    `demo_run` one (TINY_CONFIG, random split, seed 0): the same job a run of that config
    restricted to mtlgrn and the random split would make, without a second run."""
    target = "results/demo/metrics/mtlgrn/random/seed0.json"
    metrics = json.loads((demo_run / target).read_text())
    assert metrics["tasks"] == ["link", "knockout", "reconstruction"]
    assert metrics["threshold_rule"] == "val_max_f1" and metrics["n_pos"] > 0 and metrics["n_neg"] > 0
    assert metrics["auroc"] >= 0.5 + 0.1, metrics


def test_knockout_batches_cover_every_experiment_once_per_epoch():
    torch.manual_seed(0)
    problem = SimpleNamespace(ko_train={"knocked": torch.arange(10)})
    chunks = knockout_batches(problem, 4, "cpu")
    assert len(chunks) == 4 and all(len(c) == 3 for c in chunks)  # ceil(10 / 4) per step
    seen = torch.cat(chunks).tolist()
    assert set(seen) == set(range(10))  # every experiment at least once
    few = knockout_batches(SimpleNamespace(ko_train={"knocked": torch.arange(2)}), 5, "cpu")
    assert len(few) == 5 and all(len(c) == 1 for c in few)  # cycled: one per step
    assert knockout_batches(SimpleNamespace(ko_train=None), 3, "cpu") == [None, None, None]


# --------------------------------------------------------------------------- paper mode


def test_paper_mode_builds_the_seeds_network():
    from torch_geometric.nn import GATConv

    from grnflow.settings import effective

    default = MTLGRN.from_settings(20, 12, settings())
    paper = MTLGRN.from_settings(20, 12, settings(paper_mode=True))
    for model in (default, paper):  # the same GAT encoder (the seed's: 8 heads concat, then 1)
        assert isinstance(model.conv1, GATConv) and isinstance(model.conv2, GATConv)
        assert (model.conv1.heads, model.conv1.concat, model.conv2.heads) == (8, True, 1)
        assert isinstance(model.act, torch.nn.LeakyReLU) and model.act.negative_slope == 0.2
    # knockout MLP: grnflow 64 units with LeakyReLU 0.2, the seed 128 with ReLU
    assert default.ko_gene.out_features == 64 and isinstance(default.ko_act, torch.nn.LeakyReLU)
    assert paper.ko_gene.out_features == 128 and type(paper.ko_act) is torch.nn.ReLU
    # link decoder: the seed's dot product of LeakyReLU embeddings; grnflow's |z_a . z_b| + c of
    # linear embeddings (a repressed target scores like an activated one)
    assert (paper.decoder, paper.linear_embedding, hasattr(paper, "link_offset")) == ("dot", False, False)
    assert (default.decoder, default.linear_embedding) == ("abs_dot", True)
    x, edges = torch.randn(5, 20), torch.zeros((2, 0), dtype=torch.long)
    with torch.no_grad():
        for model, last in ((paper, paper.act), (default, torch.nn.Identity())):
            model.eval()
            hidden = model.act(model.conv1(x, edges))
            torch.testing.assert_close(model.encode(x, edges), last(model.conv2(hidden, edges)))
    # features: the seed's k-mers are counted on the forward strand, without an expression block
    # (rule `features`)
    assert effective(settings(paper_mode=True)).kmer_strands == "forward"
    assert effective(settings()).kmer_strands == "both"
    assert effective(settings(paper_mode=True)).expression_weight == 0
    assert effective(settings()).expression_weight > 0


def test_paper_mode_takes_one_full_batch_step_per_epoch(tmp_path, monkeypatch):
    import grnflow.mtlgrn as trainer

    paths = write_problem(tmp_path)
    steps = []
    real = trainer.compute_losses

    def counting(model, problem, tasks, batch=None, ko_batch=None, hide=True):
        steps.append((len(batch), hide))
        return real(model, problem, tasks, batch, ko_batch, hide)

    monkeypatch.setattr(trainer, "compute_losses", counting)
    run_job(paths, tmp_path / "paper", {**FAST, "epochs": 2, "patience": 5, "batch_size": 16, "paper_mode": True})
    n_train = (pd.read_csv(paths["pairs"], sep="\t")["fold"] == "train").sum()
    assert steps == [(n_train, False)] * 2  # the seed: every training edge in one step, on the full graph
    steps.clear()
    run_job(paths, tmp_path / "default", {**FAST, "epochs": 1, "batch_size": 16})
    assert len(steps) == -(-n_train // 16) and all(hide for _, hide in steps)
