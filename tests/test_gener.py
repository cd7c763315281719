"""GENER: architecture, learning on a synthetic problem, direction mode, kill-and-resume."""

from __future__ import annotations

import gzip
import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from grnflow.errors import InputError  # noqa: E402
from grnflow.gener import CHECKPOINT_NAME, fit_gener, run_gener  # noqa: E402
from grnflow.gener_data import PairBatches, epoch_order, load_expression, pair_indices  # noqa: E402
from grnflow.gener_model import build_model  # noqa: E402
from grnflow.settings import GenerSettings, from_schema  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def settings(**overrides) -> GenerSettings:
    """The schema's defaults with `overrides`."""
    return from_schema(GenerSettings, **overrides)


def architecture(**overrides) -> dict:
    s = settings(**overrides)
    return dict(classes=s.classes, ff_units=s.ff_units, conv_filters=s.conv_filters,
                conv_dense=s.conv_dense, dropout=s.dropout)


def make_problem(folder: Path, n_genes=160, n_regulators=16, n_samples=30, noise=0.8, seed=0, direction=False):
    """Expression where each non-regulator gene follows one regulator (plus noise), and a pair
    table in the `pairs` contract format: regulator->target edges vs random non-edges
    (and, with `direction`, the reversed edges as direction-2 pairs)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_genes, n_samples))
    regulator_of = rng.integers(0, n_regulators, size=n_genes)
    sign = rng.choice([-1.0, 1.0], size=n_genes)
    for g in range(n_regulators, n_genes):
        x[g] = sign[g] * np.tanh(1.5 * x[regulator_of[g]]) + noise * rng.normal(size=n_samples)
    x = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
    genes = [f"G{i:03d}" for i in range(n_genes)]
    expression = pd.DataFrame(x, columns=[f"S{j}" for j in range(n_samples)])
    expression.insert(0, "gene", genes)

    edges = {(int(regulator_of[g]), g) for g in range(n_regulators, n_genes)}
    rows = [(r, t, 1, 1) for r, t in sorted(edges)]
    if direction:
        rows += [(t, r, 0, 2) for r, t in sorted(edges)]
    while len(rows) < 4 * len(edges):
        a, b = (int(v) for v in rng.integers(0, n_genes, size=2))
        if a != b and (a, b) not in edges and (b, a) not in edges:
            rows.append((a, b, 0, 0))
    rows = [rows[i] for i in rng.permutation(len(rows))]
    n = len(rows)
    fold = np.where(np.arange(n) < 0.6 * n, "train", np.where(np.arange(n) < 0.8 * n, "val", "test"))
    pairs = pd.DataFrame(
        {
            "gene_a": [genes[r[0]] for r in rows],
            "gene_b": [genes[r[1]] for r in rows],
            "label": [r[2] for r in rows],
            "direction": [r[3] for r in rows],
            "fold": fold,
            "pair_class": 2,
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    expression.to_csv(folder / "expression.tsv", sep="\t", index=False)
    pairs.to_csv(folder / "pairs.tsv", sep="\t", index=False)
    return folder / "expression.tsv", folder / "pairs.tsv"


def job_paths(folder: Path) -> dict:
    return dict(
        out_predictions=folder / "predictions.tsv.gz",
        out_metrics=folder / "metrics.json",
        out_model=folder / "model.keras",
        checkpoint_dir=folder / "checkpoints",
    )


def test_layer_shapes_and_exact_parameter_count():
    L = 10
    model = build_model(L, **architecture())
    shape = {layer.name: tuple(layer.output.shape) for layer in model.layers}
    assert shape["stack"] == (None, 2, L, 1)
    assert shape["conv1"] == (None, 1, L - 1, 16)  # 'valid' 2x2 kernel on the 2 x L image
    assert shape["conv2"] == (None, 1, L - 1, 8)
    assert shape["flatten"] == (None, 8 * (L - 1))
    assert shape["conv_dense"] == (None, 32)
    assert shape["product"] == (None, L)
    assert shape["ff_dense2"] == (None, 256)
    assert shape["fusion"] == (None, 256 + 32)
    assert shape["classes"] == (None, 2)
    # By hand: dense = in*out + out, conv = kh*kw*in*out + out, batch norm = 4 per channel.
    ff = (L * 256 + 256) + 4 * 256 + (256 * 256 + 256) + 4 * 256  # 70,656
    cnn = (2 * 2 * 1 * 16 + 16) + 4 * 16 + (1 * 1 * 16 * 8 + 8) + 4 * 8  # 312
    cnn += (8 * (L - 1) * 32 + 32) + 4 * 32  # 2,464
    head = 288 * 2 + 2
    assert ff + cnn + head == 74_010
    assert model.count_params() == 74_010
    direction = build_model(L, **architecture(classes="direction"))
    assert tuple(direction.output.shape) == (None, 3)
    assert direction.count_params() == 74_010 + 289


def test_pair_batches_gather_rows_without_materialising(tmp_path):
    matrix = np.arange(12, dtype=np.float32).reshape(4, 3)
    ia, ib, y = np.array([0, 3, 2]), np.array([1, 1, 0]), np.array([1, 0, 1])
    batches = list(PairBatches(matrix, threads=1).dataset(ia, ib, y, batch_size=2, order=np.array([2, 0, 1])))
    (x0, y0), (x1, y1) = batches
    np.testing.assert_array_equal(x0["a"].numpy(), matrix[[2, 0]])
    np.testing.assert_array_equal(x0["b"].numpy(), matrix[[0, 1]])
    np.testing.assert_array_equal(y0.numpy(), [1, 1])
    np.testing.assert_array_equal(x1["a"].numpy(), matrix[[3]])
    np.testing.assert_array_equal(y1.numpy(), [0])
    # The shuffle depends on (seed, epoch) only.
    np.testing.assert_array_equal(epoch_order(50, 3, 7), epoch_order(50, 3, 7))
    assert not np.array_equal(epoch_order(50, 3, 7), epoch_order(50, 3, 8))


def test_epoch_stream_is_the_per_epoch_datasets_back_to_back():
    """`fit()` reads epochs first..last-1 from one stream: batch for batch what one pass per
    epoch in `epoch_order(n, seed, epoch)` gives, from whichever epoch it starts."""
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(9, 4)).astype(np.float32)
    ia, ib, y = rng.integers(0, 9, 7), rng.integers(0, 9, 7), rng.integers(0, 2, 7)
    batches = PairBatches(matrix, threads=1)
    stream = list(batches.epochs(ia, ib, y, batch_size=3, seed=4, first=2, last=5))
    expected = [b for e in (2, 3, 4) for b in batches.dataset(ia, ib, y, batch_size=3, order=epoch_order(7, 4, e))]
    assert len(stream) == len(expected) == 9  # 3 epochs x ceil(7 / 3) batches
    for (x, t), (x0, t0) in zip(stream, expected):
        np.testing.assert_array_equal(x["a"].numpy(), x0["a"].numpy())
        np.testing.assert_array_equal(x["b"].numpy(), x0["b"].numpy())
        np.testing.assert_array_equal(t.numpy(), t0.numpy())


def test_bad_inputs_name_the_file_and_the_problem(tmp_path):
    expr = tmp_path / "expression.tsv"
    expr.write_text("gene\tS1\tS2\nA\t1.0\t2.0\nB\t0.5\t\n")
    with pytest.raises(InputError, match=r"expression.tsv: missing or infinite value for gene B in sample S2"):
        load_expression(expr)
    expr.write_text("gene\tS1\tS2\nA\t1.0\t2.0\nB\t0.5\t1.0\n")
    genes, _ = load_expression(expr)
    pairs = pd.DataFrame({"gene_a": ["A", "C"], "gene_b": ["B", "A"]})
    with pytest.raises(InputError, match=r"pairs.tsv: 1 gene\(s\) .* not in the expression matrix \(first: C\)"):
        pair_indices(pairs, genes, "pairs.tsv")


def test_learns_a_synthetic_regulation_problem_on_cpu(tmp_path, caplog):
    expression, pairs = make_problem(tmp_path / "data")
    out = job_paths(tmp_path / "job")
    with caplog.at_level(logging.INFO, logger="grnflow"):
        record = run_gener(
            expression, pairs, dataset="toy", split="random", seed=0,
            settings=settings(epochs=8, batch_size=32), threads=2, **out
        )
    assert record["auroc"] > 0.75, record
    assert record["device"] == "cpu"
    assert "device: cpu" in caplog.text
    assert "epoch 1/8: loss" in caplog.text and "val_auroc" in caplog.text
    metrics = json.loads(out["out_metrics"].read_text())
    for key in ("dataset", "split", "method", "seed", "auroc", "aupr", "n_pos", "n_neg", "train_seconds",
                "epochs", "best_epoch", "device", "threshold", "classes"):
        assert key in metrics, key
    assert (metrics["method"], metrics["classes"]) == ("gener", "binary")
    # the decision threshold is chosen on the validation pairs (max F1), the fixed 0.5 kept aside
    assert metrics["threshold_rule"] == "val_max_f1" and metrics["default_threshold"] == 0.5
    assert 0 < metrics["threshold"] < 1 and 0 < metrics["val_f1"] <= 1
    assert 1 <= metrics["best_epoch"] <= metrics["epochs"] == metrics["last_epoch"] <= 8
    assert {"early_stopped", "under_trained", "did_not_learn"} <= set(metrics)
    ranked = pd.read_csv(out["out_predictions"], sep="\t")
    assert list(ranked.columns) == ["regulator", "target", "score", "label", "fold", "pair_class"]
    assert (ranked["fold"] == "test").all() and ranked["score"].is_monotonic_decreasing
    assert metrics["n_pos"] + metrics["n_neg"] == len(ranked)
    assert out["out_model"].exists()
    assert not (out["checkpoint_dir"] / "checkpoint.npz").exists()  # removed once the job is done


def test_direction_mode_trains_three_classes(tmp_path):
    import keras

    expression, pairs = make_problem(tmp_path / "data", direction=True, n_genes=80, n_regulators=8)
    out = job_paths(tmp_path / "job")
    record = run_gener(
        expression, pairs, dataset="toy", split="random", seed=1,
        settings=settings(epochs=2, batch_size=32, classes="direction", ff_units=[32, 32]), threads=2, **out,
    )
    assert record["classes"] == "direction"
    model = keras.models.load_model(out["out_model"])
    assert tuple(model.output.shape) == (None, 3)
    x = np.zeros((4, 30), dtype=np.float32)
    probabilities = model.predict({"a": x, "b": x}, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    ranked = pd.read_csv(out["out_predictions"], sep="\t")
    assert ranked["score"].between(0, 1).all() and len(ranked) == record["n_pos"] + record["n_neg"]


@pytest.fixture(scope="module")
def small_fit(tmp_path_factory):
    """A 2-epoch fit on a small problem: its inputs, its history and its final checkpoint."""
    root = tmp_path_factory.mktemp("gener_fit")
    expression, pairs = make_problem(root / "data", n_genes=60, n_regulators=6)
    genes, matrix = load_expression(expression)
    table = pd.read_csv(pairs, sep="\t")
    ia, ib = pair_indices(table, genes, pairs)
    y, fold = table["label"].to_numpy(np.int32), table["fold"].to_numpy()
    tr, va = fold == "train", fold == "val"
    job = dict(matrix=matrix, train=(ia[tr], ib[tr], y[tr]), val=(ia[va], ib[va], y[va], y[va]), seed=3,
               settings=settings(epochs=2, batch_size=32, ff_units=[16, 16]), threads=2)
    _, state = fit_gener(checkpoint_dir=root / "ckpt", **job)
    return job, state.history, root / "ckpt" / CHECKPOINT_NAME


def _corrupt_npz(kind: str, good: Path, path: Path) -> None:
    """Write a GENER checkpoint of `kind` that cannot be restored to `path`."""
    import pickle

    path.parent.mkdir(parents=True, exist_ok=True)
    data = good.read_bytes()
    raw = {"empty": b"", "truncated": data[: len(data) // 2], "garbage": np.random.default_rng(0).bytes(4096),
           "text": b"not a checkpoint\n", "pickle": pickle.dumps({"state": 1})}
    if kind in raw:
        path.write_bytes(raw[kind])
        return
    with np.load(good) as npz:
        arrays = {k: npz[k] for k in npz.files}
    if kind == "shape":
        arrays["model_0"] = np.zeros((3, 3), dtype=np.float32)
    elif kind == "dtype":
        arrays["best_0"] = arrays["best_0"].astype(np.float64)
    elif kind == "missing":
        del arrays["model_1"]
    elif kind == "extra":
        arrays["model_999"] = np.zeros(1)
    elif kind == "state":
        meta = json.loads(arrays["meta"].tobytes().decode())
        meta["state"]["epoch"] = 7  # more epochs than history entries
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


@pytest.mark.parametrize("kind", ["empty", "truncated", "garbage", "text", "pickle", "shape", "dtype", "missing",
                                  "extra", "state"])
def test_unreadable_checkpoint_is_ignored_with_a_warning_naming_it(small_fit, tmp_path, caplog, kind):
    """Restoring into a fresh model: a warning naming the file, nothing restored, the model untouched."""
    from grnflow.gener import restore
    from grnflow.gener_model import from_settings
    from grnflow.train_core import Checkpoint

    job, _, good = small_fit
    with np.load(good) as npz:
        fingerprint = json.loads(npz["meta"].tobytes().decode())["fingerprint"]
    path = tmp_path / CHECKPOINT_NAME
    _corrupt_npz(kind, good, path)
    model = from_settings(job["matrix"].shape[1], job["settings"])
    model.optimizer.build(model.trainable_variables)
    before = [v.numpy().copy() for v in model.variables + model.optimizer.variables]
    best = ["untouched"]
    checkpoint = Checkpoint(path, fingerprint)
    with caplog.at_level(logging.INFO, logger="grnflow"):
        assert checkpoint.load(lambda p: restore(p, checkpoint, model, best)) is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"ignoring unreadable checkpoint {path}" in w for w in warnings), warnings
    assert best == ["untouched"]
    for value, variable in zip(before, model.variables + model.optimizer.variables):
        np.testing.assert_array_equal(value, variable.numpy())


@pytest.mark.parametrize("kind", ["truncated", "shape"])
def test_job_with_unreadable_checkpoint_trains_from_the_start(small_fit, tmp_path, caplog, kind):
    job, clean_history, good = small_fit
    path = tmp_path / "ckpt" / CHECKPOINT_NAME
    _corrupt_npz(kind, good, path)
    with caplog.at_level(logging.INFO, logger="grnflow"):
        _, state = fit_gener(checkpoint_dir=tmp_path / "ckpt", **job)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"ignoring unreadable checkpoint {path}" in w for w in warnings), warnings
    assert "resuming from" not in caplog.text
    assert state.epoch == 2 and state.history == clean_history  # trained from the start, as a clean run
    with np.load(path) as npz:  # and checkpointed its own, readable state
        assert json.loads(npz["meta"].tobytes().decode())["state"]["epoch"] == 2


TRAIN_SCRIPT = """
import logging, os, signal, sys
import keras
from grnflow.gener import run_gener
from grnflow.settings import GenerSettings, from_schema

