"""Faster drop-in versions of Keras' Dropout and BatchNormalization for GENER's training step.

Same layers, same variables, same maths; only how the training step computes them differs:
- `BitDropout` keeps each unit with probability 1 - rate (scaled by 1 / (1 - rate)) like
  `keras.layers.Dropout`, but draws `k` random bits per unit instead of one float32 uniform, `k`
  the fewest bits that express the rate exactly (rate 0.5: one bit, so one 32-bit Philox word
  covers 32 units), the mask made by one XLA-compiled function. A rate that is no multiple of
  2**-16 uses Keras' own dropout unchanged.
- `FusedBatchNormalization` normalises with TensorFlow's fused batch-norm kernel (one op
  forward, one backward) instead of Keras' moments + element-wise ops; it updates the moving
  statistics exactly as Keras does (batch mean, biased batch variance, `momentum`).
Inference (training=False) is Keras' code in both. The random bits come from the layer's Keras
seed generator, so a seeded run, and a run resumed from a checkpoint, draws the same masks.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

MAX_BITS = 16


def mask_bits(rate: float) -> int | None:
    """The fewest bits k (1..16) such that rate * 2**k is a whole number, else None."""
    for bits in range(1, MAX_BITS + 1):
        scaled = rate * (1 << bits)
        if scaled == int(scaled):
            return bits
    return None


def bit_keep_mask(shape, rate: float, bits: int, seed) -> tf.Tensor:
    """Float32 mask of `shape`: 1 / (1 - rate) where a unit is kept, 0 where it is dropped.

    Each unit reads its own `bits`-bit field of stateless Philox words and is kept when the
    field is >= rate * 2**bits: probability exactly 1 - rate."""
    per_word = 32 // bits
    n = tf.reduce_prod(shape)
    words = tf.random.stateless_uniform(
        [(n + per_word - 1) // per_word], seed, minval=None, maxval=None, dtype=tf.uint32, alg="philox"
    )
    shifts = tf.constant([bits * i for i in range(per_word)], dtype=tf.uint32)
    fields = tf.bitwise.bitwise_and(tf.bitwise.right_shift(words[:, None], shifts), (1 << bits) - 1)
    threshold = tf.constant(int(rate * (1 << bits)), dtype=tf.uint32)
    scale = tf.constant(1.0 / (1.0 - rate), dtype=tf.float32)
    keep = tf.where(fields >= threshold, scale, tf.zeros_like(scale))
    return tf.reshape(tf.reshape(keep, [-1])[:n], shape)


# XLA fuses the shifts, masks, comparison and select into one pass (about half the CPU time of
# the same ops one TensorFlow kernel each); a shape compiles once. Stateless, so deterministic.
_compiled_mask = tf.function(bit_keep_mask, jit_compile=True)


@tf.custom_gradient
def _apply_mask(x, mask):
    """x * mask, with the mask a constant for the gradient (dx = dy * mask)."""

    def grad(dy):
        return dy * mask, None

    return x * mask, grad


@keras.saving.register_keras_serializable(package="grnflow")
class BitDropout(layers.Dropout):
    """`keras.layers.Dropout` (element-wise, no noise_shape) with masks from few random bits."""

    def call(self, inputs, training=False):
        bits = mask_bits(self.rate)
        if not training or self.rate == 0 or bits is None or self.noise_shape is not None:
            return super().call(inputs, training=training)
        seed = tf.cast(self.seed_generator.next(), tf.int32)
        mask = _compiled_mask(tf.shape(inputs), self.rate, bits, seed)
        return _apply_mask(inputs, tf.cast(mask, inputs.dtype))


@keras.saving.register_keras_serializable(package="grnflow")
class FusedBatchNormalization(layers.BatchNormalization):
    """`keras.layers.BatchNormalization` over the last axis, trained with the fused kernel."""

    def call(self, inputs, training=None, mask=None):
        rank = len(inputs.shape)
        plain = mask is None and not self.renorm and self.scale and self.center and self.axis in (-1, rank - 1)
        if not (training and self.trainable and plain and rank in (2, 4) and inputs.dtype == tf.float32):
            return super().call(inputs, training=training, mask=mask)
        x = inputs if rank == 4 else inputs[:, None, None, :]
        y, mean, sample_variance = tf.compat.v1.nn.fused_batch_norm(
            x, self.gamma, self.beta, epsilon=self.epsilon, data_format="NHWC", is_training=True
        )
        # The kernel returns the Bessel-corrected variance; Keras' moving average uses the biased one.
        n = tf.cast(tf.size(x) // tf.shape(x)[-1], tf.float32)
        variance = sample_variance * (n - 1.0) / n
        momentum = self.momentum
        self.moving_mean.assign(self.moving_mean * momentum + mean * (1.0 - momentum))
        self.moving_variance.assign(self.moving_variance * momentum + variance * (1.0 - momentum))
        return y if rank == 4 else y[:, 0, 0, :]


__all__ = ["BitDropout", "FusedBatchNormalization", "bit_keep_mask", "mask_bits"]
