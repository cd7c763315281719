"""The GENER network: a CNN on the stacked expression of two genes beside a feed-forward
network on their element-wise product, fused late into one softmax classifier.

Built with the Keras functional API, top to bottom, so the layer list reads like the paper's
figure. Conv2D uses `padding="valid"`: the first 2x2 kernel covers both genes at two
consecutive samples, so a 2 x L image becomes 1 x (L-1) and every filter output mixes the
two genes (with "same" padding half the rows would convolve one gene against zeros). The
convolutions use ReLU like the dense layers (the layer list gives none; without it the two
convolutions would collapse into one linear map).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

# Class names of the two output modes; the ranking score is the probability of class 1.
CLASS_NAMES = {
    "binary": ["no_edge", "edge"],
    "direction": ["no_edge", "a_to_b", "b_to_a"],
}


def build_model(
    n_samples: int,
    classes: str,
    ff_units: Sequence[int],
    conv_filters: Sequence[int],
    conv_dense: int,
    dropout: float,
) -> keras.Model:
    """The GENER classifier for expression vectors of length `n_samples` (inputs `a`, `b`)."""
    if classes not in CLASS_NAMES:
        raise ValueError(f"classes must be one of {', '.join(CLASS_NAMES)}, not {classes!r}")
    if n_samples < 2:
        raise ValueError(f"GENER needs at least 2 samples per gene, got {n_samples}")
    a = keras.Input(shape=(n_samples,), name="a")
    b = keras.Input(shape=(n_samples,), name="b")

    # Feed-forward branch on the element-wise product a * b.
    x = layers.Multiply(name="product")([a, b])
    for i, units in enumerate(ff_units, start=1):
        x = layers.Dense(units, activation="relu", name=f"ff_dense{i}")(x)
        x = layers.BatchNormalization(name=f"ff_bn{i}")(x)
        x = layers.Dropout(dropout, name=f"ff_dropout{i}")(x)

    # CNN branch on the pair stacked as a 2 x L x 1 image: a 2x2 kernel, then 1x1 kernels.
    row_a = layers.Reshape((1, n_samples, 1), name="row_a")(a)
    row_b = layers.Reshape((1, n_samples, 1), name="row_b")(b)
    y = layers.Concatenate(axis=1, name="stack")([row_a, row_b])
    for i, filters in enumerate(conv_filters, start=1):
        kernel = (2, 2) if i == 1 else (1, 1)
        y = layers.Conv2D(filters, kernel, padding="valid", activation="relu", name=f"conv{i}")(y)
        y = layers.BatchNormalization(name=f"conv_bn{i}")(y)
        y = layers.Dropout(dropout, name=f"conv_dropout{i}")(y)
    y = layers.Flatten(name="flatten")(y)
    y = layers.Dense(conv_dense, activation="relu", name="conv_dense")(y)
    y = layers.BatchNormalization(name="conv_dense_bn")(y)
    y = layers.Dropout(dropout, name="conv_dense_dropout")(y)

    # Late fusion of the two branches.
    z = layers.Concatenate(name="fusion")([x, y])
    outputs = layers.Dense(len(CLASS_NAMES[classes]), activation="softmax", name="classes")(z)
    return keras.Model(inputs={"a": a, "b": b}, outputs=outputs, name=f"gener_{classes}")


def compile_model(
    model: keras.Model,
    learning_rate: float,
    decay_rate: float,
    decay_steps: int,
    staircase: bool,
) -> keras.Model:
    """SGD with exponential learning-rate decay; sparse categorical cross-entropy on class ids."""
    schedule = keras.optimizers.schedules.ExponentialDecay(
        learning_rate, decay_steps=decay_steps, decay_rate=decay_rate, staircase=staircase
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        jit_compile=False,
    )
    return model


def from_settings(n_samples: int, settings) -> keras.Model:
    """The compiled network of `settings` (grnflow.settings.GenerSettings)."""
    s = settings
    model = build_model(n_samples, s.classes, s.ff_units, s.conv_filters, s.conv_dense, s.dropout)
    return compile_model(model, s.learning_rate, s.decay_rate, s.decay_steps, s.staircase)


__all__ = ["CLASS_NAMES", "build_model", "compile_model", "from_settings"]