logging.basicConfig(level=logging.INFO)

kill_epoch = int(sys.argv[2])  # 0-based epoch in which the process SIGKILLs itself; -1: never


class Kill(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == kill_epoch and batch >= 2:  # mid-epoch (Keras reports every k-th step)
            os.kill(os.getpid(), signal.SIGKILL)


folder = sys.argv[1]
run_gener(
    "{expression}", "{pairs}", f"{{folder}}/predictions.tsv.gz", f"{{folder}}/metrics.json",
    f"{{folder}}/model.keras", f"{{folder}}/checkpoints", dataset="toy", split="random", seed=5,
    settings=from_schema(GenerSettings, epochs=4, patience=2, batch_size=16, ff_units=[64, 64]),
    threads=2, callbacks=[Kill()],
)
"""


@pytest.mark.slow  # three TensorFlow processes
def test_kill_and_resume_reproduces_the_uninterrupted_run(tmp_path):
    """A real SIGKILL in the middle of epoch 3, then a restart: same metrics, same bytes."""
    expression, pairs = make_problem(tmp_path / "data", n_genes=100, n_regulators=10)
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(TRAIN_SCRIPT.format(expression=expression, pairs=pairs)))
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="2")

    def train(folder, kill_epoch):
        return subprocess.Popen(
            [sys.executable, str(script), str(folder), str(kill_epoch)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )

    whole, killed = tmp_path / "whole", tmp_path / "killed"
    runs = [train(whole, -1), train(killed, 2)]  # killed in the third epoch, after 2 checkpoints
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert runs[0].returncode == 0, outputs[0]
    assert runs[1].returncode == -9, outputs[1]
    assert not (killed / "metrics.json").exists()
    assert (killed / "checkpoints" / "checkpoint.npz").exists()

    resumed = train(killed, -1)
    output = resumed.communicate(timeout=300)[0]
    assert resumed.returncode == 0, output
    assert "resuming from" in output and "after epoch 2" in output

    def metrics(folder):
        record = json.loads((folder / "metrics.json").read_text())
        record.pop("train_seconds")
        return record

    assert metrics(killed) == metrics(whole)
    with gzip.open(whole / "predictions.tsv.gz", "rb") as a, gzip.open(killed / "predictions.tsv.gz", "rb") as b:
        assert a.read() == b.read()


@pytest.mark.slow
def test_gener_rule_runs_in_the_workflow(tmp_path):
    """The real rule on the tiny demo: contract outputs, per-epoch log, no checkpoint left."""
    from helpers import run_workflow, tiny_config

    target = "results/demo/metrics/gener/random/seed0.json"
    run_workflow(tmp_path, tiny_config(splits=["random"], methods=["gener"], gener={"epochs": 4, "batch_size": 32}),
                 targets=[target])
    metrics = json.loads((tmp_path / target).read_text())
    assert (metrics["dataset"], metrics["split"], metrics["method"], metrics["seed"]) == ("demo", "random", "gener", 0)
    assert metrics["device"] == "cpu" and 1 <= metrics["epochs"] <= 4
    ranked = pd.read_csv(tmp_path / "results/demo/predictions/gener/random/seed0.tsv.gz", sep="\t")
    assert len(ranked) == metrics["n_pos"] + metrics["n_neg"] and ranked["score"].is_monotonic_decreasing
    assert (tmp_path / "results/demo/models/gener/random/seed0/model.keras").is_file()
    log = (tmp_path / "logs/demo/gener/random/seed0.log").read_text()
    assert "device: cpu" in log and "epoch 1/4: loss" in log and "val_auroc" in log
    assert not (tmp_path / "results/demo/checkpoints/gener/random/seed0/checkpoint.npz").exists()


# --------------------------------------------------------------------------- paper mode and the schedule


def _layers(model, kind):
    import keras

    return [layer for layer in model.layers if isinstance(layer, getattr(keras.layers, kind))]


def test_default_and_paper_mode_build_the_networks_they_describe():
    import keras

    from grnflow.gener_model import from_settings, schedule
    from grnflow.settings import effective

    default = from_settings(10, settings())
    paper = from_settings(10, settings(paper_mode=True))
    # grnflow: ReLU convolutions, Keras' batch-norm momentum; the seed: linear, 0.9
    assert [c.activation for c in _layers(default, "Conv2D")] == [keras.activations.relu] * 2
    assert [c.activation for c in _layers(paper, "Conv2D")] == [keras.activations.linear] * 2
    assert {bn.momentum for bn in _layers(default, "BatchNormalization")} == {0.99}
    assert {bn.momentum for bn in _layers(paper, "BatchNormalization")} == {0.9}
    assert len(_layers(paper, "BatchNormalization")) == 5  # ff x2, conv x2, conv dense
    # same layer list and parameters otherwise
    assert [type(x).__name__ for x in paper.layers] == [type(x).__name__ for x in default.layers]
    assert paper.count_params() == default.count_params()
    # continuous decay in paper mode, staircase by default
    assert schedule(settings()).staircase is True
    assert schedule(settings(paper_mode=True)).staircase is False
    # patience never stops early within the epochs (the seed: patience 100, 50 epochs)
    s = effective(settings(paper_mode=True, epochs=30, patience=5))
    assert s.patience >= s.epochs and s.staircase is False
    assert effective(settings(epochs=30, patience=5)).patience == 5


def test_decay_follows_training_pairs_seen_not_batches():
    from grnflow.gener_model import schedule

    small = schedule(settings(batch_size=64))
    large = schedule(settings(batch_size=256))
    assert small.decay_steps == 2500 and large.decay_steps == 625  # 160,000 pairs either way
    for pairs in (100_000, 160_000, 480_000, 1_000_000):
        assert float(small(pairs // 64)) == pytest.approx(float(large(pairs // 256)))
    assert float(small(160_000 // 64)) == pytest.approx(0.01 * 0.8)


def test_fused_batch_norm_trains_and_infers_like_keras_batch_norm():
    import keras
    import tensorflow as tf

    from grnflow.gener_layers import FusedBatchNormalization

    rng = np.random.default_rng(3)
    for shape in [(32, 20), (16, 1, 9, 4)]:
        x = tf.constant(rng.normal(2.0, 3.0, size=shape).astype(np.float32))
        ref, fused = keras.layers.BatchNormalization(momentum=0.9), FusedBatchNormalization(momentum=0.9)
        ref.build(shape)
        fused.build(shape)
        for a, b in zip(ref.weights, fused.weights):
            value = rng.uniform(0.5, 1.5, size=a.shape).astype(np.float32)
            a.assign(value)
            b.assign(value)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            loss_ref = tf.reduce_sum(ref(x, training=True) * tf.sin(x))
            loss_fused = tf.reduce_sum(fused(x, training=True) * tf.sin(x))
        for target in ("x", "gamma", "beta"):
            src = x if target == "x" else getattr(ref, target)
            dst = x if target == "x" else getattr(fused, target)
            np.testing.assert_allclose(tape.gradient(loss_fused, dst), tape.gradient(loss_ref, src), rtol=1e-4, atol=1e-4)
        # moving statistics: Keras' update with the biased batch variance
        np.testing.assert_allclose(fused.moving_mean, ref.moving_mean, rtol=1e-5)
        np.testing.assert_allclose(fused.moving_variance, ref.moving_variance, rtol=1e-5)
        np.testing.assert_allclose(fused(x), ref(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("rate, bits", [(0.5, 1), (0.25, 2), (0.375, 3), (0.3, None)])
def test_bit_dropout_keeps_units_at_the_rate_and_is_seeded(rate, bits):
    import tensorflow as tf

    from grnflow.gener_layers import BitDropout, mask_bits

    assert mask_bits(rate) == bits
    x = tf.ones((64, 1, 99, 16))
    layer = BitDropout(rate, seed=11)
    first, second = layer(x, training=True).numpy(), layer(x, training=True).numpy()
    assert set(np.unique(first)) == {0.0, np.float32(1 / (1 - rate))}  # kept units scaled by 1/(1-rate)
    assert abs((first != 0).mean() - (1 - rate)) < 0.01  # 101,376 units
    assert (first != second).mean() > 0.1  # a new mask each step
    again = BitDropout(rate, seed=11)
    np.testing.assert_array_equal(again(x, training=True), first)  # same seed, same masks
    np.testing.assert_array_equal(layer(x, training=False), x)  # inference: identity
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
    np.testing.assert_array_equal(tape.gradient(y, x), y)  # d(x * mask)/dx = mask (x = 1)


def test_steps_per_execution_divides_the_epoch():
    from grnflow.gener_model import execution_steps

    assert [execution_steps(n) for n in (1, 7, 12, 16, 13, 15274, 3819)] == [1, 7, 6, 8, 1, 7, 3]
