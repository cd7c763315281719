"""GENER's input pipeline: the expression matrix once in memory, pair batches gathered on the fly.

Memory is O(genes x samples + pairs): the float32 matrix is one TensorFlow constant and a pair
is two int32 row indices; each batch gathers its rows inside the tf.data graph, so no
(pairs x samples) tensor ever exists.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow as tf

from grnflow.errors import InputError
from grnflow.io import read_normalized


def load_expression(path: str | Path) -> tuple[pd.Index, np.ndarray]:
    """Gene IDs and the genes x samples float32 matrix of a normalized expression table."""
    table = read_normalized(path)
    if table.shape[1] < 2:
        raise InputError(f"{path}: {table.shape[1]} sample column(s); GENER needs at least 2 samples")
    return table.index, np.ascontiguousarray(table.to_numpy(dtype=np.float32))


def pair_indices(pairs: pd.DataFrame, genes: pd.Index, pairs_path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (int32) of `gene_a` and `gene_b` of every pair in the expression matrix."""
    ia = genes.get_indexer(pairs["gene_a"])
    ib = genes.get_indexer(pairs["gene_b"])
    missing = pd.unique(np.concatenate([pairs["gene_a"].to_numpy()[ia < 0], pairs["gene_b"].to_numpy()[ib < 0]]))
    if len(missing):
        raise InputError(
            f"{pairs_path}: {len(missing)} gene(s) of the pair table are not in the expression "
            f"matrix (first: {', '.join(map(str, missing[:3]))}); rebuild the pairs from the same "
            "normalized expression"
        )
    return ia.astype(np.int32), ib.astype(np.int32)


def pair_targets(pairs: pd.DataFrame, classes: str, pairs_path: str | Path) -> np.ndarray:
    """Class ids (int32): `label` (0/1) in binary mode, `direction` (0/1/2) in direction mode."""
    column, allowed = ("label", (0, 1)) if classes == "binary" else ("direction", (0, 1, 2))
    values = pd.to_numeric(pairs[column], errors="coerce").to_numpy()
    bad = ~np.isin(values, allowed)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{pairs_path}: line {row + 2}, column `{column}` is {pairs[column].iloc[row]!r}; "
            f"allowed values are {', '.join(map(str, allowed))}"
        )
    return values.astype(np.int32)


def epoch_order(n_pairs: int, seed: int, epoch: int) -> np.ndarray:
    """The training order of one epoch: a permutation that depends only on (seed, epoch).

    Deriving it from the epoch number rather than from a running generator lets a resumed
    job shuffle exactly like an uninterrupted one without saving generator state.
    """
    return np.random.default_rng([seed, epoch]).permutation(n_pairs)


class PairBatches:
    """Batches of `{"a": rows of gene_a, "b": rows of gene_b}` (and class ids) for Keras."""

    def __init__(self, matrix: np.ndarray, threads: int):
        self.matrix = tf.constant(np.asarray(matrix, dtype=np.float32))
        self.n_samples = int(matrix.shape[1])
        self.options = tf.data.Options()
        self.options.deterministic = True
        self.options.threading.private_threadpool_size = max(1, threads)

    def dataset(
        self,
        ia: np.ndarray,
        ib: np.ndarray,
        y: np.ndarray | None = None,
        *,
        batch_size: int,
        order: np.ndarray | None = None,
    ) -> tf.data.Dataset:
        """One pass over the pairs in `order` (default: as given), `batch_size` pairs per batch."""
        if order is not None:
            ia, ib = ia[order], ib[order]
            y = None if y is None else y[order]
        columns = [tf.constant(ia, dtype=tf.int32), tf.constant(ib, dtype=tf.int32)]
        if y is not None:
            columns.append(tf.constant(y, dtype=tf.int32))
        return self._batches(columns, len(ia), batch_size).prefetch(2).with_options(self.options)

    def epochs(
        self, ia: np.ndarray, ib: np.ndarray, y: np.ndarray, batch_size: int, seed: int, first: int, last: int
    ) -> tf.data.Dataset:
        """Training batches of epochs `first` .. `last - 1` back to back (for one `fit()` with
        `steps_per_epoch`), epoch e in the order `epoch_order(n, seed, e)`: the same batches
        as `dataset(..., order=epoch_order(n, seed, e))` epoch by epoch, so a job resumed at
        any epoch sees exactly what an uninterrupted one sees."""
        n = len(ia)
        columns = [tf.constant(v, dtype=tf.int32) for v in (ia, ib, y)]

        def order(epoch):
            return epoch_order(n, seed, int(epoch)).astype(np.int64)

        def one_epoch(epoch):
            perm = tf.numpy_function(order, [epoch], tf.int64, stateful=False)
            perm.set_shape([n])
            return self._batches([tf.gather(c, perm) for c in columns], n, batch_size)

        stream = tf.data.Dataset.range(first, last).flat_map(one_epoch)
        return stream.prefetch(2).with_options(self.options)

    def _batches(self, columns: list, n: int, batch_size: int) -> tf.data.Dataset:
        """Consecutive slices of `columns` (gene_a rows, gene_b rows[, class ids]), rows gathered."""
        matrix = self.matrix

        def batch(i):
            start = i * batch_size
            stop = tf.minimum(start + batch_size, n)
            a = tf.gather(matrix, columns[0][start:stop])
            b = tf.gather(matrix, columns[1][start:stop])
            if len(columns) == 2:
                return {"a": a, "b": b}
            return {"a": a, "b": b}, columns[2][start:stop]

        # Gathering 2 x batch_size rows takes well under a millisecond, far less than a training
        # step: one background (prefetch) thread keeps up, and leaves the cores to the model.
        return tf.data.Dataset.range(n_batches(n, batch_size)).map(batch)


def n_batches(n_pairs: int, batch_size: int) -> int:
    """Batches of one pass over `n_pairs` pairs (the last one may be short)."""
    return -(-n_pairs // batch_size)


__all__ = ["load_expression", "pair_indices", "pair_targets", "epoch_order", "n_batches", "PairBatches"]
